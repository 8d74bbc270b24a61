package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "demo", "--name", "Demo Hotel")
	base := c.serve("--dev", "--addr", "127.0.0.1:0").https
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body.Status != "ok" {
		t.Fatalf("healthz = %d %+v", resp.StatusCode, body)
	}
}

func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0"},
		{"serve", "--dev", "--addr", "0.0.0.0:0"},
	} {
		code, _, errs := c.run("", args...)
		if code == 0 || !strings.Contains(errs, "--dev") {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// snapshot hashes every file under dir.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = sha256.Sum256(b)
		}
		return nil
	})
	return m
}

func TestWrongMasterKeyWritesNothing(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "demo", "--name", "Demo")
	before := snapshot(t, c.data)
	other := filepath.Join(filepath.Dir(c.keyFile), "other.key")
	c.mustRun("", "keys", "generate", other)
	c.keyFile = other
	for _, args := range [][]string{{"serve", "--dev", "--addr", "127.0.0.1:0"}, {"tenant", "create", "second"}, {"tenant", "list"}} {
		code, _, errs := c.run("", args...)
		if code != 1 || !strings.Contains(errs, "is not the key of this data directory") {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Fatalf("the error is not one line: %q", errs)
		}
	}
	after := snapshot(t, c.data)
	if len(after) != len(before) {
		t.Fatalf("files changed: %d before, %d after", len(before), len(after))
	}
	for p, h := range before {
		if after[p] != h {
			t.Fatalf("%s changed", p)
		}
	}
}

func TestTenantCommands(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "harbour", "--name", "Harbour Inn")
	c.mustRun("", "tenant", "create", "--name", "Hill Lodge", "hill")
	var list []struct {
		Slug, Name, Status, ID, File string
	}
	if err := json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Slug != "harbour" || list[0].Name != "Harbour Inn" || list[1].Slug != "hill" {
		t.Fatalf("list = %+v", list)
	}
	if got, want := list[0].File, filepath.Join(c.data, "tenants", list[0].ID+".db"); got != want {
		t.Fatalf("file = %s, want %s (named by id)", got, want)
	}
	if _, err := os.Stat(list[0].File); err != nil {
		t.Fatal(err)
	}
	if out := c.mustRun("", "tenant", "list"); !strings.Contains(out, list[0].File) {
		t.Fatalf("table does not show the file: %s", out)
	}

	t.Run("ErrBadSlug", func(t *testing.T) {
		for _, slug := range []string{"Bad_Slug", "api", "x"} {
			code, _, errs := c.run("", "tenant", "create", slug)
			if code != 1 || errs == "" {
				t.Fatalf("%s: exit %d %q", slug, code, errs)
			}
		}
	})
	t.Run("SuspendResume", func(t *testing.T) {
		c.mustRun("", "tenant", "suspend", "hill")
		if out := c.mustRun("", "tenant", "list"); !regexp.MustCompile(`hill\s+Hill Lodge\s+suspended`).MatchString(out) {
			t.Fatalf("list after suspend: %s", out)
		}
		c.mustRun("", "tenant", "resume", "hill")
	})
	t.Run("AuditVerify", func(t *testing.T) {
		out := c.mustRun("", "audit", "verify", "harbour")
		if !strings.HasPrefix(out, "OK: tenant harbour audit chain verifies") {
			t.Fatalf("verify: %s", out)
		}
		if out := c.mustRun("", "audit", "verify", "--platform"); !strings.HasPrefix(out, "OK: the platform audit chain verifies") {
			t.Fatalf("verify --platform: %s", out)
		}
		// Break the chain as an attacker with sqlite3 would: the exit code
		// is non-zero and the message names the row.
		tamperFile(t, list[0].File, `UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 1`)
		code, _, errs := c.run("", "audit", "verify", "harbour")
		if code != 3 || !strings.Contains(errs, "first bad seq 1") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		c.mustRun("", "tenant", "delete", "hill")
		if _, err := os.Stat(list[1].File); !os.IsNotExist(err) {
			t.Fatalf("file still there: %v", err)
		}
		code, _, _ := c.run("", "audit", "verify", "hill")
		if code == 0 {
			t.Fatal("a deleted tenant verified")
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		if code, _, _ := c.run("", "tenant", "frobnicate"); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
		var out, errw bytes.Buffer
		if code := Main(context.Background(), []string{"tenant", "create", "--help"}, nil, &out, &errw); code != 0 || !strings.Contains(errw.String(), "--name") {
			t.Fatalf("--help: exit %d %q", code, errw.String())
		}
	})
}

func TestRotateMasterCommand(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "spin")
	next := filepath.Join(filepath.Dir(c.keyFile), "next.key")
	if out := c.mustRun("", "keys", "rotate-master", "--new-key-file", next); !strings.Contains(out, "Re-wrapped 1 tenant keys") {
		t.Fatalf("rotate: %s", out)
	}
	if code, _, _ := c.run("", "tenant", "list"); code != 1 {
		t.Fatal("the old key still opens the data dir")
	}
	c.keyFile = next
	c.mustRun("", "audit", "verify", "spin")
}

func TestServeLocksDataDir(t *testing.T) {
	c := newCLI(t)
	c.serve("--dev", "--addr", "127.0.0.1:0")
	code, _, errs := c.run("", "serve", "--dev", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "another Aura server is running") {
		t.Fatalf("second server: exit %d, %q", code, errs)
	}
}

func TestDemoSeedsOnce(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("", "demo"); !strings.Contains(out, "Created the demo tenant") {
		t.Fatalf("demo: %q", out)
	}
	if out := c.mustRun("", "demo"); strings.Contains(out, "Created") {
		t.Fatalf("second demo run created something again: %q", out)
	}
	var list []struct{ ID string }
	json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list)
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(c.data, "tenants", list[0].ID+".db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var props, rooms, res int
	raw.QueryRow(`SELECT (SELECT count(*) FROM properties), (SELECT count(*) FROM rooms), (SELECT count(*) FROM reservations)`).Scan(&props, &rooms, &res)
	if props != 1 || rooms < 10 || res < 24 {
		t.Fatalf("demo has %d properties, %d rooms, %d reservations", props, rooms, res)
	}
	c.mustRun("", "audit", "verify", "demo")
}
