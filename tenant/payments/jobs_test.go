package payments_test

import (
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
)

// postNoShowFee posts a no-show fee to a reservation's guest folio as the
// night audit's poster does (item "fee:no_show").
func (f *fixture) postNoShowFee(tb testing.TB, res string, amount int64) {
	tb.Helper()
	if cfg := must(f.led.Config(f.ctx, f.prop))(tb); len(cfg.TaxCodes) == 0 {
		// The tax code and category of room nights, which fees take.
		must(f.led.SetTaxCode(f.ctx, f.prop, ledger.TaxCode{Code: "DE-7", Name: "Reduced", Category: "S", Rates: []ledger.Rate{{ValidFrom: f.today.AddDays(-400), BasisPoints: 700}}}))(tb)
		must(f.led.SetCategory(f.ctx, f.prop, ledger.Category{Code: "ACC", Name: "Accommodation", Account: "8300"}, 0))(tb)
	}
	if err := f.db.Update(f.ctx, func(tx *tenant.Tx) error {
		_, _, err := f.led.PostFeeTx(tx, ledger.Fee{PropertyID: f.prop, Reservation: res, Item: payments.NoShowFeeItem,
			Description: "No-show fee", Amount: amount, Night: f.today, BusinessDate: f.today})
		return err
	}); err != nil {
		tb.Fatal(err)
	}
}

// activeCard saves a card on file for a folio and has Stripe confirm it.
func (f *fixture) activeCard(tb testing.TB, folioID string) payments.Card {
	tb.Helper()
	card := must(f.s.SaveCard(f.ctx, payments.SaveCardInput{FolioID: folioID, IdempotencyKey: key()}))(tb)
	must(0, f.deliver(tb, event("setup_intent.succeeded", map[string]any{"id": card.SetupIntentID, "object": "setup_intent", "status": "succeeded",
		"usage": "off_session", "customer": card.CustomerID, "payment_method": "pm_1AuraNoShowCard", "livemode": false, "created": time.Now().Unix()})))(tb)
	return must(f.s.Card(f.ctx, card.ID))(tb)
}

// TestChargeNoShowFee: the night-audit job's charge of a no-show fee goes
// to the card on file, capped at the open balance (a deposit paid is not
// charged again), once however often the job runs; without a fee, a
// balance or a card nothing is charged; a virtual card is charged only
// from its activation date.
func TestChargeNoShowFee(t *testing.T) {
	f := newFixture(t, mock)
	st := f.with(paid)
	mark := paid.Mark()
	// No fee posted: nothing.
	if _, ok := must2(st.ChargeNoShowFee(f.ctx, "res_1", f.today))(t); ok || len(paid.Since(mark, "POST", "/v1/payment_intents")) != 0 {
		t.Fatal("charged without a fee")
	}
	// A fee of 60.00 with 15.00 paid ahead: 45.00 is open.
	f.postNoShowFee(t, "res_1", 6000)
	must(f.led.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: f.folio.ID, Method: ledger.MethodCash, Amount: 1500, BusinessDate: f.today, IdempotencyKey: key()}))(t)
	// No card: nothing.
	if _, ok := must2(st.ChargeNoShowFee(f.ctx, "res_1", f.today))(t); ok {
		t.Fatal("charged without a card")
	}
	card := f.activeCard(t, f.folio.ID)
	mark = paid.Mark()
	p, ok := must2(st.ChargeNoShowFee(f.ctx, "res_1", f.today))(t)
	if !ok || p.Amount != paidAmount || p.Purpose != payments.PurposeNoShowFee || p.CardID != card.ID || p.Status != payments.StatusSucceeded {
		t.Fatalf("fee charge = %+v (%v)", p, ok)
	}
	reqs := paid.Since(mark, "POST", "/v1/payment_intents")
	wantKeys(t, reqs, 1, p.AttemptID, "intent")
	if form := reqs[0].Form; form.Get("amount") != "4500" || form.Get("off_session") != "true" {
		t.Fatalf("the fee's PaymentIntent: %v", form)
	}
	if v := must(f.led.Folio(f.ctx, f.folio.ID))(t); v.Balance.Balance != 0 {
		t.Fatalf("balance after the fee = %d", v.Balance.Balance)
	}
	// The job again: nothing new.
	mark = paid.Mark()
	if _, ok := must2(st.ChargeNoShowFee(f.ctx, "res_1", f.today))(t); ok || len(paid.Since(mark, "POST", "/v1/payment_intents")) != 0 {
		t.Fatal("the fee was charged twice")
	}

	// A virtual card only: refused before its activation date, charged on
	// it. The card activates today, not tomorrow: a business date later
	// than today anywhere on Earth is refused for its own reason, and
	// tomorrow in UTC is such a date until 10:00 UTC.
	other := must(f.led.GuestFolio(f.ctx, f.prop, "res_2"))(t)
	f.postNoShowFee(t, "res_2", paidAmount)
	vc := must(st.AddVirtualCard(f.ctx, payments.VirtualCardInput{FolioID: other.ID, PaymentMethodID: "pm_1AuraNoShowVirtual",
		ActivationDate: f.today, MaxAmount: 10000, Source: "booking.com"}))(t)
	mark = paid.Mark()
	if _, ok := must2(st.ChargeNoShowFee(f.ctx, "res_2", f.today.AddDays(-1)))(t); ok || len(paid.Since(mark, "POST", "/v1/payment_intents")) != 0 {
		t.Fatal("a virtual card was charged before its activation date")
	}
	p, ok = must2(st.ChargeNoShowFee(f.ctx, "res_2", f.today))(t)
	if !ok || p.CardID != vc.ID || p.Amount != paidAmount {
		t.Fatalf("virtual card fee = %+v (%v)", p, ok)
	}
}

// TestNextReconcile: the reconcile job is due soon while an attempt's
// outcome is unknown, and not otherwise.
func TestNextReconcile(t *testing.T) {
	f := newFixture(t, mock)
	st := f.with(paid)
	now := time.Now()
	if _, ok := must2(st.NextReconcile(f.ctx, now))(t); ok {
		t.Fatal("due without an open attempt")
	}
	paid.LoseAnswers(1)
	_, err := st.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, PaymentMethodID: "pm_1AuraLost", BusinessDate: f.today, IdempotencyKey: key()})
	wantCode(t, err, aura.EUNAVAILABLE)
	next, ok := must2(st.NextReconcile(f.ctx, now))(t)
	if !ok || !next.Equal(now.Add(payments.ReconcileEvery)) {
		t.Fatalf("next = %v %v", next, ok)
	}
	if n := must(st.ReconcileOpen(f.ctx))(t); n != 1 {
		t.Fatalf("reconciled %d", n)
	}
	if _, ok := must2(st.NextReconcile(f.ctx, now))(t); ok {
		t.Fatal("still due after the reconcile")
	}
}

func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(tb testing.TB) (A, B) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v (%s)", err, aura.ErrorMessage(err))
		}
		return a, b
	}
}
