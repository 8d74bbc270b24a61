package payments

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/stripe/stripe-go/v85"
)

// Card kinds.
const (
	CardSaved   = "saved"   // a guest's card saved on file (SetupIntent, off-session use)
	CardVirtual = "virtual" // an OTA's virtual card (a PaymentMethod token from the channel manager)
)

// Card statuses.
const (
	CardPending = "pending" // the cardholder has not completed the SetupIntent yet
	CardActive  = "active"  // chargeable
	CardFailed  = "failed"  // the SetupIntent failed or was cancelled
)

// Card is a stored card of a folio: only Stripe's ids (cus_, pm_, seti_)
// and, for a virtual card, its activation date, amount, currency and
// channel. Charged is what the card's payments took or hold.
type Card struct {
	ID              string    `json:"id"`
	FolioID         string    `json:"folio_id"`
	Kind            string    `json:"kind"`
	Status          string    `json:"status"`
	CustomerID      string    `json:"customer_id,omitempty"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	SetupIntentID   string    `json:"setup_intent_id,omitempty"`
	ActivationDate  date.Date `json:"activation_date,omitzero"`
	MaxAmount       int64     `json:"max_amount,omitempty"`
	Currency        string    `json:"currency,omitempty"`
	Source          string    `json:"source,omitempty"`
	Charged         int64     `json:"charged"`
	ErrorCode       string    `json:"error_code,omitempty"`
	Version         int       `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// ClientSecret lets Stripe Elements confirm the SetupIntent in the
	// browser while the card is pending; returned, never stored.
	ClientSecret string `json:"client_secret,omitempty"`
	AttemptID    string `json:"attempt_id,omitempty"`
	Replayed     bool   `json:"replayed,omitempty"`
}

// SaveCardInput saves a card on file for a folio. Without a
// PaymentMethodID the SetupIntent is confirmed in the browser by Stripe
// Elements with the returned ClientSecret; with one (a pm_ Elements
// created) it is confirmed at once. IdempotencyKey is required.
type SaveCardInput struct {
	FolioID         string `json:"folio_id"`
	PaymentMethodID string `json:"payment_method_id,omitempty"`
	IdempotencyKey  string `json:"-"`
	RequestHash     []byte `json:"-"`
}

// SaveCard saves a card on file for later off-session charges (a no-show
// or cancellation fee): a Stripe Customer (no name or email: Stripe needs
// none to keep a card) with the idempotency key "aura-<attempt>-customer",
// then a SetupIntent with usage off_session, cards only, key
// "aura-<attempt>-setup". Only the cus_, seti_ and, once the card is
// confirmed, pm_ ids are stored. Audited ("stripe.card_saved",
// "stripe.card_updated"). Errors: EINVALID naming the fields, ENOTFOUND for
// an unknown folio, ENOTIMPLEMENTED when Stripe is not set up, ECONFLICT
// when Stripe refuses (the card is returned, status failed), EUNAVAILABLE
// when Stripe did not answer (retry with the same key, or Reconcile).
func (s *Store) SaveCard(ctx context.Context, in SaveCardInput) (Card, error) {
	var fe fieldErrors
	if in.FolioID == "" {
		fe.add("folio_id", "is required")
	}
	if in.PaymentMethodID != "" && !isID(rePaymentMethod, in.PaymentMethodID) {
		fe.add("payment_method_id", "must be a Stripe PaymentMethod id (pm_…) from Stripe Elements, never card data")
	}
	fe.idempotencyKey(in.IdempotencyKey)
	if err := fe.err("The card cannot be saved."); err != nil {
		return Card{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Card{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	a, err := s.begin(ctx, ActionSaveCard, in.IdempotencyKey, hash, 0, func(tx *tenant.Tx, attemptID string) (string, error) {
		if _, err := folioCurrency(tx, in.FolioID); err != nil {
			return "", err
		}
		card := Card{ID: aura.NewID(prefixCard), FolioID: in.FolioID, Kind: CardSaved, Status: CardPending, PaymentMethodID: in.PaymentMethodID,
			Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		return card.ID, s.insertCard(tx, card, attemptID)
	})
	if err != nil {
		return Card{}, err
	}
	return s.runSetup(ctx, c, a)
}

// runSetup drives a save_card attempt under its lock: the customer first
// (unless the card has one), then the SetupIntent.
func (s *Store) runSetup(ctx context.Context, c *stripe.Client, a Attempt) (Card, error) {
	unlock := s.lock(a.ID)
	defer unlock()
	if err := s.reload(ctx, &a); err != nil {
		return Card{}, err
	}
	card, err := s.Card(ctx, a.TargetID)
	if err != nil {
		return card, err
	}
	card.AttemptID, card.Replayed = a.ID, a.Replayed
	if !a.open() {
		if a.Outcome == OutcomeFailed {
			return card, aura.Errorf(aura.ECONFLICT, "Saving the card was refused by Stripe (%s); try again with a new request.", a.ErrorCode)
		}
		if card.Status == CardPending && card.SetupIntentID != "" {
			si, err := c.V1SetupIntents.Retrieve(ctx, card.SetupIntentID, &stripe.SetupIntentRetrieveParams{})
			if o, _ := classify(err); o != answered {
				return card, errUnknown(what[a.Action])
			}
			card.ClientSecret = si.ClientSecret
		}
		return card, nil
	}
	calls := 0
	if card.CustomerID == "" {
		params := &stripe.CustomerCreateParams{Description: stripe.String("Aura folio " + card.FolioID),
			Metadata: map[string]string{"aura_tenant": s.db.ID, "aura_folio": card.FolioID, "aura_card": card.ID}}
		params.SetIdempotencyKey(stripeKey(a.ID, "customer"))
		cus, err := c.V1Customers.Create(ctx, params)
		calls++
		if o, se := classify(err); o != answered {
			return s.afterSetupCall(ctx, a, card, nil, o, se, calls)
		}
		if card, err = s.applySetup(ctx, card.ID, setupState{CustomerID: keep(reCustomer, cus.ID)}, nil, "", ""); err != nil {
			return card, err
		}
		card.AttemptID, card.Replayed = a.ID, a.Replayed
		if card.CustomerID == "" {
			return card, aura.Errorf(aura.EINTERNAL, "Stripe answered with a customer id Aura does not recognise.")
		}
	}
	params := &stripe.SetupIntentCreateParams{
		Customer:           stripe.String(card.CustomerID),
		Usage:              stripe.String(string(stripe.SetupIntentUsageOffSession)),
		PaymentMethodTypes: []*string{stripe.String("card")},
		Description:        stripe.String("Aura: card on file (" + card.FolioID + ")"),
		Metadata:           map[string]string{"aura_tenant": s.db.ID, "aura_card": card.ID, "aura_attempt": a.ID, "aura_folio": card.FolioID},
	}
	if card.PaymentMethodID != "" {
		params.PaymentMethod, params.Confirm = stripe.String(card.PaymentMethodID), stripe.Bool(true)
	}
	params.SetIdempotencyKey(stripeKey(a.ID, "setup"))
	si, err := c.V1SetupIntents.Create(ctx, params)
	calls++
	o, se := classify(err)
	return s.afterSetupCall(ctx, a, card, si, o, se, calls)
}

func (s *Store) afterSetupCall(ctx context.Context, a Attempt, card Card, si *stripe.SetupIntent, o outcome, se *stripe.Error, calls int) (Card, error) {
	what := what[a.Action]
	switch o {
	case unknown:
		if err := s.settleOnly(ctx, &a, OutcomeUnknown, errorCode(se), calls); err != nil {
			return card, err
		}
		return card, errUnknown(what)
	case refused:
		st := setupState{Status: string(stripe.SetupIntentStatusCanceled), ErrorCode: errorCode(se)}
		if se.SetupIntent != nil {
			st.fill(se.SetupIntent)
		}
		st.Status = string(stripe.SetupIntentStatusCanceled) // refused for good: the card is not saved
		nc, err := s.applySetup(ctx, card.ID, st, &a, OutcomeFailed, errorCode(se))
		if err != nil {
			return card, err
		}
		nc.AttemptID, nc.Replayed = a.ID, a.Replayed
		return nc, refusal(what, se)
	}
	var st setupState
	st.fill(si)
	nc, err := s.applySetupCalls(ctx, card.ID, st, &a, OutcomeDone, "", calls)
	if err != nil {
		return card, err
	}
	nc.AttemptID, nc.Replayed = a.ID, a.Replayed
	if nc.Status == CardPending {
		nc.ClientSecret = si.ClientSecret
	}
	return nc, nil
}

// setupState is what Aura takes from a SetupIntent: ids and status.
type setupState struct {
	ID, Status, CustomerID, PaymentMethodID, ErrorCode string
	Metadata                                           map[string]string
}

func (st *setupState) fill(si *stripe.SetupIntent) {
	st.ID, st.Status, st.Metadata = keep(reSetupIntent, si.ID), string(si.Status), si.Metadata
	if si.Customer != nil {
		st.CustomerID = keep(reCustomer, si.Customer.ID)
	}
	if si.PaymentMethod != nil {
		st.PaymentMethodID = keep(rePaymentMethod, si.PaymentMethod.ID)
	}
	if e := si.LastSetupError; e != nil && e.Type == stripe.ErrorTypeCard {
		st.ErrorCode = errorCode(e)
	}
}

func (s *Store) applySetup(ctx context.Context, id string, st setupState, a *Attempt, outcome, errCode string) (Card, error) {
	return s.applySetupCalls(ctx, id, st, a, outcome, errCode, 1)
}

// applySetupCalls brings a saved card up to what Stripe reported of its
// customer or SetupIntent: succeeded makes it active with its pm_,
// canceled makes it failed; an active card stays active. The attempt a,
// when not nil, is settled in the same audited transaction.
func (s *Store) applySetupCalls(ctx context.Context, id string, st setupState, a *Attempt, outcome, errCode string, calls int) (Card, error) {
	unlock := s.lock(id)
	defer unlock()
	var out Card
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		cur, err := s.card(tx, id)
		if err != nil {
			return err
		}
		out = cur
		if st.ID != "" && out.SetupIntentID == "" {
			out.SetupIntentID = st.ID
		}
		if st.CustomerID != "" && out.CustomerID == "" {
			out.CustomerID = st.CustomerID
		}
		if cur.Status == CardPending {
			switch stripe.SetupIntentStatus(st.Status) {
			case stripe.SetupIntentStatusSucceeded:
				if st.PaymentMethodID != "" {
					out.Status, out.PaymentMethodID, out.ErrorCode = CardActive, st.PaymentMethodID, ""
				}
			case stripe.SetupIntentStatusCanceled:
				out.Status = CardFailed
			}
			if st.ErrorCode != "" {
				out.ErrorCode = st.ErrorCode
			}
		}
		if out != cur {
			out.Version, out.UpdatedAt = cur.Version+1, tx.Now
			if _, err := tx.Exec(`UPDATE stripe_cards SET status = ?, customer_id = ?, payment_method_id = ?, setup_intent_id = ?, error_code = ?,
				version = ?, updated_at = ? WHERE id = ?`, out.Status, nullString(out.CustomerID), nullString(out.PaymentMethodID),
				nullString(out.SetupIntentID), out.ErrorCode, out.Version, formatTime(tx.Now), id); err != nil {
				return err
			}
			attemptID := ""
			if a != nil {
				attemptID = a.ID
			}
			if err := tx.Audit(audit.Entry{Action: "stripe.card_updated", EntityType: "stripe_card", EntityID: id,
				Before: cardAudit(cur, ""), After: cardAudit(out, attemptID)}); err != nil {
				return err
			}
		}
		if a != nil {
			return s.settle(tx, a, outcome, errCode, calls)
		}
		return nil
	})
	return out, err
}

// VirtualCardInput registers an OTA virtual card on a folio: the
// PaymentMethod token the channel manager's vault created in the tenant's
// Stripe account (and its customer, if it made one), chargeable from
// ActivationDate up to MaxAmount in Currency (empty: the folio's). Source
// names the channel (e.g. booking.com).
type VirtualCardInput struct {
	FolioID         string    `json:"folio_id"`
	PaymentMethodID string    `json:"payment_method_id"`
	CustomerID      string    `json:"customer_id,omitempty"`
	ActivationDate  date.Date `json:"activation_date"`
	MaxAmount       int64     `json:"max_amount"`
	Currency        string    `json:"currency,omitempty"`
	Source          string    `json:"source"`
}

var reSource = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$`)

// AddVirtualCard registers an OTA virtual card: Stripe is asked (a read)
// whether the PaymentMethod exists in the tenant's account and is a card,
// then the card is stored active with its activation date, amount and
// currency; ChargeCard refuses it before that date and above that amount.
// The same PaymentMethod on the same folio returns the card already
// registered (Replayed). Audited ("stripe.card_added"). Errors: EINVALID
// naming the fields (a token that is not a pm_, a PaymentMethod Stripe does
// not know or that is not a card, a currency other than the folio's),
// ENOTFOUND for an unknown folio, ENOTIMPLEMENTED when Stripe is not set
// up, EUNAVAILABLE when Stripe did not answer (nothing stored).
func (s *Store) AddVirtualCard(ctx context.Context, in VirtualCardInput) (Card, error) {
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	var fe fieldErrors
	if in.FolioID == "" {
		fe.add("folio_id", "is required")
	}
	if !isID(rePaymentMethod, in.PaymentMethodID) {
		fe.add("payment_method_id", "must be a Stripe PaymentMethod id (pm_…) from the channel manager, never card data")
	}
	if in.CustomerID != "" && !isID(reCustomer, in.CustomerID) {
		fe.add("customer_id", "must be a Stripe customer id (cus_…)")
	}
	if in.ActivationDate.IsZero() {
		fe.add("activation_date", "is required (YYYY-MM-DD)")
	}
	if in.MaxAmount <= 0 || in.MaxAmount > ledger.MaxAmount {
		fe.add("max_amount", "must be 1 to %d minor units", int64(ledger.MaxAmount))
	}
	if !isID(reSource, in.Source) {
		fe.add("source", "must name the channel: 1 to 50 letters, digits, '.', '_' or '-'")
	}
	if err := fe.err("The virtual card is not valid."); err != nil {
		return Card{}, err
	}
	if card, err := s.virtualCard(ctx, in.FolioID, in.PaymentMethodID); err == nil {
		card.Replayed = true
		return card, nil
	} else if aura.ErrorCode(err) != aura.ENOTFOUND {
		return card, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Card{}, err
	}
	pm, err := c.V1PaymentMethods.Retrieve(ctx, in.PaymentMethodID, &stripe.PaymentMethodRetrieveParams{})
	switch o, se := classify(err); {
	case o == unknown:
		return Card{}, errUnknown("Checking the virtual card")
	case o == refused:
		return Card{}, aura.Invalid("Stripe does not know this PaymentMethod in the tenant's account.",
			aura.FieldError{Field: "payment_method_id", Message: "is not a PaymentMethod of this Stripe account (" + errorCode(se) + ")"})
	case pm.Type != stripe.PaymentMethodTypeCard:
		return Card{}, aura.Invalid("The virtual card is not valid.", aura.FieldError{Field: "payment_method_id", Message: "is not a card"})
	}
	var card Card
	err = s.db.Update(ctx, func(tx *tenant.Tx) error {
		currency, err := folioCurrency(tx, in.FolioID)
		if err != nil {
			return err
		}
		if in.Currency == "" {
			in.Currency = currency
		}
		if in.Currency != currency {
			return aura.Invalid("The virtual card is not valid.", aura.FieldError{Field: "currency", Message: "must be the folio's currency, " + currency})
		}
		card = Card{ID: aura.NewID(prefixCard), FolioID: in.FolioID, Kind: CardVirtual, Status: CardActive, CustomerID: in.CustomerID,
			PaymentMethodID: in.PaymentMethodID, ActivationDate: in.ActivationDate, MaxAmount: in.MaxAmount, Currency: in.Currency,
			Source: in.Source, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		return s.insertCard(tx, card, "")
	})
	if aura.ErrorCode(err) == aura.ECONFLICT {
		// Registered meanwhile by a concurrent request: that one stands.
		if existing, gerr := s.virtualCard(ctx, in.FolioID, in.PaymentMethodID); gerr == nil {
			existing.Replayed = true
			return existing, nil
		}
	}
	return card, err
}

func folioCurrency(tx *tenant.Tx, folioID string) (string, error) {
	var currency string
	err := tx.QueryRow(`SELECT currency FROM ledger_folios WHERE id = ?`, folioID).Scan(&currency)
	if err == sql.ErrNoRows {
		return "", notFound("folio", folioID)
	}
	return currency, err
}

func (s *Store) insertCard(tx *tenant.Tx, c Card, attemptID string) error {
	var activation, maxAmount, currency any
	if c.Kind == CardVirtual {
		activation, maxAmount, currency = c.ActivationDate, c.MaxAmount, c.Currency
	}
	if _, err := tx.Exec(`INSERT INTO stripe_cards (id, folio_id, kind, status, customer_id, payment_method_id, setup_intent_id, activation_date,
		max_amount, currency, source, error_code, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, '', ?, ?, ?)`,
		c.ID, c.FolioID, c.Kind, c.Status, nullString(c.CustomerID), nullString(c.PaymentMethodID), activation, maxAmount, currency,
		c.Source, c.Version, formatTime(tx.Now), formatTime(tx.Now)); err != nil {
		return err
	}
	action := "stripe.card_saved"
	if c.Kind == CardVirtual {
		action = "stripe.card_added"
	}
	return tx.Audit(audit.Entry{Action: action, EntityType: "stripe_card", EntityID: c.ID, After: cardAudit(c, attemptID)})
}

// cardAudit is what an audit row records of a card: ids, status and a
// virtual card's terms; there is no card data to record.
func cardAudit(c Card, attemptID string) map[string]any {
	m := map[string]any{"folio_id": c.FolioID, "kind": c.Kind, "status": c.Status}
	for k, v := range map[string]string{"attempt_id": attemptID, "customer_id": c.CustomerID, "payment_method_id": c.PaymentMethodID,
		"setup_intent_id": c.SetupIntentID, "error_code": c.ErrorCode, "source": c.Source} {
		if v != "" {
			m[k] = v
		}
	}
	if c.Kind == CardVirtual {
		m["activation_date"], m["max_amount"], m["currency"] = c.ActivationDate, c.MaxAmount, c.Currency
	}
	return m
}

const cardColumns = `id, folio_id, kind, status, customer_id, payment_method_id, setup_intent_id, activation_date, max_amount, currency,
	source, error_code, version, created_at, updated_at`

func (s *Store) scanCard(tx *tenant.Tx, r interface{ Scan(...any) error }) (Card, error) {
	var c Card
	var customer, pm, seti, currency sql.NullString
	var maxAmount sql.NullInt64
	var created, updated string
	if err := r.Scan(&c.ID, &c.FolioID, &c.Kind, &c.Status, &customer, &pm, &seti, &c.ActivationDate, &maxAmount, &currency,
		&c.Source, &c.ErrorCode, &c.Version, &created, &updated); err != nil {
		return c, err
	}
	c.CustomerID, c.PaymentMethodID, c.SetupIntentID, c.Currency, c.MaxAmount = customer.String, pm.String, seti.String, currency.String, maxAmount.Int64
	c.CreatedAt, c.UpdatedAt = parseTime(created), parseTime(updated)
	var err error
	c.Charged, err = s.virtualUsed(tx, c.ID)
	return c, err
}

func (s *Store) card(tx *tenant.Tx, id string) (Card, error) {
	c, err := s.scanCard(tx, tx.QueryRow(`SELECT `+cardColumns+` FROM stripe_cards WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return c, notFound("card", id)
	}
	return c, err
}

func (s *Store) virtualCard(ctx context.Context, folioID, pm string) (Card, error) {
	var c Card
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		c, err = s.scanCard(tx, tx.QueryRow(`SELECT `+cardColumns+` FROM stripe_cards WHERE folio_id = ? AND payment_method_id = ? AND kind = 'virtual'`, folioID, pm))
		if err == sql.ErrNoRows {
			return notFound("virtual card", pm)
		}
		return err
	})
	return c, err
}

// Card returns a stored card, or ENOTFOUND.
func (s *Store) Card(ctx context.Context, id string) (Card, error) {
	var c Card
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		c, err = s.card(tx, id)
		return err
	})
	return c, err
}

// Cards returns the stored cards of a folio, oldest first.
func (s *Store) Cards(ctx context.Context, folioID string) ([]Card, error) {
	var out []Card
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		ids, err := tenant.QueryAll(tx, scanID, `SELECT id FROM stripe_cards WHERE folio_id = ? ORDER BY created_at, id`, folioID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			c, err := s.card(tx, id)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
