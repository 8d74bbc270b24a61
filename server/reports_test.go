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
	"github.com/aurapms/aura/tenant/ledger"
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

// TestVATReportHTTP: the VAT report over HTTP equals the invoices and
// credit notes issued through the API, per rate, as JSON, CSV and page.
func TestVATReportHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "vat", 2).signIn()
	_, folio := moneySetup(t, f)
	fp := "/folios/" + folio.ID
	mustCreated(t, f, fp+"/charges", `{"description": "Minibar", "quantity": 2, "unit_price": 595, "tax_code": "DE-19", "category": "ACC"}`)
	mustCreated(t, f, fp+"/charges", `{"description": "Breakfast", "quantity": 1, "unit_price": 1070, "tax_code": "DE-7", "category": "ACC"}`)
	inv := decode[ledger.Document](t, mustCreated(t, f, fp+"/invoices", `{"recipient": {"name": "Greta Tester", "address": {"country": "DE"}}}`))
	mustCreated(t, f, "/invoices/"+inv.ID+"/credit-notes", `{"reason": "Wrong recipient"}`)
	inv2 := decode[ledger.Document](t, mustCreated(t, f, fp+"/invoices", `{"recipient": {"name": "Greta Tester GmbH", "address": {"country": "DE"}}}`))

	q := "?from=" + inv.IssueDate.String() + "&to=" + inv.IssueDate.AddDays(1).String()
	rep := decode[reports.VATReport](t, mustOK(t, f, "GET", "/reports/vat"+q))
	// 11.90 at 19% is 10.00 + 1.90; 10.70 at 7% is 10.00 + 0.70: invoiced
	// twice, credited once.
	if len(rep.Rows) != 2 || rep.Invoices != 2 || rep.CreditNotes != 1 ||
		rep.Rows[0].Rate != 700 || rep.Rows[0].Due != (ledger.Amounts{Net: 1000, Tax: 70, Gross: 1070}) || rep.Rows[0].Credited.Gross != 1070 ||
		rep.Rows[1].Rate != 1900 || rep.Rows[1].Due != (ledger.Amounts{Net: 1000, Tax: 190, Gross: 1190}) ||
		rep.Total.Due != inv2.Totals || rep.Documents != inv2.Totals {
		t.Fatalf("VAT report %+v (the invoice standing: %+v)", rep, inv2.Totals)
	}
	resp, body := f.api("GET", "/reports/vat.csv"+q, "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 4 || recs[1][1] != "7.00" || recs[1][9] != "10.00" || recs[2][1] != "19.00" || recs[3][0] != "total" || recs[3][11] != "22.60" {
		t.Fatalf("VAT CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	resp, page := f.page("GET", "/reports/vat"+q, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "19,00 %") || !strings.Contains(page, "2 · 1") {
		t.Fatalf("VAT page: %d", resp.StatusCode)
	}
	if resp, body := f.api("GET", "/reports/vat?from=2026-13-01", ""); resp.StatusCode != 400 || !strings.Contains(body, `"from"`) {
		t.Fatalf("bad date: %d %s", resp.StatusCode, body)
	}
}

// TestAccountingExportHTTP: the accounting export over HTTP lists the
// period's lines with the invoice number, and a bad period is a 400
// before any CSV is written.
func TestAccountingExportHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "books", 2).signIn()
	_, folio := moneySetup(t, f)
	mustCreated(t, f, "/folios/"+folio.ID+"/charges", `{"description": "Parking, bay 7", "quantity": 1, "unit_price": 1500, "tax_code": "DE-19", "category": "ACC"}`)
	inv := decode[ledger.Document](t, mustCreated(t, f, "/folios/"+folio.ID+"/invoices", `{"recipient": {"name": "Greta Tester", "address": {"country": "DE"}}}`))
	q := "?from=" + inv.IssueDate.String() + "&to=" + inv.IssueDate.AddDays(1).String()
	resp, body := f.api("GET", "/reports/ledger.csv"+q+"&bom=1", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, reports.BOM) || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, reports.BOM))).ReadAll()
	if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != strings.Join(reports.ExportColumns, ",") {
		t.Fatalf("export records %v %q", err, recs)
	}
	found := false
	for _, r := range recs[1:] {
		if r[5] == "Parking, bay 7" {
			found = r[10] == "15.00" && r[13] == "19.00" && r[16] == inv.Number && r[15] != ""
		}
	}
	if !found {
		t.Fatalf("the parking line is not exported with its invoice: %q", recs)
	}
	if resp, body := f.api("GET", "/reports/ledger.csv?from=2026-01-10&to=2026-01-01", ""); resp.StatusCode != 400 || strings.Contains(body, "business_date") {
		t.Fatalf("bad period: %d %s", resp.StatusCode, body)
	}
	if resp, page := f.page("GET", "/reports/vat"+q, nil); resp.StatusCode != 200 || !strings.Contains(page, "/books/reports/ledger.csv?") {
		t.Fatalf("the VAT page does not link the export: %d", resp.StatusCode)
	}
}
