package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura/date"
)

// Channex is a ChannelManager modelled on Channex's published API (v1):
// the booking revision feed (GET /api/v1/booking_revisions/feed, the
// revisions not yet acknowledged), acknowledgement (POST
// /api/v1/booking_revisions/{id}/ack), and ARI (POST /api/v1/availability,
// POST /api/v1/restrictions, date ranges inclusive), authenticated with
// the user-api-key header. A 429 answer becomes *RetryAfter with the
// Retry-After the server gave (60 s when it gave none).
type Channex struct {
	BaseURL    string // e.g. https://app.channex.io
	APIKey     string
	PropertyID string // the property's id at Channex
	// External maps the property's room type and rate plan ids to
	// Channex's (for ARI).
	External map[string]string
	Client   *http.Client
}

func (c *Channex) client() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Channex) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("user-api-key", c.APIKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		wait := 60 * time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = time.Duration(s) * time.Second
		}
		return &RetryAfter{Wait: wait}
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("channex %s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out)
	}
	return nil
}

// channexRevision is a booking revision as the feed sends it.
type channexRevision struct {
	ID         string `json:"id"`
	Attributes struct {
		BookingID          string        `json:"booking_id"`
		Status             string        `json:"status"`
		InsertedAt         time.Time     `json:"inserted_at"`
		OTAName            string        `json:"ota_name"`
		OTAReservationCode string        `json:"ota_reservation_code"`
		OTACommission      string        `json:"ota_commission"`
		Customer           RevisionGuest `json:"customer"`
		Guarantee          *struct {
			IsVirtual bool   `json:"is_virtual"`
			Token     string `json:"token"` // the vault's token: a Stripe PaymentMethod id when the vault forwards to Stripe
			Meta      struct {
				Currency      string `json:"virtual_card_currency_code"`
				Balance       string `json:"virtual_card_current_balance"`
				EffectiveDate string `json:"virtual_card_effective_date"`
			} `json:"meta"`
		} `json:"guarantee"`
		Rooms []struct {
			RoomTypeID   string                         `json:"room_type_id"`
			RatePlanID   string                         `json:"rate_plan_id"`
			CheckinDate  date.Date                      `json:"checkin_date"`
			CheckoutDate date.Date                      `json:"checkout_date"`
			Occupancy    struct{ Adults, Children int } `json:"occupancy"`
			Days         map[string]string              `json:"days"`
		} `json:"rooms"`
	} `json:"attributes"`
}

// minor reads a decimal amount ("100.00") as minor units.
func minor(s string) (int64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(math.Round(f * 100)), true
}

// PullRevisions reads the feed of revisions not yet acknowledged.
func (c *Channex) PullRevisions(ctx context.Context) ([]Revision, error) {
	var feed struct {
		Data []channexRevision `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/booking_revisions/feed?filter[property_id]="+url.QueryEscape(c.PropertyID), nil, &feed); err != nil {
		return nil, err
	}
	out := make([]Revision, 0, len(feed.Data))
	for _, d := range feed.Data {
		out = append(out, d.revision())
	}
	return out, nil
}

// FetchRevision reads one booking revision by its id (GET
// /api/v1/booking_revisions/{id}): what a webhook names is read back from
// the channel manager, so a delivery carries no booking data Aura trusts.
func (c *Channex) FetchRevision(ctx context.Context, id string) (Revision, error) {
	var one struct {
		Data channexRevision `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/booking_revisions/"+url.PathEscape(id), nil, &one); err != nil {
		return Revision{}, err
	}
	if one.Data.ID != id {
		return Revision{}, fmt.Errorf("channex: asked for revision %s, got %q", id, one.Data.ID)
	}
	return one.Data.revision(), nil
}

// revision converts a revision as Channex sends it. Of the guarantee
// (the card that came with the booking) only a virtual card's token and
// terms are read; a card number, masked or not, is never read.
func (d channexRevision) revision() Revision {
	a := d.Attributes
	rev := Revision{ID: d.ID, BookingKey: a.BookingID, Status: a.Status, RevisedAt: a.InsertedAt, OTAName: a.OTAName, OTACode: a.OTAReservationCode, Customer: a.Customer}
	if v, ok := minor(a.OTACommission); ok {
		rev.Commission = v
	}
	for _, r := range a.Rooms {
		rr := RevisionRoom{RoomTypeID: r.RoomTypeID, RatePlanID: r.RatePlanID, Arrival: r.CheckinDate, Departure: r.CheckoutDate,
			Adults: r.Occupancy.Adults, Children: r.Occupancy.Children}
		if len(r.Days) > 0 {
			for d := r.CheckinDate; d.Before(r.CheckoutDate); d = d.AddDays(1) {
				v, ok := minor(r.Days[d.String()])
				if !ok {
					rr.Prices = nil
					break
				}
				rr.Prices = append(rr.Prices, v)
			}
		}
		rev.Rooms = append(rev.Rooms, rr)
	}
	if g := a.Guarantee; g != nil && g.IsVirtual {
		vc := &RevisionCard{Token: strings.TrimSpace(g.Token), Currency: strings.ToUpper(strings.TrimSpace(g.Meta.Currency))}
		if v, ok := minor(g.Meta.Balance); ok {
			vc.Amount = v
		}
		if dt, err := date.Parse(strings.TrimSpace(g.Meta.EffectiveDate)); err == nil {
			vc.ActivationDate = dt
		}
		rev.VirtualCard = vc
	}
	return rev
}

// Ack acknowledges a revision.
func (c *Channex) Ack(ctx context.Context, revisionID string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/booking_revisions/"+url.PathEscape(revisionID)+"/ack", nil, nil)
}

// PushARI sends availability and restrictions in at most two requests
// (one per endpoint); Channex's ranges end inclusive.
func (c *Channex) PushARI(ctx context.Context, propertyID string, ups []ARIUpdate) error {
	var avail, restr []map[string]any
	for _, u := range ups {
		last := u.To.AddDays(-1).String()
		switch u.Kind {
		case ARIAvailability:
			ext, ok := c.External[u.RoomTypeID]
			if !ok {
				continue // not sold through the channel manager
			}
			avail = append(avail, map[string]any{"property_id": c.PropertyID, "room_type_id": ext, "date_from": u.From.String(), "date_to": last, "availability": u.Availability})
		case ARIRates:
			ext, ok := c.External[u.RatePlanID]
			if !ok {
				continue
			}
			v := map[string]any{"property_id": c.PropertyID, "rate_plan_id": ext, "date_from": u.From.String(), "date_to": last,
				"min_stay_arrival": u.MinStay, "max_stay": u.MaxStay, "closed_to_arrival": u.CTA, "closed_to_departure": u.CTD, "stop_sell": u.StopSell || u.Price == nil}
			if u.Price != nil {
				v["rate"] = fmt.Sprintf("%d.%02d", *u.Price/100, *u.Price%100)
			}
			restr = append(restr, v)
		}
	}
	if len(avail) > 0 {
		if err := c.do(ctx, http.MethodPost, "/api/v1/availability", map[string]any{"values": avail}, nil); err != nil {
			return err
		}
	}
	if len(restr) > 0 {
		if err := c.do(ctx, http.MethodPost, "/api/v1/restrictions", map[string]any{"values": restr}, nil); err != nil {
			return err
		}
	}
	return nil
}
