package reports

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// Groupings of a report: what each row of it stands for.
const (
	ByDay      = "day"       // one row per night, YYYY-MM-DD
	ByMonth    = "month"     // one row per calendar month, YYYY-MM (clipped to the range)
	ByRoomType = "room_type" // one row per room type
	ByRatePlan = "rate_plan" // one row per rate plan
	ByChannel  = "channel"   // one row per booking source: "direct" or a channel code
	ByCategory = "category"  // one row per accounting category of the lines
)

// Groupings lists every grouping Run accepts, in the order pages offer them.
var Groupings = []string{ByDay, ByMonth, ByRoomType, ByRatePlan, ByChannel, ByCategory}

// Fee items a stay posts instead of nights when it is cancelled or does
// not show (see pmsledger.PostFee).
const (
	ItemCancellationFee = "fee:cancellation"
	ItemNoShowFee       = "fee:no_show"
)

// Query asks for a property's figures over the nights [From, To) grouped
// by one of the Groupings. The range is at most tenant.MaxRange nights.
type Query struct {
	PropertyID string    `json:"property_id"`
	From       date.Date `json:"from"`
	To         date.Date `json:"to"`
	By         string    `json:"by"`
}

// Amount is a net and a gross amount in minor units; gross = net + tax.
type Amount struct {
	Net   int64 `json:"net"`
	Gross int64 `json:"gross"`
}

func (a Amount) add(b Amount) Amount { return Amount{a.Net + b.Net, a.Gross + b.Gross} }

// Figures are the measures of one row (or the total) of a report. The
// definitions:
//
//   - RoomNights: rooms of the property (or room type) that exist now,
//     times the nights of the row.
//   - OutOfOrder: room-nights inside an out-of-order block of a room
//     (out-of-service rooms stay sellable and count as available).
//   - Available: RoomNights − OutOfOrder − Withheld.
//   - Sold: stored nights of reservations that hold a room (tentative,
//     confirmed, in house or checked out); cancelled and no-show
//     reservations hold none and count only by their fees.
//   - Complimentary, HouseUse: the nights of those held by a
//     complimentary or house-use rate plan (see Exclusions). When the
//     operator excludes complimentary rooms they leave Sold; excluded
//     house-use rooms leave Sold and are Withheld from Available.
//   - Room: room revenue, the posted room-night lines (item "room") of the
//     row's nights less the allowances posted against them, net and gross.
//   - Fees: posted cancellation and no-show fee lines less their
//     allowances; Cancellations and NoShows count those fee lines.
//   - Other: every other posted charge (extras, city tax, manual charges)
//     less its allowances.
//   - Total: Room + Fees + Other.
//   - Occupancy = Sold / Available, in basis points.
//   - ADR = Room / Sold (average daily rate), net and gross.
//   - RevPAR = Room / Available (revenue per available room), net and gross.
//
// A line belongs to the night (or day) it is for, its service date, not
// to the day it was posted: a stay across New Year splits its revenue
// between the two years exactly as its nights were posted. Divisions round
// half up and are zero when the divisor is zero.
type Figures struct {
	RoomNights    int64  `json:"room_nights"`
	OutOfOrder    int64  `json:"out_of_order"`
	Withheld      int64  `json:"withheld"` // excluded house-use room-nights
	Available     int64  `json:"available"`
	Sold          int64  `json:"sold"`
	Complimentary int64  `json:"complimentary"`
	HouseUse      int64  `json:"house_use"`
	Room          Amount `json:"room_revenue"`
	Fees          Amount `json:"fees"`
	Other         Amount `json:"other_revenue"`
	Total         Amount `json:"total_revenue"`
	Cancellations int64  `json:"cancellations"`
	NoShows       int64  `json:"no_shows"`
	Occupancy     int64  `json:"occupancy_bp"`
	ADR           Amount `json:"adr"`
	RevPAR        Amount `json:"revpar"`
}

// finish computes the derived figures (Available, Total and the ratios).
func (f *Figures) finish() {
	f.Available = f.RoomNights - f.OutOfOrder - f.Withheld
	f.Total = f.Room.add(f.Fees).add(f.Other)
	f.Occupancy = ratio(10000*f.Sold, f.Available)
	f.ADR = Amount{ratio(f.Room.Net, f.Sold), ratio(f.Room.Gross, f.Sold)}
	f.RevPAR = Amount{ratio(f.Room.Net, f.Available), ratio(f.Room.Gross, f.Available)}
}

func (f *Figures) add(g Figures) {
	f.RoomNights += g.RoomNights
	f.OutOfOrder += g.OutOfOrder
	f.Withheld += g.Withheld
	f.Sold += g.Sold
	f.Complimentary += g.Complimentary
	f.HouseUse += g.HouseUse
	f.Room = f.Room.add(g.Room)
	f.Fees = f.Fees.add(g.Fees)
	f.Other = f.Other.add(g.Other)
	f.Cancellations += g.Cancellations
	f.NoShows += g.NoShows
}

// ratio returns a/b rounded half away from zero, or 0 when b is 0.
func ratio(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	if a < 0 {
		return -ratio(-a, b)
	}
	return (2*a + b) / (2 * b)
}

// Row is one group of a report: its key (a date, a month, an id or a
// code), a label to show and its figures.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Figures
}

// Report is the answer to a Query: one row per group that has any figure
// (every night or month of the range for the date groupings), ordered by
// key for dates and by label otherwise, and the total over the range.
//
// Availability splits only by date and room type: a row grouped by rate
// plan, channel or category carries the property's whole RoomNights,
// OutOfOrder and Available, so its RevPAR is that group's contribution to
// the property's RevPAR. Sold nights have no category: category rows carry
// Sold 0 (the total carries them all).
type Report struct {
	Query
	Currency string  `json:"currency"`
	Rows     []Row   `json:"rows"`
	Total    Figures `json:"total"`
	// Exclusions are the property's settings the figures applied.
	Exclusions Exclusions `json:"exclusions"`
}

// Run aggregates the figures of q. It returns EINVALID for a bad range or
// grouping and ENOTFOUND for an unknown property.
func (s Store) Run(ctx context.Context, q Query) (Report, error) {
	if err := q.check(); err != nil {
		return Report{}, err
	}
	inv := inventory.New(s.DB)
	prop, err := inv.GetProperty(ctx, q.PropertyID)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Query: q, Currency: prop.Currency, Rows: []Row{}}
	rows := map[string]*Row{}
	get := func(key string) *Row {
		r := rows[key]
		if r == nil {
			r = &Row{Key: key}
			rows[key] = r
		}
		return r
	}
	var total Figures
	if q.By == ByDay || q.By == ByMonth {
		for _, d := range date.Range(q.From, q.To) {
			get(q.dateKey(d))
		}
	}
	labels, err := s.labels(ctx, q)
	if err != nil {
		return rep, err
	}
	if err := s.inventory(ctx, q, &total, get); err != nil {
		return rep, err
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
	if err := s.sold(ctx, q, ex, classes, &total, get); err != nil {
		return rep, err
	}
	if err := s.revenue(ctx, q, &total, get); err != nil {
		return rep, err
	}
	perDate := q.By == ByDay || q.By == ByMonth || q.By == ByRoomType
	for key, r := range rows {
		if !perDate {
			r.RoomNights, r.OutOfOrder, r.Withheld = total.RoomNights, total.OutOfOrder, total.Withheld
		}
		r.finish()
		r.Label = key
		if l, ok := labels[key]; ok {
			r.Label = l
		}
		rep.Rows = append(rep.Rows, *r)
	}
	total.finish()
	rep.Total = total
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if perDate && q.By != ByRoomType || a.Label == b.Label {
			return a.Key < b.Key
		}
		return strings.ToLower(a.Label) < strings.ToLower(b.Label)
	})
	return rep, nil
}

// Validate returns the EINVALID error Run would return for q's range and
// grouping, or nil.
func (q Query) Validate() error { return q.check() }

func (q Query) check() error {
	var fields []aura.FieldError
	if q.PropertyID == "" {
		fields = append(fields, aura.FieldError{Field: "property_id", Message: "Choose a property."})
	}
	if q.From.IsZero() {
		fields = append(fields, aura.FieldError{Field: "from", Message: "Give the first night, as YYYY-MM-DD."})
	}
	if q.To.IsZero() {
		fields = append(fields, aura.FieldError{Field: "to", Message: "Give the day after the last night, as YYYY-MM-DD."})
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if !q.From.Before(q.To) {
			fields = append(fields, aura.FieldError{Field: "to", Message: "The end must be after the start."})
		} else if q.To.Sub(q.From) > tenant.MaxRange {
			fields = append(fields, aura.FieldError{Field: "to", Message: fmt.Sprintf("A report covers at most %d nights.", tenant.MaxRange)})
		}
	}
	known := false
	for _, g := range Groupings {
		known = known || q.By == g
	}
	if !known {
		fields = append(fields, aura.FieldError{Field: "by", Message: "Group by one of: " + strings.Join(Groupings, ", ") + "."})
	}
	if len(fields) > 0 {
		return aura.Invalid("The report cannot run with these settings.", fields...)
	}
	return nil
}

func (q Query) dateKey(d date.Date) string {
	if q.By == ByMonth {
		return d.String()[:7]
	}
	return d.String()
}

// key returns the row a fact belongs to under q's grouping.
func (q Query) key(night, roomType, ratePlan, source, category string) string {
	switch q.By {
	case ByDay:
		return night
	case ByMonth:
		return night[:7]
	case ByRoomType:
		return roomType
	case ByRatePlan:
		return ratePlan
	case ByChannel:
		return source
	default:
		return category
	}
}

// labels names the keys of the id groupings (room types, rate plans,
// categories).
func (s Store) labels(ctx context.Context, q Query) (map[string]string, error) {
	out := map[string]string{"": "(none)"}
	inv := inventory.New(s.DB)
	switch q.By {
	case ByRoomType:
		rts, err := inv.ListRoomTypes(ctx, q.PropertyID)
		if err != nil {
			return nil, err
		}
		for _, rt := range rts {
			out[rt.ID] = rt.Name
		}
	case ByRatePlan:
		rps, err := inv.ListRatePlans(ctx, q.PropertyID)
		if err != nil {
			return nil, err
		}
		for _, rp := range rps {
			out[rp.ID] = rp.Name + " (" + rp.Code + ")"
		}
	case ByCategory:
		rows, err := s.SQL().Read.QueryContext(ctx, `SELECT code, name FROM ledger_categories WHERE property_id = ?`, q.PropertyID)
		if err != nil {
			return nil, fmt.Errorf("reports: categories: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var code, name string
			if err := rows.Scan(&code, &name); err != nil {
				return nil, fmt.Errorf("reports: categories: %w", err)
			}
			out[code] = name
		}
		return out, rows.Err()
	case ByDay, ByMonth:
		delete(out, "")
	}
	return out, nil
}

// inventory adds the room-nights and out-of-order room-nights of every
// night in the range.
func (s Store) inventory(ctx context.Context, q Query, total *Figures, get func(string) *Row) error {
	perType := map[string]int64{}
	roomType := map[string]string{}
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT id, room_type_id FROM rooms WHERE property_id = ?`, q.PropertyID)
	if err != nil {
		return fmt.Errorf("reports: rooms: %w", err)
	}
	for rows.Next() {
		var id, rt string
		if err := rows.Scan(&id, &rt); err != nil {
			rows.Close()
			return fmt.Errorf("reports: rooms: %w", err)
		}
		perType[rt]++
		roomType[id] = rt
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: rooms: %w", err)
	}
	nights := date.Range(q.From, q.To)
	for rt, n := range perType {
		for _, d := range nights {
			total.RoomNights += n
			if q.By == ByDay || q.By == ByMonth || q.By == ByRoomType {
				get(q.key(d.String(), rt, "", "", "")).RoomNights += n
			}
		}
	}
	rows, err = s.SQL().Read.QueryContext(ctx, `SELECT b.room_id, b.start_date, b.end_date FROM room_blocks b JOIN rooms r ON r.id = b.room_id
		WHERE r.property_id = ? AND b.kind = 'out_of_order' AND b.start_date < ? AND b.end_date > ?`, q.PropertyID, q.To, q.From)
	if err != nil {
		return fmt.Errorf("reports: blocks: %w", err)
	}
	defer rows.Close()
	// Blocks of one room may overlap: count each room-night once.
	seen := map[string]bool{}
	for rows.Next() {
		var room string
		var start, end date.Date
		if err := rows.Scan(&room, &start, &end); err != nil {
			return fmt.Errorf("reports: blocks: %w", err)
		}
		if start.Before(q.From) {
			start = q.From
		}
		if end.After(q.To) {
			end = q.To
		}
		for _, d := range date.Range(start, end) {
			k := room + d.String()
			if seen[k] {
				continue
			}
			seen[k] = true
			total.OutOfOrder++
			if q.By == ByDay || q.By == ByMonth || q.By == ByRoomType {
				get(q.key(d.String(), roomType[room], "", "", "")).OutOfOrder++
			}
		}
	}
	return rows.Err()
}

// sold adds the stored nights that hold a room, applying the property's
// exclusions of complimentary and house-use rooms.
func (s Store) sold(ctx context.Context, q Query, ex Exclusions, classes map[string]string, total *Figures, get func(string) *Row) error {
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT n.date, n.room_type_id, r.rate_plan_id, b.source, count(*)
		FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id JOIN bookings b ON b.id = r.booking_id
		WHERE n.room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND n.holds = 1 AND n.date >= ? AND n.date < ?
		GROUP BY 1, 2, 3, 4`, q.PropertyID, q.From, q.To)
	if err != nil {
		return fmt.Errorf("reports: nights: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var night, rt, rp, source string
		var n int64
		if err := rows.Scan(&night, &rt, &rp, &source, &n); err != nil {
			return fmt.Errorf("reports: nights: %w", err)
		}
		var f Figures
		f.Sold = n
		switch classes[rp] {
		case classComplimentary:
			f.Complimentary = n
			if ex.ExcludeComplimentary {
				f.Sold = 0
			}
		case classHouseUse:
			f.HouseUse = n
			if ex.ExcludeHouseUse {
				f.Sold, f.Withheld = 0, n
			}
		}
		total.add(f)
		if q.By != ByCategory {
			get(q.key(night, rt, rp, source, "")).add(f)
		}
	}
	return rows.Err()
}

// revenue adds the posted charges and allowances. An allowance takes the
// item of the line it corrects (allowances carry no item of their own).
// The kinds are literals (ledger.LineCharge, ledger.LineAllowance) so that
// SQLite uses the partial index ledger_lines_service_date, and CROSS JOIN
// keeps the lines of the range the outer loop (not every folio of the
// property).
func (s Store) revenue(ctx context.Context, q Query, total *Figures, get func(string) *Row) error {
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT l.service_date, l.category, coalesce(nullif(l.item, ''), c.item, ''), l.kind,
			coalesce(r.room_type_id, ''), coalesce(r.rate_plan_id, ''), coalesce(b.source, ''), sum(l.net), sum(l.gross), count(*)
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		LEFT JOIN ledger_lines c ON c.id = l.corrects
		LEFT JOIN reservations r ON l.ref_kind = ? AND r.id = l.ref_id
		LEFT JOIN bookings b ON b.id = r.booking_id
		WHERE f.property_id = ? AND l.kind IN ('charge', 'allowance') AND l.service_date >= ? AND l.service_date < ?
		GROUP BY 1, 2, 3, 4, 5, 6, 7`,
		ledger.RefReservation, q.PropertyID, q.From, q.To)
	if err != nil {
		return fmt.Errorf("reports: lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, category, item, kind, rt, rp, source string
		var a Amount
		var n int64
		if err := rows.Scan(&day, &category, &item, &kind, &rt, &rp, &source, &a.Net, &a.Gross, &n); err != nil {
			return fmt.Errorf("reports: lines: %w", err)
		}
		var f Figures
		if kind == ledger.LineAllowance {
			a, n = Amount{-a.Net, -a.Gross}, 0
		}
		switch item {
		case ledger.ItemRoom:
			f.Room = a
		case ItemCancellationFee:
			f.Fees, f.Cancellations = a, n
		case ItemNoShowFee:
			f.Fees, f.NoShows = a, n
		default:
			f.Other = a
		}
		total.add(f)
		get(q.key(day, rt, rp, source, category)).add(f)
	}
	return rows.Err()
}
