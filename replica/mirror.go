package replica

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// Where a restore reads from.
const (
	OnSite  = "on-site"  // the replica on the server (Config.Destination)
	OffSite = "off-site" // the database's off-site target
)

// fanout is the inner client of a database replicated to two places: every
// file Litestream writes goes to the on-site client, and is queued for the
// mirror, which copies it to the off-site one in the background. Reads
// (Litestream's position, compactions) come from the on-site client alone.
// Litestream's deletions of level-0 files (once compacted into level 1) are
// mirrored too; deletions of other levels are retention, which each side
// applies with its own window (enforceRetention).
type fanout struct {
	litestream.ReplicaClient // the on-site client
	m                        *mirror
}

func (f *fanout) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	info, err := f.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, r)
	if err == nil {
		f.m.enqueue(info)
	}
	return info, err
}

func (f *fanout) DeleteLTXFiles(ctx context.Context, a []*ltx.FileInfo) error {
	if err := f.ReplicaClient.DeleteLTXFiles(ctx, a); err != nil {
		return err
	}
	var l0 []*ltx.FileInfo
	for _, info := range a {
		if info.Level == 0 {
			l0 = append(l0, info)
		}
	}
	f.m.enqueueDelete(l0)
	return nil
}

// mirror copies one database's encrypted replica files, as they are, from
// its on-site replica (src) to its off-site target (dst). It starts with a
// full reconcile (copy every file the target lacks), then copies the files
// queued as Litestream writes them; a failure marks it for another full
// reconcile, retried with a growing pause, so an outage is caught up.
type mirror struct {
	target string // the off-site target's name
	dest   Destination
	src    litestream.ReplicaClient
	dst    litestream.ReplicaClient
	levels []int
	log    *slog.Logger

	run sync.Mutex // held by a step or by retention on dst

	mu           sync.Mutex
	queue        []*ltx.FileInfo
	dels         []*ltx.FileInfo
	full         bool
	txid         ltx.TXID // the newest transaction the target holds
	lastSync     time.Time
	lastSnapshot time.Time
	lastErr      error
	failedSince  time.Time
	wake         chan struct{}
	stop         context.CancelFunc
	done         chan struct{}
	// onResult, when set, hears the outcome of every round.
	onResult func(err error)
}

func newMirror(target string, dest Destination, src, dst litestream.ReplicaClient, levels []int, log *slog.Logger) *mirror {
	return &mirror{target: target, dest: dest, src: src, dst: dst, levels: levels, log: log, full: true, wake: make(chan struct{}, 1)}
}

// start runs the mirror in the background until close.
func (m *mirror) start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stop, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		backoff := time.Duration(0)
		for {
			wait := time.Minute
			if backoff > 0 {
				wait = backoff
			}
			select {
			case <-ctx.Done():
				return
			case <-m.wake:
				if backoff > 0 {
					continue // a failing target is retried on its own schedule
				}
			case <-time.After(wait):
			}
			if err := m.step(ctx); err != nil && ctx.Err() == nil {
				backoff = min(max(2*backoff, time.Second), time.Minute)
				continue
			}
			backoff = 0
		}
	}()
}

// close stops the background loop (after flush, when the caller wants the
// last files shipped).
func (m *mirror) close() {
	if m.stop != nil {
		m.stop()
		<-m.done
	}
}

func (m *mirror) enqueue(info *ltx.FileInfo) {
	m.mu.Lock()
	m.queue = append(m.queue, info)
	m.mu.Unlock()
	m.poke()
}

func (m *mirror) enqueueDelete(a []*ltx.FileInfo) {
	if len(a) == 0 {
		return
	}
	m.mu.Lock()
	m.dels = append(m.dels, a...)
	m.mu.Unlock()
	m.poke()
}

func (m *mirror) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// pending reports whether anything is left to copy or delete.
func (m *mirror) pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.full || len(m.queue) > 0 || len(m.dels) > 0
}

// flush copies everything queued so far, returning the first failure. It
// steps at least once, so a round the background loop has under way (and
// its failure) is waited for.
func (m *mirror) flush(ctx context.Context) error {
	for first := true; first || m.pending(); first = false {
		if err := m.step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// step does one round of work: a full reconcile when one is due, else the
// queued copies and deletions.
func (m *mirror) step(ctx context.Context) (err error) {
	m.run.Lock()
	defer m.run.Unlock()
	m.mu.Lock()
	full, queue, dels := m.full, m.queue, m.dels
	m.full, m.queue, m.dels = false, nil, nil
	m.mu.Unlock()
	defer func() {
		if m.onResult != nil {
			m.onResult(err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if err != nil {
			if m.lastErr == nil {
				m.failedSince = time.Now()
				m.log.Warn("the off-site replica cannot be written; it is caught up once it can", "target", m.target, "where", m.dest.String(), "err", err)
			}
			m.lastErr, m.full = err, true
			m.dels = append(dels, m.dels...)
			return
		}
		if m.lastErr != nil {
			m.log.Info("the off-site replica is written again", "target", m.target, "where", m.dest.String())
		}
		m.lastErr, m.lastSync = nil, time.Now()
	}()
	if err := m.dst.Init(ctx); err != nil {
		return err
	}
	if full {
		if err := m.reconcile(ctx); err != nil {
			return err
		}
	} else {
		for _, info := range queue {
			if err := m.copy(ctx, info); err != nil {
				return err
			}
		}
	}
	if len(dels) > 0 {
		if err := m.dst.DeleteLTXFiles(ctx, dels); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// copy copies one file from src to dst. A file src no longer holds was
// compacted or pruned meanwhile: the files that replaced it are queued too.
func (m *mirror) copy(ctx context.Context, info *ltx.FileInfo) error {
	rc, err := m.src.OpenLTXFile(ctx, info.Level, info.MinTXID, info.MaxTXID, 0, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer rc.Close()
	out, err := m.dst.WriteLTXFile(ctx, info.Level, info.MinTXID, info.MaxTXID, rc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.txid = max(m.txid, out.MaxTXID)
	if info.Level == litestream.SnapshotLevel && out.CreatedAt.After(m.lastSnapshot) {
		m.lastSnapshot = out.CreatedAt
	}
	m.mu.Unlock()
	return nil
}

// reconcile copies every file of src that dst lacks, level by level, and
// deletes the level-0 files of dst that src no longer has and that a
// level-1 file of dst covers (as Litestream does on src).
func (m *mirror) reconcile(ctx context.Context) error {
	for _, level := range m.levels {
		have := map[[2]ltx.TXID]*ltx.FileInfo{}
		dstInfos, err := litestream.FindLTXFiles(ctx, m.dst, level, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil {
			return err
		}
		for _, info := range dstInfos {
			have[[2]ltx.TXID{info.MinTXID, info.MaxTXID}] = info
		}
		srcInfos, err := litestream.FindLTXFiles(ctx, m.src, level, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil {
			return err
		}
		for _, info := range srcInfos {
			k := [2]ltx.TXID{info.MinTXID, info.MaxTXID}
			if _, ok := have[k]; ok {
				delete(have, k)
				continue
			}
			if err := m.copy(ctx, info); err != nil {
				return err
			}
		}
		m.mu.Lock()
		for _, info := range dstInfos {
			m.txid = max(m.txid, info.MaxTXID)
			if level == litestream.SnapshotLevel && info.CreatedAt.After(m.lastSnapshot) {
				m.lastSnapshot = info.CreatedAt
			}
		}
		m.mu.Unlock()
		if level == 0 && len(have) > 0 {
			var maxL1 ltx.TXID
			l1, err := litestream.FindLTXFiles(ctx, m.dst, 1, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
			if err != nil {
				return err
			}
			for _, info := range l1 {
				maxL1 = max(maxL1, info.MaxTXID)
			}
			var stale []*ltx.FileInfo
			for _, info := range have {
				if info.MaxTXID <= maxL1 {
					stale = append(stale, info)
				}
			}
			if err := m.dst.DeleteLTXFiles(ctx, stale); err != nil {
				return err
			}
		}
	}
	return nil
}

// state returns what the mirror knows of its target.
func (m *mirror) state() (txid ltx.TXID, lastSync, lastSnapshot, failedSince time.Time, lastErr error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txid, m.lastSync, m.lastSnapshot, m.failedSince, m.lastErr
}

// retain applies retention to a replica client: snapshots created before
// cutoff go (the newest always stays), then the files of the lower levels
// that no kept snapshot needs. It is Litestream's rule (DB.
// EnforceSnapshotRetention and EnforceRetentionByTXID) for a client that
// is not the one Litestream writes.
func retain(ctx context.Context, c litestream.ReplicaClient, cutoff time.Time, levels []int) error {
	snaps, err := litestream.FindLTXFiles(ctx, c, litestream.SnapshotLevel, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
	if err != nil || len(snaps) == 0 {
		return err
	}
	var deleted []*ltx.FileInfo
	var minTXID ltx.TXID
	for _, info := range snaps[:len(snaps)-1] {
		if !info.CreatedAt.Before(cutoff) {
			break
		}
		deleted = append(deleted, info)
		minTXID = info.MaxTXID
	}
	if len(deleted) == 0 {
		return nil
	}
	if err := c.DeleteLTXFiles(ctx, deleted); err != nil {
		return err
	}
	for _, level := range levels {
		if level == 0 || level == litestream.SnapshotLevel {
			continue
		}
		infos, err := litestream.FindLTXFiles(ctx, c, level, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil {
			return err
		}
		var old []*ltx.FileInfo
		for i, info := range infos {
			if info.MaxTXID < minTXID && i < len(infos)-1 {
				old = append(old, info)
			}
		}
		if err := c.DeleteLTXFiles(ctx, old); err != nil {
			return err
		}
	}
	return nil
}

// seedOnSite copies every file of the off-site copy to the on-site replica
// when the on-site replica holds nothing at all. An unreachable off-site
// target is not an error here (nothing is known to be there).
func seedOnSite(ctx context.Context, onSite, offSite litestream.ReplicaClient, levels []int) error {
	for _, level := range levels {
		itr, err := onSite.LTXFiles(ctx, level, 0, false)
		if err != nil {
			return err
		}
		any := itr.Next()
		if err := itr.Close(); err != nil {
			return err
		}
		if any {
			return nil
		}
	}
	if err := offSite.Init(ctx); err != nil {
		return nil
	}
	back := &mirror{src: offSite, dst: onSite, levels: levels}
	if _, err := litestream.FindLTXFiles(ctx, offSite, litestream.SnapshotLevel, false, func(*ltx.FileInfo) (bool, error) { return true, nil }); err != nil {
		return nil // unreachable: replicate on-site from scratch, the mirror retries
	}
	return back.reconcile(ctx)
}
