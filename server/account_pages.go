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

func (s *Server) accountPageFor(w http.ResponseWriter, r *http.Request, c *call) (*page, *accountData, error) {
	if c.imp != nil {
		return nil, nil, errStaffNoAccount
	}
	d := &accountData{Permissions: identity.RolePermissions(c.user.Role)}
	var err error
	if d.Required, err = identity.New(c.db).Require2FA(r.Context()); err != nil {
		return nil, nil, err
	}
	if c.user.TOTPEnabled {
		if d.RecoveryLeft, err = identity.New(c.db).RecoveryCodesLeft(r.Context(), c.user.ID); err != nil {
			return nil, nil, err
		}
	} else if secret, err := identity.New(c.db).PendingTOTP(r.Context(), c.user.ID); err == nil {
		d.Enrol = s.enrolmentFor(c, secret)
	}
	p := s.tenantPage(w, r, c, "Account & security", "account")
	p.Data = d
	return p, d, nil
}

func (s *Server) enrolmentFor(c *call, secret []byte) *enrolment {
	uri := credential.TOTPURI("Aura "+c.tenant.Name, c.user.Email, secret)
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

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p, _, err := s.accountPageFor(w, r, c)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "account", p)
	return nil
}

// accountFormError shows the account page again with the error of one of
// its forms, inline: 400 for EINVALID, 429 with Retry-After when the
// throttle makes the check wait.
func (s *Server) accountFormError(w http.ResponseWriter, r *http.Request, c *call, err error) error {
	p, _, perr := s.accountPageFor(w, r, c)
	if perr != nil {
		return perr
	}
	p.withFormError(err)
	status := http.StatusBadRequest
	var ra retryAfter
	if errors.As(err, &ra) {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", itoa(ra.seconds))
	}
	s.renderPage(w, r, status, "account", p)
	return nil
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if c.imp != nil {
		return errStaffNoAccount
	}
	next := r.PostForm.Get("new_password")
	if next != r.PostForm.Get("new_password_again") {
		return s.accountFormError(w, r, c, aura.Invalid("The two new passwords differ.", aura.FieldError{Field: "new_password_again", Message: "does not match the new password"}))
	}
	// The current password is guessed here as on the sign-in page, so a
	// stolen session cannot try passwords faster than a stranger could.
	att, err := s.throttle.begin(r.Context(), s.guardFor(r, tenantAccount(c.tenant.ID, c.user.Email)))
	if err != nil {
		return s.accountFormError(w, r, c, err)
	}
	defer att.release()
	err = identity.New(c.db).ChangePassword(r.Context(), s.hasher, c.user.ID, r.PostForm.Get("current_password"), next, c.session.ID)
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		if hasField(err, "current_password") {
			att.fail(r.Context())
		}
		return s.accountFormError(w, r, c, err)
	}
	att.succeed(r.Context())
	s.setFlash(w, "ok", "Your password is changed. Your other sessions were signed out.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"account", http.StatusSeeOther)
	return nil
}

func (s *Server) twoFactorStart(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.imp != nil {
		return errStaffNoAccount
	}
	if _, err := identity.New(c.db).BeginTOTP(r.Context(), c.user.ID); err != nil {
		return err
	}
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"account#two-factor", http.StatusSeeOther)
	return nil
}

func (s *Server) twoFactorConfirm(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if c.imp != nil {
		return errStaffNoAccount
	}
	codes, err := identity.New(c.db).ConfirmTOTP(r.Context(), c.user.ID, r.PostForm.Get("code"))
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
	fresh, secret, err := identity.New(c.db).RotateSession(r.Context(), c.session.ID)
	if err != nil {
		return err
	}
	if err := s.setCookie(w, cookieSession, tenantPath(c.tenant.Slug), sessionCookie{T: c.tenant.ID, S: secret}, 0); err != nil {
		return err
	}
	c.session = fresh
	c.user.TOTPEnabled = true
	p.User.TOTPEnabled = true
	d.Enrol, d.RecoveryCodes, d.RecoveryLeft = nil, codes, len(codes)
	p.Flash = &flash{Kind: "ok", Message: "Two-factor authentication is on. Keep your recovery codes somewhere safe."}
	s.renderPage(w, r, http.StatusOK, "account", p)
	return nil
}

func (s *Server) twoFactorDisable(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if c.imp != nil {
		return errStaffNoAccount
	}
	// The code is checked against the sign-in throttle (see accountPassword).
	att, err := s.throttle.begin(r.Context(), s.guardFor(r, tenantAccount(c.tenant.ID, c.user.Email)))
	if err != nil {
		return s.accountFormError(w, r, c, err)
	}
	defer att.release()
	if err := identity.New(c.db).DisableTOTP(r.Context(), c.user.ID, r.PostForm.Get("code")); err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		att.fail(r.Context())
		return s.accountFormError(w, r, c, err)
	}
	att.succeed(r.Context())
	s.setFlash(w, "ok", "Two-factor authentication is off.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"account", http.StatusSeeOther)
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

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.imp != nil {
		return errStaffNoAccount
	}
	ss, err := identity.New(c.db).Sessions(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	d := sessionsData{CurrentID: c.session.ID}
	for _, se := range ss {
		d.Sessions = append(d.Sessions, sessionView{Session: se, Device: deviceOf(se.UserAgent), Current: se.ID == c.session.ID})
	}
	p := s.tenantPage(w, r, c, "Sessions", "sessions")
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "sessions", p)
	return nil
}

func (s *Server) sessionRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.imp != nil {
		return errStaffNoAccount
	}
	id := c.params.ByName("id")
	if err := identity.New(c.db).RevokeSession(r.Context(), c.user.ID, id); err != nil {
		return err
	}
	if id == c.session.ID {
		s.clearCookie(w, cookieSession, tenantPath(c.tenant.Slug))
		s.setFlash(w, "ok", "You are signed out.")
		http.Redirect(w, r, tenantPath(c.tenant.Slug)+"login", http.StatusSeeOther)
		return nil
	}
	s.setFlash(w, "ok", "That session is signed out.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"sessions", http.StatusSeeOther)
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

func (s *Server) tokensPageData(r *http.Request, c *call) (*tokensData, error) {
	ctx := r.Context()
	ts, err := identity.New(c.db).Tokens(ctx, c.user.ID) // staff (no user id) see every user's tokens
	if err != nil {
		return nil, err
	}
	labels, err := identity.New(c.db).UserLabels(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	d := &tokensData{CanWrite: c.can(identity.PermTokensWrite) && c.imp == nil, All: c.imp != nil, Now: now}
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenView{APIToken: t, Owner: labels[t.UserID], Active: t.Active(now)})
	}
	for _, row := range identity.PermissionTable {
		if c.can(row.Permission) {
			d.Scopes = append(d.Scopes, row)
		}
	}
	return d, nil
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.tokensPageData(r, c)
	if err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "API tokens", "tokens")
	p.Form.Set("expires", strconv.Itoa(identity.DefaultTokenDays))
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "tokens", p)
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

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if c.imp != nil {
		return errStaffNoAccount
	}
	var scopes []identity.Permission
	for _, v := range r.PostForm["scopes"] {
		scopes = append(scopes, identity.Permission(v))
	}
	expires, err := expiryFromDays(s.cfg.Now(), r.PostForm.Get("expires"))
	var text string
	if err == nil {
		_, text, err = identity.New(c.db).CreateToken(r.Context(), c.user.ID, r.PostForm.Get("name"), scopes, expires)
	}
	d, derr := s.tokensPageData(r, c)
	if derr != nil {
		return derr
	}
	p := s.tenantPage(w, r, c, "API tokens", "tokens")
	p.Data = d
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.withFormError(err)
		p.Form = r.PostForm
		s.renderPage(w, r, http.StatusBadRequest, "tokens", p)
		return nil
	}
	d.NewToken, d.NewName = text, r.PostForm.Get("name")
	p.Form.Set("expires", strconv.Itoa(identity.DefaultTokenDays))
	s.renderPage(w, r, http.StatusOK, "tokens", p)
	return nil
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := identity.New(c.db).RevokeToken(r.Context(), c.user.ID, c.params.ByName("id"))
	if err != nil {
		return err
	}
	s.setFlash(w, "ok", "The token “"+t.Name+"” is revoked; it stops working at once.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"tokens", http.StatusSeeOther)
	return nil
}
