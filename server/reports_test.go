package server_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
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
		tok := f.roleToken(t, identity.RoleFrontDesk, "desk@alpha.example")
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
	if resp, page := f.page("GET", "/reports/vat"+q, nil); resp.StatusCode != 200 || !strings.Contains(page, "/books/reports/ledger.csv?") ||
		!strings.Contains(page, "format=datev") {
		t.Fatalf("the VAT page does not link the export and its DATEV variant: %d", resp.StatusCode)
	}
	// The DATEV variant: Windows-1252 (the parking line's text is ASCII,
	// the header's EXTF row and the invoice number are checked), named
	// EXTF_…; bad settings are a 400 naming the field, before any byte.
	resp, body = f.api("GET", "/reports/ledger.csv"+q+"&format=datev&consultant=29098&client=55003&tax_keys=DE-19:9", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=windows-1252" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="EXTF_Buchungsstapel_`) {
		t.Fatalf("DATEV export: %d %v", resp.StatusCode, resp.Header)
	}
	lines := strings.Split(body, "\r\n")
	if !strings.HasPrefix(lines[0], `"EXTF";700;21;"Buchungsstapel";13;`) || !strings.Contains(lines[0], ";29098;55003;") ||
		!strings.HasPrefix(lines[1], "Umsatz (ohne Soll/Haben-Kz);") {
		t.Fatalf("DATEV header %q", lines[:2])
	}
	if !strings.Contains(body, `15,00;"S";"EUR";;;;10000;8300;"0009";`) || !strings.Contains(body, `"`+inv.Number+`";"";;"Parking, bay 7"`) {
		t.Fatalf("the parking line is not booked with its invoice:\n%s", body)
	}
	for _, tc := range []struct{ query, field string }{
		{"&format=xml", "format"}, {"&format=datev&consultant=abc", "consultant"}, {"&format=datev&accounts=cash", "accounts"},
		{"&format=datev&accounts=paypal:1361", "accounts"}, {"&format=datev&tax_keys=DE-19:19%25", "tax_keys"},
	} {
		resp, body := f.api("GET", "/reports/ledger.csv"+q+tc.query, "")
		if resp.StatusCode != 400 || !strings.Contains(body, `"`+tc.field+`"`) || strings.Contains(body, "EXTF") {
			t.Errorf("%s: %d %s", tc.query, resp.StatusCode, body)
		}
	}
	if resp, body := f.api("GET", "/reports/ledger.csv?from=2025-12-01&to=2026-01-02&format=datev", ""); resp.StatusCode != 400 || !strings.Contains(body, `"to"`) {
		t.Errorf("a DATEV period across New Year: %d %s", resp.StatusCode, body)
	}

	// A database error in the plain export's query is an error answer, not
	// a file: no 200, no download headers, no byte order mark or header row.
	db := h.acquire("books")
	_, err = db.SQL().Write.Exec(`DROP TABLE ledger_document_lines`)
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	resp, body = f.api("GET", "/reports/ledger.csv"+q+"&bom=1", "")
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Disposition") != "" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || strings.Contains(body, "business_date") || strings.HasPrefix(body, reports.BOM) {
		t.Fatalf("the export with its query failing: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}

// TestStatementsHTTP generates a channel's statement over the API and the
// page: 201 with the figures, the audit row "statement.generated" the
// security page promises (in the tenant's audit log and on its audit
// page), the statement read back unchanged as JSON, CSV and printable
// page, 400 for a bad period, 403 without statements.write.
func TestStatementsHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "ota", 2).signIn()
	arrival := f.today.AddDays(1)
	body := strings.Replace(f.bookingJSON("Olga", arrival, arrival.AddDays(1)), `"booker"`, `"source": "booking_com", "ota_code": "BC-77", "commission": {"amount": 1500, "currency": "EUR"}, "booker"`, 1)
	resp, out := f.api("POST", "/bookings", body)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, out)
	}
	res := decode[stays.Booking](t, out).Reservations[0]
	if resp, out := f.api("POST", "/reservations/"+res.ID+"/cancel", `{}`); resp.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, out)
	}
	period := `"from": "` + f.today.String() + `", "to": "` + f.today.AddDays(10).String() + `"`
	st := decode[reports.Statement](t, mustCreated(t, f, "/statements", `{"channel": "booking_com", `+period+`}`))
	if resp, out := f.api("POST", "/statements", `{"channel": "booking_com", `+period+`}`); resp.StatusCode != 200 || decode[reports.Statement](t, out).Number != st.Number {
		t.Fatalf("the same statement again: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("POST", "/statements", `{"property_id": "prop_nope", "channel": "booking_com", `+period+`}`); resp.StatusCode != 400 || !strings.Contains(out, "property_id") {
		t.Fatalf("statement of an unknown property: %d %s", resp.StatusCode, out)
	}
	if len(st.Lines) != 1 || st.Lines[0].OTACode != "BC-77" || st.Lines[0].Fees.Gross != 10000 || st.Totals.Commission != 1500 || !strings.HasPrefix(st.Number, "ST-") {
		t.Fatalf("statement %+v", st)
	}

	db := h.acquire("ota")
	var action, after string
	err := db.SQL().Read.QueryRow(`SELECT action, after_json FROM audit_log WHERE entity_id = ? ORDER BY seq DESC LIMIT 1`, st.ID).Scan(&action, &after)
	db.Release()
	if err != nil || action != "statement.generated" || !strings.Contains(after, st.Number) || !strings.Contains(after, st.Hash) {
		t.Fatalf("audit row: %v %s %s", err, action, after)
	}
	if resp, page := f.page("GET", "/audit", nil); resp.StatusCode != 200 || !strings.Contains(page, "statement.generated") {
		t.Fatalf("the audit page does not show the statement (%d)", resp.StatusCode)
	}

	got := decode[reports.Statement](t, mustOK(t, f, "GET", "/statements/"+st.ID))
	if got.Hash != st.Hash || got.Number != st.Number || got.Totals != st.Totals {
		t.Fatalf("read back %+v", got)
	}
	resp, csvBody := f.api("GET", "/statements/"+st.ID+"/statement.csv", "")
	recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 3 || recs[1][3] != "BC-77" || recs[1][10] != "100.00" || recs[2][11] != "15.00" {
		t.Fatalf("statement CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	if resp, page := f.page("GET", "/reports/statements/"+st.ID, nil); resp.StatusCode != 200 || !strings.Contains(page, st.Number) || !strings.Contains(page, "BC-77") || !strings.Contains(page, st.Hash) {
		t.Fatalf("statement page: %d", resp.StatusCode)
	}

	// The page form: generated and shown; a bad period is the form again.
	form := url.Values{"channel": {"booking_com"}, "from": {f.today.String()}, "to": {f.today.AddDays(10).String()}}
	resp, _ = f.page("POST", "/reports/statements", form)
	// (The same channel, period and figures as the API's: the same statement.)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ota/reports/statements/"+st.ID {
		t.Fatalf("page generate: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	form.Set("to", f.today.AddDays(-1).String())
	if resp, page := f.page("POST", "/reports/statements", form); resp.StatusCode != 400 || !strings.Contains(page, "field-error") {
		t.Fatalf("page bad period: %d", resp.StatusCode)
	}
	if resp, out := f.api("POST", "/statements", `{"channel": "", `+period+`}`); resp.StatusCode != 400 || !strings.Contains(out, `"channel"`) {
		t.Fatalf("API without channel: %d %s", resp.StatusCode, out)
	}
	if resp, page := f.page("GET", "/reports/statements", nil); resp.StatusCode != 200 || strings.Count(page, "/ota/reports/statements/stm_") != 1 {
		t.Fatalf("list: %d", resp.StatusCode)
	}

	tok := f.roleToken(t, identity.RoleFrontDesk, "desk@ota.example")
	resp, out = h.do(req{method: "POST", path: "/ota/api/v1/statements", json: `{"channel": "booking_com", ` + period + `}`, header: map[string]string{"Authorization": "Bearer " + tok}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(out, "statements.write") {
		t.Fatalf("front desk: %d %s", resp.StatusCode, out)
	}
}

// TestPaymentsReportHTTP: a cash and a card payment recorded over the API
// show in the payments report per method, as JSON, CSV and page.
func TestPaymentsReportHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "pay", 2).signIn()
	_, folio := moneySetup(t, f)
	mustCreated(t, f, "/folios/"+folio.ID+"/payments", `{"method": "cash", "amount": 4200}`)
	mustCreated(t, f, "/folios/"+folio.ID+"/payments", `{"method": "card_terminal", "amount": 1000}`)
	q := "?from=" + f.today.String() + "&to=" + f.today.AddDays(1).String()
	rep := decode[reports.PaymentsReport](t, mustOK(t, f, "GET", "/reports/payments"+q))
	if len(rep.ByMethod) != 2 || rep.ByMethod[0].Method != "cash" || rep.ByMethod[0].Net != 4200 || rep.Total.Net != 5200 || len(rep.Rows) != 2 {
		t.Fatalf("payments report %+v", rep)
	}
	resp, body := f.api("GET", "/reports/payments.csv"+q, "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 1+2+2+1 || recs[5][0] != "total" || recs[5][1] != "all" || recs[5][5] != "52.00" {
		t.Fatalf("payments CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	if resp, page := f.page("GET", "/reports/payments"+q, nil); resp.StatusCode != 200 || !strings.Contains(page, "52,00") || !strings.Contains(page, "Cash") {
		t.Fatalf("payments page: %d", resp.StatusCode)
	}
	if resp, _ := f.page("GET", "/reports/payments?from=nope", nil); resp.StatusCode != 400 {
		t.Fatalf("bad date on the page: %d", resp.StatusCode)
	}
}

// TestReceivablesHTTP: a folio left with a balance shows on the
// receivables page and in the API in the 0–30 bucket.
func TestReceivablesHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "owed", 2).signIn()
	_, folio := moneySetup(t, f)
	mustCreated(t, f, "/folios/"+folio.ID+"/charges", `{"description": "Late check-out", "quantity": 1, "unit_price": 3000, "tax_code": "DE-7", "category": "ACC"}`)
	rep := decode[reports.AgingReport](t, mustOK(t, f, "GET", "/reports/receivables"))
	var row *reports.AgingRow
	for i := range rep.Rows {
		if rep.Rows[i].FolioID == folio.ID {
			row = &rep.Rows[i]
		}
	}
	if row == nil || row.Buckets[0] < 3000 || row.Open != row.Buckets[0] || rep.AsOf != f.today {
		t.Fatalf("receivables %+v", rep)
	}
	if resp, page := f.page("GET", "/reports/receivables", nil); resp.StatusCode != 200 || !strings.Contains(page, "/owed/folios/"+folio.ID) {
		t.Fatalf("receivables page: %d", resp.StatusCode)
	}
	if resp, body := f.api("GET", "/reports/receivables?as_of=2026-02-31", ""); resp.StatusCode != 400 || !strings.Contains(body, "as_of") {
		t.Fatalf("bad date: %d %s", resp.StatusCode, body)
	}
	resp, body := f.api("GET", "/reports/receivables.csv?bom=1", "")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, reports.BOM))).ReadAll()
	if resp.StatusCode != 200 || err != nil || !strings.HasPrefix(body, reports.BOM) || strings.Join(recs[0], ",") != strings.Join(reports.AgingColumns, ",") ||
		len(recs) != len(rep.Rows)+2 || recs[len(recs)-1][0] != "total" || recs[len(recs)-1][8] != locale.Decimal(rep.Total.Open, 2, ".", "") {
		t.Fatalf("receivables CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	if resp, page := f.page("GET", "/reports/receivables", nil); resp.StatusCode != 200 || !strings.Contains(page, "/owed/reports/receivables.csv?as_of=") {
		t.Fatalf("receivables page lacks the CSV link: %d", resp.StatusCode)
	}
}

// TestCityTaxReportHTTP: a city tax set up over the API and posted by the
// night audit shows in the city-tax report as JSON, CSV and page, with
// the taxable guest-nights and the amount; bad input is a 400 naming the
// field.
func TestCityTaxReportHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "tax", 2).signIn()
	moneySetup(t, f)
	for path, body := range map[string]string{
		"/ledger/categories/CITYTAX": `{"name": "City tax", "account": "1740"}`,
		"/ledger/tax-codes/CITYTAX":  `{"name": "City tax (no VAT)", "category": "E", "exemption_reason": "Levy for the municipality", "rates": [{"valid_from": "2020-01-01", "basis_points": 0}]}`,
	} {
		if resp, b := f.api("PUT", path, body); resp.StatusCode != 200 {
			t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, b)
		}
	}
	if resp, b := f.api("PUT", "/ledger/city-tax", `{"versions": [{"valid_from": "2020-01-01", "kind": "per_person_night", "amount": 300, "tax_code": "CITYTAX", "category": "CITYTAX", "description": "City tax"}]}`); resp.StatusCode != 200 {
		t.Fatalf("city tax: %d %s", resp.StatusCode, b)
	}
	h.clock.Advance(48 * time.Hour)
	if resp, b := f.api("POST", "/night-audit/run", ""); resp.StatusCode != 200 {
		t.Fatalf("night audit: %d %s", resp.StatusCode, b)
	}
	f.signIn() // the session idled out over the two days
	q := "?from=" + f.today.String() + "&to=" + f.today.AddDays(3).String()
	rep := decode[reports.CityTaxReport](t, mustOK(t, f, "GET", "/reports/city-tax"+q))
	n := rep.Total.RoomNights
	if n < 1 || rep.Total.GuestNights != 2*n || rep.Total.TaxableGuestNights != 2*n || rep.Total.Amount.Gross != 600*n || len(rep.Rules) != 1 || rep.Currency != "EUR" {
		t.Fatalf("city-tax report %+v", rep)
	}
	resp, body := f.api("GET", "/reports/city-tax.csv"+q+"&bom=1", "")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, reports.BOM))).ReadAll()
	last := len(recs) - 1
	if resp.StatusCode != 200 || !strings.HasPrefix(body, reports.BOM) || err != nil || recs[0][0] != "month" || recs[last][0] != "total" ||
		recs[last][16] != locale.Decimal(600*n, 2, ".", "") {
		t.Fatalf("city-tax CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	resp, page := f.page("GET", "/reports/city-tax"+q, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "Taxable guest-nights") || !strings.Contains(page, " per person and night") ||
		!strings.Contains(page, `href="/tax/reports/city-tax.csv?`) {
		t.Fatalf("city-tax page: %d %s", resp.StatusCode, page)
	}
	// The performance page draws the posted revenue: rooms, and the city
	// tax on top as other revenue.
	if resp, page := f.page("GET", "/reports"+q+"&by=day", nil); resp.StatusCode != 200 || !strings.Contains(page, `id="revenue-title"`) || !strings.Contains(page, `class="chart-bar-other"`) {
		t.Fatalf("performance page without the revenue chart: %d", resp.StatusCode)
	}
	for _, bad := range []struct{ query, field string }{{"?from=2026-02-30", "from"}, {"?from=" + f.today.String() + "&to=" + f.today.String(), "to"}} {
		if resp, body := f.api("GET", "/reports/city-tax"+bad.query, ""); resp.StatusCode != 400 || !strings.Contains(body, `"`+bad.field+`"`) {
			t.Errorf("API %s: %d %s", bad.query, resp.StatusCode, body)
		}
		if resp, page := f.page("GET", "/reports/city-tax"+bad.query, nil); resp.StatusCode != 400 || !strings.Contains(page, "field-error") {
			t.Errorf("page %s: %d", bad.query, resp.StatusCode)
		}
	}
}

// TestDailyAndPaceHTTP: a stay booked over the API shows in the daily
// manager report and on the books as JSON, CSV and page (with the pace
// chart); bad input is a 400 naming the field.
func TestDailyAndPaceHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "pace", 2).signIn()
	if resp, body := f.api("POST", "/bookings", f.bookingJSON("Pia", f.today, f.today.AddDays(2))); resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	daily := decode[reports.DailyReport](t, mustOK(t, f, "GET", "/reports/daily?date="+f.today.String()))
	if daily.Date != f.today || daily.Day.Sold != 1 || daily.Day.Available != 2 || daily.Day.Occupancy != 5000 || daily.Arrivals != 1 || daily.Forecast.Sold < 1 || daily.Forecast.OnBooks < 10000 {
		t.Fatalf("daily %+v", daily)
	}
	resp, body := f.api("GET", "/reports/daily.csv?date="+f.today.String(), "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 11 || recs[0][0] != "measure" || recs[1][1] != f.today.String() || recs[2][0] != "sold" || recs[2][1] != "1" || recs[4][1] != "50.00" {
		t.Fatalf("daily CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	// The columns name their days with the year (last year's day is not
	// mistaken for this year's on a phone), and a change with nothing to
	// compare with shows a dash rather than an empty cell.
	lastYear, _, _ := f.today.AddDays(-364).YMD()
	if resp, page := f.page("GET", "/reports/daily?date="+f.today.String(), nil); resp.StatusCode != 200 || !strings.Contains(page, "Month to date") || !strings.Contains(page, "forecast") ||
		!strings.Contains(page, " "+strconv.Itoa(lastYear)+`</th><th scope="col" class="num">Change</th>`) ||
		!strings.Contains(page, `<span title="Nothing last year to compare with">—</span>`) {
		t.Fatalf("daily page: %d", resp.StatusCode)
	}

	pace := decode[reports.PaceReport](t, mustOK(t, f, "GET", "/reports/pace?days=5&by=day"))
	if len(pace.Rows) != 5 || pace.Total.OnBooks != 2 || pace.Total.Available != 10 || pace.Rows[0].OnBooks != 1 || pace.From != f.today || pace.Total.Revenue < 20000 {
		t.Fatalf("pace %+v", pace)
	}
	resp, body = f.api("GET", "/reports/pace.csv?bom=1", "")
	recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, reports.BOM))).ReadAll()
	if resp.StatusCode != 200 || err != nil || !strings.HasPrefix(body, reports.BOM) || recs[0][0] != "key" || recs[len(recs)-1][0] != "total" || recs[len(recs)-1][2] != "2" {
		t.Fatalf("pace CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	if resp, page := f.page("GET", "/reports/pace", nil); resp.StatusCode != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, "chart-tick") {
		t.Fatalf("pace page: %d", resp.StatusCode)
	}
	for _, bad := range []struct{ path, field string }{
		{"/reports/pace?days=0", "days"}, {"/reports/pace?days=400", "days"}, {"/reports/pace?by=week", "by"}, {"/reports/pace?from=2026-13-01", "from"},
		{"/reports/daily?date=nope", "date"},
	} {
		if resp, body := f.api("GET", bad.path, ""); resp.StatusCode != 400 || !strings.Contains(body, `"`+bad.field+`"`) {
			t.Errorf("API %s: %d %s", bad.path, resp.StatusCode, body)
		}
		if resp, page := f.page("GET", bad.path, nil); resp.StatusCode != 400 || !strings.Contains(page, "field-error") {
			t.Errorf("page %s: %d", bad.path, resp.StatusCode)
		}
	}
}

// TestReportSettingsHTTP: marking a rate plan complimentary and excluding
// it over the API takes its nights out of sold in the performance report;
// the settings page saves the same choice from its form; an unknown plan
// is a 400 naming the field.
func TestReportSettingsHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "excl", 2).signIn()
	if resp, body := f.api("POST", "/bookings", f.bookingJSON("Ola", f.today, f.today.AddDays(1))); resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	q := "?from=" + f.today.String() + "&to=" + f.today.AddDays(1).String()
	if rep := decode[reports.Report](t, mustOK(t, f, "GET", "/reports/performance"+q)); rep.Total.Sold != 1 {
		t.Fatalf("before: %+v", rep.Total)
	}
	body := `{"complimentary_plans": [` + strconv.Quote(f.plan.Code) + `], "exclude_complimentary": true}`
	if resp, b := f.api("PUT", "/reports/settings", body); resp.StatusCode != 200 || !strings.Contains(b, f.plan.Code) {
		t.Fatalf("PUT settings: %d %s", resp.StatusCode, b)
	}
	rep := decode[reports.Report](t, mustOK(t, f, "GET", "/reports/performance"+q))
	if rep.Total.Sold != 0 || rep.Total.Complimentary != 1 || rep.Total.Available != 2 || !rep.Exclusions.ExcludeComplimentary {
		t.Fatalf("after: %+v", rep.Total)
	}
	if resp, b := f.api("PUT", "/reports/settings", `{"property_id": "prop_nope", "exclude_complimentary": false}`); resp.StatusCode != 400 || !strings.Contains(b, "property_id") {
		t.Fatalf("settings of an unknown property: %d %s", resp.StatusCode, b)
	}
	if ex := decode[reports.Exclusions](t, mustOK(t, f, "GET", "/reports/settings")); !ex.ExcludeComplimentary {
		t.Fatalf("the refused PUT changed the settings: %+v", ex)
	}
	if resp, b := f.api("PUT", "/reports/settings", `{"house_use_plans": ["NOPE"]}`); resp.StatusCode != 400 || !strings.Contains(b, "house_use_plans") {
		t.Fatalf("unknown plan: %d %s", resp.StatusCode, b)
	}
	if resp, page := f.page("GET", "/reports/settings", nil); resp.StatusCode != 200 || !strings.Contains(page, `value="complimentary" selected`) {
		t.Fatalf("settings page: %d", resp.StatusCode)
	}
	resp, _ := f.page("POST", "/reports/settings", url.Values{"plan." + f.plan.Code: {"house_use"}, "exclude_house_use": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	rep = decode[reports.Report](t, mustOK(t, f, "GET", "/reports/performance"+q))
	if rep.Total.Sold != 0 || rep.Total.HouseUse != 1 || rep.Total.Withheld != 1 || rep.Total.Available != 1 {
		t.Fatalf("house use excluded: %+v", rep.Total)
	}
	if resp, page := f.page("POST", "/reports/settings", url.Values{"plan." + f.plan.Code: {"free"}}); resp.StatusCode != 400 || !strings.Contains(page, "field-error") {
		t.Fatalf("bad choice: %d", resp.StatusCode)
	}
}
