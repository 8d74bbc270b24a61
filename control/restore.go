package control

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
)

// TenantReplicaPrefix is where a tenant's encrypted replica lives in the
// replication destination.
func TenantReplicaPrefix(tenantID string) string { return "tenants/" + tenantID }

// ReplicaPrefix is where t's replica lives: its TenantReplicaPrefix at the
// replica target recorded for it (`aura tenant set-region`), at the
// default destination when it has none.
func (s *Service) ReplicaPrefix(t platform.Tenant) string {
	return s.Replicator.Config().TargetPrefix(t.ReplicaTarget(), TenantReplicaPrefix(t.ID))
}

// TableCount is one table's row count in the live and the restored file.
type TableCount struct {
	Table    string `json:"table"`
	Live     int64  `json:"live"`
	Restored int64  `json:"restored"`
}

// RestorePlan is a tenant's replica restored into a side file and checked,
// with what swapping it in would change. Nothing live has changed yet.
type RestorePlan struct {
	Tenant       platform.Tenant `json:"-"`
	Slug         string          `json:"slug"`
	RequestedAt  *time.Time      `json:"requested_at,omitempty"` // nil: the latest state
	Point        replica.Point   `json:"point"`                  // what the replica gave
	SidePath     string          `json:"side_path"`
	Integrity    string          `json:"integrity"`
	Chain        string          `json:"chain"` // "ok" or the first break
	RestoredHead audit.Head      `json:"restored_head"`
	LiveHead     audit.Head      `json:"live_head"`
	RestoredLast string          `json:"restored_last_change"` // time of the restored chain's last row
	LiveLast     string          `json:"live_last_change"`     // time of the live chain's last row
	Tables       []TableCount    `json:"tables"`
}

// OK reports whether the restored file passed its checks.
func (p *RestorePlan) OK() bool { return p.Integrity == "ok" && p.Chain == "ok" }

// Lost describes what swapping the plan in gives up, in words.
func (p *RestorePlan) Lost() string {
	n := p.LiveHead.Seq - p.RestoredHead.Seq
	if n <= 0 {
		return "nothing: the restored state is the live state"
	}
	return fmt.Sprintf("%d audited changes made from %s to %s", n, p.RestoredLast, p.LiveLast)
}

// replicaKey is the key a tenant's replica is encrypted with.
func replicaKey(dataKey []byte) []byte { return keys.Derive(dataKey, "replica") }

// PrepareRestore restores a tenant's replica as it was at at (the latest
// state when at is zero) into a side file next to the live one, runs
// integrity_check and verifies the restored audit chain against the signed
// checkpoints it should contain, and compares it with the live file. The
// live tenant keeps serving. It returns ENOTIMPLEMENTED without replication,
// ENOTFOUND when the replica holds nothing at or before at.
func (s *Service) PrepareRestore(ctx context.Context, slug string, at time.Time) (*RestorePlan, error) {
	return s.PrepareRestoreFrom(ctx, slug, at, "")
}

// PrepareRestoreFrom is PrepareRestore reading the replica from chooses:
// replica.OnSite, replica.OffSite, or "" for the on-site replica when it
// holds the time and the off-site copy otherwise. The plan's Point says
// which one was read.
func (s *Service) PrepareRestoreFrom(ctx context.Context, slug string, at time.Time, from string) (*RestorePlan, error) {
	if s.Replicator == nil {
		return nil, aura.Errorf(aura.ENOTIMPLEMENTED, "Replication is not configured, so there is nothing to restore from.")
	}
	t, err := s.Platform.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	key, err := s.Platform.DataKey(t)
	if err != nil {
		return nil, err
	}
	live := s.TenantPath(t.ID)
	plan := &RestorePlan{Tenant: t, Slug: slug, SidePath: live + ".restore", Chain: "not checked", Integrity: "not checked"}
	if !at.IsZero() {
		plan.RequestedAt = &at
	}
	// A side file left by an earlier attempt or dry run is ours to replace.
	removeTenantFiles(plan.SidePath)
	cp, err := s.restoreChecked(ctx, t, key, plan.SidePath, at, from)
	if err != nil {
		return nil, err
	}
	side := cp.db
	defer side.Close()
	plan.Point, plan.RestoredHead, plan.Chain, plan.Integrity = cp.point, cp.head, cp.chain, "ok"
	if plan.RestoredLast, err = lastChange(ctx, side.SQL()); err != nil {
		return nil, err
	}
	liveDB, err := sqlite.Open(live, sqlite.Options{ReadOnly: true, ReadConns: 1})
	if err != nil {
		return nil, err
	}
	defer liveDB.Close()
	if plan.LiveHead, err = audit.ReadHead(ctx, liveDB.Read, t.ID); err != nil {
		return nil, err
	}
	if plan.LiveLast, err = lastChange(ctx, liveDB); err != nil {
		return nil, err
	}
	if plan.Tables, err = compareTables(ctx, liveDB, side.SQL()); err != nil {
		return nil, err
	}
	return plan, nil
}

// checkedCopy is a tenant's replica restored into a file, opened, and its
// audit chain verified.
type checkedCopy struct {
	point replica.Point
	db    *tenant.DB
	head  audit.Head
	chain string // "ok" or the first break
}

// restoreChecked restores the tenant's replica as of at into path (SQLite's
// integrity_check passes or the file is removed), opens it, and verifies
// its audit chain against the signed checkpoints it should contain: those
// of its history up to its head. The caller closes the copy's db.
func (s *Service) restoreChecked(ctx context.Context, t platform.Tenant, key []byte, path string, at time.Time, from string) (*checkedCopy, error) {
	point, err := s.Replicator.RestoreFrom(ctx, s.ReplicaPrefix(t), replicaKey(key), path, at, from)
	if err != nil {
		return nil, err
	}
	db, err := tenant.OpenFile(ctx, path, tenant.Info{ID: t.ID, Slug: t.Slug, Status: tenant.StatusActive, DataKey: key}, nil)
	if err != nil {
		removeTenantFiles(path)
		return nil, fmt.Errorf("open the restored file: %w", err)
	}
	cp := &checkedCopy{point: point, db: db, chain: "ok"}
	fail := func(err error) (*checkedCopy, error) {
		db.Close()
		return nil, err
	}
	if cp.head, err = db.AuditHead(ctx); err != nil {
		return fail(err)
	}
	log, err := s.Platform.CheckpointLog(ctx, t.ID)
	if err != nil {
		return fail(err)
	}
	if b := audit.CheckLog(t.ID, log, s.Signer); b != nil {
		cp.chain = b.Error()
		return cp, nil
	}
	res, err := audit.VerifyCopy(ctx, db.AuditRows(), t.ID, log)
	if err != nil {
		return fail(err)
	}
	if !res.OK() {
		cp.chain = res.Break.Error()
	}
	return cp, nil
}

// DiscardRestore removes a plan's side file (after a dry run or a refusal).
func (s *Service) DiscardRestore(plan *RestorePlan) error { return removeTenantFiles(plan.SidePath) }

func lastChange(ctx context.Context, db *sqlite.DB) (string, error) {
	var at string
	err := db.Read.QueryRowContext(ctx, `SELECT coalesce(max(at), '') FROM audit_log`).Scan(&at)
	return at, err
}

// userTables lists the tables of a file, without SQLite's and Litestream's own.
func userTables(ctx context.Context, db *sqlite.DB) ([]string, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_litestream_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

func countRows(ctx context.Context, db *sqlite.DB, table string) (int64, error) {
	var n int64
	err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`).Scan(&n)
	return n, err
}

// compareTables counts the rows of every table in either file.
func compareTables(ctx context.Context, live, restored *sqlite.DB) ([]TableCount, error) {
	seen := map[string]*TableCount{}
	for i, db := range []*sqlite.DB{live, restored} {
		names, err := userTables(ctx, db)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			c, err := countRows(ctx, db, n)
			if err != nil {
				return nil, err
			}
			tc := seen[n]
			if tc == nil {
				tc = &TableCount{Table: n}
				seen[n] = tc
			}
			if i == 0 {
				tc.Live = c
			} else {
				tc.Restored = c
			}
		}
	}
	out := make([]TableCount, 0, len(seen))
	for _, tc := range seen {
		out = append(out, *tc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out, nil
}

// RestoreOptions tune ApplyRestore.
type RestoreOptions struct {
	// WaitForServer waits for another process serving the tenant (a
	// running `aura serve`) to close its file; set it when the caller is
	// not that process.
	WaitForServer bool
	// Timeout bounds that wait (default 1 minute).
	Timeout time.Duration
}

// RestoreResult is what ApplyRestore did.
type RestoreResult struct {
	Plan    *RestorePlan           `json:"plan"`
	Archive string                 `json:"archive"` // where the replaced file was kept
	Epoch   int64                  `json:"epoch"`   // the audit epoch the restore started
	Report  identity.RestoreReport `json:"report"`
}

// ApplyRestore swaps a checked plan in. It takes only this tenant out of
// service (its requests get 503 with Retry-After; other tenants keep
// serving), waits for the file to be closed, keeps the replaced file in the
// archive directory, moves the restored file into place, starts a new audit
// epoch that drops every session and re-applies later revocations, signs the
// new head, and puts the tenant back in service, recording the restore in
// both audit chains. It refuses a plan whose checks failed (EINVALID).
func (s *Service) ApplyRestore(ctx context.Context, plan *RestorePlan, opt RestoreOptions) (*RestoreResult, error) {
	if !plan.OK() {
		return nil, aura.Errorf(aura.EINVALID, "The restored file failed its checks (integrity: %s; audit chain: %s); it will not be swapped in.", plan.Integrity, plan.Chain)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Minute
	}
	t := plan.Tenant
	key, err := s.Platform.DataKey(t)
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"requested_at": plan.RequestedAt, "point_txid": plan.Point.TXID, "point_at": plan.Point.Time, "from": plan.Point.From}
	if _, err := s.Platform.StartMaintenance(ctx, t.Slug, "tenant.restore_started", "restore", detail); err != nil {
		return nil, err
	}
	fail := func(err error) (*RestoreResult, error) {
		detail["error"] = err.Error()
		if endErr := s.Platform.EndMaintenance(context.WithoutCancel(ctx), t.ID, "tenant.restore_failed", detail); endErr != nil {
			err = errors.Join(err, endErr)
		}
		return nil, err
	}
	if s.Router != nil {
		select {
		case <-s.Router.Forget(t.Slug):
		case <-time.After(opt.Timeout):
			return fail(aura.Errorf(aura.EUNAVAILABLE, "Requests to %s did not finish within %s; nothing was changed.", t.Slug, opt.Timeout))
		}
	}
	if opt.WaitForServer {
		if err := s.waitReleased(ctx, t.ID, opt.Timeout); err != nil {
			return fail(err)
		}
	}

	live := s.TenantPath(t.ID)
	archiveDir := filepath.Join(filepath.Dir(s.TenantsDir), "restore-archive")
	if err := os.MkdirAll(archiveDir, 0o700); err != nil {
		return fail(err)
	}
	archive := filepath.Join(archiveDir, fmt.Sprintf("%s-%s.db", t.ID, time.Now().UTC().Format("20060102T150405Z")))
	if err := moveTenantFiles(live, archive); err != nil {
		return fail(err)
	}
	if err := os.Rename(plan.SidePath, live); err != nil {
		moveTenantFiles(archive, live)
		return fail(err)
	}
	// Litestream's staging directory stays: when the file is replicated
	// again, Litestream finds it changed and ships a snapshot as the next
	// transaction of the same replica, so the history before the restore
	// stays reachable and "latest" is the restored state.

	info := tenant.Info{ID: t.ID, Slug: t.Slug, Status: tenant.StatusActive, DataKey: key}
	res, err := s.finishRestore(ctx, plan, info, live, archive)
	if err != nil {
		// Put the replaced file back: the tenant returns to service as it was.
		os.Remove(live + "-wal")
		os.Remove(live + "-shm")
		os.Rename(live, plan.SidePath)
		if mvErr := moveTenantFiles(archive, live); mvErr != nil {
			err = errors.Join(err, fmt.Errorf("putting the replaced file back from %s failed: %w", archive, mvErr))
		}
		return fail(err)
	}
	detail["restored_seq"], detail["discarded_through_seq"], detail["epoch"] = plan.RestoredHead.Seq, plan.LiveHead.Seq, res.Epoch
	detail["sessions_dropped"], detail["users_updated"], detail["tokens_revoked"] = res.Report.SessionsDropped, len(res.Report.UsersUpdated), len(res.Report.TokensRevoked)
	if err := s.Platform.EndMaintenance(context.WithoutCancel(ctx), t.ID, "tenant.restored", detail); err != nil {
		return res, err
	}
	return res, nil
}

// finishRestore starts the new epoch in the restored file and signs it.
func (s *Service) finishRestore(ctx context.Context, plan *RestorePlan, info tenant.Info, live, archive string) (*RestoreResult, error) {
	restored, err := tenant.OpenFile(ctx, live, info, nil)
	if err != nil {
		return nil, err
	}
	defer restored.Close()
	replaced, err := tenant.OpenFile(ctx, archive, info, nil)
	if err != nil {
		return nil, err
	}
	defer replaced.Close()
	epoch, err := s.nextEpoch(ctx, info.ID, plan.RestoredHead)
	if err != nil {
		return nil, err
	}
	rep, err := identity.New(restored).StartRestoredEpoch(ctx, replaced, identity.RestoreInfo{
		RequestedAt: plan.RequestedAt, PointTXID: plan.Point.TXID, PointAt: plan.Point.Time,
		RestoredSeq: plan.RestoredHead.Seq, DiscardedThroughSeq: plan.LiveHead.Seq,
		DiscardedHeadHash: hex.EncodeToString(plan.LiveHead.Hash), Archive: archive, Epoch: epoch,
	})
	if err != nil {
		return nil, err
	}
	// Signed inside the restore, before the tenant serves again: the
	// restore checkpoint is the only thing that lets an epoch start, and
	// it names the head this restore discards.
	if err := s.signRestore(ctx, tenantChain(restored), rep.First, plan.RestoredHead, plan.LiveHead); err != nil {
		return nil, err
	}
	return &RestoreResult{Plan: plan, Archive: archive, Epoch: epoch, Report: rep}, nil
}

// waitReleased waits until the serving process has closed the tenant's file.
func (s *Service) waitReleased(ctx context.Context, tenantID string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := s.Platform.MaintenanceReleased(ctx, tenantID)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return aura.Errorf(aura.EUNAVAILABLE, "The running server did not release the tenant within %s; nothing was changed.", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ReleaseMaintained is run by the serving process: it closes the files of
// tenants put under maintenance by another process and acknowledges each
// once closed, so the other process may replace the file.
func (s *Service) ReleaseMaintained(ctx context.Context) error {
	pending, err := s.Platform.PendingMaintenance(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	for _, m := range pending {
		select {
		case <-s.Router.Forget(m.Slug):
		case <-time.After(30 * time.Second):
			continue // requests still running; the next round tries again
		}
		if err := s.Platform.ReleaseMaintenance(ctx, m.TenantID); err != nil {
			return err
		}
	}
	return nil
}

// moveTenantFiles renames a tenant file with its WAL and shared memory.
func moveTenantFiles(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(from+suffix, to+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
