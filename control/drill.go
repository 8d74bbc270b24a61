package control

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
)

// Drill is the restore drill of one tenant: its latest replica is restored
// into a scratch file (beside the data, on the same encrypted volume) and
// checked: SQLite's integrity_check, the audit chain against the signed
// checkpoints, and that the restored chain is a prefix of the live one (the
// row at the restored head's seq has the same hash in the live file). Row
// counts of both are reported. The on-site replica is drilled (the
// off-site copy when the on-site one holds nothing), and then the off-site
// copy too when there is one: it must restore and pass the same checks,
// else the drill fails naming it. The result is recorded in the platform DB
// and the scratch file removed. A drill that fails its checks returns a
// Drill with OK false and a nil error; err is for failing to run at all.
func (s *Service) Drill(ctx context.Context, t platform.Tenant) (platform.Drill, error) {
	d := platform.Drill{TenantID: t.ID, RanAt: time.Now().UTC(), Integrity: "not checked", Chain: "not checked"}
	if s.Replicator == nil {
		return d, aura.Errorf(aura.ENOTIMPLEMENTED, "Replication is not configured, so there is nothing to drill.")
	}
	key, err := s.Platform.DataKey(t)
	if err != nil {
		return d, err
	}
	scratch, err := os.MkdirTemp(filepath.Dir(s.TenantsDir), "drill-")
	if err != nil {
		return d, err
	}
	defer os.RemoveAll(scratch)
	start := time.Now()
	record := func(detail string) (platform.Drill, error) {
		d.Duration, d.Detail = time.Since(start), detail
		d.OK = d.Integrity == "ok" && d.Chain == "ok" && detail == "ok"
		return d, s.Platform.RecordDrill(context.WithoutCancel(ctx), d)
	}
	cp, err := s.restoreChecked(ctx, t, key, filepath.Join(scratch, t.ID+".db"), time.Time{}, "")
	if err != nil {
		if aura.ErrorCode(err) == aura.EINTERNAL {
			return d, err
		}
		// An unreadable replica (wrong key, tampered, empty) is a failed drill.
		return record("the replica could not be restored: " + aura.ErrorMessage(err))
	}
	defer cp.db.Close()
	d.Integrity, d.Chain, d.PointTXID, d.PointAt, d.RestoredSeq = "ok", cp.chain, cp.point.TXID, cp.point.Time, cp.head.Seq
	if d.RestoredRows, err = totalRows(ctx, cp.db.SQL()); err != nil {
		return d, err
	}
	live, err := sqlite.Open(s.TenantPath(t.ID), sqlite.Options{ReadOnly: true, ReadConns: 1})
	if err != nil {
		return d, err
	}
	defer live.Close()
	liveHead, err := audit.ReadHead(ctx, live.Read, t.ID)
	if err != nil {
		return d, err
	}
	d.LiveSeq = liveHead.Seq
	if d.LiveRows, err = totalRows(ctx, live); err != nil {
		return d, err
	}
	var hash []byte
	err = live.Read.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = ?`, cp.head.Seq).Scan(&hash)
	switch {
	case cp.head.Seq == 0:
		return record("ok")
	case err != nil:
		return record(fmt.Sprintf("the live chain has no row %d, which the replica has", cp.head.Seq))
	case !bytes.Equal(hash, cp.head.Hash):
		return record(fmt.Sprintf("the replica's audit row %d differs from the live one: the replica does not hold the live history", cp.head.Seq))
	}
	if cp.point.From == replica.OnSite {
		if detail := s.drillOffSite(ctx, t, key, scratch); detail != "ok" {
			return record(detail)
		}
	}
	return record("ok")
}

// drillOffSite restores t's off-site copy into scratch and checks it as
// Drill does; it returns "ok", or what failed. Without an off-site target
// there is nothing to check.
func (s *Service) drillOffSite(ctx context.Context, t platform.Tenant, key []byte, scratch string) string {
	cfg := s.Replicator.Config()
	if cfg.OffSiteTarget(t.ReplicaTarget()) == "" {
		return "ok"
	}
	cp, err := s.restoreChecked(ctx, t, key, filepath.Join(scratch, t.ID+"-off-site.db"), time.Time{}, replica.OffSite)
	if err != nil {
		return "the off-site copy at " + cfg.OffSiteWhere(t.ReplicaTarget()) + " could not be restored: " + aura.ErrorMessage(err)
	}
	defer cp.db.Close()
	if cp.chain != "ok" {
		return "the off-site copy's audit chain: " + cp.chain
	}
	return "ok"
}

// totalRows counts the rows of every table of a file (without SQLite's and
// Litestream's own).
func totalRows(ctx context.Context, db *sqlite.DB) (int64, error) {
	names, err := userTables(ctx, db)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, n := range names {
		c, err := countRows(ctx, db, n)
		if err != nil {
			return 0, err
		}
		total += c
	}
	return total, nil
}
