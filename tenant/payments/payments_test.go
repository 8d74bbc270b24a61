package payments_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/stripemock"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
)

func TestTakePayment(t *testing.T) {
	f := newFixture(t, paid)
	t.Run("OK", func(t *testing.T) {
		mark := paid.Mark()
		p := must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, PaymentMethodID: "pm_1AuraCardVisa",
			BusinessDate: f.today, IdempotencyKey: key()}))(t)
		if p.Status != payments.StatusSucceeded || p.AmountReceived != paidAmount || !strings.HasPrefix(p.IntentID, "pi_") || p.ClientSecret != "" {
			t.Fatalf("payment = %+v", p)
		}
		reqs := paid.Since(mark, "POST", "/v1/payment_intents")
		wantKeys(t, reqs, 1, p.AttemptID, "intent")
		form := reqs[0].Form
		if form.Get("amount") != "4500" || form.Get("currency") != "eur" || form.Get("capture_method") != "automatic" ||
			form.Get("payment_method") != "pm_1AuraCardVisa" || form.Get("confirm") != "true" || form.Get("metadata[aura_payment]") != p.ID {
			t.Fatalf("the PaymentIntent request: %v", form)
		}
		lp := f.ledgerPayment(t, p)
		if lp.Method != ledger.MethodStripe || lp.Status != ledger.StatusSucceeded || lp.Amount != paidAmount || lp.ExternalRef != p.IntentID || lp.FolioID != f.folio.ID {
			t.Fatalf("ledger payment = %+v", lp)
		}
		if n := f.lines(t, lp.ID, "payment"); n != 1 {
			t.Fatalf("%d payment lines, want 1", n)
		}
		bal := must(f.led.FolioBalance(f.ctx, f.folio.ID))(t)
		if bal.Payments != paidAmount {
			t.Fatalf("balance = %+v", bal)
		}
		for _, action := range []string{"stripe.attempt_started", "stripe.payment_created", "stripe.payment_updated", "stripe.attempt_done", "payment.recorded"} {
			if f.auditCount(t, action) == 0 {
				t.Errorf("no %q audit row", action)
			}
		}
	})
	t.Run("Deposit", func(t *testing.T) {
		mark := paid.Mark()
		p := must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, Purpose: payments.PurposeDeposit,
			PaymentMethodID: "pm_1AuraCardVisa", BusinessDate: f.today, IdempotencyKey: key()}))(t)
		reqs := paid.Since(mark, "POST", "/v1/payment_intents")
		wantKeys(t, reqs, 1, p.AttemptID, "intent")
		if p.Purpose != payments.PurposeDeposit || !strings.Contains(reqs[0].Form.Get("description"), "Deposit") {
			t.Fatalf("deposit = %+v, description %q", p, reqs[0].Form.Get("description"))
		}
		if lp := f.ledgerPayment(t, p); lp.Status != ledger.StatusSucceeded || f.lines(t, lp.ID, "payment") != 1 {
			t.Fatalf("ledger payment of the deposit = %+v", lp)
		}
	})
	t.Run("Elements", func(t *testing.T) {
		// Without a PaymentMethod the browser confirms it: Aura hands out
		// the client secret, records no money, and waits for Stripe.
		e := newFixture(t, mock)
		p := must(e.s.TakePayment(e.ctx, payments.PaymentInput{FolioID: e.folio.ID, Amount: 12000, BusinessDate: e.today, IdempotencyKey: key()}))(t)
		if p.Status != payments.StatusRequiresPaymentMethod || !strings.Contains(p.ClientSecret, "_secret_") || p.LedgerPaymentID != "" {
			t.Fatalf("payment = %+v", p)
		}
		if n := e.count(t, `SELECT count(*) FROM ledger_payments`); n != 0 {
			t.Fatalf("%d ledger payments before Stripe said the payment succeeded", n)
		}
		stored := e.count(t, `SELECT count(*) FROM stripe_payments WHERE id = ?`, p.ID)
		if secretKept := e.count(t, `SELECT count(*) FROM audit_log WHERE instr(coalesce(before_json, '') || coalesce(after_json, ''), ?) > 0`, p.ClientSecret); stored != 1 || secretKept != 0 {
			t.Fatalf("payment rows %d, audit rows with the client secret %d", stored, secretKept)
		}
		must(0, e.deliver(t, event("payment_intent.succeeded", intent(p, "succeeded", nil))))(t)
		lp := e.ledgerPayment(t, p)
		if lp.Status != ledger.StatusSucceeded || lp.Amount != 12000 || e.lines(t, lp.ID, "payment") != 1 {
			t.Fatalf("ledger payment after the webhook = %+v", lp)
		}
	})
	bad := []struct {
		name, field string
		in          payments.PaymentInput
	}{
		{"ErrAmount", "amount", payments.PaymentInput{FolioID: f.folio.ID, Amount: 0, BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrPurpose", "purpose", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, Purpose: payments.PurposeNoShowFee, BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrCapture", "capture", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, Capture: "later", BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrNoKey", "idempotency_key", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, BusinessDate: f.today}},
		{"ErrCardNumberInNote", "note", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, Note: "card 4242 4242 4242 4242", BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrCardNumberAsMethod", "payment_method_id", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, PaymentMethodID: "4242424242424242", BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrCardNumberInMethod", "payment_method_id", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, PaymentMethodID: "pm_4242424242424242x", BusinessDate: f.today, IdempotencyKey: key()}},
		{"ErrNoDate", "business_date", payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, IdempotencyKey: key()}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			mark, before := paid.Mark(), f.stateCounts(t)
			_, err := f.s.TakePayment(f.ctx, c.in)
			wantField(t, err, c.field)
			if n := len(paid.Since(mark, "", "")); n != 0 || f.stateCounts(t) != before {
				t.Fatalf("a refused payment sent %d requests to Stripe or changed the file", n)
			}
		})
	}
	t.Run("ErrUnknownFolio", func(t *testing.T) {
		_, err := f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: "fol_nobody", Amount: 100, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ENOTFOUND)
	})
}

// TestDoubleSubmit: the same request twice (a double click, a retry after a
// lost answer, ten browsers at once) takes the money once. stripe-mock
// keeps no state, so "once" is shown on both sides: one payment row, one
// ledger payment and one folio line in the tenant file, and every request
// that reached Stripe carrying the one idempotency key derived from the
// attempt, which is what makes Stripe perform it once.
func TestDoubleSubmit(t *testing.T) {
	f := newFixture(t, paid)
	in := func(k string) payments.PaymentInput {
		return payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, PaymentMethodID: "pm_1AuraCardVisa", BusinessDate: f.today, IdempotencyKey: k}
	}
	once := func(t *testing.T, p payments.Payment) {
		t.Helper()
		if n := f.count(t, `SELECT count(*) FROM stripe_payments WHERE id IN (SELECT target_id FROM stripe_attempts WHERE id = ?)`, p.AttemptID); n != 1 {
			t.Fatalf("%d payment rows", n)
		}
		lp := f.ledgerPayment(t, p)
		if n := f.count(t, `SELECT count(*) FROM ledger_payments WHERE external_ref = ?`, p.IntentID); n != 1 {
			t.Fatalf("%d ledger payments of %s", n, p.IntentID)
		}
		if n := f.lines(t, lp.ID, "payment"); n != 1 {
			t.Fatalf("%d ledger payment lines", n)
		}
	}
	t.Run("Sequential", func(t *testing.T) {
		k, mark := key(), paid.Mark()
		first := must(f.s.TakePayment(f.ctx, in(k)))(t)
		again := must(f.s.TakePayment(f.ctx, in(k)))(t)
		if again.ID != first.ID || !again.Replayed || again.Status != payments.StatusSucceeded {
			t.Fatalf("second submit = %+v, first %+v", again, first)
		}
		wantKeys(t, paid.Since(mark, "POST", "/v1/payment_intents"), 1, first.AttemptID, "intent")
		once(t, first)
	})
	t.Run("Concurrent", func(t *testing.T) {
		k, mark := key(), paid.Mark()
		var wg sync.WaitGroup
		got := make([]payments.Payment, 10)
		errs := make([]error, 10)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = f.s.TakePayment(f.ctx, in(k))
			}()
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i].ID != got[0].ID {
				t.Fatalf("submit %d: %+v, %v (first %s)", i, got[i], errs[i], got[0].ID)
			}
		}
		wantKeys(t, paid.Since(mark, "POST", "/v1/payment_intents"), 1, got[0].AttemptID, "intent")
		p := must(f.s.Payment(f.ctx, got[0].ID))(t)
		p.AttemptID = got[0].AttemptID
		once(t, p)
	})
	t.Run("LostAnswer", func(t *testing.T) {
		// Stripe performs the request but the answer never arrives: the
		// retry must send the same key (Stripe would answer with the first
		// result rather than charge again).
		k, mark := key(), paid.Mark()
		paid.LoseAnswers(1)
		p, err := f.s.TakePayment(f.ctx, in(k))
		wantCode(t, err, aura.EUNAVAILABLE)
		if p.Status != payments.StatusCreating || p.LedgerPaymentID != "" {
			t.Fatalf("after a lost answer: %+v", p)
		}
		if a := must(f.s.Attempt(f.ctx, p.AttemptID))(t); a.Outcome != payments.OutcomeUnknown {
			t.Fatalf("attempt = %+v", a)
		}
		p = must(f.s.TakePayment(f.ctx, in(k)))(t)
		if p.Status != payments.StatusSucceeded {
			t.Fatalf("the retry: %+v", p)
		}
		wantKeys(t, paid.Since(mark, "POST", "/v1/payment_intents"), 2, p.AttemptID, "intent")
		once(t, p)
	})
	t.Run("Reconcile", func(t *testing.T) {
		k, mark := key(), paid.Mark()
		paid.LoseAnswers(1)
		p, err := f.s.TakePayment(f.ctx, in(k))
		wantCode(t, err, aura.EUNAVAILABLE)
		n := must(f.s.ReconcileOpen(f.ctx))(t)
		if n != 1 {
			t.Fatalf("ReconcileOpen settled %d attempts", n)
		}
		p = must(f.s.Payment(f.ctx, p.ID))(t)
		p.AttemptID = must(f.s.TakePayment(f.ctx, in(k)))(t).AttemptID // a late double click: answered from the file
		wantKeys(t, paid.Since(mark, "POST", "/v1/payment_intents"), 2, p.AttemptID, "intent")
		once(t, p)
	})
	t.Run("ErrKeyReused", func(t *testing.T) {
		k := key()
		must(f.s.TakePayment(f.ctx, in(k)))(t)
		other := in(k)
		other.Amount = 100
		_, err := f.s.TakePayment(f.ctx, other)
		wantField(t, err, "idempotency_key")
	})
}

// TestCardOnFile: a card saved with a SetupIntent (off-session use), then
// charged while the guest is away for a no-show and a cancellation fee.
func TestCardOnFile(t *testing.T) {
	f := newFixture(t, mock)
	mark := mock.Mark()
	card := must(f.s.SaveCard(f.ctx, payments.SaveCardInput{FolioID: f.folio.ID, IdempotencyKey: key()}))(t)
	if card.Status != payments.CardPending || !strings.HasPrefix(card.CustomerID, "cus_") || !strings.HasPrefix(card.SetupIntentID, "seti_") ||
		!strings.Contains(card.ClientSecret, "_secret_") {
		t.Fatalf("card = %+v", card)
	}
	wantKeys(t, mock.Since(mark, "POST", "/v1/customers"), 1, card.AttemptID, "customer")
	setup := mock.Since(mark, "POST", "/v1/setup_intents")
	wantKeys(t, setup, 1, card.AttemptID, "setup")
	if form := setup[0].Form; form.Get("usage") != "off_session" || form.Get("customer") != card.CustomerID || form.Get("payment_method_types[0]") != "card" {
		t.Fatalf("the SetupIntent request: %v", form)
	}
	t.Run("ErrPending", func(t *testing.T) {
		_, err := f.with(paid).ChargeCard(f.ctx, payments.ChargeInput{CardID: card.ID, Amount: paidAmount, Purpose: payments.PurposeNoShowFee, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ECONFLICT)
	})
	// The guest completes the SetupIntent in Stripe Elements; Stripe says so.
	must(0, f.deliver(t, event("setup_intent.succeeded", map[string]any{"id": card.SetupIntentID, "object": "setup_intent", "status": "succeeded",
		"usage": "off_session", "customer": card.CustomerID, "payment_method": "pm_1AuraCardOnFile", "livemode": false, "created": time.Now().Unix()})))(t)
	card = must(f.s.Card(f.ctx, card.ID))(t)
	if card.Status != payments.CardActive || card.PaymentMethodID != "pm_1AuraCardOnFile" {
		t.Fatalf("card after the webhook = %+v", card)
	}
	if f.auditCount(t, "stripe.card_saved") != 1 || f.auditCount(t, "stripe.card_updated") < 2 {
		t.Fatal("the card's changes are not audited")
	}
	for _, purpose := range []string{payments.PurposeNoShowFee, payments.PurposeCancellationFee} {
		t.Run(purpose, func(t *testing.T) {
			mark := paid.Mark()
			p := must(f.with(paid).ChargeCard(f.ctx, payments.ChargeInput{CardID: card.ID, Amount: paidAmount, Purpose: purpose, BusinessDate: f.today, IdempotencyKey: key()}))(t)
			if p.Status != payments.StatusSucceeded || p.Purpose != purpose || p.CardID != card.ID {
				t.Fatalf("charge = %+v", p)
			}
			reqs := paid.Since(mark, "POST", "/v1/payment_intents")
			wantKeys(t, reqs, 1, p.AttemptID, "intent")
			form := reqs[0].Form
			if form.Get("off_session") != "true" || form.Get("confirm") != "true" || form.Get("customer") != card.CustomerID || form.Get("payment_method") != card.PaymentMethodID {
				t.Fatalf("the off-session PaymentIntent request: %v", form)
			}
			if lp := f.ledgerPayment(t, p); lp.Status != ledger.StatusSucceeded || f.lines(t, lp.ID, "payment") != 1 {
				t.Fatalf("ledger payment = %+v", lp)
			}
		})
	}
	t.Run("ErrAuthenticationRequired", func(t *testing.T) {
		// The card's bank wants the cardholder, who is away. stripe-mock
		// cannot decline, so the proxy answers as Stripe does.
		paid.Answer(func(r stripemock.Request) (int, []byte, bool) {
			return http.StatusPaymentRequired, []byte(`{"error":{"type":"card_error","code":"authentication_required","decline_code":"authentication_required",
				"message":"This payment requires authentication."}}`), r.Path == "/v1/payment_intents"
		})
		defer paid.Answer(nil)
		lines := f.count(t, `SELECT count(*) FROM ledger_lines`)
		p, err := f.with(paid).ChargeCard(f.ctx, payments.ChargeInput{CardID: card.ID, Amount: paidAmount, Purpose: payments.PurposeNoShowFee, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ECONFLICT)
		if !strings.Contains(aura.ErrorMessage(err), "authenticate") || p.Status != payments.StatusFailed || p.ErrorCode != "authentication_required" || p.LedgerPaymentID != "" {
			t.Fatalf("declined charge = %+v, %s", p, aura.ErrorMessage(err))
		}
		if n := f.count(t, `SELECT count(*) FROM ledger_lines`); n != lines {
			t.Fatal("a declined charge posted a line")
		}
	})
}

// TestHold: a manual-capture PaymentIntent holds the amount with the expiry
// Stripe gives it; capturing it takes the money (and only then does the
// ledger see it); past its expiry it cannot be captured; a release
// cancels it.
func TestHold(t *testing.T) {
	f := newFixture(t, held)
	hold := func(t *testing.T) payments.Payment {
		t.Helper()
		p := must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, Capture: payments.CaptureManual,
			PaymentMethodID: "pm_1AuraCardVisa", BusinessDate: f.today, IdempotencyKey: key()}))(t)
		if p.Status != payments.StatusRequiresCapture || p.AmountCapturable != paidAmount || p.LedgerPaymentID != "" ||
			p.HoldExpiresAt == nil || !p.HoldExpiresAt.Equal(heldUntil) || p.HoldExpiryEstimated {
			t.Fatalf("hold = %+v", p)
		}
		return p
	}
	t.Run("Capture", func(t *testing.T) {
		mark := held.Mark()
		p := hold(t)
		if form := held.Since(mark, "POST", "/v1/payment_intents")[0].Form; form.Get("capture_method") != "manual" {
			t.Fatalf("the hold's request: %v", form)
		}
		if n := f.count(t, `SELECT count(*) FROM ledger_payments WHERE external_ref = ?`, p.IntentID); n != 0 {
			t.Fatal("a hold is recorded as money in the ledger")
		}
		t.Run("ErrAboveHold", func(t *testing.T) {
			_, err := f.with(paid).CaptureHold(f.ctx, payments.CaptureInput{PaymentID: p.ID, Amount: paidAmount + 1, BusinessDate: f.today, IdempotencyKey: key()})
			wantField(t, err, "amount")
		})
		mark = paid.Mark()
		c := must(f.with(paid).CaptureHold(f.ctx, payments.CaptureInput{PaymentID: p.ID, BusinessDate: f.today, IdempotencyKey: key()}))(t)
		if c.Status != payments.StatusSucceeded || c.AmountReceived != paidAmount {
			t.Fatalf("captured = %+v", c)
		}
		wantKeys(t, paid.Since(mark, "POST", "/v1/payment_intents/"+p.IntentID+"/capture"), 1, c.AttemptID, "capture")
		if lp := f.ledgerPayment(t, c); lp.Status != ledger.StatusSucceeded || lp.Amount != paidAmount || f.lines(t, lp.ID, "payment") != 1 {
			t.Fatalf("ledger payment of the capture = %+v", lp)
		}
	})
	t.Run("PartialCapture", func(t *testing.T) {
		p := hold(t)
		mark := paid.Mark()
		c := must(f.with(paid).CaptureHold(f.ctx, payments.CaptureInput{PaymentID: p.ID, Amount: 3000, BusinessDate: f.today, IdempotencyKey: key()}))(t)
		reqs := paid.Since(mark, "POST", "/v1/payment_intents/"+p.IntentID+"/capture")
		wantKeys(t, reqs, 1, c.AttemptID, "capture")
		if reqs[0].Form.Get("amount_to_capture") != "3000" {
			t.Fatalf("the capture request: %v", reqs[0].Form)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		p := hold(t)
		now := f.clock.Now()
		f.clock.Set(heldUntil.Add(time.Minute))
		defer f.clock.Set(now)
		mark := paid.Mark()
		_, err := f.with(paid).CaptureHold(f.ctx, payments.CaptureInput{PaymentID: p.ID, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ECONFLICT)
		if !strings.Contains(aura.ErrorMessage(err), "expired") || len(paid.Since(mark, "", "")) != 0 {
			t.Fatalf("capture past the expiry: %s", aura.ErrorMessage(err))
		}
	})
	t.Run("Release", func(t *testing.T) {
		p := hold(t)
		// stripe-mock answers a cancel with its fixture (still held); the
		// proxy answers as Stripe does: the intent cancelled.
		held.Answer(func(r stripemock.Request) (int, []byte, bool) {
			return 200, []byte(`{"id":"` + p.IntentID + `","object":"payment_intent","status":"canceled","amount":4500,"currency":"eur","capture_method":"manual","amount_capturable":0}`),
				r.Path == "/v1/payment_intents/"+p.IntentID+"/cancel"
		})
		defer held.Answer(nil)
		mark := held.Mark()
		c := must(f.s.CancelPayment(f.ctx, payments.CancelInput{PaymentID: p.ID, IdempotencyKey: key()}))(t)
		wantKeys(t, held.Since(mark, "POST", "/v1/payment_intents/"), 1, c.AttemptID, "cancel")
		if c.Status != payments.StatusCanceled || c.AmountCapturable != 0 || c.LedgerPaymentID != "" {
			t.Fatalf("released = %+v", c)
		}
		_, err := f.s.CaptureHold(f.ctx, payments.CaptureInput{PaymentID: p.ID, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("EstimatedExpiry", func(t *testing.T) {
		// When Stripe does not date the hold, Aura shows created + 7 days
		// and says it is an estimate.
		e := newFixture(t, mock)
		p := must(e.s.TakePayment(e.ctx, payments.PaymentInput{FolioID: e.folio.ID, Amount: 9000, Capture: payments.CaptureManual, BusinessDate: e.today, IdempotencyKey: key()}))(t)
		created := time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)
		must(0, e.deliver(t, event("payment_intent.amount_capturable_updated", intent(p, "requires_capture",
			map[string]any{"amount_capturable": 9000, "created": created.Unix(), "latest_charge": nil}))))(t)
		p = must(e.s.Payment(e.ctx, p.ID))(t)
		if p.Status != payments.StatusRequiresCapture || p.HoldExpiresAt == nil || !p.HoldExpiresAt.Equal(created.Add(7*24*time.Hour)) || !p.HoldExpiryEstimated {
			t.Fatalf("hold = %+v", p)
		}
	})
}

// TestRefund: full and partial refunds of a Stripe payment, each linked to
// it in the ledger, posted on the folio and capped by what was paid.
func TestRefund(t *testing.T) {
	f := newFixture(t, paid)
	p := must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, PaymentMethodID: "pm_1AuraCardVisa", BusinessDate: f.today, IdempotencyKey: key()}))(t)
	lp := f.ledgerPayment(t, p)
	refund := func(t *testing.T, store *payments.Store, srv *stripemock.Server, amount int64) payments.Refund {
		t.Helper()
		mark := srv.Mark()
		r := must(store.Refund(f.ctx, payments.RefundInput{PaymentID: p.ID, Amount: amount, BusinessDate: f.today, IdempotencyKey: key()}))(t)
		reqs := srv.Since(mark, "POST", "/v1/refunds")
		wantKeys(t, reqs, 1, r.AttemptID, "refund")
		if reqs[0].Form.Get("payment_intent") != p.IntentID || reqs[0].Form.Get("amount") != strconv.FormatInt(r.Amount, 10) {
			t.Fatalf("the refund request: %v", reqs[0].Form)
		}
		lr := must(f.led.Payment(f.ctx, r.LedgerRefundID))(t)
		if lr.Kind != ledger.KindRefund || lr.RefundOf != lp.ID || lr.Amount != r.Amount || r.PaymentID != p.ID {
			t.Fatalf("refund %+v, its ledger refund %+v (payment %s)", r, lr, lp.ID)
		}
		return r
	}
	t.Run("Partial", func(t *testing.T) {
		r := refund(t, f.s, paid, 1000)
		if r.Status != payments.RefundSucceeded || !strings.HasPrefix(r.RefundID, "re_") {
			t.Fatalf("refund = %+v", r)
		}
		if f.lines(t, r.LedgerRefundID, "refund") != 1 || must(f.led.Payment(f.ctx, lp.ID))(t).Refunded != 1000 {
			t.Fatal("the partial refund is not posted against the payment")
		}
	})
	t.Run("Pending", func(t *testing.T) {
		// Stripe answers pending; the webhook settles it later.
		r := refund(t, f.with(held), held, 500)
		if r.Status != payments.RefundPending || f.lines(t, r.LedgerRefundID, "refund") != 0 {
			t.Fatalf("pending refund = %+v", r)
		}
		must(0, f.deliver(t, event("refund.updated", map[string]any{"id": r.RefundID, "object": "refund", "status": "succeeded",
			"amount": r.Amount, "currency": "eur", "payment_intent": p.IntentID})))(t)
		r = must(f.s.Refunds(f.ctx, p.ID))(t)[1]
		if r.Status != payments.RefundSucceeded || f.lines(t, r.LedgerRefundID, "refund") != 1 {
			t.Fatalf("refund after the webhook = %+v", r)
		}
	})
	t.Run("ErrAboveWhatIsLeft", func(t *testing.T) {
		mark := paid.Mark()
		_, err := f.s.Refund(f.ctx, payments.RefundInput{PaymentID: p.ID, Amount: paidAmount, BusinessDate: f.today, IdempotencyKey: key()})
		wantField(t, err, "amount")
		if len(paid.Since(mark, "", "")) != 0 {
			t.Fatal("a refund above the payment reached Stripe")
		}
	})
	t.Run("Full", func(t *testing.T) {
		r := refund(t, f.s, paid, 0) // all that is left
		if r.Amount != paidAmount-1500 || r.Status != payments.RefundSucceeded {
			t.Fatalf("refund = %+v", r)
		}
		if got := must(f.led.Payment(f.ctx, lp.ID))(t); got.Status != ledger.StatusRefunded || got.Refunded != paidAmount {
			t.Fatalf("ledger payment after the full refund = %+v", got)
		}
		bal := must(f.led.FolioBalance(f.ctx, f.folio.ID))(t)
		if bal.Payments != paidAmount || bal.Refunds != paidAmount {
			t.Fatalf("balance = %+v", bal)
		}
		_, err := f.s.Refund(f.ctx, payments.RefundInput{PaymentID: p.ID, Amount: 1, BusinessDate: f.today, IdempotencyKey: key()})
		if err == nil {
			t.Fatal("a refunded payment was refunded again")
		}
	})
	if n := f.auditCount(t, "refund.recorded"); n != 3 {
		t.Errorf("%d refund.recorded audit rows, want 3", n)
	}
	if n := f.auditCount(t, "stripe.refund_created"); n != 3 {
		t.Errorf("%d stripe.refund_created audit rows, want 3", n)
	}
	t.Run("ErrNotPaid", func(t *testing.T) {
		e := newFixture(t, mock)
		q := must(e.s.TakePayment(e.ctx, payments.PaymentInput{FolioID: e.folio.ID, Amount: 100, BusinessDate: e.today, IdempotencyKey: key()}))(t)
		_, err := e.s.Refund(e.ctx, payments.RefundInput{PaymentID: q.ID, BusinessDate: e.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ECONFLICT)
	})
}

// TestVirtualCard: an OTA virtual card is charged only from its activation
// date and only up to its amount.
func TestVirtualCard(t *testing.T) {
	f := newFixture(t, mock)
	activation := f.today.AddDays(2)
	card := must(f.s.AddVirtualCard(f.ctx, payments.VirtualCardInput{FolioID: f.folio.ID, PaymentMethodID: "pm_1AuraVirtualCard",
		ActivationDate: activation, MaxAmount: 2 * paidAmount, Source: "booking.com"}))(t)
	if card.Kind != payments.CardVirtual || card.Status != payments.CardActive || card.Currency != "EUR" {
		t.Fatalf("card = %+v", card)
	}
	charge := func(amount int64, day string) (payments.Payment, error) {
		d := f.today
		if day == "activation" {
			d = activation
		}
		return f.with(paid).ChargeCard(f.ctx, payments.ChargeInput{CardID: card.ID, Amount: amount, Purpose: payments.PurposePayment,
			BusinessDate: d, IdempotencyKey: key()})
	}
	noCharge := func(t *testing.T, mark int, before string) {
		t.Helper()
		if n := len(paid.Since(mark, "", "")); n != 0 || f.stateCounts(t) != before {
			t.Fatalf("a refused charge sent %d requests to Stripe or changed the file", n)
		}
	}
	t.Run("ErrBeforeActivation", func(t *testing.T) {
		mark, before := paid.Mark(), f.stateCounts(t)
		_, err := charge(paidAmount, "today")
		wantCode(t, err, aura.ECONFLICT)
		if !strings.Contains(aura.ErrorMessage(err), activation.String()) {
			t.Fatalf("message: %s", aura.ErrorMessage(err))
		}
		noCharge(t, mark, before)
		// Claiming the activation date as today's business date does not
		// help while it is not yet that date anywhere on Earth.
		_, err = charge(paidAmount, "activation")
		wantField(t, err, "business_date")
		noCharge(t, mark, before)
	})
	f.clock.Advance(48 * time.Hour)
	t.Run("OK", func(t *testing.T) {
		p := must(charge(paidAmount, "activation"))(t)
		if p.Status != payments.StatusSucceeded || p.PaymentMethodID != "pm_1AuraVirtualCard" {
			t.Fatalf("charge = %+v", p)
		}
		if lp := f.ledgerPayment(t, p); f.lines(t, lp.ID, "payment") != 1 {
			t.Fatal("the charge is not posted")
		}
	})
	t.Run("ErrAboveAmount", func(t *testing.T) {
		mark, before := paid.Mark(), f.stateCounts(t)
		_, err := charge(paidAmount+1, "activation")
		wantField(t, err, "amount")
		noCharge(t, mark, before)
	})
	t.Run("UpToAmount", func(t *testing.T) {
		must(charge(paidAmount, "activation"))(t)
		if c := must(f.s.Card(f.ctx, card.ID))(t); c.Charged != 2*paidAmount {
			t.Fatalf("card = %+v", c)
		}
		mark, before := paid.Mark(), f.stateCounts(t)
		_, err := charge(1, "activation")
		wantField(t, err, "amount")
		noCharge(t, mark, before)
	})
	t.Run("ErrCardNumber", func(t *testing.T) {
		_, err := f.s.AddVirtualCard(f.ctx, payments.VirtualCardInput{FolioID: f.folio.ID, PaymentMethodID: "4111111111111111",
			ActivationDate: activation, MaxAmount: 100, Source: "booking.com"})
		wantField(t, err, "payment_method_id")
		_, err = f.s.AddVirtualCard(f.ctx, payments.VirtualCardInput{FolioID: f.folio.ID, PaymentMethodID: "pm_1AuraOther",
			ActivationDate: activation, MaxAmount: 100, Source: "4111111111111111"})
		wantField(t, err, "source")
	})
}

// TestManualMethods: cash, card terminal, bank transfer and city ledger are
// recorded by hand in the ledger (no Stripe), each posted and audited.
func TestManualMethods(t *testing.T) {
	f := newFixture(t, mock)
	mark := mock.Mark()
	var total int64
	for i, method := range []string{ledger.MethodCash, ledger.MethodCardTerminal, ledger.MethodBankTransfer, ledger.MethodCityLedger} {
		amount := int64(1000 * (i + 1))
		lp := must(f.led.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: f.folio.ID, Method: method, Amount: amount,
			ExternalRef: "receipt " + method, BusinessDate: f.today, IdempotencyKey: key()}))(t)
		if lp.Status != ledger.StatusSucceeded || lp.Method != method || f.lines(t, lp.ID, "payment") != 1 {
			t.Fatalf("%s: %+v", method, lp)
		}
		total += amount
	}
	if n := f.auditCount(t, "payment.recorded"); n != 4 {
		t.Fatalf("%d payment.recorded audit rows, want 4", n)
	}
	if bal := must(f.led.FolioBalance(f.ctx, f.folio.ID))(t); bal.Payments != total {
		t.Fatalf("balance = %+v", bal)
	}
	if n := len(mock.Since(mark, "", "")); n != 0 {
		t.Fatalf("recording payments by hand sent %d requests to Stripe", n)
	}
	t.Run("ErrCardNumber", func(t *testing.T) {
		_, err := f.led.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: f.folio.ID, Method: ledger.MethodCardTerminal, Amount: 100,
			ExternalRef: "4242424242424242", BusinessDate: f.today})
		wantField(t, err, "external_ref")
	})
}
