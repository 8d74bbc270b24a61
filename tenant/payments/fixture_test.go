package payments_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/stripemock"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
	_ "modernc.org/sqlite"
)

// The stripe-mock servers the tests share (each takes seconds to start on
// a loaded machine). mock answers as stripe-mock does out of the box:
// every PaymentIntent and SetupIntent in requires_payment_method, every
// refund succeeded. paid answers PaymentIntents as succeeded (a card
// charged at once); held answers them as requires_capture with the
// charge's capture_before (a hold Stripe dates), and refunds as pending.
var mock, paid, held *stripemock.Server

// heldUntil is the capture_before the held server's charges carry.
var heldUntil = time.Date(2030, 1, 8, 12, 0, 0, 0, time.UTC)

// paidAmount is what the paid and held servers report as the amount of
// every PaymentIntent they answer (received, or held).
const paidAmount = 4500

func TestMain(m *testing.M) {
	type result struct {
		s   *stripemock.Server
		err error
	}
	start := func(opt stripemock.Options) chan result {
		c := make(chan result, 1)
		go func() {
			s, err := stripemock.Run(opt)
			c <- result{s, err}
		}()
		return c
	}
	a := start(stripemock.Options{})
	b := start(stripemock.Options{Fixtures: map[string]map[string]any{
		"payment_intent": {"status": "succeeded", "amount": paidAmount, "amount_received": paidAmount, "currency": "eur", "last_payment_error": nil},
	}})
	// The held intent names the bundled charge, so that expanding
	// latest_charge brings its capture_before, as Stripe's does.
	c := start(stripemock.Options{Fixtures: map[string]map[string]any{
		"payment_intent": {"status": "requires_capture", "capture_method": "manual", "amount": paidAmount, "amount_capturable": paidAmount,
			"currency": "eur", "last_payment_error": nil, "latest_charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8"},
		"charge": {"currency": "eur", "payment_method_details": map[string]any{"type": "card",
			"card": map[string]any{"brand": "visa", "last4": "4242", "capture_before": heldUntil.Unix()}}},
		"refund": {"status": "pending"},
	}})
	var failed error
	for _, r := range []struct {
		c   chan result
		dst **stripemock.Server
	}{{a, &mock}, {b, &paid}, {c, &held}} {
		res := <-r.c
		if res.err != nil {
			failed = res.err
			continue
		}
		*r.dst = res.s
	}
	code := 1
	if failed != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", failed)
	} else {
		code = m.Run()
	}
	for _, s := range []*stripemock.Server{mock, paid, held} {
		if s != nil {
			s.Close()
		}
	}
	os.Exit(code)
}

const (
	whsec   = "whsec_c2VjcmV0LWZvci10ZXN0cw"
	skTest  = "sk_test_51AuraTestKey0123456789"
	pkTest  = "pk_test_51AuraTestKey0123456789"
	account = "acct_1AuraHotelSpree"
)

// fixture is a real tenant file (through the real router, keys and
// platform DB) with a Berlin hotel's ledger, a guest folio, Stripe keys
// configured through the store, and a store talking to a stripe-mock.
type fixture struct {
	env   *auratest.Env
	db    *tenant.DB
	clock *auratest.Clock
	ctx   context.Context
	srv   *stripemock.Server
	log   *stripemock.Logger
	s     *payments.Store
	led   *ledger.Store
	prop  string
	folio ledger.Folio
	today date.Date
}

func newFixture(tb testing.TB, srv *stripemock.Server) *fixture {
	tb.Helper()
	clock := auratest.NewClock(time.Now().UTC())
	env := auratest.New(tb, auratest.Options{Now: clock.Now})
	env.CreateTenant(tb, "hotel")
	db := env.Acquire(tb, "hotel")
	f := &fixture{env: env, db: db, clock: clock, ctx: auratest.Ctx(), srv: srv, log: &stripemock.Logger{}, led: ledger.New(db), prop: "prp_berlin"}
	f.s = payments.New(db, payments.Options{Backend: srv.Backend(f.log)})
	f.today = date.Of(clock.Now(), time.UTC)
	must(f.led.Configure(f.ctx, ledger.Settings{PropertyID: f.prop, Currency: "EUR", PricesIncludeTax: true,
		AccommodationTaxCode: "DE-7", AccommodationCategory: "ACC",
		Legal: ledger.Legal{Company: "Hotel Spree GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
			VATID: "DE123456789"}}))(tb)
	f.folio = must(f.led.GuestFolio(f.ctx, f.prop, "res_1"))(tb)
	must(f.s.Configure(f.ctx, payments.SettingsInput{AccountID: account, PublishableKey: pkTest, SecretKey: skTest, WebhookSecret: whsec}))(tb)
	return f
}

var keys atomic.Int64

// key returns a fresh idempotency key, as a form's hidden field would hold
// (base 36: no long digit runs for the card-number scan to trip on).
func key() string {
	return "form-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(keys.Add(1), 36)
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v (%s)", err, aura.ErrorMessage(err))
		}
		return v
	}
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if aura.ErrorCode(err) != code {
		tb.Fatalf("err = %v (%s), want %s", err, aura.ErrorMessage(err), code)
	}
}

func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	wantCode(tb, err, aura.EINVALID)
	var e *aura.Error
	errors.As(err, &e)
	for _, fe := range e.Fields {
		if fe.Field == field {
			return
		}
	}
	tb.Fatalf("EINVALID without field %s: %s %+v", field, e.Message, e.Fields)
}

// count runs a count query on the tenant file.
func (f *fixture) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().Read.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (f *fixture) auditCount(tb testing.TB, action string) int {
	return f.count(tb, `SELECT count(*) FROM audit_log WHERE action = ?`, action)
}

// raw opens a second connection to the tenant file, as someone with
// sqlite3 and the file would.
func (f *fixture) raw(tb testing.TB) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+f.db.Path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

var events atomic.Int64

// event builds a Stripe event of type typ about obj, as Stripe sends it.
func event(typ string, obj map[string]any) map[string]any {
	return map[string]any{
		"id": "evt_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "T" + strconv.FormatInt(events.Add(1), 36), "object": "event", "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1, "type": typ,
		"request": map[string]any{"id": nil, "idempotency_key": nil}, "data": map[string]any{"object": obj},
	}
}

// sign returns the body and Stripe-Signature header of ev signed with
// secret at t, as Stripe delivers it (webhook.GenerateTestSignedPayload).
func sign(tb testing.TB, ev map[string]any, secret string, t time.Time) ([]byte, string) {
	tb.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return signRaw(body, secret, t)
}

// signRaw signs body as it is.
func signRaw(body []byte, secret string, t time.Time) ([]byte, string) {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t})
	return sp.Payload, sp.Header
}

// deliver signs ev with the tenant's secret at the fixture's now and
// hands it to HandleWebhook, received at that now.
func (f *fixture) deliver(tb testing.TB, ev map[string]any) error {
	tb.Helper()
	body, header := sign(tb, ev, whsec, f.clock.Now())
	return payments.HandleWebhook(f.ctx, f.db, body, header, f.clock.Now())
}

// intent is a PaymentIntent object of one of our payments, as a webhook
// carries it.
func intent(p payments.Payment, status string, fields map[string]any) map[string]any {
	o := map[string]any{"id": p.IntentID, "object": "payment_intent", "amount": p.Amount, "currency": strings.ToLower(p.Currency),
		"status": status, "capture_method": p.Capture, "created": time.Now().Unix(), "livemode": false,
		"metadata": map[string]any{"aura_payment": p.ID}, "latest_charge": "ch_3AuraCharge" + strings.TrimPrefix(p.IntentID, "pi_")}
	if status == "succeeded" {
		o["amount_received"] = p.Amount
	}
	for k, v := range fields {
		o[k] = v
	}
	return o
}

// ledgerPayment returns the ledger record of a payment.
func (f *fixture) ledgerPayment(tb testing.TB, p payments.Payment) ledger.Payment {
	tb.Helper()
	p = must(f.s.Payment(f.ctx, p.ID))(tb)
	if p.LedgerPaymentID == "" {
		tb.Fatalf("payment %s (%s) has no ledger payment", p.ID, p.Status)
	}
	return must(f.led.Payment(f.ctx, p.LedgerPaymentID))(tb)
}

// stateCounts is a fingerprint of everything a webhook could change.
func (f *fixture) stateCounts(tb testing.TB) string {
	tb.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT count(*) FROM audit_log`,
		`SELECT count(*) FROM ledger_lines`,
		`SELECT count(*) FROM ledger_payments`,
		`SELECT coalesce(sum(version), 0) FROM ledger_payments`,
		`SELECT coalesce(sum(version), 0) FROM stripe_payments`,
		`SELECT coalesce(sum(version), 0) FROM stripe_cards`,
		`SELECT count(*) + coalesce(sum(version), 0) FROM stripe_refunds`,
		`SELECT count(*) FROM stripe_events`,
	} {
		parts = append(parts, fmt.Sprint(f.count(tb, q)))
	}
	return strings.Join(parts, "/")
}

// with returns a store on the fixture's tenant file whose Stripe calls go
// to srv: the same tenant talking to a Stripe that answers differently.
func (f *fixture) with(srv *stripemock.Server) *payments.Store {
	return payments.New(f.db, payments.Options{Backend: srv.Backend(f.log)})
}

// lines counts the folio lines of kind posted for a ledger payment or refund.
func (f *fixture) lines(tb testing.TB, ledgerID, kind string) int {
	tb.Helper()
	return f.count(tb, `SELECT count(*) FROM ledger_lines WHERE payment_id = ? AND kind = ?`, ledgerID, kind)
}

// wantKeys fails unless every request in reqs carries the idempotency key
// Aura derives from the attempt and step, and there are n of them.
func wantKeys(tb testing.TB, reqs []stripemock.Request, n int, attemptID, step string) {
	tb.Helper()
	if len(reqs) != n {
		tb.Fatalf("%d requests reached Stripe, want %d: %+v", len(reqs), n, reqs)
	}
	want := "aura-" + attemptID + "-" + step
	for _, r := range reqs {
		if r.IdempotencyKey != want {
			tb.Fatalf("%s %s sent Idempotency-Key %q, want %q", r.Method, r.Path, r.IdempotencyKey, want)
		}
	}
}
