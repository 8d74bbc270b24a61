package pms

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/guestmail"
)

// The guest-email settings (issue 16): whether the current property sends
// booking confirmations, pre-arrival and cancellation emails, how many days
// before arrival, and its templates per kind and language, each edited
// with inline errors and a preview on a sample stay.

type guestMailData struct {
	Settings  guestmail.Settings
	Templates []guestmail.Template
	Kinds     []string
	SMTP      bool // the server can send email
}

// GuestMailPage shows the current property's guest-email settings and templates.
func (s Handlers) GuestMailPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Guest emails", "guest-emails")
	if p.Property == nil {
		return web.ErrNoProperty
	}
	d, err := s.guestMailData(r, c, p.Property.ID)
	if err != nil {
		return err
	}
	p.Form = url.Values{"pre_arrival_days": {strconv.Itoa(d.Settings.PreArrivalDays)}, "language": {"en"}}
	if d.Settings.Enabled {
		p.Form.Set("enabled", "on")
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "guest_emails", p)
	return nil
}

func (s Handlers) guestMailData(r *http.Request, c *web.Call, propertyID string) (*guestMailData, error) {
	gm := guestmail.New(c.DB)
	st, err := gm.GetSettings(r.Context(), propertyID)
	if err != nil {
		return nil, err
	}
	ts, err := gm.Templates(r.Context(), propertyID)
	if err != nil {
		return nil, err
	}
	return &guestMailData{Settings: st, Templates: ts, Kinds: guestmail.Kinds, SMTP: s.Cfg.Mail.Enabled()}, nil
}

// GuestMailSave saves whether the property named by the form sends guest
// emails and the pre-arrival lead.
func (s Handlers) GuestMailSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	in := guestmail.Settings{PropertyID: f.Get("property_id"), Enabled: f.Get("enabled") == "on", Version: web.FormVersion(f)}
	var err error
	if in.PreArrivalDays, err = strconv.Atoi(strings.TrimSpace(f.Get("pre_arrival_days"))); err != nil {
		err = aura.Invalid("The settings are not valid.", aura.FieldError{Field: "pre_arrival_days", Message: "must be a whole number of days, 0 to 60"})
	} else {
		_, err = guestmail.New(c.DB).SetSettings(r.Context(), in)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.EPRECONDITION {
			return err
		}
		p := s.TenantPage(w, r, c, "Guest emails", "guest-emails")
		d, derr := s.guestMailData(r, c, in.PropertyID)
		if derr != nil {
			return derr
		}
		p.Form = f
		p.FormFieldErrors(err, nil)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "guest_emails", p)
		return nil
	}
	msg := "Guest emails are off."
	if in.Enabled {
		msg = "Guest emails are on: stays booked or cancelled from now on get their emails."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/guest-emails", http.StatusSeeOther)
	return nil
}

type guestMailTemplateData struct {
	T       guestmail.Template
	Preview *guestmail.Rendered
	Fields  []string
}

// templateFields are the values a template may use, as the editor lists them.
var templateFields = []string{"{{.Guest.Name}}", "{{.Guest.GivenName}}", "{{.Guest.FamilyName}}", "{{.Property.Name}}", "{{.Property.Address}}",
	"{{.Property.CheckInTime}}", "{{.Property.CheckOutTime}}", "{{.Stay.Reference}}", "{{.Stay.Guest}}", "{{.Stay.Arrival}}", "{{.Stay.Departure}}", "{{.Stay.Dates}}",
	"{{.Stay.Nights}}", "{{.Stay.Adults}}", "{{.Stay.Children}}", "{{.Stay.RoomType}}", "{{.Stay.Total}}"}

// GuestMailTemplatePage is the editor of one template of the current
// property (?kind=…&language=…), with a preview of what is stored.
func (s Handlers) GuestMailTemplatePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Guest email template", "guest-emails")
	if p.Property == nil {
		return web.ErrNoProperty
	}
	q := r.URL.Query()
	t, err := guestmail.New(c.DB).GetTemplate(r.Context(), p.Property.ID, q.Get("kind"), q.Get("language"))
	if err != nil {
		return err
	}
	d := &guestMailTemplateData{T: t, Fields: templateFields}
	if out, err := guestmail.New(c.DB).Preview(r.Context(), t); err == nil {
		d.Preview = &out
	}
	p.Title = guestmail.KindName(t.Kind) + " (" + t.Language + ")"
	p.Form = url.Values{"subject": {t.Subject}, "body_text": {t.Text}, "body_html": {t.HTML}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "guest_email_template", p)
	return nil
}

// GuestMailTemplateSave previews (action=preview), saves (action=save) or
// resets to the built-in wording (action=reset) one template of the
// property named by the form; errors show inline beside the part that
// fails.
func (s Handlers) GuestMailTemplateSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	t := guestmail.Template{PropertyID: f.Get("property_id"), Kind: f.Get("kind"), Language: f.Get("language"), Subject: f.Get("subject"),
		Text: f.Get("body_text"), HTML: f.Get("body_html"), Version: web.FormVersion(f)}
	gm := guestmail.New(c.DB)
	back := web.TenantPath(c.Tenant.Slug) + "settings/guest-emails"
	switch f.Get("action") {
	case "reset":
		if err := gm.ResetTemplate(r.Context(), t.PropertyID, t.Kind, t.Language); err != nil {
			return err
		}
		s.SetFlash(w, "ok", guestmail.KindName(t.Kind)+" ("+t.Language+") uses the built-in wording again.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	case "save":
		saved, err := gm.SaveTemplate(r.Context(), t)
		if err == nil {
			s.SetFlash(w, "ok", guestmail.KindName(saved.Kind)+" ("+saved.Language+") is saved.")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
		return s.templateAgain(w, r, c, t, err)
	case "preview":
		out, err := gm.Preview(r.Context(), t)
		if err != nil {
			return s.templateAgain(w, r, c, t, err)
		}
		p := s.TenantPage(w, r, c, guestmail.KindName(t.Kind)+" ("+t.Language+")", "guest-emails")
		p.Form = f
		p.Data = &guestMailTemplateData{T: t, Preview: &out, Fields: templateFields}
		s.RenderPage(w, r, http.StatusOK, "guest_email_template", p)
		return nil
	}
	return aura.Invalid("Choose preview, save or reset.", aura.FieldError{Field: "action", Message: "must be preview, save or reset"})
}

// templateAgain shows the editor again with the error beside its part.
func (s Handlers) templateAgain(w http.ResponseWriter, r *http.Request, c *web.Call, t guestmail.Template, err error) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.EPRECONDITION {
		return err
	}
	p := s.TenantPage(w, r, c, guestmail.KindName(t.Kind)+" ("+t.Language+")", "guest-emails")
	p.Form = r.PostForm
	p.FormFieldErrors(err, nil)
	p.Data = &guestMailTemplateData{T: t, Fields: templateFields}
	s.RenderPage(w, r, web.StatusOf(err), "guest_email_template", p)
	return nil
}
