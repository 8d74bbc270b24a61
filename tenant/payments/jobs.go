package payments

import (
	"context"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
)

// What the background jobs of cmd/aura call: the stripe-reconcile job
// (ReconcileOpen, due again per NextReconcile) and the night-audit job,
// which charges the no-show fees it posted to a card the stay holds
// (ChargeNoShowFee).

// ReconcileEvery is how soon the stripe-reconcile job runs again while
// some attempt's outcome is not known.
const ReconcileEvery = 5 * time.Minute

// NextReconcile says when the stripe-reconcile job is next due: now plus
// ReconcileEvery while an attempt's outcome is not known (pending or
// unknown), else not before the scheduler's own longest wait (ok false).
func (s *Store) NextReconcile(ctx context.Context, now time.Time) (next time.Time, ok bool, err error) {
	var n int
	err = s.db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM stripe_attempts WHERE outcome IN ('pending', 'unknown')`).Scan(&n)
	})
	return now.Add(ReconcileEvery), err == nil && n > 0, err
}

// NoShowFeeItem is the item of the no-show fee's folio line (the PMS's
// poster, tenant/pmsledger, posts fees as "fee:" + the fee's kind).
const NoShowFeeItem = "fee:no_show"

// ChargeNoShowFee charges the no-show fee posted to a reservation's folio
// to a card the folio holds, off-session: a card on file first, then an
// OTA virtual card (from its activation date, up to its amount). The
// amount is the fee capped at the folio's open balance (a deposit already
// paid is not charged again) less what earlier no-show charges of the
// folio took or have in flight; nothing is charged when no fee was posted,
// nothing is open, or the folio holds no active card. The idempotency key
// is derived from the reservation and the card, so running the job again
// charges nothing twice; a card Stripe declines (or a virtual card not yet
// active) is skipped for the next one. It returns the payment and true
// when a charge was made (or had been made before). Errors:
// ENOTIMPLEMENTED when Stripe is not set up, EUNAVAILABLE when Stripe did
// not answer (the attempt is left for the reconcile job), others internal.
func (s *Store) ChargeNoShowFee(ctx context.Context, reservationID string, businessDate date.Date) (Payment, bool, error) {
	folios, err := s.ledger.Folios(ctx, ledger.Ref{Kind: ledger.RefReservation, ID: reservationID})
	if err != nil {
		return Payment{}, false, err
	}
	for _, f := range folios {
		v, err := s.ledger.Folio(ctx, f.ID)
		if err != nil {
			return Payment{}, false, err
		}
		var fee int64
		for _, l := range v.Lines {
			if l.Kind == ledger.LineCharge && l.Item == NoShowFeeItem {
				fee += l.Gross
			}
		}
		// What earlier runs charged (or still have in flight) counts.
		ps, err := s.FolioPayments(ctx, f.ID)
		if err != nil {
			return Payment{}, false, err
		}
		for _, p := range ps {
			switch {
			case p.Purpose != PurposeNoShowFee || p.Status == StatusFailed || p.Status == StatusCanceled:
			case p.Status == StatusSucceeded:
				fee -= p.AmountReceived
			default:
				fee -= p.Amount
			}
		}
		amount := min(fee, v.Balance.Balance)
		if amount <= 0 {
			continue
		}
		cards, err := s.Cards(ctx, f.ID)
		if err != nil {
			return Payment{}, false, err
		}
		for _, kind := range []string{CardSaved, CardVirtual} {
			for _, card := range cards {
				if card.Kind != kind || card.Status != CardActive {
					continue
				}
				p, err := s.ChargeCard(ctx, ChargeInput{CardID: card.ID, Amount: amount, Purpose: PurposeNoShowFee, Note: "No-show fee",
					BusinessDate: businessDate, IdempotencyKey: "no-show-fee-" + reservationID + "-" + card.ID})
				switch aura.ErrorCode(err) {
				case "":
					return p, true, nil
				case aura.ECONFLICT, aura.EINVALID:
					continue // declined, not active yet, above what is left: the next card
				}
				return p, false, err
			}
		}
	}
	return Payment{}, false, nil
}
