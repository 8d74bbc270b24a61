package tenant

import (
	"context"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
)

// StayChange edits a reservation's stay. Zero or nil fields keep their
// current value. Prices, when set, replaces every nightly price of the new
// stay (one per night), as a channel's modification sends them.
type StayChange struct {
	Arrival    date.Date `json:"arrival"`
	Departure  date.Date `json:"departure"`
	RoomTypeID string    `json:"room_type_id,omitempty"`
	RatePlanID string    `json:"rate_plan_id,omitempty"`
	Adults     *int      `json:"adults,omitempty"`
	Children   *int      `json:"children,omitempty"`
	Prices     []Money   `json:"prices,omitempty"`
	Version    int       `json:"version,omitempty"`
}

// ChangeStay edits the dates, room type, rate plan or party size of a
// tentative, confirmed or in-house reservation, re-checking availability and
// (for direct bookings, when the dates or the rate plan change) the rate
// plan's restrictions in the same write transaction that stores the change.
//
// Prices: a change of dates only keeps the frozen price of every night the
// stay keeps and prices added nights from the rate calendar; a change of
// room type, rate plan or party size reprices every night. Changing the
// room type unassigns the room. An in-house stay may change only its
// departure and party size. A direct booking that would overbook is refused
// with ECONFLICT; a channel booking is stored flagged overbooked (and the
// flag is cleared when the change makes room). Errors: ENOTFOUND,
// EPRECONDITION, EINVALID, ECONFLICT (status, availability, room taken).
func (db *DB) ChangeStay(ctx context.Context, id string, ch StayChange) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if c, err = loadResCtx(tx, id, ch.Version); err != nil {
			return err
		}
		before := c.r
		r := &c.r
		switch r.Status {
		case ReservationTentative, ReservationConfirmed, ReservationInHouse:
		default:
			return aura.Errorf(aura.ECONFLICT, "Reservation %s is %s; its stay can no longer change.", id, statusWords(r.Status))
		}
		next := *r
		if !ch.Arrival.IsZero() {
			next.Arrival = ch.Arrival
		}
		if !ch.Departure.IsZero() {
			next.Departure = ch.Departure
		}
		if ch.RoomTypeID != "" {
			next.RoomTypeID = ch.RoomTypeID
		}
		if ch.RatePlanID != "" {
			next.RatePlanID = ch.RatePlanID
		}
		if ch.Adults != nil {
			next.Adults = *ch.Adults
		}
		if ch.Children != nil {
			next.Children = *ch.Children
		}
		var fe fieldErrors
		if !next.Arrival.Before(next.Departure) {
			fe.add("departure", "must be after the arrival")
		}
		datesChanged := next.Arrival != r.Arrival || next.Departure != r.Departure
		typeChanged := next.RoomTypeID != r.RoomTypeID
		planChanged := next.RatePlanID != r.RatePlanID
		partyChanged := next.Adults != r.Adults || next.Children != r.Children
		direct := r.Source == SourceDirect
		if r.Status == ReservationInHouse {
			if next.Arrival != r.Arrival {
				fe.add("arrival", "the guest has arrived; the arrival cannot change")
			}
			if typeChanged || planChanged {
				fe.add("room_type_id", "the guest is in house; move the guest to another room instead")
			}
			if next.Departure.Before(c.today) {
				fe.add("departure", "cannot be before today (%s) for a guest in house", c.today)
			}
		} else if direct && next.Arrival != r.Arrival && next.Arrival.Before(c.today) {
			fe.add("arrival", "is in the past (today is %s at the property)", c.today)
		}
		if err := fe.err("The stay change is not valid."); err != nil {
			return err
		}
		if !datesChanged && !typeChanged && !planChanged && !partyChanged && ch.Prices == nil {
			return nil
		}
		req := stayRequest{prop: c.prop, direct: direct, restrictions: direct && (datesChanged || planChanged), needStock: true,
			roomTypeID: next.RoomTypeID, ratePlanID: next.RatePlanID, arrival: next.Arrival, departure: next.Departure,
			adults: next.Adults, children: next.Children, prices: ch.Prices}
		if !typeChanged {
			req.held = map[date.Date]bool{}
			for _, n := range r.Nights {
				req.held[n.Date] = true
			}
		}
		if !typeChanged && !planChanged && !partyChanged {
			req.keep = map[date.Date]int64{}
			for _, n := range r.Nights {
				req.keep[n.Date] = n.Price.Amount
			}
		}
		plan, err := planStay(tx, req)
		if err != nil {
			return err
		}
		rooms := map[date.Date]string{}
		for _, n := range r.Nights {
			rooms[n.Date] = n.RoomID
		}
		if typeChanged {
			next.RoomID = ""
		} else if next.RoomID != "" {
			room, err := getRoom(tx, next.RoomID)
			if err != nil {
				return err
			}
			// Only nights the stay adds need the room to be free; the ones it
			// keeps are already this reservation's.
			for _, n := range plan.nights {
				if _, kept := rooms[n.Date]; !kept {
					if err := roomFree(tx, room, r.ID, n.Date, n.Date.AddDays(1)); err != nil {
						return err
					}
				}
			}
		}
		for i := range plan.nights {
			switch {
			case typeChanged:
			case rooms[plan.nights[i].Date] != "":
				plan.nights[i].RoomID = rooms[plan.nights[i].Date]
			default:
				plan.nights[i].RoomID = next.RoomID
			}
		}
		next.Nights = plan.nights
		if !direct {
			next.Overbooked = plan.overbooked
		}
		c.r = next
		return c.save(tx, "reservation.stay_changed", before, nil)
	})
	return c.r, err
}
