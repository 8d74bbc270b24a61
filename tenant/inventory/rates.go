package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Fee types of a cancellation or no-show policy.
const (
	FeeNone       = "none"        // nothing is charged
	FeeFirstNight = "first_night" // the price of the first night
	FeeNights     = "nights"      // the price of the first Nights nights
	FeePercent    = "percent"     // Percent of the stay's total, rounded half away from zero
	FeeFixed      = "fixed"       // a fixed Amount, at most the stay's total
)

// Fee is what a policy charges once it applies. Every fee is capped at the
// total of the stay.
type Fee struct {
	Type    string        `json:"type"`
	Nights  int           `json:"nights,omitempty"`
	Percent int           `json:"percent,omitempty"`
	Amount  *tenant.Money `json:"amount,omitempty"`
}

// Compute returns the fee for a stay whose frozen nightly prices are nights.
func (f Fee) Compute(nights []int64) int64 {
	var total int64
	for _, p := range nights {
		total += p
	}
	var fee int64
	switch f.Type {
	case FeeFirstNight:
		if len(nights) > 0 {
			fee = nights[0]
		}
	case FeeNights:
		for i := 0; i < f.Nights && i < len(nights); i++ {
			fee += nights[i]
		}
	case FeePercent:
		fee = tenant.PercentOf(total, f.Percent)
	case FeeFixed:
		if f.Amount != nil {
			fee = f.Amount.Amount
		}
	}
	return min(fee, total)
}

func (f Fee) validate(fe *tenant.FieldErrors, field, currency string) {
	switch f.Type {
	case FeeNone, FeeFirstNight:
	case FeeNights:
		if f.Nights < 1 || f.Nights > tenant.MaxStay {
			fe.Add(field+".nights", "must be 1 to %d", tenant.MaxStay)
		}
	case FeePercent:
		if f.Percent < 1 || f.Percent > 100 {
			fe.Add(field+".percent", "must be 1 to 100")
		}
	case FeeFixed:
		if f.Amount == nil || f.Amount.Amount < 0 {
			fe.Add(field+".amount", "must be an amount of at least 0")
		} else if f.Amount.Currency != currency {
			fe.Add(field+".amount.currency", "must be the property's currency %s", currency)
		}
	default:
		fe.Add(field+".type", "must be none, first_night, nights, percent or fixed")
	}
}

// CancellationPolicy says what cancelling costs: nothing until
// FreeUntilDaysBefore days before arrival (inclusive, in the property's
// calendar), then Fee. A nil FreeUntilDaysBefore means the rate is never
// free to cancel (non-refundable). Cancelling a tentative reservation is
// always free: it was never guaranteed.
type CancellationPolicy struct {
	FreeUntilDaysBefore *int `json:"free_until_days_before"`
	Fee                 Fee  `json:"fee"`
}

// FeeFor returns the fee of cancelling, on the property's date today, a stay
// arriving on arrival with the given frozen nightly prices.
func (p CancellationPolicy) FeeFor(arrival, today date.Date, nights []int64) int64 {
	if p.FreeUntilDaysBefore != nil && !today.After(arrival.AddDays(-*p.FreeUntilDaysBefore)) {
		return 0
	}
	return p.Fee.Compute(nights)
}

// NoShowPolicy says what a guest who never arrives is charged.
type NoShowPolicy struct {
	Fee Fee `json:"fee"`
}

// RatePlan is a way of selling one room type (a flexible rate, a
// non-refundable rate) with its policies; its daily prices and restrictions
// live in the rate calendar.
type RatePlan struct {
	ID           string             `json:"id"`
	PropertyID   string             `json:"property_id"`
	RoomTypeID   string             `json:"room_type_id"`
	Code         string             `json:"code"`
	Name         string             `json:"name"`
	ExtraPerson  tenant.Money       `json:"extra_person"` // per night for each guest above the room type's base occupancy
	Cancellation CancellationPolicy `json:"cancellation_policy"`
	NoShow       NoShowPolicy       `json:"no_show_policy"`
	Active       bool               `json:"active"`
	Version      int                `json:"version"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// RatePlanInput creates or replaces a rate plan. PropertyID and RoomTypeID
// are read on create only. ExtraPerson's currency may be left empty.
type RatePlanInput struct {
	PropertyID   string             `json:"property_id"`
	RoomTypeID   string             `json:"room_type_id"`
	Code         string             `json:"code"`
	Name         string             `json:"name"`
	ExtraPerson  tenant.Money       `json:"extra_person"`
	Cancellation CancellationPolicy `json:"cancellation_policy"`
	NoShow       NoShowPolicy       `json:"no_show_policy"`
	Active       bool               `json:"active"`
	Version      int                `json:"version,omitempty"`
}

func (in *RatePlanInput) validate(currency string) error {
	var fe tenant.FieldErrors
	if len(in.Code) > 20 || !isCode(in.Code) {
		fe.Add("code", "must be 1 to 20 letters, digits, - or _")
	}
	fe.Text("name", in.Name, 1, 100)
	if in.ExtraPerson.Currency == "" {
		in.ExtraPerson.Currency = currency
	}
	if in.ExtraPerson.Amount < 0 {
		fe.Add("extra_person.amount", "must not be negative")
	}
	if in.ExtraPerson.Currency != currency {
		fe.Add("extra_person.currency", "must be the property's currency %s", currency)
	}
	if d := in.Cancellation.FreeUntilDaysBefore; d != nil && (*d < 0 || *d > 365) {
		fe.Add("cancellation_policy.free_until_days_before", "must be 0 to 365, or null for a non-refundable rate")
	}
	if in.Cancellation.Fee.Type == "" {
		in.Cancellation.Fee.Type = FeeNone
	}
	if in.NoShow.Fee.Type == "" {
		in.NoShow.Fee.Type = FeeNone
	}
	in.Cancellation.Fee.validate(&fe, "cancellation_policy.fee", currency)
	in.NoShow.Fee.validate(&fe, "no_show_policy.fee", currency)
	return fe.Err("The rate plan is not valid.")
}

// CreateRatePlan adds a rate plan for one room type. It returns EINVALID for
// bad input or a room type of another property, ECONFLICT for a code in use.
func (db Store) CreateRatePlan(ctx context.Context, in RatePlanInput) (RatePlan, error) {
	var rp RatePlan
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		p, err := GetProperty(tx, in.PropertyID)
		if err != nil {
			return aura.Invalid("The rate plan is not valid.", aura.FieldError{Field: "property_id", Message: "no such property"})
		}
		if rt, err := GetRoomType(tx, in.RoomTypeID); err != nil || rt.PropertyID != p.ID {
			return aura.Invalid("The rate plan is not valid.", aura.FieldError{Field: "room_type_id", Message: "no such room type in this property"})
		}
		if err := in.validate(p.Currency); err != nil {
			return err
		}
		if err := codeFree(tx, "rate_plans", p.ID, in.Code, ""); err != nil {
			return err
		}
		rp = RatePlan{ID: aura.NewID("rpl"), PropertyID: p.ID, RoomTypeID: in.RoomTypeID, Code: in.Code, Name: in.Name, ExtraPerson: in.ExtraPerson,
			Cancellation: in.Cancellation, NoShow: in.NoShow, Active: in.Active, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.Exec(`INSERT INTO rate_plans (id, property_id, room_type_id, code, name, extra_person, cancellation_policy, no_show_policy,
			active, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rp.ID, rp.PropertyID, rp.RoomTypeID, rp.Code, rp.Name, rp.ExtraPerson.Amount, tenant.MustJSON(rp.Cancellation), tenant.MustJSON(rp.NoShow),
			rp.Active, rp.Version, tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "rate_plan.created", EntityType: "rate_plan", EntityID: rp.ID, After: rp})
	})
	return rp, err
}

// UpdateRatePlan replaces a rate plan's code, name, extra-person price,
// policies and active flag. Reservations already booked keep their frozen
// prices; their fees follow the plan's policy at the time of cancelling.
// It returns ENOTFOUND, EPRECONDITION, EINVALID or ECONFLICT.
func (db Store) UpdateRatePlan(ctx context.Context, id string, in RatePlanInput) (RatePlan, error) {
	var rp RatePlan
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := GetRatePlan(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("rate plan", id, before.Version, in.Version); err != nil {
			return err
		}
		if err := in.validate(before.ExtraPerson.Currency); err != nil {
			return err
		}
		if err := codeFree(tx, "rate_plans", before.PropertyID, in.Code, id); err != nil {
			return err
		}
		rp = before
		rp.Code, rp.Name, rp.ExtraPerson, rp.Cancellation, rp.NoShow, rp.Active = in.Code, in.Name, in.ExtraPerson, in.Cancellation, in.NoShow, in.Active
		rp.Version++
		rp.UpdatedAt = tx.Now
		if _, err := tx.Exec(`UPDATE rate_plans SET code = ?, name = ?, extra_person = ?, cancellation_policy = ?, no_show_policy = ?, active = ?,
			version = ?, updated_at = ? WHERE id = ?`, rp.Code, rp.Name, rp.ExtraPerson.Amount, tenant.MustJSON(rp.Cancellation), tenant.MustJSON(rp.NoShow),
			rp.Active, rp.Version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "rate_plan.updated", EntityType: "rate_plan", EntityID: id, Before: before, After: rp})
	})
	return rp, err
}

// GetRatePlan returns one rate plan, or ENOTFOUND.
func (db Store) GetRatePlan(ctx context.Context, id string) (RatePlan, error) {
	var rp RatePlan
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		rp, err = GetRatePlan(tx, id)
		return err
	})
	return rp, err
}

// ListRatePlans returns a property's rate plans by room type order, then code.
func (db Store) ListRatePlans(ctx context.Context, propertyID string) ([]RatePlan, error) {
	var out []RatePlan
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+ratePlanColumns+` FROM rate_plans rp JOIN room_types t ON t.id = rp.room_type_id
			WHERE rp.property_id = ? ORDER BY t.sort_order, t.name, rp.code`, propertyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rp, err := scanRatePlan(rows)
			if err != nil {
				return err
			}
			out = append(out, rp)
		}
		return rows.Err()
	})
	return out, err
}

const ratePlanColumns = `rp.id, rp.property_id, rp.room_type_id, rp.code, rp.name, rp.extra_person, rp.cancellation_policy, rp.no_show_policy,
	rp.active, rp.version, rp.created_at, rp.updated_at, (SELECT currency FROM properties WHERE id = rp.property_id)`

func scanRatePlan(s interface{ Scan(...any) error }) (RatePlan, error) {
	var rp RatePlan
	var cp, ns, created, updated string
	if err := s.Scan(&rp.ID, &rp.PropertyID, &rp.RoomTypeID, &rp.Code, &rp.Name, &rp.ExtraPerson.Amount, &cp, &ns,
		&rp.Active, &rp.Version, &created, &updated, &rp.ExtraPerson.Currency); err != nil {
		return rp, err
	}
	rp.CreatedAt, rp.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	if err := json.Unmarshal([]byte(cp), &rp.Cancellation); err != nil {
		return rp, err
	}
	return rp, json.Unmarshal([]byte(ns), &rp.NoShow)
}

func GetRatePlan(tx *tenant.Tx, id string) (RatePlan, error) {
	rp, err := scanRatePlan(tx.QueryRow(`SELECT `+ratePlanColumns+` FROM rate_plans rp WHERE rp.id = ?`, id))
	if err == sql.ErrNoRows {
		return rp, tenant.NotFound("rate plan", id)
	}
	return rp, err
}

// DayRate is one day of a rate plan's calendar: the price of the night
// starting that day (nil: no rate, not bookable directly) and the
// restrictions of that day.
type DayRate struct {
	Date              date.Date     `json:"date"`
	Price             *tenant.Money `json:"price"`
	MinStay           int           `json:"min_stay"`            // for stays arriving this day; 0: none
	MaxStay           int           `json:"max_stay"`            // for stays arriving this day; 0: none
	ClosedToArrival   bool          `json:"closed_to_arrival"`   // no stay may arrive this day
	ClosedToDeparture bool          `json:"closed_to_departure"` // no stay may depart this day
	StopSell          bool          `json:"stop_sell"`           // the night is not for sale
}

// rateRow is one day of the calendar as stored; the zero value is a day
// never set (no price, no restrictions), and stored tells them apart.
type rateRow struct {
	price              sql.NullInt64
	minStay, MaxStay   int
	cta, Ctd, StopSell bool
	stored             bool
}

func (r rateRow) summary() map[string]any {
	m := map[string]any{"price": nil, "min_stay": r.minStay, "max_stay": r.MaxStay,
		"closed_to_arrival": r.cta, "closed_to_departure": r.Ctd, "stop_sell": r.StopSell}
	if r.price.Valid {
		m["price"] = r.price.Int64
	}
	return m
}

func (r rateRow) equal(o rateRow) bool {
	return r.price == o.price && r.minStay == o.minStay && r.MaxStay == o.MaxStay && r.cta == o.cta && r.Ctd == o.Ctd && r.StopSell == o.StopSell
}

// LoadRates returns the stored rows of a plan for the days [from, to).
func LoadRates(tx *tenant.Tx, planID string, from, to date.Date) (map[date.Date]rateRow, error) {
	rows, err := tx.Query(`SELECT date, price, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell
		FROM rates WHERE rate_plan_id = ? AND date >= ? AND date < ?`, planID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[date.Date]rateRow{}
	for rows.Next() {
		var d date.Date
		r := rateRow{stored: true}
		if err := rows.Scan(&d, &r.price, &r.minStay, &r.MaxStay, &r.cta, &r.Ctd, &r.StopSell); err != nil {
			return nil, err
		}
		out[d] = r
	}
	return out, rows.Err()
}

// Rates returns a rate plan's calendar for the days [from, to), one entry
// per day (days never set have no price and no restrictions). It returns
// ENOTFOUND for an unknown plan and EINVALID for a bad range.
func (db Store) Rates(ctx context.Context, ratePlanID string, from, to date.Date) ([]DayRate, error) {
	if err := tenant.ValidDateRange(from, to); err != nil {
		return nil, err
	}
	var out []DayRate
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rp, err := GetRatePlan(tx, ratePlanID)
		if err != nil {
			return err
		}
		stored, err := LoadRates(tx, ratePlanID, from, to)
		if err != nil {
			return err
		}
		out = make([]DayRate, 0, to.Sub(from))
		for _, d := range date.Range(from, to) {
			r := stored[d]
			dr := DayRate{Date: d, MinStay: r.minStay, MaxStay: r.MaxStay, ClosedToArrival: r.cta, ClosedToDeparture: r.Ctd, StopSell: r.StopSell}
			if r.price.Valid {
				dr.Price = &tenant.Money{Amount: r.price.Int64, Currency: rp.ExtraPerson.Currency}
			}
			out = append(out, dr)
		}
		return nil
	})
	return out, err
}

// RateUpdate is a bulk edit of a rate plan's calendar: for every day in
// [From, To) whose weekday is in Weekdays (all days when empty), each field
// that is set replaces the stored value; nil fields are left alone.
// RemovePrice clears the price (the days become unbookable directly).
type RateUpdate struct {
	RatePlanID        string        `json:"rate_plan_id"`
	From              date.Date     `json:"from"`
	To                date.Date     `json:"to"`       // exclusive
	Weekdays          []string      `json:"weekdays"` // "mon" … "sun"
	Price             *tenant.Money `json:"price,omitempty"`
	RemovePrice       bool          `json:"remove_price,omitempty"`
	MinStay           *int          `json:"min_stay,omitempty"`
	MaxStay           *int          `json:"max_stay,omitempty"`
	ClosedToArrival   *bool         `json:"closed_to_arrival,omitempty"`
	ClosedToDeparture *bool         `json:"closed_to_departure,omitempty"`
	StopSell          *bool         `json:"stop_sell,omitempty"`
}

// RateUpdateResult says how many days a bulk edit selected and changed.
type RateUpdateResult struct {
	Days    int `json:"days"`
	Changed int `json:"changed"`
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// UpdateRates applies a bulk edit to a rate plan's calendar in one
// transaction and writes ONE audit row for it ("rates.updated"): its before
// is the previous values of the changed days, merged into runs of
// consecutive days with equal values; its after is the edit itself and the
// number of days changed. A per-day row would bury a year's edit in 365
// rows, and the runs keep every previous value recoverable. An edit that
// changes nothing writes nothing. It returns ENOTFOUND for an unknown plan
// and EINVALID for a bad edit.
func (db Store) UpdateRates(ctx context.Context, u RateUpdate) (RateUpdateResult, error) {
	var fe tenant.FieldErrors
	if u.From.IsZero() {
		fe.Add("from", "is required")
	}
	if u.To.IsZero() {
		fe.Add("to", "is required")
	} else if !u.From.IsZero() && !u.From.Before(u.To) {
		fe.Add("to", "must be after from")
	} else if !u.From.IsZero() && u.To.Sub(u.From) > 2*tenant.MaxRange {
		fe.Add("to", "a bulk edit may span at most %d days", 2*tenant.MaxRange)
	}
	days := map[time.Weekday]bool{}
	for _, w := range u.Weekdays {
		wd, ok := weekdayNames[strings.ToLower(w)]
		if !ok {
			fe.Add("weekdays", "%q is not one of mon, tue, wed, thu, fri, sat, sun", w)
		}
		days[wd] = true
	}
	if u.Price != nil && u.Price.Amount < 0 {
		fe.Add("price.amount", "must not be negative")
	}
	if u.Price != nil && u.RemovePrice {
		fe.Add("remove_price", "cannot be combined with a price")
	}
	if u.MinStay != nil && (*u.MinStay < 0 || *u.MinStay > tenant.MaxStay) {
		fe.Add("min_stay", "must be 0 (none) to %d", tenant.MaxStay)
	}
	if u.MaxStay != nil && (*u.MaxStay < 0 || *u.MaxStay > tenant.MaxStay) {
		fe.Add("max_stay", "must be 0 (none) to %d", tenant.MaxStay)
	}
	if u.MinStay != nil && u.MaxStay != nil && *u.MaxStay != 0 && *u.MinStay > *u.MaxStay {
		fe.Add("max_stay", "must not be below min_stay")
	}
	if u.Price == nil && !u.RemovePrice && u.MinStay == nil && u.MaxStay == nil && u.ClosedToArrival == nil && u.ClosedToDeparture == nil && u.StopSell == nil {
		fe.Add("price", "set at least one of price, remove_price, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell")
	}
	if err := fe.Err("The rate update is not valid."); err != nil {
		return RateUpdateResult{}, err
	}
	var res RateUpdateResult
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		rp, err := GetRatePlan(tx, u.RatePlanID)
		if err != nil {
			return err
		}
		if u.Price != nil && u.Price.Currency != "" && u.Price.Currency != rp.ExtraPerson.Currency {
			return aura.Invalid("The rate update is not valid.", aura.FieldError{Field: "price.currency", Message: "must be the property's currency " + rp.ExtraPerson.Currency})
		}
		stored, err := LoadRates(tx, rp.ID, u.From, u.To)
		if err != nil {
			return err
		}
		type run struct {
			From date.Date      `json:"from"`
			To   date.Date      `json:"to"`
			Was  map[string]any `json:"was"`
			row  rateRow
		}
		var runs []*run
		for _, d := range date.Range(u.From, u.To) {
			if len(days) > 0 && !days[d.Weekday()] {
				continue
			}
			res.Days++
			old := stored[d]
			nw := old
			switch {
			case u.Price != nil:
				nw.price = sql.NullInt64{Int64: u.Price.Amount, Valid: true}
			case u.RemovePrice:
				nw.price = sql.NullInt64{}
			}
			if u.MinStay != nil {
				nw.minStay = *u.MinStay
			}
			if u.MaxStay != nil {
				nw.MaxStay = *u.MaxStay
			}
			if u.ClosedToArrival != nil {
				nw.cta = *u.ClosedToArrival
			}
			if u.ClosedToDeparture != nil {
				nw.Ctd = *u.ClosedToDeparture
			}
			if u.StopSell != nil {
				nw.StopSell = *u.StopSell
			}
			if old.equal(nw) {
				continue
			}
			if nw.MaxStay != 0 && nw.minStay > nw.MaxStay {
				return aura.Invalid("The rate update is not valid.", aura.FieldError{Field: "min_stay",
					Message: "on " + d.String() + " the minimum stay would exceed the maximum stay"})
			}
			res.Changed++
			if _, err := tx.Exec(`INSERT INTO rates (rate_plan_id, date, price, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (rate_plan_id, date) DO UPDATE SET price = excluded.price, min_stay = excluded.min_stay, max_stay = excluded.max_stay,
				closed_to_arrival = excluded.closed_to_arrival, closed_to_departure = excluded.closed_to_departure, stop_sell = excluded.stop_sell`,
				rp.ID, d, nw.price, nw.minStay, nw.MaxStay, nw.cta, nw.Ctd, nw.StopSell); err != nil {
				return err
			}
			if n := len(runs); n > 0 && runs[n-1].To == d && runs[n-1].row.equal(old) {
				runs[n-1].To = d.AddDays(1)
			} else {
				runs = append(runs, &run{From: d, To: d.AddDays(1), Was: old.summary(), row: old})
			}
		}
		if res.Changed == 0 {
			return nil
		}
		return tx.Audit(audit.Entry{Action: "rates.updated", EntityType: "rate_plan", EntityID: rp.ID,
			Before: map[string]any{"runs": runs},
			After:  map[string]any{"edit": u, "days_selected": res.Days, "days_changed": res.Changed}})
	})
	return res, err
}

// pricedStay is a stay priced and checked against a rate plan's calendar.
type pricedStay struct {
	Prices   []int64 // per night, including extra persons
	Problems tenant.FieldErrors
}

// PriceStay prices the nights [arrival, departure) of a plan for a party
// and lists the restrictions the stay breaks (min/max stay and
// closed-to-arrival on the arrival day, closed-to-departure on the
// departure day, stop-sell or a missing price on any night). A missing
// price leaves that night at -1.
func PriceStay(tx *tenant.Tx, p Property, rp RatePlan, rt RoomType, arrival, departure date.Date, guests int) (pricedStay, error) {
	stored, err := LoadRates(tx, rp.ID, arrival, departure.AddDays(1))
	if err != nil {
		return pricedStay{}, err
	}
	var ps pricedStay
	extra := int64(max(0, guests-rt.BaseOccupancy)) * rp.ExtraPerson.Amount
	nights := departure.Sub(arrival)
	first := stored[arrival]
	if first.cta {
		ps.Problems.Add("arrival", "%s is closed to arrival for %s", p.Day(arrival), rp.Name)
	}
	if first.minStay > 0 && nights < first.minStay {
		ps.Problems.Add("departure", "stays arriving on %s need at least %d nights", p.Day(arrival), first.minStay)
	}
	if first.MaxStay > 0 && nights > first.MaxStay {
		ps.Problems.Add("departure", "stays arriving on %s may last at most %d nights", p.Day(arrival), first.MaxStay)
	}
	if stored[departure].Ctd {
		ps.Problems.Add("departure", "%s is closed to departure for %s", p.Day(departure), rp.Name)
	}
	for _, d := range date.Range(arrival, departure) {
		r := stored[d]
		if r.StopSell {
			ps.Problems.Add("rate_plan_id", "%s is not for sale on %s (stop-sell)", rp.Name, p.Day(d))
		}
		if !r.price.Valid {
			ps.Problems.Add("rate_plan_id", "%s has no price for %s", rp.Name, p.Day(d))
			ps.Prices = append(ps.Prices, -1)
			continue
		}
		ps.Prices = append(ps.Prices, r.price.Int64+extra)
	}
	return ps, nil
}
