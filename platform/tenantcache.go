package platform

import (
	"bytes"
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/aurapms/aura/sqlite"
)

// tenantCache keeps the tenants TenantBySlug read (every request of a
// tenant asks for its row: about 8% of a cheap read's CPU went to that
// read transaction) for as long as the platform file has not changed.
//
// A change is noticed by SQLite's PRAGMA data_version on a connection of
// the cache's own, which no one writes through: its value changes whenever
// any other connection commits to the file, the server's own writer and
// another process alike (`aura tenant suspend` run from the command line).
// Each lookup asks for it first, a pragma that reads the WAL index in
// shared memory and touches no table, so a suspension committed before a
// request began is seen by that request, as without the cache.
//
// Lookups made at the same moment share one pragma: a lookup waits for a
// check that started after it was called (never one already running, which
// may have read the version before a commit the request follows), and
// every lookup waiting then takes that check's answer.
type tenantCache struct {
	path string

	mu       sync.Mutex
	done     sync.Cond // broadcast when a check ends; L is &mu
	checking bool      // a check runs (outside mu)
	started  uint64    // checks started
	finished uint64    // the sequence number of the last check that ended
	readOK   bool      // whether that check read the version
	closed   bool

	// The checker's connection: only the one running check touches these.
	pool *sql.DB   // a pool of one connection, opened on first use
	conn *sql.Conn // held, so data_version always speaks of one connection
	stmt *sql.Stmt // PRAGMA data_version, prepared on conn
	// fresh is set when conn is new: its data_version counts from its own
	// start, so nothing read before may be kept.
	fresh bool

	version int64  // data_version when bySlug was last known good
	gen     uint64 // counts the times bySlug was started afresh
	bySlug  map[string]Tenant
}

// lookup returns the tenant of slug when the cache holds it under the
// file's data_version now (hit), forgetting every tenant read under another
// one, and the generation of the cache to put a row read now under. ok is
// false when the version could not be read; the caller then reads without
// the cache.
func (c *tenantCache) lookup(ctx context.Context, slug string) (t Tenant, gen uint64, hit, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done.L == nil {
		c.done.L = &c.mu
	}
	need := c.started + 1
	for c.finished < need {
		if c.checking {
			c.done.Wait()
			continue
		}
		c.checking = true
		c.started++
		seq := c.started
		closed := c.closed
		c.mu.Unlock()
		var v int64
		var ok bool
		if !closed {
			v, ok = c.read(ctx)
		}
		c.mu.Lock()
		if ok && (c.bySlug == nil || c.fresh || v != c.version) {
			c.bySlug, c.version, c.fresh = make(map[string]Tenant), v, false
			c.gen++
		}
		c.readOK = ok
		c.finished, c.checking = seq, false
		c.done.Broadcast()
	}
	if !c.readOK {
		return Tenant{}, 0, false, false
	}
	if t, hit = c.bySlug[slug]; hit {
		t.wrapped = bytes.Clone(t.wrapped) // the caller's own copy
	}
	return t, c.gen, hit, true
}

// read asks data_version on the checker's connection, opening it first
// when needed. Only the running check calls it.
func (c *tenantCache) read(ctx context.Context) (v int64, ok bool) {
	if c.conn == nil {
		if c.pool == nil {
			pool, err := sql.Open("sqlite", sqlite.DSN(c.path, 5*time.Second, false))
			if err != nil {
				return 0, false
			}
			pool.SetMaxOpenConns(1)
			c.pool = pool
		}
		conn, err := c.pool.Conn(ctx)
		if err != nil {
			return 0, false
		}
		stmt, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
		if err != nil {
			conn.Close()
			return 0, false
		}
		c.conn, c.stmt, c.fresh = conn, stmt, true
	}
	if err := c.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		c.stmt.Close()
		c.conn.Close()
		c.conn, c.stmt = nil, nil
		return 0, false
	}
	if afterVersionRead != nil {
		afterVersionRead()
	}
	return v, true
}

// afterVersionRead, when set (tests only), runs in a check right after it
// read data_version, so a test can hold a check there.
var afterVersionRead func()

// put keeps t, read after lookup returned gen, unless the cache has started
// afresh since (the file changed, or the checker's connection is new).
func (c *tenantCache) put(slug string, gen uint64, t Tenant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bySlug == nil || c.gen != gen {
		return
	}
	t.wrapped = bytes.Clone(t.wrapped)
	c.bySlug[slug] = t
}

// close closes the cache's connection, after a running check ends.
func (c *tenantCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done.L == nil {
		c.done.L = &c.mu
	}
	for c.checking {
		c.done.Wait()
	}
	c.closed = true
	if c.conn != nil {
		c.stmt.Close()
		c.conn.Close()
	}
	if c.pool != nil {
		c.pool.Close()
	}
	c.conn, c.stmt, c.pool, c.bySlug = nil, nil, nil, nil
}
