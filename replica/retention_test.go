package replica_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura/replica"
)

// TestRetention moves the Replicator's clock days ahead: snapshots are kept
// 7 days in a directory (on-site) and 30 days in S3 (off-site). Just inside
// the window every snapshot stays; past it the older ones go, the newest
// stays, and a restore from what is left still holds every row.
func TestRetention(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var skew atomic.Int64 // how far the fake clock is ahead
			cfg := fastConfig(dest)
			cfg.SnapshotInterval = time.Second
			cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			r := mustReplicator(t, cfg)
			want := replica.DefaultRetentionOnSite
			if dest.Type == replica.TypeS3 {
				want = replica.DefaultRetentionOffSite
			}
			if got := r.Config().Retention; got != want {
				t.Fatalf("retention of a %s replica = %v, want %v", name, got, want)
			}
			path := filepath.Join(t.TempDir(), "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			rows := 0
			// session opens the file, writes and closes it: each close
			// snapshots once per snapshot interval, then applies retention.
			session := func(name string) {
				t.Helper()
				// The middle of the next snapshot interval: Litestream's own
				// snapshots of registered files run at the boundaries.
				time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1500 * time.Millisecond)))
				if err := r.Register(ctx, path, "tenants/r", key); err != nil {
					t.Fatal(err)
				}
				insertGuests(t, db, name, 3, 10)
				rows += 3
				if err := r.Unregister(ctx, path); err != nil {
					t.Fatal(err)
				}
			}
			snapshots := func() int {
				t.Helper()
				tl, err := r.Timeline(ctx, "tenants/r", key)
				if err != nil {
					t.Fatal(err)
				}
				return len(tl.Snapshots)
			}
			session("first")
			session("second")
			if got := snapshots(); got != 2 {
				t.Fatalf("%d snapshots after two sessions, want 2", got)
			}
			skew.Store(int64(want - time.Hour)) // still inside the window
			session("third")
			if got := snapshots(); got != 3 {
				t.Fatalf("%v later: %d snapshots, want all 3 kept", want-time.Hour, got)
			}
			skew.Store(int64(want + time.Hour)) // every snapshot is now past it
			session("fourth")
			if got := snapshots(); got != 1 {
				t.Fatalf("%v later: %d snapshots, want only the newest", want+time.Hour, got)
			}
			if got := restoredGuests(t, r, "tenants/r", key); got != rows {
				t.Fatalf("restored %d rows after retention, want %d", got, rows)
			}
		})
	}
}
