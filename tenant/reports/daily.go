package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/inventory"
)

// Forecast is the budget-less forecast of a month: what is already posted
// for its closed nights plus what is on the books for the rest.
//
//   - Sold: stored nights of the month that hold a room (the closed
//     nights as sold, the open ones as on the books).
//   - Available, Occupancy: as the engine counts them.
//   - Posted: room revenue posted for the month's nights before the
//     business date, less allowances; OnBooks: the frozen nightly prices
//     of the month's nights from the business date on. Both are on the
//     property's pricing basis (gross when its prices include VAT), and
//     RoomRevenue is their sum.
type Forecast struct {
	From        date.Date `json:"from"`
	To          date.Date `json:"to"`
	Available   int64     `json:"available"`
	Sold        int64     `json:"sold"`
	Occupancy   int64     `json:"occupancy_bp"`
	Posted      int64     `json:"posted"`
	OnBooks     int64     `json:"on_books"`
	RoomRevenue int64     `json:"room_revenue"`
}

// DailyReport is the daily manager report of one day: that night's
// figures against the same weekday last year (LastYearDays earlier), the
// month to that day against the same dates a year earlier, the day's
// arrivals and departures, and the month's forecast from the books.
type DailyReport struct {
	PropertyID       string    `json:"property_id"`
	Date             date.Date `json:"date"`
	LastYearDate     date.Date `json:"last_year_date"`
	BusinessDate     date.Date `json:"business_date"`
	Currency         string    `json:"currency"`
	PricesIncludeTax bool      `json:"prices_include_tax"`
	Day              Figures   `json:"day"`
	DayLastYear      Figures   `json:"day_last_year"`
	MonthToDate      Figures   `json:"month_to_date"`
	MonthToDateLY    Figures   `json:"month_to_date_last_year"`
	// The nights of MonthToDate and MonthToDateLY: [MonthFrom, Date+1)
	// and [LastYearFrom, LastYearTo).
	MonthFrom    date.Date `json:"month_from"`
	LastYearFrom date.Date `json:"last_year_from"`
	LastYearTo   date.Date `json:"last_year_to"`
	Arrivals     int64     `json:"arrivals"`
	Departures   int64     `json:"departures"`
	Forecast     Forecast  `json:"forecast"`
}

// Daily returns the daily manager report of day d of a property whose
// business date is businessDate. Every figure is the engine's (Run) but
// the forecast's open nights, which are the stored nights and their
// frozen prices. It returns EINVALID for a missing day and ENOTFOUND for
// an unknown property.
func (s Store) Daily(ctx context.Context, propertyID string, d, businessDate date.Date) (DailyReport, error) {
	if d.IsZero() {
		return DailyReport{}, aura.Invalid("The daily report needs its day.", aura.FieldError{Field: "date", Message: "Give the day, as YYYY-MM-DD."})
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, propertyID)
	if err != nil {
		return DailyReport{}, err
	}
	rep := DailyReport{PropertyID: propertyID, Date: d, LastYearDate: d.AddDays(-LastYearDays), BusinessDate: businessDate,
		Currency: prop.Currency, PricesIncludeTax: prop.Tax.PricesIncludeVAT}
	run := func(from, to date.Date) (Figures, error) {
		r, err := s.Run(ctx, Query{PropertyID: propertyID, From: from, To: to, By: ByMonth})
		return r.Total, err
	}
	if rep.Day, err = run(d, d.AddDays(1)); err != nil {
		return rep, err
	}
	if rep.DayLastYear, err = run(rep.LastYearDate, rep.LastYearDate.AddDays(1)); err != nil {
		return rep, err
	}
	y, m, day := d.YMD()
	first := date.New(y, m, 1)
	if rep.MonthToDate, err = run(first, d.AddDays(1)); err != nil {
		return rep, err
	}
	lyFirst, lyEnd := date.New(y-1, m, 1), date.New(y-1, m, day)
	if _, lm, _ := lyEnd.YMD(); lm != m { // 29 February a year later
		lyEnd = date.New(y-1, m+1, 1).AddDays(-1)
	}
	rep.MonthFrom, rep.LastYearFrom, rep.LastYearTo = first, lyFirst, lyEnd.AddDays(1)
	if rep.MonthToDateLY, err = run(lyFirst, lyEnd.AddDays(1)); err != nil {
		return rep, err
	}
	if err := s.SQL().Read.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM reservations WHERE property_id = ? AND arrival = ? AND status IN ('tentative', 'confirmed', 'in_house', 'checked_out')),
			(SELECT count(*) FROM reservations WHERE property_id = ? AND departure = ? AND status IN ('tentative', 'confirmed', 'in_house', 'checked_out'))`,
		propertyID, d, propertyID, d).Scan(&rep.Arrivals, &rep.Departures); err != nil {
		return rep, fmt.Errorf("reports: arrivals: %w", err)
	}
	next := date.New(y, m+1, 1)
	if m == time.December {
		next = date.New(y+1, time.January, 1)
	}
	var known *Figures // the posted figures of [first, businessDate), when the month to date is that range
	if businessDate == d.AddDays(1) {
		known = &rep.MonthToDate
	}
	rep.Forecast, err = s.forecast(ctx, propertyID, first, next, businessDate, rep.PricesIncludeTax, known)
	return rep, err
}

// forecast computes the Forecast of the nights [from, to). known, when
// set, are the engine's figures of [from, businessDate).
func (s Store) forecast(ctx context.Context, propertyID string, from, to, businessDate date.Date, gross bool, known *Figures) (Forecast, error) {
	f := Forecast{From: from, To: to}
	pace, err := s.pace(ctx, PaceQuery{PropertyID: propertyID, From: from, Days: to.Sub(from), By: ByMonth}, businessDate, false)
	if err != nil {
		return f, err
	}
	f.Available, f.Sold, f.Occupancy = pace.Total.Available, pace.Total.OnBooks, pace.Total.Occupancy
	if businessDate.After(from) {
		closed := businessDate
		if closed.After(to) {
			closed = to
		}
		var room Amount
		if known != nil && closed == businessDate {
			room = known.Room
		} else {
			r, err := s.Run(ctx, Query{PropertyID: propertyID, From: from, To: closed, By: ByMonth})
			if err != nil {
				return f, err
			}
			room = r.Total.Room
		}
		f.Posted = room.Net
		if gross {
			f.Posted = room.Gross
		}
	}
	open := businessDate
	if open.Before(from) {
		open = from
	}
	if open.Before(to) {
		if err := s.eachNight(ctx, `SELECT n.date, 1, n.price FROM reservation_nights n
			WHERE n.room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND n.holds = 1 AND n.date >= ? AND n.date < ?`,
			func(_ date.Date, _, v int64) { f.OnBooks = satAdd(f.OnBooks, v) }, propertyID, open, to); err != nil {
			return f, err
		}
	}
	f.RoomRevenue = satAdd(f.Posted, f.OnBooks)
	return f, nil
}
