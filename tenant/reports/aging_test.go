package reports_test

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
)

// TestAging: on an external (city ledger) folio, charges of 100.00 posted
// 100, 70, 40 and 10 days before the as-of date and a payment of 130.00
// settle the oldest first: 0 is left of the 100-day charge, 70.00 of the
// 70-day one, and 100.00 each of the 40- and 10-day ones. A settled folio
// is not listed; a line after the as-of date does not count.
func TestAging(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-12-30")
	led := ledger.New(f.DB)
	asOf := f.Day(0)
	if err := f.DB.Update(f.Ctx, func(tx *tenant.Tx) error {
		_, err := pmsledger.Ensure(tx, f.DB, f.Prop)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	newFolio := func(label string) ledger.Folio {
		return pmstest.Must(led.OpenFolio(f.Ctx, ledger.FolioInput{PropertyID: f.Prop.ID, Kind: ledger.FolioExternal, Label: label}))(t)
	}
	company := newFolio("Acme GmbH")
	settled := newFolio("Settled Ltd")
	charge := func(fo ledger.Folio, daysAgo int) {
		d := asOf.AddDays(-daysAgo)
		pmstest.Must(led.PostCharge(f.Ctx, ledger.ChargeInput{FolioID: fo.ID, ServiceDate: d, BusinessDate: d, Description: "Conference room", Quantity: 1, UnitPrice: 10000, TaxCode: "reduced", Category: "ACC"}))(t)
	}
	for _, ago := range []int{100, 70, 40, 10, -5} {
		charge(company, ago)
	}
	pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: company.ID, Method: ledger.MethodBankTransfer, Amount: 13000, BusinessDate: asOf.AddDays(-3)}))(t)
	charge(settled, 50)
	pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: settled.ID, Method: ledger.MethodCash, Amount: 10000, BusinessDate: asOf.AddDays(-50)}))(t)

	rep := pmstest.Must(reports.New(f.DB).Aging(f.Ctx, f.Prop.ID, asOf))(t)
	if len(rep.Rows) != 1 {
		t.Fatalf("rows %+v", rep.Rows)
	}
	r := rep.Rows[0]
	if r.FolioID != company.ID || r.Buckets != [4]int64{10000, 10000, 7000, 0} || r.Open != 27000 || r.Oldest != asOf.AddDays(-70) || rep.Total.Open != 27000 {
		t.Fatalf("row %+v total %+v", r, rep.Total)
	}
	// As of 60 days ago: the 100- and 70-day charges (then 40 and 10 days
	// old), the payment not yet made.
	early := pmstest.Must(reports.New(f.DB).Aging(f.Ctx, f.Prop.ID, asOf.AddDays(-60)))(t)
	if len(early.Rows) != 1 || early.Rows[0].Buckets != [4]int64{10000, 10000, 0, 0} {
		t.Fatalf("60 days ago: %+v", early.Rows)
	}
	_, err := reports.New(f.DB).Aging(f.Ctx, f.Prop.ID, date.Date{})
	pmstest.WantCode(t, err, "invalid")
}
