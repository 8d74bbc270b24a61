package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/stripemock"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

const (
	testWhsec   = "whsec_c2VjcmV0LWZvci1zZXJ2ZXItdGVzdHM"
	testSecret  = "sk_test_51AuraServerKey0123456789"
	testPublish = "pk_test_51AuraServerKey0123456789"
	testAccount = "acct_1AuraServerHotel"
)

// wantStripeCSP is the folio page's policy with Stripe set up, written out
// here by hand from Stripe's documented origins (Stripe.js and Elements:
// script and frames from js.stripe.com and its subdomains, 3-D Secure
// frames from hooks.stripe.com, calls to api.stripe.com): nothing else
// is allowed beyond Aura's own policy.
const wantStripeCSP = "default-src 'none'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self' https://api.stripe.com; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const defaultCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// switchBackend lets a test move the server between stripe-mock servers
// that answer differently (a PaymentIntent succeeded, or held).
type switchBackend struct {
	stripe.Backend
}

// stripeEnv is a server over real tenant files whose Stripe calls go to
// stripe-mock: mock answers as stripe-mock does out of the box (every
// intent waiting for the cardholder), paid answers PaymentIntents as
// succeeded, held as holds with a capture_before.
type stripeEnv struct {
	h                *harness
	f                *pmsFixture
	sw               *switchBackend
	mock, paid, held *stripemock.Server
	keys             atomic.Int64
	logs             lockedBuffer // the server's logs at debug level
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

var stripeHeldUntil = time.Date(2030, 1, 8, 12, 0, 0, 0, time.UTC)

func newStripeEnv(t testing.TB) *stripeEnv {
	t.Helper()
	e := &stripeEnv{}
	type started struct {
		s   *stripemock.Server
		err error
	}
	run := func(opt stripemock.Options) chan started {
		c := make(chan started, 1)
		go func() { s, err := stripemock.Run(opt); c <- started{s, err} }()
		return c
	}
	a := run(stripemock.Options{})
	b := run(stripemock.Options{Fixtures: map[string]map[string]any{
		"payment_intent": {"status": "succeeded", "amount": 4500, "amount_received": 4500, "currency": "eur", "last_payment_error": nil},
	}})
	c := run(stripemock.Options{Fixtures: map[string]map[string]any{
		"payment_intent": {"status": "requires_capture", "capture_method": "manual", "amount": 4500, "amount_capturable": 4500,
			"currency": "eur", "last_payment_error": nil, "latest_charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8"},
		"charge": {"currency": "eur", "payment_method_details": map[string]any{"type": "card",
			"card": map[string]any{"brand": "visa", "last4": "4242", "capture_before": stripeHeldUntil.Unix()}}},
	}})
	for _, r := range []struct {
		c   chan started
		dst **stripemock.Server
	}{{a, &e.mock}, {b, &e.paid}, {c, &e.held}} {
		res := <-r.c
		if res.err != nil {
			t.Fatal(res.err)
		}
		*r.dst = res.s
		t.Cleanup(res.s.Close)
	}
	e.sw = &switchBackend{Backend: e.mock.Backend(nil)}
	e.h = newHarness(t, harnessOpts{stripe: e.sw, logs: &e.logs})
	e.f = newPMS(t, e.h, "spree", 3)
	return e
}

// use points the server's Stripe calls at s.
func (e *stripeEnv) use(s *stripemock.Server) { e.sw.Backend = s.Backend(nil) }

func (e *stripeEnv) key() string { return "key-" + strconv.FormatInt(e.keys.Add(1), 10) }

func (e *stripeEnv) configure(t testing.TB) {
	t.Helper()
	resp, body := e.f.api("PUT", "/stripe/settings", fmt.Sprintf(`{"account_id": %q, "publishable_key": %q, "secret_key": %q, "webhook_secret": %q}`,
		testAccount, testPublish, testSecret, testWhsec))
	if resp.StatusCode != 200 {
		t.Fatalf("configure Stripe: %d %s", resp.StatusCode, body)
	}
}

// deliver posts a signed event to the webhook route as Stripe does.
func (e *stripeEnv) deliver(t testing.TB, slug string, body []byte, signedAt time.Time, secret string) (*http.Response, string) {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: signedAt})
	return e.h.do(req{method: "POST", path: "/" + slug + "/stripe/webhook", raw: sp.Payload, contentType: "application/json; charset=utf-8",
		header: map[string]string{"Stripe-Signature": sp.Header}})
}

var eventSeq atomic.Int64

func stripeEvent(typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "evt_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "S" + strconv.FormatInt(eventSeq.Add(1), 36), "object": "event",
		"api_version": stripe.APIVersion, "created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1, "type": typ,
		"request": map[string]any{"id": nil, "idempotency_key": nil}, "data": map[string]any{"object": obj},
	})
	return b
}

func (e *stripeEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	db := e.h.acquire(e.f.t.Slug)
	defer db.Release()
	var n int
	if err := db.View(context.Background(), func(tx *tenant.Tx) error { return tx.QueryRow(query, args...).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStripeHTTP drives Stripe over HTTP against stripe-mock: the settings
// (secrets sealed, never shown, owner and manager only), the webhook route
// (signed events applied once; forged, stale, malformed and oversized
// deliveries refused; an unknown tenant 404 without a file opened), the
// folio page's CSP (Stripe's origins exactly, only there, only once
// Stripe is set up) and every card action of the API with its
// idempotency key (a double submit reaches Stripe once).
func TestStripeHTTP(t *testing.T) {
	e := newStripeEnv(t)
	f := e.f
	_, folio := moneySetup(t, f)
	folioPath := "/folios/" + folio.ID
	f.signIn()

	t.Run("NotSetUp", func(t *testing.T) {
		resp, body := f.api("GET", "/stripe/settings", "")
		if resp.StatusCode != 200 || decode[pms.StripeSettingsView](t, body).Configured || !strings.Contains(body, "/spree/stripe/webhook") {
			t.Fatalf("settings before set-up: %d %s", resp.StatusCode, body)
		}
		// A card action says what is missing, as a 409 (not a server error).
		resp, body = f.api("POST", folioPath+"/stripe/payments", `{"amount": 1000}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 409 || !strings.Contains(body, "Stripe is not set up") {
			t.Fatalf("payment without Stripe: %d %s", resp.StatusCode, body)
		}
		// The folio page keeps Aura's own policy and has no Stripe part.
		resp, body = f.page("GET", folioPath, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != defaultCSP || strings.Contains(body, "stripe-elements") || strings.Contains(body, "js.stripe.com") {
			t.Fatalf("folio page without Stripe: %d CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		// A webhook for a tenant without a signing secret is refused.
		if resp, body := e.deliver(t, "spree", stripeEvent("payment_intent.succeeded", map[string]any{"id": "pi_1x", "object": "payment_intent"}), time.Now(), testWhsec); resp.StatusCode != 400 {
			t.Fatalf("webhook before set-up: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Settings", func(t *testing.T) {
		// Invalid keys: 400 naming the fields.
		resp, body := f.api("PUT", "/stripe/settings", `{"account_id": "acct_1x", "publishable_key": "pk_live_12345678", "secret_key": "sk_test_12345678"}`)
		if resp.StatusCode != 400 || !strings.Contains(body, "secret_key") {
			t.Fatalf("mixed modes: %d %s", resp.StatusCode, body)
		}
		e.configure(t)
		resp, body = f.api("GET", "/stripe/settings", "")
		if resp.StatusCode != 200 || !decode[pms.StripeSettingsView](t, body).HasSecretKey || !decode[pms.StripeSettingsView](t, body).HasWebhookSecret || !strings.Contains(body, testPublish) {
			t.Fatalf("settings: %d %s", resp.StatusCode, body)
		}
		if strings.Contains(body, testSecret) || strings.Contains(body, testWhsec) {
			t.Fatalf("the API shows a secret: %s", body)
		}
		// Sealed in the file: the secrets are not there in plain text.
		if n := e.count(t, `SELECT count(*) FROM stripe_settings WHERE CAST(secret_key AS TEXT) LIKE '%sk_test_%' OR CAST(webhook_secret AS TEXT) LIKE '%whsec_%'`); n != 0 {
			t.Fatal("a Stripe secret is stored in plain text")
		}
		// The page: publishable key shown, secrets never, not even after a
		// refused save that typed them.
		resp, body = f.page("GET", "/settings/stripe", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, testPublish) || strings.Contains(body, testSecret) || strings.Contains(body, testWhsec) {
			t.Fatalf("settings page: %d", resp.StatusCode)
		}
		resp, body = f.page("POST", "/settings/stripe", url.Values{"account_id": {"nope"}, "publishable_key": {testPublish},
			"secret_key": {"sk_test_typedButRefused1"}, "webhook_secret": {"whsec_typedButRefused1"}})
		if resp.StatusCode != 400 || strings.Contains(body, "typedButRefused") || !strings.Contains(body, "acct_") {
			t.Fatalf("refused save: %d (secret echoed: %v)", resp.StatusCode, strings.Contains(body, "typedButRefused"))
		}
		// Saved with the secrets left empty: they are kept.
		resp, _ = f.page("POST", "/settings/stripe", url.Values{"account_id": {testAccount}, "publishable_key": {testPublish}})
		if resp.StatusCode != 303 {
			t.Fatalf("save keeping the secrets: %d", resp.StatusCode)
		}
		if _, body := f.api("GET", "/stripe/settings", ""); !decode[pms.StripeSettingsView](t, body).HasWebhookSecret {
			t.Fatalf("the webhook secret was lost: %s", body)
		}
		// Front desk and accountant may not touch the keys.
		db := e.h.acquire(f.t.Slug)
		ctx := aura.WithActor(context.Background(), f.owner.Actor())
		for _, role := range []string{identity.RoleFrontDesk, identity.RoleAccountant} {
			u, err := identity.New(db).CreateUser(ctx, e.h.hasher, identity.NewUser{Email: role + "@spree.example", Name: role, Role: role, Password: ownerPassword})
			if err != nil {
				t.Fatal(err)
			}
			_, tok, err := identity.New(db).CreateToken(ctx, u.ID, role, identity.RolePermissions(role), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := e.h.do(req{path: "/spree/api/v1/stripe/settings", header: map[string]string{"Authorization": "Bearer " + tok}})
			if resp.StatusCode != 403 {
				t.Errorf("%s reading the Stripe settings: %d", role, resp.StatusCode)
			}
		}
		db.Release()
	})

	t.Run("CSP", func(t *testing.T) {
		resp, body := f.page("GET", folioPath, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("folio page: %d", resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != wantStripeCSP {
			t.Fatalf("folio page CSP\n got %q\nwant %q", got, wantStripeCSP)
		}
		if !strings.Contains(body, `id="stripe-elements"`) || !strings.Contains(body, `data-stripe-key="`+testPublish+`"`) ||
			!strings.Contains(body, `<script src="https://js.stripe.com/v3/" defer>`) || !strings.Contains(body, "/static/stripe.js") {
			t.Fatal("the folio page has no Elements mount point or Stripe.js")
		}
		if got, want := resp.Header.Get("Permissions-Policy"), `camera=(), microphone=(), geolocation=(), payment=(self "https://js.stripe.com")`; got != want {
			t.Fatalf("folio page Permissions-Policy %q, want %q", got, want)
		}
		// Every other page keeps Aura's own policies.
		for _, p := range []string{"/invoices", "/cashier", "/settings/stripe", "/reservations"} {
			resp, _ := f.page("GET", p, nil)
			if got := resp.Header.Get("Content-Security-Policy"); got != defaultCSP {
				t.Errorf("%s: CSP %q", p, got)
			}
			if got := resp.Header.Get("Permissions-Policy"); got != "camera=(), microphone=(), geolocation=(), payment=()" {
				t.Errorf("%s: Permissions-Policy %q", p, got)
			}
		}
	})

	t.Run("PaymentIdempotent", func(t *testing.T) {
		e.use(e.mock)
		key := e.key()
		mark := e.mock.Mark()
		resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": 2500, "purpose": "deposit"}`, "Idempotency-Key", key)
		if resp.StatusCode != 201 {
			t.Fatalf("payment: %d %s", resp.StatusCode, body)
		}
		p := decode[payments.Payment](t, body)
		if p.Status != payments.StatusRequiresPaymentMethod || p.ClientSecret == "" || p.Purpose != "deposit" {
			t.Fatalf("payment = %+v", p)
		}
		// The double submit: the first payment, nothing new sent to Stripe.
		resp, body = f.api("POST", folioPath+"/stripe/payments", `{"amount": 2500, "purpose": "deposit"}`, "Idempotency-Key", key)
		if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || decode[payments.Payment](t, body).ID != p.ID {
			t.Fatalf("replay: %d %s", resp.StatusCode, body)
		}
		reqs := e.mock.Since(mark, "POST", "/v1/payment_intents")
		if len(reqs) != 1 || reqs[0].IdempotencyKey != "aura-"+p.AttemptID+"-intent" {
			t.Fatalf("%d PaymentIntent requests reached Stripe (%+v)", len(reqs), reqs)
		}
		// The same key for another body: 422.
		if resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": 2600}`, "Idempotency-Key", key); resp.StatusCode != 422 {
			t.Fatalf("key reused: %d %s", resp.StatusCode, body)
		}
		// No key: refused, nothing sent.
		if resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": 2600}`); resp.StatusCode/100 != 4 || !strings.Contains(body, "idempotency") {
			t.Fatalf("no key: %d %s", resp.StatusCode, body)
		}
		// Bad input: 400 naming the field.
		if resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": -5}`, "Idempotency-Key", e.key()); resp.StatusCode != 400 || !strings.Contains(body, "amount") {
			t.Fatalf("negative amount: %d %s", resp.StatusCode, body)
		}
		if resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": 100, "payment_method_id": "4242424242424242"}`, "Idempotency-Key", e.key()); resp.StatusCode != 400 {
			t.Fatalf("card number as payment method: %d %s", resp.StatusCode, body)
		}
		// The webhook finishes it: succeeded, on the folio; a replay of
		// the same delivery changes nothing.
		ev := stripeEvent("payment_intent.succeeded", map[string]any{"id": p.IntentID, "object": "payment_intent", "amount": 2500, "amount_received": 2500,
			"currency": "eur", "status": "succeeded", "capture_method": "automatic", "livemode": false, "metadata": map[string]any{"aura_payment": p.ID}})
		for i := 0; i < 2; i++ {
			if resp, body := e.deliver(t, "spree", ev, time.Now(), testWhsec); resp.StatusCode != 200 {
				t.Fatalf("delivery %d: %d %s", i, resp.StatusCode, body)
			}
		}
		resp, body = f.api("GET", "/stripe/payments/"+p.ID, "")
		if got := decode[payments.Payment](t, body); resp.StatusCode != 200 || got.Status != payments.StatusSucceeded || got.LedgerPaymentID == "" {
			t.Fatalf("after the webhook: %d %s", resp.StatusCode, body)
		}
		if n := e.count(t, `SELECT count(*) FROM ledger_payments WHERE external_ref = ?`, p.IntentID); n != 1 {
			t.Fatalf("%d ledger payments for one PaymentIntent", n)
		}
		if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'stripe.event_processed'`); n != 1 {
			t.Fatalf("%d events processed for one event delivered twice", n)
		}
	})

	t.Run("WebhookRefused", func(t *testing.T) {
		ev := stripeEvent("payment_intent.succeeded", map[string]any{"id": "pi_1Unknown", "object": "payment_intent", "status": "succeeded"})
		before := e.count(t, `SELECT count(*) FROM audit_log`)
		cases := []struct {
			name   string
			body   []byte
			at     time.Time
			secret string
			want   int
		}{
			{"Forged", ev, time.Now(), "whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQ", 400},
			{"Stale", ev, time.Now().Add(-6 * time.Minute), testWhsec, 400},
			{"Future", ev, time.Now().Add(6 * time.Minute), testWhsec, 400},
			{"Malformed", []byte(`{"id": "evt_1", "object": "ev`), time.Now(), testWhsec, 400},
			{"TooLarge", append([]byte(`{"pad": "`), append([]byte(strings.Repeat("a", 600<<10)), `"}`...)...), time.Now(), testWhsec, 413},
		}
		for _, c := range cases {
			resp, body := e.deliver(t, "spree", c.body, c.at, c.secret)
			if resp.StatusCode != c.want || !strings.Contains(body, `"error"`) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
			}
		}
		// Tampered after signing: the same signature over other bytes.
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: ev, Secret: testWhsec, Timestamp: time.Now()})
		tampered := []byte(strings.Replace(string(sp.Payload), "succeeded", "succeedeD", 1))
		resp, _ := e.h.do(req{method: "POST", path: "/spree/stripe/webhook", raw: tampered, contentType: "application/json", header: map[string]string{"Stripe-Signature": sp.Header}})
		if resp.StatusCode != 400 {
			t.Errorf("tampered: %d", resp.StatusCode)
		}
		// No signature at all.
		resp, _ = e.h.do(req{method: "POST", path: "/spree/stripe/webhook", raw: ev, contentType: "application/json"})
		if resp.StatusCode != 400 {
			t.Errorf("unsigned: %d", resp.StatusCode)
		}
		if after := e.count(t, `SELECT count(*) FROM audit_log`); after != before {
			t.Errorf("refused deliveries wrote %d audit rows", after-before)
		}
		// An unknown tenant: 404, and no tenant file opened.
		e.h.router.Forget(f.t.Slug)
		opened := e.h.opened(f.t.ID)
		resp, _ = e.deliver(t, "nosuchhotel", ev, time.Now(), testWhsec)
		if resp.StatusCode != 404 {
			t.Errorf("unknown tenant: %d", resp.StatusCode)
		}
		if got := e.h.opened(f.t.ID); got != opened {
			t.Errorf("a webhook for an unknown tenant opened a file")
		}
	})

	t.Run("CardOnFileAndFee", func(t *testing.T) {
		e.use(e.mock)
		resp, body := f.api("POST", folioPath+"/stripe/cards", `{}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 {
			t.Fatalf("save card: %d %s", resp.StatusCode, body)
		}
		card := decode[payments.Card](t, body)
		if card.Status != payments.CardPending || card.ClientSecret == "" || card.SetupIntentID == "" {
			t.Fatalf("card = %+v", card)
		}
		reqs := e.mock.Since(0, "POST", "/v1/setup_intents")
		if len(reqs) == 0 || reqs[len(reqs)-1].Form.Get("usage") != "off_session" {
			t.Fatalf("the SetupIntent is not for off-session use: %+v", reqs)
		}
		// Stripe confirms the card (webhook): active.
		if resp, body := e.deliver(t, "spree", stripeEvent("setup_intent.succeeded", map[string]any{"id": card.SetupIntentID, "object": "setup_intent",
			"status": "succeeded", "usage": "off_session", "customer": card.CustomerID, "payment_method": "pm_1AuraSavedCard", "livemode": false,
			"metadata": map[string]any{"aura_card": card.ID}}), time.Now(), testWhsec); resp.StatusCode != 200 {
			t.Fatalf("setup webhook: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", folioPath+"/stripe", "")
		v := decode[struct{ Cards []payments.Card }](t, body)
		if resp.StatusCode != 200 || len(v.Cards) != 1 || v.Cards[0].Status != payments.CardActive {
			t.Fatalf("cards after the webhook: %s", body)
		}
		// The no-show fee, charged off-session, twice submitted: once.
		e.use(e.paid)
		key, mark := e.key(), e.paid.Mark()
		fee := `{"amount": 4500, "purpose": "no_show_fee"}`
		resp, body = f.api("POST", "/stripe/cards/"+card.ID+"/charges", fee, "Idempotency-Key", key)
		if resp.StatusCode != 201 {
			t.Fatalf("charge: %d %s", resp.StatusCode, body)
		}
		p := decode[payments.Payment](t, body)
		if p.Status != payments.StatusSucceeded || p.Purpose != "no_show_fee" {
			t.Fatalf("fee = %+v", p)
		}
		if resp, _ := f.api("POST", "/stripe/cards/"+card.ID+"/charges", fee, "Idempotency-Key", key); resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("the repeated charge was not a replay")
		}
		reqs = e.paid.Since(mark, "POST", "/v1/payment_intents")
		if len(reqs) != 1 || reqs[0].Form.Get("off_session") != "true" {
			t.Fatalf("%d charges reached Stripe: %+v", len(reqs), reqs)
		}
		// Refunds: part, then the rest (no amount), then nothing left.
		resp, body = f.api("POST", "/stripe/payments/"+p.ID+"/refunds", `{"amount": 1500, "note": "goodwill"}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 || decode[payments.Refund](t, body).Amount != 1500 {
			t.Fatalf("partial refund: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/stripe/payments/"+p.ID+"/refunds", `{}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 || decode[payments.Refund](t, body).Amount != 3000 {
			t.Fatalf("full refund of the rest: %d %s", resp.StatusCode, body)
		}
		if resp, body := f.api("POST", "/stripe/payments/"+p.ID+"/refunds", `{"amount": 1}`, "Idempotency-Key", e.key()); resp.StatusCode/100 != 4 {
			t.Fatalf("refund beyond the payment: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Hold", func(t *testing.T) {
		e.use(e.held)
		resp, body := f.api("POST", folioPath+"/stripe/payments", `{"amount": 4500, "capture": "manual", "payment_method_id": "pm_1AuraHeldCard"}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 {
			t.Fatalf("hold: %d %s", resp.StatusCode, body)
		}
		p := decode[payments.Payment](t, body)
		if p.Status != payments.StatusRequiresCapture || p.HoldExpiresAt == nil || !p.HoldExpiresAt.Equal(stripeHeldUntil) || p.LedgerPaymentID != "" {
			t.Fatalf("hold = %+v", p)
		}
		// The page shows the hold with its expiry, and its actions.
		_, page := f.page("GET", folioPath, nil)
		if !strings.Contains(page, "Hold expires") || !strings.Contains(page, "/stripe/payments/"+p.ID+"/capture") || !strings.Contains(page, "/stripe/payments/"+p.ID+"/cancel") {
			t.Fatal("the folio page does not show the hold with its expiry and actions")
		}
		// Capture more than held: 400. Capture part of it (Stripe says succeeded).
		if resp, body := f.api("POST", "/stripe/payments/"+p.ID+"/capture", `{"amount": 4501}`, "Idempotency-Key", e.key()); resp.StatusCode != 400 {
			t.Fatalf("capture above the hold: %d %s", resp.StatusCode, body)
		}
		e.use(e.paid)
		resp, body = f.api("POST", "/stripe/payments/"+p.ID+"/capture", `{}`, "Idempotency-Key", e.key())
		if c := decode[payments.Payment](t, body); resp.StatusCode != 201 || c.Status != payments.StatusSucceeded || c.LedgerPaymentID == "" {
			t.Fatalf("capture: %d %s", resp.StatusCode, body)
		}
		// Another hold, released.
		e.use(e.held)
		resp, body = f.api("POST", folioPath+"/stripe/payments", `{"amount": 4500, "capture": "manual", "payment_method_id": "pm_1AuraHeldCard"}`, "Idempotency-Key", e.key())
		h2 := decode[payments.Payment](t, body)
		if resp.StatusCode != 201 || h2.Status != payments.StatusRequiresCapture {
			t.Fatalf("second hold: %d %s", resp.StatusCode, body)
		}
		mark := e.held.Mark()
		resp, body = f.api("POST", "/stripe/payments/"+h2.ID+"/cancel", ``, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 || len(e.held.Since(mark, "POST", "/v1/payment_intents/"+h2.IntentID+"/cancel")) != 1 {
			t.Fatalf("release: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("VirtualCard", func(t *testing.T) {
		e.use(e.paid)
		from := f.today.AddDays(3)
		resp, body := f.api("POST", folioPath+"/stripe/virtual-cards", fmt.Sprintf(`{"payment_method_id": "pm_1AuraHeldCard", "activation_date": %q, "max_amount": 20000, "source": "booking.com"}`, from))
		if resp.StatusCode != 201 {
			t.Fatalf("virtual card: %d %s", resp.StatusCode, body)
		}
		card := decode[payments.Card](t, body)
		resp, body = f.api("POST", "/stripe/cards/"+card.ID+"/charges", `{"amount": 10000, "purpose": "payment"}`, "Idempotency-Key", e.key())
		if resp.StatusCode != 409 || !strings.Contains(body, "activation date") {
			t.Fatalf("charge before activation: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/stripe/cards/"+card.ID+"/charges", fmt.Sprintf(`{"amount": 20001, "purpose": "payment", "business_date": %q}`, from), "Idempotency-Key", e.key())
		if resp.StatusCode/100 != 4 {
			t.Fatalf("charge above the amount (or a future business date): %d %s", resp.StatusCode, body)
		}
	})

	t.Run("NoCardNumbers", func(t *testing.T) {
		// People and Stripe try to hand Aura card numbers through every
		// Stripe route and form; none reaches the tenant file, its WAL or
		// the server's logs (the scan finds a planted one, so it looks).
		const pan, spaced = "4242424242424242", "4000 0566 5566 5556"
		if len(auratest.FindCardNumbers([]byte("x"+pan+"y"))) == 0 {
			t.Fatal("the scan misses a card number")
		}
		e.use(e.paid)
		for _, c := range []struct{ path, body string }{
			{folioPath + "/stripe/payments", `{"amount": 100, "payment_method_id": "` + pan + `"}`},
			{folioPath + "/stripe/payments", `{"amount": 100, "payment_method_id": "pm_` + pan + `x"}`},
			{folioPath + "/stripe/payments", `{"amount": 100, "note": "card ` + spaced + `"}`},
			{folioPath + "/stripe/cards", `{"payment_method_id": "pm_` + pan + `"}`},
			{folioPath + "/stripe/virtual-cards", `{"payment_method_id": "` + pan + `", "activation_date": "2026-01-01", "max_amount": 100, "source": "booking.com"}`},
			{folioPath + "/stripe/virtual-cards", `{"payment_method_id": "pm_1AuraVcc", "activation_date": "2026-01-01", "max_amount": 100, "source": "` + pan + `"}`},
		} {
			if resp, body := f.api("POST", c.path, c.body, "Idempotency-Key", e.key()); resp.StatusCode != 400 {
				t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, body)
			}
		}
		if resp, _ := f.api("PUT", "/stripe/settings", `{"account_id": "acct_`+pan+`", "publishable_key": "`+testPublish+`"}`); resp.StatusCode != 400 {
			t.Errorf("an account id holding a card number: %d", resp.StatusCode)
		}
		resp, _ := f.page("POST", folioPath+"/stripe/payments", url.Values{"idempotency_key": {e.key()}, "stripe_payment.amount": {spaced}})
		if resp.StatusCode != 400 {
			t.Errorf("a card number as the amount: %d", resp.StatusCode)
		}
		// A valid payment with a card number in its refund's note, and a
		// webhook carrying one in metadata.
		p := decode[payments.Payment](t, func() string {
			_, b := f.api("POST", folioPath+"/stripe/payments", `{"amount": 4500, "payment_method_id": "pm_1AuraPaidCard"}`, "Idempotency-Key", e.key())
			return b
		}())
		if resp, body := f.api("POST", "/stripe/payments/"+p.ID+"/refunds", `{"amount": 100, "note": "`+spaced+`"}`, "Idempotency-Key", e.key()); resp.StatusCode != 400 {
			t.Errorf("a refund note with a card number: %d %s", resp.StatusCode, body)
		}
		ev := stripeEvent("payment_intent.succeeded", map[string]any{"id": p.IntentID, "object": "payment_intent", "amount": 4500, "amount_received": 4500,
			"currency": "eur", "status": "succeeded", "livemode": false, "metadata": map[string]any{"aura_payment": p.ID, "card": pan}, "description": spaced})
		if resp, body := e.deliver(t, "spree", ev, time.Now(), testWhsec); resp.StatusCode != 200 {
			t.Errorf("webhook: %d %s", resp.StatusCode, body)
		}
		db := e.h.acquire(f.t.Slug)
		path := db.Path
		db.Release()
		if n := auratest.NoCardNumbersInFiles(t, path, path+"-wal"); n == 0 {
			t.Fatal("no tenant file scanned")
		}
		auratest.NoCardNumbers(t, "the server's logs", e.logs.Bytes())
		if len(e.logs.Bytes()) == 0 {
			t.Fatal("no logs captured")
		}
	})

	t.Run("PageForms", func(t *testing.T) {
		e.use(e.mock)
		// Take a payment from the page: Elements mounted with the client
		// secret, the Stripe CSP on that answer too.
		key := e.key()
		form := url.Values{"idempotency_key": {key}, "stripe_payment.amount": {"12.50"}, "stripe_payment.purpose": {"payment"}, "stripe_payment.capture": {"automatic"}}
		mark := e.mock.Mark()
		resp, body := f.page("POST", folioPath+"/stripe/payments", form)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != wantStripeCSP {
			t.Fatalf("payment form: %d CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		if !regexp.MustCompile(`data-client-secret="pi_[^"]+"`).MatchString(body) || !strings.Contains(body, `id="stripe-payment-element"`) || !strings.Contains(body, `data-mode="payment"`) {
			t.Fatal("the page does not mount Elements with the payment's client secret")
		}
		// The double submit: one PaymentIntent.
		f.page("POST", folioPath+"/stripe/payments", form)
		if n := len(e.mock.Since(mark, "POST", "/v1/payment_intents")); n != 1 {
			t.Fatalf("a double-submitted form reached Stripe %d times", n)
		}
		// A bad amount: the form again with the message at the field.
		resp, body = f.page("POST", folioPath+"/stripe/payments", url.Values{"idempotency_key": {e.key()}, "stripe_payment.amount": {"abc"}})
		if resp.StatusCode != 400 || !strings.Contains(body, "must be an amount") {
			t.Fatalf("bad amount: %d", resp.StatusCode)
		}
		// Save a card from the page: Elements in setup mode.
		resp, body = f.page("POST", folioPath+"/stripe/cards", url.Values{"idempotency_key": {e.key()}})
		if resp.StatusCode != 200 || !strings.Contains(body, `data-mode="setup"`) || !regexp.MustCompile(`data-client-secret="seti_[^"]+"`).MatchString(body) {
			t.Fatalf("card form: %d", resp.StatusCode)
		}
	})
}

// withStripeBodies adds valid bodies of the Stripe API to the hostile
// sweep's (the harness's Stripe refuses every call: nothing leaves).
func (e *hostileEnv) withStripeBodies(m map[string]any) map[string]any {
	d := e.f.today
	for k, v := range map[string]any{
		"PUT /:tenant/api/v1/stripe/settings": payments.SettingsInput{AccountID: testAccount, PublishableKey: testPublish, SecretKey: testSecret, WebhookSecret: testWhsec},
		"POST /:tenant/api/v1/folios/:id/stripe/payments": payments.PaymentInput{Amount: 1000, Purpose: payments.PurposeDeposit, Capture: payments.CaptureManual,
			PaymentMethodID: "pm_1AuraHostile", Note: "desk", BusinessDate: d},
		"POST /:tenant/api/v1/folios/:id/stripe/cards": payments.SaveCardInput{PaymentMethodID: "pm_1AuraHostile"},
		"POST /:tenant/api/v1/folios/:id/stripe/virtual-cards": payments.VirtualCardInput{PaymentMethodID: "pm_1AuraVirtual", ActivationDate: d, MaxAmount: 20000,
			Currency: "EUR", Source: "booking.com"},
		"POST /:tenant/api/v1/stripe/cards/:id/charges":    payments.ChargeInput{Amount: 100, Purpose: payments.PurposeNoShowFee, Note: "no-show", BusinessDate: d},
		"POST /:tenant/api/v1/stripe/cards/:id/refresh":    map[string]any{},
		"POST /:tenant/api/v1/stripe/payments/:id/capture": payments.CaptureInput{Amount: 100, BusinessDate: d},
		"POST /:tenant/api/v1/stripe/payments/:id/cancel":  map[string]any{},
		"POST /:tenant/api/v1/stripe/payments/:id/refunds": payments.RefundInput{Amount: 10, Note: "back", BusinessDate: d},
		"POST /:tenant/api/v1/stripe/payments/:id/refresh": map[string]any{},
		"POST /:tenant/api/v1/stripe/reconcile":            map[string]any{},
	} {
		m[k] = v
	}
	return m
}

// BenchmarkFolioPageStripe renders the 60-line folio page of
// BenchmarkFolioPage for a tenant with Stripe set up: the Stripe part
// (three payments, one refunded in part, a hold, a card on file) and its
// CSP on top (target as for the folio page: median under 5 ms).
func BenchmarkFolioPageStripe(b *testing.B) {
	e := newStripeEnv(b)
	f := e.f.signIn()
	_, folio := moneySetup(b, f)
	e.configure(b)
	fp := "/folios/" + folio.ID
	for i := 0; i < 60; i++ {
		if i%10 == 9 {
			mustCreated(b, f, fp+"/payments", `{"method": "cash", "amount": 5000}`)
			continue
		}
		mustCreated(b, f, fp+"/charges", fmt.Sprintf(`{"description": "Night %d", "unit_price": %d, "tax_code": "DE-7", "category": "ACC"}`, i, 9000+i))
	}
	api := func(path, body string) string {
		resp, out := f.api("POST", path, body, "Idempotency-Key", e.key())
		if resp.StatusCode != 201 {
			b.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
		return out
	}
	e.use(e.paid)
	for i := 0; i < 2; i++ {
		p := decode[payments.Payment](b, api(fp+"/stripe/payments", `{"amount": 4500, "payment_method_id": "pm_1AuraPaidCard"}`))
		if i == 0 {
			api("/stripe/payments/"+p.ID+"/refunds", `{"amount": 1000}`)
		}
	}
	e.use(e.held)
	api(fp+"/stripe/payments", `{"amount": 4500, "capture": "manual", "payment_method_id": "pm_1AuraHeldCard"}`)
	e.use(e.mock)
	api(fp+"/stripe/cards", `{}`)
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		resp, body := f.page("GET", fp, nil)
		ds = append(ds, time.Since(t0))
		if resp.StatusCode != 200 || !strings.Contains(body, "Night 58") || !strings.Contains(body, "Hold expires") || resp.Header.Get("Content-Security-Policy") != wantStripeCSP {
			b.Fatalf("folio page: %d", resp.StatusCode)
		}
	}
	reportLatencies(b, ds, "folio-page")
}
