package platform_test

import (
	"context"
	"testing"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/platform"
)

// TestTenantBySlugSeesEveryCommit: TenantBySlug keeps the rows it read,
// and still returns what is committed now, whether the commit came from
// the same handle (the web UI's suspend) or from another one on the same
// file (the command line); the copy it returns is the caller's own.
func TestTenantBySlugSeesEveryCommit(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	ctx := context.Background()
	env.CreateTenant(t, "harbour")
	other, err := platform.Open(ctx, env.Platform.SQL().Path, env.Master)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	status := func(want string) {
		t.Helper()
		for i := 0; i < 3; i++ { // the second and third read come from the cache
			tn, err := env.Platform.TenantBySlug(ctx, "harbour")
			if err != nil || tn.Status != want || !tn.HasKey() {
				t.Fatalf("read %d: status %q, key %v, %v; want %q", i, tn.Status, tn.HasKey(), err, want)
			}
		}
	}
	status(platform.StatusActive)
	for _, c := range []struct {
		via    *platform.DB
		status string
	}{{env.Platform, platform.StatusSuspended}, {env.Platform, platform.StatusActive}, {other, platform.StatusSuspended}, {other, platform.StatusActive}} {
		if _, err := c.via.SetStatus(ctx, "harbour", c.status); err != nil {
			t.Fatal(err)
		}
		status(c.status)
	}
	if _, err := other.DeleteTenant(ctx, "harbour"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Platform.TenantBySlug(ctx, "harbour"); err == nil {
		t.Fatal("a tenant deleted through another handle is still found")
	}
	// The caller's copy: changing it changes nothing the next caller sees.
	env.CreateTenant(t, "cove")
	a, _ := env.Platform.TenantBySlug(ctx, "cove")
	a.Status, a.Name = "x", "y"
	if b, _ := env.Platform.TenantBySlug(ctx, "cove"); b.Status != platform.StatusActive || b.Name == "y" {
		t.Fatalf("a caller's change reached the cache: %+v", b)
	}
}
