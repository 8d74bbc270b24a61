package guestdata_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant/guestdata"
)

// TestEraseReachesSnapshot replicates the tenant file with the real
// embedded Litestream (encrypted, to a directory), anonymises a guest and
// takes the snapshot that follows: restored, it holds none of the guest's
// sealed cells or wrapped key in any byte, the guest's key is NULL, and
// the guest's name is in no byte of it. (Older snapshots and WAL segments
// still hold the wrapped key until they age out with the replica's
// retention; this is what per-guest keys promise, and the key in them is
// sealed by the tenant key.)
func TestEraseReachesSnapshot(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	s := stayGuest(t, f, f.Day(0), 0)
	cells := sealedCells(t, f, s)

	ctx := context.Background()
	dest := filepath.Join(t.TempDir(), "replica")
	r, err := replica.New(replica.Config{Destination: replica.Destination{Type: replica.TypeFile, Path: dest},
		SyncInterval: 100 * time.Millisecond, SnapshotInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	key := keys.NewKey()
	const prefix = "tenants/guestdata"
	if err := r.Register(ctx, f.DB.Path, prefix, key); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, f.DB.Path); err != nil {
		t.Fatal(err)
	}
	restore := func(name string) []byte {
		t.Helper()
		out := filepath.Join(t.TempDir(), name)
		if _, err := r.Restore(ctx, prefix, key, out, time.Time{}); err != nil {
			t.Fatal(err)
		}
		return pmstest.Must(os.ReadFile(out))(t)
	}
	before := restore("before.db")
	for name, v := range cells {
		if !bytes.Contains(before, v) {
			t.Fatalf("the replica before the erasure lacks the sealed %s: the search proves nothing", name)
		}
	}

	pmstest.Must(guestdata.New(f.DB).Erase(f.Ctx, s.guest.ID, 0))(t)
	if err := r.Checkpoint(ctx, f.DB.Path); err != nil {
		t.Fatal(err)
	}
	// Closing the file takes its first snapshot (none was taken this
	// interval): the snapshot after the anonymisation.
	if err := r.Unregister(ctx, f.DB.Path); err != nil {
		t.Fatal(err)
	}
	snaps, err := filepath.Glob(filepath.Join(dest, prefix, "ltx", "9", "*.ltx"))
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots after closing: %v %v", snaps, err)
	}
	after := restore("after.db")
	for name, v := range cells {
		if bytes.Contains(after, v) {
			t.Errorf("the snapshot after the erasure holds the sealed %s", name)
		}
	}
	for _, m := range []string{markerGiven, markerFamily, markerEmail, markerNotes, markerNumber, markerPhoto} {
		if bytes.Contains(after, []byte(m)) {
			t.Errorf("the snapshot after the erasure holds %q", m)
		}
	}
	out := filepath.Join(t.TempDir(), "check.db")
	if err := os.WriteFile(out, after, 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var wrapped []byte
	if err := ro.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, s.guest.ID).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if wrapped != nil {
		t.Fatal("the restored snapshot still holds the guest's key")
	}
}
