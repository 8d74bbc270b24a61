package pms

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// The guest-data rights pages and API: the anonymisation's confirmation
// step (what goes, what stays, why, or why not now) and the anonymisation
// itself, and the export of everything about a guest as JSON or a ZIP of
// CSV files, made on request, served once with no-store and never kept.

// GuestErasePage is the confirmation step of an anonymisation.
func (s Handlers) GuestErasePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if g, err := stays.New(c.DB).GetGuest(r.Context(), c.Params.ByName("id")); err != nil {
		return err
	} else if err := restrictedGate(r, c, g, "anonymisation page"); err != nil {
		return err
	}
	plan, err := guestdata.New(c.DB).PlanErasure(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Anonymise "+plan.Name, "guests")
	p.Form.Set("version", strconv.Itoa(plan.Version))
	p.Data = guestEraseView(c.Tenant.Slug, plan)
	s.RenderPage(w, r, http.StatusOK, "guest_erase", p)
	return nil
}

// GuestErase anonymises the guest; a refusal (a stay in house, an open
// balance, a profile changed since the confirmation was shown) shows the
// confirmation step again with the reason.
func (s Handlers) GuestErase(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	gd := guestdata.New(c.DB)
	var err error
	if r.PostForm.Get("confirm") != "yes" {
		err = aura.Invalid("Tick the box to confirm that the personal data is to be removed for good.", aura.FieldError{Field: "confirm", Message: "must be ticked"})
	}
	var res guestdata.Erasure
	if err == nil {
		res, err = gd.Erase(r.Context(), id, web.FormVersion(r.PostForm))
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.ECONFLICT && code != aura.EPRECONDITION && code != aura.EINVALID {
			return err
		}
		plan, perr := gd.PlanErasure(r.Context(), id)
		if perr != nil {
			return perr
		}
		p := s.TenantPage(w, r, c, "Anonymise "+plan.Name, "guests")
		p.WithFormError(err)
		p.Form.Set("version", strconv.Itoa(plan.Version))
		p.Data = guestEraseView(c.Tenant.Slug, plan)
		s.RenderPage(w, r, web.StatusOf(err), "guest_erase", p)
		return nil
	}
	s.SetFlash(w, "ok", "The guest is anonymised and is now "+res.Pseudonym+". Reservations, folios and invoices are kept.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"guests/"+id, http.StatusSeeOther)
	return nil
}

// GuestExport makes an export of everything about the guest (form field
// format: json or zip) and serves it as a download, once: it is made for
// this request, never stored, and marked no-store.
func (s Handlers) GuestExport(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	return serveExport(w, r, c, r.PostForm.Get("format"))
}

// ApiGuestExport is GuestExport for the API (?format=json or zip).
func (s Handlers) ApiGuestExport(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return serveExport(w, r, c, r.URL.Query().Get("format"))
}

func serveExport(w http.ResponseWriter, r *http.Request, c *web.Call, format string) error {
	if format == "" {
		format = guestdata.FormatJSON
	}
	g, err := stays.New(c.DB).GetGuest(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := restrictedGate(r, c, g, "export"); err != nil {
		return err
	}
	e, err := guestdata.New(c.DB).Export(r.Context(), c.Params.ByName("id"), format)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", e.ContentType)
	h.Set("Content-Disposition", `attachment; filename="`+e.Filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-SHA256", e.SHA256)
	h.Set("Content-Length", strconv.Itoa(len(e.Body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(e.Body)
	return err
}

// ApiGuestErasurePlan answers what anonymising the guest would remove and
// keep, and why it would be refused now.
func (s Handlers) ApiGuestErasurePlan(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	plan, err := guestdata.New(c.DB).PlanErasure(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, plan)
}

// ApiGuestErase anonymises the guest (body: {"version": N}, optional; or
// If-Match). A refusal is 409 with what to do.
func (s Handlers) ApiGuestErase(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	version, err := optionalVersion(r)
	if err != nil {
		return err
	}
	res, err := guestdata.New(c.DB).Erase(r.Context(), c.Params.ByName("id"), version)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, res)
}

// restrictedContext is the request's context, marked for the guest store
// when the caller may see restricted guests (guests.restricted.read).
func restrictedContext(r *http.Request, c *web.Call) context.Context {
	if c.Can(identity.PermGuestsRestricted) {
		return stays.WithRestricted(r.Context())
	}
	return r.Context()
}

// restrictedGate lets a read of guest g through: an unrestricted guest
// always; a restricted one only for a caller with guests.restricted.read
// (ENOTFOUND for everyone else, as if the guest were not there), and the
// read is audited with what read it.
func restrictedGate(r *http.Request, c *web.Call, g stays.Guest, what string) error {
	if g.RestrictedAt == nil {
		return nil
	}
	if !c.Can(identity.PermGuestsRestricted) {
		return tenant.NotFound("guest", g.ID)
	}
	if err := guestdata.New(c.DB).RecordRestrictedRead(r.Context(), g.ID, what); err != nil {
		return err
	}
	stays.RestrictedReadAudited(r.Context(), g.ID)
	return nil
}

// restrictedView is restrictedGate for a page that shows guest g inside
// another record (the check-in form, a registration card): true to show
// the guest (unrestricted, or restricted and read by a caller with
// guests.restricted.read, the read audited), false to show
// stays.RestrictedName and none of the guest's fields instead.
func restrictedView(r *http.Request, c *web.Call, g stays.Guest, what string) (bool, error) {
	err := restrictedGate(r, c, g, what)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// ApiGuestGet returns a guest's profile (a restricted guest only with
// guests.restricted.read, the read audited).
func (s Handlers) ApiGuestGet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	g, err := stays.New(c.DB).GetGuest(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := restrictedGate(r, c, g, "API guest"); err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, g, g.Version)
}

// GuestRestrict restricts the processing of the guest's data, or lifts
// the restriction (form field restrict: on or off; reason).
func (s Handlers) GuestRestrict(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	on := r.PostForm.Get("restrict") == "on"
	if err := guestdata.New(c.DB).Restrict(r.Context(), id, on, r.PostForm.Get("reason")); err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT {
			return err
		}
		p, d, derr := s.guestData(w, r, c)
		if derr != nil {
			return derr
		}
		p.Form = guestForm(d.G)
		p.WithFormError(err)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "guest", p)
		return nil
	}
	msg := "The restriction is lifted."
	if on {
		msg = "Processing is restricted: the guest is hidden from lists and search for users without guests.restricted.read, and every read is audited."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"guests/"+id, http.StatusSeeOther)
	return nil
}

// ApiGuestRestriction restricts or lifts (body: {"restricted": bool,
// "reason": "…"}) and returns the guest.
func (s Handlers) ApiGuestRestriction(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in struct {
		Restricted bool   `json:"restricted"`
		Reason     string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	if err := guestdata.New(c.DB).Restrict(r.Context(), id, in.Restricted, in.Reason); err != nil {
		return err
	}
	g, err := stays.New(c.DB).GetGuest(r.Context(), id)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, g, g.Version)
}

// RecordsOfProcessingPage shows, per property, what Aura stores about
// guests, why, for how long and where, from the settings the code
// enforces (tenant/guestdata.RecordsOfProcessing).
func (s Handlers) RecordsOfProcessingPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var st guestdata.Storage
	if ctl := s.Cfg.Control; ctl != nil && ctl.Replicator != nil {
		cfg := ctl.Replicator.Config()
		st = guestdata.Storage{Replica: cfg.Where(c.Tenant.ReplicaTarget()), ReplicaRetention: cfg.Retention}
	}
	recs, err := guestdata.New(c.DB).RecordsOfProcessing(r.Context(), st)
	if err != nil {
		return err
	}
	gd := guestdata.New(c.DB)
	rv := &retentionView{CanSet: c.Can(identity.PermGuestsErase)}
	if rv.RegistrationMonths, err = gd.RegistrationRetention(r.Context()); err != nil {
		return err
	}
	if rv.Years, err = gd.Retention(r.Context()); err != nil {
		return err
	}
	if rv.Due, err = gd.RetentionDryRun(r.Context()); err != nil {
		return err
	}
	// Retention days are UTC days, counted on the server's clock as the
	// retention jobs count them.
	today := date.Of(s.Cfg.Now(), time.UTC)
	var ids []string
	for _, d := range rv.Due {
		if !d.DueOn.After(today) {
			rv.DueNow++
		}
		if len(rv.Listed) < 20 {
			rv.Listed = append(rv.Listed, d)
			ids = append(ids, d.GuestID)
		}
	}
	if rv.RegDue, err = gd.RegistrationDryRun(r.Context()); err != nil {
		return err
	}
	for _, d := range rv.RegDue {
		if !d.DueAt.After(s.Cfg.Now()) {
			rv.RegDueNow++
		}
		if len(rv.RegListed) < 20 {
			rv.RegListed = append(rv.RegListed, d)
			ids = append(ids, d.GuestID)
		}
	}
	if rv.Names, err = stays.New(c.DB).GuestNames(r.Context(), ids); err != nil {
		return err
	}
	recips, err := ledger.New(c.DB).RecipientExpiries(r.Context())
	if err != nil {
		return err
	}
	rv.RecipCount = len(recips)
	for _, e := range recips {
		if !e.PurgedOn.After(today) {
			rv.RecipDueNow++
		}
		if len(rv.RecipListed) < 20 {
			rv.RecipListed = append(rv.RecipListed, e)
		}
	}
	p := s.TenantPage(w, r, c, "Records of processing", "privacy")
	p.Data = &processingView{Records: recs, Retention: rv}
	s.RenderPage(w, r, http.StatusOK, "records_of_processing", p)
	return nil
}

// retentionView is the retention part of the records-of-processing page.
type retentionView struct {
	Years map[string]int // property id → years (0: off)
	// RegistrationMonths is each property's registration-data retention
	// in months (absent: off).
	RegistrationMonths map[string]int
	Due                []guestdata.DueGuest
	// RegDue are the check-in records whose registration data the job
	// will purge, soonest first (RegListed: the first 20).
	RegDue    []guestdata.DueRegistration
	RegListed []guestdata.DueRegistration
	RegDueNow int
	// RecipListed are the first 20 issued documents whose recipient the
	// retention job will make unreadable, soonest first, of RecipCount;
	// RecipDueNow are due at the next run.
	RecipListed []ledger.RecipientExpiry
	RecipCount  int
	RecipDueNow int
	DueNow      int               // due on or before today: the next run takes them
	Names       map[string]string // the names of the guests listed
	CanSet      bool
	Listed      []guestdata.DueGuest // the first 20 of Due
}

// RetentionSet sets a property's guest retention schedule from the
// records-of-processing page.
func (s Handlers) RetentionSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	years, err := strconv.Atoi(r.PostForm.Get("anonymise_after_years"))
	if err != nil {
		years = -1
	}
	if err := guestdata.New(c.DB).SetRetention(r.Context(), r.PostForm.Get("property_id"), years); err != nil {
		return err
	}
	if v, ok := r.PostForm["registration_months"]; ok {
		months, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil {
			months = -1
		}
		if err := guestdata.New(c.DB).SetRegistrationRetention(r.Context(), r.PostForm.Get("property_id"), months); err != nil {
			return err
		}
	}
	s.SetFlash(w, "ok", "The guest retention schedule is saved. The dry run below lists who goes and when.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/records-of-processing#retention", http.StatusSeeOther)
	return nil
}

// ApiGuestRetention answers the schedules and the dry run.
func (s Handlers) ApiGuestRetention(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	gd := guestdata.New(c.DB)
	years, err := gd.Retention(r.Context())
	if err != nil {
		return err
	}
	due, err := gd.RetentionDryRun(r.Context())
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, struct {
		Schedules map[string]int       `json:"anonymise_after_years"`
		Due       []guestdata.DueGuest `json:"due"`
	}{years, due})
}

// ApiGuestRetentionSet sets one property's schedule (body:
// {"anonymise_after_years": N}).
func (s Handlers) ApiGuestRetentionSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in struct {
		Years int `json:"anonymise_after_years"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := guestdata.New(c.DB).SetRetention(r.Context(), c.Params.ByName("id"), in.Years); err != nil {
		return err
	}
	return s.ApiGuestRetention(w, r, c)
}

type processingView struct {
	Records   []guestdata.PropertyProcessing
	Retention *retentionView
}

// GuestConsent records the guest's answer to marketing emails (form
// fields granted: yes or no; source; version) with the time it is saved.
func (s Handlers) GuestConsent(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	g, err := stays.New(c.DB).GetGuest(r.Context(), id)
	if err != nil {
		return err
	}
	if err := restrictedGate(r, c, g, "consent saved"); err != nil {
		return err
	}
	f := r.PostForm
	in := guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: f.Get("granted") == "yes", Source: f.Get("source"), Version: web.FormVersion(f)}
	if f.Get("granted") != "yes" && f.Get("granted") != "no" {
		err = aura.Invalid("Say whether the guest agrees to marketing emails.", aura.FieldError{Field: "granted", Message: "must be yes or no"})
	} else {
		_, err = guestdata.New(c.DB).SetConsent(r.Context(), id, in)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.EPRECONDITION && code != aura.ECONFLICT {
			return err
		}
		p, d, derr := s.guestData(w, r, c)
		if derr != nil {
			return derr
		}
		p.Form = guestForm(d.G)
		for k, v := range f {
			p.Form[k] = v
		}
		p.FormFieldErrors(err, nil)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "guest", p)
		return nil
	}
	msg := g.Name() + " agreed to marketing emails."
	if !in.Granted {
		msg = g.Name() + " does not want marketing emails; that is recorded."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"guests/"+id+"#consents", http.StatusSeeOther)
	return nil
}
