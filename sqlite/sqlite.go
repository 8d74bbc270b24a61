// Package sqlite opens SQLite files the one way Aura uses them: PRAGMAs in the
// DSN, a single-connection write pool that begins IMMEDIATE transactions, and
// a small read pool on the same file. It sets, once for the process, the
// lookaside memory of every SQLite connection (see lookaside.go), and it
// turns driver errors into aura.Error codes in one place. It uses
// modernc.org/sqlite only: two SQLite drivers in one process break POSIX
// locks, and Litestream uses this one.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aurapms/aura"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune a pool pair. Zero values take the defaults.
type Options struct {
	// ReadConns is the size of the read pool (default 4).
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process (default 5s).
	BusyTimeout time.Duration
	// ReadOnly opens only a read pool, in SQLite's read-only mode.
	ReadOnly bool
}

// DB is a write pool of one connection and a read pool on one SQLite file.
type DB struct {
	Path  string
	Write *sql.DB
	Read  *sql.DB

	ckpt *checkpointer
	// busy is the busy timeout of the pools (Options.BusyTimeout).
	busy time.Duration
	// afterCommit, when set, hears of every commit of the write pool.
	afterCommit atomic.Pointer[func()]
}

// AfterCommit sets f to be called after every write transaction of Update
// that committed (nil stops it), in the committing goroutine after the
// COMMIT and before the callers are answered: f must not block (replication
// uses it to ship soon after a commit instead of on its timer alone).
func (db *DB) AfterCommit(f func()) {
	if f == nil {
		db.afterCommit.Store(nil)
		return
	}
	db.afterCommit.Store(&f)
}

// DSN returns the data source name Aura uses for path. PRAGMAs sit in the DSN
// so every connection of a pool gets them (Exec on a pool reaches only one).
func DSN(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "synchronous(normal)")
	q.Add("_pragma", "foreign_keys(on)")
	q.Add("_pragma", "trusted_schema(off)")
	// Deleted rows (purged ID photos, edited sealed values) must not linger
	// in free pages of the file.
	q.Add("_pragma", "secure_delete(on)")
	// Statement journals and the savepoints of group commit (see Update)
	// stay in memory: on disk every page a request first touched was
	// written to a temporary file before the same page went to the WAL.
	q.Add("_pragma", "temp_store(memory)")
	// No connection checkpoints as it commits: that copied 1,000 pages
	// into the file (and synced it) inside whichever write request
	// crossed the mark, which is what the p99 of a write was made of.
	// A background checkpointer per file (see checkpointer) runs the
	// same PASSIVE checkpoint beside the writer instead. A replicated
	// file is checkpointed by Litestream alone (its read transaction pins
	// the WAL, so the background checkpoint copies nothing), inside a
	// write transaction: writers wait for it (replica.CheckpointPages),
	// and Chain.begin polls so they go on as soon as it ends.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(on)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens the pools for path, creating the file when it does not exist.
// It pings both pools so a file that is not a database fails here.
func Open(path string, opt Options) (*DB, error) {
	if opt.ReadConns <= 0 {
		opt.ReadConns = 4
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 5 * time.Second
	}
	db := &DB{Path: path, busy: opt.BusyTimeout}
	var err error
	if !opt.ReadOnly {
		if db.Write, err = sql.Open("sqlite", DSN(path, opt.BusyTimeout, true)); err != nil {
			return nil, err
		}
		db.Write.SetMaxOpenConns(1)
		db.Write.SetMaxIdleConns(1)
		db.Write.SetConnMaxLifetime(0)
		db.Write.SetConnMaxIdleTime(0)
		if err := db.Write.Ping(); err != nil {
			db.Write.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		if db.ckpt, err = startCheckpointer(path, opt.BusyTimeout); err != nil {
			db.Write.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if db.Read, err = sql.Open("sqlite", DSN(path, opt.BusyTimeout, false)); err != nil {
		db.Close()
		return nil, err
	}
	db.Read.SetMaxOpenConns(opt.ReadConns)
	db.Read.SetMaxIdleConns(opt.ReadConns)
	db.Read.SetConnMaxIdleTime(time.Minute)
	if err := db.Read.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	if db.Read != nil {
		errs = append(errs, db.Read.Close())
	}
	if db.Write != nil {
		errs = append(errs, db.Write.Close())
	}
	return errors.Join(errs...)
}

// CheckpointRetry is how long Checkpoint goes on trying a TRUNCATE
// checkpoint that another checkpoint (the background one, Litestream's)
// or a reader keeps busy.
const CheckpointRetry = time.Second

// Checkpoint runs a TRUNCATE checkpoint so the main file holds every
// committed page and the WAL is empty; used before a file is closed for good
// or copied, and after a purge or an erasure, whose erased cells must leave
// the WAL. A busy checkpoint is not an error to SQLite (the PRAGMA says
// busy in its result row and leaves old frames in the WAL): Checkpoint
// tries again for CheckpointRetry (each try waits up to the busy timeout
// for readers) and then returns EUNAVAILABLE, so the caller knows the WAL
// still holds what it wanted gone.
func (db *DB) Checkpoint(ctx context.Context) error {
	deadline := time.Now().Add(CheckpointRetry)
	for {
		var busy, log, moved int
		if err := db.Write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &moved); err != nil {
			return err
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return aura.Errorf(aura.EUNAVAILABLE, "The database file %s is busy: its WAL could not be checkpointed and emptied (%d of %d frames copied); try again.", db.Path, moved, log)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Translate maps a driver error to an aura.Error where it has a meaning for
// users: constraint failures become ECONFLICT, a busy database EUNAVAILABLE.
// Other errors are returned unchanged (and are internal).
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var e *msqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			msg := e.Error()
			if strings.Contains(msg, "UNIQUE") {
				return aura.Errorf(aura.ECONFLICT, "This already exists.")
			}
			return aura.Errorf(aura.ECONFLICT, "This change conflicts with existing data.")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return aura.Errorf(aura.EUNAVAILABLE, "The database is busy; please try again.")
		}
	}
	return err
}

// isBusy reports whether err is SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// IsConstraint reports whether err is a SQLite constraint failure.
func IsConstraint(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
