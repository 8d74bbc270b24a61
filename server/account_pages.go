package server

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"rsc.io/qr"
)

type accountData struct {
	Required      bool
	RecoveryLeft  int
	Enrol         *enrolment
	RecoveryCodes []string
	Permissions   []identity.Permission
}

// enrolment is a TOTP secret being set up: the QR code, the otpauth URI
// and the secret for typing in.
type enrolment struct {
	// URI is the otpauth:// link; html/template refuses that scheme in an
	// href unless told it is safe (it is ours: fixed scheme, escaped parts).
	URI    template.URL
	Secret string
	QR     template.HTML
}

func (s handlers) accountPageFor(w http.ResponseWriter, r *http.Request, c *web.Call) (*web.Page, *accountData, error) {
	if c.Imp != nil {
		return nil, nil, errStaffNoAccount
	}
	d := &accountData{Permissions: identity.RolePermissions(c.User.Role)}
	var err error
	if d.Required, err = identity.New(c.DB).Require2FA(r.Context()); err != nil {
		return nil, nil, err
	}
	if c.User.TOTPEnabled {
		if d.RecoveryLeft, err = identity.New(c.DB).RecoveryCodesLeft(r.Context(), c.User.ID); err != nil {
			return nil, nil, err
		}
	} else if secret, err := identity.New(c.DB).PendingTOTP(r.Context(), c.User.ID); err == nil {
		d.Enrol = s.enrolmentFor(c, secret)
	}
	p := s.TenantPage(w, r, c, "Account & security", "account")
	p.Data = d
	return p, d, nil
}

func (s handlers) enrolmentFor(c *web.Call, secret []byte) *enrolment {
	uri := credential.TOTPURI("Aura "+c.Tenant.Name, c.User.Email, secret)
	enc := credential.EncodeTOTPSecret(secret)
	var groups []string
	for i := 0; i < len(enc); i += 4 {
		groups = append(groups, enc[i:min(i+4, len(enc))])
	}
	return &enrolment{URI: template.URL(uri), Secret: strings.Join(groups, " "), QR: qrSVG(uri)}
}

// qrSVG draws a QR code of text as an inline SVG (no script, no data URI).
func qrSVG(text string) template.HTML {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return ""
	}
	n := code.Size
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 %d %d" role="img" aria-label="QR code for your authenticator app"><rect x="-4" y="-4" width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+8, n+8, n+8, n+8)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// The markup is built here from booleans only; nothing user-supplied.
	return template.HTML(b.String())
}

func (s handlers) accountPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, _, err := s.accountPageFor(w, r, c)
	if err != nil {
		return err
	}
	s.RenderPage(w, r, http.StatusOK, "account", p)
	return nil
}

// accountFormError shows the account page again with the error of one of
// its forms, inline: 400 for EINVALID, 429 with Retry-After when the
// throttle makes the check wait.
func (s handlers) accountFormError(w http.ResponseWriter, r *http.Request, c *web.Call, err error) error {
	p, _, perr := s.accountPageFor(w, r, c)
	if perr != nil {
		return perr
	}
	p.WithFormError(err)
	status := http.StatusBadRequest
	var ra web.RetryAfter
	if errors.As(err, &ra) {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", web.Itoa(ra.Seconds))
	}
	s.RenderPage(w, r, status, "account", p)
	return nil
}

func (s handlers) accountPassword(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if c.Imp != nil {
		return errStaffNoAccount
	}
	next := r.PostForm.Get("new_password")
	if next != r.PostForm.Get("new_password_again") {
		return s.accountFormError(w, r, c, aura.Invalid("The two new passwords differ.", aura.FieldError{Field: "new_password_again", Message: "does not match the new password"}))
	}
	// The current password is guessed here as on the sign-in page, so a
	// stolen session cannot try passwords faster than a stranger could.
	att, err := s.Throttle.Begin(r.Context(), s.GuardFor(r, web.TenantAccount(c.Tenant.ID, c.User.Email)))
	if err != nil {
		return s.accountFormError(w, r, c, err)
	}
	defer att.Release()
	err = identity.New(c.DB).ChangePassword(r.Context(), s.Hasher, c.User.ID, r.PostForm.Get("current_password"), next, c.Session.ID)
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		if pms.HasField(err, "current_password") {
			att.Fail(r.Context())
		}
		return s.accountFormError(w, r, c, err)
	}
	att.Succeed(r.Context())
	s.SetFlash(w, "ok", "Your password is changed. Your other sessions were signed out.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"account", http.StatusSeeOther)
	return nil
}

func (s handlers) twoFactorStart(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if c.Imp != nil {
		return errStaffNoAccount
	}
	if _, err := identity.New(c.DB).BeginTOTP(r.Context(), c.User.ID); err != nil {
		return err
	}
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"account#two-factor", http.StatusSeeOther)
	return nil
}

func (s handlers) twoFactorConfirm(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if c.Imp != nil {
		return errStaffNoAccount
	}
	codes, err := identity.New(c.DB).ConfirmTOTP(r.Context(), c.User.ID, r.PostForm.Get("code"))
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		return s.accountFormError(w, r, c, err)
	}
	p, d, err := s.accountPageFor(w, r, c)
	if err != nil {
		return err
	}
	// Turning on a second factor is a privilege change: a new session id.
	fresh, secret, err := identity.New(c.DB).RotateSession(r.Context(), c.Session.ID)
	if err != nil {
		return err
	}
	if err := s.SetCookie(w, web.CookieSession, web.TenantPath(c.Tenant.Slug), web.SessionCookie{T: c.Tenant.ID, S: secret}, 0); err != nil {
		return err
	}
	c.Session = fresh
	c.User.TOTPEnabled = true
	p.User.TOTPEnabled = true
	d.Enrol, d.RecoveryCodes, d.RecoveryLeft = nil, codes, len(codes)
	p.Flash = &web.Flash{Kind: "ok", Message: "Two-factor authentication is on. Keep your recovery codes somewhere safe."}
	s.RenderPage(w, r, http.StatusOK, "account", p)
	return nil
}

func (s handlers) twoFactorDisable(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if c.Imp != nil {
		return errStaffNoAccount
	}
	// The code is checked against the sign-in throttle (see accountPassword).
	att, err := s.Throttle.Begin(r.Context(), s.GuardFor(r, web.TenantAccount(c.Tenant.ID, c.User.Email)))
	if err != nil {
		return s.accountFormError(w, r, c, err)
	}
	defer att.Release()
	if err := identity.New(c.DB).DisableTOTP(r.Context(), c.User.ID, r.PostForm.Get("code")); err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		att.Fail(r.Context())
		return s.accountFormError(w, r, c, err)
	}
	att.Succeed(r.Context())
	s.SetFlash(w, "ok", "Two-factor authentication is off.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"account", http.StatusSeeOther)
	return nil
}

type sessionsData struct {
	Sessions  []sessionView
	CurrentID string
}

type sessionView struct {
	identity.Session
	Device  string
	Current bool
}

// deviceOf names a browser and system from a user agent, roughly.
func deviceOf(ua string) string {
	browser := "Browser"
	for _, b := range []struct{ needle, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go client"}} {
		if strings.Contains(ua, b.needle) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ needle, name string }{{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o.needle) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

func (s handlers) sessionsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if c.Imp != nil {
		return errStaffNoAccount
	}
	ss, err := identity.New(c.DB).Sessions(r.Context(), c.User.ID)
	if err != nil {
		return err
	}
	d := sessionsData{CurrentID: c.Session.ID}
	for _, se := range ss {
		d.Sessions = append(d.Sessions, sessionView{Session: se, Device: deviceOf(se.UserAgent), Current: se.ID == c.Session.ID})
	}
	p := s.TenantPage(w, r, c, "Sessions", "sessions")
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "sessions", p)
	return nil
}

func (s handlers) sessionRevoke(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if c.Imp != nil {
		return errStaffNoAccount
	}
	id := c.Params.ByName("id")
	if err := identity.New(c.DB).RevokeSession(r.Context(), c.User.ID, id); err != nil {
		return err
	}
	if id == c.Session.ID {
		s.ClearCookie(w, web.CookieSession, web.TenantPath(c.Tenant.Slug))
		s.SetFlash(w, "ok", "You are signed out.")
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"login", http.StatusSeeOther)
		return nil
	}
	s.SetFlash(w, "ok", "That session is signed out.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"sessions", http.StatusSeeOther)
	return nil
}

type tokensData struct {
	Tokens   []tokenView
	Scopes   []identity.PermissionRow
	CanWrite bool
	NewToken string
	NewName  string
	All      bool
	Now      time.Time
}

type tokenView struct {
	identity.APIToken
	Owner  string
	Active bool
}

func (s handlers) tokensPageData(r *http.Request, c *web.Call) (*tokensData, error) {
	ctx := r.Context()
	ts, err := identity.New(c.DB).Tokens(ctx, c.User.ID) // staff (no user id) see every user's tokens
	if err != nil {
		return nil, err
	}
	labels, err := identity.New(c.DB).UserLabels(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Cfg.Now()
	d := &tokensData{CanWrite: c.Can(identity.PermTokensWrite) && c.Imp == nil, All: c.Imp != nil, Now: now}
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenView{APIToken: t, Owner: labels[t.UserID], Active: t.Active(now)})
	}
	for _, row := range identity.PermissionTable {
		if c.Can(row.Permission) {
			d.Scopes = append(d.Scopes, row)
		}
	}
	return d, nil
}

func (s handlers) tokensPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	d, err := s.tokensPageData(r, c)
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "API tokens", "tokens")
	p.Form.Set("expires", strconv.Itoa(identity.DefaultTokenDays))
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "tokens", p)
	return nil
}

// expiryFromDays turns the expiry choice of a form ("30", "90", "365",
// "never") into an instant.
func expiryFromDays(now time.Time, v string) (time.Time, error) {
	switch v {
	case "never":
		return time.Time{}, nil
	case "7", "30", "90", "365":
		var days int
		fmt.Sscan(v, &days)
		return now.AddDate(0, 0, days), nil
	}
	return time.Time{}, aura.Invalid("Choose when the token expires.", aura.FieldError{Field: "expires", Message: "choose an expiry"})
}

func (s handlers) tokenCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if c.Imp != nil {
		return errStaffNoAccount
	}
	var scopes []identity.Permission
	for _, v := range r.PostForm["scopes"] {
		scopes = append(scopes, identity.Permission(v))
	}
	expires, err := expiryFromDays(s.Cfg.Now(), r.PostForm.Get("expires"))
	var text string
	if err == nil {
		_, text, err = identity.New(c.DB).CreateToken(r.Context(), c.User.ID, r.PostForm.Get("name"), scopes, expires)
	}
	d, derr := s.tokensPageData(r, c)
	if derr != nil {
		return derr
	}
	p := s.TenantPage(w, r, c, "API tokens", "tokens")
	p.Data = d
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.WithFormError(err)
		p.Form = r.PostForm
		s.RenderPage(w, r, http.StatusBadRequest, "tokens", p)
		return nil
	}
	d.NewToken, d.NewName = text, r.PostForm.Get("name")
	p.Form.Set("expires", strconv.Itoa(identity.DefaultTokenDays))
	s.RenderPage(w, r, http.StatusOK, "tokens", p)
	return nil
}

func (s handlers) tokenRevoke(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	t, err := identity.New(c.DB).RevokeToken(r.Context(), c.User.ID, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The token “"+t.Name+"” is revoked; it stops working at once.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"tokens", http.StatusSeeOther)
	return nil
}
