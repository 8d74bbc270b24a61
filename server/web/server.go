// Package web is Aura's HTTP core: the Server with its dispatcher over two
// route trees (tenant routes under /{tenant}/ and staff routes under
// /platform/), the Route type and the request's Call, authentication of
// sessions, tokens and staff, the middleware every response passes
// through, cookies, sign-in throttling, mail, the one error renderer, the
// html/template pages with the helpers they call (templates/ and static/
// are embedded here), and the JSON and paging helpers of the API.
//
// It holds no route: the one route table is in package server, which
// builds it with this package's Route type and hands it to the Server
// (RouteTable); the handlers are in package server and server/pms. It may
// import control, platform, the tenant packages and the leaves, never
// server or server/pms: handler packages add template functions with
// AddTemplateFuncs.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/gorilla/securecookie"
	"github.com/julienschmidt/httprouter"
	"github.com/stripe/stripe-go/v85"
)

// Config wires the server to the rest of Aura.
type Config struct {
	Platform *platform.DB
	Router   *tenant.Router
	Control  *control.Service
	Logger   *slog.Logger
	// Dev serves plain HTTP on loopback; cookies then omit Secure.
	Dev bool
	// BaseURL is the absolute address users reach the server at (for
	// invitation links in emails), e.g. https://pms.example.com.
	BaseURL string
	// Mail sends invitations; with no address set, the inviter is shown the
	// link to pass on instead.
	Mail MailConfig
	// Sessions bounds tenant sessions (default identity.DefaultSessionPolicy).
	Sessions identity.SessionPolicy
	// StaffSessions bounds staff sessions (default platform.DefaultStaffSessionPolicy).
	StaffSessions platform.SessionPolicy
	// Now is the clock of throttles and cookies (default time.Now).
	Now func() time.Time
	// Throttle slows down failed sign-ins and in-session checks of a
	// password or code (DefaultThrottle for each field left zero).
	Throttle ThrottlePolicy
	// AfterPurge runs after an ID-photo purge run on demand (a page, the
	// API, a changed retention window) removed something: cmd/aura moves
	// the zeroed pages out of the WAL, as the scheduled job does. Nil
	// leaves that to the next checkpoint.
	AfterPurge func(ctx context.Context, db *tenant.DB) error
	// Stripe is the Stripe API backend of every tenant's payments; nil is
	// Stripe's own API. Tests point it at stripe-mock.
	Stripe stripe.Backend
	// CalendarFetcher fetches imported calendars when a user asks for a
	// poll now; nil is the default fetcher, which refuses private
	// addresses (tests set one that may reach their loopback server).
	CalendarFetcher *channels.Fetcher
	// Observer, when set, is told of every request and sign-in failure
	// (package metrics implements it).
	Observer Observer
	// Ready answers /readyz: nil when the server can take traffic (the
	// master key opens the platform DB, the DB is writable, replication
	// runs), else the name of the failing check. Nil Ready: /readyz
	// checks the platform DB only.
	Ready func(ctx context.Context) (failed string, err error)
}

// Observer receives what the server counts for monitoring. Route is the
// route pattern, never the path (no slug, no id).
type Observer interface {
	Request(route, method string, status int, took time.Duration)
	LoginFailed()
	LoginThrottled()
}

// Server is the top-level HTTP handler.
type Server struct {
	Cfg        Config
	Hasher     credential.Hasher
	Cookies    *securecookie.SecureCookie
	tenants    *httprouter.Router
	platform   *httprouter.Router
	RouteTable []Route
	Pages      *pages
	Throttle   *throttle
	Devices    *securecookie.SecureCookie // device cookies (throttle.go), with their own lifetime
	Cop        *http.CrossOriginProtection
	tokens     tokenCache // API tokens verified in the last seconds (tokencache.go)
	endMu      sync.Mutex // serialises ending impersonations (two chains each)
	// Calendars serves /ical/{token}.ics, the exported calendars, outside
	// both trees: the token alone finds the tenant (set by package server).
	Calendars http.HandlerFunc
	Plans     restorePlans
}

// ServeHTTP is the top of every request: request id and logging with
// panic recovery, security headers, cross-origin protection of unsafe
// methods, then dispatch to the fixed paths, the platform tree or the
// tenant tree.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(w, r, func(w http.ResponseWriter, r *http.Request) {
		s.securityHeaders(w, r)
		s.Cop.Handler(http.HandlerFunc(s.dispatch)).ServeHTTP(w, r)
	})
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/healthz":
		state(r).route = p
		s.healthz(w, r)
	case p == "/readyz":
		state(r).route = p
		s.readyz(w, r)
	case p == "/.well-known/security.txt":
		s.securityTxt(w, r)
	case strings.HasPrefix(p, "/static/"):
		state(r).route = "/static/"
		s.static(w, r)
	case p == "/":
		state(r).route = p
		s.home(w, r)
	case strings.HasPrefix(p, "/ical/") && s.Calendars != nil:
		state(r).route = "/ical/{token}.ics"
		s.Calendars(w, r)
	case p == "/platform":
		http.Redirect(w, r, "/platform/", http.StatusMovedPermanently)
	case strings.HasPrefix(p, "/platform/"):
		s.platform.ServeHTTP(w, r)
	default:
		s.tenants.ServeHTTP(w, r)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	status, code := "ok", http.StatusOK
	if _, err := s.Cfg.Platform.DataVersion(r.Context()); err != nil {
		status, code = "platform database unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	// Liveness only: no detail for the public (open tenants and the rest
	// are on the private metrics listener).
	json.NewEncoder(w).Encode(map[string]any{"status": status})
}

// readyz answers load balancers and the unit's checks: 200 when the server
// can take traffic, 503 naming the failed check otherwise (the reason is
// logged, not shown).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	failed, err := "", error(nil)
	if s.Cfg.Ready != nil {
		failed, err = s.Cfg.Ready(r.Context())
	} else if _, err = s.Cfg.Platform.DataVersion(r.Context()); err != nil {
		failed = "platform_db"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		s.Logger(r).Warn("not ready", "check", failed, "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"status": "not ready", "failed": failed})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"status": "ready"})
}

// securityTxt serves /.well-known/security.txt (RFC 9116). Expires is a
// year ahead of the current time, so a running server never serves an
// expired file.
func (s *Server) securityTxt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=86400")
	expires := s.Cfg.Now().UTC().AddDate(1, 0, 0).Truncate(24 * time.Hour).Format(time.RFC3339)
	body := "Contact: mailto:security@aurapms.io\n" +
		"Expires: " + expires + "\n" +
		"Preferred-Languages: en\n"
	if s.Cfg.BaseURL != "" {
		body += "Canonical: " + s.Cfg.BaseURL + "/.well-known/security.txt\n"
	}
	w.Write([]byte(body))
}

// Run ends impersonations whose time box ran out or whose staff session
// ended, recording the end in the platform's and the tenant's chains, every
// interval until ctx is done. cmd/aura starts it beside the HTTP server.
func (s *Server) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.SweepImpersonations(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// restorePlans holds the restore plans staff prepared and have not yet
// confirmed or abandoned. A plan's side file is the server's, so the
// confirmation names a plan by a random id and never by a path.
type restorePlans struct {
	mu    sync.Mutex
	plans map[string]pendingPlan
}

func (rp *restorePlans) Put(ctl *control.Service, p *control.RestorePlan, staffID string, now time.Time) string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.plans == nil {
		rp.plans = map[string]pendingPlan{}
	}
	for id, old := range rp.plans {
		// One plan per tenant (they share a side file), and none past its time.
		if old.plan.Slug == p.Slug || now.After(old.expires) {
			if old.plan.Slug != p.Slug {
				ctl.DiscardRestore(old.plan)
			}
			delete(rp.plans, id)
		}
	}
	id := credential.RandomString(22)
	rp.plans[id] = pendingPlan{plan: p, staffID: staffID, expires: now.Add(planTTL)}
	return id
}

// Take removes and returns the plan id, if it exists, is the staff
// member's own and has not expired.
func (rp *restorePlans) Take(id, staffID string, now time.Time) (*control.RestorePlan, bool) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	pp, ok := rp.plans[id]
	if !ok || pp.staffID != staffID || now.After(pp.expires) {
		return nil, false
	}
	delete(rp.plans, id)
	return pp.plan, true
}

type pendingPlan struct {
	plan    *control.RestorePlan
	staffID string
	expires time.Time
}

// planTTL is how long a prepared plan waits for its confirmation.
const planTTL = 15 * time.Minute
