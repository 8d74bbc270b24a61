package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
	"github.com/julienschmidt/httprouter"
)

// Access says who may call a route.
type Access int

const (
	// Public routes need no credentials (sign-in, accepting an invitation).
	Public Access = iota
	// Session routes need a tenant user's session cookie, or a staff
	// member's impersonation of this very tenant.
	Session
	// Token routes are the JSON API: Authorization: Bearer only; cookies are ignored.
	Token
	// Staff routes need a platform staff session (/platform/ only).
	Staff
)

func (a Access) String() string {
	return [...]string{"public", "session", "token", "staff"}[a]
}

// Route is one row of the route table. Method and Path (httprouter syntax)
// place it in the tenant tree (paths starting /:tenant/) or the platform
// tree (/platform/…); Access and Perm say who may call it.
type Route struct {
	Method string
	Path   string
	Access Access
	// Perm is the permission the caller needs (for a token, also its
	// scope); empty means any authenticated caller.
	Perm identity.Permission
	// AllowUnenrolled lets a user reach the route before they set up a
	// second factor the tenant requires (their account page, signing out).
	AllowUnenrolled bool
	// Isolation is what the isolation test needs to call this route for
	// another tenant: example values of its path parameters. Every tenant
	// route must have one; the test fails for a route without.
	Isolation *Isolation
	// Page names the template the route renders, checked at start-up.
	Page string
	// MaxBody is the largest request body the route reads, in bytes
	// (maxFormBytes when 0). Only uploads (ID photos) raise it.
	MaxBody int64

	Handle Handler
}

// Isolation holds example path parameters (other than :tenant) for the
// isolation test.
type Isolation struct {
	Params map[string]string
}

// Iso returns an Isolation from parameter name/value pairs.
func Iso(kv ...string) *Isolation {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &Isolation{Params: m}
}

// maxBody is the route's body limit.
func (rt Route) maxBody() int64 {
	if rt.MaxBody > 0 {
		return rt.MaxBody
	}
	return maxFormBytes
}

// InTenantTree reports whether the route lives under /{tenant}/.
func (rt Route) InTenantTree() bool { return strings.HasPrefix(rt.Path, "/:tenant/") }

// API reports whether the route is part of the JSON API.
func (rt Route) API() bool { return strings.HasPrefix(rt.Path, "/:tenant/api/") }

// ExamplePath returns the route's path for tenant slug with its Isolation
// example parameters filled in, or an error naming a parameter without an
// example.
func (rt Route) ExamplePath(slug string) (string, error) {
	if rt.Isolation == nil {
		return "", fmt.Errorf("route %s %s has no Isolation entry", rt.Method, rt.Path)
	}
	parts := strings.Split(rt.Path, "/")
	for i, p := range parts {
		switch {
		case p == ":tenant":
			parts[i] = slug
		case strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*"):
			v, ok := rt.Isolation.Params[p[1:]]
			if !ok {
				return "", fmt.Errorf("route %s %s: Isolation has no example for %s", rt.Method, rt.Path, p)
			}
			parts[i] = url.PathEscape(v)
		}
	}
	return strings.Join(parts, "/"), nil
}

// Handler is the shape of every route handler: it returns an error for
// the one error renderer instead of writing one itself.
type Handler func(w http.ResponseWriter, r *http.Request, c *Call) error

// Call is what a handler knows about its request after authentication.
type Call struct {
	route  *Route
	Params httprouter.Params

	Tenant platform.Tenant
	DB     *tenant.DB

	User    identity.User      // the signed-in user, or the API token's user
	Session identity.Session   // the user's session (Session routes)
	Token   *identity.APIToken // the API token (Token routes)

	Imp          *platform.Impersonation // set while staff impersonate this tenant
	Staff        platform.Staff          // the staff member (Staff routes, or impersonating)
	StaffSession platform.StaffSession
}

// Can reports whether the caller may do p. Staff impersonating a tenant
// act with an owner's permissions; a token with the intersection of its
// scopes and its user's role.
func (c *Call) Can(p identity.Permission) bool {
	switch {
	case c.Imp != nil:
		return identity.RoleCan(identity.RoleOwner, p)
	case c.Token != nil:
		return c.Token.Can(c.User, p)
	default:
		return c.User.Can(p)
	}
}

// actor is who the audit log records for this call.
func (c *Call) actor() aura.Actor {
	switch {
	case c.Imp != nil:
		return aura.Actor{Kind: aura.ActorStaff, ID: c.Staff.ID, Impersonation: c.Imp.ID}
	case c.Token != nil:
		return aura.Actor{Kind: aura.ActorToken, ID: c.Token.ID, Name: c.User.ID}
	case c.User.ID != "":
		return c.User.Actor()
	case c.Staff.ID != "":
		return c.Staff.Actor()
	}
	return aura.Actor{Kind: aura.ActorUser, ID: "anonymous"}
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.RouteTable }

// BuildRouters puts every route into its tree and checks the table: each
// route is in exactly one tree, tenant routes have an Isolation entry, and
// every page it names exists.
func (s *Server) BuildRouters() (err error) {
	s.tenants, s.platform = httprouter.New(), httprouter.New()
	for _, r := range []*httprouter.Router{s.tenants, s.platform} {
		r.RedirectFixedPath = false
		r.HandleMethodNotAllowed = true
		r.NotFound = http.HandlerFunc(s.notFound)
		r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.RenderError(w, r, IsAPIPath(r.URL.Path), aura.Errorf(aura.EINVALID, "%s is not allowed here.", r.Method))
		})
	}
	defer func() {
		// httprouter panics on conflicting paths; report it as an error.
		if v := recover(); v != nil {
			err = fmt.Errorf("server: route table: %v", v)
		}
	}()
	served, shadowed := s.shadowRoutes()
	for i := range s.RouteTable {
		rt := &s.RouteTable[i]
		if rt.Page != "" && !s.Pages.has(rt.Page) {
			return fmt.Errorf("server: route %s %s renders page %q, which has no template", rt.Method, rt.Path, rt.Page)
		}
		var h httprouter.Handle
		switch {
		case rt.InTenantTree():
			if rt.Isolation == nil {
				return fmt.Errorf("server: tenant route %s %s has no Isolation entry", rt.Method, rt.Path)
			}
			h = s.tenantHandle(rt)
		case strings.HasPrefix(rt.Path, "/platform/"):
			h = s.platformHandle(rt)
		default:
			return fmt.Errorf("server: route %s %s is in neither tree", rt.Method, rt.Path)
		}
		if shadowed[rt] {
			continue // served through its parameter route, below
		}
		if sh := served[rt]; len(sh) > 0 {
			h = withShadows(h, sh, s)
		}
		h = named(rt.Path, h)
		if rt.InTenantTree() {
			s.tenants.Handle(rt.Method, rt.Path, h)
		} else {
			s.platform.Handle(rt.Method, rt.Path, h)
		}
	}
	return nil
}

// named records the route pattern that serves the request, for metrics.
func named(pattern string, h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		state(r).route = pattern
		h(w, r, ps)
	}
}

// shadow is a route with a literal path segment where a route of the same
// method has a parameter (GET /:tenant/reservations/new beside GET
// /:tenant/reservations/:id). httprouter cannot hold both, so the literal
// route is served from the parameter route's node when the parameter
// equals the literal; each keeps its own row (permission, page, handler,
// isolation entry).
type shadow struct {
	param, value string
	route        *Route
}

// shadowRoutes returns, for each parameter route, the literal routes it
// serves, and the set of literal routes served that way.
func (s *Server) shadowRoutes() (map[*Route][]shadow, map[*Route]bool) {
	served, shadowed := map[*Route][]shadow{}, map[*Route]bool{}
	for i := range s.RouteTable {
		lit := &s.RouteTable[i]
		for j := range s.RouteTable {
			par := &s.RouteTable[j]
			if i == j || lit.Method != par.Method || lit.InTenantTree() != par.InTenantTree() {
				continue
			}
			if name, value, ok := literalFor(lit.Path, par.Path); ok {
				served[par] = append(served[par], shadow{param: name, value: value, route: lit})
				shadowed[lit] = true
			}
		}
	}
	return served, shadowed
}

// literalFor reports whether path lit equals path par except for one
// segment that is a literal in lit and a parameter in par, and returns the
// parameter's name and the literal.
func literalFor(lit, par string) (name, value string, ok bool) {
	a, b := strings.Split(lit, "/"), strings.Split(par, "/")
	if len(a) != len(b) {
		return "", "", false
	}
	for i := range a {
		switch {
		case a[i] == b[i]:
		case !ok && strings.HasPrefix(b[i], ":") && b[i] != ":tenant" && !strings.HasPrefix(a[i], ":") && !strings.HasPrefix(a[i], "*"):
			name, value, ok = b[i][1:], a[i], true
		default:
			return "", "", false
		}
	}
	return name, value, ok
}

// withShadows serves the literal routes sh from a parameter route's handle h.
func withShadows(h httprouter.Handle, sh []shadow, s *Server) httprouter.Handle {
	handles := make([]httprouter.Handle, len(sh))
	for i, x := range sh {
		if x.route.InTenantTree() {
			handles[i] = named(x.route.Path, s.tenantHandle(x.route))
		} else {
			handles[i] = named(x.route.Path, s.platformHandle(x.route))
		}
	}
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		for i, x := range sh {
			if ps.ByName(x.param) == x.value {
				handles[i](w, r, ps)
				return
			}
		}
		h(w, r, ps)
	}
}

// notFoundPage answers an unknown page of a tenant for a signed-in user:
// the 404 inside the tenant's top bar and menu.
var notFoundPage = &Route{Method: "GET", Access: Session, Handle: func(http.ResponseWriter, *http.Request, *Call) error { return ErrNotFound }}

// notFound answers a path no route matches. Under a tenant, with that
// tenant's session cookie, it goes through the tenant's checks like any
// page (so the 404 keeps the menu, and a foreign cookie still gets the
// unknown tenant's answer); otherwise it is the bare 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	slug, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, err := r.Cookie(CookieSession); err == nil && !IsAPIPath(r.URL.Path) && slug != "" && slug != "platform" {
		s.tenantHandle(notFoundPage)(w, r, httprouter.Params{{Key: "tenant", Value: slug}})
		return
	}
	s.RenderError(w, r, IsAPIPath(r.URL.Path), ErrNotFound)
}

// ErrNotFound is the one answer for an unknown tenant, a tenant named by
// another tenant's credentials, and an unknown page: they must look alike.
var ErrNotFound = aura.Errorf(aura.ENOTFOUND, "There is nothing at this address.")

// errSignIn asks a browser to sign in.
var errSignIn = aura.Errorf(aura.EUNAUTHORIZED, "Sign in to continue.")

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// foreign reports whether the request carries a credential that names
// another tenant than t (or a staff session without an impersonation of t).
// It only decodes cookies and parses tokens: it opens nothing.
func (s *Server) foreign(r *http.Request, t platform.Tenant, tok *credential.Token) bool {
	var sc SessionCookie
	if s.ReadCookie(r, CookieSession, &sc) && sc.T != t.ID {
		return true
	}
	var lc LoginCookie
	if s.ReadCookie(r, CookieLogin, &lc) && lc.T != t.ID {
		return true
	}
	var ic ImpCookie
	hasImp := s.ReadCookie(r, CookieImp, &ic)
	if hasImp && ic.T != t.ID {
		return true
	}
	var stc StaffCookie
	if s.ReadCookie(r, CookieStaff, &stc) && !hasImp {
		return true
	}
	return tok != nil && tok.TenantTag != credential.TenantTag(t.ID)
}

// tenantHandle wraps a tenant route: resolve the slug in the registry,
// refuse credentials of another tenant as if the tenant did not exist
// (before the tenant's file is opened), open the file, authenticate,
// enforce a required second factor and the route's permission, then run the
// handler with the caller as the context's actor.
func (s *Server) tenantHandle(rt *Route) httprouter.Handle {
	api := rt.API()
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody())
		fail := func(err error) { s.RenderError(w, r, api, err) }
		slug := ps.ByName("tenant")
		st := state(r)
		st.tenant = slug
		ctx := r.Context()
		// An API token is checked for shape and checksum first: a typo is
		// refused before anything is looked up.
		var tok *credential.Token
		if text, ok := bearer(r); ok {
			t, err := credential.ParseToken(text)
			if err != nil && api {
				fail(err)
				return
			}
			if err == nil {
				tok = &t
			}
		}
		if platform.ValidateSlug(slug) != nil {
			fail(ErrNotFound)
			return
		}
		t, err := s.Cfg.Platform.TenantBySlug(ctx, slug)
		if aura.ErrorCode(err) == aura.ENOTFOUND {
			fail(ErrNotFound)
			return
		} else if err != nil {
			fail(err)
			return
		}
		if s.foreign(r, t, tok) {
			fail(ErrNotFound)
			return
		}
		if t.Status != platform.StatusActive {
			fail(aura.Errorf(aura.EUNAVAILABLE, "This account is suspended. Contact your Aura provider."))
			return
		}
		db, err := s.Cfg.Router.Acquire(ctx, slug)
		if err != nil {
			fail(err)
			return
		}
		defer db.Release()
		c := &Call{route: rt, Params: ps, Tenant: t, DB: db}
		switch rt.Access {
		case Session:
			if err := s.authSession(w, r, c); err != nil {
				if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
					s.toSignIn(w, r, c, err)
					return
				}
				fail(err)
				return
			}
		case Token:
			if tok == nil {
				fail(aura.Errorf(aura.EUNAUTHORIZED, "This API needs an API token: send the header Authorization: Bearer aura_…"))
				return
			}
			at, u, err := s.verifyToken(ctx, db, tok)
			if err != nil {
				fail(err)
				return
			}
			c.Token, c.User = &at, u
		}
		if rt.Access == Session && c.Imp == nil && !rt.AllowUnenrolled && !c.User.TOTPEnabled {
			required, err := identity.New(db).Require2FA(ctx)
			if err != nil {
				fail(err)
				return
			}
			if required {
				s.SetFlash(w, "error", "This account requires two-factor authentication. Set it up below to continue.")
				http.Redirect(w, r, TenantPath(slug)+"account", http.StatusSeeOther)
				return
			}
		}
		if rt.Access == Session {
			// Signed in: errors from here on keep the top bar and menu.
			fail = func(err error) { s.renderErrorIn(w, r, false, s.TenantPage(w, r, c, "", ""), err) }
		}
		if rt.Perm != "" {
			if err := c.NeedPermission(rt.Perm); err != nil {
				fail(err)
				return
			}
		}
		ctx = aura.WithActor(ctx, c.actor())
		if c.Can(identity.PermGuestsRestricted) {
			// Lists and search show restricted guests (by name) only to
			// callers who may see them (tenant/stays).
			ctx = stays.WithRestricted(ctx)
		}
		r = r.WithContext(ctx)
		if err := rt.Handle(w, r, c); err != nil {
			fail(err)
		}
		if c.DB != nil {
			// Each restricted guest whose name or notes this response
			// showed is audited once (tenant/stays), even when the client
			// has already hung up: the data went out, so the read counts.
			if err := stays.New(c.DB).AuditRestrictedReads(context.WithoutCancel(ctx), rt.Method+" "+rt.Path); err != nil {
				s.Logger(r).Error("auditing restricted guest reads", "err", err)
			}
		}
	}
}

// authSession authenticates a Session route: an impersonation of this
// tenant first, else the user's session cookie. A session whose user's
// privileges changed since it began gets a new id (and cookie) now.
func (s *Server) authSession(w http.ResponseWriter, r *http.Request, c *Call) error {
	ctx := r.Context()
	path := TenantPath(c.Tenant.Slug)
	var ic ImpCookie
	if s.ReadCookie(r, CookieImp, &ic) {
		imp, staff, err := s.Cfg.Platform.ImpersonationBySecret(ctx, ic.I, ic.S, s.Cfg.StaffSessions)
		if err == nil && imp.TenantID == c.Tenant.ID {
			c.Imp, c.Staff = &imp, staff
			return nil
		}
		s.ClearCookie(w, CookieImp, path)
		if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
			s.SweepImpersonations(context.WithoutCancel(ctx))
			return errImpersonationOver
		}
		return err
	}
	var sc SessionCookie
	if !s.ReadCookie(r, CookieSession, &sc) {
		return errSignIn
	}
	se, u, err := identity.New(c.DB).SessionBySecret(ctx, sc.S, s.Cfg.Sessions)
	if err != nil {
		s.ClearCookie(w, CookieSession, path)
		return err
	}
	if se.PrivilegeVersion != u.PrivilegeVersion {
		fresh, secret, err := identity.New(c.DB).RotateSession(aura.WithActor(ctx, u.Actor()), se.ID)
		if err != nil {
			return err
		}
		if err := s.SetCookie(w, CookieSession, path, SessionCookie{T: c.Tenant.ID, S: secret}, 0); err != nil {
			return err
		}
		se = fresh
	}
	c.User, c.Session = u, se
	return nil
}

var errImpersonationOver = aura.Errorf(aura.EUNAUTHORIZED, "Your impersonation has ended (its time ran out or your staff session ended).")

// toSignIn answers an unauthenticated browser: back to the platform for an
// impersonation that ended, else to the tenant's sign-in page, remembering
// where they were going.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, c *Call, err error) {
	if errors.Is(err, errImpersonationOver) {
		s.SetFlash(w, "error", aura.ErrorMessage(err))
		http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
		return
	}
	target := TenantPath(c.Tenant.Slug) + "login"
	if r.Method == http.MethodGet && r.URL.Path != TenantPath(c.Tenant.Slug) {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if err != errSignIn {
		s.SetFlash(w, "error", aura.ErrorMessage(err))
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// platformHandle wraps a platform route: Staff routes need a valid staff
// session (its cookie is scoped to /platform/; tenant credentials are never
// looked at here).
func (s *Server) platformHandle(rt *Route) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody())
		c := &Call{route: rt, Params: ps}
		ctx := r.Context()
		if rt.Access == Staff {
			var sc StaffCookie
			if !s.ReadCookie(r, CookieStaff, &sc) {
				http.Redirect(w, r, "/platform/login", http.StatusSeeOther)
				return
			}
			se, st, err := s.Cfg.Platform.StaffSessionBySecret(ctx, sc.S, s.Cfg.StaffSessions)
			if err != nil {
				s.ClearCookie(w, CookieStaff, "/platform/")
				if aura.ErrorCode(err) != aura.EUNAUTHORIZED {
					s.RenderError(w, r, false, err)
					return
				}
				s.SetFlash(w, "error", aura.ErrorMessage(err))
				http.Redirect(w, r, "/platform/login", http.StatusSeeOther)
				return
			}
			c.Staff, c.StaffSession = st, se
			r = r.WithContext(aura.WithActor(ctx, st.Actor()))
		}
		if err := rt.Handle(w, r, c); err != nil {
			s.RenderError(w, r, false, err)
		}
	}
}

// SafeNext returns next when it is a path within the tenant, else the
// tenant's dashboard: a sign-in link cannot redirect elsewhere.
func SafeNext(slug, next string) string {
	home := TenantPath(slug)
	if strings.HasPrefix(next, home) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return home
}
