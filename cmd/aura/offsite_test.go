package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// startVersitygw starts versitygw, a real S3 gateway (built by make
// test-deps), on 127.0.0.1 with a bucket "aura", and returns its URL and
// the directory its posix backend stores objects in. A missing binary fails
// the test.
func startVersitygw(t *testing.T) (string, string) {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "") // plain HTTP on loopback (replica/helpers_test.go)
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("versitygw is not installed: run make test-deps")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	root := t.TempDir()
	cmd := exec.Command(bin, "--access", "aura-access", "--secret", "aura-secret-0123456789", "--region", "eu-central", "--port", addr, "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	client := s3.New(s3.Options{Region: "eu-central", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("aura-access", "aura-secret-0123456789", "")})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("aura")})
		cancel()
		if err == nil || strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			return url, root
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not take a bucket: %v", err)
		}
	}
}

// TestRestoreOneTenantFromEither replicates two tenants on-site (a
// directory) and off-site (versitygw) through `aura serve`, then restores
// ONE of them to a point in time: from the off-site copy (--from
// off-site), from the on-site replica (the default while it holds the
// time), and, with the on-site replica lost, from the off-site copy by
// default. The other tenant keeps its rows throughout; `aura backup
// status` shows both replicas in step.
func TestRestoreOneTenantFromEither(t *testing.T) {
	url, root := startVersitygw(t)
	dir := t.TempDir()
	onSite := filepath.Join(dir, "replica")
	cfg := filepath.Join(dir, "litestream.yml")
	body := fmt.Sprintf("dbs:\n  - replicas:\n      - type: file\n        path: %s\n        sync-interval: 100ms\n"+
		"      - name: eu\n        type: s3\n        bucket: aura\n        path: prod\n        endpoint: %s\n        region: eu-central\n"+
		"        force-path-style: true\n        access-key-id: aura-access\n        secret-access-key: aura-secret-0123456789\n", onSite, url)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	tokens := map[string]string{}
	for _, slug := range []string{"alpina", "birch"} {
		c.mustRun("correct horse battery staple\n", "tenant", "create", slug, "--name", slug, "--owner-email", "owner@"+slug+".example", "--owner-password-stdin")
		tokens[slug] = strings.TrimSpace(c.mustRun("", "token", "create", slug, "--email", "owner@"+slug+".example", "--name", "r", "--scopes", "users.read,users.write"))
	}
	s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	write := func(slug, tag string, n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			e := fmt.Sprintf("%s%d@%s.example", tag, i, slug)
			if !invite(t, s.https, slug, tokens[slug], e) {
				t.Fatalf("invite %s failed", e)
			}
			out = append(out, e)
		}
		return out
	}
	before := write("alpina", "before", 3)
	time.Sleep(1200 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(1200 * time.Millisecond)
	after := write("alpina", "after", 3)
	birch := write("birch", "b", 2)
	time.Sleep(600 * time.Millisecond)
	s.stop() // ships the last changes to both replicas
	end := time.Now().UTC()

	var status struct {
		Databases []struct {
			Database    string
			ReplicaTXID uint64 `json:"replica_txid"`
			Error       string
			OffSite     *struct {
				Target      string
				ReplicaTXID uint64 `json:"replica_txid"`
				Error       string
			} `json:"off_site"`
		}
	}
	if err := json.Unmarshal([]byte(c.mustRun("", "backup", "status", "--json", "--litestream", cfg)), &status); err != nil {
		t.Fatal(err)
	}
	for _, d := range status.Databases {
		if d.Error != "" || d.OffSite == nil || d.OffSite.Target != "eu" || d.OffSite.Error != "" || d.OffSite.ReplicaTXID != d.ReplicaTXID || d.ReplicaTXID == 0 {
			t.Fatalf("backup status of %s: %+v off-site %+v", d.Database, d, d.OffSite)
		}
	}

	// The drill checks both copies: it passes, and fails naming the
	// off-site copy once the bytes there are changed.
	c.mustRun("", "backup", "verify", "alpina", "--litestream", cfg)
	var list []struct{ Slug, ID string }
	if err := json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	var alpinaID string
	for _, tn := range list {
		if tn.Slug == "alpina" {
			alpinaID = tn.ID
		}
	}
	saved := map[string][]byte{}
	filepath.WalkDir(filepath.Join(root, "aura", "prod", "tenants", alpinaID), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			saved[p] = b
			bad := append([]byte(nil), b...)
			bad[len(bad)-1] ^= 1
			os.WriteFile(p, bad, 0o600)
		}
		return nil
	})
	if len(saved) == 0 {
		t.Fatal("no off-site files of alpina")
	}
	if code, out, errs := c.run("", "backup", "verify", "alpina", "--litestream", cfg); code != 3 || !strings.Contains(out+errs, "off-site copy") {
		t.Fatalf("drill of a tampered off-site copy: exit %d\n%s%s", code, out, errs)
	}
	for p, b := range saved {
		os.WriteFile(p, b, 0o600)
	}

	restore := func(at time.Time, wantFrom string, extra ...string) {
		t.Helper()
		args := append([]string{"restore", "alpina", "--at", at.Format(time.RFC3339Nano), "--yes", "--litestream", cfg}, extra...)
		if out := c.mustRun("", args...); !strings.Contains(out, "read from the "+wantFrom+" replica") {
			t.Fatalf("restore %v: want it read from %s:\n%s", extra, wantFrom, out)
		}
	}
	check := func(present, absent []string) {
		t.Helper()
		s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
		defer s.stop()
		got := userEmails(t, s.https, "alpina", tokens["alpina"])
		for _, e := range present {
			if !got[e] {
				t.Fatalf("%s is missing after the restore", e)
			}
		}
		for _, e := range absent {
			if got[e] {
				t.Fatalf("%s is there after a restore to before it", e)
			}
		}
		other := userEmails(t, s.https, "birch", tokens["birch"])
		for _, e := range birch {
			if !other[e] {
				t.Fatalf("the other tenant lost %s", e)
			}
		}
	}
	restore(between, "off-site", "--from", "off-site")
	check(before, after)
	restore(end, "on-site")
	check(append(before, after...), nil)
	// The newest audit checkpoints are witnessed off-site too.
	if ws, err := os.ReadDir(filepath.Join(root, "aura", "prod", "audit-witness")); err != nil || len(ws) < 3 {
		t.Fatalf("off-site audit witnesses: %v %v", ws, err)
	}
	// The server is lost with its on-site replica: the default reads the
	// off-site copy.
	if err := os.RemoveAll(onSite); err != nil {
		t.Fatal(err)
	}
	restore(between, "off-site")
	check(before, after)
	c.mustRun("", "audit", "verify", "alpina")
}
