package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
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
