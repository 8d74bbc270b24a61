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
type tenantCache struct {
	path string

	mu      sync.Mutex
	pool    *sql.DB   // a pool of one connection, opened on first use
	conn    *sql.Conn // held, so data_version always speaks of one connection
	stmt    *sql.Stmt // PRAGMA data_version, prepared on conn
	version int64     // data_version when bySlug was last known good
	bySlug  map[string]Tenant
}

// lookup returns the file's data_version now and the tenant of slug when
// the cache holds it under that version (hit), forgetting every tenant read
// under another one. ok is false when the version could not be read; the
// caller then reads without the cache.
func (c *tenantCache) lookup(ctx context.Context, slug string) (t Tenant, v int64, hit, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok = c.check(ctx); !ok {
		return Tenant{}, 0, false, false
	}
	if t, hit = c.bySlug[slug]; hit {
		t.wrapped = bytes.Clone(t.wrapped) // the caller's own copy
	}
	return t, v, hit, true
}

// check reads data_version; c.mu is held.
func (c *tenantCache) check(ctx context.Context) (v int64, ok bool) {
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
		c.conn, c.stmt = conn, stmt
		c.bySlug = nil // a new connection counts from its own start
	}
	if err := c.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		c.stmt.Close()
		c.conn.Close()
		c.conn, c.stmt, c.bySlug = nil, nil, nil
		return 0, false
	}
	if c.bySlug == nil || v != c.version {
		c.bySlug, c.version = make(map[string]Tenant), v
	}
	return v, true
}

// put keeps t, read after data_version was v, unless the file has changed
// since (the next check would drop it anyway).
func (c *tenantCache) put(slug string, v int64, t Tenant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bySlug == nil || c.version != v {
		return
	}
	t.wrapped = bytes.Clone(t.wrapped)
	c.bySlug[slug] = t
}

// close closes the cache's connection.
func (c *tenantCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.stmt.Close()
		c.conn.Close()
	}
	if c.pool != nil {
		c.pool.Close()
	}
	c.conn, c.stmt, c.pool, c.bySlug = nil, nil, nil, nil
}
