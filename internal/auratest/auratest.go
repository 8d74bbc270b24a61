// Package auratest builds real Aura environments for tests: a platform DB,
// tenant router and control service over real SQLite files in a test's temp
// directory, with real keys. Tests of every package use it instead of
// assembling the pieces themselves.
package auratest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant"
)

// Env is one data directory with its keys, platform DB, router and control service.
type Env struct {
	Dir       string // the test's temp dir; keys live in Dir/keys, data in Dir/data
	DataDir   string
	MasterKey string // path of the master key file
	Master    *keys.MasterKey
	Signer    *keys.SigningKey
	Platform  *platform.DB
	Router    *tenant.Router
	Control   *control.Service
	// ReplicaDir is a replica destination outside DataDir whose audit
	// witness the control service writes (no replication runs into it).
	ReplicaDir string
	Witness    *replica.Witness

	mu     sync.Mutex
	opened []string // tenant ids whose files the router opened, in order
}

// Options tune New.
type Options struct {
	MaxOpen     int
	IdleTimeout time.Duration
	Now         func() time.Time
	// OnOpen runs after the environment has recorded the open.
	OnOpen func(ctx context.Context, db *tenant.DB) error
}

// New builds an Env in tb.TempDir() and closes it at the end of the test.
func New(tb testing.TB, opt Options) *Env {
	tb.Helper()
	dir := tb.TempDir()
	e := &Env{Dir: dir, DataDir: filepath.Join(dir, "data"), MasterKey: filepath.Join(dir, "keys", "master.key")}
	if err := keys.GenerateMasterKeyFile(e.MasterKey); err != nil {
		tb.Fatal(err)
	}
	if err := keys.GenerateSigningKeyFile(keys.DefaultSigningKeyPath(e.MasterKey)); err != nil {
		tb.Fatal(err)
	}
	var err error
	if e.Master, err = keys.LoadMasterKey(e.MasterKey, e.DataDir); err != nil {
		tb.Fatal(err)
	}
	if e.Signer, err = keys.LoadSigningKey(keys.DefaultSigningKeyPath(e.MasterKey), e.DataDir); err != nil {
		tb.Fatal(err)
	}
	if e.Platform, err = platform.Open(context.Background(), filepath.Join(e.DataDir, "platform.db"), e.Master); err != nil {
		tb.Fatal(err)
	}
	tenants := filepath.Join(e.DataDir, "tenants")
	e.ReplicaDir = filepath.Join(dir, "replica")
	e.Witness = replica.NewWitness(replica.Destination{Type: replica.TypeFile, Path: e.ReplicaDir})
	e.Control = &control.Service{Platform: e.Platform, Signer: e.Signer, TenantsDir: tenants, Witnesses: []audit.Witness{e.Witness}}
	e.Router = tenant.NewRouter(tenant.Config{
		Dir:         tenants,
		Directory:   control.Directory{Platform: e.Platform},
		MaxOpen:     opt.MaxOpen,
		IdleTimeout: opt.IdleTimeout,
		Now:         opt.Now,
		OnOpen: func(ctx context.Context, db *tenant.DB) error {
			e.mu.Lock()
			e.opened = append(e.opened, db.ID)
			e.mu.Unlock()
			if opt.OnOpen != nil {
				return opt.OnOpen(ctx, db)
			}
			return nil
		},
	})
	e.Control.Router = e.Router
	tb.Cleanup(func() {
		e.Router.Close()
		e.Platform.Close()
	})
	return e
}

// CreateTenant creates a tenant with slug and returns its registry entry.
func (e *Env) CreateTenant(tb testing.TB, slug string) platform.Tenant {
	tb.Helper()
	t, err := e.Control.CreateTenant(context.Background(), slug, "Tenant "+slug)
	if err != nil {
		tb.Fatalf("create tenant %s: %v", slug, err)
	}
	return t
}

// Acquire returns the open handle of slug, released at the end of the test.
func (e *Env) Acquire(tb testing.TB, slug string) *tenant.DB {
	tb.Helper()
	db, err := e.Router.Acquire(context.Background(), slug)
	if err != nil {
		tb.Fatalf("acquire %s: %v", slug, err)
	}
	tb.Cleanup(db.Release)
	return db
}

// Opened returns the ids of tenants whose files the router opened so far.
func (e *Env) Opened() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.opened...)
}

// TenantPath returns the file path of a tenant.
func (e *Env) TenantPath(id string) string { return e.Control.TenantPath(id) }

// Clock is a settable clock for transactions (the router's Now).
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

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// MustOpenTenant builds an Env, creates one tenant ("test") in it and
// returns its open handle, released when the test ends.
func MustOpenTenant(tb testing.TB, opt Options) *tenant.DB {
	tb.Helper()
	e := New(tb, opt)
	e.CreateTenant(tb, "test")
	return e.Acquire(tb, "test")
}

// Ctx returns a context carrying a test user as the actor, as the server
// does for a signed-in user.
func Ctx() context.Context {
	return aura.WithActor(context.Background(), aura.Actor{Kind: aura.ActorUser, ID: "usr_test", Name: "test@example.com"})
}

// JSON marshals v, failing tb when it cannot: for request bodies and for
// comparing two values by their encoding.
func JSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
