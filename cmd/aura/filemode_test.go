package main

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileModes: every file Aura creates is 0600 and every directory 0700
// — the data directory, tenant files and their WALs, Litestream's staging,
// the local replica and the key directory — whatever the caller's umask.
func TestFileModes(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "modes", "--name", "Modes Inn")
	base := c.serve("--dev", "--addr", "127.0.0.1:0").https
	resp, err := http.Get(base + "/modes/login") // opens the tenant file: registered for replication
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	replicaDir := c.data + "-replica"
	// Wait until the tenant's staging and replica files exist, so the walk
	// sees what Litestream creates too.
	deadline := time.Now().Add(30 * time.Second)
	for {
		staged, _ := filepath.Glob(filepath.Join(c.data, "tenants", ".*-litestream"))
		replicated := 0
		filepath.WalkDir(filepath.Join(replicaDir, "tenants"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				replicated++
			}
			return nil
		})
		if len(staged) > 0 && replicated > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no staging (%v) or replica files (%d) after 30s", staged, replicated)
		}
		time.Sleep(100 * time.Millisecond)
	}
	files := 0
	for _, root := range []string{c.data, replicaDir, filepath.Dir(c.keyFile)} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a file removed while walking (a WAL, a compacted LTX file)
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			} else {
				files++
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s has mode %04o, want %04o", p, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 5 {
		t.Fatalf("walked only %d files", files)
	}
}

// TestServeRefusesOpenDataDir: `aura serve` refuses a data directory that
// group or others may read, naming it and the fix, and writes nothing in it.
func TestServeRefusesOpenDataDir(t *testing.T) {
	c := newCLI(t)
	if err := os.Mkdir(c.data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o755, 0o750, 0o702} {
		if err := os.Chmod(c.data, mode); err != nil {
			t.Fatal(err)
		}
		// Without the check the server would start and run: give up on it
		// after a while instead of waiting forever.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var out, errb syncBuffer
		go func() {
			done <- Main(ctx, c.args("serve", "--dev", "--addr", "127.0.0.1:0"), strings.NewReader(""), &out, &errb)
		}()
		var code int
		select {
		case code = <-done:
		case <-time.After(20 * time.Second):
			cancel()
			<-done
			t.Fatalf("mode %04o: serve started on the open data directory:\n%s", mode, out.String())
		}
		cancel()
		errs := errb.String()
		if code != 1 || !strings.Contains(errs, c.data) || !strings.Contains(errs, "chmod 700 "+c.data) {
			t.Fatalf("mode %04o: exit %d, stderr %q", mode, code, errs)
		}
		if entries, _ := os.ReadDir(c.data); len(entries) != 0 {
			t.Fatalf("mode %04o: serve wrote %v into the refused directory", mode, entries)
		}
	}
	t.Run("OK", func(t *testing.T) {
		if err := os.Chmod(c.data, 0o700); err != nil {
			t.Fatal(err)
		}
		c.serve("--dev", "--addr", "127.0.0.1:0")
	})
}
