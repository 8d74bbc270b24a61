package pms

import (
	"errors"
	"io"
	"net/http"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/channelcards"
	"github.com/aurapms/aura/tenant/channels"
)

// MaxChannelWebhookBytes is the largest channel-manager webhook body read.
// A delivery names a revision (a few hundred bytes; with booking data a
// few KiB); a larger body is refused before it is read to the end.
const MaxChannelWebhookBytes = 256 << 10

// ChannelManagerWebhook receives a channel manager's webhook delivery for
// a property (POST /{tenant}/channels/webhook/{property id}). The
// connection's webhook secret, in the X-Aura-Webhook-Secret header, is the
// credential: a missing or wrong one, or a property without a connection,
// is the same 401. A booking event names a revision: it is read back from
// the channel manager, applied exactly once (a repeat changes nothing),
// and acknowledged to the channel manager after its record committed; only
// then is the delivery answered 200. A channel manager that cannot be
// reached, or that does not take the acknowledgement, is 502, so it
// delivers again (the minute's pull brings the revision too). Other events
// are answered 200 and ignored.
func (s Handlers) ChannelManagerWebhook(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return writeAPI(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "The webhook body is larger than 256 KiB."})
	} else if err != nil {
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": "The webhook body could not be read."})
	}
	ctx := r.Context()
	st := channels.New(c.DB)
	propertyID := c.Params.ByName("id")
	conn, cm, err := st.WebhookManager(ctx, propertyID, r.Header.Get(channels.WebhookHeader))
	if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
		return writeAPI(w, http.StatusUnauthorized, map[string]string{"error": aura.ErrorMessage(err)})
	} else if err != nil {
		return err
	}
	ev, err := channels.ParseChannexWebhook(body)
	if err != nil {
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": aura.ErrorMessage(err)})
	}
	if ev.PropertyID != "" && ev.PropertyID != conn.ExternalPropertyID {
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": "The event is for another property of the channel manager."})
	}
	if !ev.IsBooking() {
		return writeAPI(w, http.StatusOK, map[string]any{"received": true, "ignored": ev.Event})
	}
	ctx = aura.WithActor(ctx, aura.SystemActor("channel-manager-webhook"))
	res, err := st.ReceiveRevision(ctx, propertyID, cm, ev.RevisionID)
	switch aura.ErrorCode(err) {
	case "":
	case aura.EUNAVAILABLE:
		s.Logger(r).Warn("channel-manager webhook", "revision", ev.RevisionID, "err", err)
		return writeAPI(w, http.StatusBadGateway, map[string]string{"error": aura.ErrorMessage(err)})
	case aura.EINVALID:
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": aura.ErrorMessage(err)})
	default:
		return err
	}
	s.attachChannelCards(r, c)
	return writeAPI(w, http.StatusOK, map[string]any{"received": true, "revision_id": res.RevisionID, "outcome": res.Outcome,
		"booking_id": res.BookingID, "repeat": res.Repeat, "acknowledged": true})
}

// attachChannelCards attaches the virtual cards of channel bookings to
// their folios (tenant/channelcards); a failure is logged and left to the
// channel-manager job's next run and the attention page.
func (s Handlers) attachChannelCards(r *http.Request, c *web.Call) {
	if _, err := channelcards.Attach(r.Context(), c.DB, s.payments(c)); err != nil {
		s.Logger(r).Warn("channel virtual cards", "err", err)
	}
}
