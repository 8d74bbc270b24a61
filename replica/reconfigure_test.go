package replica_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
)

// compactingConfig is fastConfig with a level-1 compaction every 200ms and
// an L0 retention of 1ms, so Litestream's staging beside a file drops its
// first transactions within a second, as it does after minutes in
// production.
func compactingConfig(dest replica.Destination) replica.Config {
	cfg := fastConfig(dest)
	cfg.L0Retention = time.Millisecond
	cfg.Levels = []time.Duration{200 * time.Millisecond}
	return cfg
}

// waitCompacted writes to db until the staging beside path no longer
// holds the first transaction (compacted and dropped).
func waitCompacted(t *testing.T, r *replica.Replicator, path string, write func()) {
	t.Helper()
	l0 := filepath.Join(replica.StagingDir(path), "ltx", "0")
	for deadline := time.Now().Add(time.Minute); ; {
		write()
		if err := r.Sync(context.Background(), path); err != nil {
			t.Fatal(err)
		}
		_, err := os.Stat(filepath.Join(l0, "0000000000000001-0000000000000001.ltx"))
		if ents, _ := os.ReadDir(l0); len(ents) > 0 && os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Litestream's staging still holds the first transaction after a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReconfigure moves a registered file from one on-site replica to
// another while it is written: every change committed before the move is
// in the old replica, and a restore from the new one holds every change,
// before and after the move, even when Litestream's staging had already
// dropped the file's first transactions (the new replica then starts with
// a full snapshot); a file registered afterwards replicates to the new
// one. An invalid config, or one without a target a
// registered file uses, changes nothing.
func TestReconfigure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	destA := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "A")}
	r := mustReplicator(t, compactingConfig(destA))
	if err := r.Register(ctx, path, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func() { insertGuests(t, db, "g", 1, 100); n++ }
	waitCompacted(t, r, path, write)
	write()
	before := n

	t.Run("ErrInvalid", func(t *testing.T) {
		bad := compactingConfig(replica.Destination{Type: "ftp", Path: "x"})
		if _, err := r.Reconfigure(ctx, bad); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
		// A config without the target a registered file uses.
		other := filepath.Join(dir, "other.db")
		mustOpenDB(t, other)
		withEU := compactingConfig(destA)
		withEU.Targets = map[string]replica.Destination{"eu": {Type: replica.TypeFile, Path: filepath.Join(dir, "eu")}}
		withEU.DefaultTarget = "eu"
		withEU.OffSiteRetention = 30 * 24 * time.Hour
		if _, err := r.Reconfigure(ctx, withEU); err != nil {
			t.Fatal(err)
		}
		if err := r.Register(ctx, other, "@eu/tenants/b", key); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Reconfigure(ctx, compactingConfig(destA)); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("a config without the target eu a file uses: err = %v, want EINVALID", err)
		}
		if err := r.Unregister(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Reconfigure(ctx, compactingConfig(destA)); err != nil {
			t.Fatal(err)
		}
		if got := r.Config().Destination; got != destA {
			t.Fatalf("destination %v after a refused config", got)
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		changed, err := r.Reconfigure(ctx, compactingConfig(destA))
		if err != nil || changed {
			t.Fatalf("the same config: changed %v, err %v", changed, err)
		}
	})

	destB := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "B")}
	changed, err := r.Reconfigure(ctx, compactingConfig(destB))
	if err != nil || !changed {
		t.Fatalf("Reconfigure: changed %v, err %v", changed, err)
	}
	if got := r.Config().Destination; got != destB {
		t.Fatalf("destination %v after Reconfigure", got)
	}
	// The old replica has everything committed before the move.
	old := mustReplicator(t, fastConfig(destA))
	if got := restoredGuests(t, old, "tenants/a", key); got != before {
		t.Fatalf("the old replica holds %d rows, %d were committed before the move", got, before)
	}
	for i := 0; i < 5; i++ {
		write()
	}
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	st, err := r.Status(ctx, path)
	if err != nil || st.ReplicaTXID == 0 || st.ReplicaTXID != st.LocalTXID {
		t.Fatalf("status after the move: %+v, %v", st, err)
	}
	nb := mustReplicator(t, fastConfig(destB))
	out := filepath.Join(t.TempDir(), "restored.db")
	if _, err := nb.Restore(ctx, "tenants/a", key, out, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := integrity(t, out); got != "ok" {
		t.Fatalf("integrity_check = %q", got)
	}
	gotN, gotSum := digest(t, out)
	wantN, wantSum := digestDB(t, db.Read)
	if gotN != n || gotN != wantN || gotSum != wantSum {
		t.Fatalf("restored from the new replica: %d rows (%s); the file has %d (%s), %d written", gotN, gotSum, wantN, wantSum, n)
	}
	// A file registered after the move replicates to the new replica.
	later := filepath.Join(dir, "later.db")
	insertGuests(t, mustOpenDB(t, later), "l", 2, 100)
	if err := r.Register(ctx, later, "tenants/later", key); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, later); err != nil {
		t.Fatal(err)
	}
	if st, err := r.Status(ctx, later); err != nil || st.Where != destB.String() {
		t.Fatalf("a file registered after the move: %+v, %v", st, err)
	}
	if got := restoredGuests(t, nb, "tenants/later", key); got != 2 {
		t.Fatalf("the file registered after the move: %d rows in the new replica, want 2", got)
	}
	if err := r.Unregister(ctx, later); err != nil {
		t.Fatal(err)
	}
	// Unregistering ships the last changes to the new replica only.
	write()
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	if got := restoredGuests(t, nb, "tenants/a", key); got != n {
		t.Fatalf("after Unregister the new replica holds %d rows, want %d", got, n)
	}
	if got := restoredGuests(t, old, "tenants/a", key); got != before {
		t.Fatalf("the old replica was written after the move: %d rows, want %d", got, before)
	}
}

// TestRegisterAtEmptyDestination restarts replication of a file whose
// staging has dropped its first transactions at a destination that holds
// nothing of it (a restart with a new replication config): the replica
// starts afresh with a full snapshot instead of failing on the missing
// transactions.
func TestRegisterAtEmptyDestination(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	a, err := replica.New(compactingConfig(replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "A")}))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Register(ctx, path, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	waitCompacted(t, a, path, func() { insertGuests(t, db, "a", 1, 100) })
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b := mustReplicator(t, fastConfig(replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "B")}))
	if err := b.Register(ctx, path, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "b", 3, 100)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := b.Sync(sctx, path); err != nil {
		t.Fatal(err)
	}
	if got, want := restoredGuests(t, b, "tenants/a", key), countGuests(t, path); got != want {
		t.Fatalf("restored %d rows, the file has %d", got, want)
	}
}
