package control_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
)

func TestScheduler(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	env.CreateTenant(t, "one-hotel")
	env.CreateTenant(t, "two-hotel")
	clock := auratest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	runs := map[string]int{}
	s := &control.Scheduler{
		Service: env.Control,
		Now:     clock.Now,
		MaxWait: time.Hour,
		Jobs: []control.Job{{
			Name: "count",
			Run: func(ctx context.Context, db *tenant.DB) error {
				mu.Lock()
				runs[db.Slug]++
				mu.Unlock()
				return nil
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				if db.Slug == "one-hotel" {
					return clock.Now().Add(10 * time.Minute), true, nil
				}
				return time.Time{}, false, nil // nothing scheduled: MaxWait applies
			},
		}},
	}
	ctx := context.Background()
	s.RunDue(ctx) // start-up: every tenant is due
	s.RunDue(ctx) // nothing is due yet
	if runs["one-hotel"] != 1 || runs["two-hotel"] != 1 {
		t.Fatalf("after start-up runs = %v, want one each", runs)
	}
	clock.Set(clock.Now().Add(11 * time.Minute))
	s.RunDue(ctx)
	if runs["one-hotel"] != 2 || runs["two-hotel"] != 1 {
		t.Fatalf("after 11 min runs = %v, want one-hotel again only", runs)
	}
	clock.Set(clock.Now().Add(time.Hour))
	s.RunDue(ctx)
	if runs["one-hotel"] != 3 || runs["two-hotel"] != 2 {
		t.Fatalf("after an hour runs = %v, want both", runs)
	}
	env.CreateTenant(t, "new-hotel") // created while running: due at once
	s.RunDue(ctx)
	if runs["new-hotel"] != 1 {
		t.Fatalf("a new tenant's job did not run: %v", runs)
	}
}
