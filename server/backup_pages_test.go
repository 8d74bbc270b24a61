package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant/identity"
)

// Staff restore one tenant from /platform behind a confirmation step, and
// the backups page shows its drill.
// goDuration matches a table cell holding a time.Duration as Go prints it.
var goDuration = regexp.MustCompile(`>[0-9.]+(ns|µs|ms|s|m[0-9.]+s)</td>`)

func TestPlatformRestore(t *testing.T) {
	h := newHarness(t, harnessOpts{replicate: true})
	staff, _ := h.mustStaff("ops@aura.example")
	_, owner := h.mustTenant("alpha")
	h.mustTenant("bravo")
	db := h.acquire("alpha")
	_, secret, err := identity.New(db).CreateToken(context.Background(), owner.ID, "integration", nil, time.Time{})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // replicated
	as := []*http.Cookie{staff}

	r, body := h.do(req{path: "/platform/backups", cookies: as})
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "/alpha/") || !strings.Contains(body, "Drill now") {
		t.Fatalf("backups page: %d", r.StatusCode)
	}
	// The lag is told in words, never as Go's "0s" or "1.2ms".
	if goDuration.MatchString(body) || !strings.Contains(body, "Up to date") && !strings.Contains(body, " behind<") {
		t.Fatalf("the replication lag is not in words: %s", goDuration.FindString(body))
	}
	r, _ = h.do(req{method: "POST", path: "/platform/tenants/alpha/drill", cookies: as, form: url.Values{}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("drill: %d", r.StatusCode)
	}
	if _, body = h.do(req{path: "/platform/backups", cookies: as}); !strings.Contains(body, "Passed") {
		t.Fatal("the drill's result is not on the backups page")
	}

	t.Run("ErrBadTime", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/platform/tenants/alpha/restore", cookies: as, form: url.Values{"point": {"at"}, "at": {"yesterday"}}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "UTC") {
			t.Fatalf("bad time: %d", r.StatusCode)
		}
	})
	r, body = h.do(req{method: "POST", path: "/platform/tenants/alpha/restore", cookies: as, form: url.Values{"point": {"latest"}}})
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "Will be lost") || !strings.Contains(body, `name="plan"`) {
		t.Fatalf("plan: %d %s", r.StatusCode, body)
	}
	plan := between(body, `name="plan" value="`, `"`)
	t.Run("ErrNotConfirmed", func(t *testing.T) {
		r, body := h.do(req{method: "POST", path: "/platform/tenants/alpha/restore/apply", cookies: as, form: url.Values{"plan": {plan}, "confirm": {"bravo"}}})
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong confirmation: %d", r.StatusCode)
		}
		plan = between(body, `name="plan" value="`, `"`) // the plan is offered again
	})
	r, body = h.do(req{method: "POST", path: "/platform/tenants/alpha/restore/apply", cookies: as, form: url.Values{"plan": {plan}, "confirm": {"alpha"}}})
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "audit epoch 2") {
		t.Fatalf("apply: %d %s", r.StatusCode, body)
	}
	t.Run("ErrPlanUsed", func(t *testing.T) {
		r, _ := h.do(req{method: "POST", path: "/platform/tenants/alpha/restore/apply", cookies: as, form: url.Values{"plan": {plan}, "confirm": {"alpha"}}})
		if r.StatusCode != http.StatusConflict {
			t.Fatalf("a used plan: %d", r.StatusCode)
		}
	})
	// The tenant serves again, from the restored file; tokens from before
	// the restore point still work.
	if r, body := h.do(req{path: "/alpha/api/v1/whoami", header: map[string]string{"Authorization": "Bearer " + secret}}); r.StatusCode != http.StatusOK {
		t.Fatalf("after the restore: %d %s", r.StatusCode, body)
	}
	// Both chains name the staff member who restored.
	rows, err := h.plat.AuditLog(context.Background(), audit.Filter{Action: "tenant.restored"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ActorKind != "staff" {
		t.Fatalf("platform chain: %d tenant.restored rows (want 1, by staff)", len(rows))
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// A platform action on a slug that names no tenant says which slug.
func TestPlatformNoSuchTenantNamesSlug(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	staff, _ := h.mustStaff("ops@aura.example")
	for _, path := range []string{"/platform/tenants/nosuch/impersonate", "/platform/tenants/nosuch/drill", "/platform/tenants/nosuch/suspend"} {
		r, body := h.do(req{method: "POST", path: path, cookies: []*http.Cookie{staff}, form: url.Values{"reason": {"Ticket 7: checking a tenant"}, "minutes": {"30"}}})
		if r.StatusCode != http.StatusNotFound || !strings.Contains(body, "nosuch") {
			t.Errorf("POST %s: %d, the answer does not name the slug", path, r.StatusCode)
		}
	}
}

// Staff move a tenant's replica to another named target from the backups
// page (data residency): the platform index records it, the page shows
// where each tenant's data lives, and a target the server does not know
// is refused.
func TestPlatformSetRegion(t *testing.T) {
	h := newHarness(t, harnessOpts{replicate: true})
	staff, _ := h.mustStaff("ops@aura.example")
	_, owner := h.mustTenant("alpha")
	as := []*http.Cookie{staff}
	_, body := h.do(req{path: "/platform/backups", cookies: as})
	if !strings.Contains(body, "Replicated to on-site file ") || !strings.Contains(body, "; main: file ") || !strings.Contains(body, `action="/platform/tenants/alpha/region"`) || !strings.Contains(body, `<option value="main" selected>`) {
		t.Fatalf("the backups page does not show where alpha lives or how to move it:\n%s", between(body, "<tbody>", "</tbody>"))
	}
	r, body := h.do(req{method: "POST", path: "/platform/tenants/alpha/region", cookies: as, form: url.Values{"replica": {"mars"}}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "targets: ch, main") {
		t.Fatalf("unknown target: %d", r.StatusCode)
	}
	r, _ = h.do(req{method: "POST", path: "/platform/tenants/alpha/region", cookies: as, form: url.Values{"replica": {"ch"}}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", r.StatusCode)
	}
	tn, err := h.plat.TenantBySlug(context.Background(), "alpha")
	if err != nil || tn.ReplicaTarget() != "ch" {
		t.Fatalf("recorded target = %q, %v", tn.ReplicaTarget(), err)
	}
	if _, body = h.do(req{path: "/platform/backups", cookies: as}); !strings.Contains(body, "; ch: file ") || !strings.Contains(body, `<option value="ch" selected>`) {
		t.Fatal("the backups page does not show the new target")
	}
	// The tenant's owner sees where the data lives on the users and
	// security settings page.
	session := h.login("alpha", owner.Email, ownerPassword)
	if _, body := h.do(req{path: "/alpha/users", cookies: []*http.Cookie{session}}); !strings.Contains(body, "; ch: file ") {
		t.Fatalf("the settings page does not say where the data lives:\n%s", between(body, `id="data-residency"`, "</p>"))
	}
	// Not for tenant users: the platform tree is staff only.
	if r, _ := h.do(req{method: "POST", path: "/platform/tenants/alpha/region", form: url.Values{"replica": {"main"}}}); r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/platform/backups" {
		t.Fatal("a request without a staff session moved the tenant")
	}
}
