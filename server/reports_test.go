package server_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/reports"
)

// TestReportsHTTP runs the performance report over HTTP: the JSON API and
// the CSV (parsed back, with and without the byte order mark) agree with
// the stay booked, the page shows the figures and the chart, bad input is
// a 400 naming the field, and a front-desk token gets 403.
func TestReportsHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	from, to := f.today, f.today.AddDays(2)
	if resp, body := f.api("POST", "/bookings", f.bookingJSON("Ida", from, to)); resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	q := "?from=" + from.String() + "&to=" + to.String() + "&by=day"

	resp, body := f.api("GET", "/reports/performance"+q, "")
	if resp.StatusCode != 200 {
		t.Fatalf("report: %d %s", resp.StatusCode, body)
	}
	rep := decode[reports.Report](t, body)
	if len(rep.Rows) != 2 || rep.Total.Sold != 2 || rep.Total.Available != 4 || rep.Total.Occupancy != 5000 || rep.Rows[0].Key != from.String() || rep.Currency != "EUR" {
		t.Fatalf("report %+v", rep)
	}

	for _, bom := range []string{"", "1"} {
		resp, body := f.api("GET", "/reports/performance.csv"+q+"&bom="+bom, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
		}
		if strings.HasPrefix(body, reports.BOM) != (bom == "1") {
			t.Fatalf("bom=%s: starts %q", bom, body[:4])
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, reports.BOM))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || recs[0][0] != "key" || recs[1][0] != from.String() || recs[3][0] != "total" || recs[3][5] != "2" || recs[3][6] != "50.00" {
			t.Fatalf("csv records %v", recs)
		}
	}

	for _, bad := range []struct{ query, field string }{
		{"?from=" + from.String() + "&to=" + from.String(), "to"},
		{"?from=2026-02-30", "from"},
		{"?by=week", "by"},
		{"?from=" + from.String() + "&to=" + from.AddDays(400).String(), "to"},
	} {
		resp, body := f.api("GET", "/reports/performance"+bad.query, "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"`+bad.field+`"`) {
			t.Errorf("API %s: %d %s, want 400 naming %s", bad.query, resp.StatusCode, body, bad.field)
		}
		resp, page := f.page("GET", "/reports"+bad.query, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "field-error") {
			t.Errorf("page %s: %d, want 400 with the field's error", bad.query, resp.StatusCode)
		}
	}

	resp, page := f.page("GET", "/reports"+q, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	for _, want := range []string{"<svg", "chart-bar", "50,00 %", "2 of 4 available room-nights sold", "Download CSV", `href="/alpha/reports"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	link := regexp.MustCompile(`href="(/alpha/reports/performance\.csv\?[^"]+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no CSV link on the page")
	}
	if resp, body := f.h.do(req{path: html.UnescapeString(link[1]), cookies: []*http.Cookie{f.session}}); resp.StatusCode != 200 || !strings.Contains(body, "\ntotal,Total,4,0,4,2,50.00,") {
		t.Fatalf("the page's CSV link: %d %q", resp.StatusCode, body)
	}

	t.Run("Forbidden", func(t *testing.T) {
		db := h.acquire("alpha")
		ctx := aura.WithActor(context.Background(), f.owner.Actor())
		fd, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "desk@alpha.example", Name: "Desk", Role: identity.RoleFrontDesk, Password: ownerPassword})
		if err != nil {
			db.Release()
			t.Fatal(err)
		}
		_, tok, err := identity.New(db).CreateToken(aura.WithActor(context.Background(), fd.Actor()), fd.ID, "desk", identity.RolePermissions(identity.RoleFrontDesk), time.Time{})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/alpha/api/v1/reports/performance", "/alpha/api/v1/reports/performance.csv"} {
			resp, body := h.do(req{path: p, header: map[string]string{"Authorization": "Bearer " + tok}})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "reports.read") {
				t.Errorf("front desk %s: %d %s", p, resp.StatusCode, body)
			}
		}
		session := h.login("alpha", "desk@alpha.example", ownerPassword)
		if resp, _ := h.do(req{path: "/alpha/reports", cookies: []*http.Cookie{session}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("front desk page: %d", resp.StatusCode)
		}
	})
}
