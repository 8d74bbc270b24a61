package payments

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/stripe/stripe-go/v85"
)

// Purposes of a payment.
const (
	PurposePayment         = "payment"          // paying the folio
	PurposeDeposit         = "deposit"          // paid ahead of the stay
	PurposeNoShowFee       = "no_show_fee"      // charged to a stored card after a no-show
	PurposeCancellationFee = "cancellation_fee" // charged to a stored card after a late cancellation
)

// Capture methods.
const (
	CaptureAutomatic = "automatic" // the money is taken when the card is confirmed
	CaptureManual    = "manual"    // a hold: the amount is reserved until captured or released
)

// Payment statuses: Stripe's PaymentIntent statuses, and ours.
const (
	StatusCreating              = "creating" // written; Stripe has not answered yet
	StatusRequiresPaymentMethod = string(stripe.PaymentIntentStatusRequiresPaymentMethod)
	StatusRequiresConfirmation  = string(stripe.PaymentIntentStatusRequiresConfirmation)
	StatusRequiresAction        = string(stripe.PaymentIntentStatusRequiresAction)
	StatusProcessing            = string(stripe.PaymentIntentStatusProcessing)
	StatusRequiresCapture       = string(stripe.PaymentIntentStatusRequiresCapture) // a hold
	StatusSucceeded             = string(stripe.PaymentIntentStatusSucceeded)
	StatusCanceled              = string(stripe.PaymentIntentStatusCanceled)
	StatusFailed                = "failed" // Stripe refused it (declined, authentication required off-session)
)

// holdValidity is how long Stripe keeps an online card authorisation when
// it does not say (capture_before): 7 days.
const holdValidity = 7 * 24 * time.Hour

// Payment is a PaymentIntent Aura created for a folio. Its money is in the
// ledger (LedgerPaymentID) from the moment it is processing or has
// succeeded; a hold (Status requires_capture) is not money yet and has no
// ledger record until it is captured. Only Stripe ids are kept.
type Payment struct {
	ID                  string     `json:"id"`
	FolioID             string     `json:"folio_id"`
	Purpose             string     `json:"purpose"`
	Capture             string     `json:"capture"`
	Amount              int64      `json:"amount"`
	Currency            string     `json:"currency"`
	CardID              string     `json:"card_id,omitempty"`
	IntentID            string     `json:"intent_id,omitempty"`
	CustomerID          string     `json:"customer_id,omitempty"`
	PaymentMethodID     string     `json:"payment_method_id,omitempty"`
	ChargeID            string     `json:"charge_id,omitempty"`
	Status              string     `json:"status"`
	AmountCapturable    int64      `json:"amount_capturable"`
	AmountReceived      int64      `json:"amount_received"`
	HoldExpiresAt       *time.Time `json:"hold_expires_at,omitempty"`
	HoldExpiryEstimated bool       `json:"hold_expiry_estimated,omitempty"`
	LedgerPaymentID     string     `json:"ledger_payment_id,omitempty"`
	Note                string     `json:"note,omitempty"`
	ErrorCode           string     `json:"error_code,omitempty"`
	BusinessDate        date.Date  `json:"business_date"`
	Version             int        `json:"version"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	// ClientSecret lets Stripe Elements in the browser confirm the payment
	// while it needs the cardholder (requires_payment_method, _action,
	// _confirmation). It is a credential for this one PaymentIntent: it is
	// returned, never stored or logged.
	ClientSecret string `json:"client_secret,omitempty"`
	// AttemptID is the attempt of the call that returned the payment.
	AttemptID string `json:"attempt_id,omitempty"`
	// Replayed is set when an idempotent repeat returned the first result.
	Replayed bool `json:"replayed,omitempty"`
}

// needsBrowser reports whether the cardholder still has to act in Stripe
// Elements.
func (p Payment) needsBrowser() bool {
	switch p.Status {
	case StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction:
		return true
	}
	return false
}

// PaymentInput takes a payment or a deposit for a folio. Without a
// PaymentMethodID the payment is confirmed in the browser by Stripe
// Elements with the returned ClientSecret; with one (a pm_ that Elements
// created) it is confirmed at once. Capture manual makes a hold. Note is
// the ledger note (no personal data, no card number). IdempotencyKey is
// required: a double submit with the same key returns the first payment
// and sends Stripe nothing new.
type PaymentInput struct {
	FolioID         string    `json:"folio_id"`
	Amount          int64     `json:"amount"`
	Purpose         string    `json:"purpose,omitempty"`
	Capture         string    `json:"capture,omitempty"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	Note            string    `json:"note,omitempty"`
	BusinessDate    date.Date `json:"business_date"`
	IdempotencyKey  string    `json:"-"`
	RequestHash     []byte    `json:"-"`
}

// TakePayment takes a payment or a deposit (Purpose) for a folio with a
// PaymentIntent of the folio's amount and currency, cards only, automatic
// capture or a hold (Capture manual; its expiry is recorded). The attempt
// row and the payment row are written first; the PaymentIntent is created
// with the idempotency key "aura-<attempt>-intent", so a double click, or a
// retry after an unknown outcome, creates one. When Stripe reports the
// payment processing or succeeded, its ledger payment (method stripe,
// reference pi_…) is recorded; a hold gets one when it is captured.
// Audited ("stripe.attempt_started", "stripe.payment_created",
// "stripe.payment_updated", and the ledger's "payment.recorded").
// Errors: EINVALID naming the fields (amount, purpose, capture, a note
// holding a card number, a missing idempotency key or one reused for
// another request), ENOTFOUND for an unknown folio, ENOTIMPLEMENTED when
// Stripe is not set up, ECONFLICT when Stripe declines or refuses (the
// payment is returned too, status failed), EUNAVAILABLE when Stripe did not
// answer (the payment is returned, status creating: retry with the same
// key, or Reconcile).
func (s *Store) TakePayment(ctx context.Context, in PaymentInput) (Payment, error) {
	if in.Purpose == "" {
		in.Purpose = PurposePayment
	}
	if in.Capture == "" {
		in.Capture = CaptureAutomatic
	}
	var fe fieldErrors
	if in.Purpose != PurposePayment && in.Purpose != PurposeDeposit {
		fe.add("purpose", "must be payment or deposit (fees are charged to a stored card with ChargeCard)")
	}
	if in.PaymentMethodID != "" && !isID(rePaymentMethod, in.PaymentMethodID) {
		fe.add("payment_method_id", "must be a Stripe PaymentMethod id (pm_…) from Stripe Elements, never card data")
	}
	s.validPayment(&fe, in.FolioID, in.Amount, in.Capture, in.Note, in.BusinessDate, in.IdempotencyKey)
	if err := fe.err("The payment is not valid."); err != nil {
		return Payment{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Payment{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	a, err := s.begin(ctx, ActionPayment, in.IdempotencyKey, hash, 0, func(tx *tenant.Tx, attemptID string) (string, error) {
		p := Payment{FolioID: in.FolioID, Purpose: in.Purpose, Capture: in.Capture, Amount: in.Amount,
			PaymentMethodID: in.PaymentMethodID, Note: in.Note, BusinessDate: in.BusinessDate}
		return p.ID, s.insertPayment(tx, &p, attemptID)
	})
	if err != nil {
		return Payment{}, err
	}
	return s.runIntent(ctx, c, a)
}

// ChargeInput charges a stored card (a card on file or an OTA virtual
// card) while the cardholder is away: a no-show or cancellation fee, a
// deposit, or, for a virtual card, the stay. Capture manual makes a hold.
// IdempotencyKey is required (see PaymentInput).
type ChargeInput struct {
	CardID         string    `json:"card_id"`
	Amount         int64     `json:"amount"`
	Purpose        string    `json:"purpose"`
	Capture        string    `json:"capture,omitempty"`
	Note           string    `json:"note,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	IdempotencyKey string    `json:"-"`
	RequestHash    []byte    `json:"-"`
}

// latestToday is the latest calendar date anywhere on Earth at t (UTC+14):
// no property's business date can be after it.
func latestToday(t time.Time) date.Date { return date.Of(t, time.FixedZone("UTC+14", 14*3600)) }

// ChargeCard charges a stored card off-session on the card's folio: a
// PaymentIntent confirmed at once with the card's customer and
// PaymentMethod (off_session), idempotency key "aura-<attempt>-intent".
// A virtual card is charged only from its activation date (compared with
// BusinessDate, which may not be later than today anywhere on Earth) and
// only up to its amount less what was charged to it before (holds and
// charges in flight count). The outcome is recorded as for TakePayment.
// Errors: EINVALID naming the fields (amount, purpose, above what is left
// on a virtual card, a note with a card number, the idempotency key),
// ENOTFOUND for an unknown card, ECONFLICT for a card not yet saved or a
// virtual card before its activation date or in another currency, or
// when Stripe declines (authentication_required: the bank wants the
// cardholder, who is away) — the payment is returned with status failed,
// ENOTIMPLEMENTED when Stripe is not set up, EUNAVAILABLE when Stripe did
// not answer.
func (s *Store) ChargeCard(ctx context.Context, in ChargeInput) (Payment, error) {
	if in.Capture == "" {
		in.Capture = CaptureAutomatic
	}
	var fe fieldErrors
	switch in.Purpose {
	case PurposePayment, PurposeDeposit, PurposeNoShowFee, PurposeCancellationFee:
	default:
		fe.add("purpose", "must be payment, deposit, no_show_fee or cancellation_fee")
	}
	if in.CardID == "" {
		fe.add("card_id", "is required")
	}
	s.validPayment(&fe, "-", in.Amount, in.Capture, in.Note, in.BusinessDate, in.IdempotencyKey)
	if err := fe.err("The charge is not valid."); err != nil {
		return Payment{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Payment{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	a, err := s.begin(ctx, ActionChargeCard, in.IdempotencyKey, hash, 0, func(tx *tenant.Tx, attemptID string) (string, error) {
		// The transaction's clock, so the date checks here and in
		// checkVirtual read the same now.
		if limit := latestToday(tx.Now); in.BusinessDate.After(limit) {
			return "", aura.Invalid("The charge is not valid.", aura.FieldError{Field: "business_date",
				Message: "must not be after " + limit.String() + " (today anywhere on Earth)"})
		}
		card, err := s.card(tx, in.CardID)
		if err != nil {
			return "", err
		}
		if card.Status != CardActive || card.PaymentMethodID == "" {
			return "", aura.Errorf(aura.ECONFLICT, "The card %s is %s: it can be charged once it is saved (active).", card.ID, card.Status)
		}
		if card.Kind == CardVirtual {
			if err := s.checkVirtual(tx, card, in.Amount, in.BusinessDate); err != nil {
				return "", err
			}
		}
		p := Payment{FolioID: card.FolioID, Purpose: in.Purpose, Capture: in.Capture, Amount: in.Amount, CardID: card.ID,
			CustomerID: card.CustomerID, PaymentMethodID: card.PaymentMethodID, Note: in.Note, BusinessDate: in.BusinessDate}
		if err := s.insertPayment(tx, &p, attemptID); err != nil {
			return "", err
		}
		if card.Kind == CardVirtual && p.Currency != card.Currency {
			return "", aura.Errorf(aura.ECONFLICT, "The virtual card %s is in %s; the folio is in %s.", card.ID, card.Currency, p.Currency)
		}
		return p.ID, nil
	})
	if err != nil {
		return Payment{}, err
	}
	return s.runIntent(ctx, c, a)
}

// checkVirtual refuses a charge of a virtual card before its activation
// date or above what is left of its amount.
func (s *Store) checkVirtual(tx *tenant.Tx, card Card, amount int64, businessDate date.Date) error {
	today := businessDate
	if limit := latestToday(tx.Now); limit.Before(today) {
		today = limit
	}
	if today.Before(card.ActivationDate) {
		return aura.Errorf(aura.ECONFLICT, "The virtual card %s can be charged from %s (its activation date); the business date is %s.",
			card.ID, card.ActivationDate, today)
	}
	used, err := s.virtualUsed(tx, card.ID)
	if err != nil {
		return err
	}
	if left := card.MaxAmount - used; amount > left {
		return aura.Invalid("The charge is larger than what is left on the virtual card.", aura.FieldError{Field: "amount",
			Message: "must be at most " + ledger.FormatAmount(max(left, 0), card.Currency) + " (the virtual card's amount less what was charged to it)"})
	}
	return nil
}

// virtualUsed is what a card's payments took or hold: what was received
// for those that succeeded, the amount of those in flight or held, nothing
// for those that failed or were cancelled.
func (s *Store) virtualUsed(tx *tenant.Tx, cardID string) (int64, error) {
	var used int64
	err := tx.QueryRow(`SELECT coalesce(sum(CASE status WHEN 'succeeded' THEN amount_received WHEN 'failed' THEN 0 WHEN 'canceled' THEN 0 ELSE amount END), 0)
		FROM stripe_payments WHERE card_id = ?`, cardID).Scan(&used)
	return used, err
}

func (s *Store) validPayment(fe *fieldErrors, folioID string, amount int64, capture, note string, businessDate date.Date, key string) {
	if folioID == "" {
		fe.add("folio_id", "is required")
	}
	if amount <= 0 || amount > ledger.MaxAmount {
		fe.add("amount", "must be 1 to %d minor units", int64(ledger.MaxAmount))
	}
	if capture != CaptureAutomatic && capture != CaptureManual {
		fe.add("capture", "must be automatic or manual (a hold)")
	}
	fe.note("note", note)
	if businessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	fe.idempotencyKey(key)
}

// purposeText names a purpose in the description Stripe shows the operator.
var purposeText = map[string]string{PurposePayment: "Payment", PurposeDeposit: "Deposit",
	PurposeNoShowFee: "No-show fee", PurposeCancellationFee: "Cancellation fee"}

// intentParams are the PaymentIntent fields every flow sends: amount and
// currency, cards only, the capture method, our ids as metadata (the
// webhook finds the payment by them), a description of our own words, the
// idempotency key, and the latest charge expanded for a hold's expiry.
func (s *Store) intentParams(p Payment, attemptID, key string) *stripe.PaymentIntentCreateParams {
	params := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(p.Amount),
		Currency:           stripe.String(strings.ToLower(p.Currency)),
		CaptureMethod:      stripe.String(p.Capture),
		PaymentMethodTypes: []*string{stripe.String("card")},
		Description:        stripe.String("Aura: " + purposeText[p.Purpose] + " (" + p.FolioID + ")"),
		Metadata:           map[string]string{"aura_tenant": s.db.ID, "aura_payment": p.ID, "aura_attempt": attemptID, "aura_folio": p.FolioID},
	}
	params.AddExpand("latest_charge")
	params.SetIdempotencyKey(key)
	return params
}

// insertPayment writes a new payment row (status creating) for the folio,
// in its currency, with its audit row.
func (s *Store) insertPayment(tx *tenant.Tx, p *Payment, attemptID string) error {
	var currency string
	err := tx.QueryRow(`SELECT currency FROM ledger_folios WHERE id = ?`, p.FolioID).Scan(&currency)
	if err == sql.ErrNoRows {
		return notFound("folio", p.FolioID)
	} else if err != nil {
		return err
	}
	p.ID, p.Currency, p.Status, p.Version, p.CreatedAt, p.UpdatedAt = aura.NewID(prefixPayment), currency, StatusCreating, 1, tx.Now, tx.Now
	if _, err := tx.Exec(`INSERT INTO stripe_payments (id, folio_id, purpose, capture_method, amount, currency, card_id, intent_id, customer_id,
		payment_method_id, charge_id, status, amount_capturable, amount_received, hold_expires_at, hold_estimated, ledger_payment_id, note,
		error_code, business_date, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, 0, 0, NULL, 0, NULL, ?, '', ?, ?, ?, ?)`,
		p.ID, p.FolioID, p.Purpose, p.Capture, p.Amount, p.Currency, nullString(p.CardID), nullString(p.CustomerID),
		nullString(p.PaymentMethodID), p.Status, p.Note, p.BusinessDate, p.Version, formatTime(tx.Now), formatTime(tx.Now)); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "stripe.payment_created", EntityType: "stripe_payment", EntityID: p.ID, After: paymentAudit(*p, attemptID)})
}

// paymentAudit is what an audit row records of a payment: ids, amounts,
// statuses and dates; no card data exists to record.
func paymentAudit(p Payment, attemptID string) map[string]any {
	m := map[string]any{"folio_id": p.FolioID, "purpose": p.Purpose, "capture": p.Capture, "amount": p.Amount, "currency": p.Currency,
		"status": p.Status, "business_date": p.BusinessDate}
	for k, v := range map[string]string{"attempt_id": attemptID, "card_id": p.CardID, "intent_id": p.IntentID, "customer_id": p.CustomerID,
		"payment_method_id": p.PaymentMethodID, "charge_id": p.ChargeID, "ledger_payment_id": p.LedgerPaymentID, "error_code": p.ErrorCode} {
		if v != "" {
			m[k] = v
		}
	}
	if p.Capture == CaptureManual {
		m["amount_capturable"] = p.AmountCapturable
		if p.HoldExpiresAt != nil {
			m["hold_expires_at"] = p.HoldExpiresAt.UTC().Format(time.RFC3339)
		}
	}
	if p.AmountReceived != 0 {
		m["amount_received"] = p.AmountReceived
	}
	return m
}

// what names an action in the messages its caller sees.
var what = map[string]string{ActionPayment: "The payment", ActionChargeCard: "The charge", ActionCapture: "The capture",
	ActionCancel: "The cancellation", ActionSaveCard: "Saving the card", ActionRefund: "The refund"}

// runIntent drives the PaymentIntent call of an attempt: under the
// attempt's lock, an attempt Stripe already answered returns its payment
// (a double submit sends Stripe nothing); otherwise the call is sent with
// the attempt's idempotency key and its outcome applied.
func (s *Store) runIntent(ctx context.Context, c *stripe.Client, a Attempt) (Payment, error) {
	unlock := s.lock(a.ID)
	defer unlock()
	if err := s.reload(ctx, &a); err != nil {
		return Payment{}, err
	}
	p, err := s.Payment(ctx, a.TargetID)
	if err != nil {
		return p, err
	}
	p.AttemptID, p.Replayed = a.ID, a.Replayed
	if !a.open() {
		return s.replayPayment(ctx, c, a, p)
	}
	pi, err := s.callIntent(ctx, c, a, p)
	return s.afterIntentCall(ctx, a, p, pi, err)
}

// callIntent sends an attempt's PaymentIntent request, built only from
// stored rows, so a retry (a reconcile in another process) sends the very
// same request under the same idempotency key:
//   - payment: create, confirmed at once when a pm_ is given ("intent");
//   - charge_card: create, confirmed off-session with the card ("intent");
//   - capture: capture the attempt's amount, 0 for all ("capture");
//   - cancel: cancel ("cancel").
func (s *Store) callIntent(ctx context.Context, c *stripe.Client, a Attempt, p Payment) (*stripe.PaymentIntent, error) {
	switch a.Action {
	case ActionPayment, ActionChargeCard:
		params := s.intentParams(p, a.ID, stripeKey(a.ID, "intent"))
		if p.PaymentMethodID != "" {
			params.PaymentMethod, params.Confirm = stripe.String(p.PaymentMethodID), stripe.Bool(true)
		}
		if a.Action == ActionChargeCard {
			params.OffSession = stripe.Bool(true)
			if p.CustomerID != "" {
				params.Customer = stripe.String(p.CustomerID)
			}
		}
		return c.V1PaymentIntents.Create(ctx, params)
	case ActionCapture:
		params := &stripe.PaymentIntentCaptureParams{}
		if a.Amount > 0 {
			params.AmountToCapture = stripe.Int64(a.Amount)
		}
		params.AddExpand("latest_charge")
		params.SetIdempotencyKey(stripeKey(a.ID, "capture"))
		return c.V1PaymentIntents.Capture(ctx, p.IntentID, params)
	case ActionCancel:
		params := &stripe.PaymentIntentCancelParams{}
		params.SetIdempotencyKey(stripeKey(a.ID, "cancel"))
		return c.V1PaymentIntents.Cancel(ctx, p.IntentID, params)
	}
	return nil, aura.Errorf(aura.EINTERNAL, "The attempt %s (%s) has no PaymentIntent call.", a.ID, a.Action)
}

// replayPayment answers a repeat of an attempt Stripe already answered:
// the payment as it is now, with a fresh client secret when the browser
// still has to act, or the refusal again.
func (s *Store) replayPayment(ctx context.Context, c *stripe.Client, a Attempt, p Payment) (Payment, error) {
	if a.Outcome == OutcomeFailed {
		return p, aura.Errorf(aura.ECONFLICT, "%s was refused by Stripe (%s); make a new one to try again.", what[a.Action], a.ErrorCode)
	}
	if p.needsBrowser() && p.IntentID != "" && a.Action == ActionPayment {
		pi, err := c.V1PaymentIntents.Retrieve(ctx, p.IntentID, &stripe.PaymentIntentRetrieveParams{})
		if o, _ := classify(err); o != answered {
			return p, errUnknown(what[a.Action])
		}
		p.ClientSecret = pi.ClientSecret
	}
	return p, nil
}

// afterIntentCall applies the answer (or its absence) of a PaymentIntent
// call to the attempt and the payment.
func (s *Store) afterIntentCall(ctx context.Context, a Attempt, p Payment, pi *stripe.PaymentIntent, err error) (Payment, error) {
	what := what[a.Action]
	o, se := classify(err)
	switch o {
	case unknown:
		if err := s.settleOnly(ctx, &a, OutcomeUnknown, errorCode(se), 1); err != nil {
			return p, err
		}
		return p, errUnknown(what)
	case refused:
		st := intentState{Status: StatusFailed, ErrorCode: errorCode(se)}
		if se.PaymentIntent != nil {
			st.fill(se.PaymentIntent)
			st.Status = StatusFailed
		}
		if a.Action == ActionCapture || a.Action == ActionCancel {
			// Refusing a capture or a release changes nothing about the
			// payment itself (it stays what Stripe last said).
			st = intentState{}
		}
		np, aerr := s.apply(ctx, p.ID, st, &a, OutcomeFailed, errorCode(se), p.BusinessDate)
		if aerr != nil {
			return p, aerr
		}
		np.AttemptID, np.Replayed = a.ID, a.Replayed
		return np, refusal(what, se)
	}
	var st intentState
	st.fill(pi)
	np, err := s.apply(ctx, p.ID, st, &a, OutcomeDone, "", p.BusinessDate)
	if err != nil {
		return np, err
	}
	np.AttemptID, np.Replayed = a.ID, a.Replayed
	if np.needsBrowser() {
		np.ClientSecret = pi.ClientSecret
	}
	return np, nil
}

// CaptureInput captures a hold: Amount (0: all that is held) at most what
// is held. IdempotencyKey is required.
type CaptureInput struct {
	PaymentID      string    `json:"payment_id"`
	Amount         int64     `json:"amount,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	IdempotencyKey string    `json:"-"`
	RequestHash    []byte    `json:"-"`
}

// CaptureHold captures a hold (a payment in requires_capture) with the
// idempotency key "aura-<attempt>-capture": the captured amount becomes a
// succeeded ledger payment on BusinessDate (a partial capture releases the
// rest). Errors: EINVALID naming the fields (an amount above the hold),
// ENOTFOUND, ECONFLICT for a payment that is not a hold awaiting capture,
// a hold past its expiry, or Stripe's refusal, ENOTIMPLEMENTED,
// EUNAVAILABLE when Stripe did not answer.
func (s *Store) CaptureHold(ctx context.Context, in CaptureInput) (Payment, error) {
	var fe fieldErrors
	if in.PaymentID == "" {
		fe.add("payment_id", "is required")
	}
	if in.Amount < 0 || in.Amount > ledger.MaxAmount {
		fe.add("amount", "must be 0 (all that is held) to %d minor units", int64(ledger.MaxAmount))
	}
	if in.BusinessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	fe.idempotencyKey(in.IdempotencyKey)
	if err := fe.err("The capture is not valid."); err != nil {
		return Payment{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Payment{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	a, err := s.begin(ctx, ActionCapture, in.IdempotencyKey, hash, in.Amount, func(tx *tenant.Tx, attemptID string) (string, error) {
		p, err := s.payment(tx, in.PaymentID)
		if err != nil {
			return "", err
		}
		if p.Status != StatusRequiresCapture {
			return "", aura.Errorf(aura.ECONFLICT, "The payment %s is %s; only a hold awaiting capture can be captured.", p.ID, p.Status)
		}
		if p.HoldExpiresAt != nil && !tx.Now.Before(*p.HoldExpiresAt) {
			return "", aura.Errorf(aura.ECONFLICT, "The hold %s expired at %s; Stripe has released it. Charge the card again instead.",
				p.ID, p.HoldExpiresAt.UTC().Format(time.RFC3339))
		}
		held := p.AmountCapturable
		if held == 0 {
			held = p.Amount
		}
		if in.Amount > held {
			return "", aura.Invalid("The capture is larger than the hold.", aura.FieldError{Field: "amount",
				Message: "must be at most " + ledger.FormatAmount(held, p.Currency) + " (what is held)"})
		}
		// The money is taken on the capture's business date.
		return p.ID, s.setBusinessDate(tx, p, in.BusinessDate, attemptID)
	})
	if err != nil {
		return Payment{}, err
	}
	return s.runIntent(ctx, c, a)
}

func (s *Store) setBusinessDate(tx *tenant.Tx, p Payment, d date.Date, attemptID string) error {
	if p.BusinessDate == d {
		return nil
	}
	if _, err := tx.Exec(`UPDATE stripe_payments SET business_date = ?, version = version + 1, updated_at = ? WHERE id = ?`, d, formatTime(tx.Now), p.ID); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "stripe.payment_updated", EntityType: "stripe_payment", EntityID: p.ID,
		Before: map[string]any{"business_date": p.BusinessDate}, After: map[string]any{"business_date": d, "attempt_id": attemptID}})
}

// CancelInput releases a hold, or abandons a payment the cardholder has
// not completed. IdempotencyKey is required.
type CancelInput struct {
	PaymentID      string `json:"payment_id"`
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// CancelPayment cancels a PaymentIntent that took no money: a hold
// (releasing it on the card) or a payment still waiting for the
// cardholder, with the idempotency key "aura-<attempt>-cancel". Nothing is
// recorded in the ledger (no money moved). Errors: EINVALID (the
// idempotency key), ENOTFOUND, ECONFLICT for a payment that took money
// (refund it instead) or Stripe's refusal, ENOTIMPLEMENTED, EUNAVAILABLE
// when Stripe did not answer.
func (s *Store) CancelPayment(ctx context.Context, in CancelInput) (Payment, error) {
	var fe fieldErrors
	if in.PaymentID == "" {
		fe.add("payment_id", "is required")
	}
	fe.idempotencyKey(in.IdempotencyKey)
	if err := fe.err("The cancellation is not valid."); err != nil {
		return Payment{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Payment{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	a, err := s.begin(ctx, ActionCancel, in.IdempotencyKey, hash, 0, func(tx *tenant.Tx, attemptID string) (string, error) {
		p, err := s.payment(tx, in.PaymentID)
		if err != nil {
			return "", err
		}
		if p.Status != StatusRequiresCapture && !p.needsBrowser() {
			return "", aura.Errorf(aura.ECONFLICT, "The payment %s is %s; only a hold or a payment not yet completed can be cancelled (refund a payment that took money).", p.ID, p.Status)
		}
		return p.ID, nil
	})
	if err != nil {
		return Payment{}, err
	}
	return s.runIntent(ctx, c, a)
}

// intentState is what Aura takes from a PaymentIntent (an API answer or a
// webhook's object): ids, status and amounts, nothing about the card.
type intentState struct {
	ID, Status, Currency             string
	CustomerID, PaymentMethodID      string
	ChargeID, ErrorCode              string
	AmountCapturable, AmountReceived int64
	CaptureBefore, Created           time.Time
	Metadata                         map[string]string
}

func (st *intentState) fill(pi *stripe.PaymentIntent) {
	st.ID, st.Status, st.Currency = keep(reIntent, pi.ID), string(pi.Status), strings.ToUpper(string(pi.Currency))
	st.AmountCapturable, st.AmountReceived, st.Metadata = pi.AmountCapturable, pi.AmountReceived, pi.Metadata
	if pi.Created > 0 {
		st.Created = time.Unix(pi.Created, 0).UTC()
	}
	if pi.Customer != nil {
		st.CustomerID = keep(reCustomer, pi.Customer.ID)
	}
	if pi.PaymentMethod != nil {
		st.PaymentMethodID = keep(rePaymentMethod, pi.PaymentMethod.ID)
	}
	if pi.LatestCharge != nil {
		st.ChargeID = keep(reCharge, pi.LatestCharge.ID)
		if d := pi.LatestCharge.PaymentMethodDetails; d != nil && d.Card != nil && d.Card.CaptureBefore > 0 {
			st.CaptureBefore = time.Unix(d.Card.CaptureBefore, 0).UTC()
		}
	}
	if e := pi.LastPaymentError; e != nil && e.Type == stripe.ErrorTypeCard {
		st.ErrorCode = errorCode(e)
	}
}

// moves is the one table of payment status changes Aura follows, whatever
// order Stripe's answers and webhooks arrive in: a status never goes back
// to an earlier stage (a late "processing" after "succeeded" is ignored).
var moves = map[string][]string{
	StatusCreating:              {StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusCanceled, StatusFailed},
	StatusRequiresPaymentMethod: {StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusCanceled, StatusFailed},
	StatusRequiresConfirmation:  {StatusRequiresPaymentMethod, StatusRequiresAction, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusCanceled, StatusFailed},
	StatusRequiresAction:        {StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusCanceled, StatusFailed},
	StatusProcessing:            {StatusSucceeded, StatusFailed, StatusCanceled, StatusRequiresCapture},
	StatusRequiresCapture:       {StatusSucceeded, StatusCanceled, StatusProcessing},
	StatusFailed:                {StatusSucceeded}, // paid after all (the guest tried again in the browser)
}

// next returns the status a payment moves to when Stripe reports
// reported, and whether it moves (or stays, taking news such as an error
// code).
func next(cur, reported string) (string, bool) {
	if cur == StatusProcessing && reported == StatusRequiresPaymentMethod {
		reported = StatusFailed // an asynchronous payment that failed goes back to Stripe's first stage
	}
	if reported == cur {
		return cur, true
	}
	for _, to := range moves[cur] {
		if to == reported {
			return to, true
		}
	}
	return cur, false
}

// apply brings a payment up to what Stripe reported (st; a zero st reports
// nothing) and settles the attempt a (when not nil), in this order: the
// ledger first (idempotent by the payment's key, so repeating it after a
// crash records nothing twice), then the payment row and the attempt in one
// audited transaction. day is the business date of ledger postings.
func (s *Store) apply(ctx context.Context, id string, st intentState, a *Attempt, outcome, errCode string, day date.Date) (Payment, error) {
	unlock := s.lock(id)
	defer unlock()
	cur, err := s.Payment(ctx, id)
	if err != nil {
		return cur, err
	}
	want := cur
	if st.Status != "" {
		status, ok := next(cur.Status, st.Status)
		if ok {
			want.Status = status
			if st.ID != "" {
				want.IntentID = st.ID
			}
			if st.CustomerID != "" {
				want.CustomerID = st.CustomerID
			}
			if st.PaymentMethodID != "" {
				want.PaymentMethodID = st.PaymentMethodID
			}
			if st.ChargeID != "" {
				want.ChargeID = st.ChargeID
			}
			if st.ErrorCode != "" || status == StatusSucceeded {
				want.ErrorCode = st.ErrorCode
			}
			switch status {
			case StatusRequiresCapture:
				want.AmountCapturable = st.AmountCapturable
				if want.HoldExpiresAt == nil || !st.CaptureBefore.IsZero() {
					exp, estimated := st.CaptureBefore, false
					if exp.IsZero() {
						from := st.Created
						if from.IsZero() {
							from = time.Now().UTC()
						}
						exp, estimated = from.Add(holdValidity), true
					}
					want.HoldExpiresAt, want.HoldExpiryEstimated = &exp, estimated
				}
			case StatusSucceeded:
				want.AmountCapturable, want.AmountReceived = 0, st.AmountReceived
				if want.AmountReceived <= 0 {
					want.AmountReceived = want.Amount
				}
			case StatusCanceled, StatusFailed:
				want.AmountCapturable = 0
			}
			if st.Currency != "" && st.Currency != cur.Currency && want.Status == StatusSucceeded {
				return cur, aura.Errorf(aura.EINTERNAL, "Stripe reports the payment %s in %s; it was made in %s.", id, st.Currency, cur.Currency)
			}
		}
	}
	if want.LedgerPaymentID, err = s.settleLedger(ctx, cur, want, day); err != nil {
		return cur, err
	}
	var out Payment
	err = s.db.Update(ctx, func(tx *tenant.Tx) error {
		out = want
		if changed(cur, want) {
			out.Version, out.UpdatedAt = cur.Version+1, tx.Now
			var hold any
			if out.HoldExpiresAt != nil {
				hold = formatTime(*out.HoldExpiresAt)
			}
			res, err := tx.Exec(`UPDATE stripe_payments SET intent_id = ?, customer_id = ?, payment_method_id = ?, charge_id = ?, status = ?,
				amount_capturable = ?, amount_received = ?, hold_expires_at = ?, hold_estimated = ?, ledger_payment_id = ?, error_code = ?,
				version = ?, updated_at = ? WHERE id = ? AND version = ?`,
				nullString(out.IntentID), nullString(out.CustomerID), nullString(out.PaymentMethodID), nullString(out.ChargeID), out.Status,
				out.AmountCapturable, out.AmountReceived, hold, out.HoldExpiryEstimated, nullString(out.LedgerPaymentID), out.ErrorCode,
				out.Version, formatTime(tx.Now), id, cur.Version)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return aura.Errorf(aura.EINTERNAL, "The payment %s changed while Stripe's answer was applied.", id)
			}
			attemptID := ""
			if a != nil {
				attemptID = a.ID
			}
			if err := tx.Audit(audit.Entry{Action: "stripe.payment_updated", EntityType: "stripe_payment", EntityID: id,
				Before: paymentAudit(cur, ""), After: paymentAudit(out, attemptID)}); err != nil {
				return err
			}
		}
		if a != nil {
			return s.settle(tx, a, outcome, errCode, 1)
		}
		return nil
	})
	return out, err
}

func changed(a, b Payment) bool {
	ha, hb := "", ""
	if a.HoldExpiresAt != nil {
		ha = a.HoldExpiresAt.String()
	}
	if b.HoldExpiresAt != nil {
		hb = b.HoldExpiresAt.String()
	}
	return a.IntentID != b.IntentID || a.CustomerID != b.CustomerID || a.PaymentMethodID != b.PaymentMethodID || a.ChargeID != b.ChargeID ||
		a.Status != b.Status || a.AmountCapturable != b.AmountCapturable || a.AmountReceived != b.AmountReceived || ha != hb ||
		a.HoldExpiryEstimated != b.HoldExpiryEstimated || a.LedgerPaymentID != b.LedgerPaymentID || a.ErrorCode != b.ErrorCode
}

// settleLedger makes the ledger agree with a payment's new status and
// returns the ledger payment's id: processing is a pending ledger payment,
// succeeded a succeeded one (of the amount received), failed or cancelled
// after processing a failed one. Holds and payments still waiting for the
// cardholder have none. Each step is idempotent: the ledger payment is
// recorded under the key "stripe:<payment>" (a second one, after a failed
// first, under "stripe:<payment>:<charge>"), and a status is set only when
// it differs.
func (s *Store) settleLedger(ctx context.Context, cur, want Payment, day date.Date) (string, error) {
	id := cur.LedgerPaymentID
	var lp ledger.Payment
	if id != "" {
		var err error
		if lp, err = s.ledger.Payment(ctx, id); err != nil {
			return id, err
		}
	}
	record := func(status string, amount int64, key string) (string, error) {
		p, err := s.ledger.RecordPayment(ctx, ledger.PaymentInput{FolioID: cur.FolioID, Method: ledger.MethodStripe, Amount: amount,
			Status: status, ExternalRef: want.IntentID, Note: cur.Note, BusinessDate: day, IdempotencyKey: key, RequestHash: []byte(key)})
		if err != nil {
			return id, err
		}
		if p.Status == ledger.StatusPending && status == ledger.StatusSucceeded {
			p, err = s.ledger.SetPaymentStatus(ctx, p.ID, ledger.StatusSucceeded, "", day, p.Version)
		}
		return p.ID, err
	}
	move := func(status string) (string, error) {
		if lp.Status == status {
			return id, nil
		}
		_, err := s.ledger.SetPaymentStatus(ctx, id, status, "", day, lp.Version)
		return id, err
	}
	switch want.Status {
	case StatusProcessing:
		if id == "" {
			return record(ledger.StatusPending, want.Amount, "stripe:"+cur.ID)
		}
	case StatusSucceeded:
		switch {
		case id == "":
			return record(ledger.StatusSucceeded, want.AmountReceived, "stripe:"+cur.ID)
		case lp.Status == ledger.StatusPending:
			return move(ledger.StatusSucceeded)
		case lp.Status == ledger.StatusFailed:
			return record(ledger.StatusSucceeded, want.AmountReceived, "stripe:"+cur.ID+":"+want.ChargeID)
		}
	case StatusFailed, StatusCanceled:
		if id != "" && lp.Status == ledger.StatusPending {
			return move(ledger.StatusFailed)
		}
	}
	return id, nil
}

const paymentColumns = `id, folio_id, purpose, capture_method, amount, currency, card_id, intent_id, customer_id, payment_method_id, charge_id,
	status, amount_capturable, amount_received, hold_expires_at, hold_estimated, ledger_payment_id, note, error_code, business_date,
	version, created_at, updated_at`

func scanPayment(r interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var card, intent, customer, pm, charge, hold, lp sql.NullString
	var created, updated string
	err := r.Scan(&p.ID, &p.FolioID, &p.Purpose, &p.Capture, &p.Amount, &p.Currency, &card, &intent, &customer, &pm, &charge,
		&p.Status, &p.AmountCapturable, &p.AmountReceived, &hold, &p.HoldExpiryEstimated, &lp, &p.Note, &p.ErrorCode, &p.BusinessDate,
		&p.Version, &created, &updated)
	p.CardID, p.IntentID, p.CustomerID, p.PaymentMethodID, p.ChargeID, p.LedgerPaymentID =
		card.String, intent.String, customer.String, pm.String, charge.String, lp.String
	if hold.Valid {
		t := parseTime(hold.String)
		p.HoldExpiresAt = &t
	}
	p.CreatedAt, p.UpdatedAt = parseTime(created), parseTime(updated)
	return p, err
}

func (s *Store) payment(tx *tenant.Tx, id string) (Payment, error) {
	q := `SELECT ` + paymentColumns + ` FROM stripe_payments WHERE id = ?`
	if strings.HasPrefix(id, "pay_") {
		q = `SELECT ` + paymentColumns + ` FROM stripe_payments WHERE ledger_payment_id = ?`
	}
	p, err := scanPayment(tx.QueryRow(q, id))
	if err == sql.ErrNoRows {
		return p, notFound("Stripe payment", id)
	}
	return p, err
}

// Payment returns a Stripe payment by its id (stp_…) or by its ledger
// payment's id (pay_…), or ENOTFOUND.
func (s *Store) Payment(ctx context.Context, id string) (Payment, error) {
	var p Payment
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		p, err = s.payment(tx, id)
		return err
	})
	return p, err
}

// FolioPayments returns the Stripe payments of a folio, oldest first: the
// folio page shows holds with their expiry, payments waiting for the
// cardholder and those Stripe refused beside the ledger's lines.
func (s *Store) FolioPayments(ctx context.Context, folioID string) ([]Payment, error) {
	var out []Payment
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = tenant.QueryAll(tx, scanPayment, `SELECT `+paymentColumns+` FROM stripe_payments WHERE folio_id = ? ORDER BY created_at, id`, folioID)
		return err
	})
	return out, err
}
