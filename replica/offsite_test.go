package replica_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// onSiteAndOffSite returns a config replicating on-site to a directory and
// off-site to off (the default target, "eu").
func onSiteAndOffSite(t *testing.T, off replica.Destination) replica.Config {
	cfg := fastConfig(replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "on-site")})
	cfg.Targets, cfg.DefaultTarget = map[string]replica.Destination{"eu": off}, "eu"
	return cfg
}

// TestOnSiteAndOffSite replicates one file to a directory (on-site) and to
// versitygw (off-site) at once, and restores it from either: the latest
// state and a point in time, from each replica chosen explicitly, from the
// on-site one by default, and from the off-site one when the on-site
// replica is gone (the server was lost).
func TestOnSiteAndOffSite(t *testing.T) {
	st := startVersity(t)
	ctx := context.Background()
	cfg := onSiteAndOffSite(t, st.destination())
	r := mustReplicator(t, cfg)
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "first", 10, 200)
	if err := r.SyncOffSite(ctx, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	between := time.Now()
	time.Sleep(1100 * time.Millisecond)
	insertGuests(t, db, "second", 10, 200)
	if err := r.SyncOffSite(ctx, path); err != nil {
		t.Fatal(err)
	}

	// Both replicas hold the file, each under its prefix.
	if len(files(t, filepath.Join(cfg.Destination.Path, "tenants", "a"))) == 0 {
		t.Fatal("nothing on-site")
	}
	objs := st.objects(t)
	if len(objs) == 0 {
		t.Fatal("nothing off-site")
	}
	for k := range objs {
		if !strings.HasPrefix(k, "aura/tenants/a/") {
			t.Fatalf("unexpected off-site object %q", k)
		}
	}
	s, err := r.Status(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.OffSite == nil || s.OffSite.Target != "eu" || s.OffSite.Error != "" || s.OffSite.ReplicaTXID != s.LocalTXID || s.ReplicaTXID != s.LocalTXID || s.OffSite.LastSync.IsZero() {
		t.Fatalf("status %+v, off-site %+v", s, s.OffSite)
	}

	restore := func(at time.Time, from string) (int, replica.Point) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "restored.db")
		p, err := r.RestoreFrom(ctx, "tenants/a", key, out, at, from)
		if err != nil {
			t.Fatalf("restore from %q at %v: %v", from, at, err)
		}
		if res := integrity(t, out); res != "ok" {
			t.Fatalf("integrity %s", res)
		}
		return countGuests(t, out), p
	}
	for _, from := range []string{replica.OnSite, replica.OffSite} {
		if n, p := restore(time.Time{}, from); n != 20 || p.From != from {
			t.Fatalf("latest from %s: %d rows, point %+v", from, n, p)
		}
		if n, p := restore(between, from); n != 10 || p.From != from {
			t.Fatalf("at %v from %s: %d rows, point %+v", between, from, n, p)
		}
	}
	if n, p := restore(between, ""); n != 10 || p.From != replica.OnSite {
		t.Fatalf("default restore: %d rows from %q, want 10 from on-site", n, p.From)
	}
	if _, err := r.RestoreFrom(ctx, "tenants/a", key, filepath.Join(t.TempDir(), "x.db"), time.Time{}, "elsewhere"); aura.ErrorCode(err) != aura.EINVALID {
		t.Fatalf("restore from elsewhere: %v", err)
	}
	// Only the off-site target knows a time before the on-site replica's
	// first snapshot once the server is lost: the default falls back to it.
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(cfg.Destination.Path); err != nil {
		t.Fatal(err)
	}
	if n, p := restore(time.Time{}, ""); n != 20 || p.From != replica.OffSite {
		t.Fatalf("restore with the on-site replica lost: %d rows from %q", n, p.From)
	}
	if _, err := r.RestoreFrom(ctx, "tenants/a", key, filepath.Join(t.TempDir(), "y.db"), time.Time{}, replica.OnSite); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("explicit on-site restore of a lost replica: %v", err)
	}

	// A new server: the file restored from the off-site copy replicates
	// again. The empty on-site replica is filled from the off-site one
	// first, so the history goes on in both and both restore every row.
	moved := filepath.Join(t.TempDir(), "moved.db")
	if _, err := r.RestoreFrom(ctx, "tenants/a", key, moved, time.Time{}, replica.OffSite); err != nil {
		t.Fatal(err)
	}
	db2 := mustOpenDB(t, moved)
	if err := r.Register(ctx, moved, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db2, "third", 5, 200)
	if err := r.SyncOffSite(ctx, moved); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{replica.OnSite, replica.OffSite} {
		if n, _ := restore(time.Time{}, from); n != 25 {
			t.Fatalf("after the move, latest from %s: %d rows, want 25", from, n)
		}
		if n, _ := restore(between, from); n != 10 {
			t.Fatalf("after the move, at %v from %s: %d rows, want 10", between, from, n)
		}
	}
}

// TestOffSiteOutage: while the off-site target refuses every request the
// on-site replica keeps up and the status names the failure; once the
// target answers again the mirror catches up and a restore from it holds
// every row.
func TestOffSiteOutage(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	h := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if down.Load() {
			http.Error(w, "down for maintenance", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, req)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	off := replica.Destination{Type: replica.TypeS3, Bucket: testBucket, Path: "aura", Endpoint: srv.URL, Region: "eu-central",
		ForcePathStyle: true, AccessKeyID: "test-access", SecretAccessKey: "test-secret"}

	ctx := context.Background()
	r := mustReplicator(t, onSiteAndOffSite(t, off))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/o", key); err != nil {
		t.Fatalf("an unreachable off-site target stopped the registration: %v", err)
	}
	insertGuests(t, db, "during", 15, 100)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatalf("the on-site replica did not keep up: %v", err)
	}
	if err := r.SyncOffSite(ctx, path); err == nil {
		t.Fatal("SyncOffSite succeeded against a target that refuses everything")
	}
	s, err := r.Status(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.ReplicaTXID != s.LocalTXID || s.OffSite == nil || s.OffSite.Error == "" || s.OffSite.ReplicaTXID >= s.LocalTXID || s.OffSite.Lag <= 0 {
		t.Fatalf("status during the outage %+v, off-site %+v", s, s.OffSite)
	}
	if n := restoredGuests(t, r, "tenants/o", key); n != 15 {
		t.Fatalf("on-site restore during the outage: %d rows", n)
	}
	// Closing another file meanwhile does not wait for the failing
	// target again (a shutdown closing many files stays bounded); its
	// on-site replica gets everything.
	other := filepath.Join(t.TempDir(), "other.db")
	odb := mustOpenDB(t, other)
	if err := r.Register(ctx, other, "tenants/other", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, odb, "other", 4, 10)
	if err := r.Unregister(ctx, other); err == nil || !strings.Contains(err.Error(), "has failed since") {
		t.Fatalf("closing a file while the target fails: %v", err)
	}
	if n := restoredGuests(t, r, "tenants/other", key); n != 4 {
		t.Fatalf("on-site restore of the other file: %d rows", n)
	}

	down.Store(false)
	insertGuests(t, db, "after", 5, 100)
	if err := r.SyncOffSite(ctx, path); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.Status(ctx, path); s.OffSite.Error != "" || s.OffSite.ReplicaTXID != s.LocalTXID || s.OffSite.Lag != 0 {
		t.Fatalf("status after the outage: off-site %+v, local txid %d", s.OffSite, s.LocalTXID)
	}
	out := filepath.Join(t.TempDir(), "off.db")
	if p, err := r.RestoreFrom(ctx, "tenants/o", key, out, time.Time{}, replica.OffSite); err != nil || p.From != replica.OffSite {
		t.Fatalf("off-site restore: %v (%+v)", err, p)
	}
	if n := countGuests(t, out); n != 20 {
		t.Fatalf("off-site restore after the outage: %d rows, want 20", n)
	}
}

// TestRetentionOnSiteAndOffSite moves the Replicator's clock ahead with
// one file replicated on-site (a directory, 7 days) and off-site
// (versitygw, 30 days): past 7 days only the on-site replica drops its old
// snapshots; past 30 days the off-site one does too; each keeps its newest
// and restores every row.
func TestRetentionOnSiteAndOffSite(t *testing.T) {
	st := startVersity(t)
	ctx := context.Background()
	var skew atomic.Int64
	cfg := onSiteAndOffSite(t, st.destination())
	cfg.SnapshotInterval = time.Second
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	r := mustReplicator(t, cfg)
	if c := r.Config(); c.Retention != replica.DefaultRetentionOnSite || c.OffSiteRetention != replica.DefaultRetentionOffSite {
		t.Fatalf("retention on-site %v, off-site %v", c.Retention, c.OffSiteRetention)
	}
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	rows := 0
	session := func(name string) {
		t.Helper()
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
	snapshots := func(from string) int {
		t.Helper()
		tl, err := r.TimelineFrom(ctx, "tenants/r", key, from)
		if err != nil {
			t.Fatal(err)
		}
		return len(tl.Snapshots)
	}
	check := func(when string, onSite, offSite int) {
		t.Helper()
		if got := snapshots(replica.OnSite); got != onSite {
			t.Fatalf("%s: %d on-site snapshots, want %d", when, got, onSite)
		}
		if got := snapshots(replica.OffSite); got != offSite {
			t.Fatalf("%s: %d off-site snapshots, want %d", when, got, offSite)
		}
		for _, from := range []string{replica.OnSite, replica.OffSite} {
			out := filepath.Join(t.TempDir(), "restored.db")
			if _, err := r.RestoreFrom(ctx, "tenants/r", key, out, time.Time{}, from); err != nil {
				t.Fatal(err)
			}
			if n := countGuests(t, out); n != rows {
				t.Fatalf("%s: restored %d rows from %s, want %d", when, n, from, rows)
			}
		}
	}
	session("first")
	session("second")
	check("after two sessions", 2, 2)
	skew.Store(int64(replica.DefaultRetentionOnSite + time.Hour))
	session("third")
	check("7 days later", 1, 3)
	skew.Store(int64(replica.DefaultRetentionOffSite - time.Hour))
	session("fourth")
	check("just under 30 days later", 1, 4)
	skew.Store(int64(replica.DefaultRetentionOffSite + 2*time.Hour))
	session("fifth")
	check("30 days later", 1, 1)
}
