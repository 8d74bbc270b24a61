package server_test

import (
	"encoding/json"
	"testing"

	"github.com/aurapms/aura/tenant/ledger"
)

// moneySetup gives the hostile sweep a folio with a charge and a payment,
// an issued invoice and a product, whose ids the money routes' paths and
// bodies use (the ledger derived from the property on first use).
func (e *hostileEnv) moneySetup(t testing.TB, resID string, mustAPI func(method, path, body string, want int) string) {
	t.Helper()
	fol := decode[ledger.Folio](t, mustAPI("POST", "/reservations/"+resID+"/folios", "", 201))
	lv := decode[struct{ Settings ledger.Settings }](t, mustAPI("GET", "/ledger", "", 200))
	st := lv.Settings
	st.Legal.VATID = "DE123456789"
	st.Legal.Address = ledger.Address{Line1: "Seestraße 1", PostalCode: "14467", City: "Potsdam", Country: "DE"}
	b, _ := json.Marshal(st)
	mustAPI("PUT", "/ledger/settings", string(b), 200)
	mustAPI("PUT", "/ledger/products/BRK", `{"name": "Breakfast", "price": 1500, "tax_code": "NOVAT", "category": "EXTRA", "rhythm": "per_person_per_night", "active": true}`, 200)
	line := decode[ledger.Line](t, mustAPI("POST", "/folios/"+fol.ID+"/charges", `{"description": "Bar", "unit_price": 990, "tax_code": "NOVAT", "category": "EXTRA"}`, 201))
	pay := decode[ledger.Payment](t, mustAPI("POST", "/folios/"+fol.ID+"/payments", `{"method": "cash", "amount": 990}`, 201))
	inv := decode[ledger.Document](t, mustAPI("POST", "/folios/"+fol.ID+"/invoices", `{"recipient": {"name": "Tilda", "address": {"country": "DE"}}}`, 201))
	// A second charge, not invoiced, for the allowance and transfer bodies.
	open := decode[ledger.Line](t, mustAPI("POST", "/folios/"+fol.ID+"/charges", `{"description": "Spa", "unit_price": 5000, "tax_code": "NOVAT", "category": "EXTRA"}`, 201))
	other := decode[ledger.Folio](t, mustAPI("POST", "/reservations/"+resID+"/folios", `{"label": "Company"}`, 201))
	e.ids["fol"], e.ids["pay"], e.ids["inv"], e.ids["fln"], e.ids["fln_open"], e.ids["fol_other"] = fol.ID, pay.ID, inv.ID, line.ID, open.ID, other.ID
}

// withMoneyBodies adds valid bodies of the money routes to the sweep's.
func (e *hostileEnv) withMoneyBodies(m map[string]any) map[string]any {
	d := e.f.today
	for k, v := range map[string]any{
		"POST /:tenant/api/v1/reservations/:id/folios":   map[string]any{"label": "Company"},
		"POST /:tenant/api/v1/folios/:id/charges":        ledger.ChargeInput{Description: "Minibar", Quantity: 2, UnitPrice: 450, TaxCode: "NOVAT", Category: "EXTRA", ServiceDate: d, BusinessDate: d},
		"POST /:tenant/api/v1/folios/:id/products":       ledger.ProductPosting{Product: "BRK", Quantity: 1, Party: ledger.Party{Adults: 2, ChildAges: []int{4}}, ServiceDate: d},
		"POST /:tenant/api/v1/folios/:id/allowances":     ledger.AllowanceInput{LineID: e.ids["fln_open"], Amount: 10, Reason: "goodwill", BusinessDate: d},
		"POST /:tenant/api/v1/folios/:id/transfers":      ledger.TransferInput{LineID: e.ids["fln_open"], ToFolioID: e.ids["fol_other"], Reason: "company pays"},
		"POST /:tenant/api/v1/folios/:id/payments":       ledger.PaymentInput{Method: "cash", Amount: 100, Note: "desk", BusinessDate: d},
		"POST /:tenant/api/v1/payments/:id/refunds":      ledger.RefundInput{Amount: 10, Note: "back", BusinessDate: d},
		"POST /:tenant/api/v1/folios/:id/invoices":       ledger.InvoiceInput{IssueDate: d, Recipient: ledger.Recipient{Name: "Tilda", Company: "T GmbH", VATID: "DE999999999", Address: ledger.Address{Line1: "Weg 2", City: "Berlin", Country: "DE"}}},
		"POST /:tenant/api/v1/invoices/:id/credit-notes": ledger.CreditNoteInput{Reason: "wrong name", IssueDate: d},
		"PUT /:tenant/api/v1/ledger/settings": ledger.Settings{Currency: "EUR", PricesIncludeTax: true, AccommodationTaxCode: "NOVAT", AccommodationCategory: "ACC",
			Legal: ledger.Legal{Company: "See GmbH", VATID: "DE123456789", Address: ledger.Address{Line1: "Seestraße 1", City: "Potsdam", Country: "DE"}}},
		"PUT /:tenant/api/v1/ledger/tax-codes/:code":  map[string]any{"name": "Reduced", "category": "S", "rates": []map[string]any{{"valid_from": d.AddDays(-400).String(), "basis_points": 700}}},
		"PUT /:tenant/api/v1/ledger/categories/:code": map[string]any{"name": "Food", "account": "8400"},
		"PUT /:tenant/api/v1/ledger/products/:code":   map[string]any{"name": "Parking", "price": 1500, "tax_code": "NOVAT", "category": "EXTRA", "rhythm": "per_night", "active": true},
		"PUT /:tenant/api/v1/ledger/city-tax": map[string]any{"versions": []map[string]any{{"valid_from": d.AddDays(-30).String(), "kind": "per_person_night", "amount": 300,
			"child_exempt_below_age": 16, "max_nights": 7, "tax_code": "NOVAT", "category": "CITYTAX", "description": "City tax"}}},
	} {
		m[k] = v
	}
	return m
}
