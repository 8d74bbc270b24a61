// Package tenant is the file layer of a tenant's own SQLite file: the
// Router that opens and closes those files, the DB handle it hands out
// (acquire and release, Update and View, Tx), sealing of columns and the
// per-subject keys of guest data, the audit glue (reading, verifying and
// unsealing the file's chain), settings rows and the small helpers every
// store shares (validation errors, versions, times, money).
//
// Code can reach tenant data only through a *DB, and only the Router hands
// one out, so a request for one tenant can never read another tenant's
// rows. What is stored lives in the domain packages above this one
// (tenant/identity, tenant/inventory, tenant/stays, tenant/frontdesk, and
// the books in tenant/ledger and tenant/payments); this package imports
// none of them. It may import only the leaves (aura, audit, date, keys,
// locale, schema, sqlite).
package tenant

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// Tx is the transaction every tenant store method runs in: one `now`, and an
// Audit method that appends to the tenant's chain in the same transaction.
type Tx = sqlite.Tx

// DB is one open tenant file. It is handed out by Router.Acquire and must be
// given back with Release; it stays open while any holder has it.
type DB struct {
	ID   string
	Slug string
	Path string

	chain *sqlite.Chain
	seal  *keys.AEAD // seals tenant-level columns
	key   []byte     // the tenant data key, from which purpose keys are derived

	refs     atomic.Int64
	writes   atomic.Uint64 // write transactions ended on this handle (Writes)
	lastUsed atomic.Int64  // unix nanoseconds
	doomed   atomic.Bool
	close    sync.Once
	closed   chan struct{}
	router   *Router
}

// FileName returns the file name of a tenant's database: its id, never its slug.
func FileName(id string) string { return id + ".db" }

// Create makes a new tenant file at path, migrates it, binds it to the tenant
// id and writes the first row of its audit chain ("tenant.created"). It fails
// with ECONFLICT when the file exists.
func Create(ctx context.Context, path, id, slug, name string, now time.Time) error {
	if _, err := os.Stat(path); err == nil {
		return aura.Errorf(aura.ECONFLICT, "The tenant file %s already exists.", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	sdb, err := sqlite.Open(path, sqlite.Options{ReadConns: 1})
	if err != nil {
		return err
	}
	defer sdb.Close()
	if _, err := schema.Migrate(ctx, sdb.Write, schema.Tenant, path); err != nil {
		return err
	}
	chain := &sqlite.Chain{DB: sdb, ID: id, Now: func() time.Time { return now }}
	return chain.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`INSERT INTO tenant_meta (key, value) VALUES ('tenant_id', ?), ('created_at', ?)`,
			id, tx.Now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "tenant.created", EntityType: "tenant", EntityID: id,
			After: map[string]string{"id": id, "slug": slug, "name": name}})
	})
}

// open opens an existing tenant file, applies pending migrations and checks
// that the file belongs to the tenant it is opened for.
func open(ctx context.Context, path string, info Info, readConns int, now func() time.Time) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "The file of tenant %s is missing: %v", info.Slug, err)
	}
	sdb, err := sqlite.Open(path, sqlite.Options{ReadConns: readConns})
	if err != nil {
		return nil, err
	}
	if _, err := schema.Migrate(ctx, sdb.Write, schema.Tenant, path); err != nil {
		sdb.Close()
		return nil, err
	}
	var owner string
	if err := sdb.Read.QueryRowContext(ctx, `SELECT value FROM tenant_meta WHERE key = 'tenant_id'`).Scan(&owner); err != nil || owner != info.ID {
		sdb.Close()
		return nil, aura.Errorf(aura.EINTERNAL, "The file %s does not belong to tenant %s (it names %q).", path, info.ID, owner)
	}
	db := &DB{
		ID:     info.ID,
		Slug:   info.Slug,
		Path:   path,
		chain:  &sqlite.Chain{DB: sdb, ID: info.ID, Now: now},
		seal:   keys.NewAEAD(keys.Derive(info.DataKey, "tenant-seal")),
		key:    info.DataKey,
		closed: make(chan struct{}),
	}
	return db, nil
}

// OpenFile opens a tenant file outside any router, for work on the file
// itself while the tenant is out of service (a restore) or not served at
// all (a restore drill's scratch copy). Pending migrations are applied. The
// caller closes it with Close.
func OpenFile(ctx context.Context, path string, info Info, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	return open(ctx, path, info, 2, now)
}

// Close closes a handle opened with OpenFile.
func (db *DB) Close() error {
	db.retire()
	<-db.closed
	return nil
}

// Update runs fn in a write transaction on this tenant's file.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	defer db.writes.Add(1)
	return db.chain.Update(ctx, fn)
}

// Writes counts the write transactions that have ended on this handle,
// committed or not; the count moves after each has ended. A count read
// before a read transaction and still the same later means nothing was
// written through this handle since, so what that read saw is still
// current: the server's cache of verified API tokens relies on it.
func (db *DB) Writes() uint64 { return db.writes.Load() }

// View runs fn in a read transaction on this tenant's file.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return db.chain.View(ctx, fn)
}

// SQL returns the underlying pools, for the few callers that manage the file
// itself (replication, backups, benchmarks of the raw file). Store methods
// use Update and View.
func (db *DB) SQL() *sqlite.DB { return db.chain.DB }

// DerivedKey returns a key derived from the tenant data key for one purpose
// (for example "replica"); the data key itself never leaves this package.
func (db *DB) DerivedKey(purpose string) []byte { return keys.Derive(db.key, purpose) }

// Release gives the handle back to the router. After the last holder
// releases a handle the router has retired, the file is closed.
func (db *DB) Release() {
	if db.refs.Add(-1) == 0 && db.doomed.Load() {
		db.shutdown()
	}
}

// retire marks the handle for closing; it closes now if nobody holds it,
// otherwise when its last holder releases it, so no transaction in flight
// is ever cut off.
func (db *DB) retire() {
	db.doomed.Store(true)
	if db.refs.Load() == 0 {
		db.shutdown()
	}
}

func (db *DB) shutdown() {
	db.close.Do(func() {
		if db.router != nil && db.router.cfg.OnClose != nil {
			db.router.cfg.OnClose(db)
		}
		if err := db.chain.Close(); err != nil && db.router != nil {
			db.router.logf("tenant %s: close: %v", db.Slug, err)
		}
		close(db.closed)
	})
}

// Closed returns a channel closed once the file has been closed.
func (db *DB) Closed() <-chan struct{} { return db.closed }

// AuditHead returns the position of the newest row of the tenant's chain.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	return audit.ReadHead(ctx, db.chain.Read, db.ID)
}

// VerifyAudit verifies the tenant's whole audit chain against its
// checkpoint log (checked with audit.CheckLog by the caller).
func (db *DB) VerifyAudit(ctx context.Context, log []audit.Checkpoint) (audit.Result, error) {
	return audit.Verify(ctx, db.chain.Read, db.ID, log)
}

// AuditRows returns read access to the tenant's chain, for checks that walk
// part of it (audit.VerifySince).
func (db *DB) AuditRows() audit.Querier { return db.chain.Read }

func (db *DB) String() string { return fmt.Sprintf("tenant %s (%s)", db.Slug, db.ID) }
