package payments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// WebhookTolerance is how old a webhook's signature may be: an event whose
// signed timestamp is older is refused, so a captured request cannot be
// replayed later. Stripe signs every delivery afresh, retries included.
const WebhookTolerance = 300 * time.Second

// WebhookOption tunes HandleWebhook.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	businessDay func(ctx context.Context, propertyID string) (date.Date, error)
}

// WithBusinessDay gives HandleWebhook the open business date of a property
// (the PMS's night audit owns it), for the ledger records of changes
// Stripe starts on its own: a lost dispute, a refund made in Stripe's
// dashboard. Without it they are posted on the event's date in UTC.
// Changes that finish an action made in Aura are posted on that action's
// business date either way.
func WithBusinessDay(fn func(ctx context.Context, propertyID string) (date.Date, error)) WebhookOption {
	return func(c *webhookConfig) { c.businessDay = fn }
}

var reEvent = regexp.MustCompile(`^evt_[A-Za-z0-9]{1,250}$`)

// HandleWebhook verifies and applies one Stripe webhook delivery to a
// tenant: payload is the raw request body and signatureHeader its
// Stripe-Signature header, now the time of receipt (time.Now() in the
// server; a test's clock in tests). The signature is checked with the
// tenant's webhook signing secret over the raw body, byte for byte as
// received (webhook.ConstructEventWithOptions), then its signed timestamp
// must be within WebhookTolerance (300 s) of now; an event naming another
// Stripe account, or of the other mode (test or live), is refused. Each
// event id is processed once (table stripe_events, with an audit row
// "stripe.event_processed"): a replayed or re-delivered event changes
// nothing. Applied events move
// payment state through the ledger's transitions: payment_intent.*
// (processing, succeeded, payment_failed, canceled, amount_capturable_updated,
// requires_action), setup_intent.* (succeeded, setup_failed, canceled),
// refund.created / refund.updated / refund.failed / charge.refund.updated
// / charge.refunded (Aura's refunds settle; refunds made in Stripe's
// dashboard are recorded), charge.dispute.created (the ledger payment
// becomes disputed) and charge.dispute.closed (won: succeeded again;
// lost: recorded as a refund). Other event types, and events about objects
// Aura did not create for this tenant, are acknowledged and ignored. An
// event the ledger refuses (a refund above what is left) is acknowledged
// with that outcome in its audit row: Stripe retrying it would not help.
//
// The route /{tenant}/stripe/webhook calls it with the tenant's handle,
// the body read raw (never re-encoded: the signature is over its bytes;
// with a size limit of the route's own) and time.Now(), and answers 200
// for nil, 400 with the message for EINVALID, 500 otherwise.
//
// Errors: EINVALID with a message for what should be a 400 — no signing
// secret configured, a missing, malformed or forged signature, a stale
// one, another account or mode, a malformed event; any other error (the
// file could not be written) should be a 500, so Stripe delivers again.
func HandleWebhook(ctx context.Context, db *tenant.DB, payload []byte, signatureHeader string, now time.Time, opts ...WebhookOption) error {
	var cfg webhookConfig
	for _, o := range opts {
		o(&cfg)
	}
	s := New(db, Options{})
	var st settings
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		st, err = s.settings(tx)
		return err
	})
	if aura.ErrorCode(err) == aura.ENOTIMPLEMENTED || (err == nil && st.webhookSecret == "") {
		return aura.Errorf(aura.EINVALID, "No Stripe webhook signing secret is set up for this tenant, so the event cannot be verified.")
	} else if err != nil {
		return err
	}
	// The signature first (over the raw body, any timestamp), then the
	// timestamp against now: only a signed timestamp means anything.
	ev, err := webhook.ConstructEventWithOptions(payload, signatureHeader, st.webhookSecret,
		webhook.ConstructEventOptions{IgnoreTolerance: true, IgnoreAPIVersionMismatch: true})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return aura.Errorf(aura.EINVALID, "The request has no Stripe-Signature header.")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return aura.Errorf(aura.EINVALID, "The Stripe-Signature header is malformed.")
	case errors.Is(err, webhook.ErrNoValidSignature):
		return aura.Errorf(aura.EINVALID, "The Stripe-Signature does not match the body with this tenant's webhook signing secret.")
	case err != nil:
		return aura.Errorf(aura.EINVALID, "The webhook body is not a Stripe event.")
	}
	signed, ok := signedAt(signatureHeader)
	if !ok {
		return aura.Errorf(aura.EINVALID, "The Stripe-Signature header has no timestamp.")
	}
	if age := now.Sub(signed); age > WebhookTolerance || age < -WebhookTolerance {
		return aura.Errorf(aura.EINVALID, "The webhook's signature was made at %s, more than %d seconds from now; a replayed (or misdated) delivery is refused.",
			signed.UTC().Format(time.RFC3339), int(WebhookTolerance/time.Second))
	}
	switch {
	case !isID(reEvent, ev.ID) || ev.Data == nil || len(ev.Data.Raw) == 0:
		return aura.Errorf(aura.EINVALID, "The webhook body is not a Stripe event (no event id or object).")
	case ev.Account != "" && ev.Account != st.AccountID:
		return aura.Errorf(aura.EINVALID, "The event is for another Stripe account (%s), not this tenant's.", keep(reAccount, ev.Account))
	case ev.Livemode != st.Livemode:
		return aura.Errorf(aura.EINVALID, "The event is a %s event; this tenant's Stripe keys are %s keys.", mode(ev.Livemode), mode(st.Livemode))
	}
	unlock := s.lock("event:" + ev.ID)
	defer unlock()
	var done bool
	if err := db.View(ctx, func(tx *tenant.Tx) error {
		var n int
		err := tx.QueryRow(`SELECT count(*) FROM stripe_events WHERE id = ?`, ev.ID).Scan(&n)
		done = n > 0
		return err
	}); err != nil || done {
		return err
	}
	h := handler{s: s, cfg: cfg, ev: ev}
	outcome, subject, err := h.handle(ctx)
	if err != nil {
		if code := aura.ErrorCode(err); code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
			return err
		}
		// The ledger refused the change: acknowledge, and say so in the audit.
		outcome = "refused: " + aura.ErrorMessage(err)
	}
	if outcome == "" {
		return nil // a type Aura does not follow: acknowledged, not recorded
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM stripe_events WHERE id = ?`, ev.ID).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO stripe_events (id, type, created_at, processed_at, outcome) VALUES (?, ?, ?, ?, ?)`,
			ev.ID, string(ev.Type), formatTime(time.Unix(ev.Created, 0)), formatTime(tx.Now), outcome); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "stripe.event_processed", EntityType: "stripe_event", EntityID: ev.ID,
			After: map[string]string{"type": string(ev.Type), "outcome": outcome, "subject": subject}})
	})
}

// signedAt returns the timestamp ("t=") of a Stripe-Signature header.
func signedAt(header string) (time.Time, bool) {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(sec, 0), true
		}
	}
	return time.Time{}, false
}

func mode(live bool) string {
	if live {
		return "live"
	}
	return "test"
}

// handler applies one verified event.
type handler struct {
	s   *Store
	cfg webhookConfig
	ev  stripe.Event
}

// handle applies the event and returns its outcome ("" for a type Aura does
// not follow) and the row it concerned.
func (h handler) handle(ctx context.Context) (outcome, subject string, err error) {
	switch h.ev.Type {
	case "payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed", "payment_intent.canceled",
		"payment_intent.amount_capturable_updated", "payment_intent.requires_action":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(h.ev.Data.Raw, &pi); err != nil {
			return "", "", aura.Errorf(aura.EINVALID, "The event's PaymentIntent is malformed.")
		}
		p, err := h.paymentOf(ctx, keep(reIntent, pi.ID), pi.Metadata)
		if err != nil || p.ID == "" {
			return "ignored: not a payment of this tenant", "", err
		}
		var st intentState
		st.fill(&pi)
		np, err := h.s.apply(ctx, p.ID, st, nil, "", "", p.BusinessDate)
		if err != nil {
			return "", p.ID, err
		}
		return "payment " + np.Status, p.ID, nil
	case "setup_intent.succeeded", "setup_intent.setup_failed", "setup_intent.canceled", "setup_intent.requires_action":
		var si stripe.SetupIntent
		if err := json.Unmarshal(h.ev.Data.Raw, &si); err != nil {
			return "", "", aura.Errorf(aura.EINVALID, "The event's SetupIntent is malformed.")
		}
		var st setupState
		st.fill(&si)
		id, err := h.lookup(ctx, `SELECT id FROM stripe_cards WHERE setup_intent_id = ?`, st.ID, "aura_card", st.Metadata)
		if err != nil || id == "" {
			return "ignored: not a card of this tenant", "", err
		}
		c, err := h.s.applySetup(ctx, id, st, nil, "", "")
		if err != nil {
			return "", id, err
		}
		return "card " + c.Status, id, nil
	case "refund.created", "refund.updated", "refund.failed", "charge.refund.updated":
		var re stripe.Refund
		if err := json.Unmarshal(h.ev.Data.Raw, &re); err != nil {
			return "", "", aura.Errorf(aura.EINVALID, "The event's refund is malformed.")
		}
		return h.refund(ctx, &re)
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(h.ev.Data.Raw, &ch); err != nil {
			return "", "", aura.Errorf(aura.EINVALID, "The event's charge is malformed.")
		}
		if ch.Refunds == nil || len(ch.Refunds.Data) == 0 {
			return "ignored: no refunds listed (they arrive as refund events)", "", nil
		}
		var outs []string
		for _, re := range ch.Refunds.Data {
			if re.PaymentIntent == nil && ch.PaymentIntent != nil {
				re.PaymentIntent = ch.PaymentIntent
			}
			o, sub, err := h.refund(ctx, re)
			if err != nil {
				return "", sub, err
			}
			outs = append(outs, o)
			subject = sub
		}
		return joinOutcomes(outs), subject, nil
	case "charge.dispute.created", "charge.dispute.closed":
		var d stripe.Dispute
		if err := json.Unmarshal(h.ev.Data.Raw, &d); err != nil {
			return "", "", aura.Errorf(aura.EINVALID, "The event's dispute is malformed.")
		}
		return h.dispute(ctx, &d)
	}
	return "", "", nil
}

func joinOutcomes(outs []string) string {
	s := ""
	for i, o := range outs {
		if i > 0 {
			s += "; "
		}
		s += o
	}
	return s
}

// lookup finds one of this tenant's rows by its Stripe id, or else by the
// id Aura put in the object's metadata — but only when the metadata names
// this tenant: objects another tenant (or anyone else) created on the
// same Stripe account are not ours.
func (h handler) lookup(ctx context.Context, query, stripeID, metaKey string, meta map[string]string) (string, error) {
	var id string
	err := h.s.db.View(ctx, func(tx *tenant.Tx) error {
		if stripeID != "" {
			err := tx.QueryRow(query, stripeID).Scan(&id)
			if err != sql.ErrNoRows {
				return err
			}
		}
		if meta["aura_tenant"] != h.s.db.ID || meta[metaKey] == "" {
			return nil
		}
		var table string
		switch metaKey {
		case "aura_payment":
			table = "stripe_payments"
		case "aura_card":
			table = "stripe_cards"
		case "aura_refund":
			table = "stripe_refunds"
		}
		err := tx.QueryRow(`SELECT id FROM `+table+` WHERE id = ?`, meta[metaKey]).Scan(&id)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	return id, err
}

// paymentOf finds this tenant's payment of a PaymentIntent ("" when none).
func (h handler) paymentOf(ctx context.Context, intentID string, meta map[string]string) (Payment, error) {
	id, err := h.lookup(ctx, `SELECT id FROM stripe_payments WHERE intent_id = ?`, intentID, "aura_payment", meta)
	if err != nil || id == "" {
		return Payment{}, err
	}
	return h.s.Payment(ctx, id)
}

// day is the business date of a change Stripe started on its own.
func (h handler) day(ctx context.Context, folioID string) (date.Date, error) {
	if h.cfg.businessDay != nil {
		var prop string
		if err := h.s.db.View(ctx, func(tx *tenant.Tx) error {
			return tx.QueryRow(`SELECT property_id FROM ledger_folios WHERE id = ?`, folioID).Scan(&prop)
		}); err != nil {
			return date.Date{}, err
		}
		return h.cfg.businessDay(ctx, prop)
	}
	return date.Of(time.Unix(h.ev.Created, 0), time.UTC), nil
}

// refund applies a refund object: Aura's own refund settles; a refund
// made in Stripe's dashboard of one of our payments is recorded (row and
// ledger refund, under the ledger key "stripe:<re_…>").
func (h handler) refund(ctx context.Context, re *stripe.Refund) (string, string, error) {
	var st refundState
	st.fill(re)
	id, err := h.lookup(ctx, `SELECT id FROM stripe_refunds WHERE refund_id = ?`, st.ID, "aura_refund", st.Metadata)
	if err != nil {
		return "", "", err
	}
	if id == "" {
		if st.ID == "" {
			return "ignored: a refund without an id", "", nil
		}
		p, err := h.paymentOf(ctx, st.IntentID, nil)
		if err != nil || p.ID == "" {
			return "ignored: not a refund of this tenant's payments", "", err
		}
		if id, err = h.dashboardRefund(ctx, p, st); err != nil {
			return "", p.ID, err
		}
	}
	r, err := h.s.applyRefund(ctx, id, st, nil, "", "", 0)
	if err != nil {
		return "", id, err
	}
	return "refund " + r.Status, id, nil
}

// dashboardRefund records a refund made outside Aura: its ledger refund
// (pending; applyRefund then settles it) and its row, each once.
func (h handler) dashboardRefund(ctx context.Context, p Payment, st refundState) (string, error) {
	if p.LedgerPaymentID == "" || st.Amount <= 0 {
		return "", aura.Errorf(aura.ECONFLICT, "A refund of %s arrived before its payment took money.", p.ID)
	}
	day, err := h.day(ctx, p.FolioID)
	if err != nil {
		return "", err
	}
	key := "stripe:" + st.ID
	lr, err := h.s.ledger.RecordRefund(ctx, ledger.RefundInput{PaymentID: p.LedgerPaymentID, Amount: st.Amount, Method: ledger.MethodStripe,
		Status: ledger.StatusPending, ExternalRef: st.ID, Note: "Refunded in Stripe", BusinessDate: day, IdempotencyKey: key, RequestHash: []byte(key)})
	if err != nil {
		return "", err
	}
	unlock := h.s.lock(p.ID)
	defer unlock()
	var id string
	err = h.s.db.Update(ctx, func(tx *tenant.Tx) error {
		err := tx.QueryRow(`SELECT id FROM stripe_refunds WHERE refund_id = ?`, st.ID).Scan(&id)
		if err != sql.ErrNoRows {
			return err
		}
		r := Refund{ID: aura.NewID(prefixRefund), PaymentID: p.ID, RefundID: st.ID, Amount: st.Amount, Status: RefundPending,
			LedgerRefundID: lr.ID, Note: "Refunded in Stripe", BusinessDate: day, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		id = r.ID
		return h.s.insertRefund(tx, r, "")
	})
	return id, err
}

// dispute applies a dispute of one of our payments: opened, the ledger
// payment is disputed; closed and won, it is succeeded again; closed and
// lost, the disputed amount is recorded as a succeeded refund (under the
// ledger key "stripe:dispute-lost:<charge>").
func (h handler) dispute(ctx context.Context, d *stripe.Dispute) (string, string, error) {
	intentID := ""
	if d.PaymentIntent != nil {
		intentID = keep(reIntent, d.PaymentIntent.ID)
	}
	p, err := h.paymentOf(ctx, intentID, nil)
	if err != nil || p.ID == "" || p.LedgerPaymentID == "" {
		return "ignored: not a dispute of this tenant's payments", "", err
	}
	unlock := h.s.lock(p.ID)
	defer unlock()
	lp, err := h.s.ledger.Payment(ctx, p.LedgerPaymentID)
	if err != nil {
		return "", p.ID, err
	}
	set := func(status string) error {
		if lp.Status == status {
			return nil
		}
		_, err := h.s.ledger.SetPaymentStatus(ctx, lp.ID, status, "", p.BusinessDate, lp.Version)
		return err
	}
	switch {
	case h.ev.Type == "charge.dispute.created":
		if lp.Status != ledger.StatusSucceeded && lp.Status != ledger.StatusDisputed {
			return "ignored: the payment is " + lp.Status, p.ID, nil
		}
		return "payment disputed", p.ID, set(ledger.StatusDisputed)
	case d.Status == stripe.DisputeStatusWon:
		if lp.Status != ledger.StatusDisputed {
			return "ignored: the payment is " + lp.Status, p.ID, nil
		}
		return "dispute won", p.ID, set(ledger.StatusSucceeded)
	case d.Status == stripe.DisputeStatusLost:
		day, err := h.day(ctx, p.FolioID)
		if err != nil {
			return "", p.ID, err
		}
		charge := ""
		if d.Charge != nil {
			charge = keep(reCharge, d.Charge.ID)
		}
		ref := charge
		if ref == "" {
			ref = p.IntentID
		}
		amount := min(d.Amount, lp.Amount-lp.Refunded)
		if amount <= 0 {
			return "ignored: nothing left of the payment to lose", p.ID, nil
		}
		key := "stripe:dispute-lost:" + ref
		if _, err := h.s.ledger.RecordRefund(ctx, ledger.RefundInput{PaymentID: lp.ID, Amount: amount, Method: ledger.MethodStripe,
			Status: ledger.StatusSucceeded, ExternalRef: ref, Note: "Dispute lost", BusinessDate: day, IdempotencyKey: key, RequestHash: []byte(key)}); err != nil {
			return "", p.ID, err
		}
		return "dispute lost", p.ID, nil
	}
	return "ignored: dispute " + string(d.Status), p.ID, nil
}
