package control_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/ledger"
)

// TestVerifyAuditCatchesTamperedInvoice issues an invoice, closes the file
// and changes the invoice's total with sqlite3-style access (triggers
// dropped): the audit chain's own rows are untouched, yet `aura audit
// verify` (control.VerifyAudit) reports the break at the row that recorded
// the issue, naming the invoice.
func TestVerifyAuditCatchesTamperedInvoice(t *testing.T) {
	ctx := aura.WithActor(context.Background(), aura.SystemActor("test"))
	env := auratest.New(t, auratest.Options{})
	tn := env.CreateTenant(t, "books")
	db, err := env.Router.Acquire(ctx, "books")
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.New(db)
	today := date.Of(time.Now(), time.UTC)
	steps := []error{}
	_, err = s.Configure(ctx, ledger.Settings{PropertyID: "prp_1", Currency: "EUR", PricesIncludeTax: true, AccommodationTaxCode: "DE-7", AccommodationCategory: "ACC",
		Legal: ledger.Legal{Company: "Hotel GmbH", VATID: "DE123456789", Address: ledger.Address{Line1: "Weg 1", PostalCode: "10117", City: "Berlin", Country: "DE"}}})
	steps = append(steps, err)
	_, err = s.SetTaxCode(ctx, "prp_1", ledger.TaxCode{Code: "DE-7", Category: "S", Rates: []ledger.Rate{{ValidFrom: date.MustParse("2010-01-01"), BasisPoints: 700}}})
	steps = append(steps, err)
	_, err = s.SetCategory(ctx, "prp_1", ledger.Category{Code: "ACC", Account: "8300"}, 0)
	steps = append(steps, err)
	fol, err := s.GuestFolio(ctx, "prp_1", "res_1")
	steps = append(steps, err)
	_, err = s.PostCharge(ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: today, BusinessDate: today, Description: "Room", UnitPrice: 10700, TaxCode: "DE-7", Category: "ACC"})
	steps = append(steps, err)
	inv, err := s.IssueInvoice(ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: today, Recipient: ledger.Recipient{Name: "Erika Mustermann", Address: ledger.Address{Country: "DE"}}})
	steps = append(steps, err)
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := env.Control.SignTenant(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Release()
	if res, err := env.Control.VerifyAudit(ctx, "books"); err != nil || !res.OK() {
		t.Fatalf("before tampering: %v %+v", err, res.Break)
	}
	<-env.Router.Forget("books")

	tamper(t, env.TenantPath(tn.ID), `DROP TRIGGER ledger_documents_no_update`, `UPDATE ledger_documents SET gross = 100, net = 93, tax = 7, due = 100`)
	res, err := env.Control.VerifyAudit(ctx, "books")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !strings.Contains(res.Break.Reason, inv.Number) || res.Break.Seq == 0 {
		t.Fatalf("break = %+v, want one naming %s at its audit row", res.Break, inv.Number)
	}
}
