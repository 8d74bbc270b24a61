package stays

import (
	"context"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// StayChange edits a reservation's stay. Zero or nil fields keep their
// current value. Prices, when set, replaces every nightly price of the new
// stay (one per night), as a channel's modification sends them.
type StayChange struct {
	Arrival    date.Date      `json:"arrival"`
	Departure  date.Date      `json:"departure"`
	RoomTypeID string         `json:"room_type_id,omitempty"`
	RatePlanID string         `json:"rate_plan_id,omitempty"`
	Adults     *int           `json:"adults,omitempty"`
	Children   *int           `json:"children,omitempty"`
	Prices     []tenant.Money `json:"prices,omitempty"`
	Version    int            `json:"version,omitempty"`
}

// ChangeStay edits the dates, room type, rate plan or party size of a
// tentative, confirmed or in-house reservation, re-checking availability and
// (for direct bookings, when the dates or the rate plan change) the rate
// plan's restrictions in the same write transaction that stores the change.
// For a guest in house only what the change adds faces restrictions: an
// extension's added nights (stop-sell), its new departure (closed to
// departure) and the stay's length (max stay); shortening the stay of a
// guest who is leaving faces none.
//
// Prices: a change of dates only keeps the frozen price of every night the
// stay keeps and prices added nights from the rate calendar; a change of
// room type, rate plan or party size reprices every night. Changing the
// room type unassigns the room. An in-house stay may change only its
// departure and party size. A direct booking that would overbook is refused
// with ECONFLICT; a channel booking is stored flagged overbooked (and the
// flag is cleared when the change makes room). Errors: ENOTFOUND,
// EPRECONDITION, EINVALID, ECONFLICT (status, availability, room taken).
func (db Store) ChangeStay(ctx context.Context, id string, ch StayChange) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, ch.Version); err != nil {
			return err
		}
		return changeStay(tx, &c, ch, "reservation.stay_changed", nil)
	})
	return c.r, err
}

// EarlyDeparture brings the departure of a guest in house forward.
// Departure zero means today (at least one night after the arrival).
type EarlyDeparture struct {
	Departure date.Date `json:"departure"`
	Version   int       `json:"version,omitempty"`
}

// DepartEarly moves the departure of an in-house reservation to an earlier
// date, today or later: the nights from the new departure on go back to
// stock at once (the guest stays in house until CheckOut, which on the day
// of departure needs no shortening). Kept nights keep their price and
// room; no restriction applies (a guest cannot be kept). The audit row
// ("reservation.early_departure") names the booked and the new departure.
// It returns ENOTFOUND, EPRECONDITION, ECONFLICT for a reservation not in
// house, and EINVALID for a date before today, not before the booked
// departure, or leaving no night.
func (db Store) DepartEarly(ctx context.Context, id string, in EarlyDeparture) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		if c.r.Status != ReservationInHouse {
			return aura.Errorf(aura.ECONFLICT, "%s is %s; only a guest in house departs early (change the stay instead).", c.named(tx), statusWords(c.r.Status))
		}
		dep := in.Departure
		if dep.IsZero() {
			dep = c.today
			if !dep.After(c.r.Arrival) {
				dep = c.r.Arrival.AddDays(1)
			}
		}
		var fe tenant.FieldErrors
		switch {
		case dep.Before(c.today):
			fe.Add("departure", "cannot be before today (%s)", c.prop.Day(c.today))
		case !dep.After(c.r.Arrival):
			fe.Add("departure", "must leave at least one night after the arrival on %s", c.prop.Day(c.r.Arrival))
		case !dep.Before(c.r.Departure):
			fe.Add("departure", "must be before the booked departure on %s", c.prop.Day(c.r.Departure))
		}
		if err := fe.Err("The early departure is not valid."); err != nil {
			return err
		}
		return changeStay(tx, &c, StayChange{Departure: dep}, "reservation.early_departure",
			map[string]any{"booked_departure": c.r.Departure, "departure": dep, "nights_released": date.Range(dep, c.r.Departure)})
	})
	return c.r, err
}

// StayExtension moves the departure of a stay to a later date.
type StayExtension struct {
	Departure date.Date `json:"departure"`
	Version   int       `json:"version,omitempty"`
}

// ExtendStay moves the departure of a confirmed or in-house reservation to
// a later date. The added nights are priced from the rate calendar (kept
// nights keep their frozen price), must be available (a direct booking is
// refused, a channel booking flagged overbooked) and, when a room is
// assigned, find that room free and not blocked; a direct booking must
// meet the rate plan's restrictions (see ChangeStay). All is checked in the
// write transaction that stores the extension ("reservation.extended").
// It returns ENOTFOUND, EPRECONDITION, EINVALID for a date not after the
// current departure, a missing price or a broken restriction, and
// ECONFLICT for another status, no availability, or a room taken.
func (db Store) ExtendStay(ctx context.Context, id string, in StayExtension) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		if c.r.Status != ReservationConfirmed && c.r.Status != ReservationInHouse {
			return aura.Errorf(aura.ECONFLICT, "%s is %s; only a confirmed or in-house stay is extended.", c.named(tx), statusWords(c.r.Status))
		}
		if !in.Departure.After(c.r.Departure) {
			return aura.Invalid("The extension is not valid.", aura.FieldError{Field: "departure", Message: "must be after the current departure on " + c.prop.Day(c.r.Departure)})
		}
		return changeStay(tx, &c, StayChange{Departure: in.Departure}, "reservation.extended",
			map[string]any{"booked_departure": c.r.Departure, "departure": in.Departure, "nights_added": date.Range(c.r.Departure, in.Departure)})
	})
	return c.r, err
}

// changeStay applies ch to c.r (see ChangeStay) and saves it under action,
// with extra in the audit row.
func changeStay(tx *tenant.Tx, c *resCtx, ch StayChange, action string, extra map[string]any) error {
	before := c.r
	r := &c.r
	switch r.Status {
	case ReservationTentative, ReservationConfirmed, ReservationInHouse:
	default:
		return aura.Errorf(aura.ECONFLICT, "%s is %s; it can no longer change.", c.named(tx), statusWords(r.Status))
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
	var fe tenant.FieldErrors
	if !next.Arrival.Before(next.Departure) {
		fe.Add("departure", "must be after the arrival")
	}
	datesChanged := next.Arrival != r.Arrival || next.Departure != r.Departure
	typeChanged := next.RoomTypeID != r.RoomTypeID
	planChanged := next.RatePlanID != r.RatePlanID
	partyChanged := next.Adults != r.Adults || next.Children != r.Children
	direct := r.Source == SourceDirect
	if r.Status == ReservationInHouse {
		if next.Arrival != r.Arrival {
			fe.Add("arrival", "the guest has arrived; the arrival cannot change")
		}
		if typeChanged || planChanged {
			fe.Add("room_type_id", "the guest is in house; move the guest to another room instead")
		}
		if next.Departure.Before(c.today) {
			fe.Add("departure", "cannot be before today (%s) for a guest in house", c.prop.Day(c.today))
		}
	} else if direct && next.Arrival != r.Arrival && next.Arrival.Before(c.today) {
		fe.Add("arrival", "is in the past (today is %s)", c.prop.Day(c.today))
	}
	if err := fe.Err("The stay change is not valid."); err != nil {
		return err
	}
	if !datesChanged && !typeChanged && !planChanged && !partyChanged && ch.Prices == nil {
		return nil
	}
	restrict := direct && (datesChanged || planChanged)
	inHouse := r.Status == ReservationInHouse
	if restrict && inHouse && next.Departure.After(r.Departure) {
		if err := extensionRestrictions(tx, c.prop, *r, next); err != nil {
			return err
		}
	}
	req := stayRequest{prop: c.prop, direct: direct, restrictions: restrict && !inHouse, needStock: true,
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
		room, err := inventory.GetRoom(tx, next.RoomID)
		if err != nil {
			return err
		}
		// Only nights the stay adds need the room to be free; the ones it
		// keeps are already this reservation's.
		for _, n := range plan.nights {
			if _, kept := rooms[n.Date]; !kept {
				if err := c.roomAvailable(tx, room, n.Date, n.Date.AddDays(1)); err != nil {
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
		next.Overbooked = plan.overbooked && !next.roomEveryNight()
	}
	c.r = next
	return c.save(tx, action, before, extra)
}

// extensionRestrictions checks what extending an in-house stay from
// r.Departure to next.Departure adds: stop-sell on the added nights,
// closed-to-departure on the new departure, and the max stay of the
// arrival day over the whole stay. (A missing price is planStay's error.)
func extensionRestrictions(tx *tenant.Tx, p inventory.Property, r, next Reservation) error {
	rp, err := inventory.GetRatePlan(tx, r.RatePlanID)
	if err != nil {
		return err
	}
	stored, err := inventory.LoadRates(tx, rp.ID, r.Arrival, next.Departure.AddDays(1))
	if err != nil {
		return err
	}
	var fe tenant.FieldErrors
	if first := stored[r.Arrival]; first.MaxStay > 0 && next.Departure.Sub(next.Arrival) > first.MaxStay {
		fe.Add("departure", "stays arriving on %s may last at most %d nights", p.Day(r.Arrival), first.MaxStay)
	}
	if stored[next.Departure].Ctd {
		fe.Add("departure", "%s is closed to departure for %s", p.Day(next.Departure), rp.Name)
	}
	for _, d := range date.Range(r.Departure, next.Departure) {
		if stored[d].StopSell {
			fe.Add("departure", "%s is not for sale on %s (stop-sell)", rp.Name, p.Day(d))
		}
	}
	return fe.Err("The stay breaks the rate plan's restrictions.")
}
