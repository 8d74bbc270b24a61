package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

// TestIsolation walks the route table: for every tenant route, a request
// to tenant bravo made with alpha's session, with alpha's API token, with a
// staff session that is not impersonating bravo (alone, and with an
// impersonation of alpha) gets 404 — the answer for a tenant that does not
// exist — and bravo's file is never opened. A tenant route without an
// Isolation entry fails this test.
func TestIsolation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, owner := h.mustTenant("alpha")
	bravo, _ := h.mustTenant("bravo")
	session := h.login("alpha", owner.Email, ownerPassword)
	db := h.acquire("alpha")
	_, token, err := identity.New(db).CreateToken(ctx, owner.ID, "isolation", []identity.Permission{identity.PermUsersRead, identity.PermUsersWrite, identity.PermTokensRead, identity.PermTokensWrite}, time.Time{})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	staff, _ := h.mustStaff("sam@aura.example")
	imp := h.impersonate(staff, "alpha", "Ticket 1: isolation test")

	// The credentials work where they belong, so a 404 below means refusal.
	if resp, _ := h.do(req{path: "/alpha/users", cookies: []*http.Cookie{session}}); resp.StatusCode != 200 {
		t.Fatalf("alpha's session on alpha: %d", resp.StatusCode)
	}
	if resp, _ := h.do(req{path: "/alpha/api/v1/users", header: map[string]string{"Authorization": "Bearer " + token}}); resp.StatusCode != 200 {
		t.Fatalf("alpha's token on alpha: %d", resp.StatusCode)
	}
	if resp, _ := h.do(req{path: "/alpha/users", cookies: []*http.Cookie{imp}}); resp.StatusCode != 200 {
		t.Fatalf("staff impersonating alpha on alpha: %d", resp.StatusCode)
	}

	h.router.Forget("bravo")
	before := h.opened(bravo.ID)
	creds := []struct {
		name    string
		cookies []*http.Cookie
		header  map[string]string
	}{
		{"AlphaSession", []*http.Cookie{session}, nil},
		{"AlphaToken", nil, map[string]string{"Authorization": "Bearer " + token}},
		{"StaffSession", []*http.Cookie{staff}, nil},
		{"StaffImpersonatingAlpha", []*http.Cookie{staff, imp}, nil},
	}
	checked := 0
	for _, rt := range h.srv.Routes() {
		if !rt.InTenantTree() {
			continue
		}
		path, err := rt.ExamplePath("bravo")
		if err != nil {
			t.Errorf("%v: add an Isolation entry to the route table", err)
			continue
		}
		for _, c := range creds {
			r := req{method: rt.Method, path: path, cookies: c.cookies, header: c.header}
			if rt.Method != "GET" {
				if rt.API() {
					r.json = `{}`
				} else {
					r.form = url.Values{"x": {"1"}}
				}
			}
			resp, body := h.do(r)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s with %s: status %d, want 404 (%.200s)", rt.Method, path, c.name, resp.StatusCode, body)
			}
			checked++
		}
	}
	if got := h.opened(bravo.ID) - before; got != 0 {
		t.Fatalf("bravo's file was opened %d times", got)
	}
	if checked < 4*30 {
		t.Fatalf("only %d requests checked; the route table looks short", checked)
	}

	// The 404 for another tenant's credentials is the 404 of a tenant
	// that does not exist.
	_, foreign := h.do(req{path: "/bravo/users", cookies: []*http.Cookie{session}})
	_, missing := h.do(req{path: "/nosuchtenant/users"})
	if strip(foreign) != strip(missing) {
		t.Fatalf("a foreign tenant's 404 differs from a missing tenant's:\n%s\n---\n%s", foreign, missing)
	}

	// Tenant credentials never work on /platform.
	for _, rt := range h.srv.Routes() {
		if rt.InTenantTree() || rt.Access != web.Staff {
			continue
		}
		path := strings.ReplaceAll(strings.ReplaceAll(rt.Path, ":slug", "alpha"), ":id", "imp_aaaaaaaaaaaaaaaa")
		for _, c := range creds[:2] {
			r := req{method: rt.Method, path: path, cookies: c.cookies, header: c.header}
			if rt.Method != "GET" {
				r.form = url.Values{"x": {"1"}}
			}
			resp, _ := h.do(r)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/platform/login" {
				t.Errorf("%s %s with %s: status %d to %q, want a redirect to /platform/login", rt.Method, path, c.name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
}

// strip removes the per-request reference from an error page.
func strip(body string) string {
	if i := strings.Index(body, "Reference req_"); i >= 0 {
		return body[:i] + body[i+len("Reference req_")+16:]
	}
	return body
}

// TestRouteWithoutIsolation shows what makes the isolation test fail for a
// new route that lacks its entry.
func TestRouteWithoutIsolation(t *testing.T) {
	rt := web.Route{Method: "GET", Path: "/:tenant/reservations/:id"}
	if _, err := rt.ExamplePath("bravo"); err == nil {
		t.Fatal("a route without an Isolation entry passes")
	}
}
