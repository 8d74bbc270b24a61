// Package tenanttest opens real tenant files for tests: a tenant created
// with tenant.Create in a temporary directory and opened through a real
// tenant.Router, exactly as the server opens it. It is imported only by
// tests (of tenant, demo and server).
package tenanttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
)

// Clock is a settable clock for tenant transactions (Router's Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Options tune MustOpenWith.
type Options struct {
	// Dir is where the tenant file goes (default tb.TempDir()).
	Dir string
	// Now is the transaction clock (default time.Now).
	Now func() time.Time
	// ReadConns is the read pool size (default 4).
	ReadConns int
}

type directory map[string]tenant.Info

func (d directory) TenantInfo(_ context.Context, slug string) (tenant.Info, error) {
	if info, ok := d[slug]; ok {
		return info, nil
	}
	return tenant.Info{}, aura.Errorf(aura.ENOTFOUND, "No such tenant.")
}

// MustOpen creates a fresh tenant in a temporary directory and returns its
// open handle; the handle and router are closed when the test ends.
func MustOpen(tb testing.TB) *tenant.DB { return MustOpenWith(tb, Options{}) }

// MustOpenWith is MustOpen with options.
func MustOpenWith(tb testing.TB, opt Options) *tenant.DB {
	tb.Helper()
	if opt.Dir == "" {
		opt.Dir = tb.TempDir()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ctx := context.Background()
	info := tenant.Info{ID: aura.NewID("tnt"), Slug: "test", Status: tenant.StatusActive, DataKey: keys.NewKey()}
	r := tenant.NewRouter(tenant.Config{Dir: opt.Dir, Directory: directory{info.Slug: info}, Now: opt.Now, ReadConns: opt.ReadConns})
	if err := tenant.Create(ctx, r.Path(info.ID), info.ID, info.Slug, "Test tenant", opt.Now()); err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	db, err := r.Acquire(ctx, info.Slug)
	if err != nil {
		tb.Fatalf("open tenant: %v", err)
	}
	tb.Cleanup(func() {
		db.Release()
		r.Close()
	})
	return db
}

// Ctx returns a context carrying a test user as the actor, as the server's
// router does for a signed-in user.
func Ctx() context.Context {
	return aura.WithActor(context.Background(), aura.Actor{Kind: aura.ActorUser, ID: "usr_test", Name: "test@example.com"})
}
