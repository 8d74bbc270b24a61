package ledger_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/ledger"
)

func TestRecordPayment(t *testing.T) {
	f := newFixture(t)
	fol := f.guestFolio(t, "res_1")
	t.Run("OK", func(t *testing.T) {
		p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodStripe, Amount: 12000,
			ExternalRef: "pi_3MtwBwLkdIwHu7ix28a3tqPa", BusinessDate: d("2027-03-10")}))(t)
		if p.Status != ledger.StatusSucceeded || p.Currency != "EUR" || p.Kind != ledger.KindPayment || p.Version != 1 {
			t.Fatalf("payment = %+v", p)
		}
		b := must(f.s.FolioBalance(f.ctx, fol.ID))(t)
		if b.Payments != 12000 || b.Balance != -12000 {
			t.Fatalf("balance = %+v", b)
		}
		if f.auditCount(t, "payment.recorded") != 1 {
			t.Fatal("no payment.recorded audit row")
		}
	})
	bad := []struct {
		name, field string
		in          ledger.PaymentInput
	}{
		{"ErrStripeRefIsCardNumber", "external_ref", ledger.PaymentInput{Method: ledger.MethodStripe, ExternalRef: "4242424242424242"}},
		{"ErrStripeClientSecret", "external_ref", ledger.PaymentInput{Method: ledger.MethodStripe, ExternalRef: "pi_3Mtw_secret_abc"}},
		{"ErrStripeToken", "external_ref", ledger.PaymentInput{Method: ledger.MethodStripe, ExternalRef: "tok_visa"}},
		{"ErrStripeMissingRef", "external_ref", ledger.PaymentInput{Method: ledger.MethodStripe}},
		{"ErrCardNumberInRef", "external_ref", ledger.PaymentInput{Method: ledger.MethodCardTerminal, ExternalRef: "5555-5555-5555-4444"}},
		{"ErrCardNumberInNote", "note", ledger.PaymentInput{Method: ledger.MethodCash, Note: "card 4000 0566 5566 5556 declined"}},
		{"ErrMethod", "method", ledger.PaymentInput{Method: "cheque"}},
		{"ErrStatus", "status", ledger.PaymentInput{Method: ledger.MethodCash, Status: ledger.StatusRefunded}},
		{"ErrAmount", "amount", ledger.PaymentInput{Method: ledger.MethodCash, Amount: -1}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.FolioID, in.BusinessDate = fol.ID, d("2027-03-10")
			if in.Amount == 0 {
				in.Amount = 100
			}
			_, err := f.s.RecordPayment(f.ctx, in)
			wantField(t, err, c.field)
		})
	}
	t.Run("CardTerminalReceiptIsFine", func(t *testing.T) {
		// A receipt number, an IBAN-length reference: not card numbers.
		must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCardTerminal, Amount: 100, ExternalRef: "TID 4711 receipt 000123", BusinessDate: d("2027-03-10")}))(t)
		must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodBankTransfer, Amount: 100, ExternalRef: "DE89370400440532013000", BusinessDate: d("2027-03-10")}))(t)
	})
	t.Run("ErrUnknownFolio", func(t *testing.T) {
		_, err := f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: "fol_nope", Method: ledger.MethodCash, Amount: 100, BusinessDate: d("2027-03-10")})
		wantCode(t, err, aura.ENOTFOUND)
	})
}

// TestPaymentIdempotency: a double-submitted payment is recorded once; the
// same key with another request is refused.
func TestPaymentIdempotency(t *testing.T) {
	f := newFixture(t)
	fol := f.guestFolio(t, "res_1")
	in := ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 5000, BusinessDate: d("2027-03-10"), IdempotencyKey: "pay-attempt-1"}
	t.Run("OK", func(t *testing.T) {
		a := must(f.s.RecordPayment(f.ctx, in))(t)
		b := must(f.s.RecordPayment(f.ctx, in))(t)
		if a.ID != b.ID || a.Replayed || !b.Replayed {
			t.Fatalf("first %s (replayed %v), second %s (replayed %v)", a.ID, a.Replayed, b.ID, b.Replayed)
		}
		if bal := must(f.s.FolioBalance(f.ctx, fol.ID))(t); bal.Payments != 5000 {
			t.Fatalf("payments = %d after a replay, want 5000", bal.Payments)
		}
		if n := f.auditCount(t, "payment.recorded"); n != 1 {
			t.Fatalf("%d payment.recorded rows", n)
		}
	})
	t.Run("ErrReusedKey", func(t *testing.T) {
		other := in
		other.Amount = 6000
		_, err := f.s.RecordPayment(f.ctx, other)
		wantField(t, err, "idempotency_key")
	})
	t.Run("RequestHashDecides", func(t *testing.T) {
		x := ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 100, BusinessDate: d("2027-03-10"), IdempotencyKey: "k2", RequestHash: []byte("body-1")}
		must(f.s.RecordPayment(f.ctx, x))(t)
		x.RequestHash = []byte("body-2")
		_, err := f.s.RecordPayment(f.ctx, x)
		wantField(t, err, "idempotency_key")
	})
}

func TestPaymentStatus(t *testing.T) {
	f := newFixture(t)
	fol := f.guestFolio(t, "res_1")
	pending := func(t *testing.T) ledger.Payment {
		return must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodStripe, Amount: 3000,
			Status: ledger.StatusPending, ExternalRef: "pi_pending1", BusinessDate: d("2027-03-10")}))(t)
	}
	t.Run("OK", func(t *testing.T) {
		p := pending(t)
		if b := must(f.s.FolioBalance(f.ctx, fol.ID))(t); b.Payments != 0 {
			t.Fatalf("a pending payment posted a line: %+v", b)
		}
		p = must(f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusSucceeded, "ch_3Mtw", d("2027-03-11"), p.Version))(t)
		if p.Status != ledger.StatusSucceeded || p.ExternalRef != "ch_3Mtw" || p.Version != 2 {
			t.Fatalf("payment = %+v", p)
		}
		v := must(f.s.Folio(f.ctx, fol.ID))(t)
		if v.Balance.Payments != 3000 || v.Lines[len(v.Lines)-1].BusinessDate != d("2027-03-11") {
			t.Fatalf("folio after success: %+v", v.Balance)
		}
		p = must(f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusDisputed, "", d("2027-03-12"), 0))(t)
		if p.Status != ledger.StatusDisputed {
			t.Fatalf("status %s", p.Status)
		}
		// A lost dispute is recorded as the payment's refund.
		must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, ExternalRef: "re_lostdispute", BusinessDate: d("2027-03-20")}))(t)
		if p = must(f.s.Payment(f.ctx, p.ID))(t); p.Status != ledger.StatusRefunded || p.Refunded != 3000 {
			t.Fatalf("after the lost dispute: %+v", p)
		}
	})
	t.Run("Failed", func(t *testing.T) {
		p := pending(t)
		p = must(f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusFailed, "", d("2027-03-10"), 0))(t)
		_, err := f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusSucceeded, "", d("2027-03-10"), 0)
		wantCode(t, err, aura.ECONFLICT)
		_, err = f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, BusinessDate: d("2027-03-10"), ExternalRef: "re_1"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrRefundedByHand", func(t *testing.T) {
		p := pending(t)
		_, err := f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusRefunded, "", d("2027-03-10"), 0)
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrStale", func(t *testing.T) {
		p := pending(t)
		_, err := f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusSucceeded, "", d("2027-03-10"), p.Version+1)
		wantCode(t, err, aura.EPRECONDITION)
	})
	t.Run("ErrBadStripeRef", func(t *testing.T) {
		p := pending(t)
		_, err := f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusSucceeded, "4242424242424242", d("2027-03-10"), 0)
		wantField(t, err, "external_ref")
	})
}

func TestRefunds(t *testing.T) {
	f := newFixture(t)
	fol := f.guestFolio(t, "res_1")
	p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 10000, BusinessDate: d("2027-03-10")}))(t)
	t.Run("OK", func(t *testing.T) {
		r := must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 4000, BusinessDate: d("2027-03-10"), Note: "Early departure"}))(t)
		if r.Kind != ledger.KindRefund || r.RefundOf != p.ID || r.Method != ledger.MethodCash || r.Amount != 4000 || r.Status != ledger.StatusSucceeded {
			t.Fatalf("refund = %+v", r)
		}
		if p2 := must(f.s.Payment(f.ctx, p.ID))(t); p2.Refunded != 4000 || p2.Status != ledger.StatusSucceeded {
			t.Fatalf("payment after a partial refund: %+v", p2)
		}
	})
	t.Run("ErrAboveWhatIsLeft", func(t *testing.T) {
		_, err := f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 6001, BusinessDate: d("2027-03-10")})
		wantField(t, err, "amount")
	})
	t.Run("PendingRefundCountsAgainstTheCap", func(t *testing.T) {
		r := must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 5000, Method: ledger.MethodBankTransfer, Status: ledger.StatusPending, BusinessDate: d("2027-03-10")}))(t)
		_, err := f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 1001, BusinessDate: d("2027-03-10")})
		wantField(t, err, "amount")
		if b := must(f.s.FolioBalance(f.ctx, fol.ID))(t); b.Refunds != 4000 {
			t.Fatalf("a pending refund posted: %+v", b)
		}
		must(f.s.SetPaymentStatus(f.ctx, r.ID, ledger.StatusSucceeded, "", d("2027-03-11"), 0))(t)
		// The rest, by default all that is left.
		must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, BusinessDate: d("2027-03-11")}))(t)
		p2 := must(f.s.Payment(f.ctx, p.ID))(t)
		if p2.Status != ledger.StatusRefunded || p2.Refunded != 10000 {
			t.Fatalf("payment after full refunds: %+v", p2)
		}
		if b := must(f.s.FolioBalance(f.ctx, fol.ID))(t); b.Balance != 0 || b.Refunds != 10000 {
			t.Fatalf("balance = %+v", b)
		}
	})
	t.Run("ErrRefundOfRefunded", func(t *testing.T) {
		_, err := f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 1, BusinessDate: d("2027-03-11")})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrStripeRefundNeedsStripeID", func(t *testing.T) {
		sp := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodStripe, Amount: 100, ExternalRef: "pi_abc", BusinessDate: d("2027-03-10")}))(t)
		_, err := f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: sp.ID, BusinessDate: d("2027-03-10"), ExternalRef: "refund-1"})
		wantField(t, err, "external_ref")
		must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: sp.ID, BusinessDate: d("2027-03-10"), ExternalRef: "re_abc"}))(t)
	})
	t.Run("CashierDay", func(t *testing.T) {
		day := must(f.s.Payments(f.ctx, ledger.PaymentFilter{PropertyID: f.prop, BusinessDate: d("2027-03-10")}))(t)
		byMethod := map[string]int64{}
		for _, p := range day {
			if p.Status == ledger.StatusFailed || p.Status == ledger.StatusPending {
				continue
			}
			if p.Kind == ledger.KindRefund {
				byMethod[p.Method] -= p.Amount
			} else {
				byMethod[p.Method] += p.Amount
			}
		}
		if byMethod[ledger.MethodCash] != 10000-4000 || byMethod[ledger.MethodStripe] != 0 {
			t.Fatalf("the day by method = %v (%d records)", byMethod, len(day))
		}
		_, err := f.s.Payments(f.ctx, ledger.PaymentFilter{PropertyID: f.prop})
		wantCode(t, err, aura.EINVALID)
	})
}
