package payments

import (
	"context"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/stripe/stripe-go/v85"
)

// Reconcile finishes an attempt whose outcome is not known: Stripe did not
// answer (outcome unknown), or the process stopped after writing the
// attempt (pending). It sends the attempt's request again, rebuilt from the
// stored rows, with the same idempotency key, so Stripe performs it at most
// once and answers with its result, which is then applied as the first
// answer would have been. An attempt with a known outcome is returned as
// it is. Errors: ENOTFOUND, ENOTIMPLEMENTED when Stripe is not set up,
// EUNAVAILABLE when Stripe still does not answer, and the action's own
// errors (ECONFLICT when Stripe refused it).
func (s *Store) Reconcile(ctx context.Context, attemptID string) (Attempt, error) {
	a, err := s.Attempt(ctx, attemptID)
	if err != nil || !a.open() {
		return a, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return a, err
	}
	switch a.Action {
	case ActionPayment, ActionChargeCard, ActionCapture, ActionCancel:
		_, err = s.runIntent(ctx, c, a)
	case ActionSaveCard:
		_, err = s.runSetup(ctx, c, a)
	case ActionRefund:
		err = s.reconcileRefund(ctx, c, a)
	default:
		err = aura.Errorf(aura.EINTERNAL, "The attempt %s has an unknown action %q.", a.ID, a.Action)
	}
	if rerr := s.reload(ctx, &a); rerr != nil {
		return a, rerr
	}
	return a, err
}

func (s *Store) reconcileRefund(ctx context.Context, c *stripe.Client, a Attempt) error {
	unlock := s.lock(a.ID)
	defer unlock()
	if err := s.reload(ctx, &a); err != nil || !a.open() {
		return err
	}
	r, err := s.refund(ctx, a.TargetID)
	if err != nil {
		return err
	}
	p, err := s.Payment(ctx, r.PaymentID)
	if err != nil {
		return err
	}
	_, err = s.runRefund(ctx, c, a, r, p)
	return err
}

// ReconcileOpen reconciles every attempt whose outcome is not known, oldest
// first (a background job's call), and returns how many it settled. It
// stops at the first error other than Stripe's refusal of one attempt or
// its silence (EUNAVAILABLE: tried again next time).
func (s *Store) ReconcileOpen(ctx context.Context) (int, error) {
	var ids []string
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		ids, err = tenant.QueryAll(tx, scanID, `SELECT id FROM stripe_attempts WHERE outcome IN ('pending', 'unknown') ORDER BY created_at, id`)
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		a, err := s.Reconcile(ctx, id)
		switch aura.ErrorCode(err) {
		case "", aura.ECONFLICT, aura.EINVALID:
		case aura.EUNAVAILABLE:
			continue
		default:
			return n, err
		}
		if !a.open() {
			n++
		}
	}
	return n, nil
}

// RefreshPayment asks Stripe for the current state of a payment (stp_… or
// pay_…) and applies it as a webhook would: the page the browser returns
// to after Stripe Elements calls it, so the cardholder sees the outcome
// without waiting for the webhook. Errors: ENOTFOUND, ENOTIMPLEMENTED,
// EUNAVAILABLE when Stripe does not answer, ECONFLICT when Stripe refuses.
func (s *Store) RefreshPayment(ctx context.Context, id string) (Payment, error) {
	p, err := s.Payment(ctx, id)
	if err != nil || p.IntentID == "" {
		return p, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return p, err
	}
	params := &stripe.PaymentIntentRetrieveParams{}
	params.AddExpand("latest_charge")
	pi, err := c.V1PaymentIntents.Retrieve(ctx, p.IntentID, params)
	if o, se := classify(err); o == unknown {
		return p, errUnknown("Refreshing the payment")
	} else if o == refused {
		return p, refusal("Refreshing the payment", se)
	}
	var st intentState
	st.fill(pi)
	np, err := s.apply(ctx, p.ID, st, nil, "", "", p.BusinessDate)
	if err == nil && np.needsBrowser() {
		np.ClientSecret = pi.ClientSecret
	}
	return np, err
}

// RefreshCard asks Stripe for the current state of a saved card's
// SetupIntent and applies it as a webhook would (see RefreshPayment).
// Errors: ENOTFOUND, ENOTIMPLEMENTED, EUNAVAILABLE, ECONFLICT.
func (s *Store) RefreshCard(ctx context.Context, id string) (Card, error) {
	card, err := s.Card(ctx, id)
	if err != nil || card.SetupIntentID == "" {
		return card, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return card, err
	}
	si, err := c.V1SetupIntents.Retrieve(ctx, card.SetupIntentID, &stripe.SetupIntentRetrieveParams{})
	if o, se := classify(err); o == unknown {
		return card, errUnknown("Refreshing the card")
	} else if o == refused {
		return card, refusal("Refreshing the card", se)
	}
	var st setupState
	st.fill(si)
	nc, err := s.applySetup(ctx, card.ID, st, nil, "", "")
	if err == nil && nc.Status == CardPending {
		nc.ClientSecret = si.ClientSecret
	}
	return nc, err
}
