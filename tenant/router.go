package tenant

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aurapms/aura"
)

// Tenant statuses, as kept in the platform registry.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusDeleted   = "deleted"
	// StatusMaintenance is not a registry status: the Directory reports it
	// while a tenant is briefly out of service (a restore).
	StatusMaintenance = "maintenance"
)

// Info is what the router needs to know about a tenant to open its file.
type Info struct {
	ID      string
	Slug    string
	Status  string
	DataKey []byte // the unwrapped tenant data key
}

// Directory answers which tenant a slug names. The platform registry
// implements it (wired in cmd/aura); it returns ENOTFOUND for unknown slugs.
type Directory interface {
	TenantInfo(ctx context.Context, slug string) (Info, error)
}

// Config configures a Router. Dir and Directory are required.
type Config struct {
	// Dir is the directory holding tenant files (<data>/tenants).
	Dir string
	// Directory resolves slugs to tenants.
	Directory Directory
	// MaxOpen bounds the number of open tenant files (default 256). When a
	// new tenant opens beyond it, the least recently used one is retired.
	MaxOpen int
	// IdleTimeout closes a tenant nobody used for this long (default 5m).
	IdleTimeout time.Duration
	// ReadConns is the read pool size per tenant (default 4).
	ReadConns int
	// Now is the clock given to transactions (default time.Now).
	Now func() time.Time
	// OnOpen runs after a tenant file is opened and before anyone gets the
	// handle (replication registers the file here). An error fails the open.
	OnOpen func(ctx context.Context, db *DB) error
	// OnClose runs before a tenant file is closed (a final replication sync).
	OnClose func(db *DB)
	// Logger receives the router's log lines (default slog.Default()).
	Logger *slog.Logger
}

// Router opens tenant files on demand and keeps a bounded set of them open.
// Concurrent requests for a tenant that is not open yet share one open.
type Router struct {
	cfg Config

	mu      sync.RWMutex
	entries map[string]*entry // by slug
	closed  bool

	stop chan struct{}
	done chan struct{}

	// opens, evictions and idleCloses count files opened, retired for
	// room beyond MaxOpen, and closed after IdleTimeout (Stats).
	opens, evictions, idleCloses atomic.Int64

	// beforeRegister, set by tests only (export_test.go), runs after an open
	// and its re-check, before the handle is registered.
	beforeRegister func(slug string)
}

// entry is one tenant in the router: either opening (ready not yet closed)
// or open (db set) or failed (err set, removed from the map).
type entry struct {
	ready chan struct{}
	db    *DB
	err   error
}

// NewRouter returns a router and starts its idle janitor; stop it with Close.
func NewRouter(cfg Config) *Router {
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 256
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.ReadConns <= 0 {
		cfg.ReadConns = 4
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Router{cfg: cfg, entries: map[string]*entry{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.janitor()
	return r
}

// Path returns the path of a tenant's file.
func (r *Router) Path(id string) string { return filepath.Join(r.cfg.Dir, FileName(id)) }

// Acquire returns the open handle of the tenant named by slug, opening its
// file when needed. The caller must Release it. It returns ENOTFOUND for an
// unknown or deleted tenant and EUNAVAILABLE for a suspended one.
func (r *Router) Acquire(ctx context.Context, slug string) (*DB, error) {
	// Fast path: already open. Holding the read lock while taking a
	// reference keeps the evictor (which takes the write lock) from retiring
	// the handle between our lookup and our reference.
	r.mu.RLock()
	if e, ok := r.entries[slug]; ok && e.db != nil {
		e.db.refs.Add(1)
		e.db.lastUsed.Store(time.Now().UnixNano())
		r.mu.RUnlock()
		return e.db, nil
	}
	r.mu.RUnlock()
	return r.acquireSlow(ctx, slug)
}

func (r *Router) acquireSlow(ctx context.Context, slug string) (*DB, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, aura.Errorf(aura.EUNAVAILABLE, "The server is shutting down.")
	}
	e, ok := r.entries[slug]
	if ok && e.db != nil {
		e.db.refs.Add(1)
		e.db.lastUsed.Store(time.Now().UnixNano())
		r.mu.Unlock()
		return e.db, nil
	}
	if ok {
		// Someone else is opening it: wait for them.
		r.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		return r.Acquire(ctx, slug)
	}
	e = &entry{ready: make(chan struct{})}
	r.entries[slug] = e
	r.mu.Unlock()

	// Open outside the lock: other tenants keep being served meanwhile. The
	// open does not use the caller's context, so one impatient client cannot
	// fail the open for everyone waiting on it.
	octx := context.WithoutCancel(ctx)
	db, err := r.open(octx, slug)
	if err == nil {
		// A suspension, deletion or restore may have changed the registry
		// while the file was opening; its Forget found no handle to retire
		// and waits for this entry to be ready. Ask again now, so a handle
		// opened under the old status is never registered: a status change
		// committed before this read fails the open here, one committed
		// after it is followed by a Forget that retires the registered handle.
		if err = r.recheck(octx, slug, db); err != nil {
			db.retire() // nobody holds it: OnClose runs and the file closes now
		}
	}
	if r.beforeRegister != nil {
		r.beforeRegister(slug)
	}

	r.mu.Lock()
	if err != nil {
		e.err = err
		if r.entries[slug] == e {
			delete(r.entries, slug)
		}
		r.mu.Unlock()
		close(e.ready)
		return nil, err
	}
	db.refs.Add(1)
	db.lastUsed.Store(time.Now().UnixNano())
	e.db = db
	victims := r.overflowLocked()
	r.mu.Unlock()
	close(e.ready)
	for _, v := range victims {
		v.retire()
	}
	return db, nil
}

// statusError is nil for an active tenant, EUNAVAILABLE for a suspended
// one or one under maintenance, ENOTFOUND otherwise.
func statusError(info Info) error {
	switch info.Status {
	case StatusActive:
		return nil
	case StatusSuspended:
		return aura.Errorf(aura.EUNAVAILABLE, "This account is suspended.")
	case StatusMaintenance:
		return aura.Errorf(aura.EUNAVAILABLE, "This account is being restored from a backup; please try again in a minute.")
	}
	return aura.Errorf(aura.ENOTFOUND, "No such tenant.")
}

// recheck asks the Directory about slug again after its file db was opened:
// nil when the tenant is still active under the same id, its status error
// otherwise (EUNAVAILABLE when the slug now names another tenant).
func (r *Router) recheck(ctx context.Context, slug string, db *DB) error {
	info, err := r.cfg.Directory.TenantInfo(ctx, slug)
	if err != nil {
		return err
	}
	if err := statusError(info); err != nil {
		return err
	}
	if info.ID != db.ID {
		return aura.Errorf(aura.EUNAVAILABLE, "This account changed while it was opening; please try again.")
	}
	return nil
}

func (r *Router) open(ctx context.Context, slug string) (*DB, error) {
	info, err := r.cfg.Directory.TenantInfo(ctx, slug)
	if err != nil {
		return nil, err
	}
	if err := statusError(info); err != nil {
		return nil, err
	}
	db, err := open(ctx, r.Path(info.ID), info, r.cfg.ReadConns, r.cfg.Now)
	if err != nil {
		r.logf("tenant %s: open: %v", slug, err)
		return nil, err
	}
	db.router = r
	if r.cfg.OnOpen != nil {
		if err := r.cfg.OnOpen(ctx, db); err != nil {
			db.chain.Close()
			return nil, err
		}
	}
	r.opens.Add(1)
	return db, nil
}

// overflowLocked removes from the map the least recently used tenants beyond
// MaxOpen, preferring ones nobody holds, and returns them for retiring.
func (r *Router) overflowLocked() []*DB {
	var victims []*DB
	for r.openCountLocked() > r.cfg.MaxOpen {
		var victim string
		var oldest int64
		idle := false
		for slug, e := range r.entries {
			if e.db == nil {
				continue
			}
			free := e.db.refs.Load() == 0
			used := e.db.lastUsed.Load()
			if victim == "" || (free && !idle) || (free == idle && used < oldest) {
				victim, oldest, idle = slug, used, free
			}
		}
		if victim == "" {
			break
		}
		victims = append(victims, r.entries[victim].db)
		delete(r.entries, victim)
		r.evictions.Add(1)
	}
	return victims
}

func (r *Router) openCountLocked() int {
	n := 0
	for _, e := range r.entries {
		if e.db != nil {
			n++
		}
	}
	return n
}

// Stats are the router's counters since it started, for metrics.
type Stats struct {
	Open       int   // tenant files open now
	Opens      int64 // files opened
	Evictions  int64 // files retired to stay within MaxOpen
	IdleCloses int64 // files closed after IdleTimeout without use
}

// Stats returns the router's counters.
func (r *Router) Stats() Stats {
	return Stats{Open: r.Open(), Opens: r.opens.Load(), Evictions: r.evictions.Load(), IdleCloses: r.idleCloses.Load()}
}

// Open returns the number of tenant files currently open.
func (r *Router) Open() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.openCountLocked()
}

// Forget retires the open handle of slug, if any, so the next Acquire asks
// the Directory again (after a suspension, deletion or restore). In-flight
// transactions finish first: the returned channel is closed once the file
// is closed (at once when it was not open). When the file is being opened,
// the channel closes once that open is over and its handle, if the open
// registered one, is closed too: the opener asks the Directory again before
// registering, so an open racing with a status change never leaves a
// handle behind.
func (r *Router) Forget(slug string) <-chan struct{} {
	r.mu.Lock()
	e, ok := r.entries[slug]
	if ok && e.db != nil {
		delete(r.entries, slug)
	}
	r.mu.Unlock()
	done := make(chan struct{})
	switch {
	case !ok:
		close(done)
		return done
	case e.db == nil:
		go func() {
			<-e.ready
			<-r.Forget(slug)
			close(done)
		}()
		return done
	}
	e.db.retire()
	return e.db.closed
}

// Revalidate asks the Directory about every open tenant and retires those
// that are no longer active. The server calls it when the platform registry
// changes (for example after `aura tenant suspend` from another process).
func (r *Router) Revalidate(ctx context.Context) {
	r.mu.RLock()
	var open []*DB
	var opening []*entry
	for _, e := range r.entries {
		if e.db != nil {
			open = append(open, e.db)
		} else {
			opening = append(opening, e)
		}
	}
	r.mu.RUnlock()
	// A file being opened may have been checked before the registry
	// changed: wait for it and check its handle like the others.
	for _, e := range opening {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return
		}
		r.mu.RLock()
		if e.db != nil {
			open = append(open, e.db)
		}
		r.mu.RUnlock()
	}
	for _, db := range open {
		info, err := r.cfg.Directory.TenantInfo(ctx, db.Slug)
		if err == nil && info.Status == StatusActive && info.ID == db.ID {
			continue
		}
		r.logf("tenant %s: no longer active, closing", db.Slug)
		r.Forget(db.Slug)
	}
}

// OpenSlugs returns the slugs of the tenants currently open.
func (r *Router) OpenSlugs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var s []string
	for slug, e := range r.entries {
		if e.db != nil {
			s = append(s, slug)
		}
	}
	return s
}

func (r *Router) janitor() {
	defer close(r.done)
	every := r.cfg.IdleTimeout / 2
	if every > 30*time.Second {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.closeIdle(time.Now().Add(-r.cfg.IdleTimeout))
		}
	}
}

// closeIdle retires the tenants nobody holds that were last used before cutoff.
func (r *Router) closeIdle(cutoff time.Time) {
	r.mu.Lock()
	var victims []*DB
	for slug, e := range r.entries {
		if e.db != nil && e.db.refs.Load() == 0 && e.db.lastUsed.Load() < cutoff.UnixNano() {
			victims = append(victims, e.db)
			delete(r.entries, slug)
			r.idleCloses.Add(1)
		}
	}
	r.mu.Unlock()
	for _, v := range victims {
		v.retire()
	}
}

// Close stops the janitor and closes every tenant file once its holders
// release it. It waits for all of them.
func (r *Router) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var all []*DB
	for slug, e := range r.entries {
		if e.db != nil {
			all = append(all, e.db)
		}
		delete(r.entries, slug)
	}
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	for _, db := range all {
		db.retire()
	}
	for _, db := range all {
		<-db.closed
	}
	return nil
}

func (r *Router) logf(format string, args ...any) {
	r.cfg.Logger.Warn("router: " + fmt.Sprintf(format, args...))
}
