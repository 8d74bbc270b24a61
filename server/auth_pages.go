package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/identity"
)

// loginTimeout is how long the second step of a two-factor sign-in waits.
const loginTimeout = 5 * time.Minute

type loginData struct {
	Step string // "password" or "code"
	Next string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, c *call) error {
	var sc sessionCookie
	if s.readCookie(r, cookieSession, &sc) {
		if _, _, err := identity.New(c.db).SessionBySecret(r.Context(), sc.S, s.cfg.Sessions); err == nil {
			http.Redirect(w, r, safeNext(c.tenant.Slug, r.URL.Query().Get("next")), http.StatusSeeOther)
			return nil
		}
	}
	p := s.barePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.tenant.Slug, c.tenant.Name
	p.Data = loginData{Step: "password", Next: r.URL.Query().Get("next")}
	s.renderPage(w, r, http.StatusOK, "login", p)
	return nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	email, password, next := r.PostForm.Get("email"), r.PostForm.Get("password"), r.PostForm.Get("next")
	code := r.PostForm.Get("code")
	p := s.barePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.tenant.Slug, c.tenant.Name
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
		s.renderPage(w, r, http.StatusBadRequest, "login", p)
		return nil
	}
	account := tenantAccount(c.tenant.ID, email)
	att, err := s.throttle.begin(r.Context(), s.guardFor(r, account))
	if err != nil {
		return s.loginRefused(w, r, p, err)
	}
	defer att.release()
	var old sessionCookie
	s.readCookie(r, cookieSession, &old)
	res, err := identity.New(c.db).Login(r.Context(), s.hasher, email, password, code, old.S, s.cfg.Sessions)
	if err != nil {
		if c := aura.ErrorCode(err); c == aura.EUNAUTHORIZED || c == aura.EINVALID {
			att.fail(r.Context())
		}
		return s.loginRefused(w, r, p, err)
	}
	if res.NeedCode {
		// The password was right; the code step is an attempt of its own.
		lc := loginCookie{T: c.tenant.ID, U: res.User.ID, E: strings.ToLower(strings.TrimSpace(email)), P: res.PasswordStamp, At: s.cfg.Now().Unix()}
		if err := s.setCookie(w, cookieLogin, tenantPath(c.tenant.Slug)+"login", lc, int(loginTimeout/time.Second)); err != nil {
			return err
		}
		p.Data = loginData{Step: "code", Next: next}
		s.renderPage(w, r, http.StatusOK, "login", p)
		return nil
	}
	att.succeed(r.Context())
	s.rememberDevice(w, r, tenantPath(c.tenant.Slug), account)
	return s.signedIn(w, r, c, res, next)
}

// loginRefused shows the sign-in page again with the reason, and the
// status of the error (401, 429, …).
func (s *Server) loginRefused(w http.ResponseWriter, r *http.Request, p *page, err error) error {
	switch aura.ErrorCode(err) {
	case aura.EUNAUTHORIZED, aura.ETOOMANY, aura.EINVALID:
	default:
		return err
	}
	p.withFormError(err)
	var ra retryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", itoa(ra.seconds))
	}
	s.renderPage(w, r, StatusOf(err), "login", p)
	return nil
}

// signedIn sets the new session's cookie (scoped to the tenant) and goes on.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, c *call, res identity.LoginResult, next string) error {
	path := tenantPath(c.tenant.Slug)
	if err := s.setCookie(w, cookieSession, path, sessionCookie{T: c.tenant.ID, S: res.Secret}, 0); err != nil {
		return err
	}
	s.clearCookie(w, cookieLogin, path+"login")
	http.Redirect(w, r, safeNext(c.tenant.Slug, next), http.StatusSeeOther)
	return nil
}

func (s *Server) loginCodeSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	p := s.barePage(w, r, "Sign in")
	p.Slug, p.TenantName = c.tenant.Slug, c.tenant.Name
	next := r.PostForm.Get("next")
	var lc loginCookie
	if !s.readCookie(r, cookieLogin, &lc) || lc.T != c.tenant.ID || s.cfg.Now().Sub(time.Unix(lc.At, 0)) > loginTimeout {
		s.setFlash(w, "error", "Your sign-in took too long. Enter your email and password again.")
		http.Redirect(w, r, tenantPath(c.tenant.Slug)+"login", http.StatusSeeOther)
		return nil
	}
	p.Data = loginData{Step: "code", Next: next}
	account := tenantAccount(c.tenant.ID, lc.E)
	att, err := s.throttle.begin(r.Context(), s.guardFor(r, account))
	if err != nil {
		return s.loginRefused(w, r, p, err)
	}
	defer att.release()
	var old sessionCookie
	s.readCookie(r, cookieSession, &old)
	res, err := identity.New(c.db).LoginCode(r.Context(), lc.U, lc.P, r.PostForm.Get("code"), old.S, s.cfg.Sessions)
	switch aura.ErrorCode(err) {
	case "":
	case aura.EINVALID:
		att.fail(r.Context())
		return s.loginRefused(w, r, p, &aura.Error{Code: aura.EUNAUTHORIZED, Message: aura.ErrorMessage(err), Fields: aura.ErrorFields(err)})
	case aura.EUNAUTHORIZED:
		// The password was changed since the first step, or the user can
		// no longer sign in: the first step is void; start again.
		s.clearCookie(w, cookieLogin, tenantPath(c.tenant.Slug)+"login")
		p.Data = loginData{Step: "password", Next: next}
		return s.loginRefused(w, r, p, err)
	default:
		return err
	}
	att.succeed(r.Context())
	s.rememberDevice(w, r, tenantPath(c.tenant.Slug), account)
	return s.signedIn(w, r, c, res, next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.imp != nil {
		return s.impersonationEndHere(w, r, c)
	}
	if err := identity.New(c.db).Logout(r.Context(), c.session.ID); err != nil {
		return err
	}
	s.clearCookie(w, cookieSession, tenantPath(c.tenant.Slug))
	s.setFlash(w, "ok", "You are signed out.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"login", http.StatusSeeOther)
	return nil
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.imp != nil {
		return errStaffNoAccount
	}
	n, err := identity.New(c.db).RevokeOtherSessions(r.Context(), c.user.ID, c.session.ID)
	if err != nil {
		return err
	}
	if err := identity.New(c.db).Logout(r.Context(), c.session.ID); err != nil {
		return err
	}
	s.clearCookie(w, cookieSession, tenantPath(c.tenant.Slug))
	s.setFlash(w, "ok", "You are signed out here and on "+plural(n, "other device", "other devices")+".")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"login", http.StatusSeeOther)
	return nil
}

var errStaffNoAccount = aura.Errorf(aura.EFORBIDDEN, "Staff impersonating a tenant have no account, sessions or API tokens of their own here.")

type inviteData struct {
	Email  string
	Role   string
	Token  string
	Broken bool
}

func (s *Server) invitePage(w http.ResponseWriter, r *http.Request, c *call) error {
	token := c.params.ByName("token")
	p := s.barePage(w, r, "Accept invitation")
	p.Slug, p.TenantName = c.tenant.Slug, c.tenant.Name
	u, err := identity.New(c.db).InvitationUser(r.Context(), token)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		p.Error = aura.ErrorMessage(err)
		p.Data = inviteData{Broken: true}
		s.renderPage(w, r, http.StatusNotFound, "invite", p)
		return nil
	} else if err != nil {
		return err
	}
	p.Form.Set("name", u.Name)
	p.Data = inviteData{Email: u.Email, Role: u.Role, Token: token}
	s.renderPage(w, r, http.StatusOK, "invite", p)
	return nil
}

func (s *Server) inviteSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	token := c.params.ByName("token")
	ctx := r.Context()
	p := s.barePage(w, r, "Accept invitation")
	p.Slug, p.TenantName = c.tenant.Slug, c.tenant.Name
	p.Form.Set("name", r.PostForm.Get("name"))
	// Invitation tokens are unguessable; the throttle only stops a flood
	// of attempts from one network.
	att, err := s.throttle.begin(ctx, s.guardFor(r, ""))
	if err != nil {
		return err
	}
	defer att.release()
	invited, err := identity.New(c.db).InvitationUser(ctx, token)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		att.fail(ctx)
		p.Error = aura.ErrorMessage(err)
		p.Data = inviteData{Broken: true}
		s.renderPage(w, r, http.StatusNotFound, "invite", p)
		return nil
	} else if err != nil {
		return err
	}
	p.Data = inviteData{Email: invited.Email, Role: invited.Role, Token: token}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password_again") {
		p.withFormError(aura.Invalid("The two passwords differ.", aura.FieldError{Field: "password_again", Message: "does not match the password above"}))
		s.renderPage(w, r, http.StatusBadRequest, "invite", p)
		return nil
	}
	u, err := identity.New(c.db).AcceptInvitation(ctx, s.hasher, token, r.PostForm.Get("name"), password)
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.withFormError(err)
		s.renderPage(w, r, http.StatusBadRequest, "invite", p)
		return nil
	}
	res, err := identity.New(c.db).Login(ctx, s.hasher, u.Email, password, "", "", s.cfg.Sessions)
	if err != nil {
		return err
	}
	s.setFlash(w, "ok", "Welcome to "+c.tenant.Name+". Your account is ready.")
	return s.signedIn(w, r, c, res, "")
}
