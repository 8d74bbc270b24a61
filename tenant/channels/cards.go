package channels

import (
	"context"
	"regexp"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Statuses of a channel booking's virtual card.
const (
	CardPending  = "pending"  // received; not yet attached to the booking's folio
	CardAttached = "attached" // registered with tenant/payments on the booking's folio
	CardFailed   = "failed"   // cannot be attached: a person must look (see Error)
)

// VirtualCard is an OTA virtual card that came with a channel booking:
// only the Stripe PaymentMethod id the channel manager's vault made of it,
// and its terms. CardID is the payments card once attached.
type VirtualCard struct {
	ID              string    `json:"id"`
	PropertyID      string    `json:"property_id"`
	BookingID       string    `json:"booking_id"`
	RevisionID      string    `json:"revision_id"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	ActivationDate  date.Date `json:"activation_date"`
	MaxAmount       int64     `json:"max_amount"`
	Currency        string    `json:"currency,omitempty"`
	Source          string    `json:"source"`
	Status          string    `json:"status"`
	CardID          string    `json:"card_id,omitempty"`
	Error           string    `json:"error,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

var rePaymentMethod = regexp.MustCompile(`^pm_[A-Za-z0-9]{1,200}$`)

// insertVirtualCard records the virtual card of an applied revision in
// the revision's transaction. A token that is not a Stripe PaymentMethod
// id is not stored at all (it may be card data): the card is recorded
// failed, for a person to ask the channel for it. The same card of the
// same booking is recorded once; a revision with a new card adds it.
func insertVirtualCard(tx *tenant.Tx, propertyID string, rev Revision, bookingID string) error {
	vc := rev.VirtualCard
	if rev.Status == RevisionCancelled {
		return nil
	}
	card := VirtualCard{ID: aura.NewID("cvc"), PropertyID: propertyID, BookingID: bookingID, RevisionID: rev.ID, PaymentMethodID: vc.Token,
		ActivationDate: vc.ActivationDate, MaxAmount: vc.Amount, Currency: vc.Currency, Source: channelSource(rev.OTAName), Status: CardPending}
	if card.ActivationDate.IsZero() && len(rev.Rooms) > 0 {
		card.ActivationDate = rev.Rooms[0].Arrival // chargeable from arrival when the OTA names no date
	}
	switch {
	case !rePaymentMethod.MatchString(vc.Token):
		card.PaymentMethodID, card.Status = "", CardFailed
		card.Error = "The channel manager sent the virtual card without a Stripe PaymentMethod token; nothing of it was stored. Ask the channel for the card or charge it at the channel."
	case vc.Amount <= 0:
		card.Status, card.Error = CardFailed, "The virtual card came without its amount."
	case card.ActivationDate.IsZero():
		card.Status, card.Error = CardFailed, "The virtual card came without its activation date."
	}
	if len(card.Currency) != 3 {
		card.Currency = ""
	}
	now := tenant.FormatTime(tx.Now)
	res, err := tx.Exec(`INSERT INTO cm_virtual_cards (id, property_id, booking_id, revision_id, payment_method_id, activation_date, max_amount, currency, source,
		status, card_id, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (booking_id, payment_method_id) DO NOTHING`,
		card.ID, propertyID, bookingID, rev.ID, card.PaymentMethodID, card.ActivationDate.String(), max(card.MaxAmount, 0), card.Currency, card.Source,
		card.Status, card.Error, now, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return tx.Audit(audit.Entry{Action: "channel_card.received", EntityType: "channel_card", EntityID: card.ID, After: card})
}

const virtualCardColumns = `id, property_id, booking_id, revision_id, payment_method_id, activation_date, max_amount, currency, source, status,
	coalesce(card_id, ''), error, created_at, updated_at`

func scanVirtualCard(s interface{ Scan(...any) error }) (VirtualCard, error) {
	var c VirtualCard
	var activation, created, updated string
	if err := s.Scan(&c.ID, &c.PropertyID, &c.BookingID, &c.RevisionID, &c.PaymentMethodID, &activation, &c.MaxAmount, &c.Currency, &c.Source,
		&c.Status, &c.CardID, &c.Error, &created, &updated); err != nil {
		return c, err
	}
	c.ActivationDate, _ = date.Parse(activation)
	c.CreatedAt, c.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return c, nil
}

// VirtualCards returns virtual cards: of a booking when bookingID is set,
// else of a property in the given statuses (all when none), oldest first.
func (db Store) VirtualCards(ctx context.Context, propertyID, bookingID string, statuses ...string) ([]VirtualCard, error) {
	out := []VirtualCard{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		q := `SELECT ` + virtualCardColumns + ` FROM cm_virtual_cards WHERE `
		args := []any{}
		if bookingID != "" {
			q += `booking_id = ?`
			args = append(args, bookingID)
		} else {
			q += `(? = '' OR property_id = ?)`
			args = append(args, propertyID, propertyID)
		}
		if len(statuses) > 0 {
			q += ` AND status IN (` + placeholders(len(statuses)) + `)`
			for _, s := range statuses {
				args = append(args, s)
			}
		}
		rows, err := tx.Query(q+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanVirtualCard(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// SetVirtualCardState records what attaching a virtual card did: attached
// with the payments card's id, failed with the reason, or still pending
// with the reason it must wait (Stripe not set up, no answer). A change of
// status is audited; a pending card's note is bookkeeping. It returns
// ENOTFOUND for an unknown card and EINVALID for an unknown status.
func (db Store) SetVirtualCardState(ctx context.Context, id, status, cardID, reason string) error {
	if status != CardPending && status != CardAttached && status != CardFailed {
		return aura.Invalid("The card status is not valid.", aura.FieldError{Field: "status", Message: "must be pending, attached or failed"})
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := scanVirtualCard(tx.QueryRow(`SELECT `+virtualCardColumns+` FROM cm_virtual_cards WHERE id = ?`, id))
		if err != nil {
			return tenant.NotFound("channel virtual card", id)
		}
		if _, err := tx.Exec(`UPDATE cm_virtual_cards SET status = ?, card_id = ?, error = ?, updated_at = ? WHERE id = ?`,
			status, nullable(cardID), reason, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		if before.Status == status {
			tx.Unaudited("channel virtual card: the reason it waits")
			return nil
		}
		after := before
		after.Status, after.CardID, after.Error, after.UpdatedAt = status, cardID, reason, tx.Now
		return tx.Audit(audit.Entry{Action: "channel_card." + status, EntityType: "channel_card", EntityID: id, Before: before, After: after})
	})
}
