package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 is an S3 server on loopback (gofakes3, in memory) with a bucket
// "aura".
type fakeS3 struct {
	url     string
	backend *s3mem.Backend
}

func startFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "") // the machine's bundle setting breaks the SDK's custom client
	backend := s3mem.New()
	if err := backend.CreateBucket("aura"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &fakeS3{url: srv.URL, backend: backend}
}

// keys returns the object keys under prefix.
func (s *fakeS3) keys(t *testing.T, prefix string) []string {
	t.Helper()
	list, err := s.backend.ListBucket("aura", &gofakes3.Prefix{Prefix: prefix, HasPrefix: true}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	return out
}

// TestResidency gives a tenant its own replica target: two S3 endpoints on
// loopback named eu (the default) and ch in litestream.yml. After `aura
// tenant set-region --replica ch` the running server moves the tenant
// there with a fresh snapshot (rows written before the move are in it),
// writes go on to ch, the replica at eu is kept, `aura backup status`
// shows where the data lives, and the tenant restores from ch alone.
func TestResidency(t *testing.T) {
	eu, ch := startFakeS3(t), startFakeS3(t)
	cfg := filepath.Join(t.TempDir(), "litestream.yml")
	target := func(name, url string) string {
		return fmt.Sprintf("      - name: %s\n        type: s3\n        bucket: aura\n        path: prod\n        endpoint: %s\n        region: eu-central\n        force-path-style: true\n        access-key-id: test\n        secret-access-key: test-secret\n        sync-interval: 100ms\n", name, url)
	}
	if err := os.WriteFile(cfg, []byte("dbs:\n  - replicas:\n"+target("eu", eu.url)+target("ch", ch.url)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	c.mustRun("correct horse battery staple\n", "tenant", "create", "alpina", "--name", "Alpina", "--owner-email", "owner@alpina.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "alpina", "--email", "owner@alpina.example", "--name", "r", "--scopes", "users.read,users.write"))
	var list []struct{ Slug, ID string }
	json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list)
	prefix := "prod/tenants/" + list[0].ID + "/"

	s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	var emails []string
	write := func(n int, tag string) {
		for i := 0; i < n; i++ {
			e := fmt.Sprintf("%s%d@alpina.example", tag, i)
			if !invite(t, s.https, "alpina", tok, e) {
				t.Fatalf("invite %s failed", e)
			}
			emails = append(emails, e)
		}
	}
	write(5, "before")
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the tenant's replica at eu", func() bool { return len(eu.keys(t, prefix)) > 0 })
	if got := ch.keys(t, prefix); len(got) != 0 {
		t.Fatalf("ch holds the tenant before any move: %v", got)
	}

	out := c.mustRun("", "tenant", "set-region", "alpina", "--replica", "ch", "--litestream", cfg)
	if !strings.Contains(out, "ch: s3://aura/prod at "+ch.url) {
		t.Fatalf("set-region: %s", out)
	}
	waitFor("the tenant's replica at ch", func() bool { return len(ch.keys(t, prefix)) > 0 })
	write(5, "after")
	// Unknown targets are refused, naming the ones there are.
	if code, _, errs := c.run("", "tenant", "set-region", "alpina", "--replica", "mars", "--litestream", cfg); code != 1 || !strings.Contains(errs, "targets: ch, eu") {
		t.Fatalf("unknown target: exit %d %q", code, errs)
	}

	var status struct {
		Databases []struct{ Database, Where, Error string }
	}
	if err := json.Unmarshal([]byte(c.mustRun("", "backup", "status", "--json", "--litestream", cfg)), &status); err != nil {
		t.Fatal(err)
	}
	for _, d := range status.Databases {
		want := "; eu: s3://aura/prod at " + eu.url // the platform DB stays at the default
		if d.Database == "alpina" {
			want = "; ch: s3://aura/prod at " + ch.url
		}
		if !strings.HasPrefix(d.Where, "on-site file ") || !strings.HasSuffix(d.Where, want) || d.Error != "" {
			t.Fatalf("backup status of %s: where %q (want %q), error %q", d.Database, d.Where, want, d.Error)
		}
	}
	s.stop()

	// The replica at eu is kept; then it goes, and the tenant restores
	// from ch alone, with every write from before and after the move.
	old := eu.keys(t, prefix)
	if len(old) == 0 {
		t.Fatal("the replica at the previous target is gone")
	}
	for _, k := range old {
		if _, err := eu.backend.DeleteObject("aura", k); err != nil {
			t.Fatal(err)
		}
	}
	if out := c.mustRun("", "restore", "alpina", "--latest", "--from", "off-site", "--yes", "--litestream", cfg); !strings.Contains(out, "read from the off-site replica") {
		t.Fatalf("restore --from off-site: %s", out)
	}
	got := userEmails(t, c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg).https, "alpina", tok)
	for _, e := range emails {
		if !got[e] {
			t.Fatalf("%s is not in the tenant restored from ch", e)
		}
	}
	c.mustRun("", "audit", "verify", "alpina")
}
