package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant/identity"
)

// TestImpersonationRecorded: starting and ending an impersonation each
// leave a row in the platform's audit log naming the staff member (actor
// kind staff, their id), the target tenant (id, and slug on the platform's
// row) and the time it happened (the clock moves before each, so a wrong
// stamp shows); the target tenant's own log records the same, the other
// tenant's log nothing, and /platform/audit shows the start with the staff
// member's email.
func TestImpersonationRecorded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	alpha, _ := h.mustTenant("alpha")
	h.mustTenant("bravo")
	sam, secret, err := h.plat.CreateStaff(aura.WithActor(ctx, aura.SystemActor("test")), h.hasher, "sam@aura.example", ownerPassword)
	if err != nil {
		t.Fatal(err)
	}
	r, body := h.do(req{method: "POST", path: "/platform/login", form: url.Values{"email": {"sam@aura.example"}, "password": {ownerPassword},
		"code": {credential.TOTPCode(secret, h.clock.Now())}}})
	staff := cookieNamed(r, "aura_staff")
	if staff == nil {
		t.Fatalf("staff login: %d %s", r.StatusCode, body)
	}

	h.clock.Advance(7 * time.Minute)
	startAt := h.clock.Now().UTC().Format(audit.TimeFormat)
	imp := h.impersonate(staff, "alpha", "Ticket 99: rates look wrong")
	h.clock.Advance(3 * time.Minute)
	endAt := h.clock.Now().UTC().Format(audit.TimeFormat)
	if r, _ := h.do(req{method: "POST", path: "/alpha/impersonation/end", cookies: []*http.Cookie{imp}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end: %d", r.StatusCode)
	}

	check := func(chain string, rows []audit.Row, action, at string) audit.Row {
		t.Helper()
		if len(rows) != 1 {
			t.Fatalf("%s: %d %s rows, want 1", chain, len(rows), action)
		}
		row := rows[0]
		if row.ActorKind != aura.ActorStaff || row.ActorID != sam.ID {
			t.Errorf("%s %s: actor %s/%s, want staff/%s", chain, action, row.ActorKind, row.ActorID, sam.ID)
		}
		if row.At != at {
			t.Errorf("%s %s: at %s, want %s", chain, action, row.At, at)
		}
		wants := []string{`"tenant_id":"` + alpha.ID + `"`, `"staff_id":"` + sam.ID + `"`, "Ticket 99"}
		if chain == "platform" {
			wants = append(wants, `"tenant_slug":"alpha"`)
		}
		for _, want := range wants {
			if !strings.Contains(row.After.String, want) {
				t.Errorf("%s %s: after lacks %s: %s", chain, action, want, row.After.String)
			}
		}
		return row
	}
	for _, c := range []struct{ action, at string }{{"impersonation.started", startAt}, {"impersonation.ended", endAt}} {
		prows, err := h.plat.AuditLog(ctx, audit.Filter{Action: c.action})
		if err != nil {
			t.Fatal(err)
		}
		check("platform", prows, c.action, c.at)
		db := h.acquire("alpha")
		trows, err := db.AuditLog(ctx, audit.Filter{Action: c.action})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		check("alpha", trows, c.action, c.at)
	}
	db := h.acquire("bravo")
	brows, _ := db.AuditLog(ctx, audit.Filter{Action: "impersonation."})
	db.Release()
	if len(brows) != 0 {
		t.Fatalf("bravo's log has %d impersonation rows of an impersonation of alpha", len(brows))
	}

	r, body = h.do(req{path: "/platform/audit?action=impersonation.started", cookies: []*http.Cookie{staff}})
	if r.StatusCode != 200 || !strings.Contains(body, "impersonation.started") || !strings.Contains(body, "Aura staff sam@aura.example") || !strings.Contains(body, ">alpha<") {
		t.Fatalf("/platform/audit does not show the impersonation with the staff member and tenant: %d\n%s", r.StatusCode, body)
	}
}

// TestTenantAuditViewOwnLogOnly: /[tenant]/audit and its export show the
// tenant's own log and nothing of another tenant's, and a role without
// audit.read (front desk) cannot open either.
func TestTenantAuditViewOwnLogOnly(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, alphaOwner := h.mustTenant("alpha")
	_, bravoOwner := h.mustTenant("bravo")
	tokenIn := func(slug string, owner identity.User) string {
		db := h.acquire(slug)
		defer db.Release()
		tok, _, err := identity.New(db).CreateToken(aura.WithActor(ctx, owner.Actor()), owner.ID, slug+" integration", nil, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return tok.ID
	}
	alphaTok, bravoTok := tokenIn("alpha", alphaOwner), tokenIn("bravo", bravoOwner)
	session := h.login("alpha", alphaOwner.Email, ownerPassword)
	for _, path := range []string{"/alpha/audit", "/alpha/audit/export"} {
		r, body := h.do(exportOrPage(path, session))
		if r.StatusCode != 200 || !strings.Contains(body, alphaTok) || !strings.Contains(body, alphaOwner.ID) {
			t.Fatalf("%s: %d, alpha's own rows missing", path, r.StatusCode)
		}
		if strings.Contains(body, bravoTok) || strings.Contains(body, bravoOwner.ID) || strings.Contains(body, "bravo") {
			t.Fatalf("%s shows bravo's log", path)
		}
	}

	db := h.acquire("alpha")
	_, err := identity.New(db).CreateUser(aura.WithActor(ctx, alphaOwner.Actor()), h.hasher, identity.NewUser{Email: "desk@alpha.example", Name: "Desk", Role: identity.RoleFrontDesk, Password: ownerPassword})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	desk := h.login("alpha", "desk@alpha.example", ownerPassword)
	for _, path := range []string{"/alpha/audit", "/alpha/audit/export"} {
		r, body := h.do(exportOrPage(path, desk))
		if r.StatusCode != http.StatusForbidden || strings.Contains(body, alphaTok) {
			t.Fatalf("%s as front desk: %d, want 403 without the log", path, r.StatusCode)
		}
	}
}

// exportOrPage is a GET of an audit page, or the POST of the export form.
func exportOrPage(path string, c *http.Cookie) req {
	if strings.HasSuffix(path, "/export") {
		return req{method: "POST", path: path, form: url.Values{}, cookies: []*http.Cookie{c}}
	}
	return req{path: path, cookies: []*http.Cookie{c}}
}
