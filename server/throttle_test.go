package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

// signIn posts the sign-in form of slug with cookies and returns the answer.
func (h *harness) signIn(slug, email, password string, cookies ...*http.Cookie) (*http.Response, string) {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/" + slug + "/login", form: url.Values{"email": {email}, "password": {password}}, cookies: cookies})
}

// small is a throttle with 2 free failures per account, so tests need few
// bcrypt checks (each costs a quarter second, far more under -race).
var small = web.ThrottlePolicy{AccountFailures: 2}

// waitOut advances the clock past the wait of policy p (its Delay, 1s by
// default) after n failures of an account.
func waitOut(h *harness, p web.ThrottlePolicy, n int) {
	if n >= p.AccountFailures {
		h.clock.Advance(max(p.Delay, time.Second) << (n - p.AccountFailures))
	}
}

// TestThrottle: after the free failures of an account every attempt waits,
// 1s, 2s, 4s, … after the last failure; the right password is refused only
// while the wait runs, never for good.
func TestThrottle(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	for i := 0; i < web.DefaultThrottle.AccountFailures; i++ {
		if r, _ := h.signIn("alpha", owner.Email, "wrong password "+strings.Repeat("x", i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.StatusCode)
		}
	}
	for _, wait := range []int{1, 2, 4} {
		r, body := h.signIn("alpha", owner.Email, ownerPassword)
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != fmt.Sprint(wait) || !strings.Contains(body, "Too many failed sign-in attempts for this account") {
			t.Fatalf("the right password during a %ds wait: %d, Retry-After %q", wait, r.StatusCode, r.Header.Get("Retry-After"))
		}
		h.clock.Advance(time.Duration(wait) * time.Second)
		if r, _ := h.signIn("alpha", owner.Email, "another wrong password"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after the %ds wait a wrong password: %d, want 401 (checked)", wait, r.StatusCode)
		}
	}
	// No hard block: once the wait is over the right password signs in.
	h.clock.Advance(8 * time.Second)
	if r, body := h.signIn("alpha", owner.Email, ownerPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password after the wait: %d %s", r.StatusCode, body)
	}
	db := h.acquire("alpha")
	defer db.Release()
	rows, _ := db.AuditLog(context.Background(), audit.Filter{Action: "user.login_failed"})
	if len(rows) != 8 {
		t.Fatalf("%d failed sign-ins audited, want 8 (refused attempts are not checked)", len(rows))
	}
}

// TestThrottleCannotLockOut: however often someone else fails on an
// account, a browser the user signed in from before signs in at once; a
// device that fails on its own loses that standing.
func TestThrottleCannotLockOut(t *testing.T) {
	// Waits of a minute and more: three failures outlast a TOTP step.
	policy := web.ThrottlePolicy{AccountFailures: 2, Delay: time.Minute}
	h := newHarness(t, harnessOpts{throttle: policy})
	_, owner := h.mustTenant("alpha")
	r, _ := h.signIn("alpha", owner.Email, ownerPassword)
	device := cookieNamed(r, "aura_device")
	if r.StatusCode != http.StatusSeeOther || device == nil || device.Path != "/alpha/" {
		t.Fatalf("sign-in: %d, device cookie %v", r.StatusCode, device)
	}
	// An attacker fails again and again, waiting out each delay.
	for i := 0; i < 3; i++ {
		waitOut(h, policy, i)
		if r, _ := h.signIn("alpha", owner.Email, "guess number "+fmt.Sprint(i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	if r, _ := h.signIn("alpha", owner.Email, ownerPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a browser never signed in here: %d, want 429", r.StatusCode)
	}
	if r, body := h.signIn("alpha", owner.Email, ownerPassword, device); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the user's own browser during the attack: %d %s", r.StatusCode, body)
	}
	// The device's own failures count: after the free ones it is slowed
	// like any other browser.
	for i := 0; i < policy.AccountFailures; i++ {
		if r, _ := h.signIn("alpha", owner.Email, "typo "+fmt.Sprint(i), device); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a typo on the device: %d", r.StatusCode)
		}
	}
	if r, _ := h.signIn("alpha", owner.Email, ownerPassword, device); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a device after its own failures: %d, want 429", r.StatusCode)
	}

	t.Run("Staff", func(t *testing.T) {
		_, secret := h.mustStaff("ops@aura.example")
		h.clock.Advance(time.Minute)
		staffIn := func(password string, cookies ...*http.Cookie) *http.Response {
			r, _ := h.do(req{method: "POST", path: "/platform/login", cookies: cookies, form: url.Values{"email": {"ops@aura.example"}, "password": {password},
				"code": {credential.TOTPCode(secret, h.clock.Now())}}})
			return r
		}
		r := staffIn(ownerPassword)
		device := cookieNamed(r, "aura_device")
		if r.StatusCode != http.StatusSeeOther || device == nil || device.Path != "/platform/" {
			t.Fatalf("staff sign-in: %d, device cookie %v", r.StatusCode, device)
		}
		// Three failures: the wait before the third is a new TOTP step,
		// and the next wait (two minutes) has not run out.
		for i := 0; i < 3; i++ {
			waitOut(h, policy, i)
			if r := staffIn("guess " + fmt.Sprint(i)); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("staff guess %d: %d", i, r.StatusCode)
			}
		}
		if r := staffIn(ownerPassword); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("staff sign-in from elsewhere during the attack: %d, want 429", r.StatusCode)
		}
		if r := staffIn(ownerPassword, device); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("staff sign-in from the known browser during the attack: %d", r.StatusCode)
		}
	})
}

// TestThrottleSurvivesRestart: the counts live in the platform DB, so a
// restarted server still makes the next attempt wait.
func TestThrottleSurvivesRestart(t *testing.T) {
	h := newHarness(t, harnessOpts{throttle: small})
	_, owner := h.mustTenant("alpha")
	for i := 0; i < small.AccountFailures+3; i++ {
		waitOut(h, small, i)
		if r, _ := h.signIn("alpha", owner.Email, "wrong password "+fmt.Sprint(i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.StatusCode)
		}
	}
	h.restart()
	r, _ := h.signIn("alpha", owner.Email, ownerPassword)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "8" {
		t.Fatalf("after a restart: %d, Retry-After %q (want 429, 8: five failures, two free)", r.StatusCode, r.Header.Get("Retry-After"))
	}
}

// TestThrottleIPv6Per64: the addresses of one IPv6 /64 are one network; the
// next /64 is another. (Requests go to the handler with the client address
// set, as the listener would.)
func TestThrottleIPv6Per64(t *testing.T) {
	h := newHarness(t, harnessOpts{throttle: web.ThrottlePolicy{IPFailures: 3}})
	h.mustTenant("alpha")
	from := func(addr, email string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "https://example.test/alpha/login", strings.NewReader(url.Values{"email": {email}, "password": {"a wrong password"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.srv.ServeHTTP(w, r)
		return w
	}
	// Three failures from three addresses of one /64, on three accounts.
	for i, a := range []string{"[2001:db8:1:2::1]:40000", "[2001:db8:1:2::abcd]:40001", "[2001:db8:1:2:ffff:ffff:ffff:fffe]:40002"} {
		if w := from(a, fmt.Sprintf("user%d@alpha.example", i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d from %s: %d", i, a, w.Code)
		}
	}
	if w := from("[2001:db8:1:2:9::9]:40003", "fresh@alpha.example"); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "from your network") {
		t.Fatalf("a fourth address of the /64: %d, want 429 for the network", w.Code)
	}
	if w := from("[2001:db8:1:3::1]:40004", "fresh@alpha.example"); w.Code != http.StatusUnauthorized {
		t.Fatalf("the next /64: %d, want 401 (checked)", w.Code)
	}
	if w := from("192.0.2.7:40005", "fresh@alpha.example"); w.Code != http.StatusUnauthorized {
		t.Fatalf("an IPv4 address: %d, want 401 (checked)", w.Code)
	}
}

// TestThrottleParallelAttempts: a burst of simultaneous guesses gets no
// more checks than the free failures of the account.
func TestThrottleParallelAttempts(t *testing.T) {
	policy := web.ThrottlePolicy{AccountFailures: 3}
	h := newHarness(t, harnessOpts{throttle: policy})
	_, owner := h.mustTenant("alpha")
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := h.signIn("alpha", owner.Email, "parallel guess "+fmt.Sprint(i))
			mu.Lock()
			statuses[r.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusUnauthorized] != policy.AccountFailures || statuses[http.StatusTooManyRequests] != 20-policy.AccountFailures {
		t.Fatalf("statuses %v: want %d checked (401) and the rest refused (429)", statuses, policy.AccountFailures)
	}
}

// TestThrottleWritesOnlyOnFailure: a sign-in with nothing against it
// writes nothing to the platform DB; a failure writes, and the success
// after it clears.
func TestThrottleWritesOnlyOnFailure(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	h.signIn("alpha", owner.Email, ownerPassword) // secrets and first-use writes out of the way
	changes := func() int64 {
		var n int64
		if err := h.plat.SQL().Write.QueryRow(`SELECT total_changes()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := changes()
	if r, _ := h.signIn("alpha", owner.Email, ownerPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatal(r.StatusCode)
	}
	if after := changes(); after != before {
		t.Fatalf("a clean sign-in changed %d platform rows", after-before)
	}
	h.signIn("alpha", owner.Email, "a wrong password")
	failed := changes()
	if failed == before {
		t.Fatal("a failure wrote nothing: the throttle does not persist")
	}
	h.signIn("alpha", owner.Email, ownerPassword)
	if changes() == failed {
		t.Fatal("the success after a failure cleared nothing")
	}
	var rows int
	h.plat.SQL().Read.QueryRow(`SELECT count(*) FROM login_throttle WHERE failures > 0 AND key IS NOT NULL`).Scan(&rows)
	if rows != 1 { // the network's count stays
		t.Fatalf("%d throttle rows after the success, want 1 (the network)", rows)
	}
}

// TestInSessionChecksShareThrottle: the current password on the account
// page and the code that turns two-factor off are guessed against the same
// counts as the sign-in form, so a stolen session gains nothing.
func TestInSessionChecksShareThrottle(t *testing.T) {
	h := newHarness(t, harnessOpts{throttle: small})
	ctx := context.Background()
	_, owner := h.mustTenant("alpha")
	db := h.acquire("alpha")
	two, err := identity.New(db).CreateUser(aura.WithActor(ctx, owner.Actor()), h.hasher, identity.NewUser{Email: "two@alpha.example", Name: "Two", Role: identity.RoleManager, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := identity.New(db).BeginTOTP(ctx, two.ID)
	if _, err := identity.New(db).ConfirmTOTP(ctx, two.ID, credential.TOTPCode(secret, h.clock.Now())); err != nil {
		t.Fatal(err)
	}
	db.Release()
	h.clock.Advance(time.Minute)

	t.Run("CurrentPassword", func(t *testing.T) {
		// A session cookie alone, as a thief would have it.
		session := h.login("alpha", owner.Email, ownerPassword)
		change := func(current string) (*http.Response, string) {
			return h.do(req{method: "POST", path: "/alpha/account/password", cookies: []*http.Cookie{session},
				form: url.Values{"current_password": {current}, "new_password": {"a new and long password"}, "new_password_again": {"a new and long password"}}})
		}
		for i := 0; i < small.AccountFailures; i++ {
			if r, _ := change("guess " + fmt.Sprint(i)); r.StatusCode != http.StatusBadRequest {
				t.Fatalf("guess %d: %d", i, r.StatusCode)
			}
		}
		r, body := change(ownerPassword)
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed") {
			t.Fatalf("the right password after the free wrong ones in the session: %d", r.StatusCode)
		}
		// The same account's sign-in form waits too: one count.
		if r, _ := h.signIn("alpha", owner.Email, ownerPassword); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in after the in-session guesses: %d, want 429", r.StatusCode)
		}
	})
	t.Run("TwoFactorCode", func(t *testing.T) {
		r, _ := h.signIn("alpha", two.Email, ownerPassword)
		pending := cookieNamed(r, "aura_login")
		r, _ = h.do(req{method: "POST", path: "/alpha/login/code", cookies: []*http.Cookie{pending}, form: url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}})
		session := cookieNamed(r, "aura_session")
		if session == nil {
			t.Fatalf("two-factor sign-in: %d", r.StatusCode)
		}
		h.clock.Advance(time.Minute)
		for i := 0; i < small.AccountFailures; i++ {
			if r, _ := h.do(req{method: "POST", path: "/alpha/account/2fa/disable", cookies: []*http.Cookie{session}, form: url.Values{"code": {fmt.Sprintf("%06d", i)}}}); r.StatusCode != http.StatusBadRequest {
				t.Fatalf("code guess %d: %d", i, r.StatusCode)
			}
		}
		r, _ = h.do(req{method: "POST", path: "/alpha/account/2fa/disable", cookies: []*http.Cookie{session}, form: url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}})
		if r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("the right code after the free wrong ones in the session: %d", r.StatusCode)
		}
		if r, _ := h.signIn("alpha", two.Email, ownerPassword); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in after the in-session code guesses: %d, want 429", r.StatusCode)
		}
	})
}

// TestLoginCookieBoundToPassword: the first step of a two-factor sign-in
// does not survive a password change made before the code step.
func TestLoginCookieBoundToPassword(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, owner := h.mustTenant("alpha")
	db := h.acquire("alpha")
	secret, _ := identity.New(db).BeginTOTP(ctx, owner.ID)
	if _, err := identity.New(db).ConfirmTOTP(ctx, owner.ID, credential.TOTPCode(secret, h.clock.Now())); err != nil {
		t.Fatal(err)
	}
	db.Release()
	h.clock.Advance(time.Minute)
	r, _ := h.signIn("alpha", owner.Email, ownerPassword)
	pending := cookieNamed(r, "aura_login")
	if r.StatusCode != http.StatusOK || pending == nil {
		t.Fatalf("password step: %d", r.StatusCode)
	}
	// Elsewhere (the owner, or whoever holds their session) changes the password.
	db = h.acquire("alpha")
	err := identity.New(db).ChangePassword(ctx, h.hasher, owner.ID, ownerPassword, "the password after the change", "")
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	r, body := h.do(req{method: "POST", path: "/alpha/login/code", cookies: []*http.Cookie{pending}, form: url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}})
	if r.StatusCode != http.StatusUnauthorized || cookieNamed(r, "aura_session") != nil || !strings.Contains(body, "password of this account was changed") {
		t.Fatalf("code step after a password change: %d (want 401 and no session)", r.StatusCode)
	}
	cleared := false
	for _, c := range r.Cookies() {
		cleared = cleared || (c.Name == "aura_login" && c.MaxAge < 0)
	}
	if !cleared {
		t.Fatal("the void first step's cookie was not cleared")
	}
}
