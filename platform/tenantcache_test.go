package platform_test

import (
	"context"
	"sync"
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

// TestTenantBySlugConcurrent: while other lookups run all the time (so a
// check is often already under way when a commit lands), every lookup
// begun after a status change committed through another handle returns the
// new status.
func TestTenantBySlugConcurrent(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	ctx := context.Background()
	env.CreateTenant(t, "harbour")
	other, err := platform.Open(ctx, env.Platform.SQL().Path, env.Master)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stop := make(chan struct{})
	var hammer sync.WaitGroup
	for i := 0; i < 4; i++ {
		hammer.Add(1)
		go func() {
			defer hammer.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				env.Platform.TenantBySlug(ctx, "harbour")
			}
		}()
	}
	defer func() { close(stop); hammer.Wait() }()
	for round := 0; round < 30; round++ {
		want := platform.StatusSuspended
		if round%2 == 1 {
			want = platform.StatusActive
		}
		if _, err := other.SetStatus(ctx, "harbour", want); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]string, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tn, err := env.Platform.TenantBySlug(ctx, "harbour")
				if err != nil {
					got[i] = err.Error()
					return
				}
				got[i] = tn.Status
			}()
		}
		wg.Wait()
		for i, g := range got {
			if g != want {
				t.Fatalf("round %d, lookup %d after the change: %q, want %q", round, i, g, want)
			}
		}
	}
}

// BenchmarkTenantBySlug measures the lookup every request of a tenant
// makes, from both cores at once.
func BenchmarkTenantBySlug(b *testing.B) {
	env := auratest.New(b, auratest.Options{})
	env.CreateTenant(b, "harbour")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := env.Platform.TenantBySlug(ctx, "harbour"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
