package control_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/replica"
)

// TestPruneMovedReplica moves a tenant from the off-site target eu to ch
// (two directories beside the on-site one). The copy at eu stays while ch
// holds nothing verified, and while the off-site retention since the move
// has not run out; past it, with the clock 30 days ahead, it is deleted,
// the deletion is in the platform audit chain, and the tenant still
// restores from ch.
func TestPruneMovedReplica(t *testing.T) {
	ctx := context.Background()
	env := auratest.New(t, auratest.Options{})
	dir := t.TempDir()
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	eu, ch := filepath.Join(dir, "eu"), filepath.Join(dir, "ch")
	rep, err := replica.New(replica.Config{
		Destination:   replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "on-site")},
		Targets:       map[string]replica.Destination{"eu": {Type: replica.TypeFile, Path: eu}, "ch": {Type: replica.TypeFile, Path: ch}},
		DefaultTarget: "eu", SyncInterval: 100 * time.Millisecond, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close(context.Background()) })
	env.Control.Replicator = rep
	tn := env.CreateTenant(t, "alpina")
	db := env.Acquire(t, "alpina")
	// replicate registers the open file at the tenant's current target,
	// writes a row, and closes the registration (a final copy off-site).
	replicate := func() {
		t.Helper()
		cur, err := env.Platform.TenantByID(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Register(ctx, db.Path, env.Control.ReplicaPrefix(cur), db.DerivedKey("replica")); err != nil {
			t.Fatal(err)
		}
		if err := env.Control.Checkpoint(ctx, "alpina"); err != nil {
			t.Fatal(err)
		}
		if err := rep.Unregister(ctx, db.Path); err != nil {
			t.Fatal(err)
		}
	}
	held := func(root string) bool {
		entries, err := os.ReadDir(filepath.Join(root, "tenants", tn.ID))
		return err == nil && len(entries) > 0
	}
	prune := func(want string) control.MoveOutcome {
		t.Helper()
		out, err := env.Control.PruneMovedReplicas(ctx, now())
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].Action != want || out[0].From != "eu" {
			t.Fatalf("prune: %+v, want one %q of eu", out, want)
		}
		return out[0]
	}

	replicate()
	if !held(eu) || held(ch) {
		t.Fatalf("before the move: eu %v, ch %v", held(eu), held(ch))
	}
	if _, err := env.Platform.SetReplicaTarget(ctx, "alpina", "ch"); err != nil {
		t.Fatal(err)
	}
	// Nothing at ch yet: nothing is deleted, even long after the move.
	skew.Store(int64(31 * 24 * time.Hour))
	prune("waiting")
	skew.Store(0)
	if !held(eu) {
		t.Fatal("the copy at eu went before ch held a verified snapshot")
	}
	replicate()
	if !held(ch) {
		t.Fatal("nothing at ch after the move")
	}
	// Verified, but inside the retention window: kept.
	prune("kept")
	skew.Store(int64(replica.DefaultRetentionOffSite - time.Hour))
	prune("kept")
	if !held(eu) {
		t.Fatal("the copy at eu went inside its retention")
	}
	skew.Store(int64(replica.DefaultRetentionOffSite + time.Hour))
	prune("pruned")
	if held(eu) || !held(ch) {
		t.Fatalf("after pruning: eu %v, ch %v", held(eu), held(ch))
	}
	rows, err := env.Platform.AuditLog(ctx, audit.Filter{Action: "tenant.replica_pruned"})
	if err != nil || len(rows) != 1 || rows[0].EntityID != tn.ID {
		t.Fatalf("audit rows of the pruning: %+v, %v", rows, err)
	}
	if out, err := env.Control.PruneMovedReplicas(ctx, now()); err != nil || len(out) != 0 {
		t.Fatalf("a second pass: %+v, %v", out, err)
	}
	plan, err := env.Control.PrepareRestoreFrom(ctx, "alpina", time.Time{}, replica.OffSite)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Control.DiscardRestore(plan)
	if !plan.OK() || plan.Point.From != replica.OffSite {
		t.Fatalf("restore from ch after pruning eu: %+v", plan)
	}
}
