package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aurapms/aura"
)

// Group commit bounds: a group takes at most MaxGroup requests, and admits
// new ones only until DefaultGroupWait (Chain.GroupWait) after its leader's
// own request ran, so waiting for a group to fill adds at most about that
// much (plus the last request admitted) to a request's latency.
const (
	MaxGroup         = 64
	DefaultGroupWait = 2 * time.Millisecond
)

// writer is a file's single writer. Each request runs in its caller's
// goroutine (so a panic reaches the caller's recover, as with a plain
// transaction) while holding mu; the request that finds no open group is
// the group's leader: it begins the transaction and runs its own request;
// the requests waiting for mu then run theirs in the same transaction, and
// whichever request finds that the group should close (nobody waiting to
// join, no more expected) commits it then and there, in its own goroutine.
// The leader commits only when its timer ends a group nobody closed.
// Nothing is acknowledged before the COMMIT.
//
// Committing where the group ends, instead of waking the leader to do it,
// keeps a scheduler hand-off off the file's critical path: under load the
// woken leader waited behind the HTTP goroutines for a CPU, with the
// group's work done and the next group waiting for it.
type writer struct {
	mu sync.Mutex
	// poke is signalled when a request leaves the group open with nobody
	// waiting to join, so a leader holding it open sets its timer again.
	poke chan struct{}
	once sync.Once
	// waiting counts requests blocked on mu: the leader keeps the group
	// open while someone is there to join it.
	waiting atomic.Int64
	cur     *group
	// target is how many requests recent groups carried (guarded by mu):
	// a leader whose group is smaller holds it open, briefly, for the
	// requests about to arrive (see lead).
	target int

	// Counters for tests and benchmarks.
	groups, requests atomic.Int64
}

// group is one transaction shared by up to MaxGroup requests.
type group struct {
	tx *sql.Tx
	// began is when the leader began the transaction.
	began time.Time
	// opened is when the leader's own request ended and others could join.
	opened time.Time
	// last is when the latest request of the group ended.
	last time.Time
	n    int   // requests that ran in it
	kept int   // requests whose work it holds
	err  error // set when it can no longer commit; then every kept request fails with it
	// finished is set (under mu) by the request that ends the group, as
	// it commits; done is closed once the COMMIT (or ROLLBACK) is over.
	finished bool
	done     chan struct{}
	// uncached are the queries its requests ran unprepared, prepared
	// once the connection is free again.
	uncached []string
}

// commitObserver, when set (ObserveCommits), hears of every group commit.
var commitObserver atomic.Pointer[func(time.Duration, int)]

// ObserveCommits sets f to be called after every write transaction that
// committed, with its duration (from BEGIN to the end of COMMIT) and the
// number of requests it carried (the group-commit batch size); nil stops
// it. It is meant for metrics and applies to every file of the process.
func ObserveCommits(f func(d time.Duration, requests int)) {
	if f == nil {
		commitObserver.Store(nil)
		return
	}
	commitObserver.Store(&f)
}

// open reports whether g still admits requests.
func (g *group) open(wait time.Duration) bool {
	return g.err == nil && g.n < MaxGroup && time.Since(g.opened) < wait
}

func (c *Chain) groupWait() time.Duration {
	if c.GroupWait > 0 {
		return c.GroupWait
	}
	return DefaultGroupWait
}

// lock takes mu, counted as waiting meanwhile.
func (w *writer) lock() {
	w.once.Do(func() { w.poke = make(chan struct{}, 1) })
	w.waiting.Add(1)
	w.mu.Lock()
	w.waiting.Add(-1)
}

// unlock gives mu back and wakes a leader holding its group open.
func (w *writer) unlock() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
	w.mu.Unlock()
}

// DefaultGroupIdle bounds how long a leader holds its group open for
// requests that are not waiting yet (Chain.GroupIdle): it waits at most
// that long after the group's latest request ended, and never past the
// group's wait (Chain.GroupWait) after its own request ran.
const DefaultGroupIdle = time.Millisecond

func (c *Chain) groupIdle() time.Duration {
	if c.GroupIdle > 0 {
		return c.GroupIdle
	}
	return DefaultGroupIdle
}

// keepOpen reports whether g should stay open for more requests and, when
// it should, until when its leader waits before looking again: while
// requests wait for mu to join it, or, while the group is smaller than
// recent ones, for those about to ask: under load, requests reach Update
// a little apart (each has its HTTP and JSON work to do first), so a group
// that admitted only those already waiting committed alone most of the
// time. A lone caller never waits: target stays 1 while groups carry one
// request. It is called with mu held.
func (w *writer) keepOpen(c *Chain, g *group) (until time.Time, keep bool) {
	wait := c.groupWait()
	if !g.open(wait) {
		return time.Time{}, false
	}
	deadline := g.opened.Add(wait)
	switch {
	case w.waiting.Load() > 0:
		return deadline, true
	case g.n < w.target:
		until = g.last.Add(c.groupIdle())
		if until.After(deadline) {
			until = deadline
		}
		return until, time.Now().Before(until)
	}
	return time.Time{}, false
}

// hold keeps the leader's group open while keepOpen says so, giving mu to
// the requests that join meanwhile. The request that finds the group
// should close commits it (see follow), so the leader wakes only for its
// timer, when no request came to close the group in time. It is called
// with mu held; it returns true, with mu released, when another request
// committed g, and false, with mu held, when the leader is to commit it.
func (w *writer) hold(c *Chain, g *group) bool {
	for {
		until, keep := w.keepOpen(c, g)
		if !keep {
			return false
		}
		select {
		case <-w.poke:
		default:
		}
		w.mu.Unlock()
		t := time.NewTimer(time.Until(until))
		select {
		case <-g.done:
			t.Stop()
			return true
		case <-w.poke:
		case <-t.C:
		}
		t.Stop()
		w.mu.Lock()
		if g.finished {
			w.mu.Unlock()
			return true
		}
	}
}

func (w *writer) update(ctx context.Context, c *Chain, fn func(tx *Tx) error) error {
	w.lock()
	for {
		if err := ctx.Err(); err != nil {
			w.unlock()
			return err
		}
		g := w.cur
		if g == nil {
			return w.lead(ctx, c, fn)
		}
		if g.open(c.groupWait()) {
			return w.follow(ctx, c, g, fn)
		}
		// The group is full or past its wait, and its leader waits for
		// its timer: commit it now, then start the next one.
		w.commit(c, g)
		w.lock()
	}
}

// lead begins a group, runs fn in it, holds the group open for the
// requests that join, and commits it unless one of them did. It is called
// with mu held and returns with it released.
func (w *writer) lead(ctx context.Context, c *Chain, fn func(tx *Tx) error) (err error) {
	// The transaction outlives this request's context: other requests'
	// work joins it, so its cancellation must not roll it back.
	began := time.Now()
	stx, err := c.begin()
	if err != nil {
		w.unlock()
		return Translate(err)
	}
	g := &group{tx: stx, began: began, done: make(chan struct{})}
	w.cur = g
	finished := false
	defer func() {
		if finished {
			return
		}
		// fn panicked (or called runtime.Goexit). Nobody has joined
		// yet (they run only after the leader's own request), so the
		// whole transaction goes; the panic goes on to the caller.
		stx.Rollback()
		g.err = aura.Errorf(aura.EINTERNAL, "A write transaction on %s was abandoned.", c.ID)
		g.finished = true
		w.cur = nil
		close(g.done)
		w.unlock()
	}()
	own := w.run(ctx, c, g, fn)
	g.opened = time.Now()
	g.last = g.opened
	committed := w.hold(c, g)
	finished = true
	if !committed {
		w.commit(c, g)
	}
	<-g.done
	if own != nil {
		return own
	}
	return g.err
}

// commit ends g: it commits the work of the requests that succeeded (or
// rolls back when none did or the group broke), gives mu back, and then
// answers them all by closing g.done. It is called with mu held by the
// request that found the group should close, or by the leader.
func (w *writer) commit(c *Chain, g *group) {
	// A group smaller than the target was one whose requests stopped
	// coming: aim lower next time (halving, so a burst that is over
	// costs a lone caller a few short waits at most).
	if g.n >= w.target {
		w.target = g.n
	} else {
		w.target = max(g.n, w.target/2)
	}
	w.cur = nil
	g.finished = true
	switch {
	case g.err != nil:
		g.tx.Rollback()
	case g.kept == 0:
		g.tx.Rollback() // nothing to keep: skip the COMMIT's write
	default:
		if err := g.tx.Commit(); err != nil {
			g.err = Translate(err)
		} else {
			if c.ckpt != nil {
				c.ckpt.committed()
			}
			if f := c.afterCommit.Load(); f != nil {
				(*f)()
			}
			if f := commitObserver.Load(); f != nil {
				(*f)(time.Since(g.began), g.n)
			}
		}
	}
	w.groups.Add(1)
	w.requests.Add(int64(g.n))
	if len(g.uncached) > 0 {
		c.stmts.prepare(context.Background(), c.Write, g.uncached)
	}
	// mu goes first: in execution traces the goroutine that woke the
	// group's requests often waited for a CPU right after, and the next
	// group must not wait with it.
	w.mu.Unlock()
	close(g.done)
}

// follow runs fn in the open group g, commits the group when it should
// close (see keepOpen), and waits for its commit. It is called with mu
// held and returns with it released, also when fn panics.
func (w *writer) follow(ctx context.Context, c *Chain, g *group, fn func(tx *Tx) error) error {
	var own error
	end := false
	func() {
		defer func() {
			if end {
				return // mu stays held for the commit
			}
			g.last = time.Now()
			w.mu.Unlock()
		}()
		own = w.run(ctx, c, g, fn)
		g.last = time.Now()
		if _, keep := w.keepOpen(c, g); !keep {
			end = true
			return
		}
		if w.waiting.Load() == 0 {
			// Open for requests about to arrive: the leader's timer
			// is to end the group if none does.
			select {
			case w.poke <- struct{}{}:
			default:
			}
		}
	}()
	if end {
		w.commit(c, g)
	}
	if own != nil {
		return own // its savepoint is rolled back: it waits for nobody
	}
	<-g.done
	return g.err
}

// savepoint names the one savepoint open at a time in a group.
const savepoint = "aura_request"

// exec runs one of the group's own savepoint statements in its
// transaction, prepared once per connection through the statement cache
// like the requests' queries: parsing them again cost two parses per
// request on the file's single writer. (PRAGMAs stay unprepared: SQLite
// applies some of them, busy_timeout among them, when it prepares them.)
func (g *group) exec(c *Chain, q string) error {
	if st := c.stmts.get(c.Write, q); st != nil {
		_, err := g.tx.Stmt(st).Exec()
		return err
	}
	g.uncached = append(g.uncached, q)
	_, err := g.tx.Exec(q)
	return err
}

// run runs one request inside its own savepoint of g's transaction: kept
// when fn succeeds, rolled back when fn fails, panics or wrote without an
// audit row.
func (w *writer) run(ctx context.Context, c *Chain, g *group, fn func(tx *Tx) error) (err error) {
	g.n++
	if err := g.exec(c, "SAVEPOINT "+savepoint); err != nil {
		g.err = Translate(err)
		return g.err
	}
	tx := &Tx{ctx: context.WithoutCancel(ctx), tx: g.tx, chain: c, Now: c.now(), write: true, pool: c.Write}
	kept := false
	defer func() {
		g.uncached = append(g.uncached, tx.uncached...)
		if kept {
			return
		}
		// ROLLBACK TO fails only when SQLite already rolled back the
		// whole transaction (an I/O error, a full disk): then the work
		// of the requests before this one is gone too, and none of
		// them may be acknowledged.
		if rerr := g.exec(c, "ROLLBACK TO "+savepoint); rerr != nil {
			g.err = aura.Errorf(aura.EUNAVAILABLE, "The database could not save this change; please try again.")
			return
		}
		if rerr := g.exec(c, "RELEASE "+savepoint); rerr != nil {
			g.err = aura.Errorf(aura.EUNAVAILABLE, "The database could not save this change; please try again.")
		}
	}()
	if err := fn(tx); err != nil {
		return Translate(err)
	}
	if tx.wrote && !tx.audited && tx.unaudited == "" {
		return aura.Errorf(aura.EINTERNAL, "A write transaction on %s made changes without an audit row.", c.ID)
	}
	if err := g.exec(c, "RELEASE "+savepoint); err != nil {
		return Translate(err) // the deferred ROLLBACK TO decides whether the group survives
	}
	kept = true
	g.kept++
	return nil
}

// BeginPoll is how often a leader tries again to begin its transaction
// while another connection holds the file's write lock (Litestream
// checkpointing a replicated file, another process).
const BeginPoll = 500 * time.Microsecond

// begin begins the group's IMMEDIATE transaction, waiting up to the busy
// timeout for the write lock. SQLite's busy handler sleeps 1, 2, 5, 10, …
// 100 ms between its tries, so a leader blocked by a checkpoint of 120 ms
// began at 128 ms, one of 230 ms at 328 ms, and every request queued
// behind it waited as long. begin turns the handler off for the BEGIN and
// tries every BeginPoll itself, so the group begins within BeginPoll of
// the lock's release; the connection's busy timeout is set back inside
// the transaction (PRAGMA busy_timeout is not transactional), so the
// other uses of the write pool (Checkpoint, migrations) keep theirs.
func (c *Chain) begin() (*sql.Tx, error) {
	if _, err := c.Write.Exec("PRAGMA busy_timeout=0"); err != nil {
		return nil, err
	}
	busy := c.busy
	if busy <= 0 {
		busy = 5 * time.Second // Options' default
	}
	restore := fmt.Sprintf("PRAGMA busy_timeout=%d", busy.Milliseconds())
	deadline := time.Now().Add(busy)
	for {
		stx, err := c.Write.BeginTx(context.Background(), nil)
		if err == nil {
			if _, err := stx.Exec(restore); err != nil {
				stx.Rollback()
				return nil, err
			}
			return stx, nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			c.Write.Exec(restore)
			return nil, err
		}
		time.Sleep(BeginPoll)
	}
}
