package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

// Chain binds a pool pair to its audit chain and clock. Every write to an
// Aura database goes through Chain.Update, which gives the transaction one
// `now` and an Audit method that appends to the file's chain in the same
// transaction.
type Chain struct {
	*DB
	// ID is the chain id (the tenant id, or "platform"); the genesis hash binds it.
	ID string
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// GroupWait bounds how long a group of write requests admits more
	// after its first one ran (default DefaultGroupWait; see Update).
	GroupWait time.Duration
	// GroupIdle bounds how long a group whose requests stopped coming
	// waits for one more (default DefaultGroupIdle; see Update).
	GroupIdle time.Duration

	stmts stmtCache
	w     writer
}

// stmtCache keeps prepared statements per pool, so a query that runs
// thousands of times is parsed once per connection instead of every time.
// Statements are prepared after a transaction ends, never inside one: the
// write pool has a single connection, which the transaction holds.
type stmtCache struct {
	mu    sync.RWMutex
	pools map[*sql.DB]map[string]*sql.Stmt
}

const maxCachedStmts = 1024

func (c *stmtCache) get(pool *sql.DB, query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.pools[pool][query]
}

// prepare prepares the queries a finished transaction ran uncached.
func (c *stmtCache) prepare(ctx context.Context, pool *sql.DB, queries []string) {
	for _, q := range queries {
		c.mu.RLock()
		_, ok := c.pools[pool][q]
		n := len(c.pools[pool])
		c.mu.RUnlock()
		if ok || n >= maxCachedStmts {
			continue
		}
		st, err := pool.PrepareContext(ctx, q)
		if err != nil {
			continue // the query ran fine uncached; keep running it that way
		}
		c.mu.Lock()
		if c.pools == nil {
			c.pools = map[*sql.DB]map[string]*sql.Stmt{}
		}
		if c.pools[pool] == nil {
			c.pools[pool] = map[string]*sql.Stmt{}
		}
		if _, dup := c.pools[pool][q]; dup {
			st.Close()
		} else {
			c.pools[pool][q] = st
		}
		c.mu.Unlock()
	}
}

// Close closes every cached statement and then the pools.
func (c *Chain) Close() error {
	c.stmts.mu.Lock()
	for _, m := range c.stmts.pools {
		for _, st := range m {
			st.Close()
		}
	}
	c.stmts.pools = nil
	c.stmts.mu.Unlock()
	return c.DB.Close()
}

// Tx is one transaction with its single `now`. Writes go through Exec; a
// transaction that writes must also call Audit (or declare why not with
// Unaudited), so no state change escapes the log by accident.
type Tx struct {
	ctx       context.Context
	tx        *sql.Tx
	chain     *Chain
	Now       time.Time
	wrote     bool
	audited   bool
	unaudited string
	head      *audit.Head
	write     bool
	pool      *sql.DB
	uncached  []string
}

// Update runs fn as one write request and returns once its work is
// committed (or its error). Driver errors are translated with Translate. It
// returns EINTERNAL when fn wrote without an audit row, and the commit's
// error when the request's group could not be committed. When fn panics its
// work is rolled back and the panic goes on.
//
// Update commits in groups (see writer in group.go): requests that wait for
// the file's single write connection run one after another in the same
// BEGIN IMMEDIATE transaction, each inside its own SAVEPOINT, and share one
// COMMIT. While recent groups carried more requests than the current one
// holds, its leader also waits a little (GroupIdle after the latest
// request, GroupWait in all) for those about to arrive. A request that
// fails rolls back only its savepoint and gets its own error; every
// caller is answered only after the COMMIT. Each request
// has its own `now` and appends to the audit chain in the order it ran.
// Statements run under ctx's values but not its cancellation: an interrupt
// would roll back the whole shared transaction, so a request whose context
// ends while it waits is dropped before it runs, never in the middle.
func (c *Chain) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return c.w.update(ctx, c, fn)
}

// View runs fn in a read transaction on the read pool; its Exec fails.
func (c *Chain) View(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := c.Read.BeginTx(ctx, nil)
	if err != nil {
		return Translate(err)
	}
	tx := &Tx{ctx: ctx, tx: stx, chain: c, Now: c.now(), pool: c.Read}
	defer func() {
		if len(tx.uncached) > 0 {
			c.stmts.prepare(ctx, c.Read, tx.uncached)
		}
	}()
	defer stx.Rollback()
	if err := fn(tx); err != nil {
		return Translate(err)
	}
	return Translate(stx.Commit())
}

func (c *Chain) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// stmt returns the cached statement for query bound to this transaction,
// or nil (and notes the query for preparing after the transaction).
func (tx *Tx) stmt(query string) *sql.Stmt {
	if st := tx.chain.stmts.get(tx.pool, query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st)
	}
	tx.uncached = append(tx.uncached, query)
	return nil
}

// Context returns the context the transaction runs under.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Exec runs a statement that changes data.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	if !tx.write {
		return nil, fmt.Errorf("sqlite: Exec in a read transaction: %s", query)
	}
	tx.wrote = true
	if st := tx.stmt(query); st != nil {
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

// Query runs a query.
func (tx *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(query); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

// QueryRow runs a query expected to return at most one row.
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// Audit appends a row to the chain in this transaction, with the actor and
// request carried by the transaction's context.
func (tx *Tx) Audit(e audit.Entry) error {
	if !tx.write {
		return fmt.Errorf("sqlite: Audit in a read transaction")
	}
	if tx.head == nil {
		h, err := audit.ReadHead(tx.ctx, cachedTx{tx}, tx.chain.ID)
		if err != nil {
			return err
		}
		tx.head = &h
	}
	row, err := audit.AppendAt(tx.ctx, cachedTx{tx}, *tx.head, tx.Now, tx.head.Epoch, e)
	if err != nil {
		return err
	}
	tx.head = &audit.Head{Seq: row.Seq, Epoch: row.Epoch, Hash: row.Hash}
	tx.audited = true
	return nil
}

// AuditEpoch appends a row that starts the given epoch of the chain (after
// a restore), chained to the current head. The epoch must be after the
// head's; the restore that calls it picks one after every epoch the chain's
// checkpoint log has seen too, so epoch numbers never repeat.
func (tx *Tx) AuditEpoch(epoch int64, e audit.Entry) (audit.Row, error) {
	h, err := audit.ReadHead(tx.ctx, cachedTx{tx}, tx.chain.ID)
	if err != nil {
		return audit.Row{}, err
	}
	if epoch <= h.Epoch {
		return audit.Row{}, aura.Errorf(aura.EINTERNAL, "A new audit epoch %d of %s must follow epoch %d.", epoch, tx.chain.ID, h.Epoch)
	}
	row, err := audit.AppendAt(tx.ctx, cachedTx{tx}, h, tx.Now, epoch, e)
	if err != nil {
		return audit.Row{}, err
	}
	tx.head = &audit.Head{Seq: row.Seq, Epoch: row.Epoch, Hash: row.Hash}
	tx.audited = true
	return row, nil
}

// Unaudited lets a transaction write without an audit row, for bookkeeping
// that is not a state change an operator cares about (a session's last-seen
// time, a throttle counter). reason documents why at the call site.
func (tx *Tx) Unaudited(reason string) { tx.unaudited = reason }

// cachedTx lets the audit package run its statements through the
// transaction's statement cache.
type cachedTx struct{ tx *Tx }

func (c cachedTx) ExecContext(_ context.Context, q string, args ...any) (sql.Result, error) {
	if st := c.tx.stmt(q); st != nil {
		return st.ExecContext(c.tx.ctx, args...)
	}
	return c.tx.tx.ExecContext(c.tx.ctx, q, args...)
}

func (c cachedTx) QueryRowContext(_ context.Context, q string, args ...any) *sql.Row {
	return c.tx.QueryRow(q, args...)
}

func (c cachedTx) QueryContext(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.tx.Query(q, args...)
}
