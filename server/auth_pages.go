package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

// loginTimeout is how long the second step of a two-factor sign-in waits.
const loginTimeout = 5 * time.Minute

type loginData struct {
	Step string // "password" or "code"
	Next string
}

func (s handlers) loginPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var sc web.SessionCookie
	if s.ReadCookie(r, web.CookieSession, &sc) {
		if _, _, err := identity.New(c.DB).SessionBySecret(r.Context(), sc.S, s.Cfg.Sessions); err == nil {
			http.Redirect(w, r, web.SafeNext(c.Tenant.Slug, r.URL.Query().Get("next")), http.StatusSeeOther)
			return nil
		}
	}
	p := s.BarePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.Tenant.Slug, c.Tenant.Name
	p.Data = loginData{Step: "password", Next: r.URL.Query().Get("next")}
	s.RenderPage(w, r, http.StatusOK, "login", p)
	return nil
}

func (s handlers) loginSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	email, password, next := r.PostForm.Get("email"), r.PostForm.Get("password"), r.PostForm.Get("next")
	code := r.PostForm.Get("code")
	p := s.BarePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.Tenant.Slug, c.Tenant.Name
	p.Form.Set("email", email)
	p.Data = loginData{Step: "password", Next: next}
	if strings.TrimSpace(email) == "" || password == "" {
		p.Errors = map[string]string{}
		if strings.TrimSpace(email) == "" {
			p.Errors["email"] = "Enter your email address."
		}
		if password == "" {
			p.Errors["password"] = "Enter your password."
		}
		p.Error = "Enter your email address and password."
		s.RenderPage(w, r, http.StatusBadRequest, "login", p)
		return nil
	}
	account := web.TenantAccount(c.Tenant.ID, email)
	att, err := s.Throttle.Begin(r.Context(), s.GuardFor(r, account))
	if err != nil {
		return s.loginRefused(w, r, p, err)
	}
	defer att.Release()
	var old web.SessionCookie
	s.ReadCookie(r, web.CookieSession, &old)
	res, err := identity.New(c.DB).Login(r.Context(), s.Hasher, email, password, code, old.S, s.Cfg.Sessions)
	if err != nil {
		if c := aura.ErrorCode(err); c == aura.EUNAUTHORIZED || c == aura.EINVALID {
			att.Fail(r.Context())
		}
		return s.loginRefused(w, r, p, err)
	}
	if res.NeedCode {
		// The password was right; the code step is an attempt of its own.
		lc := web.LoginCookie{T: c.Tenant.ID, U: res.User.ID, E: strings.ToLower(strings.TrimSpace(email)), P: res.PasswordStamp, At: s.Cfg.Now().Unix()}
		if err := s.SetCookie(w, web.CookieLogin, web.TenantPath(c.Tenant.Slug)+"login", lc, int(loginTimeout/time.Second)); err != nil {
			return err
		}
		p.Data = loginData{Step: "code", Next: next}
		s.RenderPage(w, r, http.StatusOK, "login", p)
		return nil
	}
	att.Succeed(r.Context())
	s.RememberDevice(w, r, web.TenantPath(c.Tenant.Slug), account)
	return s.signedIn(w, r, c, res, next)
}

// loginRefused shows the sign-in page again with the reason, and the
// status of the error (401, 429, …).
func (s handlers) loginRefused(w http.ResponseWriter, r *http.Request, p *web.Page, err error) error {
	return s.signInRefused(w, r, p, err, "login")
}

// signInRefused shows a sign-in page (a tenant's or the staff's) again
// with the reason of a refused sign-in and the status of the error, and
// Retry-After when a throttle engaged; other errors go on up.
func (s handlers) signInRefused(w http.ResponseWriter, r *http.Request, p *web.Page, err error, page string) error {
	switch aura.ErrorCode(err) {
	case aura.EUNAUTHORIZED, aura.ETOOMANY, aura.EINVALID:
	default:
		return err
	}
	p.WithFormError(err)
	var ra web.RetryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", web.Itoa(ra.Seconds))
	}
	s.RenderPage(w, r, web.StatusOf(err), page, p)
	return nil
}

// signedIn sets the new session's cookie (scoped to the tenant) and goes on.
func (s handlers) signedIn(w http.ResponseWriter, r *http.Request, c *web.Call, res identity.LoginResult, next string) error {
	path := web.TenantPath(c.Tenant.Slug)
	if err := s.SetCookie(w, web.CookieSession, path, web.SessionCookie{T: c.Tenant.ID, S: res.Secret}, 0); err != nil {
		return err
	}
	s.ClearCookie(w, web.CookieLogin, path+"login")
	http.Redirect(w, r, web.SafeNext(c.Tenant.Slug, next), http.StatusSeeOther)
	return nil
}

func (s handlers) loginCodeSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := s.BarePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.Tenant.Slug, c.Tenant.Name
	next := r.PostForm.Get("next")
	var lc web.LoginCookie
	if !s.ReadCookie(r, web.CookieLogin, &lc) || lc.T != c.Tenant.ID || s.Cfg.Now().Sub(time.Unix(lc.At, 0)) > loginTimeout {
		s.SetFlash(w, "error", "Your sign-in took too long. Enter your email and password again.")
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"login", http.StatusSeeOther)
		return nil
	}
	p.Data = loginData{Step: "code", Next: next}
	account := web.TenantAccount(c.Tenant.ID, lc.E)
	att, err := s.Throttle.Begin(r.Context(), s.GuardFor(r, account))
	if err != nil {
		return s.loginRefused(w, r, p, err)
	}
	defer att.Release()
	var old web.SessionCookie
	s.ReadCookie(r, web.CookieSession, &old)
	res, err := identity.New(c.DB).LoginCode(r.Context(), lc.U, lc.P, r.PostForm.Get("code"), old.S, s.Cfg.Sessions)
	switch aura.ErrorCode(err) {
	case "":
	case aura.EINVALID:
		att.Fail(r.Context())
		return s.loginRefused(w, r, p, &aura.Error{Code: aura.EUNAUTHORIZED, Message: aura.ErrorMessage(err), Fields: aura.ErrorFields(err)})
	case aura.EUNAUTHORIZED:
		// The password was changed since the first step, or the user can
		// no longer sign in: the first step is void; start again.
		s.ClearCookie(w, web.CookieLogin, web.TenantPath(c.Tenant.Slug)+"login")
		p.Data = loginData{Step: "password", Next: next}
		return s.loginRefused(w, r, p, err)
	default:
		return err
	}
	att.Succeed(r.Context())
	s.RememberDevice(w, r, web.TenantPath(c.Tenant.Slug), account)
	return s.signedIn(w, r, c, res, next)
}

func (s handlers) logout(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if c.Imp != nil {
		return s.ImpersonationEndHere(w, r, c)
	}
	if err := identity.New(c.DB).Logout(r.Context(), c.Session.ID); err != nil {
		return err
	}
	s.ClearCookie(w, web.CookieSession, web.TenantPath(c.Tenant.Slug))
	s.SetFlash(w, "ok", "You are signed out.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"login", http.StatusSeeOther)
	return nil
}

func (s handlers) logoutEverywhere(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if c.Imp != nil {
		return errStaffNoAccount
	}
	n, err := identity.New(c.DB).RevokeOtherSessions(r.Context(), c.User.ID, c.Session.ID)
	if err != nil {
		return err
	}
	if err := identity.New(c.DB).Logout(r.Context(), c.Session.ID); err != nil {
		return err
	}
	s.ClearCookie(w, web.CookieSession, web.TenantPath(c.Tenant.Slug))
	s.SetFlash(w, "ok", "You are signed out here and on "+web.Plural(n, "other device", "other devices")+".")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"login", http.StatusSeeOther)
	return nil
}

var errStaffNoAccount = aura.Errorf(aura.EFORBIDDEN, "Staff impersonating a tenant have no account, sessions or API tokens of their own here.")

type inviteData struct {
	Email  string
	Role   string
	Token  string
	Broken bool
}

func (s handlers) invitePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	token := c.Params.ByName("token")
	p := s.BarePage(w, r, "Accept invitation")
	p.Slug, p.TenantName = c.Tenant.Slug, c.Tenant.Name
	u, err := identity.New(c.DB).InvitationUser(r.Context(), token)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		p.Error = aura.ErrorMessage(err)
		p.Data = inviteData{Broken: true}
		s.RenderPage(w, r, http.StatusNotFound, "invite", p)
		return nil
	} else if err != nil {
		return err
	}
	p.Form.Set("name", u.Name)
	p.Data = inviteData{Email: u.Email, Role: u.Role, Token: token}
	s.RenderPage(w, r, http.StatusOK, "invite", p)
	return nil
}

func (s handlers) inviteSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	token := c.Params.ByName("token")
	ctx := r.Context()
	p := s.BarePage(w, r, "Accept invitation")
	p.Slug, p.TenantName = c.Tenant.Slug, c.Tenant.Name
	p.Form.Set("name", r.PostForm.Get("name"))
	// Invitation tokens are unguessable; the throttle only stops a flood
	// of attempts from one network.
	att, err := s.Throttle.Begin(ctx, s.GuardFor(r, ""))
	if err != nil {
		return err
	}
	defer att.Release()
	invited, err := identity.New(c.DB).InvitationUser(ctx, token)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		att.Fail(ctx)
		p.Error = aura.ErrorMessage(err)
		p.Data = inviteData{Broken: true}
		s.RenderPage(w, r, http.StatusNotFound, "invite", p)
		return nil
	} else if err != nil {
		return err
	}
	p.Data = inviteData{Email: invited.Email, Role: invited.Role, Token: token}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password_again") {
		p.WithFormError(aura.Invalid("The two passwords differ.", aura.FieldError{Field: "password_again", Message: "does not match the password above"}))
		s.RenderPage(w, r, http.StatusBadRequest, "invite", p)
		return nil
	}
	u, err := identity.New(c.DB).AcceptInvitation(ctx, s.Hasher, token, r.PostForm.Get("name"), password)
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.WithFormError(err)
		s.RenderPage(w, r, http.StatusBadRequest, "invite", p)
		return nil
	}
	res, err := identity.New(c.DB).Login(ctx, s.Hasher, u.Email, password, "", "", s.Cfg.Sessions)
	if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "Welcome to "+c.Tenant.Name+". Your account is ready.")
	return s.signedIn(w, r, c, res, "")
}
