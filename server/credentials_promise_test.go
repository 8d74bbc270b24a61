package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant/identity"
	"golang.org/x/crypto/bcrypt"
)

// TestEveryCookieFlags: every cookie Aura sets, not only the tenant
// session, carries HttpOnly, Secure and SameSite=Lax, and every response
// that sets one carries HSTS. It walks each flow that sets a cookie: sign-in
// (aura_session, and aura_device, the browser the account signed in from),
// the password step of a two-factor sign-in (aura_login),
// staff sign-in (aura_staff), the start of an impersonation (aura_imp), a
// change that leaves a message (aura_flash) and sign-out (the cleared
// session), and fails if one of those cookies was never seen.
func TestEveryCookieFlags(t *testing.T) {
	h := newHarness(t, harnessOpts{})
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
	staffSecret := func() []byte {
		_, s, err := h.plat.CreateStaff(aura.WithActor(ctx, aura.SystemActor("test")), h.hasher, "sam@aura.example", ownerPassword)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	h.clock.Advance(time.Minute)

	seen := map[string]int{}
	check := func(flow string, r *http.Response) {
		t.Helper()
		sets := r.Header.Values("Set-Cookie")
		if len(sets) == 0 {
			t.Fatalf("%s: %d and no cookie set", flow, r.StatusCode)
		}
		if !strings.HasPrefix(r.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: no HSTS", flow)
		}
		for _, raw := range sets {
			seen[raw[:strings.IndexByte(raw, '=')]]++
			for _, want := range []string{"; HttpOnly", "; Secure", "; SameSite=Lax"} {
				if !strings.Contains(raw, want) {
					t.Errorf("%s: Set-Cookie %.60s… lacks %s", flow, raw, want[2:])
				}
			}
		}
	}

	r, _ := h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {owner.Email}, "password": {ownerPassword}}})
	check("sign-in", r)
	session := cookieNamed(r, "aura_session")

	r, _ = h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {two.Email}, "password": {ownerPassword}}})
	check("two-factor password step", r)
	pending := cookieNamed(r, "aura_login")
	if pending == nil {
		t.Fatalf("no aura_login cookie after the password step: %d", r.StatusCode)
	}
	r, _ = h.do(req{method: "POST", path: "/alpha/login/code", cookies: []*http.Cookie{pending}, form: url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}})
	check("two-factor code step", r)

	r, _ = h.do(req{method: "POST", path: "/platform/login", form: url.Values{"email": {"sam@aura.example"}, "password": {ownerPassword},
		"code": {credential.TOTPCode(staffSecret, h.clock.Now())}}})
	check("staff sign-in", r)
	staff := cookieNamed(r, "aura_staff")

	r, _ = h.do(req{method: "POST", path: "/platform/tenants/alpha/impersonate", cookies: []*http.Cookie{staff}, form: url.Values{"reason": {"Ticket 7: cookie flags"}, "minutes": {"30"}}})
	check("impersonation start", r)

	r, _ = h.do(req{method: "POST", path: "/alpha/users/" + two.ID + "/role", cookies: []*http.Cookie{session}, form: url.Values{"role": {"front_desk"}}})
	check("a change with a message", r)

	r, _ = h.do(req{method: "POST", path: "/alpha/logout", cookies: []*http.Cookie{session}})
	check("sign-out", r)

	for _, name := range []string{"aura_session", "aura_login", "aura_staff", "aura_imp", "aura_flash", "aura_device"} {
		if seen[name] == 0 {
			t.Errorf("no flow set %s: the test checked nothing for it (seen %v)", name, seen)
		}
	}
}

// TestStoredPasswordHashesCost12 reads the stored hash after every way a
// password is set — an invitation accepted over HTTP, a password changed on
// the account page, a platform staff member created — and checks that it is
// a bcrypt hash of cost 12 of the new password (through the peppered
// hasher), not a constant in the code.
func TestStoredPasswordHashesCost12(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, owner := h.mustTenant("alpha")
	stored := func(table, id string) string {
		t.Helper()
		q := `SELECT password_hash FROM ` + table + ` WHERE id = ?`
		var hash string
		var err error
		if table == "staff" {
			err = h.plat.SQL().Read.QueryRow(q, id).Scan(&hash)
		} else {
			db := h.acquire("alpha")
			err = db.SQL().Read.QueryRow(q, id).Scan(&hash)
			db.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
	checkHash := func(what, hash, password string) {
		t.Helper()
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 12 {
			t.Errorf("%s: stored bcrypt cost %d (%v), want 12", what, cost, err)
		}
		if !h.hasher.Verify(hash, password) {
			t.Errorf("%s: the stored hash does not verify the password just set", what)
		}
		if strings.Contains(hash, password) {
			t.Errorf("%s: the password is in the stored value", what)
		}
	}

	t.Run("InvitationAccepted", func(t *testing.T) {
		db := h.acquire("alpha")
		u, token, err := identity.New(db).InviteUser(aura.WithActor(ctx, owner.Actor()), identity.NewUser{Email: "nia@example.com", Name: "Nia", Role: identity.RoleFrontDesk})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		const pw = "river stone lantern"
		r, body := h.do(req{method: "POST", path: "/alpha/invite/" + token, form: url.Values{"name": {"Nia Lund"}, "password": {pw}, "password_again": {pw}}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("accepting: %d %s", r.StatusCode, body)
		}
		checkHash("invitation", stored("users", u.ID), pw)
	})
	t.Run("PasswordChanged", func(t *testing.T) {
		session := h.login("alpha", owner.Email, ownerPassword)
		before := stored("users", owner.ID)
		const pw = "marble orchard kettle"
		r, body := h.do(req{method: "POST", path: "/alpha/account/password", cookies: []*http.Cookie{session},
			form: url.Values{"current_password": {ownerPassword}, "new_password": {pw}, "new_password_again": {pw}}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("password change: %d %s", r.StatusCode, body)
		}
		after := stored("users", owner.ID)
		if after == before {
			t.Fatal("the stored hash did not change")
		}
		checkHash("password change", after, pw)
	})
	t.Run("StaffCreated", func(t *testing.T) {
		s, _, err := h.plat.CreateStaff(aura.WithActor(ctx, aura.SystemActor("test")), h.hasher, "sam@aura.example", "copper meadow signal")
		if err != nil {
			t.Fatal(err)
		}
		checkHash("staff", stored("staff", s.ID), "copper meadow signal")
	})
}
