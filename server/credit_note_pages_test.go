package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aurapms/aura/tenant/ledger"
)

// TestPartialCreditNotePage: on the invoice page the accountant credits
// part of one line; the credit note references the invoice and credits
// only that, an allowance of it lands on the folio and the invoice stays
// in force. A form naming no line, or more than a line's gross, is shown
// again with the message; a double submit issues one credit note.
func TestPartialCreditNotePage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "credit", 3).signIn()
	_, folio := moneySetup(t, f)
	fp := "/folios/" + folio.ID
	mustCreated(t, f, fp+"/charges", `{"description": "Minibar", "quantity": 2, "unit_price": 450, "tax_code": "DE-19", "category": "ACC"}`)
	mustCreated(t, f, fp+"/charges", `{"description": "Parking", "quantity": 1, "unit_price": 1500, "tax_code": "DE-19", "category": "ACC"}`)
	inv := decode[ledger.Document](t, mustCreated(t, f, fp+"/invoices", `{"recipient": {"name": "Greta Tester", "address": {"country": "DE"}}}`))
	if len(inv.Lines) != 2 {
		t.Fatalf("invoice lines: %+v", inv.Lines)
	}
	page := "/invoices/" + inv.ID
	resp, body := f.page("GET", page, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="credit_1"`) || !strings.Contains(body, `name="mode" value="partial"`) {
		t.Fatalf("invoice page without the partial form: %d", resp.StatusCode)
	}

	// Nothing named, and too much: the form again with the message.
	resp, body = f.page("POST", page+"/credit-notes", url.Values{"idempotency_key": {"cn-none"}, "mode": {"partial"}, "partial_reason": {"x"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "at least one line") {
		t.Fatalf("no line: %d %s", resp.StatusCode, body[strings.Index(body, "<main"):])
	}
	resp, body = f.page("POST", page+"/credit-notes", url.Values{"idempotency_key": {"cn-big"}, "mode": {"partial"}, "partial_reason": {"x"}, "credit_1": {"9,01"}})
	if resp.StatusCode != 400 || !strings.Contains(strings.ToLower(body), "at most the line") {
		t.Fatalf("too much: %d", resp.StatusCode)
	}

	// 4,50 of the minibar's 9,00, submitted twice.
	form := url.Values{"idempotency_key": {"cn-part"}, "mode": {"partial"}, "partial_reason": {"One bottle was not taken"}, "credit_1": {"4,50"}}
	resp, _ = f.page("POST", page+"/credit-notes", form)
	if resp.StatusCode != 303 {
		t.Fatalf("partial credit note: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if again, _ := f.page("POST", page+"/credit-notes", form); again.StatusCode != 303 || again.Header.Get("Location") != loc {
		t.Fatalf("double submit: %d %s (first %s)", again.StatusCode, again.Header.Get("Location"), loc)
	}
	cn := decode[ledger.Document](t, mustOK(t, f, "GET", "/invoices/"+strings.TrimPrefix(loc, "/credit/invoices/")))
	if cn.Kind == "invoice" || cn.CorrectsNumber != inv.Number || len(cn.Lines) != 1 || cn.Lines[0].CorrectsLine != 1 || cn.Totals.Gross != 450 {
		t.Fatalf("credit note = %+v", cn)
	}
	if got := decode[ledger.Document](t, mustOK(t, f, "GET", page)); got.Status == "cancelled" {
		t.Fatal("a partial credit note cancelled the invoice")
	}
	v := decode[ledger.FolioView](t, mustOK(t, f, "GET", fp))
	allowances := 0
	for _, l := range v.Lines {
		if l.Kind == ledger.LineAllowance && l.Gross == 450 {
			allowances++
		}
	}
	if allowances != 1 {
		t.Fatalf("%d allowances of 4,50 on the folio", allowances)
	}
	resp, _ = f.page("GET", strings.TrimPrefix(loc, "/credit"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("credit note page: %d", resp.StatusCode)
	}
	docs := decode[struct{ Data []ledger.Document }](t, mustOK(t, f, "GET", "/invoices?kind=credit_note"))
	if len(docs.Data) != 1 {
		t.Fatalf("%d credit notes after a double submit", len(docs.Data))
	}
}
