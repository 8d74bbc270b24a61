package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/credential"
)

// restorePlans holds the restore plans staff prepared and have not yet
// confirmed or abandoned. A plan's side file is the server's, so the
// confirmation names a plan by a random id and never by a path.
type restorePlans struct {
	mu    sync.Mutex
	plans map[string]pendingPlan
}

type pendingPlan struct {
	plan    *control.RestorePlan
	staffID string
	expires time.Time
}

// planTTL is how long a prepared plan waits for its confirmation.
const planTTL = 15 * time.Minute

func (rp *restorePlans) put(ctl *control.Service, p *control.RestorePlan, staffID string, now time.Time) string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.plans == nil {
		rp.plans = map[string]pendingPlan{}
	}
	for id, old := range rp.plans {
		// One plan per tenant (they share a side file), and none past its time.
		if old.plan.Slug == p.Slug || now.After(old.expires) {
			if old.plan.Slug != p.Slug {
				ctl.DiscardRestore(old.plan)
			}
			delete(rp.plans, id)
		}
	}
	id := credential.RandomString(22)
	rp.plans[id] = pendingPlan{plan: p, staffID: staffID, expires: now.Add(planTTL)}
	return id
}

// take removes and returns the plan id, if it exists, is the staff
// member's own and has not expired.
func (rp *restorePlans) take(id, staffID string, now time.Time) (*control.RestorePlan, bool) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	pp, ok := rp.plans[id]
	if !ok || pp.staffID != staffID || now.After(pp.expires) {
		return nil, false
	}
	delete(rp.plans, id)
	return pp.plan, true
}

type backupsData struct {
	Statuses []control.BackupStatus
	Error    string
	Now      time.Time
	// Targets are the named replica targets a tenant can be moved to
	// (empty with a single replica).
	Targets []string
	Default string // the default target's name
}

// replicaTargets returns the names of the replica targets, sorted.
func (s *Server) replicaTargets() []string {
	if s.cfg.Control == nil || s.cfg.Control.Replicator == nil {
		return nil
	}
	var names []string
	for n := range s.cfg.Control.Replicator.Config().Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// setRegion records the replica target a tenant's data is replicated to
// (data residency); the running server moves the tenant within seconds.
func (s *Server) setRegion(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.cfg.Platform.TenantBySlug(r.Context(), c.params.ByName("slug"))
	if err != nil {
		return err
	}
	name, cfg := r.PostFormValue("replica"), s.cfg.Control.Replicator.Config()
	if _, ok := cfg.Targets[name]; !ok {
		return aura.Invalid(fmt.Sprintf("%q is not a replica target of this server (targets: %s).", name, strings.Join(s.replicaTargets(), ", ")),
			aura.FieldError{Field: "replica", Message: "choose a replica target"})
	}
	if name == cfg.DefaultTarget {
		name = ""
	}
	if _, err := s.cfg.Platform.SetReplicaTarget(r.Context(), t.Slug, name); err != nil {
		return err
	}
	s.setFlash(w, "ok", "Tenant "+t.Slug+" now replicates to "+cfg.Where(name)+"; the replica at the previous target stays.")
	http.Redirect(w, r, "/platform/backups", http.StatusSeeOther)
	return nil
}

// backupsPage shows, per tenant, how far its encrypted replica is and its
// last restore drill.
func (s *Server) backupsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	d := &backupsData{Now: s.cfg.Now()}
	st, err := s.cfg.Control.BackupStatuses(r.Context())
	switch {
	case aura.ErrorCode(err) == aura.ENOTIMPLEMENTED:
		d.Error = aura.ErrorMessage(err)
	case err != nil:
		return err
	}
	d.Statuses = st
	if ts := s.replicaTargets(); len(ts) > 1 {
		d.Targets, d.Default = ts, s.cfg.Control.Replicator.Config().DefaultTarget
	}
	p := s.platformPage(w, r, c, "Backups", "backups")
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "platform_backups", p)
	return nil
}

// drillNow runs the restore drill of one tenant at once.
func (s *Server) drillNow(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.cfg.Platform.TenantBySlug(r.Context(), c.params.ByName("slug"))
	if err != nil {
		return err
	}
	d, err := s.cfg.Control.Drill(r.Context(), t)
	if err != nil {
		return err
	}
	if d.OK {
		s.setFlash(w, "ok", "The restore drill of "+t.Slug+" passed.")
	} else {
		s.setFlash(w, "error", "The restore drill of "+t.Slug+" FAILED: "+d.Detail)
	}
	http.Redirect(w, r, "/platform/backups", http.StatusSeeOther)
	return nil
}

type restoreData struct {
	Slug   string
	Name   string
	PlanID string
	Plan   *control.RestorePlan
	Result *control.RestoreResult
}

// restorePage is the first step of a restore: choose the point in time.
func (s *Server) restorePage(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.cfg.Platform.TenantBySlug(r.Context(), c.params.ByName("slug"))
	if err != nil {
		return err
	}
	p := s.platformPage(w, r, c, "Restore "+t.Name, "backups")
	p.Data = &restoreData{Slug: t.Slug, Name: t.Name}
	s.renderPage(w, r, http.StatusOK, "platform_restore", p)
	return nil
}

// restorePlan restores the replica into a side file, checks it and shows
// what would change, with a confirmation form. The live tenant keeps
// serving meanwhile.
func (s *Server) restorePlan(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	t, err := s.cfg.Platform.TenantBySlug(r.Context(), c.params.ByName("slug"))
	if err != nil {
		return err
	}
	p := s.platformPage(w, r, c, "Restore "+t.Name, "backups")
	d := &restoreData{Slug: t.Slug, Name: t.Name}
	p.Data, p.Form = d, r.PostForm
	var at time.Time
	if r.PostForm.Get("point") != "latest" {
		at, err = parseRestoreTime(r.PostForm.Get("at"))
		if err != nil {
			p.withFormError(err)
			s.renderPage(w, r, http.StatusUnprocessableEntity, "platform_restore", p)
			return nil
		}
	}
	plan, err := s.cfg.Control.PrepareRestore(r.Context(), t.Slug, at)
	if err != nil {
		if code := aura.ErrorCode(err); code == aura.ENOTFOUND || code == aura.ENOTIMPLEMENTED || code == aura.EINVALID || code == aura.EUNAUTHORIZED {
			p.withFormError(err)
			s.renderPage(w, r, StatusOf(err), "platform_restore", p)
			return nil
		}
		return err
	}
	d.Plan = plan
	if plan.OK() {
		d.PlanID = s.plans.put(s.cfg.Control, plan, c.staff.ID, s.cfg.Now())
	} else {
		s.cfg.Control.DiscardRestore(plan)
	}
	s.renderPage(w, r, http.StatusOK, "platform_restore", p)
	return nil
}

// parseRestoreTime reads the form's time: a datetime-local value taken as
// UTC, or RFC 3339.
func parseRestoreTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, aura.Invalid("Give the time to restore to, in UTC.", aura.FieldError{Field: "at", Message: "a date and time such as 2026-11-28T09:30 (UTC)"})
}

// restoreApply swaps a confirmed plan in. Staff must type the tenant's
// slug: a restore throws away everything written after its point.
func (s *Server) restoreApply(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	slug := c.params.ByName("slug")
	t, err := s.cfg.Platform.TenantBySlug(r.Context(), slug)
	if err != nil {
		return err
	}
	p := s.platformPage(w, r, c, "Restore "+t.Name, "backups")
	d := &restoreData{Slug: t.Slug, Name: t.Name}
	p.Data = d
	plan, ok := s.plans.take(r.PostForm.Get("plan"), c.staff.ID, s.cfg.Now())
	if !ok || plan.Slug != slug {
		p.withFormError(aura.Invalid("This restore plan has expired or was already used; prepare it again."))
		s.renderPage(w, r, http.StatusConflict, "platform_restore", p)
		return nil
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != slug {
		d.Plan, d.PlanID = plan, s.plans.put(s.cfg.Control, plan, c.staff.ID, s.cfg.Now())
		p.withFormError(aura.Invalid("Type the tenant's address to confirm.", aura.FieldError{Field: "confirm", Message: "type " + slug + " exactly"}))
		s.renderPage(w, r, http.StatusUnprocessableEntity, "platform_restore", p)
		return nil
	}
	// The restore outlives an impatient browser: it must not stop half-way.
	res, err := s.cfg.Control.ApplyRestore(context.WithoutCancel(r.Context()), plan, control.RestoreOptions{})
	if err != nil {
		s.cfg.Control.DiscardRestore(plan)
		return err
	}
	d.Result = res
	s.renderPage(w, r, http.StatusOK, "platform_restore", p)
	return nil
}
