package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant"
)

// TestServeReplication wires replication the way `aura serve` does (the
// default local replica, no litestream.yml), writes to a tenant through the
// router, lets the router close it, and restores both the tenant and the
// platform DB from the replica.
func TestServeReplication(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	keyFile := filepath.Join(root, "keys", "master.key")
	if err := keys.GenerateMasterKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e := newEnv(IO{In: bytes.NewReader(nil), Out: &out, Err: io.Discard})
	e.dataDir, e.masterKeyFile, e.maxOpen, e.idleTimeout = filepath.Join(root, "data"), keyFile, 8, time.Minute
	if err := e.startReplication(""); err != nil {
		t.Fatal(err)
	}
	if err := e.open(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.control.CreateTenant(ctx, "hotel", "Hotel"); err != nil {
		t.Fatal(err)
	}
	db, err := e.router.Acquire(ctx, "hotel")
	if err != nil {
		t.Fatal(err)
	}
	tenantID, replicaKey := db.ID, db.DerivedKey("replica")
	if err := db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := tx.Exec(`INSERT INTO tenant_meta (key, value) VALUES ('replication-test', 'written before close')`); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "test.written", EntityType: "tenant", EntityID: tenantID})
	}); err != nil {
		t.Fatal(err)
	}
	if st, err := e.replicator.Status(ctx, db.Path); err != nil || st.Prefix != "tenants/"+tenantID {
		t.Fatalf("the open tenant is not replicated: %+v, %v", st, err)
	}
	db.Release()
	e.router.Forget("hotel") // closes the file: the final sync happens here
	if _, err := e.replicator.Status(ctx, db.Path); err == nil {
		t.Fatal("the closed tenant is still registered")
	}
	master, err := e.loadMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	e.close()

	cfg := replica.DefaultConfig(e.dataDir)
	cfg.Logger = e.logger
	r, err := replica.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	restored := filepath.Join(root, "restored-tenant.db")
	if _, err := r.Restore(ctx, "tenants/"+tenantID, replicaKey, restored, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var value string
	if err := query(t, restored, `SELECT value FROM tenant_meta WHERE key = 'replication-test'`, &value); value != "written before close" {
		t.Fatalf("restored tenant: value %q, %v", value, err)
	}
	platformCopy := filepath.Join(root, "restored-platform.db")
	if _, err := r.Restore(ctx, "platform/"+master.ID(), master.DerivedKey("platform-replica"), platformCopy, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var slug string
	if err := query(t, platformCopy, `SELECT slug FROM tenants WHERE id = ?`, &slug, tenantID); slug != "hotel" {
		t.Fatalf("restored platform DB: slug %q, %v", slug, err)
	}
	if _, err := os.Stat(replica.DefaultReplicaDir(e.dataDir)); err != nil {
		t.Fatalf("no replica beside the data directory: %v", err)
	}
}

func query(t *testing.T, path, q string, dst any, args ...any) error {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.QueryRow(q, args...).Scan(dst)
}

// TestBackupStatus runs `aura backup status` after a server-like process
// replicated one tenant and left another never opened.
func TestBackupStatus(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	keyFile := filepath.Join(root, "keys", "master.key")
	if err := keys.GenerateMasterKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(root, "data")
	e := newEnv(IO{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard})
	e.dataDir, e.masterKeyFile, e.maxOpen, e.idleTimeout = dataDir, keyFile, 8, time.Minute
	if err := e.startReplication(""); err != nil {
		t.Fatal(err)
	}
	if err := e.open(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.control.CreateTenant(ctx, "hotel", "Hotel"); err != nil { // opens it: replicated
		t.Fatal(err)
	}
	e.close() // closes hotel (final sync) and the platform DB

	run := func(args ...string) (int, string, string) {
		var out, errw bytes.Buffer
		code := Main(ctx, append(args, "--data", dataDir, "--master-key-file", keyFile), nil, &out, &errw)
		return code, out.String(), errw.String()
	}
	// Created by the command line with no server running: not replicated yet.
	if code, out, errOut := run("tenant", "create", "hostel", "--name", "Hostel"); code != 0 {
		t.Fatalf("tenant create: exit %d: %s%s", code, out, errOut)
	}
	t.Run("OK", func(t *testing.T) {
		code, out, errOut := run("backup", "status", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		var res struct {
			Replica   string      `json:"replica"`
			Databases []backupRow `json:"databases"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		byName := map[string]backupRow{}
		for _, r := range res.Databases {
			byName[r.Database] = r
		}
		for _, name := range []string{"platform", "hotel"} {
			r := byName[name]
			if r.ReplicaTXID == 0 || r.ReplicaTXID != r.LocalTXID || r.LastSync == nil || r.Error != "" {
				t.Fatalf("%s: %+v, want replicated and in sync", name, r)
			}
		}
		if r := byName["hostel"]; r.ReplicaTXID != 0 || r.LastSync != nil || r.Error != "" {
			t.Fatalf("never-opened tenant: %+v, want no backup and no error", r)
		}
		if !strings.Contains(res.Replica, "data-replica") {
			t.Fatalf("replica %q", res.Replica)
		}
		code, out, _ = run("backup", "status")
		if code != 0 || !strings.Contains(out, "hotel") || !strings.Contains(out, "platform") || !strings.Contains(out, "never") {
			t.Fatalf("exit %d, table:\n%s", code, out)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		// Damage every replica file of the platform DB.
		dir := filepath.Join(replica.DefaultReplicaDir(dataDir), "platform")
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				b[len(b)-1] ^= 1
				os.WriteFile(p, b, 0o600)
			}
			return nil
		})
		code, out, errOut := run("backup", "status")
		if code != 1 || !strings.Contains(errOut, "1 of 3 replicas could not be read") || !strings.Contains(out, "tampered") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		if code, _, _ := run("backup", "frobnicate"); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
	})
}
