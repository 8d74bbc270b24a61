package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

func (s handlers) platformHome(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
	return nil
}

func (s handlers) staffLoginPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var sc web.StaffCookie
	if s.ReadCookie(r, web.CookieStaff, &sc) {
		if _, _, err := s.Cfg.Platform.StaffSessionBySecret(r.Context(), sc.S, s.Cfg.StaffSessions); err == nil {
			http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
			return nil
		}
	}
	p := s.BarePage(w, r, "Staff sign-in")
	p.Platform = true
	s.RenderPage(w, r, http.StatusOK, "platform_login", p)
	return nil
}

func (s handlers) staffLoginSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := s.BarePage(w, r, "Staff sign-in")
	p.Platform = true
	email := r.PostForm.Get("email")
	p.Form.Set("email", email)
	account := web.StaffAccount(email)
	att, err := s.Throttle.Begin(r.Context(), s.GuardFor(r, account))
	if err != nil {
		return s.staffLoginRefused(w, r, p, err)
	}
	defer att.Release()
	ctx := aura.WithActor(r.Context(), aura.Actor{Kind: aura.ActorStaff, ID: "anonymous"})
	_, _, secret, err := s.Cfg.Platform.StaffLogin(ctx, s.Hasher, email, r.PostForm.Get("password"), r.PostForm.Get("code"), s.Cfg.StaffSessions)
	if err != nil {
		if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
			att.Fail(r.Context())
		}
		return s.staffLoginRefused(w, r, p, err)
	}
	att.Succeed(r.Context())
	s.RememberDevice(w, r, "/platform/", account)
	if err := s.SetCookie(w, web.CookieStaff, "/platform/", web.StaffCookie{S: secret}, 0); err != nil {
		return err
	}
	http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
	return nil
}

func (s handlers) staffLoginRefused(w http.ResponseWriter, r *http.Request, p *web.Page, err error) error {
	return s.signInRefused(w, r, p, err, "platform_login")
}

func (s handlers) staffLogout(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	open, err := s.Cfg.Platform.Impersonations(ctx, platform.ImpersonationFilter{StaffSessionID: c.StaffSession.ID, OpenOnly: true})
	if err != nil {
		return err
	}
	for _, imp := range open {
		if _, err := s.EndImpersonation(ctx, imp.ID, "staff signed out"); err != nil {
			return err
		}
	}
	if err := s.Cfg.Platform.EndStaffSession(ctx, c.StaffSession.ID); err != nil {
		return err
	}
	s.ClearCookie(w, web.CookieStaff, "/platform/")
	s.SetFlash(w, "ok", "You are signed out.")
	http.Redirect(w, r, "/platform/login", http.StatusSeeOther)
	return nil
}

type tenantsData struct {
	Tenants []platform.Tenant
	// Audit is each chain's audit status by chain id (tenant id, or
	// platform.ChainID for the platform's own).
	Audit          map[string]platform.AuditStatus
	PlatformAudit  platform.AuditStatus
	Impersonations []platform.Impersonation
	InviteLink     string
	InviteNote     string
	Now            time.Time
}

func (s handlers) tenantsPageData(ctx context.Context, c *web.Call) (*tenantsData, error) {
	ts, err := s.Cfg.Platform.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	d := &tenantsData{Now: s.Cfg.Now()}
	if d.Audit, err = s.Cfg.Platform.AuditStatuses(ctx); err != nil {
		return nil, err
	}
	d.PlatformAudit = d.Audit[platform.ChainID]
	for _, t := range ts {
		if t.Status != platform.StatusDeleted {
			d.Tenants = append(d.Tenants, t)
		}
	}
	open, err := s.Cfg.Platform.Impersonations(ctx, platform.ImpersonationFilter{StaffSessionID: c.StaffSession.ID, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	for _, imp := range open {
		if imp.Active(d.Now) {
			d.Impersonations = append(d.Impersonations, imp)
		}
	}
	return d, nil
}

func (s handlers) tenantsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	d, err := s.tenantsPageData(r.Context(), c)
	if err != nil {
		return err
	}
	p := s.PlatformPage(w, r, c, "Tenants", "tenants")
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "platform_tenants", p)
	return nil
}

// tenantCreate creates a tenant (its file, key and first audit row) and
// invites its first owner.
func (s handlers) tenantCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	ctx := r.Context()
	slug, name := strings.TrimSpace(r.PostForm.Get("slug")), strings.TrimSpace(r.PostForm.Get("name"))
	ownerEmail, ownerName := r.PostForm.Get("owner_email"), r.PostForm.Get("owner_name")
	render := func(status int, d *tenantsData, err error) error {
		p := s.PlatformPage(w, r, c, "Tenants", "tenants")
		p.Data = d
		if err != nil {
			p.WithFormError(err)
			p.Form = r.PostForm
		}
		s.RenderPage(w, r, status, "platform_tenants", p)
		return nil
	}
	d, err := s.tenantsPageData(ctx, c)
	if err != nil {
		return err
	}
	if _, err := identity.NormalizeEmail(ownerEmail); err != nil {
		return render(http.StatusBadRequest, d, aura.Invalid("Enter the owner's email address.", aura.FieldError{Field: "owner_email", Message: "enter a valid email address"}))
	}
	if err := s.Cfg.Platform.ValidateNewTenant(ctx, slug, name); err != nil {
		if code := aura.ErrorCode(err); code == aura.EINVALID || code == aura.ECONFLICT {
			fields := aura.ErrorFields(err)
			if code == aura.ECONFLICT {
				fields = []aura.FieldError{{Field: "slug", Message: "already taken"}}
			}
			return render(web.StatusOf(err), d, &aura.Error{Code: aura.EINVALID, Message: aura.ErrorMessage(err), Fields: fields})
		}
		return err
	}
	t, err := s.Cfg.Control.CreateTenant(ctx, slug, name)
	if err != nil {
		return err
	}
	db, err := s.Cfg.Router.Acquire(ctx, t.Slug)
	if err != nil {
		return err
	}
	defer db.Release()
	u, token, err := identity.New(db).InviteUser(ctx, identity.NewUser{Email: ownerEmail, Name: ownerName, Role: identity.RoleOwner})
	if err != nil {
		return err
	}
	if d, err = s.tenantsPageData(ctx, c); err != nil {
		return err
	}
	d.InviteLink, d.InviteNote = s.DeliverInvite(r, t.Name, t.Slug, "Aura", u.Email, token)
	d.InviteNote = "Tenant " + t.Slug + " is created. " + d.InviteNote
	return render(http.StatusOK, d, nil)
}

// tenantStatus suspends or resumes a tenant. Before a suspension, open
// impersonations of it end (recorded while its file can still be written).
func (s handlers) tenantStatus(status string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx := r.Context()
		slug := c.Params.ByName("slug")
		t, err := s.Cfg.Platform.TenantBySlug(ctx, slug)
		if err != nil {
			return err
		}
		if status == platform.StatusSuspended {
			open, err := s.Cfg.Platform.Impersonations(ctx, platform.ImpersonationFilter{TenantID: t.ID, OpenOnly: true})
			if err != nil {
				return err
			}
			for _, imp := range open {
				if _, err := s.EndImpersonation(ctx, imp.ID, "tenant suspended"); err != nil {
					return err
				}
			}
		}
		if _, err := s.Cfg.Control.SetStatus(ctx, slug, status); err != nil {
			return err
		}
		verb := "resumed"
		if status == platform.StatusSuspended {
			verb = "suspended"
		}
		s.SetFlash(w, "ok", "Tenant "+slug+" is "+verb+".")
		http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
		return nil
	}
}

type impersonateData struct {
	Tenant  platform.Tenant
	Minutes []int
}

func (s handlers) impersonatePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	t, err := s.Cfg.Platform.TenantBySlug(r.Context(), c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	p := s.PlatformPage(w, r, c, "Act on "+t.Name, "tenants")
	p.Form.Set("minutes", "30")
	p.Data = impersonateData{Tenant: t, Minutes: []int{15, 30, 60, 120, 240}}
	s.RenderPage(w, r, http.StatusOK, "platform_impersonate", p)
	return nil
}

func (s handlers) impersonateStart(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	ctx := r.Context()
	t, err := s.Cfg.Platform.TenantBySlug(ctx, c.Params.ByName("slug"))
	if err != nil {
		return err
	}
	minutes, err := strconv.Atoi(r.PostForm.Get("minutes"))
	if err != nil {
		minutes = 0
	}
	imp, secret, err := s.StartImpersonation(ctx, c.Staff, c.StaffSession, t.Slug, r.PostForm.Get("reason"), time.Duration(minutes)*time.Minute)
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p := s.PlatformPage(w, r, c, "Act on "+t.Name, "tenants")
		p.WithFormError(err)
		p.Form = r.PostForm
		p.Data = impersonateData{Tenant: t, Minutes: []int{15, 30, 60, 120, 240}}
		s.RenderPage(w, r, http.StatusBadRequest, "platform_impersonate", p)
		return nil
	}
	if err := s.SetCookie(w, web.CookieImp, web.TenantPath(t.Slug), web.ImpCookie{T: t.ID, I: imp.ID, S: secret}, 0); err != nil {
		return err
	}
	http.Redirect(w, r, web.TenantPath(t.Slug), http.StatusSeeOther)
	return nil
}

func (s handlers) impersonationEnd(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	imp, err := s.Cfg.Platform.Impersonation(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if imp.StaffID != c.Staff.ID {
		return web.ErrNotFound
	}
	if _, err := s.EndImpersonation(r.Context(), imp.ID, "ended by staff"); err != nil {
		return err
	}
	s.ClearCookie(w, web.CookieImp, web.TenantPath(imp.TenantSlug))
	s.SetFlash(w, "ok", "The impersonation of "+imp.TenantSlug+" has ended.")
	http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
	return nil
}

// platformAuditPage shows the platform chain, one tenant's chain, or every
// tenant's chains merged by time, with filters and a cursor.
func (s handlers) platformAuditPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	p := s.PlatformPage(w, r, c, "Audit", "audit")
	d := &auditData{First: "/platform/audit"}
	p.Data = d
	ts, err := s.Cfg.Platform.Tenants(ctx)
	if err != nil {
		return err
	}
	d.Sources = []web.Option{{Value: "", Label: "Platform and all tenants"}, {Value: "platform", Label: "Platform only"}}
	var live []platform.Tenant
	for _, t := range ts {
		if t.Status == platform.StatusActive {
			live = append(live, t)
			d.Sources = append(d.Sources, web.Option{Value: t.Slug, Label: t.Name + " (" + t.Slug + ")"})
		}
	}
	staff, err := s.Cfg.Platform.StaffLabels(ctx)
	if err != nil {
		return err
	}
	for id, email := range staff {
		d.Actors = append(d.Actors, web.Option{Value: id, Label: email})
	}
	sort.Slice(d.Actors, func(i, j int) bool { return d.Actors[i].Label < d.Actors[j].Label })
	f, err := parseAuditFilter(r.URL.Query())
	p.Form = f.Query
	if err != nil {
		p.WithFormError(err)
		s.RenderPage(w, r, http.StatusBadRequest, "platform_audit", p)
		return nil
	}
	cursorSource := ""
	if c := f.Query.Get("cursor"); c != "" {
		if parts := strings.SplitN(c, "|", 3); len(parts) == 3 {
			cursorSource = parts[2]
		}
	}
	source := f.Query.Get("source")
	var sources []string
	switch source {
	case "":
		sources = append(sources, "platform")
		for _, t := range live {
			sources = append(sources, t.Slug)
		}
	case "platform":
		sources = []string{"platform"}
	default:
		sources = []string{source}
	}
	// Every source contributes its newest rows older than the cursor in
	// (at desc, source asc, seq desc) order; the merge keeps the first page.
	var merged []auditView
	for _, src := range sources {
		sf := f.Filter
		sf.Limit = auditPageSize + 100
		if f.BeforeAt != "" {
			sf.AtOrBefore = true
		}
		views, err := s.sourceAudit(ctx, src, sf, staff)
		if err != nil {
			if aura.ErrorCode(err) == aura.ENOTFOUND {
				p.WithFormError(aura.Invalid("No tenant "+src+".", aura.FieldError{Field: "source", Message: "no such tenant"}))
				s.RenderPage(w, r, http.StatusBadRequest, "platform_audit", p)
				return nil
			}
			return err
		}
		for _, v := range views {
			if f.BeforeAt != "" && !olderThanCursor(v, f.BeforeAt, f.BeforeSeq, cursorSource) {
				continue
			}
			merged = append(merged, v)
		}
	}
	sort.SliceStable(merged, func(i, j int) bool { return auditBefore(merged[i], merged[j]) })
	if len(merged) > auditPageSize {
		merged = merged[:auditPageSize]
		q := cloneValues(f.Query)
		last := merged[len(merged)-1]
		q.Set("cursor", cursorOf(last, last.Source))
		d.Next = "/platform/audit?" + q.Encode()
	}
	d.Rows = merged
	s.RenderPage(w, r, http.StatusOK, "platform_audit", p)
	return nil
}

// auditBefore orders rows newest first, then by source, then by seq.
func auditBefore(a, b auditView) bool {
	if !a.At.Equal(b.At) {
		return a.At.After(b.At)
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Seq > b.Seq
}

func olderThanCursor(v auditView, at string, seq int64, source string) bool {
	cat, _ := time.Parse(audit.TimeFormat, at)
	return auditBefore(auditView{At: cat, Source: source, Seq: seq}, v)
}

// sourceAudit reads one chain for the platform audit page.
func (s handlers) sourceAudit(ctx context.Context, src string, f audit.Filter, staff map[string]string) ([]auditView, error) {
	if src == "platform" {
		rows, err := s.Cfg.Platform.AuditLog(ctx, f)
		if err != nil {
			return nil, err
		}
		out := make([]auditView, len(rows))
		for i, r := range rows {
			out[i] = viewOf(r, "platform", nil, staff)
		}
		return out, nil
	}
	db, err := s.Cfg.Router.Acquire(ctx, src)
	if err != nil {
		return nil, err
	}
	defer db.Release()
	rows, err := db.AuditLogSealed(ctx, f)
	if err != nil {
		return nil, err
	}
	// Staff see tenant users by id only: names and emails stay in the tenant.
	out := make([]auditView, len(rows))
	for i, r := range rows {
		out[i] = viewOf(r, src, nil, staff)
	}
	return out, nil
}

// platformHealth answers /platform/healthz for signed-in staff: the health
// of the platform DB and, per tenant, its status, whether its file is open
// and the state of its audit chain (a broken one with the first bad seq and
// the reason). The public /healthz says only whether the server works.
func (s handlers) platformHealth(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	ts, err := s.Cfg.Platform.Tenants(ctx)
	if err != nil {
		return err
	}
	audits, err := s.Cfg.Platform.AuditStatuses(ctx)
	if err != nil {
		return err
	}
	open := map[string]bool{}
	for _, slug := range s.Cfg.Router.OpenSlugs() {
		open[slug] = true
	}
	type tenantHealth struct {
		Slug   string               `json:"slug"`
		ID     string               `json:"id"`
		Status string               `json:"status"`
		Open   bool                 `json:"open"`
		Audit  platform.AuditStatus `json:"audit"`
	}
	out := struct {
		Status        string               `json:"status"`
		PlatformAudit platform.AuditStatus `json:"platform_audit"`
		AuditBroken   int                  `json:"audit_broken"`
		Tenants       []tenantHealth       `json:"tenants"`
	}{Status: "ok", PlatformAudit: audits[platform.ChainID], Tenants: []tenantHealth{}}
	if out.PlatformAudit.Broken() {
		out.AuditBroken++
	}
	for _, t := range ts {
		if t.Status == platform.StatusDeleted {
			continue
		}
		a := audits[t.ID]
		a.Chain = t.ID
		if a.Broken() {
			out.AuditBroken++
		}
		out.Tenants = append(out.Tenants, tenantHealth{Slug: t.Slug, ID: t.ID, Status: t.Status, Open: open[t.Slug], Audit: a})
	}
	if out.AuditBroken > 0 {
		out.Status = "audit chain broken"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}
