package control

import (
	"context"
	"sync"
	"time"

	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
)

// Job is a background job run per tenant. Next says when the job next
// falls due for that tenant (ok false: nothing scheduled), so the scheduler
// opens a tenant's file only when there is work, not every few minutes.
type Job struct {
	Name string
	Run  func(ctx context.Context, db *tenant.DB) error
	Next func(ctx context.Context, db *tenant.DB) (next time.Time, ok bool, err error)
}

// Scheduler runs Jobs for every active tenant when they fall due. A tenant
// it has not seen yet (every tenant at start-up, which is how the night
// audit catches up after downtime) is due at once; after a run, the next
// due time is what Job.Next says, but never later than MaxWait, so a setting
// changed in between is picked up.
type Scheduler struct {
	Service *Service
	Jobs    []Job
	// Tick is how often due times are checked (default 1 minute).
	Tick time.Duration
	// MaxWait bounds the time between two runs of a job on a tenant (default 1 hour).
	MaxWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observe, when set, hears of every job run: its name, how long it
	// took and its error (nil when it succeeded), for metrics.
	Observe func(job string, took time.Duration, err error)

	mu  sync.Mutex
	due map[string]time.Time // job + "/" + tenant id -> next run
}

// Run checks due jobs at once and then every Tick until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Tick <= 0 {
		s.Tick = time.Minute
	}
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		s.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs every job that is due on every active tenant, once.
func (s *Scheduler) RunDue(ctx context.Context) {
	now, maxWait := time.Now, s.MaxWait
	if s.Now != nil {
		now = s.Now
	}
	if maxWait <= 0 {
		maxWait = time.Hour
	}
	ts, err := s.Service.Platform.Tenants(ctx)
	if err != nil {
		s.Service.logger().Warn("scheduler: list tenants", "err", err)
		return
	}
	s.mu.Lock()
	if s.due == nil {
		s.due = map[string]time.Time{}
	}
	var todo []string
	for _, t := range ts {
		if t.Status != platform.StatusActive {
			continue
		}
		for _, j := range s.Jobs {
			if d, seen := s.due[j.Name+"/"+t.ID]; !seen || !d.After(now()) {
				todo = append(todo, t.Slug)
				break
			}
		}
	}
	s.mu.Unlock()
	for _, slug := range todo {
		if ctx.Err() != nil {
			return
		}
		s.runTenant(ctx, slug, now, maxWait)
	}
}

func (s *Scheduler) runTenant(ctx context.Context, slug string, now func() time.Time, maxWait time.Duration) {
	db, err := s.Service.Router.Acquire(ctx, slug)
	if err != nil {
		s.Service.logger().Warn("scheduler: open tenant", "tenant", slug, "err", err)
		return
	}
	defer db.Release()
	for _, j := range s.Jobs {
		key := j.Name + "/" + db.ID
		s.mu.Lock()
		d, seen := s.due[key]
		s.mu.Unlock()
		if seen && d.After(now()) {
			continue
		}
		start := time.Now()
		err := j.Run(ctx, db)
		if err != nil {
			s.Service.logger().Warn("scheduler: job failed", "job", j.Name, "tenant", slug, "err", err)
		}
		if s.Observe != nil {
			s.Observe(j.Name, time.Since(start), err)
		}
		next := now().Add(maxWait)
		if j.Next != nil {
			if n, ok, err := j.Next(ctx, db); err == nil && ok && n.Before(next) {
				next = n
			}
		}
		s.mu.Lock()
		s.due[key] = next
		s.mu.Unlock()
	}
}
