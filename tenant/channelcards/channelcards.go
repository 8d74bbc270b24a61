// Package channelcards attaches the OTA virtual cards that came with
// channel bookings (recorded by tenant/channels as Stripe PaymentMethod ids
// only) to the bookings' folios through tenant/payments, which checks the
// token with Stripe and keeps the card's terms (chargeable from its
// activation date, up to its amount). It sits above both, as channels may
// not import the books.
package channelcards

import (
	"context"
	"errors"
	"sort"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/aurapms/aura/tenant/stays"
)

// Result counts one pass of Attach.
type Result struct {
	Attached, Failed, Waiting int
}

// Attach attaches every pending virtual card of the tenant's channel
// bookings to the guest folio of the booking's first stay: attached when
// payments registered it (the same card twice is registered once), failed
// with the reason when it cannot be (Stripe does not know the token, a
// currency other than the folio's, the booking has no stay left), pending
// with the reason when it must wait (Stripe or the books not set up,
// Stripe did not answer). One card's failure does not stop the others;
// the error returned is the first that was not about a card.
func Attach(ctx context.Context, db *tenant.DB, pay *payments.Store) (Result, error) {
	var out Result
	st := channels.New(db)
	cards, err := st.VirtualCards(ctx, "", "", channels.CardPending)
	if err != nil {
		return out, err
	}
	for _, vc := range cards {
		status, cardID, reason, err := attach(ctx, db, pay, vc)
		if err != nil {
			return out, err
		}
		switch status {
		case channels.CardAttached:
			out.Attached++
		case channels.CardFailed:
			out.Failed++
		default:
			out.Waiting++
		}
		if status == vc.Status && reason == vc.Error {
			continue
		}
		if err := st.SetVirtualCardState(ctx, vc.ID, status, cardID, reason); err != nil {
			return out, err
		}
	}
	return out, nil
}

func attach(ctx context.Context, db *tenant.DB, pay *payments.Store, vc channels.VirtualCard) (status, cardID, reason string, err error) {
	b, err := stays.New(db).GetBooking(ctx, vc.BookingID)
	if err != nil {
		return "", "", "", err
	}
	rs := append([]stays.Reservation(nil), b.Reservations...)
	sort.Slice(rs, func(i, j int) bool {
		return rs[i].CreatedAt.Before(rs[j].CreatedAt) || rs[i].CreatedAt.Equal(rs[j].CreatedAt) && rs[i].ID < rs[j].ID
	})
	resID := ""
	for _, r := range rs {
		if r.Status != stays.ReservationCancelled {
			resID = r.ID
			break
		}
	}
	if resID == "" {
		return channels.CardFailed, "", "The booking has no stay left to charge the card for.", nil
	}
	folio, err := ledger.New(db).GuestFolio(ctx, vc.PropertyID, resID)
	switch aura.ErrorCode(err) {
	case "":
	case aura.ENOTFOUND:
		return channels.CardPending, "", "The property's books are not set up yet (Settings › Ledger); the card is attached once they are.", nil
	default:
		return "", "", "", err
	}
	card, err := pay.AddVirtualCard(ctx, payments.VirtualCardInput{FolioID: folio.ID, PaymentMethodID: vc.PaymentMethodID,
		ActivationDate: vc.ActivationDate, MaxAmount: vc.MaxAmount, Currency: vc.Currency, Source: vc.Source})
	switch aura.ErrorCode(err) {
	case "":
		return channels.CardAttached, card.ID, "", nil
	case aura.ENOTIMPLEMENTED:
		return channels.CardPending, "", "Stripe is not set up (Settings › Stripe); the card is attached once it is.", nil
	case aura.EUNAVAILABLE:
		return channels.CardPending, "", "Stripe did not answer; tried again at the next sync.", nil
	case aura.EINVALID, aura.ECONFLICT, aura.ENOTFOUND:
		return channels.CardFailed, "", aura.ErrorMessage(err) + fieldDetail(err), nil
	}
	return "", "", "", err
}

// fieldDetail spells out the field errors of an EINVALID error.
func fieldDetail(err error) string {
	var e *aura.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return ""
	}
	s := " ("
	for i, f := range e.Fields {
		if i > 0 {
			s += "; "
		}
		s += f.Field + " " + f.Message
	}
	return s + ")"
}
