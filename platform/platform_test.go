package platform_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
)

func TestValidateSlug(t *testing.T) {
	for _, ok := range []string{"abc", "hotel-9", "a1b", strings.Repeat("a", 40), "bb-and-b"} {
		if err := platform.ValidateSlug(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ab", strings.Repeat("a", 41), "Hotel", "-abc", "abc-", "a--b", "a_b", "a.b", "hôtel", "a b",
		"platform", "static", "api", "login", "logout", "healthz", "admin", "assets", "well-known"} {
		err := platform.ValidateSlug(bad)
		if aura.ErrorCode(err) != aura.EINVALID || len(aura.ErrorFields(err)) != 1 {
			t.Errorf("%q: err = %v, want EINVALID with a field error", bad, err)
		}
	}
}

func TestCreateTenant(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	ctx := context.Background()
	tn := env.CreateTenant(t, "seaside")
	t.Run("ErrTaken", func(t *testing.T) {
		if _, err := env.Control.CreateTenant(ctx, "seaside", "Other"); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
	})
	t.Run("WrappedKeyNotRaw", func(t *testing.T) {
		var wrapped []byte
		env.Platform.SQL().Read.QueryRow(`SELECT key_wrapped FROM tenants WHERE id = ?`, tn.ID).Scan(&wrapped)
		k, err := env.Platform.DataKey(tn)
		if err != nil || len(k) != keys.KeySize {
			t.Fatalf("data key: %v", err)
		}
		if strings.Contains(string(wrapped), string(k)) {
			t.Fatal("the registry stores the data key in the clear")
		}
	})
	t.Run("PlatformChain", func(t *testing.T) {
		res, err := env.Platform.VerifyAudit(ctx, nil)
		if err != nil || !res.OK() {
			t.Fatalf("platform chain: %v %v", res.Break, err)
		}
		var n int
		env.Platform.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'tenant.created' AND entity_id = ?`, tn.ID).Scan(&n)
		if n != 1 {
			t.Fatalf("tenant.created rows = %d", n)
		}
	})
	t.Run("SlugReusableAfterDelete", func(t *testing.T) {
		if _, err := env.Control.DeleteTenant(ctx, "seaside"); err != nil {
			t.Fatal(err)
		}
		again := env.CreateTenant(t, "seaside")
		if again.ID == tn.ID {
			t.Fatal("a new tenant reused the deleted tenant's id")
		}
		old, err := env.Platform.TenantByID(ctx, tn.ID)
		if err != nil || old.HasKey() || old.Status != platform.StatusDeleted {
			t.Fatalf("deleted tenant = %+v, %v; want deleted without key", old, err)
		}
	})
}

func TestRotateMaster(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	ctx := context.Background()
	env.CreateTenant(t, "rotor")
	db := env.Acquire(t, "rotor")
	if err := db.SetSetting(ctx, tenant.Setting{Key: "secret", Value: []byte("kept"), Sealed: true}); err != nil {
		t.Fatal(err)
	}
	db.Release()
	<-env.Router.Forget("rotor")

	next, _ := keys.NewMasterKey(keys.NewKey())
	n, err := env.Platform.RotateMaster(ctx, next)
	if err != nil || n != 1 {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	// The tenant's sealed data still opens: only the wrapping changed.
	db2, err := env.Router.Acquire(ctx, "rotor")
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Release()
	if s, err := db2.GetSetting(ctx, "secret"); err != nil || string(s.Value) != "kept" {
		t.Fatalf("after rotation: %q, %v", s.Value, err)
	}
	// The old key no longer opens the platform DB; the new one does.
	path := env.Platform.SQL().Path
	if _, err := platform.Open(ctx, path, env.Master); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
		t.Fatalf("old key: err = %v, want EUNAUTHORIZED", err)
	}
	p2, err := platform.Open(ctx, path, next)
	if err != nil {
		t.Fatalf("new key: %v", err)
	}
	p2.Close()
	if _, err := env.Platform.RotateMaster(ctx, next); aura.ErrorCode(err) != aura.EINVALID {
		t.Fatalf("rotating to the same key: err = %v", err)
	}
}
