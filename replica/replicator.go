// Package replica streams SQLite files to encrypted replicas with an embedded
// Litestream, and restores them. It knows file paths, replica prefixes and
// 32-byte keys, nothing about tenants: cmd/aura registers the platform DB and
// each tenant file as the tenant router opens it, and unregisters it (after a
// final sync) as the router closes it.
//
// This file is the only one that calls Litestream's library API, which
// upstream declares unstable; the version is pinned in go.mod.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/benbjohnson/litestream/s3"
	"github.com/superfly/ltx"
)

// Replicator owns one Litestream store and the databases registered with it.
// Every registered file streams to its own prefix of the configured
// destination through an encrypting Client. It is safe for concurrent use.
type Replicator struct {
	log   *slog.Logger
	lsLog *slog.Logger // Litestream's own lines, warnings and errors only

	// reconf serialises Reconfigure and Close.
	reconf sync.Mutex

	mu sync.Mutex
	// cfg and store are the configuration and the Litestream store new
	// registrations use; Reconfigure replaces both. A registration keeps
	// the ones it was made with (registration.cfg and .store).
	cfg   Config
	store *litestream.Store
	// retired are stores of earlier configurations that some file still
	// uses (its move to the new one failed); Close closes them.
	retired []*litestream.Store
	dbs     map[string]*registration // by absolute path
	closed  bool
	stop    context.CancelFunc // ends the off-site retention loop and the compaction monitors
	// compacting counts the compaction monitors running (compact.go);
	// Close waits for them before it closes the stores.
	compacting sync.WaitGroup
	// failing holds, per off-site target, when writes to it started to
	// fail (absent while they succeed).
	failing map[string]time.Time
}

// registration is one path's state. Its mutex serialises Register and
// Unregister of that path; refs counts the holders that registered it (the
// router may have an old and a new handle of one file open at once).
type registration struct {
	mu     sync.Mutex
	users  int // goroutines holding or waiting for mu (guarded by Replicator.mu)
	refs   int
	prefix string
	keyFP  string
	key    []byte // to register the file again under a new configuration
	cfg    Config // the configuration it was registered under
	store  *litestream.Store
	db     *litestream.DB
	client *Client
	mirror *mirror // copies to the off-site target; nil without one
	// shipper is read by Committed without mu.
	shipper atomic.Pointer[shipper]
}

// shipper ships a file's new commits to the on-site replica soon after
// they are made: Litestream alone reads the WAL on its monitor tick and
// uploads on its sync tick, so a commit could wait for both (up to two
// seconds at the defaults). It runs off the request path, in a goroutine
// of its own, at most once per Config.ShipEvery.
type shipper struct {
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func startShipper(store *litestream.Store, cfg Config, path string) *shipper {
	s := &shipper{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		var last time.Time
		for {
			select {
			case <-s.stop:
				return
			case <-s.kick:
			}
			if d := time.Until(last.Add(cfg.ShipEvery)); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-s.stop:
					t.Stop()
					return
				case <-t.C:
				}
			}
			last = time.Now()
			// A failure is Litestream's to retry (and log) on its own
			// ticks; the next commit asks again.
			ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownSyncTimeout)
			store.SyncDB(ctx, path, true)
			cancel()
		}
	}()
	return s
}

// stopShipper stops reg's shipper, if it has one, and waits for it.
func (reg *registration) stopShipper() {
	if s := reg.shipper.Swap(nil); s != nil {
		close(s.stop)
		<-s.done
	}
}

// Committed returns the function that tells the Replicator that path has
// new commits, so they are shipped to the on-site replica within
// Config.ShipEvery (wired to sqlite's DB.AfterCommit). The function never
// blocks, and does nothing while path is not registered.
func (r *Replicator) Committed(path string) func() {
	abs, err := absPath(path)
	if err != nil {
		return func() {}
	}
	return func() {
		r.mu.Lock()
		reg := r.dbs[abs]
		r.mu.Unlock()
		if reg == nil {
			return
		}
		if s := reg.shipper.Load(); s != nil {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// New starts a Replicator for cfg (compaction, snapshot and retention run in
// the background). Stop it with Close. It returns EINVALID for a bad config.
func New(cfg Config) (*Replicator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	// Litestream reports every compaction at Info; keep its warnings only.
	lsLog := slog.New(minLevel{log.Handler(), slog.LevelWarn}).With("system", "litestream")
	store, err := openStore(cfg, lsLog)
	if err != nil {
		return nil, err
	}
	r := &Replicator{cfg: cfg, store: store, log: log, lsLog: lsLog, dbs: map[string]*registration{}}
	r.startRetention(cfg)
	return r, nil
}

// openStore starts a Litestream store with cfg's intervals and retention.
func openStore(cfg Config, lsLog *slog.Logger) (*litestream.Store, error) {
	levels := litestream.CompactionLevels{{Level: 0}}
	for i, d := range cfg.Levels {
		levels = append(levels, &litestream.CompactionLevel{Level: i + 1, Interval: d})
	}
	store := litestream.NewStore(nil, levels)
	store.Logger = lsLog
	store.SnapshotInterval = cfg.SnapshotInterval
	store.SnapshotRetention = cfg.Retention
	store.L0Retention = cfg.L0Retention
	store.ShutdownSyncTimeout = cfg.ShutdownSyncTimeout
	// The Replicator runs the compactions and snapshots itself, each under
	// the file's registration lock (compact.go): Litestream's own monitors
	// would snapshot a file while Unregister closes it.
	store.CompactionMonitorEnabled = false
	if err := store.Open(context.Background()); err != nil {
		return nil, aura.Errorf(aura.EINVALID, "Cannot start replication: %v", err)
	}
	return store, nil
}

// startRetention starts the off-site retention loop for cfg when it has
// off-site targets, after stopping the one running (r.mu held or r not yet
// shared).
func (r *Replicator) startRetention(cfg Config) {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	if len(cfg.Targets) > 0 {
		go r.retentionLoop(ctx, cfg)
	}
	r.startCompaction(ctx, cfg, r.store)
}

// current returns the configuration and store new registrations use.
func (r *Replicator) current() (Config, *litestream.Store) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg, r.store
}

// levels are the replica levels there are: 0, the compaction levels and
// the snapshot level.
func (r *Replicator) levels() []int { return levelsOf(r.Config()) }

func levelsOf(cfg Config) []int {
	out := []int{0}
	for i := range cfg.Levels {
		out = append(out, i+1)
	}
	return append(out, litestream.SnapshotLevel)
}

func (r *Replicator) now() time.Time {
	if cfg := r.Config(); cfg.Now != nil {
		return cfg.Now()
	}
	return time.Now()
}

// retentionLoop applies the off-site retention of cfg to every registered
// file once a snapshot interval (Litestream applies the on-site one itself).
func (r *Replicator) retentionLoop(ctx context.Context, cfg Config) {
	t := time.NewTicker(min(cfg.SnapshotInterval, time.Hour))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		var ms []*mirror
		for _, reg := range r.dbs {
			if reg.mirror != nil {
				ms = append(ms, reg.mirror)
			}
		}
		r.mu.Unlock()
		for _, m := range ms {
			if err := r.retainOffSite(ctx, m, cfg); err != nil {
				r.log.Warn("off-site retention failed", "target", m.target, "err", err)
			}
		}
	}
}

// noteTarget records the outcome of a round of copies to a target.
func (r *Replicator) noteTarget(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		delete(r.failing, name)
		return
	}
	if r.failing == nil {
		r.failing = map[string]time.Time{}
	}
	if _, ok := r.failing[name]; !ok {
		r.failing[name] = time.Now()
	}
}

// targetFailing reports whether writes to the named target fail, and since when.
func (r *Replicator) targetFailing(name string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	since, ok := r.failing[name]
	return since, ok
}

// retainOffSite applies the off-site retention of cfg to one mirror's target.
func (r *Replicator) retainOffSite(ctx context.Context, m *mirror, cfg Config) error {
	m.run.Lock()
	defer m.run.Unlock()
	return retain(ctx, m.dst, r.now().Add(-cfg.OffSiteRetention), m.levels)
}

// Config returns the configuration the Replicator runs with (defaults
// filled in): the newest one Reconfigure applied.
func (r *Replicator) Config() Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

func (r *Replicator) lock(path string) (*registration, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, aura.Errorf(aura.EUNAVAILABLE, "Replication is shutting down.")
	}
	reg := r.dbs[path]
	if reg == nil {
		reg = &registration{}
		r.dbs[path] = reg
	}
	reg.users++
	r.mu.Unlock()
	reg.mu.Lock()
	return reg, nil
}

func (r *Replicator) unlock(path string, reg *registration) {
	reg.mu.Unlock()
	r.mu.Lock()
	reg.users--
	if reg.users == 0 && reg.refs == 0 && r.dbs[path] == reg {
		delete(r.dbs, path)
	}
	r.mu.Unlock()
}

// Register starts replicating the SQLite file at path to prefix (for example
// "tenants/tnt_…") of the destination, encrypted with key (32 bytes). The
// file must exist. Registering a path that is already registered with the
// same prefix and key only counts one more holder; each holder calls
// Unregister. It returns EINVALID for a bad prefix or key, ENOTFOUND when
// the file does not exist, ECONFLICT when the path is registered with
// another prefix or key, and EUNAVAILABLE after Close or when the replica
// cannot be set up.
func (r *Replicator) Register(ctx context.Context, path, prefix string, key []byte) error {
	path, err := absPath(path)
	if err != nil {
		return err
	}
	if err := validPrefix(prefix); err != nil {
		return err
	}
	if len(key) != keys.KeySize {
		return aura.Errorf(aura.EINVALID, "A replica key must be %d bytes, got %d.", keys.KeySize, len(key))
	}
	if _, err := os.Stat(path); err != nil {
		return aura.Errorf(aura.ENOTFOUND, "Cannot replicate %s: %v", path, err)
	}
	reg, err := r.lock(path)
	if err != nil {
		return err
	}
	defer r.unlock(path, reg)
	fp := keys.Fingerprint(key)
	if reg.refs > 0 {
		if reg.prefix != prefix || reg.keyFP != fp {
			return aura.Errorf(aura.ECONFLICT, "%s is already replicated to %s with another key or prefix.", path, reg.prefix)
		}
		reg.refs++
		return nil
	}
	cfg, store := r.current()
	p, err := r.prepare(ctx, cfg, path, prefix, key)
	if err != nil {
		return err
	}
	if err := p.settle(ctx); err != nil {
		return err
	}
	return r.attach(ctx, reg, p, cfg, store, 1)
}

// prepared is a file's replication set up under one configuration but not
// started yet.
type prepared struct {
	path, prefix string
	key          []byte
	levels       []int
	onSite       litestream.ReplicaClient // plain, without the fanout
	offSite      litestream.ReplicaClient // nil without an off-site target
	offDest      Destination
	db           *litestream.DB
	client       *Client
	mirror       *mirror
	// restart is set when the on-site replica holds nothing of the file
	// and Litestream's staging beside the file can no longer supply its
	// first transaction: the staging is cleared so that Litestream starts
	// the replica afresh with a full snapshot.
	restart bool
}

// prepare sets up the replication of path to prefix under cfg: it
// reaches the on-site replica and builds the encrypting client, the mirror
// and Litestream's DB, without starting any of them.
func (r *Replicator) prepare(ctx context.Context, cfg Config, path, prefix string, key []byte) (*prepared, error) {
	rest, name, off, err := resolveIn(cfg, prefix)
	if err != nil {
		return nil, err
	}
	inner, err := cfg.Destination.client(rest)
	if err != nil {
		return nil, err
	}
	if err := inner.Init(ctx); err != nil {
		return nil, aura.Errorf(aura.EUNAVAILABLE, "Cannot reach the replica %s: %v", cfg.Destination, err)
	}
	p := &prepared{path: path, prefix: prefix, key: key, levels: levelsOf(cfg), onSite: inner, offDest: off}
	if name != "" {
		// An off-site target that cannot be reached now does not stop
		// the file from being replicated on-site: the mirror retries.
		if p.offSite, err = off.client(rest); err != nil {
			return nil, err
		}
		p.mirror = newMirror(name, off, inner, p.offSite, p.levels, r.log.With("db", path))
		p.mirror.onResult = func(err error) { r.noteTarget(name, err) }
		inner = &fanout{ReplicaClient: inner, m: p.mirror}
	}
	if p.client, err = NewClient(inner, key); err != nil {
		return nil, err
	}
	p.db = litestream.NewDB(path)
	p.db.Logger = r.lsLog
	p.db.MonitorInterval = cfg.MonitorInterval
	p.db.CheckpointInterval = cfg.CheckpointInterval
	p.db.MinCheckpointPageN = cfg.CheckpointPages
	p.db.Replica = litestream.NewReplicaWithClient(p.db, p.client)
	p.db.Replica.SyncInterval = cfg.SyncInterval
	return p, nil
}

// settle readies the on-site replica for Litestream, right before the file
// is attached (no other Litestream DB runs on it then). An empty on-site
// replica beside an off-site copy with history (a new server restored from
// the off-site copy) is filled from it first: Litestream reads its
// position from the on-site replica, and must continue that history rather
// than start another one whose files would collide with it off-site. An
// on-site replica still empty then is written from the file's first
// transaction on, which Litestream uploads from its staging beside the
// file; once the staging has dropped the first transactions (compacted,
// L0Retention), Litestream would fail on them forever, so the staging is
// cleared and the replica starts afresh with a full snapshot.
func (p *prepared) settle(ctx context.Context) error {
	if p.offSite != nil {
		if err := seedOnSite(ctx, p.onSite, p.offSite, p.levels); err != nil {
			return aura.Errorf(aura.EUNAVAILABLE, "Cannot fill the empty on-site replica from the off-site copy at %s: %v", p.offDest, err)
		}
	}
	empty, err := isEmpty(ctx, p.onSite, p.levels)
	if err != nil {
		return aura.Errorf(aura.EUNAVAILABLE, "Cannot read the on-site replica of %s: %v", p.path, err)
	}
	if !empty {
		return nil
	}
	_, maxTXID, err := p.db.MaxLTX()
	if err != nil {
		return fmt.Errorf("replica: local position of %s: %w", p.path, err)
	}
	if _, err := os.Stat(p.db.LTXPath(0, 1, 1)); maxTXID > 0 && err != nil {
		p.restart = true
	}
	return nil
}

// attach starts the prepared replication in store and records it in reg
// (whose mutex the caller holds) with refs holders.
func (r *Replicator) attach(ctx context.Context, reg *registration, p *prepared, cfg Config, store *litestream.Store, refs int) error {
	if p.restart {
		r.log.Info("the replica holds nothing of this database: replicating it afresh from a full snapshot", "db", p.path, "replica", cfg.Destination.String())
		if err := p.db.ResetLocalState(ctx); err != nil {
			return fmt.Errorf("replica: clear the staging of %s: %w", p.path, err)
		}
	}
	if err := store.RegisterDB(p.db); err != nil {
		return fmt.Errorf("replica: register %s: %w", p.path, err)
	}
	r.mu.Lock()
	reg.refs, reg.prefix, reg.keyFP, reg.key = refs, p.prefix, keys.Fingerprint(p.key), p.key
	reg.cfg, reg.store, reg.db, reg.client, reg.mirror = cfg, store, p.db, p.client, p.mirror
	r.mu.Unlock()
	reg.shipper.Store(startShipper(store, cfg, p.path))
	if p.mirror != nil {
		p.mirror.start()
	}
	return nil
}

// isEmpty reports whether a replica client holds no file at any level.
func isEmpty(ctx context.Context, c litestream.ReplicaClient, levels []int) (bool, error) {
	for _, level := range levels {
		itr, err := c.LTXFiles(ctx, level, 0, false)
		if err != nil {
			return false, err
		}
		any := itr.Next()
		if err := itr.Close(); err != nil {
			return false, err
		}
		if any {
			return false, nil
		}
	}
	return true, nil
}

// Unregister gives back one registration of path. When it was the last, it
// ships every committed change to the replica first (a final sync), writes
// a snapshot when none was taken in the current snapshot interval (and
// prunes what retention allows), then stops replicating the file and closes
// Litestream's connection to it; otherwise it only syncs. An unregistered
// path is a no-op. A failed final sync is returned, but the file is
// unregistered all the same.
func (r *Replicator) Unregister(ctx context.Context, path string) error {
	path, err := absPath(path)
	if err != nil {
		return err
	}
	r.mu.Lock()
	_, ok := r.dbs[path]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	reg, err := r.lock(path)
	if err != nil {
		return err
	}
	defer r.unlock(path, reg)
	if reg.refs == 0 {
		return nil
	}
	reg.refs--
	if reg.refs > 0 {
		// Litestream connects to a file lazily, on its first monitor
		// tick: sync explicitly, as detach does.
		if _, err := reg.store.SyncDB(ctx, path, true); err != nil {
			return fmt.Errorf("replica: final sync of %s: %w", path, err)
		}
		return nil
	}
	err = r.detach(ctx, reg, path, true)
	r.mu.Lock()
	reg.db, reg.client, reg.prefix, reg.keyFP, reg.key, reg.mirror, reg.store = nil, nil, "", "", nil, nil, nil
	r.mu.Unlock()
	return err
}

// detach ships every committed change of path to its replica (a final
// sync, then, with snapshot, a snapshot when one is due and the on-site
// retention), stops Litestream on it and ships the last files to the
// off-site target. reg's mutex is held. A failed final sync is returned,
// but the file is detached all the same.
func (r *Replicator) detach(ctx context.Context, reg *registration, path string, snapshot bool) error {
	reg.stopShipper()
	// Litestream connects to a file lazily, on its first monitor tick, and
	// skips the final sync of a file it has not connected to yet: sync
	// explicitly so a file closed right after it opened is replicated too.
	_, syncErr := reg.store.SyncDB(ctx, path, true)
	if syncErr != nil {
		syncErr = fmt.Errorf("replica: final sync of %s: %w", path, syncErr)
	}
	var snapErr, offErr error
	if syncErr == nil && snapshot {
		snapErr = r.snapshotIfDue(ctx, reg.store, reg.cfg, reg.db)
	}
	closeErr := reg.store.UnregisterDB(ctx, path)
	if m := reg.mirror; m != nil {
		offErr = r.finishMirror(ctx, m, reg.cfg)
	}
	return errors.Join(syncErr, snapErr, closeErr, offErr)
}

// finishMirror ships what the mirror still has queued to the off-site
// target (within the shutdown sync timeout), applies the off-site
// retention and stops the mirror. What an unreachable target misses is
// copied when the file is replicated again.
func (r *Replicator) finishMirror(ctx context.Context, m *mirror, cfg Config) error {
	defer m.close()
	// A target already failing is not waited for again: closing many
	// files (a shutdown) stays bounded by one timeout, not one per file.
	if since, failing := r.targetFailing(m.target); failing {
		return fmt.Errorf("replica: the off-site target %s has failed since %s; this file's last changes are copied when it is replicated again", m.target, since.UTC().Format(time.RFC3339))
	}
	fctx, cancel := context.WithTimeout(ctx, cfg.ShutdownSyncTimeout)
	defer cancel()
	if err := m.flush(fctx); err != nil {
		return fmt.Errorf("replica: final copy to the off-site target %s: %w", m.target, err)
	}
	if err := r.retainOffSite(fctx, m, cfg); err != nil {
		return fmt.Errorf("replica: retention of the off-site target %s: %w", m.target, err)
	}
	return nil
}

// snapshotIfDue writes a snapshot of db when none was written in the
// current snapshot interval, then applies retention. Litestream snapshots
// and prunes only the files registered when the interval comes round, and a
// tenant is registered only while it is open: without this, a tenant used
// only during the day would never be snapshotted, and its replica would
// grow without bound.
func (r *Replicator) snapshotIfDue(ctx context.Context, store *litestream.Store, cfg Config, db *litestream.DB) error {
	_, err := store.CompactDB(ctx, db, store.SnapshotLevel())
	if err != nil && !errors.Is(err, litestream.ErrNoCompaction) && !errors.Is(err, litestream.ErrCompactionTooEarly) {
		return fmt.Errorf("replica: snapshot %s: %w", db.Path(), err)
	}
	return r.enforceRetention(ctx, cfg, db)
}

// enforceRetention deletes the snapshots of db older than Retention by the
// Replicator's clock (the newest is always kept), then the files of the
// lower levels no kept snapshot needs: Litestream's Store does the same by
// the wall clock alone.
func (r *Replicator) enforceRetention(ctx context.Context, cfg Config, db *litestream.DB) error {
	minTXID, err := db.EnforceSnapshotRetention(ctx, r.now().Add(-cfg.Retention))
	if err != nil {
		return fmt.Errorf("replica: retention of %s: %w", db.Path(), err)
	}
	for i := range cfg.Levels {
		if err := db.EnforceRetentionByTXID(ctx, i+1, minTXID); err != nil {
			return fmt.Errorf("replica: retention of %s, level %d: %w", db.Path(), i+1, err)
		}
	}
	return nil
}

// Sync ships every change committed to path so far to the on-site replica
// and waits until the replica has it. It returns ENOTFOUND for a path not
// registered.
func (r *Replicator) Sync(ctx context.Context, path string) error {
	path, err := absPath(path)
	if err != nil {
		return err
	}
	// Under the path's lock: a file being moved to a new configuration
	// (Reconfigure) is synced once it is replicated there.
	reg, err := r.lock(path)
	if err != nil {
		return err
	}
	defer r.unlock(path, reg)
	return r.syncLocked(ctx, reg, path)
}

// syncLocked is Sync with reg's mutex held.
func (r *Replicator) syncLocked(ctx context.Context, reg *registration, path string) error {
	if reg.refs == 0 || reg.store == nil {
		return aura.Errorf(aura.ENOTFOUND, "%s is not replicated.", path)
	}
	if _, err := reg.store.SyncDB(ctx, path, true); err != nil {
		if errors.Is(err, litestream.ErrDatabaseNotFound) || errors.Is(err, litestream.ErrDatabaseNotOpen) {
			return aura.Errorf(aura.ENOTFOUND, "%s is not replicated.", path)
		}
		return fmt.Errorf("replica: sync %s: %w", path, err)
	}
	return nil
}

// SyncOffSite ships every change committed to path so far to the on-site
// replica and then to the off-site target, and waits until both have it.
// It returns ENOTFOUND for a path not registered, and the off-site
// target's error when it cannot be written.
func (r *Replicator) SyncOffSite(ctx context.Context, path string) error {
	if err := r.Sync(ctx, path); err != nil {
		return err
	}
	abs, _ := absPath(path)
	r.mu.Lock()
	reg := r.dbs[abs]
	var m *mirror
	if reg != nil {
		m = reg.mirror
	}
	r.mu.Unlock()
	if m == nil {
		return aura.Errorf(aura.ENOTFOUND, "%s has no off-site replica.", path)
	}
	if err := m.flush(ctx); err != nil {
		return fmt.Errorf("replica: copy to the off-site target %s: %w", m.target, err)
	}
	return nil
}

// Checkpoint ships path's WAL to the replica and then checkpoints it in
// TRUNCATE mode through Litestream, which owns checkpoints of a replicated
// file (a TRUNCATE checkpoint from an application connection waits for
// Litestream's read lock and fails). Afterwards the main file holds every
// committed page and the WAL is empty. It returns ENOTFOUND for a path not
// registered; the caller then checkpoints the file itself.
func (r *Replicator) Checkpoint(ctx context.Context, path string) error {
	path, err := absPath(path)
	if err != nil {
		return err
	}
	reg, err := r.lock(path)
	if err != nil {
		return err
	}
	defer r.unlock(path, reg)
	if reg.refs == 0 || reg.db == nil {
		return aura.Errorf(aura.ENOTFOUND, "%s is not replicated.", path)
	}
	if err := r.syncLocked(ctx, reg, path); err != nil {
		return err
	}
	if err := reg.db.Checkpoint(ctx, litestream.CheckpointModeTruncate); err != nil {
		return fmt.Errorf("replica: checkpoint %s: %w", path, err)
	}
	return nil
}

// Registered returns the absolute paths currently registered.
func (r *Replicator) Registered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var paths []string
	for path, reg := range r.dbs {
		if reg.db != nil {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	return paths
}

// Status is the replication state of one registered file.
type Status struct {
	Path   string
	Prefix string
	// Where is the on-site replica's destination, without secrets.
	Where string
	// LocalTXID is the newest transaction Litestream has staged from the
	// WAL; ReplicaTXID the newest the replica has confirmed.
	LocalTXID   uint64
	ReplicaTXID uint64
	// LastSync is when the replica last confirmed an upload (zero before
	// the first); LastSnapshot when the newest full snapshot was taken
	// (zero when the replica has none yet).
	LastSync     time.Time
	LastSnapshot time.Time
	// Lag is the age of the oldest staged change the replica does not have
	// yet: zero when in sync. Changes younger than the monitor interval
	// are not yet staged and not counted.
	Lag time.Duration
	// OffSite is the state of the off-site copy (nil without one).
	OffSite *TargetStatus `json:",omitempty"`
}

// TargetStatus is the replication state of a file's off-site copy: the
// same fields as Status has for the on-site replica.
type TargetStatus struct {
	Target       string // the target's name
	Where        string // its destination, without secrets
	ReplicaTXID  uint64
	LastSync     time.Time
	LastSnapshot time.Time
	Lag          time.Duration
	// Error is why the target cannot be written or read now ("" when it can).
	Error string `json:",omitempty"`
}

// lagOf returns the age of the staged change after txid (zero when local
// is not ahead), read from the header of its staged LTX file, or the time
// since fallback when that file is gone.
func lagOf(db *litestream.DB, txid, local uint64, fallback time.Time) time.Duration {
	if txid >= local {
		return 0
	}
	lag := time.Duration(0)
	if !fallback.IsZero() {
		lag = time.Since(fallback)
	}
	next := ltx.TXID(txid + 1)
	if f, err := os.Open(db.LTXPath(0, next, next)); err == nil {
		if hdr, _, err := ltx.PeekHeader(f); err == nil {
			lag = time.Since(time.UnixMilli(hdr.Timestamp))
		}
		f.Close()
	}
	return lag
}

// Status returns the replication state of path. It returns ENOTFOUND for a
// path not registered.
func (r *Replicator) Status(ctx context.Context, path string) (Status, error) {
	path, err := absPath(path)
	if err != nil {
		return Status{}, err
	}
	r.mu.Lock()
	reg := r.dbs[path]
	var prefix string
	var m *mirror
	var db *litestream.DB
	var where string
	if reg != nil {
		prefix, m, db, where = reg.prefix, reg.mirror, reg.db, reg.cfg.Destination.String()
	}
	r.mu.Unlock()
	if db == nil || reg == nil {
		return Status{}, aura.Errorf(aura.ENOTFOUND, "%s is not replicated.", path)
	}
	st := Status{Path: path, Prefix: prefix, Where: where, LastSync: db.LastSuccessfulSyncAt()}
	pos, err := db.Pos()
	if err != nil {
		return st, fmt.Errorf("replica: position of %s: %w", path, err)
	}
	st.LocalTXID = uint64(pos.TXID)
	st.ReplicaTXID = uint64(db.Replica.Pos().TXID)
	if snap, err := db.MaxLTXFileInfo(ctx, litestream.SnapshotLevel); err == nil && snap.MaxTXID > 0 {
		st.LastSnapshot = snap.CreatedAt
	}
	st.Lag = lagOf(db, st.ReplicaTXID, st.LocalTXID, st.LastSync)
	if m != nil {
		txid, last, snap, since, err := m.state()
		off := &TargetStatus{Target: m.target, Where: m.dest.String(), ReplicaTXID: uint64(txid), LastSync: last, LastSnapshot: snap}
		fallback := last
		if err != nil {
			off.Error = err.Error()
			fallback = since
		}
		off.Lag = lagOf(db, off.ReplicaTXID, st.LocalTXID, fallback)
		st.OffSite = off
	}
	return st, nil
}

// Inspect returns the replication state of the file at path and its replica
// under prefix (both the on-site replica and the off-site copy), decrypted
// with key. For a path registered in this process it is Status; otherwise
// (`aura backup status` beside a running server) it is read from
// Litestream's local staging directory beside the file and from the
// replicas themselves: LastSync is then the time of the newest state a
// replica holds. A replica with nothing yet gives zero replica fields. It
// returns ErrWrongKey or ErrTampered when the newest on-site file does not
// open with key; an off-site copy that cannot be read is reported in
// OffSite.Error.
func (r *Replicator) Inspect(ctx context.Context, path, prefix string, key []byte) (Status, error) {
	path, err := absPath(path)
	if err != nil {
		return Status{}, err
	}
	if st, err := r.Status(ctx, path); err == nil && st.Prefix == prefix {
		return st, nil
	}
	st := Status{Path: path, Prefix: prefix, Where: r.Config().Destination.String()}
	client, err := r.openReplica(ctx, prefix, key, OnSite)
	if err != nil {
		return st, err
	}
	if st.ReplicaTXID, st.LastSync, st.LastSnapshot, err = inspectClient(ctx, client); err != nil {
		return st, err
	}
	// Litestream's staging directory tells how far the file has been read.
	ldb := litestream.NewDB(path)
	defer ldb.Close(context.WithoutCancel(ctx))
	_, local, err := ldb.MaxLTX()
	if err != nil {
		return st, fmt.Errorf("replica: local position of %s: %w", path, err)
	}
	st.LocalTXID = uint64(local)
	st.Lag = lagOf(ldb, st.ReplicaTXID, st.LocalTXID, time.Time{})
	if _, name, dest, err := r.resolve(prefix); err == nil && name != "" {
		off := &TargetStatus{Target: name, Where: dest.String()}
		client, err := r.openReplica(ctx, prefix, key, OffSite)
		if err == nil {
			off.ReplicaTXID, off.LastSync, off.LastSnapshot, err = inspectClient(ctx, client)
		}
		if err != nil {
			off.Error = aura.ErrorMessage(err)
			if aura.ErrorCode(err) == aura.EINTERNAL {
				off.Error = err.Error()
			}
		}
		off.Lag = lagOf(ldb, off.ReplicaTXID, st.LocalTXID, time.Time{})
		st.OffSite = off
	}
	return st, nil
}

// inspectClient returns the newest transaction a replica holds, when it
// was written and when its newest snapshot was, after checking that the
// newest file opens with the client's key.
func inspectClient(ctx context.Context, client *Client) (txid uint64, lastSync, lastSnapshot time.Time, err error) {
	var newest *ltx.FileInfo
	for level := 0; level <= litestream.SnapshotLevel; level++ {
		itr, err := client.LTXFiles(ctx, level, 0, false)
		if err != nil {
			return 0, lastSync, lastSnapshot, fmt.Errorf("replica: list level %d: %w", level, err)
		}
		for itr.Next() {
			info := itr.Item()
			if newest == nil || info.MaxTXID > newest.MaxTXID {
				newest = info
			}
			if level == litestream.SnapshotLevel && info.CreatedAt.After(lastSnapshot) {
				lastSnapshot = info.CreatedAt
			}
		}
		if err := itr.Close(); err != nil {
			return 0, lastSync, lastSnapshot, fmt.Errorf("replica: list level %d: %w", level, err)
		}
	}
	if newest == nil {
		return 0, lastSync, lastSnapshot, nil
	}
	if _, err := litestream.FetchLTXHeader(ctx, client, newest); err != nil {
		return 0, lastSync, lastSnapshot, err
	}
	return uint64(newest.MaxTXID), newest.CreatedAt, lastSnapshot, nil
}

// Point is a state a replica can be restored to: the last transaction it
// includes and when Litestream staged it.
type Point struct {
	TXID uint64
	Time time.Time
	// From is where it was read: OnSite or OffSite (empty for a snapshot
	// of a Timeline).
	From string `json:",omitempty"`
}

// Restore is RestoreFrom with from "": the on-site replica when it holds
// the time, else the off-site copy.
func (r *Replicator) Restore(ctx context.Context, prefix string, key []byte, outputPath string, at time.Time) (Point, error) {
	return r.RestoreFrom(ctx, prefix, key, outputPath, at, "")
}

// RestoreFrom writes the state of the replica under prefix, decrypted with
// key, to outputPath: the newest state when at is zero, else the newest
// state staged before at (point-in-time precision is the sync interval).
// from chooses the replica: OnSite, OffSite, or "" for the on-site one
// when it holds such a state and can be read, else the off-site copy (the
// on-site replica keeps less time, and is lost with the server). The
// Point says which was read. The file passes SQLite's integrity_check or
// is removed. It never touches a live file: it refuses an existing
// outputPath with ECONFLICT. It returns ENOTFOUND when the replica holds no
// state at or before at, EUNAUTHORIZED (ErrWrongKey) for a wrong key,
// EINVALID (ErrTampered) when a replica file fails authentication, and
// EINVALID for an unknown from or an off-site restore without a target.
func (r *Replicator) RestoreFrom(ctx context.Context, prefix string, key []byte, outputPath string, at time.Time, from string) (Point, error) {
	if from == "" {
		p, err := r.RestoreFrom(ctx, prefix, key, outputPath, at, OnSite)
		if c := aura.ErrorCode(err); (c == aura.ENOTFOUND || c == aura.EUNAVAILABLE) && r.hasOffSite(prefix) {
			p, offErr := r.RestoreFrom(ctx, prefix, key, outputPath, at, OffSite)
			if offErr != nil {
				return p, fmt.Errorf("%w (on-site: %s)", offErr, aura.ErrorMessage(err))
			}
			return p, nil
		}
		return p, err
	}
	if _, err := os.Lstat(outputPath); err == nil {
		return Point{}, aura.Errorf(aura.ECONFLICT, "%s already exists; restore into a new file.", outputPath)
	}
	client, err := r.openReplica(ctx, prefix, key, from)
	if err != nil {
		return Point{}, err
	}
	plan, err := litestream.CalcRestorePlan(ctx, client, 0, at, r.log)
	if errors.Is(err, litestream.ErrTxNotAvailable) {
		if at.IsZero() {
			return Point{}, aura.Errorf(aura.ENOTFOUND, "The %s replica %s holds no backup.", from, prefix)
		}
		return Point{}, aura.Errorf(aura.ENOTFOUND, "The %s replica %s holds no state from before %s.", from, prefix, at.UTC().Format(time.RFC3339))
	} else if err != nil {
		return Point{}, fmt.Errorf("replica: plan the restore of %s: %w", prefix, err)
	}
	last := plan[len(plan)-1]
	// Authenticate one file before Litestream starts: a wrong key then fails
	// at once with a clear error instead of after Litestream's read retries.
	if _, err := litestream.FetchLTXHeader(ctx, client, last); err != nil {
		return Point{}, err
	}
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = outputPath
	opt.TXID = last.MaxTXID
	opt.IntegrityCheck = litestream.IntegrityCheckFull
	// A DB that is never opened, only so Litestream logs through our logger.
	ldb := litestream.NewDB(outputPath)
	ldb.Logger = r.lsLog
	rep := litestream.NewReplicaWithClient(ldb, client)
	defer ldb.Close(context.WithoutCancel(ctx))
	if err := rep.Restore(ctx, opt); err != nil {
		return Point{}, fmt.Errorf("replica: restore %s into %s: %w", prefix, outputPath, err)
	}
	return Point{TXID: uint64(last.MaxTXID), Time: last.CreatedAt, From: from}, nil
}

// hasOffSite reports whether prefix has an off-site target.
func (r *Replicator) hasOffSite(prefix string) bool {
	_, name, _, err := r.resolve(prefix)
	return err == nil && name != ""
}

// Timeline is what a replica offers to restore.
type Timeline struct {
	// Earliest and Latest bound the times a restore can reach.
	Earliest time.Time
	Latest   Point
	// Snapshots are the full snapshots kept, oldest first.
	Snapshots []Point
}

// Timeline lists what the on-site replica under prefix holds (TimelineFrom
// OnSite).
func (r *Replicator) Timeline(ctx context.Context, prefix string, key []byte) (Timeline, error) {
	return r.TimelineFrom(ctx, prefix, key, OnSite)
}

// TimelineFrom lists what the replica under prefix holds at from (OnSite or
// OffSite), after checking that key opens it. It returns ENOTFOUND for an
// empty replica, and ErrWrongKey or ErrTampered as Restore does.
func (r *Replicator) TimelineFrom(ctx context.Context, prefix string, key []byte, from string) (Timeline, error) {
	client, err := r.openReplica(ctx, prefix, key, from)
	if err != nil {
		return Timeline{}, err
	}
	var tl Timeline
	var newest *ltx.FileInfo
	for level := 0; level <= litestream.SnapshotLevel; level++ {
		infos, err := litestream.FindLTXFiles(ctx, client, level, true, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil {
			return Timeline{}, fmt.Errorf("replica: list %s level %d: %w", prefix, level, err)
		}
		for _, info := range infos {
			if info.MinTXID == 1 && (tl.Earliest.IsZero() || info.CreatedAt.Before(tl.Earliest)) {
				tl.Earliest = info.CreatedAt
			}
			if newest == nil || info.MaxTXID > newest.MaxTXID {
				newest = info
			}
			if level == litestream.SnapshotLevel {
				tl.Snapshots = append(tl.Snapshots, Point{TXID: uint64(info.MaxTXID), Time: info.CreatedAt})
			}
		}
	}
	if newest == nil {
		return Timeline{}, aura.Errorf(aura.ENOTFOUND, "The %s replica %s holds no backup.", from, prefix)
	}
	if _, err := litestream.FetchLTXHeader(ctx, client, newest); err != nil {
		return Timeline{}, err
	}
	tl.Latest = Point{TXID: uint64(newest.MaxTXID), Time: newest.CreatedAt, From: from}
	return tl, nil
}

// openReplica opens the replica of prefix at from (OnSite or OffSite).
func (r *Replicator) openReplica(ctx context.Context, prefix string, key []byte, from string) (*Client, error) {
	if err := validPrefix(prefix); err != nil {
		return nil, err
	}
	cfg := r.Config()
	rest, name, dest, err := resolveIn(cfg, prefix)
	if err != nil {
		return nil, err
	}
	switch from {
	case OnSite:
		dest = cfg.Destination
	case OffSite:
		if name == "" {
			return nil, aura.Errorf(aura.EINVALID, "There is no off-site replica: the replication config names no off-site target.")
		}
	default:
		return nil, aura.Errorf(aura.EINVALID, "Restore from %q? Use %s or %s.", from, OnSite, OffSite)
	}
	inner, err := dest.client(rest)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(inner, key)
	if err != nil {
		return nil, err
	}
	if err := client.Init(ctx); err != nil {
		return nil, aura.Errorf(aura.EUNAVAILABLE, "Cannot reach the replica %s: %v", dest, err)
	}
	return client, nil
}

// Close ships the last changes of every registered file to the replica and
// stops replicating. Register fails with EUNAVAILABLE afterwards.
func (r *Replicator) Close(ctx context.Context) error {
	r.reconf.Lock()
	defer r.reconf.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.stop != nil {
		r.stop()
	}
	stores := append([]*litestream.Store{r.store}, r.retired...)
	var ms []*mirror
	var mcfgs []Config
	var regs []*registration
	for _, reg := range r.dbs {
		regs = append(regs, reg)
		if reg.mirror != nil {
			ms, mcfgs = append(ms, reg.mirror), append(mcfgs, reg.cfg)
		}
	}
	r.mu.Unlock()
	// The compaction monitors were told to stop above; one still
	// snapshotting a file must finish before the stores close it.
	r.compacting.Wait()
	for _, reg := range regs {
		reg.stopShipper()
	}
	// As in Unregister: Litestream skips the final sync of a file it has
	// not connected to yet, so sync every file explicitly first.
	var errs []error
	for _, store := range stores {
		for _, db := range store.DBs() {
			if _, err := store.SyncDB(ctx, db.Path(), true); err != nil {
				errs = append(errs, fmt.Errorf("replica: final sync of %s: %w", db.Path(), err))
			}
		}
		errs = append(errs, store.Close(ctx))
	}
	for i, m := range ms {
		if err := r.finishMirror(ctx, m, mcfgs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reconfigure makes cfg the configuration of every file registered and of
// every file registered later, without a gap in any replica: each file in
// turn is synced to its replica under the old configuration (the last
// changes shipped to the old on-site replica and off-site target), then
// registered again under cfg. Changes committed meanwhile wait in the WAL
// and are shipped under cfg. A destination that holds nothing of a file
// receives its whole history: Litestream's staging beside the file supplies
// it while it holds the first transaction, else the replica starts afresh
// with a full snapshot of the file as it is (a restore from there reaches
// any state from the move on; earlier states stay at the old destination,
// which Aura no longer writes nor prunes). A cfg equal to the running one
// changes nothing and returns false.
//
// Nothing changes when cfg is invalid (EINVALID), names no target a
// registered prefix uses (EINVALID), or its on-site replica cannot be
// reached (EUNAVAILABLE). A file that cannot be set up under cfg keeps
// replicating under the old configuration, and its error is returned.
func (r *Replicator) Reconfigure(ctx context.Context, cfg Config) (bool, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return false, err
	}
	r.reconf.Lock()
	defer r.reconf.Unlock()
	old, oldStore := r.current()
	if cfg.Logger == nil {
		cfg.Logger = old.Logger
	}
	if cfg.Now == nil {
		cfg.Now = old.Now
	}
	if sameConfig(old, cfg) {
		return false, nil
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false, aura.Errorf(aura.EUNAVAILABLE, "Replication is shutting down.")
	}
	var prefixes []string
	for _, reg := range r.dbs {
		if reg.prefix != "" {
			prefixes = append(prefixes, reg.prefix)
		}
	}
	r.mu.Unlock()
	for _, prefix := range prefixes {
		if _, _, _, err := resolveIn(cfg, prefix); err != nil {
			return false, aura.Errorf(aura.EINVALID, "%s (a database replicated to %s uses it)", aura.ErrorMessage(err), prefix)
		}
	}
	probe, err := cfg.Destination.client("")
	if err != nil {
		return false, err
	}
	if err := probe.Init(ctx); err != nil {
		return false, aura.Errorf(aura.EUNAVAILABLE, "Cannot reach the replica %s: %v", cfg.Destination, err)
	}
	store, err := openStore(cfg, r.lsLog)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	r.cfg, r.store, r.failing = cfg, store, nil
	r.startRetention(cfg)
	paths := make([]string, 0, len(r.dbs))
	for path := range r.dbs {
		paths = append(paths, path)
	}
	r.mu.Unlock()
	sort.Strings(paths)
	var errs []error
	for _, path := range paths {
		if err := r.move(ctx, path, cfg, store); err != nil {
			errs = append(errs, err)
		}
	}
	// The old store is closed once no file uses it any more.
	r.mu.Lock()
	inUse := false
	for _, reg := range r.dbs {
		inUse = inUse || reg.store == oldStore
	}
	if inUse {
		r.retired = append(r.retired, oldStore)
	}
	r.mu.Unlock()
	if !inUse {
		if err := oldStore.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("replica: close the previous replication: %w", err))
		}
	}
	return true, errors.Join(errs...)
}

// move registers path again under cfg and store, after a final sync under
// the configuration it was registered with. A file that cannot be set up
// under cfg stays where it was.
func (r *Replicator) move(ctx context.Context, path string, cfg Config, store *litestream.Store) error {
	reg, err := r.lock(path)
	if err != nil {
		return err
	}
	defer r.unlock(path, reg)
	if reg.refs == 0 || reg.store == nil || reg.store == store {
		return nil
	}
	// Everything that can fail under cfg is done before the file leaves
	// its current replica.
	p, err := r.prepare(ctx, cfg, path, reg.prefix, reg.key)
	if err != nil {
		return fmt.Errorf("replica: %s keeps replicating to %s: %w", path, reg.cfg.Destination, err)
	}
	if err := r.detach(ctx, reg, path, false); err != nil {
		// The changes the old replica missed are in the new one: it
		// continues the same history from the file's staging, or starts
		// with a full snapshot.
		r.log.Warn("the last changes before the replication config changed did not all reach the previous replica; the new one has them", "db", path, "err", err)
	}
	if err := p.settle(ctx); err != nil {
		r.log.Warn("the new replica could not be readied; Litestream retries", "db", path, "err", err)
	}
	if err := r.attach(ctx, reg, p, cfg, store, reg.refs); err != nil {
		r.mu.Lock()
		reg.refs, reg.db, reg.store, reg.mirror, reg.client = 0, nil, nil, nil, nil
		r.mu.Unlock()
		return fmt.Errorf("replica: %s is no longer replicated: %w", path, err)
	}
	return nil
}

// sameConfig reports whether a and b replicate the same way (their
// loggers and clocks aside).
func sameConfig(a, b Config) bool {
	a.Logger, b.Logger, a.Now, b.Now = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// PruneOffSite deletes every file of the off-site copy of prefix (a
// tenant's copy at a target it has moved away from). The caller checks
// first that the copy is no longer needed. It returns EINVALID when prefix
// has no off-site target.
func (r *Replicator) PruneOffSite(ctx context.Context, prefix string) error {
	if err := validPrefix(prefix); err != nil {
		return err
	}
	rest, name, dest, err := r.resolve(prefix)
	if err != nil {
		return err
	}
	if name == "" {
		return aura.Errorf(aura.EINVALID, "%s has no off-site target to prune.", prefix)
	}
	c, err := dest.client(rest)
	if err != nil {
		return err
	}
	if err := c.Init(ctx); err != nil {
		return aura.Errorf(aura.EUNAVAILABLE, "Cannot reach the replica %s: %v", dest, err)
	}
	if err := c.DeleteAll(ctx); err != nil {
		return fmt.Errorf("replica: prune %s at %s: %w", rest, dest, err)
	}
	return nil
}

// RetainOffSite applies the off-site retention, by the Replicator's clock,
// to the off-site copy of prefix whether or not a file is registered
// there (a tenant's copy at a target it moved away from is retained until
// it is pruned).
func (r *Replicator) RetainOffSite(ctx context.Context, prefix string) error {
	rest, name, dest, err := r.resolve(prefix)
	if err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	c, err := dest.client(rest)
	if err != nil {
		return err
	}
	if err := c.Init(ctx); err != nil {
		return aura.Errorf(aura.EUNAVAILABLE, "Cannot reach the replica %s: %v", dest, err)
	}
	return retain(ctx, c, r.now().Add(-r.Config().OffSiteRetention), r.levels())
}

// StagingDir returns the directory beside a database file where Litestream
// keeps its working copies (plaintext LTX files of recent changes) while the
// file is replicated. Deleting a database must delete this directory too.
func StagingDir(path string) string {
	dir, file := filepath.Split(path)
	return filepath.Join(dir, "."+file+litestream.MetaDirSuffix)
}

// client returns the plain (not yet encrypting) Litestream client of one
// prefix of the destination.
func (d Destination) client(prefix string) (litestream.ReplicaClient, error) {
	switch d.Type {
	case TypeFile:
		return file.NewReplicaClient(filepath.Join(d.Path, filepath.FromSlash(prefix))), nil
	case TypeS3:
		c := s3.NewReplicaClient()
		c.Bucket, c.Region, c.Endpoint, c.ForcePathStyle = d.Bucket, d.Region, d.Endpoint, d.ForcePathStyle
		c.AccessKeyID, c.SecretAccessKey = d.AccessKeyID, d.SecretAccessKey
		c.Path = strings.Trim(path.Join(d.Path, prefix), "/")
		return c, nil
	}
	return nil, aura.Errorf(aura.EINVALID, "Replica type %q is not supported; use file or s3.", d.Type)
}

func absPath(path string) (string, error) {
	if path == "" {
		return "", aura.Errorf(aura.EINVALID, "A database path is required.")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", aura.Errorf(aura.EINVALID, "Bad database path %s: %v", path, err)
	}
	return abs, nil
}

// resolve splits a prefix into the prefix inside each replica (rest), and
// the off-site target it is copied to: "@NAME/rest" at the target NAME,
// any other at the default target (name "" when there is none). The
// on-site replica is Config.Destination for every prefix.
func (r *Replicator) resolve(prefix string) (rest, name string, off Destination, err error) {
	return resolveIn(r.Config(), prefix)
}

// resolveIn is resolve under cfg.
func resolveIn(cfg Config, prefix string) (rest, name string, off Destination, err error) {
	name, rest = cfg.DefaultTarget, prefix
	if strings.HasPrefix(prefix, "@") {
		name, rest, _ = strings.Cut(prefix[1:], "/")
	}
	if name == "" {
		return rest, "", Destination{}, nil
	}
	dest, ok := cfg.Targets[name]
	if !ok {
		return "", "", Destination{}, aura.Errorf(aura.EINVALID, "The replica target %q is not in the replication config.", name)
	}
	return rest, name, dest, nil
}

// RegisteredPrefix returns the prefix path is replicated to, or "" when
// it is not registered.
func (r *Replicator) RegisteredPrefix(path string) string {
	path, err := absPath(path)
	if err != nil {
		return ""
	}
	r.mu.Lock()
	reg := r.dbs[path]
	r.mu.Unlock()
	if reg == nil {
		return ""
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.prefix
}

// validPrefix accepts relative slash-separated prefixes such as
// "tenants/tnt_abc" or "platform", optionally at a named target
// ("@NAME/tenants/tnt_abc").
func validPrefix(prefix string) error {
	if strings.HasPrefix(prefix, "@") {
		name, rest, ok := strings.Cut(prefix[1:], "/")
		if !ok || !validTargetName(name) {
			return aura.Errorf(aura.EINVALID, "Bad replica prefix %q: a target is named @NAME/ with lowercase letters, digits and -.", prefix)
		}
		prefix = rest
	}
	if prefix == "" || strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		return aura.Errorf(aura.EINVALID, "Bad replica prefix %q: it must be a relative path such as tenants/ID.", prefix)
	}
	for _, part := range strings.Split(prefix, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, "\\\x00") {
			return aura.Errorf(aura.EINVALID, "Bad replica prefix %q: it must be a relative path such as tenants/ID.", prefix)
		}
	}
	return nil
}

// minLevel drops log records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
