package payments

import (
	"context"

	"github.com/aurapms/aura/tenant"
)

// FolioRefunds returns the refunds of every Stripe payment of a folio, by
// payment id (stp_…), oldest first, in one read: the folio page's Stripe
// part shows them under their payments.
func (s *Store) FolioRefunds(ctx context.Context, folioID string) (map[string][]Refund, error) {
	out := map[string][]Refund{}
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		all, err := tenant.QueryAll(tx, scanRefund, `SELECT `+refundColumns+` FROM stripe_refunds
			WHERE payment_id IN (SELECT id FROM stripe_payments WHERE folio_id = ?) ORDER BY created_at, id`, folioID)
		for _, r := range all {
			out[r.PaymentID] = append(out[r.PaymentID], r)
		}
		return err
	})
	return out, err
}
