package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// CheckpointEvery is the least time between two background checkpoints of
// a file: each copies every WAL frame written since the one before (that
// no reader still needs) into the file and syncs it.
const CheckpointEvery = 100 * time.Millisecond

// checkpointer runs PASSIVE checkpoints of one file on a connection of its
// own, after commits, so that no write request pays for one. A PASSIVE
// checkpoint takes no write lock: writers go on appending to the WAL while
// it copies, and it stops at the oldest frame a reader (Litestream's
// included) still needs. The WAL starts over from its beginning once every
// frame has been copied. On a file Litestream replicates it copies nothing:
// Litestream's long read transaction pins the WAL (a read mark at its
// start, or on the file itself right after Litestream's checkpoint), and
// only Litestream's own checkpoint moves frames.
type checkpointer struct {
	pool *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(path string, busy time.Duration) (*checkpointer, error) {
	pool, err := sql.Open("sqlite", DSN(path, busy, true))
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(1)
	pool.SetMaxIdleConns(1)
	pool.SetConnMaxLifetime(0)
	pool.SetConnMaxIdleTime(0)
	c := &checkpointer{pool: pool, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// committed tells the checkpointer the WAL grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// An error (SQLITE_BUSY while Litestream checkpoints, say) only
		// means this round copied less; the next commit asks again.
		c.pool.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-c.stop:
			return
		case <-time.After(CheckpointEvery):
		}
	}
}

// close stops the checkpointer; closing twice (a DB closed twice) is a no-op.
func (c *checkpointer) close() (err error) {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		err = c.pool.Close()
	})
	return err
}
