package payments_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
)

// webhookServer is the delivery path Stripe uses, in process: an HTTP
// server that hands the raw body, the Stripe-Signature header and the time
// of receipt to payments.HandleWebhook and answers 400 for EINVALID, 500
// for any other error and 200 otherwise — what the route
// /{tenant}/stripe/webhook does with it.
func webhookServer(t *testing.T, f *fixture) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		err = payments.HandleWebhook(r.Context(), f.db, body, r.Header.Get("Stripe-Signature"), f.clock.Now())
		switch aura.ErrorCode(err) {
		case "":
			w.WriteHeader(http.StatusOK)
		case aura.EINVALID:
			http.Error(w, aura.ErrorMessage(err), http.StatusBadRequest)
		default:
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// post delivers a signed body as Stripe does and returns the status and
// the answer's text.
func post(t *testing.T, url string, body []byte, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(msg))
}

func TestWebhook(t *testing.T) {
	f := newFixture(t, mock)
	srv := webhookServer(t, f)
	send := func(t *testing.T, ev map[string]any) {
		t.Helper()
		body, sig := sign(t, ev, whsec, f.clock.Now())
		if status, msg := post(t, srv.URL, body, sig); status != http.StatusOK {
			t.Fatalf("%s: %d %s", ev["type"], status, msg)
		}
	}
	// Payments the cardholder confirms in the browser: Stripe's webhooks
	// are what moves them.
	pending := func(t *testing.T, amount int64) payments.Payment {
		t.Helper()
		return must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: amount, BusinessDate: f.today, IdempotencyKey: key()}))(t)
	}

	t.Run("Succeeded", func(t *testing.T) {
		p := pending(t, 3000)
		send(t, event("payment_intent.succeeded", intent(p, "succeeded", nil)))
		p = must(f.s.Payment(f.ctx, p.ID))(t)
		lp := f.ledgerPayment(t, p)
		if p.Status != payments.StatusSucceeded || lp.Status != ledger.StatusSucceeded || lp.Amount != 3000 || f.lines(t, lp.ID, "payment") != 1 {
			t.Fatalf("payment %+v, ledger %+v", p, lp)
		}
		if f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'stripe.event_processed' AND after_json LIKE '%payment succeeded%'`) == 0 {
			t.Fatal("the event is not audited")
		}
	})
	t.Run("Failed", func(t *testing.T) {
		// An asynchronous payment processing, then failed: the pending
		// ledger payment fails and no line is ever posted.
		p := pending(t, 2000)
		send(t, event("payment_intent.processing", intent(p, "processing", nil)))
		lp := f.ledgerPayment(t, p)
		if lp.Status != ledger.StatusPending {
			t.Fatalf("ledger payment while processing = %+v", lp)
		}
		send(t, event("payment_intent.payment_failed", intent(p, "requires_payment_method", map[string]any{
			"last_payment_error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}})))
		p = must(f.s.Payment(f.ctx, p.ID))(t)
		lp = must(f.led.Payment(f.ctx, lp.ID))(t)
		if p.Status != payments.StatusFailed || p.ErrorCode != "insufficient_funds" || lp.Status != ledger.StatusFailed || f.lines(t, lp.ID, "payment") != 0 {
			t.Fatalf("payment %+v, ledger %+v", p, lp)
		}
	})
	t.Run("Refunded", func(t *testing.T) {
		// A refund made in Stripe's dashboard arrives as charge.refunded:
		// recorded as a refund linked to the payment, and posted.
		p := pending(t, 5000)
		send(t, event("payment_intent.succeeded", intent(p, "succeeded", nil)))
		lp := f.ledgerPayment(t, p)
		send(t, event("charge.refunded", map[string]any{"id": "ch_1AuraDashboard", "object": "charge", "amount": 5000, "currency": "eur",
			"payment_intent": p.IntentID, "refunded": true, "refunds": map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "re_1AuraDashboard", "object": "refund", "amount": 2000, "currency": "eur", "status": "succeeded", "payment_intent": p.IntentID}}}}))
		rs := must(f.s.Refunds(f.ctx, p.ID))(t)
		if len(rs) != 1 || rs[0].RefundID != "re_1AuraDashboard" || rs[0].Status != payments.RefundSucceeded || rs[0].Amount != 2000 {
			t.Fatalf("refunds = %+v", rs)
		}
		lr := must(f.led.Payment(f.ctx, rs[0].LedgerRefundID))(t)
		if lr.RefundOf != lp.ID || lr.Status != ledger.StatusSucceeded || f.lines(t, lr.ID, "refund") != 1 || f.auditCount(t, "refund.recorded") == 0 {
			t.Fatalf("ledger refund = %+v", lr)
		}
		// The same refund again as refund.updated (Stripe sends both):
		// a different event, the same refund, recorded once.
		send(t, event("refund.updated", map[string]any{"id": "re_1AuraDashboard", "object": "refund", "amount": 2000, "currency": "eur",
			"status": "succeeded", "payment_intent": p.IntentID}))
		if n := len(must(f.s.Refunds(f.ctx, p.ID))(t)); n != 1 || must(f.led.Payment(f.ctx, lp.ID))(t).Refunded != 2000 {
			t.Fatalf("%d refunds after the second event", n)
		}
	})
	t.Run("Disputed", func(t *testing.T) {
		p := pending(t, 4000)
		send(t, event("payment_intent.succeeded", intent(p, "succeeded", nil)))
		lp := f.ledgerPayment(t, p)
		dispute := func(status string) map[string]any {
			return map[string]any{"id": "dp_1AuraDispute", "object": "dispute", "amount": 4000, "currency": "eur", "status": status,
				"charge": "ch_1AuraDisputed", "payment_intent": p.IntentID, "reason": "fraudulent"}
		}
		send(t, event("charge.dispute.created", dispute("needs_response")))
		if got := must(f.led.Payment(f.ctx, lp.ID))(t); got.Status != ledger.StatusDisputed {
			t.Fatalf("ledger payment after the dispute = %+v", got)
		}
		send(t, event("charge.dispute.closed", dispute("lost")))
		got := must(f.led.Payment(f.ctx, lp.ID))(t)
		if got.Refunded != 4000 || f.count(t, `SELECT count(*) FROM ledger_payments WHERE refund_of = ? AND note = 'Dispute lost'`, lp.ID) != 1 {
			t.Fatalf("ledger payment after the lost dispute = %+v", got)
		}
	})
	t.Run("DisputeWon", func(t *testing.T) {
		p := pending(t, 1500)
		send(t, event("payment_intent.succeeded", intent(p, "succeeded", nil)))
		lp := f.ledgerPayment(t, p)
		d := map[string]any{"id": "dp_1AuraWon", "object": "dispute", "amount": 1500, "currency": "eur", "charge": "ch_1AuraWon", "payment_intent": p.IntentID}
		d["status"] = "needs_response"
		send(t, event("charge.dispute.created", d))
		d["status"] = "won"
		send(t, event("charge.dispute.closed", d))
		if got := must(f.led.Payment(f.ctx, lp.ID))(t); got.Status != ledger.StatusSucceeded || got.Refunded != 0 {
			t.Fatalf("ledger payment after the won dispute = %+v", got)
		}
	})
	t.Run("Replayed", func(t *testing.T) {
		p := pending(t, 2500)
		ev := event("payment_intent.succeeded", intent(p, "succeeded", nil))
		send(t, ev)
		before := f.stateCounts(t)
		// The same event again, freshly signed (as Stripe's retries are),
		// and a refund event replayed after it: nothing changes.
		send(t, ev)
		send(t, ev)
		if after := f.stateCounts(t); after != before {
			t.Fatalf("a replayed event changed the file: %s → %s", before, after)
		}
		if n := f.count(t, `SELECT count(*) FROM stripe_events WHERE id = ?`, ev["id"]); n != 1 {
			t.Fatalf("%d rows of the event", n)
		}
		// A replay that would move state back if applied again: the
		// dispute's opening, replayed after it was won.
		lp := f.ledgerPayment(t, p)
		d := map[string]any{"id": "dp_1AuraReplay", "object": "dispute", "amount": 2500, "currency": "eur", "charge": "ch_1AuraReplay",
			"payment_intent": p.IntentID, "status": "needs_response"}
		opened := event("charge.dispute.created", d)
		send(t, opened)
		won := map[string]any{}
		for k, v := range d {
			won[k] = v
		}
		won["status"] = "won"
		send(t, event("charge.dispute.closed", won))
		before = f.stateCounts(t)
		send(t, opened)
		if got := must(f.led.Payment(f.ctx, lp.ID))(t); got.Status != ledger.StatusSucceeded || f.stateCounts(t) != before {
			t.Fatalf("the replayed dispute opening moved the payment back to %s", got.Status)
		}
	})
	t.Run("OtherTenantsObject", func(t *testing.T) {
		// An intent another tenant created on the same Stripe account: not ours.
		before := must(f.led.FolioBalance(f.ctx, f.folio.ID))(t)
		send(t, event("payment_intent.succeeded", map[string]any{"id": "pi_1SomeoneElse", "object": "payment_intent", "amount": 9900, "currency": "eur",
			"status": "succeeded", "amount_received": 9900, "metadata": map[string]any{"aura_tenant": "tnt_other", "aura_payment": "stp_other"}}))
		if after := must(f.led.FolioBalance(f.ctx, f.folio.ID))(t); after != before {
			t.Fatalf("another tenant's payment moved this folio: %+v → %+v", before, after)
		}
	})

	// What the route must refuse with 400 and a clear message, changing nothing.
	p := pending(t, 1000)
	valid := func() map[string]any { return event("payment_intent.succeeded", intent(p, "succeeded", nil)) }
	refused := []struct {
		name, want string
		body       func(t *testing.T) ([]byte, string)
	}{
		{"ErrForged", "does not match", func(t *testing.T) ([]byte, string) {
			return sign(t, valid(), "whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQ", f.clock.Now())
		}},
		{"ErrTampered", "does not match", func(t *testing.T) ([]byte, string) {
			body, sig := sign(t, valid(), whsec, f.clock.Now())
			return bytes.Replace(body, []byte(`"amount":1000`), []byte(`"amount":9000`), 1), sig
		}},
		{"ErrReencoded", "does not match", func(t *testing.T) ([]byte, string) {
			// The signature is over the raw bytes: the same JSON re-indented
			// is not what Stripe signed.
			body, sig := sign(t, valid(), whsec, f.clock.Now())
			var out bytes.Buffer
			json.Indent(&out, body, "", "  ")
			return out.Bytes(), sig
		}},
		{"ErrStale", "more than 300 seconds", func(t *testing.T) ([]byte, string) {
			return sign(t, valid(), whsec, f.clock.Now().Add(-5*time.Minute-time.Second))
		}},
		{"ErrFuture", "more than 300 seconds", func(t *testing.T) ([]byte, string) {
			return sign(t, valid(), whsec, f.clock.Now().Add(6*time.Minute))
		}},
		{"ErrUnsigned", "no Stripe-Signature", func(t *testing.T) ([]byte, string) {
			body, _ := sign(t, valid(), whsec, f.clock.Now())
			return body, ""
		}},
		{"ErrMalformedHeader", "malformed", func(t *testing.T) ([]byte, string) {
			body, _ := sign(t, valid(), whsec, f.clock.Now())
			return body, "t=yesterday,v1=abc"
		}},
		{"ErrOtherAccount", "another Stripe account", func(t *testing.T) ([]byte, string) {
			ev := valid()
			ev["account"] = "acct_1SomeOtherHotel"
			return sign(t, ev, whsec, f.clock.Now())
		}},
		{"ErrLivemode", "live event", func(t *testing.T) ([]byte, string) {
			ev := valid()
			ev["livemode"] = true
			return sign(t, ev, whsec, f.clock.Now())
		}},
		{"ErrNotJSON", "not a Stripe event", func(t *testing.T) ([]byte, string) {
			return signRaw([]byte("amount=1000&currency=eur"), whsec, f.clock.Now())
		}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := f.stateCounts(t)
			body, sig := c.body(t)
			status, msg := post(t, srv.URL, body, sig)
			if status != http.StatusBadRequest || !strings.Contains(msg, c.want) {
				t.Fatalf("answer %d %q, want 400 with %q", status, msg, c.want)
			}
			if after := f.stateCounts(t); after != before {
				t.Fatalf("a refused delivery changed the file: %s → %s", before, after)
			}
		})
	}
	t.Run("StaleBoundary", func(t *testing.T) {
		// Just inside the tolerance is accepted: the 300 s are the limit.
		body, sig := sign(t, valid(), whsec, f.clock.Now().Add(-5*time.Minute+time.Second))
		if status, msg := post(t, srv.URL, body, sig); status != http.StatusOK {
			t.Fatalf("%d %s", status, msg)
		}
		if got := must(f.s.Payment(f.ctx, p.ID))(t); got.Status != payments.StatusSucceeded {
			t.Fatalf("payment = %+v", got)
		}
	})
	t.Run("ErrNoSecret", func(t *testing.T) {
		// A tenant without Stripe, and one whose webhook secret is not set
		// yet, cannot verify anything: refused, not accepted unverified.
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "bare")
		env.CreateTenant(t, "nohook")
		bare, nohook := env.Acquire(t, "bare"), env.Acquire(t, "nohook")
		must(payments.New(nohook, payments.Options{Backend: mock.Backend(nil)}).Configure(f.ctx,
			payments.SettingsInput{AccountID: account, PublishableKey: pkTest, SecretKey: skTest}))(t)
		body, sig := sign(t, valid(), whsec, time.Now())
		for _, db := range []*tenant.DB{bare, nohook} {
			err := payments.HandleWebhook(f.ctx, db, body, sig, time.Now())
			wantCode(t, err, aura.EINVALID)
			if !strings.Contains(aura.ErrorMessage(err), "signing secret") {
				t.Fatalf("message: %s", aura.ErrorMessage(err))
			}
		}
	})
}
