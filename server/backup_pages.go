package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/server/web"
)

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
func (s handlers) replicaTargets() []string {
	if s.Cfg.Control == nil || s.Cfg.Control.Replicator == nil {
		return nil
	}
	var names []string
	for n := range s.Cfg.Control.Replicator.Config().Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// setRegion records the replica target a tenant's data is replicated to
// (data residency); the running server moves the tenant within seconds.
func (s handlers) setRegion(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	if s.Cfg.Control == nil || s.Cfg.Control.Replicator == nil {
		return aura.Errorf(aura.ENOTIMPLEMENTED, "Replication is not configured.")
	}
	name, cfg := r.PostForm.Get("replica"), s.Cfg.Control.Replicator.Config()
	if _, ok := cfg.Targets[name]; !ok {
		return aura.Invalid(fmt.Sprintf("%q is not a replica target of this server (targets: %s).", name, strings.Join(s.replicaTargets(), ", ")),
			aura.FieldError{Field: "replica", Message: "choose a replica target"})
	}
	if name == cfg.DefaultTarget {
		name = ""
	}
	if _, err := s.Cfg.Platform.SetReplicaTarget(r.Context(), t.Slug, name); err != nil {
		return err
	}
	s.SetFlash(w, "ok", "Tenant "+t.Slug+" now replicates to "+cfg.Where(name)+"; the copy at the previous target is kept until its retention ends, then pruned once the new one holds a verified snapshot.")
	http.Redirect(w, r, "/platform/backups", http.StatusSeeOther)
	return nil
}

// backupsPage shows, per tenant, how far its encrypted replica is and its
// last restore drill.
func (s handlers) backupsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	d := &backupsData{Now: s.Cfg.Now()}
	st, err := s.Cfg.Control.BackupStatuses(r.Context())
	switch {
	case aura.ErrorCode(err) == aura.ENOTIMPLEMENTED:
		d.Error = aura.ErrorMessage(err)
	case err != nil:
		return err
	}
	d.Statuses = st
	if ts := s.replicaTargets(); len(ts) > 1 {
		d.Targets, d.Default = ts, s.Cfg.Control.Replicator.Config().DefaultTarget
	}
	p := s.PlatformPage(w, r, c, "Backups", "backups")
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "platform_backups", p)
	return nil
}

// drillNow runs the restore drill of one tenant at once.
func (s handlers) drillNow(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	d, err := s.Cfg.Control.Drill(r.Context(), t)
	if err != nil {
		return err
	}
	if d.OK {
		s.SetFlash(w, "ok", "The restore drill of "+t.Slug+" passed.")
	} else {
		s.SetFlash(w, "error", "The restore drill of "+t.Slug+" FAILED: "+d.Detail)
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
func (s handlers) restorePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	p := s.PlatformPage(w, r, c, "Restore "+t.Name, "backups")
	p.Data = &restoreData{Slug: t.Slug, Name: t.Name}
	s.RenderPage(w, r, http.StatusOK, "platform_restore", p)
	return nil
}

// restorePlan restores the replica into a side file, checks it and shows
// what would change, with a confirmation form. The live tenant keeps
// serving meanwhile.
func (s handlers) restorePlan(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	p := s.PlatformPage(w, r, c, "Restore "+t.Name, "backups")
	d := &restoreData{Slug: t.Slug, Name: t.Name}
	p.Data, p.Form = d, r.PostForm
	var at time.Time
	if r.PostForm.Get("point") != "latest" {
		at, err = parseRestoreTime(r.PostForm.Get("at"))
		if err != nil {
			p.WithFormError(err)
			s.RenderPage(w, r, http.StatusUnprocessableEntity, "platform_restore", p)
			return nil
		}
	}
	plan, err := s.Cfg.Control.PrepareRestore(r.Context(), t.Slug, at)
	if err != nil {
		if code := aura.ErrorCode(err); code == aura.ENOTFOUND || code == aura.ENOTIMPLEMENTED || code == aura.EINVALID || code == aura.EUNAUTHORIZED {
			p.WithFormError(err)
			s.RenderPage(w, r, web.StatusOf(err), "platform_restore", p)
			return nil
		}
		return err
	}
	d.Plan = plan
	if plan.OK() {
		d.PlanID = s.Plans.Put(s.Cfg.Control, plan, c.Staff.ID, s.Cfg.Now())
	} else {
		s.Cfg.Control.DiscardRestore(plan)
	}
	s.RenderPage(w, r, http.StatusOK, "platform_restore", p)
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
func (s handlers) restoreApply(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	slug := c.Params.ByName("slug")
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), slug)
	if err != nil {
		return err
	}
	p := s.PlatformPage(w, r, c, "Restore "+t.Name, "backups")
	d := &restoreData{Slug: t.Slug, Name: t.Name}
	p.Data = d
	plan, ok := s.Plans.Take(r.PostForm.Get("plan"), c.Staff.ID, s.Cfg.Now())
	if !ok || plan.Slug != slug {
		p.WithFormError(aura.Invalid("This restore plan has expired or was already used; prepare it again."))
		s.RenderPage(w, r, http.StatusConflict, "platform_restore", p)
		return nil
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != slug {
		d.Plan, d.PlanID = plan, s.Plans.Put(s.Cfg.Control, plan, c.Staff.ID, s.Cfg.Now())
		p.WithFormError(aura.Invalid("Type the tenant's address to confirm.", aura.FieldError{Field: "confirm", Message: "type " + slug + " exactly"}))
		s.RenderPage(w, r, http.StatusUnprocessableEntity, "platform_restore", p)
		return nil
	}
	// The restore outlives an impatient browser: it must not stop half-way.
	res, err := s.Cfg.Control.ApplyRestore(context.WithoutCancel(r.Context()), plan, control.RestoreOptions{})
	if err != nil {
		s.Cfg.Control.DiscardRestore(plan)
		return err
	}
	d.Result = res
	s.RenderPage(w, r, http.StatusOK, "platform_restore", p)
	return nil
}
