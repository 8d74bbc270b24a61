package control_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant"
)

func TestForEachActiveTenant(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	for _, s := range []string{"aa-hotel", "bb-hotel", "cc-hotel", "dd-hotel"} {
		env.CreateTenant(t, s)
	}
	ctx := context.Background()
	if _, err := env.Control.SetStatus(ctx, "bb-hotel", platform.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Control.DeleteTenant(ctx, "dd-hotel"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := env.Control.ForEachActiveTenant(ctx, "test-job", func(ctx context.Context, db *tenant.DB) error {
		seen = append(seen, db.Slug)
		if got := aura.ActorFrom(ctx); got.Kind != aura.ActorSystem || got.ID != "test-job" {
			t.Errorf("actor = %v, want the job as system actor", got)
		}
		if db.Slug == "aa-hotel" {
			return errors.New("this tenant's job fails")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(seen)
	if len(seen) != 2 || seen[0] != "aa-hotel" || seen[1] != "cc-hotel" {
		t.Fatalf("ran on %v, want the two active tenants (a failure does not stop the rest)", seen)
	}
}

func TestDeleteTenantRemovesEverything(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	tn := env.CreateTenant(t, "leaving")
	path := env.TenantPath(tn.ID)
	staging := replica.StagingDir(path)
	if err := os.MkdirAll(filepath.Join(staging, "ltx"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(staging, "ltx", "page"), []byte("plaintext page"), 0o600)
	if _, err := env.Control.DeleteTenant(context.Background(), "leaving"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", staging} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s survived the deletion (%v)", p, err)
		}
	}
}
