package replica

import (
	"context"
	"errors"
	"time"

	"github.com/benbjohnson/litestream"
)

// The Replicator compacts the replica's levels and writes its snapshots
// itself instead of leaving it to the Litestream store's monitors (which
// openStore turns off). A store monitor snapshots a file by reading it
// through Litestream's handle, and Litestream's UnregisterDB closes that
// handle without waiting for such a read (v0.5.18: only Store.Close stops
// its monitors first), so a tenant closed while its snapshot ran raced with
// it. Here each compaction holds the file's registration lock, which
// Unregister and Reconfigure also hold: a file is never closed under a
// snapshot, and a snapshot never starts on a file being closed.

// startCompaction starts one monitor per compaction level of cfg and one
// for its snapshots, over the files registered under store, until ctx
// ends (r.mu held or r not yet shared).
func (r *Replicator) startCompaction(ctx context.Context, cfg Config, store *litestream.Store) {
	levels := make([]*litestream.CompactionLevel, 0, len(cfg.Levels)+1)
	for i, d := range cfg.Levels {
		levels = append(levels, &litestream.CompactionLevel{Level: i + 1, Interval: d})
	}
	levels = append(levels, &litestream.CompactionLevel{Level: litestream.SnapshotLevel, Interval: cfg.SnapshotInterval})
	for _, lvl := range levels {
		r.compacting.Add(1)
		go func() {
			defer r.compacting.Done()
			r.compactLoop(ctx, store, lvl)
		}()
	}
}

// compactLoop compacts lvl of every file registered under store at the
// level's interval, as Litestream's monitor does: at once, then at each
// boundary of the interval, and every second while some file is not ready
// yet (Litestream has not read its first page).
func (r *Replicator) compactLoop(ctx context.Context, store *litestream.Store, lvl *litestream.CompactionLevel) {
	timer := time.NewTimer(time.Nanosecond)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next := time.Until(lvl.NextCompactionAt(time.Now()))
		waiting := false
		for _, path := range r.Registered() {
			if ctx.Err() != nil {
				return
			}
			if !r.compactOne(ctx, store, lvl, path) {
				waiting = true
			}
		}
		if waiting && next > time.Second {
			next = time.Second
		}
		timer.Reset(max(next, 0))
	}
}

// compactOne compacts lvl of path under its registration lock and reports
// false when the file is not ready to be compacted yet. A file registered
// under another store (one being moved by Reconfigure) is left to the
// monitors of its own configuration.
func (r *Replicator) compactOne(ctx context.Context, store *litestream.Store, lvl *litestream.CompactionLevel, path string) bool {
	reg, err := r.lock(path)
	if err != nil {
		return true
	}
	defer r.unlock(path, reg)
	if reg.refs == 0 || reg.db == nil || reg.store != store || !reg.db.IsOpen() {
		return true
	}
	if lvl.Level == litestream.SnapshotLevel {
		err = r.snapshotIfDue(ctx, store, reg.cfg, reg.db)
	} else if _, err = store.CompactDB(ctx, reg.db, lvl); errors.Is(err, litestream.ErrNoCompaction) || errors.Is(err, litestream.ErrCompactionTooEarly) {
		err = nil
	}
	switch {
	case err == nil:
	case errors.Is(err, litestream.ErrDBNotReady):
		return false
	case ctx.Err() == nil:
		r.log.Warn("replica: compaction failed; it is tried again at the next interval", "db", path, "level", lvl.Level, "err", err)
	}
	return true
}
