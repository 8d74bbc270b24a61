package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
)

func createTenants(t testing.TB, env *auratest.Env, n int) []string {
	t.Helper()
	slugs := make([]string, n)
	for i := range slugs {
		slugs[i] = fmt.Sprintf("hotel-%03d", i)
		env.CreateTenant(t, slugs[i])
	}
	return slugs
}

func TestRouterConcurrentOpens(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	slugs := createTenants(t, env, 200)
	for _, slug := range slugs { // creating signed a checkpoint, which opened each file
		<-env.Router.Forget(slug)
	}

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// Every goroutine touches every tenant, in a different order,
			// with a read and a write, so opens race with each other.
			for i := range slugs {
				slug := slugs[(i*7+g)%len(slugs)]
				db, err := env.Router.Acquire(ctx, slug)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", slug, err)
					return
				}
				if g%10 == 0 {
					err = db.SetSetting(ctx, tenant.Setting{Key: fmt.Sprintf("g%d", g), Value: []byte(slug)})
				} else {
					_, err = db.AuditHead(ctx)
				}
				db.Release()
				if err != nil {
					errs <- fmt.Errorf("%s: %w", slug, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got, want := env.Router.Open(), 200; got != want {
		t.Fatalf("open tenants = %d, want %d", got, want)
	}
	// Each tenant got exactly the settings written to it, nothing else.
	db := env.Acquire(t, slugs[17])
	for g := 0; g < 50; g += 10 {
		s, err := db.GetSetting(ctx, fmt.Sprintf("g%d", g))
		if err != nil || string(s.Value) != slugs[17] {
			t.Fatalf("setting g%d = %q, %v", g, s.Value, err)
		}
	}
}

func TestRouterCollapsesOpens(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	tn := env.CreateTenant(t, "busy")
	<-env.Router.Forget("busy")
	before := count(env.Opened(), tn.ID)
	ctx := context.Background()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			db, err := env.Router.Acquire(ctx, "busy")
			if err != nil {
				t.Error(err)
				return
			}
			db.Release()
		}()
	}
	close(start)
	wg.Wait()
	if got, want := count(env.Opened(), tn.ID)-before, 1; got != want {
		t.Fatalf("file opened %d times by 50 concurrent requests, want %d", got, want)
	}
}

func count(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func TestRouterLRUBound(t *testing.T) {
	env := auratest.New(t, auratest.Options{MaxOpen: 10})
	slugs := createTenants(t, env, 40)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		for _, slug := range slugs {
			db, err := env.Router.Acquire(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			db.Release()
			if got := env.Router.Open(); got > 10 {
				t.Fatalf("open tenants = %d, bound is 10", got)
			}
		}
	}
	// The most recently used stay open; the least recently used were evicted.
	open := map[string]bool{}
	for _, s := range env.Router.OpenSlugs() {
		open[s] = true
	}
	if !open[slugs[39]] || open[slugs[0]] {
		t.Fatalf("LRU kept %v", env.Router.OpenSlugs())
	}
}

func TestRouterEvictionKeepsTransactionInFlight(t *testing.T) {
	env := auratest.New(t, auratest.Options{MaxOpen: 1})
	slugs := createTenants(t, env, 2)
	ctx := context.Background()
	db, err := env.Router.Acquire(ctx, slugs[0])
	if err != nil {
		t.Fatal(err)
	}
	inTx, proceed, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	release := func() { once.Do(func() { close(proceed) }) }
	defer release() // never leave the transaction hanging if the test fails
	go func() {
		done <- db.Update(ctx, func(tx *tenant.Tx) error {
			if _, err := tx.Exec(`INSERT INTO settings (key, value, sealed, updated_at) VALUES ('inflight', x'01', 0, ?)`, tx.Now.Format(time.RFC3339)); err != nil {
				return err
			}
			close(inTx)
			<-proceed
			return tx.Audit(audit.Entry{Action: "setting.changed", EntityType: "setting", EntityID: "inflight"})
		})
	}()
	<-inTx
	// Open a second tenant and hold it too: with every open tenant in use,
	// the least recently used one (slugs[0], mid-transaction) is evicted.
	other, err := env.Router.Acquire(ctx, slugs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	for _, s := range env.Router.OpenSlugs() {
		if s == slugs[0] {
			t.Fatalf("%s still in the router after eviction", s)
		}
	}
	select {
	case <-db.Closed():
		t.Fatal("the file was closed under a transaction in flight")
	default:
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("transaction in flight failed: %v", err)
	}
	db.Release()
	<-db.Closed() // the last release closes the retired handle
	again := env.Acquire(t, slugs[0])
	if _, err := again.GetSetting(ctx, "inflight"); err != nil {
		t.Fatalf("the committed write is gone: %v", err)
	}
}

func TestRouterStatus(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrSuspended", func(t *testing.T) {
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "paused")
		db := env.Acquire(t, "paused")
		if _, err := env.Platform.SetStatus(ctx, "paused", platform.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		// Another process changed the registry: the server revalidates.
		env.Router.Revalidate(ctx)
		if _, err := env.Router.Acquire(ctx, "paused"); aura.ErrorCode(err) != aura.EUNAVAILABLE {
			t.Fatalf("err = %v, want EUNAVAILABLE", err)
		}
		// The holder from before the suspension can finish its work.
		if _, err := db.AuditHead(ctx); err != nil {
			t.Fatalf("in-flight holder broken: %v", err)
		}
		if _, err := env.Control.SetStatus(ctx, "paused", platform.StatusActive); err != nil {
			t.Fatal(err)
		}
		again, err := env.Router.Acquire(ctx, "paused")
		if err != nil {
			t.Fatalf("resumed tenant refused: %v", err)
		}
		again.Release()
	})
	t.Run("ErrDeleted", func(t *testing.T) {
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "gone")
		if _, err := env.Control.DeleteTenant(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Router.Acquire(ctx, "gone"); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		env := auratest.New(t, auratest.Options{})
		if _, err := env.Router.Acquire(ctx, "nobody"); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
		if got := env.Router.Open(); got != 0 {
			t.Fatalf("open = %d after a failed open", got)
		}
	})
}

func TestRouterIdleClose(t *testing.T) {
	env := auratest.New(t, auratest.Options{IdleTimeout: 100 * time.Millisecond})
	env.CreateTenant(t, "sleepy")
	db, err := env.Router.Acquire(context.Background(), "sleepy")
	if err != nil {
		t.Fatal(err)
	}
	db.Release()
	select {
	case <-db.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("an idle tenant was not closed")
	}
	if got := env.Router.Open(); got != 0 {
		t.Fatalf("open = %d", got)
	}
}

func TestUpdateRequiresAudit(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	env.CreateTenant(t, "strict")
	db := env.Acquire(t, "strict")
	ctx := context.Background()
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		_, err := tx.Exec(`INSERT INTO settings (key, value, sealed, updated_at) VALUES ('sneaky', x'00', 0, '')`)
		return err
	})
	if aura.ErrorCode(err) != aura.EINTERNAL {
		t.Fatalf("err = %v, want EINTERNAL", err)
	}
	if _, err := db.GetSetting(ctx, "sneaky"); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("an unaudited write was committed: %v", err)
	}
	// An error from fn rolls everything back, audit row included.
	head, _ := db.AuditHead(ctx)
	boom := errors.New("boom")
	err = db.Update(ctx, func(tx *tenant.Tx) error {
		tx.Exec(`INSERT INTO settings (key, value, sealed, updated_at) VALUES ('half', x'00', 0, '')`)
		tx.Audit(audit.Entry{Action: "setting.changed", EntityType: "setting", EntityID: "half"})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	after, _ := db.AuditHead(ctx)
	if after.Seq != head.Seq {
		t.Fatalf("audit head moved from %d to %d on a rolled-back transaction", head.Seq, after.Seq)
	}
}

// within waits for ch, failing the test after 30 seconds.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not happen within 30s", what)
	}
}

// TestRouterStatusRace forces a suspension, deletion or restore into a
// cold open of the same tenant: the open that began under the old status
// is refused, or, when the change came after its re-check, retired by the
// change's Forget, and no handle stays registered.
func TestRouterStatusRace(t *testing.T) {
	ctx := context.Background()
	changes := []struct {
		name   string
		code   string
		change func(env *auratest.Env) error
	}{
		{"ErrSuspended", aura.EUNAVAILABLE, func(env *auratest.Env) error {
			_, err := env.Platform.SetStatus(ctx, "racy", platform.StatusSuspended)
			return err
		}},
		{"ErrDeleted", aura.ENOTFOUND, func(env *auratest.Env) error {
			_, err := env.Platform.DeleteTenant(ctx, "racy")
			return err
		}},
		{"ErrRestoring", aura.EUNAVAILABLE, func(env *auratest.Env) error {
			_, err := env.Platform.StartMaintenance(ctx, "racy", "tenant.restore_started", "restore", nil)
			return err
		}},
	}
	// A Directory that blocks inside the open (after the first status
	// check, with the file open) until the test has changed the status and
	// called Forget, as control does.
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			opening, release := make(chan *tenant.DB, 1), make(chan struct{})
			var armed atomic.Bool
			var once sync.Once
			env := auratest.New(t, auratest.Options{OnOpen: func(ctx context.Context, db *tenant.DB) error {
				if db.Slug == "racy" && armed.Load() {
					once.Do(func() {
						opening <- db
						<-release
					})
				}
				return nil
			}})
			// Creating the tenant opened it: close it, so the next Acquire opens it cold.
			env.CreateTenant(t, "racy")
			within(t, env.Router.Forget("racy"), "closing the new tenant")
			armed.Store(true)
			type result struct {
				db  *tenant.DB
				err error
			}
			got := make(chan result, 1)
			go func() {
				db, err := env.Router.Acquire(ctx, "racy")
				got <- result{db, err}
			}()
			opened := <-opening
			if err := c.change(env); err != nil {
				t.Fatal(err)
			}
			forgotten := env.Router.Forget("racy")
			close(release)
			r := <-got
			if r.err == nil {
				r.db.Release()
				t.Fatalf("Acquire returned a handle opened before the tenant was %s", c.name)
			}
			if aura.ErrorCode(r.err) != c.code {
				t.Fatalf("err = %v, want %s", r.err, c.code)
			}
			within(t, forgotten, "Forget")
			within(t, opened.Closed(), "closing the handle opened under the old status")
			if n := env.Router.Open(); n != 0 {
				t.Fatalf("%d handles registered after the race, want 0 (%v)", n, env.Router.OpenSlugs())
			}
			if _, err := env.Router.Acquire(ctx, "racy"); aura.ErrorCode(err) != c.code {
				t.Fatalf("a later Acquire: %v, want %s", err, c.code)
			}
		})
	}
	// The change lands after the open's re-check but before its handle is
	// registered: Forget waits for the registration and retires the handle.
	t.Run("ErrSuspendedBeforeRegister", func(t *testing.T) {
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "racy")
		within(t, env.Router.Forget("racy"), "closing the new tenant")
		checked, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		tenant.SetBeforeRegister(env.Router, func(slug string) {
			once.Do(func() {
				close(checked)
				<-release
			})
		})
		type result struct {
			db  *tenant.DB
			err error
		}
		got := make(chan result, 1)
		go func() {
			db, err := env.Router.Acquire(ctx, "racy")
			got <- result{db, err}
		}()
		<-checked
		if _, err := env.Platform.SetStatus(ctx, "racy", platform.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		forgotten := env.Router.Forget("racy")
		close(release)
		r := <-got
		if r.err != nil {
			t.Fatalf("the open checked before the suspension failed: %v", r.err)
		}
		// Like any request in flight when a tenant is suspended, it finishes
		// its work; then the handle closes and nothing stays registered.
		if _, err := r.db.AuditHead(ctx); err != nil {
			t.Fatal(err)
		}
		r.db.Release()
		within(t, forgotten, "Forget")
		within(t, r.db.Closed(), "closing the retired handle")
		if n := env.Router.Open(); n != 0 {
			t.Fatalf("%d handles registered after the race, want 0 (%v)", n, env.Router.OpenSlugs())
		}
		if _, err := env.Router.Acquire(ctx, "racy"); aura.ErrorCode(err) != aura.EUNAVAILABLE {
			t.Fatalf("a later Acquire: %v, want EUNAVAILABLE", err)
		}
	})
}
