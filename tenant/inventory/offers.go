package inventory

import (
	"context"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// OfferQuery asks what a stay would cost: the nights [Arrival, Departure)
// at a property for a party, for one room type or (RoomTypeID empty) all.
type OfferQuery struct {
	PropertyID string    `json:"property_id"`
	RoomTypeID string    `json:"room_type_id,omitempty"`
	Arrival    date.Date `json:"arrival"`
	Departure  date.Date `json:"departure"`
	Adults     int       `json:"adults"`
	Children   int       `json:"children"`
}

// Offer is one rate plan's price for a stay, as the new-reservation form
// and the API show it before anything is booked: the nightly prices from
// the rate calendar (Price nil for a night without a rate), the total of
// the priced nights, the rooms left on the stay's fullest night, and
// whether a direct booking would be accepted now; when it would not,
// Problems says why (the restrictions broken, no rooms left, the party too
// large, an arrival in the past), named by the fields of a reservation as
// CreateBooking names them (arrival, departure, adults, rate_plan_id,
// room_type_id).
type Offer struct {
	RoomType  RoomType          `json:"room_type"`
	RatePlan  RatePlan          `json:"rate_plan"`
	Nights    []OfferNight      `json:"nights"`
	Total     tenant.Money      `json:"total"`
	Available int               `json:"available"`
	Bookable  bool              `json:"bookable"`
	Problems  []aura.FieldError `json:"problems"`
}

// OfferNight is one night of an offer.
type OfferNight struct {
	Date  date.Date     `json:"date"`
	Price *tenant.Money `json:"price"`
}

// Offers prices a stay with every active rate plan of the property (of
// one room type when the query names one), in room type order. It reads
// only: nothing is held, so a booking made afterwards checks everything
// again in its own write transaction. It returns ENOTFOUND for an unknown
// property and EINVALID for bad dates or party.
func (db Store) Offers(ctx context.Context, q OfferQuery) ([]Offer, error) {
	var fe tenant.FieldErrors
	if q.Arrival.IsZero() {
		fe.Add("arrival", "is required (YYYY-MM-DD)")
	}
	if q.Departure.IsZero() {
		fe.Add("departure", "is required (YYYY-MM-DD)")
	} else if !q.Arrival.IsZero() && !q.Arrival.Before(q.Departure) {
		fe.Add("departure", "must be after the arrival")
	} else if !q.Arrival.IsZero() && q.Departure.Sub(q.Arrival) > tenant.MaxStay {
		fe.Add("departure", "a stay may last at most %d nights", tenant.MaxStay)
	}
	if q.Adults < 1 {
		fe.Add("adults", "must be at least 1")
	}
	if q.Children < 0 {
		fe.Add("children", "must not be negative")
	}
	if err := fe.Err("The stay is not valid."); err != nil {
		return nil, err
	}
	out := []Offer{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		p, err := GetProperty(tx, q.PropertyID)
		if err != nil {
			return err
		}
		today, err := p.Today(tx)
		if err != nil {
			return err
		}
		types, err := ListRoomTypes(tx, p.ID)
		if err != nil {
			return err
		}
		var ids []string
		byID := map[string]RoomType{}
		for _, t := range types {
			if q.RoomTypeID == "" || t.ID == q.RoomTypeID {
				ids = append(ids, t.ID)
				byID[t.ID] = t
			}
		}
		if q.RoomTypeID != "" && len(ids) == 0 {
			return aura.Invalid("The stay is not valid.", aura.FieldError{Field: "room_type_id", Message: "no such room type in this property"})
		}
		counts, err := AvailabilityOf(tx, ids, q.Arrival, q.Departure)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT `+ratePlanColumns+` FROM rate_plans rp JOIN room_types t ON t.id = rp.room_type_id
			WHERE rp.property_id = ? AND rp.active = 1 ORDER BY t.sort_order, t.name, rp.code`, p.ID)
		if err != nil {
			return err
		}
		var plans []RatePlan
		for rows.Next() {
			rp, err := scanRatePlan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if _, ok := byID[rp.RoomTypeID]; ok {
				plans = append(plans, rp)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rp := range plans {
			rt := byID[rp.RoomTypeID]
			priced, err := PriceStay(tx, p, rp, rt, q.Arrival, q.Departure, q.Adults+q.Children)
			if err != nil {
				return err
			}
			o := Offer{RoomType: rt, RatePlan: rp, Nights: make([]OfferNight, 0, len(priced.Prices)), Total: p.Money(0),
				Problems: []aura.FieldError(priced.Problems)}
			for i, d := range date.Range(q.Arrival, q.Departure) {
				n := OfferNight{Date: d}
				if pr := priced.Prices[i]; pr >= 0 {
					n.Price = &tenant.Money{Amount: pr, Currency: p.Currency}
					o.Total.Amount += pr
				}
				o.Nights = append(o.Nights, n)
			}
			for i, c := range counts[rt.ID] {
				if i == 0 || c.Available() < o.Available {
					o.Available = c.Available()
				}
			}
			if q.Adults+q.Children > rt.Capacity {
				o.Problems = append(o.Problems, aura.FieldError{Field: "adults", Message: "a " + rt.Name + " takes at most " + tenant.Itoa(rt.Capacity) + " guests"})
			}
			if q.Arrival.Before(today) {
				o.Problems = append(o.Problems, aura.FieldError{Field: "arrival", Message: "is in the past (today is " + today.String() + " at the property)"})
			}
			if o.Available < 1 {
				o.Problems = append(o.Problems, aura.FieldError{Field: "room_type_id", Message: "no " + rt.Name + " is left on every night of the stay"})
			}
			if o.Problems == nil {
				o.Problems = []aura.FieldError{}
			}
			o.Bookable = len(o.Problems) == 0
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// For returns what the fee charges for a stay whose frozen nightly prices
// (minor units) are nights: the one computation cancellations and no-shows
// use, so a page can show the fee before the operator confirms.
func (f Fee) For(nights []int64) int64 { return f.Compute(nights) }
