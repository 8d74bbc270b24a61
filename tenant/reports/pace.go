package reports

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// PaceDays is how far ahead the on-the-books report looks by default.
const PaceDays = 365

// LastYearDays is how far back "the same day last year" is: 364 days,
// 52 weeks, so a Saturday compares with a Saturday.
const LastYearDays = 364

// PaceQuery asks for the on-the-books of a property: the nights [From,
// From+Days) as booked on the property's business date, grouped by day or
// month, compared with last year.
type PaceQuery struct {
	PropertyID string    `json:"property_id"`
	From       date.Date `json:"from"`
	Days       int       `json:"days"`
	By         string    `json:"by"` // ByDay or ByMonth
}

// PaceFigures are the on-the-books of a group of nights:
//
//   - Available: room-nights less out-of-order room-nights (as the
//     engine counts them), less the house-use nights held when the
//     operator excludes house use (see Exclusions).
//   - OnBooks: stored nights that hold a room (tentative, confirmed, in
//     house, checked out), less complimentary and house-use nights when
//     the operator excludes them, and Revenue the nightly prices frozen on
//     all the nights held when they were booked (an excluded night's price
//     stays in, as the engine keeps its posted revenue), on the property's
//     pricing basis (gross when its prices include VAT): what the night
//     audit will post if nothing changes.
//   - Occupancy: OnBooks / Available in basis points.
type PaceFigures struct {
	Available int64 `json:"available"`
	OnBooks   int64 `json:"on_books"`
	Revenue   int64 `json:"revenue"`
	Occupancy int64 `json:"occupancy_bp"`
}

// PaceLastYear is the same nights a year earlier (LastYearDays before),
// with the property's exclusions of today applied to both counts:
//
//   - OnBooks: the nights that were on the books then at the same lead
//     time, i.e. at the end of the business date LastYearDays before the
//     query's, at the dates they had then. They are read from the
//     on-the-books snapshot the night audit recorded when it closed that
//     date (see frontdesk's writeOnBooks; LastYearSnapshot says so). For
//     nights no snapshot covers (dates closed before snapshots began, or
//     closed late) they are estimated from the reservations: those
//     created by the end of that day and not cancelled by then (a no-show
//     counts when its arrival was still to come), at their dates and rate
//     plan of today, the only ones stored.
//   - Final: the nights that hold a room now (what was finally sold).
//   - Revenue: the room revenue posted for those nights, less allowances,
//     on the property's pricing basis.
type PaceLastYear struct {
	OnBooks int64 `json:"on_books"`
	Final   int64 `json:"final"`
	Revenue int64 `json:"revenue"`
}

// PaceRow is one day (YYYY-MM-DD) or month (YYYY-MM) of the pace report.
type PaceRow struct {
	Key string `json:"key"`
	PaceFigures
	LastYear PaceLastYear `json:"last_year"`
}

// PaceReport is the on-the-books of a property as of its business date.
type PaceReport struct {
	PaceQuery
	AsOf             date.Date    `json:"as_of"`
	Currency         string       `json:"currency"`
	PricesIncludeTax bool         `json:"prices_include_tax"`
	Rows             []PaceRow    `json:"rows"`
	Total            PaceFigures  `json:"total"`
	TotalLastYear    PaceLastYear `json:"total_last_year"`
	// LastYearAsOf is the business date whose end last year's OnBooks
	// stand at; LastYearSnapshot is set when every night of last year's
	// range was read from the night audit's snapshot of that date
	// (otherwise some or all of them were estimated, see PaceLastYear).
	LastYearAsOf     date.Date `json:"last_year_as_of"`
	LastYearSnapshot bool      `json:"last_year_snapshot"`
	// Exclusions are the property's settings the figures applied.
	Exclusions Exclusions `json:"exclusions"`
}

func (q *PaceQuery) check() error {
	if q.Days == 0 {
		q.Days = PaceDays
	}
	if q.By == "" {
		q.By = ByMonth
	}
	var fields []aura.FieldError
	if q.PropertyID == "" {
		fields = append(fields, aura.FieldError{Field: "property_id", Message: "Choose a property."})
	}
	if q.From.IsZero() {
		fields = append(fields, aura.FieldError{Field: "from", Message: "Give the first night, as YYYY-MM-DD."})
	}
	if q.Days < 1 || q.Days > tenant.MaxRange {
		fields = append(fields, aura.FieldError{Field: "days", Message: fmt.Sprintf("Look 1 to %d nights ahead.", tenant.MaxRange)})
	}
	if q.By != ByDay && q.By != ByMonth {
		fields = append(fields, aura.FieldError{Field: "by", Message: "Group by day or month."})
	}
	if len(fields) > 0 {
		return aura.Invalid("The on-the-books report cannot run with these settings.", fields...)
	}
	return nil
}

// Pace returns the on-the-books of q's nights as of asOf (the property's
// business date), with last year's figures for the same weekdays. It
// returns EINVALID for bad settings and ENOTFOUND for an unknown property.
func (s Store) Pace(ctx context.Context, q PaceQuery, asOf date.Date) (PaceReport, error) {
	return s.pace(ctx, q, asOf, true)
}

// pace is Pace, with last year's figures only when lastYear is set.
func (s Store) pace(ctx context.Context, q PaceQuery, asOf date.Date, lastYear bool) (PaceReport, error) {
	if err := q.check(); err != nil {
		return PaceReport{}, err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, q.PropertyID)
	if err != nil {
		return PaceReport{}, err
	}
	loc, err := prop.Location()
	if err != nil {
		return PaceReport{}, err
	}
	to := q.From.AddDays(q.Days)
	rep := PaceReport{PaceQuery: q, AsOf: asOf, Currency: prop.Currency, PricesIncludeTax: prop.Tax.PricesIncludeVAT, Rows: []PaceRow{}}
	eq := Query{PropertyID: q.PropertyID, From: q.From, To: to, By: q.By}
	rows := map[string]*PaceRow{}
	var keys []string
	for _, d := range date.Range(q.From, to) {
		k := eq.dateKey(d)
		if rows[k] == nil {
			rows[k] = &PaceRow{Key: k}
			keys = append(keys, k)
		}
	}
	ex, err := s.GetExclusions(ctx, q.PropertyID)
	if err != nil {
		return rep, err
	}
	classes, err := s.planClasses(ctx, ex)
	if err != nil {
		return rep, err
	}
	rep.Exclusions = ex
	count := excluder(ex, classes)
	// Availability as the engine counts it.
	avail := map[string]*Row{}
	if err := s.inventory(ctx, eq, &Figures{}, func(k string) *Row {
		if avail[k] == nil {
			avail[k] = &Row{Key: k}
		}
		return avail[k]
	}); err != nil {
		return rep, err
	}
	for k, a := range avail {
		if r := rows[k]; r != nil {
			r.Available = a.RoomNights - a.OutOfOrder
		}
	}
	// On the books now.
	// One row per night: the prices are summed here, saturating, since a
	// price a channel sent may be anything up to the largest integer.
	// The plan of a night matters only when some plan is excluded.
	byPlan := false
	for _, c := range classes {
		byPlan = byPlan || c == classComplimentary && ex.ExcludeComplimentary || c == classHouseUse && ex.ExcludeHouseUse
	}
	if err := s.eachPlanNight(ctx, heldNightsSQL(byPlan, false),
		func(d date.Date, plan string, n, v int64) {
			r := rows[eq.dateKey(d)]
			sold, withheld := count(plan, n)
			r.OnBooks += sold
			r.Available -= withheld
			r.Revenue = satAdd(r.Revenue, v)
		}, q.PropertyID, q.From, to); err != nil {
		return rep, err
	}
	if lastYear {
		if err := s.paceLastYear(ctx, q, eq, to, asOf, loc, rows, &rep, byPlan, count); err != nil {
			return rep, err
		}
	}
	for _, k := range keys {
		r := rows[k]
		r.Occupancy = ratio(10000*r.OnBooks, r.Available)
		rep.Rows = append(rep.Rows, *r)
		rep.Total.Available += r.Available
		rep.Total.OnBooks += r.OnBooks
		rep.Total.Revenue = satAdd(rep.Total.Revenue, r.Revenue)
		rep.TotalLastYear.OnBooks += r.LastYear.OnBooks
		rep.TotalLastYear.Final += r.LastYear.Final
		rep.TotalLastYear.Revenue += r.LastYear.Revenue
	}
	rep.Total.Occupancy = ratio(10000*rep.Total.OnBooks, rep.Total.Available)
	return rep, nil
}

// heldNightsSQL is the query of a property's nights that hold a room in
// [?, ?) (arguments: property, from, to), with rows (date, rate plan,
// count, price): one per night, or per date and plan with no price when
// grouped. The rate plan costs a lookup of the reservation per night, so
// it is read only when byPlan is set (the property excludes some plans);
// otherwise it is empty and the query is the one-table read it was
// before the exclusions applied. The planner picks the access path (no
// INDEXED BY): over a year of nights a scan of the table can beat an
// index lookup per night, and forcing reservation_nights_sold made
// Pace365 twice as slow in make bench-reports.
func heldNightsSQL(byPlan, grouped bool) string {
	cols, from := "n.date, '', ", "reservation_nights n"
	if byPlan {
		cols, from = "n.date, r.rate_plan_id, ", from+" JOIN reservations r ON r.id = n.reservation_id"
	}
	tail := ""
	if grouped {
		cols, tail = cols+"count(*), 0", " GROUP BY 1, 2"
	} else {
		cols += "1, n.price"
	}
	return `SELECT ` + cols + ` FROM ` + from + `
		WHERE n.room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND n.holds = 1 AND n.date >= ? AND n.date < ?` + tail
}

// excluder returns how n nights of a rate plan count under ex: the nights
// sold (on the books) and the nights withheld from the available ones.
func excluder(ex Exclusions, classes map[string]string) func(plan string, n int64) (sold, withheld int64) {
	return func(plan string, n int64) (int64, int64) {
		switch classes[plan] {
		case classComplimentary:
			if ex.ExcludeComplimentary {
				return 0, 0
			}
		case classHouseUse:
			if ex.ExcludeHouseUse {
				return 0, n
			}
		}
		return n, 0
	}
}

// paceLastYear adds last year's figures (the same nights LastYearDays
// earlier) to the rows of a pace report.
func (s Store) paceLastYear(ctx context.Context, q PaceQuery, eq Query, to, asOf date.Date, loc *time.Location, rows map[string]*PaceRow,
	rep *PaceReport, byPlan bool, count func(string, int64) (int64, int64)) error {
	// Last year: the same nights LastYearDays earlier.
	lyFrom, lyTo := q.From.AddDays(-LastYearDays), to.AddDays(-LastYearDays)
	back := func(d date.Date) *PaceRow { return rows[eq.dateKey(d.AddDays(LastYearDays))] }
	if err := s.eachPlanNight(ctx, heldNightsSQL(byPlan, true), func(d date.Date, plan string, n, _ int64) {
		sold, _ := count(plan, n)
		back(d).LastYear.Final += sold
	}, q.PropertyID, lyFrom, lyTo); err != nil {
		return err
	}
	thenDay := asOf.AddDays(-LastYearDays)
	rep.LastYearAsOf = thenDay
	// The night audit's snapshot of thenDay covers [thenDay, thenDay+days).
	snap, days, err := s.onBooksSnapshot(ctx, q.PropertyID, thenDay)
	if err != nil {
		return err
	}
	covered := func(d date.Date) bool { return !d.Before(thenDay) && d.Sub(thenDay) < days }
	rep.LastYearSnapshot = days > 0 && covered(lyFrom) && covered(lyTo.AddDays(-1))
	for plan, ns := range snap {
		for i, n := range ns {
			if d := thenDay.AddDays(i); !d.Before(lyFrom) && d.Before(lyTo) {
				sold, _ := count(plan, n)
				back(d).LastYear.OnBooks += sold
			}
		}
	}
	if !rep.LastYearSnapshot {
		// The estimate, for the nights no snapshot covers.
		then := tenant.FormatTime(thenDay.AddDays(1).Midnight(loc))
		plan := "''"
		if byPlan {
			plan = "r.rate_plan_id"
		}
		if err := s.eachPlanNight(ctx, `SELECT n.date, `+plan+`, count(*), 0 FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id
			WHERE r.property_id = ? AND n.date >= ? AND n.date < ? AND r.created_at < ?
				AND (r.cancelled_at IS NULL OR r.cancelled_at >= ?) AND NOT (r.status = 'no_show' AND r.arrival <= ?)
			GROUP BY 1, 2`, func(d date.Date, plan string, n, _ int64) {
			if !covered(d) {
				sold, _ := count(plan, n)
				back(d).LastYear.OnBooks += sold
			}
		}, q.PropertyID, lyFrom, lyTo, then, then, thenDay); err != nil {
			return err
		}
	}
	lines := `SELECT l.service_date, 0, sum(CASE WHEN l.kind = 'charge' THEN l.net ELSE -l.net END)`
	if rep.PricesIncludeTax {
		lines = `SELECT l.service_date, 0, sum(CASE WHEN l.kind = 'charge' THEN l.gross ELSE -l.gross END)`
	}
	if err := s.eachNight(ctx, lines+`
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id LEFT JOIN ledger_lines c ON c.id = l.corrects
		WHERE f.property_id = ? AND l.kind IN ('charge', 'allowance') AND coalesce(nullif(l.item, ''), c.item, '') = 'room'
			AND l.service_date >= ? AND l.service_date < ?
		GROUP BY 1`, func(d date.Date, _, v int64) { back(d).LastYear.Revenue += v }, q.PropertyID, lyFrom, lyTo); err != nil {
		return err
	}
	return nil
}

// onBooksSnapshot returns the night audit's on-the-books snapshot of a
// property's business date d: per rate plan the room-nights held for the
// nights d, d+1, ..., and how many nights it covers (0 when there is none).
func (s Store) onBooksSnapshot(ctx context.Context, propertyID string, d date.Date) (map[string][]int64, int, error) {
	var days int
	var plans string
	err := s.SQL().Read.QueryRowContext(ctx, `SELECT days, plans FROM otb_snapshots WHERE property_id = ? AND business_date = ?`, propertyID, d).Scan(&days, &plans)
	if err == sql.ErrNoRows {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reports: on-the-books snapshot: %w", err)
	}
	out := map[string][]int64{}
	if err := json.Unmarshal([]byte(plans), &out); err != nil {
		return nil, 0, fmt.Errorf("reports: on-the-books snapshot of %s: %w", d, err)
	}
	return out, days, nil
}

// satAdd adds two amounts, staying at the largest (or smallest) int64
// instead of wrapping around.
func satAdd(a, b int64) int64 {
	c := a + b
	switch {
	case a > 0 && b > 0 && c < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && c >= 0:
		return math.MinInt64
	}
	return c
}

// eachPlanNight runs a query whose rows are (date, rate plan id, count,
// amount).
func (s Store) eachPlanNight(ctx context.Context, query string, fn func(date.Date, string, int64, int64), args ...any) error {
	rows, err := s.SQL().Read.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("reports: on the books: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d date.Date
		var plan string
		var n, v int64
		if err := rows.Scan(&d, &plan, &n, &v); err != nil {
			return fmt.Errorf("reports: on the books: %w", err)
		}
		fn(d, plan, n, v)
	}
	return rows.Err()
}

// eachNight runs a query whose rows are (date, count, amount).
func (s Store) eachNight(ctx context.Context, query string, fn func(date.Date, int64, int64), args ...any) error {
	rows, err := s.SQL().Read.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("reports: on the books: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d date.Date
		var n, v int64
		if err := rows.Scan(&d, &n, &v); err != nil {
			return fmt.Errorf("reports: on the books: %w", err)
		}
		fn(d, n, v)
	}
	return rows.Err()
}
