package web

import (
	"net/http"
)

// Cookie names. Each is scoped by Path: tenant cookies to /{slug}/, the
// staff cookie to /platform/, so a browser never sends one tree's
// credentials to the other.
const (
	CookieSession = "aura_session" // a tenant session: {tenant id, session secret}
	CookieLogin   = "aura_login"   // a sign-in waiting for its second factor: {tenant id, user id, email, password stamp, time}
	CookieImp     = "aura_imp"     // an impersonation: {tenant id, impersonation id, secret}
	CookieStaff   = "aura_staff"   // a staff session: {secret}
	cookieFlash   = "aura_flash"   // a one-time message for the next page
	cookieDevice  = "aura_device"  // a browser that signed in before: {device id, account fingerprints}; see throttle.go
)

type SessionCookie struct {
	T string `json:"t"` // tenant id
	S string `json:"s"` // session secret
}

// LoginCookie is the first step of a two-factor sign-in: the password was
// right. P binds it to the password hash it was checked against (the
// stamp tenant.Login returned), so a password changed before the code step
// ends it; E is the email as typed, the throttle's account key.
type LoginCookie struct {
	T  string `json:"t"`
	U  string `json:"u"`
	E  string `json:"e"`
	P  string `json:"p"`
	At int64  `json:"at"`
}

type ImpCookie struct {
	T string `json:"t"`
	I string `json:"i"`
	S string `json:"s"`
}

type StaffCookie struct {
	S string `json:"s"`
}

type Flash struct {
	Kind    string `json:"k"` // "ok" or "error"
	Message string `json:"m"`
}

// SetCookie writes an encrypted, authenticated cookie (gorilla/securecookie)
// with HttpOnly, SameSite=Lax and, except in --dev on loopback, Secure.
// maxAge 0 makes a browser-session cookie.
func (s *Server) SetCookie(w http.ResponseWriter, name, path string, v any, maxAge int) error {
	enc, err := s.Cookies.Encode(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: enc, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: !s.Cfg.Dev, SameSite: http.SameSiteLaxMode})
	return nil
}

// ReadCookie decodes the named cookie into dst; it reports false when the
// cookie is absent, forged, tampered with or too old.
func (s *Server) ReadCookie(r *http.Request, name string, dst any) bool {
	c, err := r.Cookie(name)
	if err != nil {
		return false
	}
	return s.Cookies.Decode(name, c.Value, dst) == nil
}

func (s *Server) ClearCookie(w http.ResponseWriter, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: !s.Cfg.Dev, SameSite: http.SameSiteLaxMode})
}

// SetFlash leaves a message for the next page the browser shows.
func (s *Server) SetFlash(w http.ResponseWriter, kind, msg string) {
	s.SetCookie(w, cookieFlash, "/", Flash{Kind: kind, Message: msg}, 60)
}

// takeFlash reads and clears the pending message, if any.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *Flash {
	var f Flash
	if !s.ReadCookie(r, cookieFlash, &f) {
		return nil
	}
	s.ClearCookie(w, cookieFlash, "/")
	return &f
}

func TenantPath(slug string) string { return "/" + slug + "/" }
