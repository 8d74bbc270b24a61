package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/schema"
)

// The fixture testdata/upgrade-tenant-v6.tgz is a data directory (with its
// keys and the audit witness of its default local replica) written by the
// Aura of commit d7cf88b^, whose tenant schema stopped at migration 6
// (0005_front_desk_rules and 0007_payments came later): a tenant harbour
// with its owner owner@harbour.example and the API token in
// upgrade-tenant-v6.token.
const upgradeFixture = "testdata/upgrade-tenant-v6.tgz"

// extract unpacks a .tgz into dir.
func extract(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func applied(t *testing.T, path string) map[int]bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := schema.Applied(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func addVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', '')`, v); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeFromPreviousSchema opens the files of the previous schema with
// this binary: the tenant file is copied beside itself (VACUUM INTO) before
// its pending migrations run, its data and audit chain are intact and it
// takes writes under the new schema; the copy goes at the next successful
// start. Files of a newer schema (a downgrade) are refused naming both
// versions, the platform DB before the server starts.
func TestUpgradeFromPreviousSchema(t *testing.T) {
	root := t.TempDir()
	extract(t, upgradeFixture, root)
	tok := strings.TrimSpace(string(must(os.ReadFile("testdata/upgrade-tenant-v6.token"))))
	c := newCLI(t)
	c.data, c.keyFile = filepath.Join(root, "data"), filepath.Join(root, "keys", "master.key")
	files, _ := filepath.Glob(filepath.Join(c.data, "tenants", "*.db"))
	if len(files) != 1 {
		t.Fatalf("fixture tenant files: %v", files)
	}
	file := files[0]
	before := applied(t, file)
	if before[schema.Latest(schema.Tenant)] || !before[6] {
		t.Fatalf("the fixture is not at the previous schema: %v", before)
	}

	s := c.serve("--dev", "--addr", "127.0.0.1:0")
	users := userEmails(t, s.https, "harbour", tok) // opens, hence migrates, the file
	if !users["owner@harbour.example"] {
		t.Fatalf("the owner is gone after the upgrade: %v", users)
	}
	if !invite(t, s.https, "harbour", tok, "new@harbour.example") {
		t.Fatal("no write after the upgrade")
	}
	after := applied(t, file)
	for _, m := range schema.Migrations(schema.Tenant) {
		if !after[m.Version] {
			t.Fatalf("migration %d not applied: %v", m.Version, after)
		}
	}
	copyPath := schema.BackupPath(file, 6)
	if got := applied(t, copyPath); got[schema.Latest(schema.Tenant)] || !got[6] {
		t.Fatalf("the copy before the upgrade holds versions %v", got)
	}
	s.stop()
	c.mustRun("", "audit", "verify", "harbour")
	if out := c.mustRun("", "version"); !strings.Contains(out, fmt.Sprintf("tenant %d, platform %d", schema.Latest(schema.Tenant), schema.Latest(schema.Platform))) {
		t.Fatalf("version: %s", out)
	}

	// The next successful start removes the copy.
	// (It goes once serving, just after the address is printed.)
	s = c.serve("--dev", "--addr", "127.0.0.1:0")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(copyPath); os.IsNotExist(err) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the copy is still there after the next start: %v", err)
		}
	}
	s.stop()

	// Downgrade: a tenant file of a newer schema is refused, naming both versions.
	future := schema.Latest(schema.Tenant) + 1
	addVersion(t, file, future)
	code, _, errs := c.run("", "audit", "verify", "harbour")
	want := fmt.Sprintf("tenant schema version %d; this binary knows up to %d", future, schema.Latest(schema.Tenant))
	if code == 0 || !strings.Contains(errs, want) {
		t.Fatalf("a newer tenant file: exit %d %q, want %q", code, errs, want)
	}
	// And a platform DB of a newer schema stops the server from starting.
	pfuture := schema.Latest(schema.Platform) + 1
	addVersion(t, filepath.Join(c.data, "platform.db"), pfuture)
	code, _, errs = c.run("", "serve", "--dev", "--addr", "127.0.0.1:0")
	want = fmt.Sprintf("platform schema version %d; this binary knows up to %d", pfuture, schema.Latest(schema.Platform))
	if code == 0 || !strings.Contains(errs, want) {
		t.Fatalf("a newer platform DB: exit %d %q, want %q", code, errs, want)
	}
}
