package tenant_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
)

// fileBytes returns the tenant file and its WAL as they are on disk.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestSealedColumnsNeverStorePlaintext(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	tn := env.CreateTenant(t, "secretive")
	db := env.Acquire(t, "secretive")
	ctx := context.Background()
	marker := []byte("MARKER-7f3a9c-sealed-value")
	if err := db.SetSetting(ctx, tenant.Setting{Key: "api-key", Value: marker, Sealed: true}); err != nil {
		t.Fatal(err)
	}
	plain := []byte("MARKER-plain-control")
	if err := db.SetSetting(ctx, tenant.Setting{Key: "colour", Value: plain}); err != nil {
		t.Fatal(err)
	}
	path := env.TenantPath(tn.ID)
	// In the WAL, before any checkpoint...
	raw := fileBytes(t, path)
	if !bytes.Contains(raw, plain) {
		t.Fatal("the control value is not on disk: the test reads the wrong files")
	}
	if bytes.Contains(raw, marker) {
		t.Fatal("the sealed marker is in the tenant file or WAL in plaintext")
	}
	// ...and in the main file after one.
	if err := db.SQL().Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(fileBytes(t, path), marker) {
		t.Fatal("the sealed marker is in the checkpointed tenant file")
	}
	got, err := db.GetSetting(ctx, "api-key")
	if err != nil || !bytes.Equal(got.Value, marker) {
		t.Fatalf("unsealed = %q, %v", got.Value, err)
	}
}

func TestIsolation(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	a, b := env.CreateTenant(t, "alpha"), env.CreateTenant(t, "bravo")
	if env.TenantPath(a.ID) == env.TenantPath(b.ID) {
		t.Fatal("two tenants share a file")
	}
	dbA, dbB := env.Acquire(t, "alpha"), env.Acquire(t, "bravo")
	ctx := context.Background()
	if err := dbA.SetSetting(ctx, tenant.Setting{Key: "only-alpha", Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	t.Run("RowsStayInTheirFile", func(t *testing.T) {
		if _, err := dbB.GetSetting(ctx, "only-alpha"); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("bravo sees alpha's setting: %v", err)
		}
		var n int
		if err := dbB.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE entity_id = 'only-alpha'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("bravo's chain holds %d of alpha's rows (%v)", n, err)
		}
	})
	t.Run("SealedValuesDoNotMove", func(t *testing.T) {
		sealed := dbA.Seal("settings", "value", "k", []byte("secret"))
		if _, err := dbB.Unseal("settings", "value", "k", sealed); err == nil {
			t.Fatal("bravo opened a value sealed by alpha")
		}
		if _, err := dbA.Unseal("settings", "value", "other-row", sealed); err == nil {
			t.Fatal("a value sealed for one row opened for another")
		}
		if _, err := dbA.Unseal("settings", "other_column", "k", sealed); err == nil {
			t.Fatal("a value sealed for one column opened for another")
		}
		if got, err := dbA.Unseal("settings", "value", "k", sealed); err != nil || string(got) != "secret" {
			t.Fatalf("unseal = %q, %v", got, err)
		}
	})
	t.Run("SubjectKeys", func(t *testing.T) {
		k, wrapped := dbA.NewSubjectKey("gst_1")
		v := k.Seal("guests", "name", "gst_1", []byte("Ada"))
		k2, err := dbA.OpenSubjectKey("gst_1", wrapped)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k2.Unseal("guests", "name", "gst_1", v); err != nil || string(got) != "Ada" {
			t.Fatalf("unseal = %q, %v", got, err)
		}
		if _, err := dbB.OpenSubjectKey("gst_1", wrapped); err == nil {
			t.Fatal("bravo unwrapped alpha's subject key")
		}
		if _, err := dbA.OpenSubjectKey("gst_2", wrapped); err == nil {
			t.Fatal("a subject key opened for another subject")
		}
	})
}
