package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

func TestSessionCookie(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	resp, _ := h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {owner.Email}, "password": {ownerPassword}}})
	t.Run("Attributes", func(t *testing.T) {
		var raw string
		for _, v := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "aura_session=") {
				raw = v
			}
		}
		if raw == "" {
			t.Fatal("no aura_session cookie")
		}
		for _, want := range []string{"Path=/alpha/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(raw, want) {
				t.Fatalf("Set-Cookie %q lacks %s", raw, want)
			}
		}
	})
	t.Run("NewIDOnLogin", func(t *testing.T) {
		first := cookieNamed(resp, "aura_session")
		resp2, _ := h.do(req{method: "POST", path: "/alpha/login", cookies: []*http.Cookie{first}, form: url.Values{"email": {owner.Email}, "password": {ownerPassword}}})
		second := cookieNamed(resp2, "aura_session")
		if second == nil || second.Value == first.Value {
			t.Fatal("signing in again did not give a new session cookie")
		}
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{first}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the session replaced at sign-in still works: %d", r.StatusCode)
		}
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{second}}); r.StatusCode != http.StatusOK {
			t.Fatalf("the new session does not work: %d", r.StatusCode)
		}
		db := h.acquire("alpha")
		defer db.Release()
		ss, _ := identity.New(db).Sessions(context.Background(), owner.ID)
		if len(ss) != 1 {
			t.Fatalf("%d session rows, want 1", len(ss))
		}
	})
	t.Run("DevOmitsSecure", func(t *testing.T) {
		d := newHarness(t, harnessOpts{dev: true})
		_, o := d.mustTenant("devtenant")
		r, _ := d.do(req{method: "POST", path: "/devtenant/login", form: url.Values{"email": {o.Email}, "password": {ownerPassword}}})
		c := cookieNamed(r, "aura_session")
		if c == nil || c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("dev cookie = %+v", c)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	t.Run("Idle", func(t *testing.T) {
		c := h.login("alpha", owner.Email, ownerPassword)
		h.clock.Advance(59 * time.Minute)
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusOK {
			t.Fatalf("after 59 idle minutes: %d", r.StatusCode)
		}
		h.clock.Advance(61 * time.Minute)
		r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{c}})
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/alpha/login") {
			t.Fatalf("after 61 idle minutes: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		c := h.login("alpha", owner.Email, ownerPassword)
		for i := 0; i < 23; i++ { // 23 × 30 min = 11.5 h, never idle
			h.clock.Advance(30 * time.Minute)
			if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusOK {
				t.Fatalf("after %v: %d", time.Duration(i+1)*30*time.Minute, r.StatusCode)
			}
		}
		h.clock.Advance(31 * time.Minute)
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{c}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("12 hours after sign-in the session still works: %d", r.StatusCode)
		}
	})
}

func TestMistypedTokenChecksum(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	alpha, owner := h.mustTenant("alpha")
	db := h.acquire("alpha")
	_, token, err := identity.New(db).CreateToken(context.Background(), owner.ID, "integration", nil, time.Time{})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	h.router.Forget("alpha")
	before := h.opened(alpha.ID)
	typo := []byte(token)
	// One character of the secret, replaced by another valid one (a bit
	// flip could leave the alphabet and be caught as malformed instead).
	if i := len("aura_") + 20; typo[i] == 'a' {
		typo[i] = 'b'
	} else {
		typo[i] = 'a'
	}
	if typo[len("aura_")+20] == '_' {
		t.Fatal("bad test: the typo hit a separator")
	}
	r, body := h.do(req{path: "/alpha/api/v1/whoami", header: map[string]string{"Authorization": "Bearer " + string(typo)}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "checksum") {
		t.Fatalf("mistyped token: %d %s", r.StatusCode, body)
	}
	if got := h.opened(alpha.ID) - before; got != 0 {
		t.Fatalf("a mistyped token opened the tenant file %d times: it was looked up", got)
	}
	r, body = h.do(req{path: "/alpha/api/v1/whoami", header: map[string]string{"Authorization": "Bearer " + token}})
	if r.StatusCode != http.StatusOK || h.opened(alpha.ID)-before != 1 {
		t.Fatalf("the right token: %d, opens %d: %s", r.StatusCode, h.opened(alpha.ID)-before, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	r, _ := h.do(req{path: "/healthz"})
	for k, want := range map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
	} {
		if got := r.Header.Get(k); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP = %q", csp)
	}
	t.Run("NoHSTSOverHTTP", func(t *testing.T) {
		d := newHarness(t, harnessOpts{dev: true})
		if r, _ := d.do(req{path: "/healthz"}); r.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS over plain HTTP")
		}
	})
	t.Run("NoInlineScript", func(t *testing.T) {
		_, body := h.do(req{path: "/alpha/login"})
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, " onclick=") {
			t.Fatal("a page has inline script")
		}
	})
	t.Run("SecurityTxt", func(t *testing.T) {
		r, body := h.do(req{path: "/.well-known/security.txt"})
		if r.StatusCode != 200 || !strings.Contains(body, "Contact: mailto:security@aurapms.io\n") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		m := regexp.MustCompile(`(?m)^Expires: (.+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no Expires")
		}
		exp, err := time.Parse(time.RFC3339, m[1])
		if err != nil || !exp.After(time.Now().AddDate(0, 11, 0)) || exp.After(time.Now().AddDate(1, 0, 1)) {
			t.Fatalf("Expires %q: %v", m[1], err)
		}
	})
}

func TestCrossOriginPost(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	c := h.login("alpha", owner.Email, ownerPassword)
	form := url.Values{"email": {"eve@example.com"}, "role": {"front_desk"}}
	r, body := h.do(req{method: "POST", path: "/alpha/users", cookies: []*http.Cookie{c}, form: form,
		header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "cross-origin") {
		t.Fatalf("cross-origin POST: %d", r.StatusCode)
	}
	r, _ = h.do(req{method: "POST", path: "/alpha/users", cookies: []*http.Cookie{c}, form: form,
		header: map[string]string{"Origin": h.ts.URL, "Sec-Fetch-Site": "same-origin"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("same-origin POST: %d", r.StatusCode)
	}
}

func TestAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	db := h.acquire("alpha")
	_, full, _ := identity.New(db).CreateToken(context.Background(), owner.ID, "full", []identity.Permission{identity.PermUsersRead, identity.PermUsersWrite, identity.PermTokensRead, identity.PermTokensWrite}, time.Time{})
	_, narrow, _ := identity.New(db).CreateToken(context.Background(), owner.ID, "narrow", []identity.Permission{identity.PermUsersRead}, time.Time{})
	db.Release()
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	problem := func(t *testing.T, body string) web.Problem {
		t.Helper()
		var p web.Problem
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Detail == "" || p.Title == "" {
			t.Fatalf("not a problem document: %s", body)
		}
		return p
	}
	t.Run("Whoami", func(t *testing.T) {
		r, body := h.do(req{path: "/alpha/api/v1/whoami", header: bearer(narrow)})
		var got struct {
			User        struct{ Email string }
			Permissions []string
		}
		json.Unmarshal([]byte(body), &got)
		if r.StatusCode != 200 || got.User.Email != owner.Email || len(got.Permissions) != 1 || got.Permissions[0] != "users.read" {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		c := h.login("alpha", owner.Email, ownerPassword)
		r, body := h.do(req{path: "/alpha/api/v1/users", cookies: []*http.Cookie{c}})
		if r.StatusCode != 401 || r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("a session cookie on the API: %d %s", r.StatusCode, body)
		}
		problem(t, body)
	})
	t.Run("ErrScope", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/alpha/api/v1/users", header: bearer(narrow), json: `{"email":"a@b.example","role":"front_desk"}`})
		if r.StatusCode != 403 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})
	t.Run("Invite", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/alpha/api/v1/users", header: bearer(full), json: `{"email":"Nia@Example.com","name":"Nia","role":"front_desk"}`})
		if r.StatusCode != 201 || !strings.Contains(body, `"invite_url"`) || !strings.Contains(body, "nia@example.com") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		detail            string
	}{
		{"ErrMalformed", "application/json", `{"email": "a@b.example",`, 400, "not valid JSON"},
		{"ErrSyntax", "application/json", `{email: 1}`, 400, "not valid JSON"},
		{"ErrUnknownField", "application/json", `{"email":"a@b.example","role":"front_desk","admin":true}`, 400, `Unknown field "admin"`},
		{"ErrType", "application/json", `{"email":5,"role":"front_desk"}`, 400, `"email" must be a string`},
		{"ErrTrailing", "application/json", `{"email":"a@b.example","role":"front_desk"} {}`, 400, "nothing after it"},
		{"ErrEmpty", "application/json", ``, 400, "empty"},
		{"ErrContentType", "text/plain", `{"email":"a@b.example"}`, 400, "Content-Type: application/json"},
		{"ErrTooLarge", "application/json", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "limit"},
		{"ErrValidation", "application/json", `{"email":"not-an-email","role":"front_desk"}`, 400, "valid email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := bearer(full)
			hdr["Content-Type"] = tc.ctype
			r, body := h.do(req{method: "POST", path: "/alpha/api/v1/users", header: hdr, json: tc.body + " "})
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.status, body)
			}
			if p := problem(t, body); !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q lacks %q", p.Detail, tc.detail)
			}
		})
	}
	t.Run("ErrInvalidSlug", func(t *testing.T) {
		for _, p := range []string{"/Bad_Slug/login", "/ab/login", "/x--y/api/v1/whoami", "/" + strings.Repeat("a", 60) + "/"} {
			r, body := h.do(req{path: p})
			if r.StatusCode != 404 || !strings.Contains(body, "There is nothing at this address.") {
				t.Fatalf("%s: %d", p, r.StatusCode)
			}
		}
	})
	t.Run("ErrOversizedForm", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {strings.Repeat("x", 2<<20)}}})
		if r.StatusCode != 413 || !strings.Contains(body, "too large") {
			t.Fatalf("%d", r.StatusCode)
		}
	})
	t.Run("TokensAndRevoke", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/alpha/api/v1/tokens", header: bearer(full), json: `{"name":"child","scopes":["users.read"]}`})
		var created struct {
			Token  struct{ ID string }
			Secret string
		}
		json.Unmarshal([]byte(body), &created)
		if r.StatusCode != 201 || !strings.HasPrefix(created.Secret, "aura_") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if r, _ := h.do(req{method: "DELETE", path: "/alpha/api/v1/tokens/" + created.Token.ID, header: bearer(full)}); r.StatusCode != 204 {
			t.Fatalf("revoke: %d", r.StatusCode)
		}
		if r, _ := h.do(req{path: "/alpha/api/v1/whoami", header: bearer(created.Secret)}); r.StatusCode != 401 {
			t.Fatalf("a revoked token works: %d", r.StatusCode)
		}
		r, body = h.do(req{method: "POST", path: "/alpha/api/v1/tokens", header: bearer(narrow), json: `{"name":"x","scopes":["users.write"]}`})
		if r.StatusCode != 403 {
			t.Fatalf("a narrow token minted a token: %d %s", r.StatusCode, body)
		}
	})
	t.Run("UsersPaging", func(t *testing.T) {
		r, body := h.do(req{path: "/alpha/api/v1/users?limit=1", header: bearer(full)})
		var page struct {
			Data       []map[string]any
			NextCursor *string `json:"next_cursor"`
		}
		json.Unmarshal([]byte(body), &page)
		if r.StatusCode != 200 || len(page.Data) != 1 || page.NextCursor == nil {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		r, body = h.do(req{path: "/alpha/api/v1/users?limit=1&cursor=" + *page.NextCursor, header: bearer(full)})
		json.Unmarshal([]byte(body), &page)
		if r.StatusCode != 200 || len(page.Data) != 1 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if r, _ := h.do(req{path: "/alpha/api/v1/users?limit=999", header: bearer(full)}); r.StatusCode != 400 {
			t.Fatalf("limit=999: %d", r.StatusCode)
		}
	})
	t.Run("ChangeAndRemoveUser", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/alpha/api/v1/users", header: bearer(full), json: `{"email":"ole@example.com","name":"Ole","role":"front_desk"}`})
		var invited struct{ User struct{ ID string } }
		if json.Unmarshal([]byte(body), &invited); r.StatusCode != 201 || invited.User.ID == "" {
			t.Fatalf("invite: %d %s", r.StatusCode, body)
		}
		u := struct{ ID, Role, Status string }{ID: invited.User.ID}
		path := "/alpha/api/v1/users/" + u.ID
		r, body = h.do(req{method: "PATCH", path: path, header: bearer(full), json: `{"role":"manager"}`})
		if json.Unmarshal([]byte(body), &u); r.StatusCode != 200 || u.Role != "manager" {
			t.Fatalf("role change: %d %s", r.StatusCode, body)
		}
		r, body = h.do(req{method: "PATCH", path: path, header: bearer(full), json: `{"status":"disabled"}`})
		if json.Unmarshal([]byte(body), &u); r.StatusCode != 200 || u.Status != "disabled" {
			t.Fatalf("disable: %d %s", r.StatusCode, body)
		}
		db := h.acquire("alpha")
		rows, err := db.AuditLog(context.Background(), audit.Filter{Entity: u.ID})
		db.Release()
		actions := map[string]bool{}
		for _, row := range rows {
			actions[row.Action] = row.ActorKind == "token"
		}
		if err != nil || !actions["user.role_changed"] || !actions["user.disabled"] {
			t.Fatalf("audit rows of the changes (action → by the token): %v %v", actions, err)
		}
		if r, body := h.do(req{method: "DELETE", path: path, header: bearer(full)}); r.StatusCode != 204 {
			t.Fatalf("remove: %d %s", r.StatusCode, body)
		}
		// A removed user is gone from the API, whatever is asked of them.
		for _, tc := range []struct{ method, body string }{{"DELETE", ""}, {"PATCH", `{}`}, {"PATCH", `{"role":"owner"}`}} {
			if r, body := h.do(req{method: tc.method, path: path, header: bearer(full), json: tc.body}); r.StatusCode != 404 {
				t.Errorf("%s %s of a removed user: %d %s", tc.method, tc.body, r.StatusCode, body)
			}
		}
	})
}

func TestInviteByEmail(t *testing.T) {
	sink := newSMTPSink(t)
	h := newHarness(t, harnessOpts{mail: web.MailConfig{Addr: sink.addr(), From: "Aura <no-reply@aura.example>"}})
	_, owner := h.mustTenant("alpha")
	c := h.login("alpha", owner.Email, ownerPassword)
	r, body := h.do(req{method: "POST", path: "/alpha/users", cookies: []*http.Cookie{c},
		form: url.Values{"email": {"nia@example.com"}, "name": {"Nia"}, "role": {"front_desk"}, "idempotency_key": {"k1"}}})
	if r.StatusCode != 200 || !strings.Contains(body, "Invitation sent to nia@example.com") || strings.Contains(body, "/invite/") {
		t.Fatalf("%d %s", r.StatusCode, body)
	}
	var msg string
	select {
	case msg = <-sink.msgs:
	case <-time.After(10 * time.Second):
		t.Fatal("no email arrived")
	}
	link := regexp.MustCompile(`https://[^\s]+/alpha/invite/[A-Za-z0-9]+`).FindString(msg)
	if link == "" || !strings.Contains(msg, "To: nia@example.com") {
		t.Fatalf("email without an absolute link:\n%s", msg)
	}
	path := strings.TrimPrefix(link, h.ts.URL)
	if r, body := h.do(req{path: path}); r.StatusCode != 200 || !strings.Contains(body, "nia@example.com") {
		t.Fatalf("invite page: %d", r.StatusCode)
	}
	r, body = h.do(req{method: "POST", path: path, form: url.Values{"name": {"Nia Lund"}, "password": {"short"}, "password_again": {"short"}}})
	if r.StatusCode != 400 || !strings.Contains(body, "field-error") {
		t.Fatalf("a short password: %d", r.StatusCode)
	}
	r, _ = h.do(req{method: "POST", path: path, form: url.Values{"name": {"Nia Lund"}, "password": {"river stone lantern"}, "password_again": {"river stone lantern"}}})
	if r.StatusCode != http.StatusSeeOther || cookieNamed(r, "aura_session") == nil {
		t.Fatalf("accepting: %d", r.StatusCode)
	}
	if r, _ := h.do(req{path: path}); r.StatusCode != 404 {
		t.Fatalf("a used invitation link still works: %d", r.StatusCode)
	}
}

func TestTwoFactorLogin(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	ctx := context.Background()
	db := h.acquire("alpha")
	secret, _ := identity.New(db).BeginTOTP(ctx, owner.ID)
	if _, err := identity.New(db).ConfirmTOTP(ctx, owner.ID, credential.TOTPCode(secret, h.clock.Now())); err != nil {
		t.Fatal(err)
	}
	db.Release()
	h.clock.Advance(time.Minute)
	step1 := func() *http.Cookie {
		r, body := h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {owner.Email}, "password": {ownerPassword}}})
		pending := cookieNamed(r, "aura_login")
		if r.StatusCode != 200 || pending == nil || cookieNamed(r, "aura_session") != nil || !strings.Contains(body, `name="code"`) {
			t.Fatalf("password step: %d", r.StatusCode)
		}
		return pending
	}
	code := credential.TOTPCode(secret, h.clock.Now())
	r, _ := h.do(req{method: "POST", path: "/alpha/login/code", cookies: []*http.Cookie{step1()}, form: url.Values{"code": {code}}})
	if r.StatusCode != http.StatusSeeOther || cookieNamed(r, "aura_session") == nil {
		t.Fatalf("code step: %d", r.StatusCode)
	}
	r, body := h.do(req{method: "POST", path: "/alpha/login/code", cookies: []*http.Cookie{step1()}, form: url.Values{"code": {code}}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "already used") {
		t.Fatalf("a replayed code: %d", r.StatusCode)
	}
}

func TestRequire2FA(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	db := h.acquire("alpha")
	identity.New(db).SetRequire2FA(context.Background(), true)
	db.Release()
	c := h.login("alpha", owner.Email, ownerPassword)
	r, _ := h.do(req{path: "/alpha/users", cookies: []*http.Cookie{c}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/alpha/account" {
		t.Fatalf("a user without 2FA reached a page: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := h.do(req{path: "/alpha/account", cookies: []*http.Cookie{c}}); r.StatusCode != 200 {
		t.Fatalf("account page: %d", r.StatusCode)
	}
}

func TestImpersonation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	h.mustTenant("alpha")
	staff, _ := h.mustStaff("sam@aura.example")
	t.Run("ErrNoReason", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/platform/tenants/alpha/impersonate", cookies: []*http.Cookie{staff}, form: url.Values{"reason": {"x"}, "minutes": {"30"}}})
		if r.StatusCode != 400 || !strings.Contains(body, "field-error") {
			t.Fatalf("%d", r.StatusCode)
		}
	})
	imp := h.impersonate(staff, "alpha", "Ticket 42: owner locked out")
	r, body := h.do(req{path: "/alpha/", cookies: []*http.Cookie{imp}})
	if r.StatusCode != 200 || !strings.Contains(body, `class="imp-banner"`) || !strings.Contains(body, "Ticket 42: owner locked out") {
		t.Fatalf("dashboard while impersonating: %d", r.StatusCode)
	}
	// An action while impersonating carries the staff identity.
	r, _ = h.do(req{method: "POST", path: "/alpha/users", cookies: []*http.Cookie{imp}, form: url.Values{"email": {"new@example.com"}, "role": {"manager"}}})
	if r.StatusCode != 200 {
		t.Fatalf("invite while impersonating: %d", r.StatusCode)
	}
	r, _ = h.do(req{method: "POST", path: "/alpha/impersonation/end", cookies: []*http.Cookie{imp}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end: %d", r.StatusCode)
	}
	if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{imp}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/platform/tenants" {
		t.Fatalf("an ended impersonation still works: %d", r.StatusCode)
	}
	db := h.acquire("alpha")
	defer db.Release()
	rows, _ := db.AuditLog(ctx, audit.Filter{Limit: 20})
	var started, ended, invited *audit.Row
	for i := range rows {
		switch rows[i].Action {
		case "impersonation.started":
			started = &rows[i]
		case "impersonation.ended":
			ended = &rows[i]
		case "user.invited":
			invited = &rows[i]
		}
	}
	if started == nil || ended == nil || invited == nil {
		t.Fatalf("tenant chain: %+v", rows)
	}
	for _, row := range []*audit.Row{started, ended, invited} {
		if row.ActorKind != aura.ActorStaff || row.Impersonation == "" {
			t.Fatalf("%s: actor %s/%s", row.Action, row.ActorKind, row.Impersonation)
		}
	}
	if !strings.Contains(started.After.String, "Ticket 42: owner locked out") || !strings.Contains(started.After.String, "sam@aura.example") {
		t.Fatalf("tenant start row: %s", started.After.String)
	}
	prows, _ := h.plat.AuditLog(ctx, audit.Filter{Entity: started.EntityID})
	if len(prows) != 2 || prows[0].Action != "impersonation.ended" || prows[1].Action != "impersonation.started" || !strings.Contains(prows[1].After.String, "Ticket 42") {
		t.Fatalf("platform chain: %+v", prows)
	}
	if res, err := h.ctl.VerifyAudit(ctx, "alpha"); err != nil || !res.OK() {
		t.Fatalf("tenant chain: %+v %v", res.Break, err)
	}
	if res, err := h.ctl.VerifyPlatformAudit(ctx); err != nil || !res.OK() {
		t.Fatalf("platform chain: %+v %v", res.Break, err)
	}
	t.Run("Timeout", func(t *testing.T) {
		imp := h.impersonate(staff, "alpha", "Ticket 43: check a rate")
		h.clock.Advance(31 * time.Minute)
		h.srv.SweepImpersonations(ctx)
		rows, _ := db.AuditLog(ctx, audit.Filter{Action: "impersonation.ended", Limit: 1})
		if len(rows) != 1 || !strings.Contains(rows[0].After.String, `"end_reason":"expired"`) || !strings.Contains(rows[0].After.String, "Ticket 43") {
			t.Fatalf("%+v", rows)
		}
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{imp}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("an expired impersonation works: %d", r.StatusCode)
		}
	})
	t.Run("StaffNeedsImpersonation", func(t *testing.T) {
		if r, _ := h.do(req{path: "/alpha/", cookies: []*http.Cookie{staff}}); r.StatusCode != 404 {
			t.Fatalf("a staff session without impersonation on a tenant page: %d", r.StatusCode)
		}
	})
}

func TestPlatformAudit(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.mustTenant("alpha")
	h.mustTenant("bravo")
	staff, _ := h.mustStaff("sam@aura.example")
	r, body := h.do(req{path: "/platform/audit", cookies: []*http.Cookie{staff}})
	if r.StatusCode != 200 || !strings.Contains(body, ">alpha<") || !strings.Contains(body, ">bravo<") || !strings.Contains(body, ">platform<") {
		t.Fatalf("%d", r.StatusCode)
	}
	if strings.Contains(body, "owner@alpha.example") {
		t.Fatal("the platform audit page shows a tenant user's email")
	}
	r, body = h.do(req{path: "/platform/audit?source=bravo&action=user.", cookies: []*http.Cookie{staff}})
	if r.StatusCode != 200 || strings.Contains(body, ">alpha<") || !strings.Contains(body, "user.created") {
		t.Fatalf("filtered: %d", r.StatusCode)
	}
	if r, _ := h.do(req{path: "/platform/audit?from=yesterday", cookies: []*http.Cookie{staff}}); r.StatusCode != 400 {
		t.Fatalf("a bad date: %d", r.StatusCode)
	}
}

func TestTenantAuditPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	c := h.login("alpha", owner.Email, ownerPassword)
	db := h.acquire("alpha")
	for i := 0; i < 60; i++ {
		if _, _, err := identity.New(db).CreateToken(context.Background(), owner.ID, "token "+strings.Repeat("i", i%5+1), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	db.Release()
	r, body := h.do(req{path: "/alpha/audit", cookies: []*http.Cookie{c}})
	if r.StatusCode != 200 || !strings.Contains(body, "token.created") || !strings.Contains(body, "Older entries") {
		t.Fatalf("%d", r.StatusCode)
	}
	next := regexp.MustCompile(`href="(/alpha/audit\?cursor=[^"]+)"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no link to older entries")
	}
	r, body2 := h.do(req{path: strings.ReplaceAll(next[1], "&amp;", "&"), cookies: []*http.Cookie{c}})
	if r.StatusCode != 200 || !strings.Contains(body2, "tenant.created") {
		t.Fatalf("older page: %d", r.StatusCode)
	}
	exported := func() int {
		db := h.acquire("alpha")
		defer db.Release()
		rows, err := db.AuditLog(context.Background(), audit.Filter{Action: "audit.exported"})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	// The page's export is a form posting the filter, not a link.
	_, body = h.do(req{path: "/alpha/audit?action=user.", cookies: []*http.Cookie{c}})
	if !strings.Contains(body, `<form method="post" action="/alpha/audit/export"><input type="hidden" name="action" value="user.">`) {
		t.Fatal("the audit page has no export form carrying the filter")
	}
	t.Run("ExportIsPost", func(t *testing.T) {
		// A GET (an old bookmark, a prefetch) shows the page and writes nothing.
		r, body := h.do(req{path: "/alpha/audit/export?action=user.", cookies: []*http.Cookie{c}})
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Audit log") {
			t.Fatalf("GET export: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
		if n := exported(); n != 0 {
			t.Fatalf("a GET of the export wrote %d audit.exported rows", n)
		}
	})
	r, csv := h.do(req{method: "POST", path: "/alpha/audit/export", form: url.Values{"action": {"user."}}, cookies: []*http.Cookie{c}})
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "user.created") || strings.Contains(csv, "tenant.created") {
		t.Fatalf("export: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if !strings.Contains(csv, owner.Email) {
		t.Fatal("the export does not show the unsealed email")
	}
	if n := exported(); n != 1 {
		t.Fatalf("%d audit.exported rows after one export, want 1", n)
	}
}
