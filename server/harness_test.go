package server_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/server"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/stripe/stripe-go/v85"
)

// clock is the settable clock shared by the platform DB, the tenant router
// and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const ownerPassword = "tangerine ladder violet"

// harness is a real server (HTTPS via httptest) over a real data
// directory: platform DB, tenant files, router with an open counter.
type harness struct {
	t      testing.TB
	plat   *platform.DB
	router *tenant.Router
	ctl    *control.Service
	srv    *web.Server
	ts     *httptest.Server
	clock  *clock
	hasher credential.Hasher
	cfg    web.Config
	dev    bool

	mu    sync.Mutex
	opens map[string]int // tenant id → files opened
}

type harnessOpts struct {
	mail      web.MailConfig
	dev       bool // plain HTTP, as with --dev
	replicate bool // replicate tenant files to an encrypted replica in a temp dir, as aura serve does
	// syncInterval is replication's sync interval (default 100ms, so tests
	// need not wait; aura serve's default is 1s).
	syncInterval time.Duration
	// throttle is the sign-in throttle (zero fields: the defaults).
	throttle web.ThrottlePolicy
	// logs receives the server's and the router's logs at debug level
	// (nil: discarded).
	logs io.Writer
	// stripe is the Stripe backend (stripe-mock); nil is offlineStripe, so
	// no test reaches Stripe's own API.
	stripe stripe.Backend
}

func newHarness(t testing.TB, opts harnessOpts) *harness {
	t.Helper()
	ctx := context.Background()
	dir, keyDir := t.TempDir(), t.TempDir()
	master, err := keys.NewMasterKey(keys.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.GenerateSigningKeyFile(filepath.Join(keyDir, "sign.key")); err != nil {
		t.Fatal(err)
	}
	signer, err := keys.LoadSigningKey(filepath.Join(keyDir, "sign.key"), dir)
	if err != nil {
		t.Fatal(err)
	}
	// The clock starts at the wall clock, as CI runs at any hour;
	// AURA_TEST_NOW (RFC 3339) starts it at a chosen instant instead, to
	// run tests at the hours where business dates roll (e.g.
	// AURA_TEST_NOW=2026-12-07T01:45:00Z go test ./server -run Report).
	// Tests that sign Stripe webhooks with the wall clock need it near now.
	start := time.Now().UTC().Truncate(time.Second)
	if v := os.Getenv("AURA_TEST_NOW"); v != "" {
		if start, err = time.Parse(time.RFC3339, v); err != nil {
			t.Fatalf("AURA_TEST_NOW: %v", err)
		}
	}
	h := &harness{t: t, clock: &clock{t: start}, opens: map[string]int{}}
	if h.plat, err = platform.Open(ctx, filepath.Join(dir, "platform.db"), master); err != nil {
		t.Fatal(err)
	}
	h.plat.SetClock(h.clock.Now)
	tenants := filepath.Join(dir, "tenants")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.logs != nil {
		logger = slog.New(slog.NewTextHandler(opts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var rep *replica.Replicator
	if opts.syncInterval == 0 {
		opts.syncInterval = 100 * time.Millisecond
	}
	if opts.replicate {
		// On-site to dir/replica; two named off-site targets, "main" (the
		// default) and "ch", for data residency.
		onSite := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(dir, "replica")}
		targets := map[string]replica.Destination{"main": {Type: replica.TypeFile, Path: filepath.Join(dir, "replica-main")}, "ch": {Type: replica.TypeFile, Path: filepath.Join(dir, "replica-ch")}}
		if rep, err = replica.New(replica.Config{Destination: onSite, Targets: targets, DefaultTarget: "main",
			SyncInterval: opts.syncInterval, Logger: logger}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rep.Close(context.Background()) })
	}
	h.router = tenant.NewRouter(tenant.Config{Dir: tenants, Directory: control.Directory{Platform: h.plat}, Now: h.clock.Now, Logger: logger,
		OnOpen: func(ctx context.Context, db *tenant.DB) error {
			h.mu.Lock()
			h.opens[db.ID]++
			h.mu.Unlock()
			if rep != nil {
				if err := rep.Register(ctx, db.Path, control.TenantReplicaPrefix(db.ID), db.DerivedKey("replica")); err != nil {
					return err
				}
				db.SQL().AfterCommit(rep.Committed(db.Path)) // as aura serve does
			}
			return nil
		},
		OnClose: func(db *tenant.DB) {
			if rep != nil {
				rep.Unregister(context.Background(), db.Path)
			}
		}})
	if opts.stripe == nil {
		opts.stripe = offlineStripe(t)
	}
	h.ctl = &control.Service{Platform: h.plat, Router: h.router, Signer: signer, TenantsDir: tenants, Logger: logger, Replicator: rep}
	h.cfg = web.Config{Platform: h.plat, Router: h.router, Control: h.ctl, Logger: logger, Now: h.clock.Now,
		Mail: opts.mail, Dev: opts.dev, Throttle: opts.throttle, Stripe: opts.stripe}
	h.dev = opts.dev
	h.start()
	pepper, _ := h.plat.Secret(ctx, platform.SecretPasswordPepper)
	h.hasher, _ = credential.NewHasher(pepper)
	t.Cleanup(func() {
		h.ts.Close()
		h.router.Close()
		h.plat.Close()
	})
	return h
}

// start builds the server and its test listener.
func (h *harness) start() {
	h.t.Helper()
	var err error
	if h.srv, err = server.New(h.cfg); err != nil {
		h.t.Fatal(err)
	}
	if h.dev {
		h.ts = httptest.NewServer(h.srv)
	} else {
		h.ts = httptest.NewTLSServer(h.srv)
	}
}

// restart replaces the server with a new one over the same data, as a
// process restart does: nothing held in the old server's memory survives.
func (h *harness) restart() {
	h.t.Helper()
	h.ts.Close()
	h.start()
}

// opened returns how many times the tenant's file was opened.
func (h *harness) opened(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.opens[id]
}

// mustTenant creates a tenant with an owner (email owner@SLUG.example).
func (h *harness) mustTenant(slug string) (platform.Tenant, identity.User) {
	h.t.Helper()
	ctx := context.Background()
	t, err := h.ctl.CreateTenant(ctx, slug, strings.ToUpper(slug[:1])+slug[1:]+" Rooms")
	if err != nil {
		h.t.Fatal(err)
	}
	db := h.acquire(slug)
	defer db.Release()
	u, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "owner@" + slug + ".example", Name: "Owner of " + slug, Role: identity.RoleOwner, Password: ownerPassword})
	if err != nil {
		h.t.Fatal(err)
	}
	return t, u
}

func (h *harness) acquire(slug string) *tenant.DB {
	h.t.Helper()
	db, err := h.router.Acquire(context.Background(), slug)
	if err != nil {
		h.t.Fatal(err)
	}
	return db
}

// req is one request to the test server.
type req struct {
	method  string
	path    string
	form    url.Values
	json    string
	cookies []*http.Cookie
	header  map[string]string
	// raw is a body sent as is, with contentType (a multipart upload).
	raw         []byte
	contentType string
}

// do sends r without following redirects and returns the response with its body read.
func (h *harness) do(r req) (*http.Response, string) {
	h.t.Helper()
	var body io.Reader
	switch {
	case r.form != nil:
		body = strings.NewReader(r.form.Encode())
	case r.json != "":
		body = strings.NewReader(r.json)
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	}
	if r.method == "" {
		r.method = "GET"
	}
	hr, err := http.NewRequest(r.method, h.ts.URL+r.path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.json != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	client := *h.ts.Client() // a copy: do may run in many goroutines at once
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hr)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if bytes.Contains(b, []byte("ZgotmplZ")) {
		// html/template's mark of a value it refused in a URL or CSS: a
		// broken link or style on the page, whatever the test checks.
		h.t.Errorf("%s %s: the page holds ZgotmplZ (a value html/template refused)", r.method, r.path)
	}
	return resp, string(b)
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.MaxAge >= 0 && c.Value != "" {
			return c
		}
	}
	return nil
}

// login signs in through the real sign-in form and returns the session cookie.
func (h *harness) login(slug, email, password string) *http.Cookie {
	h.t.Helper()
	resp, body := h.do(req{method: "POST", path: "/" + slug + "/login", form: url.Values{"email": {email}, "password": {password}}})
	c := cookieNamed(resp, "aura_session")
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		h.t.Fatalf("login to %s: status %d, body %s", slug, resp.StatusCode, body)
	}
	return c
}

// mustStaff creates a staff member and signs them in through /platform/login.
func (h *harness) mustStaff(email string) (*http.Cookie, []byte) {
	h.t.Helper()
	ctx := aura.WithActor(context.Background(), aura.SystemActor("test"))
	_, secret, err := h.plat.CreateStaff(ctx, h.hasher, email, ownerPassword)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, body := h.do(req{method: "POST", path: "/platform/login", form: url.Values{"email": {email}, "password": {ownerPassword},
		"code": {credential.TOTPCode(secret, h.clock.Now())}}})
	c := cookieNamed(resp, "aura_staff")
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		h.t.Fatalf("staff login: %d %s", resp.StatusCode, body)
	}
	return c, secret
}

// impersonate starts an impersonation of slug through the platform form.
func (h *harness) impersonate(staff *http.Cookie, slug, reason string) *http.Cookie {
	h.t.Helper()
	resp, body := h.do(req{method: "POST", path: "/platform/tenants/" + slug + "/impersonate", cookies: []*http.Cookie{staff},
		form: url.Values{"reason": {reason}, "minutes": {"30"}}})
	c := cookieNamed(resp, "aura_imp")
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		h.t.Fatalf("impersonate %s: %d %s", slug, resp.StatusCode, body)
	}
	return c
}

// smtpSink is a minimal SMTP server on loopback that keeps every message.
type smtpSink struct {
	ln   net.Listener
	msgs chan string
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, msgs: make(chan string, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpSink) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	say := func(line string) { io.WriteString(conn, line+"\r\n") }
	say("220 sink.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-sink.test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.msgs <- msg.String()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (s *smtpSink) addr() string { return s.ln.Addr().String() }

// offlineStripe is a Stripe backend for tests that do not use Stripe: a
// local server that refuses every call as Stripe refuses a bad request, so
// a tenant that sets up Stripe keys in a sweep never reaches the network.
func offlineStripe(t testing.TB) stripe.Backend {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "This test server is not Stripe."}}`)
	}))
	t.Cleanup(srv.Close)
	return stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(srv.URL), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
}
