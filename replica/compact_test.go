package replica_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/replica"
)

// TestUnregisterDuringSnapshot closes files while snapshots of them are
// due every 20 ms. Litestream v0.5.18's UnregisterDB closes its handle on
// a file without waiting for a snapshot reading it, so with Litestream's
// own monitors this test reports a data race under -race (as the CI run
// that found it did); the Replicator's monitors hold the file's
// registration lock, as Unregister does, and a restore after each close
// finds every row.
func TestUnregisterDuringSnapshot(t *testing.T) {
	ctx := context.Background()
	cfg := fastConfig(replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")})
	cfg.SnapshotInterval = 20 * time.Millisecond
	cfg.Retention = time.Hour
	r := mustReplicator(t, cfg)
	for i := range 15 {
		path := filepath.Join(t.TempDir(), "tenant.db")
		db := mustOpenDB(t, path)
		insertGuests(t, db, "g", 200, 4096)
		key := newKey()
		prefix := fmt.Sprintf("tenants/snap%d", i)
		if err := r.Register(ctx, path, prefix, key); err != nil {
			t.Fatal(err)
		}
		if err := r.Sync(ctx, path); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%5) * 7 * time.Millisecond)
		if err := r.Unregister(ctx, path); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "restored.db")
		if _, err := r.Restore(ctx, prefix, key, out, time.Time{}); err != nil {
			t.Fatalf("restore %d: %v", i, err)
		}
		if n := countGuests(t, out); n != 200 {
			t.Fatalf("restore %d: %d guests, want 200", i, n)
		}
	}
}
