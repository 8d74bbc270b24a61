package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// moneySetup configures the fixture's ledger over the API (the first call
// derives it from the property), with DE-7 for room nights and the legal
// data an invoice needs, and books a guest in house today.
func moneySetup(t testing.TB, f *pmsFixture) (res stays.Reservation, folio ledger.Folio) {
	t.Helper()
	must := func(method, path, body string, want int, hdr ...string) string {
		t.Helper()
		resp, b := f.api(method, path, body, hdr...)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	must("PUT", "/ledger/categories/ACC", `{"name": "Accommodation", "account": "8300"}`, 200)
	must("PUT", "/ledger/tax-codes/DE-7", `{"name": "Reduced", "category": "S", "rates": [{"valid_from": "2020-01-01", "basis_points": 700}]}`, 200)
	must("PUT", "/ledger/tax-codes/DE-19", `{"name": "Standard", "category": "S", "rates": [{"valid_from": "2020-01-01", "basis_points": 1900}]}`, 200)
	lv := decode[struct{ Settings ledger.Settings }](t, must("GET", "/ledger", "", 200))
	st := lv.Settings
	st.AccommodationTaxCode, st.AccommodationCategory, st.PricesIncludeTax = "DE-7", "ACC", true
	st.Legal = ledger.Legal{Company: "See GmbH", VATID: "DE123456789", Address: ledger.Address{Line1: "Seestraße 1", PostalCode: "14467", City: "Potsdam", Country: "DE"}}
	sb, _ := json.Marshal(st)
	b := must("PUT", "/ledger/settings", string(sb), 200, "If-Match", fmt.Sprintf(`"%d"`, st.Version))
	if got := decode[ledger.Settings](t, b); got.Legal.VATID != "DE123456789" {
		t.Fatalf("settings %s", b)
	}
	res = decode[stays.Booking](t, must("POST", "/bookings", f.bookingJSON("Greta", f.today, f.today.AddDays(2)), 201)).Reservations[0]
	must("POST", "/reservations/"+res.ID+"/check-in", fmt.Sprintf(`{"room_id": %q}`, f.rooms[0].ID), 200)
	folio = decode[ledger.Folio](t, must("POST", "/reservations/"+res.ID+"/folios", "", 201))
	return res, folio
}

// TestMoneyAPI drives the folio over HTTP: a charge posted once for a
// repeated Idempotency-Key (422 for the key with another body), a cash
// payment, an invoice; the invoice cannot be changed by any route; the
// front desk may post and take payments but not issue credit notes; and
// check-out refuses an open balance unless left on the city ledger.
func TestMoneyAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "money", 3)
	res, folio := moneySetup(t, f)
	fp := "/folios/" + folio.ID

	charge := `{"description": "Minibar", "quantity": 2, "unit_price": 450, "tax_code": "DE-19", "category": "ACC"}`
	resp, b := f.api("POST", fp+"/charges", charge, "Idempotency-Key", "k-charge-1")
	first := decode[ledger.Line](t, b)
	if resp.StatusCode != 201 || first.Gross != 900 || first.Tax != 144 || first.TaxRate != 1900 {
		t.Fatalf("charge: %d %s", resp.StatusCode, b)
	}
	resp, b = f.api("POST", fp+"/charges", charge, "Idempotency-Key", "k-charge-1")
	if again := decode[ledger.Line](t, b); resp.StatusCode != 201 || again.ID != first.ID || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed charge: %d %s", resp.StatusCode, b)
	}
	if resp, b = f.api("POST", fp+"/charges", strings.Replace(charge, "450", "460", 1), "Idempotency-Key", "k-charge-1"); resp.StatusCode != 422 {
		t.Fatalf("same key, other body: %d %s", resp.StatusCode, b)
	}
	view := decode[ledger.FolioView](t, mustOK(t, f, "GET", fp))
	if len(view.Lines) != 1 || view.Balance.Balance != 900 {
		t.Fatalf("folio after a replay: %+v", view)
	}

	// Every change is audited with its before/after.
	resp, b = f.api("POST", fp+"/payments", `{"method": "cash", "amount": 900, "note": "at the desk"}`, "Idempotency-Key", "k-pay-1")
	if resp.StatusCode != 201 {
		t.Fatalf("payment: %d %s", resp.StatusCode, b)
	}
	resp, b = f.api("POST", fp+"/invoices", `{"recipient": {"name": "Greta Tester", "address": {"country": "DE"}}}`)
	inv := decode[ledger.Document](t, b)
	if resp.StatusCode != 201 || !strings.HasSuffix(inv.Number, "-000001") || inv.Totals.Gross != 900 || inv.Due != 0 {
		t.Fatalf("invoice: %d %s", resp.StatusCode, b)
	}
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		for _, action := range []string{"folio.charge_posted", "payment.recorded", "invoice.issued"} {
			var n int
			if err := db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ? AND after_json IS NOT NULL`, action).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit rows %s: %d (%v)", action, n, err)
			}
		}
	})

	t.Run("InvoiceImmutable", func(t *testing.T) {
		before := mustOK(t, f, "GET", "/invoices/"+inv.ID)
		// No route of the table writes to an invoice but the credit note.
		for _, rt := range h.srv.Routes() {
			if strings.Contains(rt.Path, "/invoices/:id") && rt.Method != "GET" && !strings.HasSuffix(rt.Path, "/credit-notes") {
				t.Errorf("route %s %s could change an issued invoice", rt.Method, rt.Path)
			}
		}
		for _, m := range []string{"PUT", "PATCH", "DELETE"} {
			if resp, b := f.api(m, "/invoices/"+inv.ID, `{"number": "X"}`); resp.StatusCode < 400 {
				t.Errorf("%s /invoices/%s: %d %s", m, inv.ID, resp.StatusCode, b)
			}
		}
		// Its lines cannot be reduced or moved either.
		if resp, b := f.api("POST", fp+"/allowances", fmt.Sprintf(`{"line_id": %q, "amount": 100, "reason": "x"}`, first.ID)); resp.StatusCode != 409 {
			t.Errorf("allowance on an invoiced line: %d %s", resp.StatusCode, b)
		}
		other := decode[ledger.Folio](t, mustCreated(t, f, "/reservations/"+res.ID+"/folios", `{"label": "Company"}`))
		if resp, b := f.api("POST", fp+"/transfers", fmt.Sprintf(`{"line_id": %q, "to_folio_id": %q}`, first.ID, other.ID)); resp.StatusCode != 409 {
			t.Errorf("moving an invoiced line: %d %s", resp.StatusCode, b)
		}
		if after := mustOK(t, f, "GET", "/invoices/"+inv.ID); after != before {
			t.Errorf("the invoice changed:\n%s\n%s", before, after)
		}
	})

	t.Run("FrontDeskRole", func(t *testing.T) {
		fd := *f
		f.store(t, func(ctx context.Context, db *tenant.DB) {
			ctx = aura.WithActor(ctx, f.owner.Actor())
			u, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "fritz@money.example", Name: "Fritz", Role: identity.RoleFrontDesk, Password: ownerPassword})
			if err == nil {
				_, fd.token, err = identity.New(db).CreateToken(ctx, u.ID, "desk", identity.RolePermissions(identity.RoleFrontDesk), time.Time{})
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		if resp, b := fd.api("POST", fp+"/charges", `{"description": "Parking", "unit_price": 1500, "tax_code": "DE-19", "category": "ACC"}`); resp.StatusCode != 201 {
			t.Errorf("front desk posts a charge: %d %s", resp.StatusCode, b)
		}
		if resp, b := fd.api("POST", fp+"/payments", `{"method": "card_terminal", "amount": 1500}`); resp.StatusCode != 201 {
			t.Errorf("front desk takes a payment: %d %s", resp.StatusCode, b)
		}
		if resp, b := fd.api("POST", "/invoices/"+inv.ID+"/credit-notes", `{"reason": "wrong name"}`); resp.StatusCode != 403 {
			t.Errorf("front desk credit note: %d %s, want 403", resp.StatusCode, b)
		}
		resp, b := f.api("POST", "/invoices/"+inv.ID+"/credit-notes", `{"reason": "wrong name"}`)
		if cn := decode[ledger.Document](t, b); resp.StatusCode != 201 || cn.Corrects != inv.ID || !strings.HasPrefix(cn.Number, "GS-") {
			t.Errorf("owner credit note: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("CheckOut", func(t *testing.T) {
		if resp, b := f.api("POST", fp+"/charges", `{"description": "Late check-out", "unit_price": 3000, "tax_code": "DE-19", "category": "ACC"}`); resp.StatusCode != 201 {
			t.Fatalf("charge: %d %s", resp.StatusCode, b)
		}
		resp, b := f.api("POST", "/reservations/"+res.ID+"/check-out", `{}`)
		if resp.StatusCode != 409 || !strings.Contains(b, "city_ledger") {
			t.Fatalf("check-out with a balance: %d %s", resp.StatusCode, b)
		}
		fdRows := decode[frontdesk.FrontDesk](t, mustOK(t, f, "GET", "/front-desk"))
		found := false
		for _, r := range fdRows.InHouse {
			if r.Reservation.ID == res.ID && r.Balance.Amount == 3000 {
				found = true
			}
		}
		if !found {
			t.Errorf("the front desk does not show the balance: %+v", fdRows.InHouse)
		}
		resp, b = f.api("POST", "/reservations/"+res.ID+"/check-out", `{"city_ledger": true, "reason": "Invoice to See AG"}`)
		if out := decode[stays.CheckOutResult](t, b); resp.StatusCode != 200 || out.CityLedger.Amount != 3000 {
			t.Fatalf("check-out on the city ledger: %d %s", resp.StatusCode, b)
		}
	})
}

// TestInvoiceNumbersGapless issues 50 invoices at once over HTTP, each of
// its own folio: the numbers are 1 to 50 of the year, none twice, none missing.
func TestInvoiceNumbersGapless(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "gapless", 3)
	res, _ := moneySetup(t, f)
	const n = 50
	folios := make([]string, n)
	for i := range folios {
		fo := decode[ledger.Folio](t, mustCreated(t, f, "/reservations/"+res.ID+"/folios", fmt.Sprintf(`{"label": "F%d"}`, i)))
		mustCreated(t, f, "/folios/"+fo.ID+"/charges", `{"description": "Bar", "unit_price": 1190, "tax_code": "DE-19", "category": "ACC"}`)
		folios[i] = fo.ID
	}
	var wg sync.WaitGroup
	numbers := make([]string, n)
	for i := range folios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := f.api("POST", "/folios/"+folios[i]+"/invoices", `{"recipient": {"name": "Bar guest", "address": {"country": "DE"}}}`)
			if resp.StatusCode != 201 {
				t.Errorf("issue %d: %d %s", i, resp.StatusCode, b)
				return
			}
			numbers[i] = decode[ledger.Document](t, b).Number
		}()
	}
	wg.Wait()
	sort.Strings(numbers)
	for i, num := range numbers {
		if want := fmt.Sprintf("-%06d", i+1); !strings.HasSuffix(num, want) {
			t.Fatalf("numbers not gapless at %d: %v", i, numbers)
		}
	}
}

// TestFolioPage posts through the folio forms on the reservation page:
// a refused payment shows the message at its field, a charge and a
// payment land, and the invoices list and the invoice page show it.
func TestFolioPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "moneypage", 3).signIn()
	res, folio := moneySetup(t, f)
	resp, body := f.page("GET", "/reservations/"+res.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Guest folio") || !strings.Contains(body, "Record a payment") {
		t.Fatalf("reservation page: %d", resp.StatusCode)
	}
	back := "/" + f.t.Slug + "/reservations/" + res.ID + "#folios"
	resp, body = f.page("POST", "/folios/"+folio.ID+"/payments", url.Values{"payment.method": {"cash"}, "payment.amount": {"abc"}, "back": {back}})
	if resp.StatusCode != 400 || !strings.Contains(body, `id="f-payment.amount-error"`) {
		t.Fatalf("bad amount: %d %.300s", resp.StatusCode, body)
	}
	resp, _ = f.page("POST", "/folios/"+folio.ID+"/charges", url.Values{"charge.description": {"Spa"}, "charge.quantity": {"1"},
		"charge.unit_price": {"59,50"}, "charge.tax_code": {"DE-19"}, "charge.category": {"ACC"}, "back": {back}, "idempotency_key": {"form-1"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != back {
		t.Fatalf("charge form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	f.page("POST", "/folios/"+folio.ID+"/charges", url.Values{"charge.description": {"Spa"}, "charge.quantity": {"1"},
		"charge.unit_price": {"59,50"}, "charge.tax_code": {"DE-19"}, "charge.category": {"ACC"}, "back": {back}, "idempotency_key": {"form-1"}})
	if v := decode[ledger.FolioView](t, mustOK(t, f, "GET", "/folios/"+folio.ID)); len(v.Lines) != 1 || v.Balance.Balance != 5950 {
		t.Fatalf("a double-submitted form posted %d lines, balance %d", len(v.Lines), v.Balance.Balance)
	}
	f.page("POST", "/folios/"+folio.ID+"/payments", url.Values{"payment.method": {"cash"}, "payment.amount": {"59,50"}, "back": {back}})
	resp, _ = f.page("POST", "/folios/"+folio.ID+"/invoices", url.Values{"invoice.name": {"Greta Tester"}, "invoice.country": {"DE"}})
	if resp.StatusCode != 303 {
		t.Fatalf("invoice form: %d", resp.StatusCode)
	}
	resp, body = f.page("GET", "/invoices", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "-000001") || !strings.Contains(body, "Greta Tester") {
		t.Fatalf("invoices list: %d", resp.StatusCode)
	}
	// The cashier's day lists the payment in the operator's words, with a
	// link to its folio.
	if resp, body := f.page("GET", "/cashier", nil); resp.StatusCode != 200 || !strings.Contains(body, `<td>Payment</td><td>Cash</td><td><span class="badge badge-green">Succeeded</span></td><td class="num">59,50`) ||
		!strings.Contains(body, `href="/`+f.t.Slug+`/folios/`+folio.ID+`">View folio</a>`) {
		t.Errorf("cashier page: %d", resp.StatusCode)
	}
	for _, p := range []string{"/cashier", "/settings/ledger", "/folios/" + folio.ID} {
		if resp, body := f.page("GET", p, nil); resp.StatusCode != 200 || strings.Contains(body, "ZgotmplZ") {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

func mustOK(t testing.TB, f *pmsFixture, method, path string) string {
	t.Helper()
	resp, b := f.api(method, path, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

func mustCreated(t testing.TB, f *pmsFixture, path, body string) string {
	t.Helper()
	resp, b := f.api("POST", path, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// BenchmarkFolioPage renders the folio page of a stay with 60 lines (the
// night audit's rooms and city tax, extras, payments) over HTTPS with a
// session (target: median under 5 ms).
func BenchmarkFolioPage(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	f := newPMS(b, h, "folio", 3).signIn()
	_, folio := moneySetup(b, f)
	for i := 0; i < 60; i++ {
		body := fmt.Sprintf(`{"description": "Night %d", "unit_price": %d, "tax_code": "DE-7", "category": "ACC"}`, i, 9000+i)
		if i%10 == 9 {
			mustCreated(b, f, "/folios/"+folio.ID+"/payments", `{"method": "cash", "amount": 5000}`)
			continue
		}
		mustCreated(b, f, "/folios/"+folio.ID+"/charges", body)
	}
	if v := decode[ledger.FolioView](b, mustOK(b, f, "GET", "/folios/"+folio.ID)); len(v.Lines) != 60 {
		b.Fatalf("%d lines", len(v.Lines))
	}
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		resp, body := f.page("GET", "/folios/"+folio.ID, nil)
		ds = append(ds, time.Since(t0))
		if resp.StatusCode != 200 || !strings.Contains(body, "Night 58") {
			b.Fatalf("folio page: %d", resp.StatusCode)
		}
	}
	reportLatencies(b, ds, "folio-page")
}

// TestLedgerWritesUnknownProperty: each write of a ledger's configuration
// that names a property the tenant does not have, in its body or in
// ?property_id= (a made-up id, or the id of another tenant's property), is
// a 400 naming property_id, and writes nothing: no audit row, no settings,
// tax codes, categories, products or city tax, for no property.
func TestLedgerWritesUnknownProperty(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1)
	other := newPMS(t, h, "beta", 1).prop.ID
	counts := func() string {
		t.Helper()
		db := h.acquire("alpha")
		defer db.Release()
		var out []string
		for _, table := range []string{"audit_log", "ledger_settings", "ledger_tax_codes", "ledger_categories", "ledger_products", "ledger_city_tax"} {
			var n int
			if err := db.SQL().Read.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %d", table, n))
		}
		return strings.Join(out, ", ")
	}
	before := counts()
	settings := `{"currency": "EUR", "prices_include_tax": true, "accommodation_tax_code": "NOVAT", "accommodation_category": "ACC"`
	for _, pid := range []string{"prp_nope", other} {
		for _, tc := range []struct{ path, body string }{
			{"/ledger/settings", settings + `, "property_id": "` + pid + `"}`},
			{"/ledger/settings?property_id=" + pid, settings + `}`},
			{"/ledger/tax-codes/DE-7", `{"property_id": "` + pid + `", "name": "Reduced", "category": "S", "rates": [{"valid_from": "2020-01-01", "basis_points": 700}]}`},
			{"/ledger/categories/FOOD?property_id=" + pid, `{"name": "Food", "account": "8400"}`},
			{"/ledger/products/PARK", `{"property_id": "` + pid + `", "name": "Parking", "price": 1500, "tax_code": "NOVAT", "category": "EXTRA", "rhythm": "per_night", "active": true}`},
			{"/ledger/city-tax", `{"property_id": "` + pid + `", "versions": []}`},
		} {
			resp, body := f.api("PUT", tc.path, tc.body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"property_id"`) || !strings.Contains(body, "No such property") {
				t.Errorf("PUT %s naming %s: %d %s", tc.path, pid, resp.StatusCode, body)
			}
		}
	}
	if after := counts(); after != before {
		t.Fatalf("the refused writes wrote: %s, before %s", after, before)
	}
}
