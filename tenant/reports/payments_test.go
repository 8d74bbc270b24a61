package reports_test

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/reports"
)

// TestPaymentsByMethodAndDay: on the New Year hotel (A paid 190.00 cash on
// 1 January) a card payment of 50.00 on 31 December, refunded 20.00 on 2
// January give, hand-computed: one
// row per day and method, and per method cash 190.00, card 50.00 − 20.00.
func TestPaymentsByMethodAndDay(t *testing.T) {
	f := newYear(t)
	led := ledger.New(f.DB)
	fo := pmstest.Must(led.HouseFolio(f.Ctx, f.Prop.ID))(t)
	card := pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: fo.ID, Method: ledger.MethodCardTerminal, Amount: 5000, BusinessDate: f.Day(1)}))(t)
	pmstest.Must(led.RecordRefund(f.Ctx, ledger.RefundInput{PaymentID: card.ID, Amount: 2000, BusinessDate: f.Day(3)}))(t)

	rep := pmstest.Must(reports.New(f.DB).Payments(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(4)}))(t)
	d := date.MustParse
	want := []reports.PaymentRow{
		{Day: d("2026-12-31"), Method: "card_terminal", Count: 1, Payments: 5000, Net: 5000},
		{Day: d("2027-01-01"), Method: "cash", Count: 1, Payments: 19000, Net: 19000},
		{Day: d("2027-01-02"), Method: "card_terminal", Count: 1, Refunds: 2000, Net: -2000},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("rows %+v", rep.Rows)
	}
	for i := range want {
		if rep.Rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rep.Rows[i], want[i])
		}
	}
	byMethod := []reports.PaymentRow{{Method: "cash", Count: 1, Payments: 19000, Net: 19000}, {Method: "card_terminal", Count: 2, Payments: 5000, Refunds: 2000, Net: 3000}}
	if len(rep.ByMethod) != 2 || rep.ByMethod[0] != byMethod[0] || rep.ByMethod[1] != byMethod[1] {
		t.Fatalf("by method %+v", rep.ByMethod)
	}
	if rep.Total.Net != 22000 || rep.Total.Count != 3 {
		t.Fatalf("total %+v", rep.Total)
	}
}
