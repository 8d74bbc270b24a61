package stays

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Reservation statuses.
const (
	ReservationTentative  = "tentative"   // held but not guaranteed
	ReservationConfirmed  = "confirmed"   // guaranteed, not arrived yet
	ReservationInHouse    = "in_house"    // checked in
	ReservationCheckedOut = "checked_out" // stayed and left
	ReservationCancelled  = "cancelled"   // cancelled before arrival; its nights are back in stock
	ReservationNoShow     = "no_show"     // never arrived; its nights are back in stock
)

// transitions is the one table of legal status changes. Nothing else
// changes a reservation's status; see transition.
var transitions = map[string][]string{
	ReservationTentative: {ReservationConfirmed, ReservationCancelled},
	ReservationConfirmed: {ReservationInHouse, ReservationCancelled, ReservationNoShow},
	ReservationInHouse:   {ReservationCheckedOut},
}

// ReservationStatuses lists every status in lifecycle order.
var ReservationStatuses = []string{ReservationTentative, ReservationConfirmed, ReservationInHouse, ReservationCheckedOut, ReservationCancelled, ReservationNoShow}

// CanTransition reports whether a reservation may go from status from to status to.
func CanTransition(from, to string) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// transition moves c.r to status to, or returns ECONFLICT naming the
// stay and both statuses in words.
func (c *resCtx) transition(tx *tenant.Tx, to string) error {
	if !CanTransition(c.r.Status, to) {
		return aura.Errorf(aura.ECONFLICT, "%s is %s; it cannot %s.", c.named(tx), statusWords(c.r.Status), becomeWords[to])
	}
	c.r.Status = to
	return nil
}

// becomeWords says what reaching a status is, for refusals.
var becomeWords = map[string]string{
	ReservationTentative: "be held tentatively", ReservationConfirmed: "be confirmed", ReservationInHouse: "be checked in",
	ReservationCheckedOut: "be checked out", ReservationCancelled: "be cancelled", ReservationNoShow: "be marked a no-show",
}

// statusWords names a status for people ("in house", "no-show").
func statusWords(s string) string {
	switch s {
	case ReservationInHouse:
		return "in house"
	case ReservationCheckedOut:
		return "checked out"
	case ReservationNoShow:
		return "a no-show"
	}
	return s
}

// init names stays in the messages of the room store (see NameStay).
func init() {
	inventory.NameStay = func(tx *tenant.Tx, db *tenant.DB, id string) string { return New(db).stayName(tx, id) }
}

// stayName names reservation id for people (see named); "another stay"
// when it cannot be read.
func (db Store) stayName(tx *tenant.Tx, id string) string {
	c, err := db.LoadResCtx(tx, id, 0)
	if err != nil {
		return "another stay"
	}
	return c.named(tx)
}

// named names c.r for people: "Anna Muster's stay (14 Mar – Mon 16 Mar
// 2026)". Only that guest's name is unsealed, and only for a message.
func (c *resCtx) named(tx *tenant.Tx) string {
	name := ""
	if c.db != nil {
		if names, err := New(c.db).GuestNamesTx(tx, []string{c.r.GuestID}); err == nil {
			name = names[c.r.GuestID]
		}
	}
	if name == "" {
		return "The stay " + c.prop.Stay(c.r.Arrival, c.r.Departure)
	}
	return name + "’s stay (" + c.prop.Stay(c.r.Arrival, c.r.Departure) + ")"
}

// holdsStock reports whether a reservation in status s keeps its nights out of stock.
func holdsStock(s string) bool {
	return s != ReservationCancelled && s != ReservationNoShow
}

func validStatus(s string) bool {
	for _, v := range ReservationStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Reservation is one room for one stay within a booking. Its stay is the
// nights [Arrival, Departure) in the property's calendar; Nights holds each
// night's price, frozen when booked, and the room assigned that night.
type Reservation struct {
	ID              string        `json:"id"`
	BookingID       string        `json:"booking_id"`
	PropertyID      string        `json:"property_id"`
	RoomTypeID      string        `json:"room_type_id"`
	RoomID          string        `json:"room_id,omitempty"`
	RatePlanID      string        `json:"rate_plan_id"`
	GuestID         string        `json:"guest_id"`
	Source          string        `json:"source"` // the booking's source: direct or a channel
	Arrival         date.Date     `json:"arrival"`
	Departure       date.Date     `json:"departure"`
	Adults          int           `json:"adults"`
	Children        int           `json:"children"`
	Status          string        `json:"status"`
	Overbooked      bool          `json:"overbooked"`
	Nights          []Night       `json:"nights"`
	Total           tenant.Money  `json:"total"`
	CancellationFee *tenant.Money `json:"cancellation_fee,omitempty"`
	NoShowFee       *tenant.Money `json:"no_show_fee,omitempty"`
	CheckedInAt     *time.Time    `json:"checked_in_at,omitempty"`
	CheckedOutAt    *time.Time    `json:"checked_out_at,omitempty"`
	CancelledAt     *time.Time    `json:"cancelled_at,omitempty"`
	Version         int           `json:"version"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
}

// Night is one night of a stay.
type Night struct {
	Date   date.Date    `json:"date"`
	Price  tenant.Money `json:"price"`
	RoomID string       `json:"room_id,omitempty"`
	// Released marks a night kept for its price but back in stock: the
	// night of a guest who checked out on the arrival day (a day use).
	Released bool `json:"released,omitempty"`
}

// roomEveryNight reports whether every night of r has a room: such a stay
// is not overbooked, whatever the count of its room type says (the room
// is there for it; a shortage left falls on stays still without a room).
func (r Reservation) roomEveryNight() bool {
	for _, n := range r.Nights {
		if n.RoomID == "" {
			return false
		}
	}
	return len(r.Nights) > 0
}

// resolveOverbooking clears the overbooked flag of a stay that now has a
// room every night, and says so in its audit row's extra.
func (c *resCtx) resolveOverbooking(extra map[string]any) map[string]any {
	if !c.r.Overbooked || !c.r.roomEveryNight() {
		return extra
	}
	c.r.Overbooked = false
	if extra == nil {
		extra = map[string]any{}
	}
	extra["overbooking_resolved"] = true
	return extra
}

func (r Reservation) prices() []int64 {
	p := make([]int64, len(r.Nights))
	for i, n := range r.Nights {
		p[i] = n.Price.Amount
	}
	return p
}

func (r *Reservation) sumTotal() {
	var t int64
	for _, n := range r.Nights {
		t += n.Price.Amount
	}
	r.Total.Amount = t
}

const reservationSelect = `SELECT r.id, r.booking_id, r.property_id, r.room_type_id, r.room_id, r.rate_plan_id, r.guest_id, r.source,
	r.arrival, r.departure, r.adults, r.children, r.status, r.overbooked, r.total, r.cancellation_fee, r.no_show_fee,
	r.checked_in_at, r.checked_out_at, r.cancelled_at, r.version, r.created_at, r.updated_at, p.currency
	FROM reservations r JOIN properties p ON p.id = r.property_id`

func scanReservation(s interface{ Scan(...any) error }) (Reservation, error) {
	var r Reservation
	var room sql.NullString
	var cfee, nfee sql.NullInt64
	var in, out, canc sql.NullString
	var created, updated string
	if err := s.Scan(&r.ID, &r.BookingID, &r.PropertyID, &r.RoomTypeID, &room, &r.RatePlanID, &r.GuestID, &r.Source,
		&r.Arrival, &r.Departure, &r.Adults, &r.Children, &r.Status, &r.Overbooked, &r.Total.Amount, &cfee, &nfee,
		&in, &out, &canc, &r.Version, &created, &updated, &r.Total.Currency); err != nil {
		return r, err
	}
	r.RoomID = room.String
	if cfee.Valid {
		r.CancellationFee = &tenant.Money{Amount: cfee.Int64, Currency: r.Total.Currency}
	}
	if nfee.Valid {
		r.NoShowFee = &tenant.Money{Amount: nfee.Int64, Currency: r.Total.Currency}
	}
	r.CheckedInAt, r.CheckedOutAt, r.CancelledAt = tenant.ParseNullTime(in), tenant.ParseNullTime(out), tenant.ParseNullTime(canc)
	r.CreatedAt, r.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return r, nil
}

func getReservation(tx *tenant.Tx, id string) (Reservation, error) {
	r, err := newResScanner().scan(tx.QueryRow(reservationNightsSelect+` WHERE r.id = ?`, id))
	if err == sql.ErrNoRows {
		return r, tenant.NotFound("reservation", id)
	}
	return r, err
}

// reservationNightsSelect reads a reservation and its nights in two text
// columns of one row. The first is every field of the reservation (its
// booking's source among them) and its property's currency, separated by unit
// separators (0x1f) in the order of reservationFields, a NULL as the empty
// text; the second is the nights, each its date, price, holds flag and room
// id separated by unit separators, nights separated by record separators
// (0x1e). Dates, integers, timestamps, statuses, currencies and our ids never
// hold either byte; the source, which comes from outside, is the last field
// and keeps whatever follows. Two text values per reservation replace 25
// (the driver locks and unlocks the connection for each value it reads, and
// copies each into a string of its own: a list of 50 spent a third of its
// time there) and a second query for the nights.
const reservationNightsSelect = `SELECT concat_ws(char(31), r.id, r.booking_id, r.property_id, r.room_type_id, coalesce(r.room_id, ''),
	r.rate_plan_id, r.guest_id, r.arrival, r.departure, r.adults, r.children, r.status, r.overbooked, r.total,
	coalesce(r.cancellation_fee, ''), coalesce(r.no_show_fee, ''), coalesce(r.checked_in_at, ''), coalesce(r.checked_out_at, ''),
	coalesce(r.cancelled_at, ''), r.version, r.created_at, r.updated_at, p.currency, r.source),
	(SELECT group_concat(n.date || char(31) || n.price || char(31) || n.holds || char(31) || coalesce(n.room_id, ''), char(30))
		FROM reservation_nights n WHERE n.reservation_id = r.id)
	FROM reservations r JOIN properties p ON p.id = r.property_id`

// reservationFields is the number of fields of the first column of
// reservationNightsSelect.
const reservationFields = 24

// resScanner holds what scanning rows of reservationNightsSelect needs,
// made once per query rather than once per row.
type resScanner struct {
	row    string
	nights sql.NullString
	dest   [2]any
}

func newResScanner() *resScanner {
	s := &resScanner{}
	s.dest = [2]any{&s.row, &s.nights}
	return s
}

// scan scans a row of reservationNightsSelect.
func (sc *resScanner) scan(s interface{ Scan(...any) error }) (Reservation, error) {
	var r Reservation
	if err := s.Scan(sc.dest[:]...); err != nil {
		return r, err
	}
	row, nights := sc.row, sc.nights
	var f [reservationFields]string
	rest := row
	for i := range reservationFields - 1 {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, "\x1f"); !ok {
			return r, fmt.Errorf("stays: a reservation reads %q", row)
		}
	}
	f[reservationFields-1] = rest
	var bad error
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("stays: a reservation reads %q", row)
		}
		return n
	}
	fee := func(s string) *tenant.Money {
		if s == "" {
			return nil
		}
		return &tenant.Money{Amount: num(s), Currency: f[22]}
	}
	at := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		t := tenant.ParseTime(s)
		return &t
	}
	r.ID, r.BookingID, r.PropertyID, r.RoomTypeID, r.RoomID, r.RatePlanID, r.GuestID = f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	var err error
	if r.Arrival, err = date.ParseStored(f[7]); err != nil {
		return r, err
	}
	if r.Departure, err = date.ParseStored(f[8]); err != nil {
		return r, err
	}
	r.Adults, r.Children = int(num(f[9])), int(num(f[10]))
	r.Status, r.Overbooked = f[11], num(f[12]) != 0
	r.Total = tenant.Money{Amount: num(f[13]), Currency: f[22]}
	r.CancellationFee, r.NoShowFee = fee(f[14]), fee(f[15])
	r.CheckedInAt, r.CheckedOutAt, r.CancelledAt = at(f[16]), at(f[17]), at(f[18])
	r.Version = int(num(f[19]))
	r.CreatedAt, r.UpdatedAt = tenant.ParseTime(f[20]), tenant.ParseTime(f[21])
	r.Source = f[23]
	if bad != nil {
		return r, bad
	}
	r.Nights, err = parseNights(nights.String, r.Total.Currency, holdsStock(r.Status))
	return r, err
}

// parseNights reads the nights column of reservationNightsSelect, in date
// order. A night that does not hold stock while the stay does is one
// released (a day use).
func parseNights(s, currency string, stayHolds bool) ([]Night, error) {
	if s == "" {
		return []Night{}, nil
	}
	ns := make([]Night, 0, strings.Count(s, "\x1e")+1)
	sorted := true
	for rest := s; rest != ""; {
		var item string
		item, rest, _ = strings.Cut(rest, "\x1e")
		day, item, ok1 := strings.Cut(item, "\x1f")
		amount, item, ok2 := strings.Cut(item, "\x1f")
		holds, room, ok3 := strings.Cut(item, "\x1f")
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("stays: a night of a reservation reads %q", s)
		}
		var n Night
		var err error
		if n.Date, err = date.ParseStored(day); err != nil {
			return nil, err
		}
		price, err := strconv.ParseInt(amount, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("stays: a night's price reads %q", amount)
		}
		n.Price = tenant.Money{Amount: price, Currency: currency}
		n.Released = holds != "1" && stayHolds
		n.RoomID = room
		if len(ns) > 0 && !ns[len(ns)-1].Date.Before(n.Date) {
			sorted = false
		}
		ns = append(ns, n)
	}
	if !sorted {
		slices.SortFunc(ns, func(a, b Night) int { return a.Date.Compare(b.Date) })
	}
	return ns, nil
}

// writeReservation inserts or replaces a reservation row and all its nights.
func writeReservation(tx *tenant.Tx, r *Reservation, insert bool) error {
	r.sumTotal()
	var room any
	if r.RoomID != "" {
		room = r.RoomID
	}
	var cfee, nfee any
	if r.CancellationFee != nil {
		cfee = r.CancellationFee.Amount
	}
	if r.NoShowFee != nil {
		nfee = r.NoShowFee.Amount
	}
	ts := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return tenant.FormatTime(*t)
	}
	if insert {
		if _, err := tx.Exec(`INSERT INTO reservations (id, booking_id, property_id, room_type_id, room_id, rate_plan_id, guest_id, source, arrival, departure,
			adults, children, status, overbooked, total, cancellation_fee, no_show_fee, checked_in_at, checked_out_at, cancelled_at, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.BookingID, r.PropertyID, r.RoomTypeID, room, r.RatePlanID, r.GuestID, r.Source, r.Arrival, r.Departure, r.Adults, r.Children,
			r.Status, r.Overbooked, r.Total.Amount, cfee, nfee, ts(r.CheckedInAt), ts(r.CheckedOutAt), ts(r.CancelledAt), r.Version,
			tenant.FormatTime(r.CreatedAt), tenant.FormatTime(r.UpdatedAt)); err != nil {
			return err
		}
	} else {
		if _, err := tx.Exec(`UPDATE reservations SET room_type_id = ?, room_id = ?, rate_plan_id = ?, guest_id = ?, arrival = ?, departure = ?,
			adults = ?, children = ?, status = ?, overbooked = ?, total = ?, cancellation_fee = ?, no_show_fee = ?, checked_in_at = ?,
			checked_out_at = ?, cancelled_at = ?, version = ?, updated_at = ? WHERE id = ?`,
			r.RoomTypeID, room, r.RatePlanID, r.GuestID, r.Arrival, r.Departure, r.Adults, r.Children, r.Status, r.Overbooked, r.Total.Amount,
			cfee, nfee, ts(r.CheckedInAt), ts(r.CheckedOutAt), ts(r.CancelledAt), r.Version, tenant.FormatTime(r.UpdatedAt), r.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM reservation_nights WHERE reservation_id = ?`, r.ID); err != nil {
			return err
		}
	}
	if len(r.Nights) == 0 {
		return nil
	}
	holds := holdsStock(r.Status)
	args := make([]any, 0, 6*len(r.Nights))
	for _, n := range r.Nights {
		var nroom any
		if n.RoomID != "" {
			nroom = n.RoomID
		}
		args = append(args, r.ID, n.Date, r.RoomTypeID, nroom, n.Price.Amount, holds && !n.Released)
	}
	_, err := tx.Exec(`INSERT INTO reservation_nights (reservation_id, date, room_type_id, room_id, price, holds) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(r.Nights)), ", "), args...)
	return err
}

// GetReservation returns one reservation with its nights, or ENOTFOUND.
func (db Store) GetReservation(ctx context.Context, id string) (Reservation, error) {
	var r Reservation
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		r, err = getReservation(tx, id)
		return err
	})
	return r, err
}

// ReservationFilter selects reservations of a property. Zero fields do not
// filter. Date ranges are half-open: ArrivalFrom <= arrival < ArrivalTo.
type ReservationFilter struct {
	PropertyID    string    `json:"property_id"`
	Statuses      []string  `json:"status"`
	ArrivalFrom   date.Date `json:"arrival_from"`
	ArrivalTo     date.Date `json:"arrival_to"`
	DepartureFrom date.Date `json:"departure_from"`
	DepartureTo   date.Date `json:"departure_to"`
	StayingOn     date.Date `json:"staying_on"` // the reservation includes the night of this date
	GuestID       string    `json:"guest_id"`
	GuestIDs      []string  `json:"guest_ids"` // any of these guests (a guest search's results); at most 200
	BookingID     string    `json:"booking_id"`
	Overbooked    bool      `json:"overbooked"` // only reservations flagged overbooked
	Limit         int       `json:"limit"`      // default 50, at most 200
	Cursor        string    `json:"cursor"`     // from a previous page's NextCursor
}

// ReservationPage is one page of ListReservations, ordered by arrival then id.
type ReservationPage struct {
	Reservations []Reservation `json:"reservations"`
	NextCursor   string        `json:"next_cursor,omitempty"`
}

// ListReservations returns the reservations matching f, a page at a time.
// Arrivals of a day are ArrivalFrom=day, ArrivalTo=day+1; departures the
// same with Departure*; the in-house list is Statuses=[in_house]. It
// returns EINVALID for a bad filter or cursor.
func (db Store) ListReservations(ctx context.Context, f ReservationFilter) (ReservationPage, error) {
	var fe tenant.FieldErrors
	if f.PropertyID == "" {
		fe.Add("property_id", "is required")
	}
	for _, s := range f.Statuses {
		if !validStatus(s) {
			fe.Add("status", "%q is not a reservation status", s)
		}
	}
	if len(f.GuestIDs) > 200 {
		fe.Add("guest_ids", "at most 200 guests")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	var curArrival date.Date
	var curID string
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		a, id, ok := strings.Cut(string(b), "|")
		if err == nil && ok {
			curArrival, err = date.Parse(a)
			curID = id
		}
		if err != nil || !ok {
			fe.Add("cursor", "is not a cursor this list returned")
		}
	}
	if err := fe.Err("The reservation filter is not valid."); err != nil {
		return ReservationPage{}, err
	}
	where := []string{"r.property_id = ?"}
	args := []any{f.PropertyID}
	cond := func(c string, a ...any) { where = append(where, c); args = append(args, a...) }
	if len(f.Statuses) > 0 {
		a := make([]any, len(f.Statuses))
		for i, s := range f.Statuses {
			a[i] = s
		}
		cond("r.status IN ("+tenant.Placeholders(len(a))+")", a...)
	}
	if !f.ArrivalFrom.IsZero() {
		cond("r.arrival >= ?", f.ArrivalFrom)
	}
	if !f.ArrivalTo.IsZero() {
		cond("r.arrival < ?", f.ArrivalTo)
	}
	if !f.DepartureFrom.IsZero() {
		cond("r.departure >= ?", f.DepartureFrom)
	}
	if !f.DepartureTo.IsZero() {
		cond("r.departure < ?", f.DepartureTo)
	}
	if !f.StayingOn.IsZero() {
		cond("r.arrival <= ? AND r.departure > ?", f.StayingOn, f.StayingOn)
	}
	if f.GuestID != "" {
		cond("r.guest_id = ?", f.GuestID)
	}
	if len(f.GuestIDs) > 0 {
		a := make([]any, len(f.GuestIDs))
		for i, g := range f.GuestIDs {
			a[i] = g
		}
		cond("r.guest_id IN ("+tenant.Placeholders(len(a))+")", a...)
	}
	if f.BookingID != "" {
		cond("r.booking_id = ?", f.BookingID)
	}
	if f.Overbooked {
		cond("r.overbooked = 1")
	}
	if curID != "" {
		// A row value, so that SQLite seeks reservations_arrival
		// (property_id, arrival, id) to the cursor rather than scanning
		// the rest of its first day.
		cond("(r.arrival, r.id) > (?, ?)", curArrival, curID)
	}
	var page ReservationPage
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		page.Reservations, err = QueryReservations(tx, ` WHERE `+strings.Join(where, " AND ")+` ORDER BY r.arrival, r.id LIMIT ?`, append(args, f.Limit+1)...)
		return err
	})
	if err != nil {
		return page, err
	}
	if len(page.Reservations) > f.Limit {
		page.Reservations = page.Reservations[:f.Limit]
		last := page.Reservations[f.Limit-1]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last.Arrival.String() + "|" + last.ID))
	}
	if page.Reservations == nil {
		page.Reservations = []Reservation{}
	}
	return page, nil
}

func QueryReservations(tx *tenant.Tx, tail string, args ...any) ([]Reservation, error) {
	rows, err := tx.Query(reservationNightsSelect+tail, args...)
	if err != nil {
		return nil, err
	}
	var out []Reservation
	sc := newResScanner()
	for rows.Next() {
		r, err := sc.scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	return out, rows.Err()
}

// GuestReservations returns every reservation of a guest, as the staying
// guest, as a companion checked in on it, or as the booker of its booking,
// newest arrival first: the reservations of the guest page. It returns
// ENOTFOUND for an unknown guest.
func (db Store) GuestReservations(ctx context.Context, guestID string) ([]Reservation, error) {
	var out []Reservation
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var seq int64
		if err := tx.QueryRow(`SELECT seq FROM guests WHERE id = ?`, guestID).Scan(&seq); err == sql.ErrNoRows {
			return tenant.NotFound("guest", guestID)
		} else if err != nil {
			return err
		}
		var err error
		out, err = QueryReservations(tx, ` WHERE r.guest_id = ? OR r.booking_id IN (SELECT id FROM bookings WHERE booker_id = ?)
			OR r.id IN (SELECT reservation_id FROM checkin_records WHERE guest_id = ?)
			ORDER BY r.arrival DESC, r.id`, guestID, guestID, guestID)
		return err
	})
	if out == nil {
		out = []Reservation{}
	}
	return out, err
}

// resCtx is what an operation on one reservation loads first.
type resCtx struct {
	db    *tenant.DB
	r     Reservation
	prop  inventory.Property
	today date.Date
}

func (db Store) LoadResCtx(tx *tenant.Tx, id string, version int) (resCtx, error) {
	c := resCtx{db: db.DB}
	var err error
	if c.r, err = getReservation(tx, id); err != nil {
		return c, err
	}
	if err = tenant.CheckVersion("reservation", id, c.r.Version, version); err != nil {
		return c, err
	}
	if c.prop, err = inventory.GetProperty(tx, c.r.PropertyID); err != nil {
		return c, err
	}
	c.today, err = c.prop.Today(tx)
	return c, err
}

// save writes the changed reservation with a new version and its audit row.
func (c *resCtx) save(tx *tenant.Tx, action string, before Reservation, extra map[string]any) error {
	c.r.Version++
	c.r.UpdatedAt = tx.Now
	if err := writeReservation(tx, &c.r, false); err != nil {
		return err
	}
	var after any = c.r
	if extra != nil {
		extra["reservation"] = c.r
		after = extra
	}
	return tx.Audit(audit.Entry{Action: action, EntityType: "reservation", EntityID: c.r.ID, Before: before, After: after})
}

// Confirm turns a tentative reservation into a confirmed one. It returns
// ENOTFOUND, EPRECONDITION, or ECONFLICT when the reservation is not tentative.
func (db Store) Confirm(ctx context.Context, id string, version int) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, version); err != nil {
			return err
		}
		before := c.r
		if err := c.transition(tx, ReservationConfirmed); err != nil {
			return err
		}
		return c.save(tx, "reservation.confirmed", before, nil)
	})
	return c.r, err
}

// CheckInInput checks a guest in; RoomID assigns (or moves to) that room
// first, and is required when no room is assigned yet. Guests are the
// check-in records taken at the desk (ID documents and photos of the
// reservation's guest and companions), written in the same transaction;
// more can be added later with RecordCheckIn.
type CheckInInput struct {
	RoomID string         `json:"room_id,omitempty"`
	Guests []GuestCheckIn `json:"guests,omitempty"`
	// CheckOutOccupant is the reservation of a party still in house in
	// the room (departing today or overdue) whom the operator confirms
	// has left: it is checked out in the same transaction, before this
	// check-in takes the room. Without it such a room refuses the check-in.
	CheckOutOccupant string `json:"check_out_occupant,omitempty"`
	Version          int    `json:"version,omitempty"`
}

// CheckIn moves a confirmed reservation to in-house and stores the
// check-in records of its guests in the same transaction. It is allowed
// from the arrival date (in the property's zone) until the night before
// departure. It returns ENOTFOUND, EPRECONDITION, EINVALID when no room is
// assigned or given or a guest's record is not valid (fields
// guests[i].…; photos empty, too large or not JPEG, PNG or HEIC), or
// ECONFLICT for a reservation that is not confirmed, a check-in before
// arrival or after the stay, a room that is taken or blocked, or an erased
// guest.
func (db Store) CheckIn(ctx context.Context, id string, in CheckInInput) (Reservation, error) {
	guests, err := validateCheckIns(in.Guests)
	if err != nil {
		return Reservation{}, err
	}
	var c resCtx
	err = db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		before := c.r
		if err := c.transition(tx, ReservationInHouse); err != nil {
			return err
		}
		if c.today.Before(c.r.Arrival) {
			return aura.Errorf(aura.ECONFLICT, "%s arrives on %s; check-in opens that day (the business date is %s).", c.named(tx), c.prop.Day(c.r.Arrival), c.prop.Day(c.today))
		}
		if !c.today.Before(c.r.Departure) {
			return aura.Errorf(aura.ECONFLICT, "%s ended on %s; it can no longer be checked in.", c.named(tx), c.prop.Day(c.r.Departure))
		}
		room := in.RoomID
		if room == "" {
			room = c.r.RoomID
		}
		if in.CheckOutOccupant != "" {
			if err := db.checkOutOccupant(tx, c, room, in.CheckOutOccupant); err != nil {
				return err
			}
		}
		if room != c.r.RoomID {
			if err := assignRoom(tx, &c, room); err != nil {
				return err
			}
		} else if room != "" {
			// Assigned earlier: the nights are this stay's, but the
			// party before may still be in the room.
			rm, err := inventory.GetRoom(tx, room)
			if err != nil {
				return err
			}
			if err := c.roomAvailable(tx, rm, c.assignFrom(), c.r.Departure); err != nil {
				return err
			}
		}
		if c.r.RoomID == "" {
			return aura.Invalid("Choose a room before checking in.", aura.FieldError{Field: "room_id", Message: "is required: no room is assigned"})
		}
		ix := db.newGuestIndexer()
		for i, g := range guests {
			if _, err := db.writeCheckIn(tx, &c, ix, g, "guests["+tenant.Itoa(i)+"]."); err != nil {
				return err
			}
		}
		now := tx.Now
		c.r.CheckedInAt = &now
		return c.save(tx, "reservation.checked_in", before, c.resolveOverbooking(nil))
	})
	return c.r, err
}

// CheckOutResult is a check-out and what the front desk must know about it.
type CheckOutResult struct {
	Reservation Reservation `json:"reservation"`
	// Balance is the open balance of the stay's folios before the
	// check-out (see CheckOutInput: a check-out with an open balance is
	// refused unless it is left on the city ledger).
	Balance tenant.Money `json:"balance"`
	// Unsettled is set when Balance was not zero and was left on the city
	// ledger (CityLedger) as a receivable.
	Unsettled bool `json:"unsettled"`
	// CityLedger is the amount left on the city ledger (zero when none).
	CityLedger tenant.Money `json:"city_ledger"`
	// EarlyDeparture is set when the stay was shortened to end today.
	EarlyDeparture bool `json:"early_departure"`
	// DirtyRoomID is the room marked dirty for housekeeping ("" when the
	// reservation had none).
	DirtyRoomID string `json:"dirty_room_id,omitempty"`
}

// ReservationBalance is the open balance of a stay's folios (check-out
// refuses while it is not zero, the front-desk lists show it), asked of
// the registered Poster; zero without one.
func ReservationBalance(tx *tenant.Tx, db *tenant.DB, p inventory.Property, r Reservation) (tenant.Money, error) {
	ps := currentPoster()
	if ps == nil {
		return p.Money(0), nil
	}
	b, err := ps.Balance(tx, db, p, r.ID)
	return p.Money(b), err
}

// CheckOutInput is a check-out: the reservation's version (If-Match) and,
// when the folio has an open balance the guest does not pay now,
// CityLedger with a Reason to leave it as a receivable on the city ledger.
type CheckOutInput struct {
	Version    int    `json:"version,omitempty"`
	CityLedger bool   `json:"city_ledger,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// CheckOut moves an in-house reservation to checked-out and marks the room
// of its last night dirty. Leaving before the departure date is an early
// departure: the stay is shortened to end today (at least one night) and
// the later nights go back to stock; leaving on the arrival day is a day
// use: the one night is kept (its price) but released to stock, and the
// front desk lists the guest among that day's departures. The result warns when the folio is
// not settled. It returns ENOTFOUND, EPRECONDITION, or ECONFLICT when the
// reservation is not in house or its folios have an open balance (see
// CheckOutWith).
func (db Store) CheckOut(ctx context.Context, id string, version int) (CheckOutResult, error) {
	return db.CheckOutWith(ctx, id, CheckOutInput{Version: version})
}

// CheckOutWith is CheckOut with the choice of leaving an open balance on
// the city ledger: while the stay's folios have a balance other than zero
// the check-out is refused (ECONFLICT naming the amount, field
// city_ledger), unless in.CityLedger is set with a reason, which settles
// what the guest owes with a "city_ledger" payment (a receivable, audited
// with the reason) in the check-out's transaction. A credit (the property
// owes the guest) must be refunded first. Errors: those of CheckOut,
// EINVALID for a missing reason.
func (db Store) CheckOutWith(ctx context.Context, id string, in CheckOutInput) (CheckOutResult, error) {
	var c resCtx
	var res CheckOutResult
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		res, err = checkOut(tx, &c, nil, in)
		return err
	})
	res.Reservation = c.r
	return res, err
}

// checkOut checks c.r out (see CheckOut); extra adds to its audit row.
func checkOut(tx *tenant.Tx, c *resCtx, extra map[string]any, in CheckOutInput) (CheckOutResult, error) {
	before := c.r
	if err := c.transition(tx, ReservationCheckedOut); err != nil {
		return CheckOutResult{}, err
	}
	if extra == nil {
		extra = map[string]any{}
	}
	if c.today.Before(c.r.Departure) {
		dep := c.today
		if !dep.After(c.r.Arrival) {
			// Leaving on the arrival day: a day use. The stay keeps its
			// one night (and price) but the night goes back to stock, and
			// the guest is among today's departures.
			dep = c.r.Arrival.AddDays(1)
			c.r.Nights[0].Released = true
			extra["day_use"] = true
		}
		if dep != c.r.Departure {
			extra["early_departure"] = map[string]any{"booked_departure": c.r.Departure, "departure": dep}
			c.r.Departure = dep
			c.r.Nights = c.r.Nights[:dep.Sub(c.r.Arrival)]
		}
	}
	now := tx.Now
	c.r.CheckedOutAt = &now
	// The room left is the one of the last night (a room moved from
	// earlier was marked dirty when the guest moved out of it).
	roomID := c.r.RoomID
	if n := len(c.r.Nights); n > 0 && c.r.Nights[n-1].RoomID != "" {
		roomID = c.r.Nights[n-1].RoomID
	}
	if err := markDirty(tx, roomID); err != nil {
		return CheckOutResult{}, err
	}
	balance, err := ReservationBalance(tx, c.db, c.prop, c.r)
	if err != nil {
		return CheckOutResult{}, err
	}
	res := CheckOutResult{Balance: balance, CityLedger: c.prop.Money(0), EarlyDeparture: extra["early_departure"] != nil, DirtyRoomID: roomID}
	extra["balance"] = balance
	switch {
	case balance.Amount < 0:
		return CheckOutResult{}, &aura.Error{Code: aura.ECONFLICT, Message: fmt.Sprintf("%s has a credit of %s on the folio: refund it before the check-out.",
			c.named(tx), c.prop.Amount(-balance.Amount)), Fields: []aura.FieldError{{Field: "balance", Message: "refund the credit first"}}}
	case balance.Amount > 0 && !in.CityLedger:
		return CheckOutResult{}, &aura.Error{Code: aura.ECONFLICT, Message: fmt.Sprintf("%s has an open balance of %s: take the payment, or leave it on the city ledger with a reason.",
			c.named(tx), c.prop.Amount(balance.Amount)), Fields: []aura.FieldError{{Field: "city_ledger", Message: "the folio has an open balance"}}}
	case balance.Amount > 0:
		if reason := strings.TrimSpace(in.Reason); reason == "" || len(reason) > 500 {
			return CheckOutResult{}, aura.Invalid("Say why the balance is left on the city ledger.",
				aura.FieldError{Field: "reason", Message: "is required (at most 500 characters)"})
		}
		if err := currentPoster().LeaveOnCityLedger(tx, c.db, c.prop, c.r.ID, strings.TrimSpace(in.Reason), c.today); err != nil {
			return CheckOutResult{}, err
		}
		res.Unsettled, res.CityLedger = true, balance
		extra["city_ledger"] = map[string]any{"amount": balance, "reason": strings.TrimSpace(in.Reason)}
	}
	if err := c.save(tx, "reservation.checked_out", before, extra); err != nil {
		return CheckOutResult{}, err
	}
	res.Reservation = c.r
	return res, nil
}

// checkOutOccupant checks out, inside c's check-in, the party in house in
// roomID that the operator confirmed has left. It returns EINVALID (field
// check_out_occupant) when that reservation is not in house in that room.
func (db Store) checkOutOccupant(tx *tenant.Tx, c resCtx, roomID, occupantID string) error {
	bad := aura.Invalid("The guest to check out is not the one in the room.",
		aura.FieldError{Field: "check_out_occupant", Message: "is not in house in the room chosen"})
	if occupantID == c.r.ID || roomID == "" {
		return bad
	}
	oc, err := db.LoadResCtx(tx, occupantID, 0)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return bad
	} else if err != nil {
		return err
	}
	if oc.r.Status != ReservationInHouse || oc.r.RoomID != roomID || oc.r.PropertyID != c.r.PropertyID {
		return bad
	}
	_, err = checkOut(tx, &oc, map[string]any{"confirmed_at_check_in_of": c.r.ID}, CheckOutInput{})
	return err
}

// markDirty marks a room dirty (audited) unless it is already; "" does nothing.
func markDirty(tx *tenant.Tx, roomID string) error {
	if roomID == "" {
		return nil
	}
	room, err := inventory.GetRoom(tx, roomID)
	if err != nil {
		return err
	}
	if room.Housekeeping == inventory.HousekeepingDirty {
		return nil
	}
	_, err = inventory.SetHousekeeping(tx, room, inventory.HousekeepingDirty)
	return err
}

// CancelInput cancels a reservation. WaiveFee records the policy's fee as
// waived (zero) instead of charging it.
type CancelInput struct {
	WaiveFee bool `json:"waive_fee,omitempty"`
	Version  int  `json:"version,omitempty"`
}

// Cancel cancels a tentative or confirmed reservation, returns its nights to
// stock and stores the cancellation fee its rate plan's policy gives for
// today's date at the property (zero for a tentative reservation or a
// waived fee); the fee is in the returned reservation's CancellationFee. It
// returns ENOTFOUND, EPRECONDITION, or ECONFLICT for any other status.
func (db Store) Cancel(ctx context.Context, id string, in CancelInput) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		return Cancel(tx, &c, in, nil)
	})
	return c.r, err
}

// Cancel cancels c.r (see Cancel); extra adds to its audit row.
func Cancel(tx *tenant.Tx, c *resCtx, in CancelInput, extra map[string]any) error {
	before := c.r
	if err := c.transition(tx, ReservationCancelled); err != nil {
		return err
	}
	rp, err := inventory.GetRatePlan(tx, c.r.RatePlanID)
	if err != nil {
		return err
	}
	var fee int64
	if before.Status != ReservationTentative {
		fee = rp.Cancellation.FeeFor(c.r.Arrival, c.today, c.r.prices())
	}
	charged := fee
	if in.WaiveFee {
		charged = 0
	}
	c.r.CancellationFee = &tenant.Money{Amount: charged, Currency: c.prop.Currency}
	now := tx.Now
	c.r.CancelledAt = &now
	c.r.RoomID = ""
	for i := range c.r.Nights {
		c.r.Nights[i].RoomID = ""
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["policy"], extra["policy_fee"], extra["fee_waived"], extra["cancelled_on"] = rp.Cancellation, fee, in.WaiveFee, c.today
	if err := c.save(tx, "reservation.cancelled", before, extra); err != nil {
		return err
	}
	return c.postFee(tx, "cancellation", charged)
}

// NoShowInput marks a no-show. WaiveFee records the policy's fee as waived.
type NoShowInput struct {
	WaiveFee bool `json:"waive_fee,omitempty"`
	Version  int  `json:"version,omitempty"`
}

// MarkNoShow marks a confirmed reservation whose arrival date has come as a
// no-show, returns its nights to stock and stores the no-show fee of its
// rate plan's policy. It returns ENOTFOUND, EPRECONDITION, or ECONFLICT for
// another status or a reservation that has not reached its arrival date.
func (db Store) MarkNoShow(ctx context.Context, id string, in NoShowInput) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, in.Version); err != nil {
			return err
		}
		return MarkNoShow(tx, &c, in, nil)
	})
	return c.r, err
}

// MarkNoShow marks c.r a no-show (see MarkNoShow); extra adds to its audit row.
func MarkNoShow(tx *tenant.Tx, c *resCtx, in NoShowInput, extra map[string]any) error {
	before := c.r
	if err := c.transition(tx, ReservationNoShow); err != nil {
		return err
	}
	if c.today.Before(c.r.Arrival) {
		return aura.Errorf(aura.ECONFLICT, "%s arrives on %s; it cannot be a no-show before then.", c.named(tx), c.prop.Day(c.r.Arrival))
	}
	rp, err := inventory.GetRatePlan(tx, c.r.RatePlanID)
	if err != nil {
		return err
	}
	fee := rp.NoShow.Fee.Compute(c.r.prices())
	charged := fee
	if in.WaiveFee {
		charged = 0
	}
	c.r.NoShowFee = &tenant.Money{Amount: charged, Currency: c.prop.Currency}
	c.r.RoomID = ""
	for i := range c.r.Nights {
		c.r.Nights[i].RoomID = ""
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["policy"], extra["policy_fee"], extra["fee_waived"] = rp.NoShow, fee, in.WaiveFee
	if err := c.save(tx, "reservation.no_show", before, extra); err != nil {
		return err
	}
	return c.postFee(tx, "no_show", charged)
}

// AssignRoom assigns a room to a reservation, or moves it to another room.
// For an in-house guest it is a room move ("reservation.room_moved"): it
// applies from tonight (the property's today), earlier nights keep the
// room they were spent in, the new room must be free and not blocked for
// every remaining night (checked in this write transaction), and the room
// left is marked dirty; a party still in house in the new room (departing
// today or overdue) refuses the move until checked out. An overbooked
// stay that now has a room every night is no longer overbooked (the audit
// row says "overbooking_resolved"). The room must be of the reservation's
// room type (change the stay's room type first for an upgrade). It returns
// ENOTFOUND, EPRECONDITION, EINVALID for a room of another type or
// property, and ECONFLICT for a reservation that is not tentative,
// confirmed or in house, an in-house guest departing today, or a room
// assigned to another reservation or blocked on one of the nights.
func (db Store) AssignRoom(ctx context.Context, id, roomID string, version int) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, version); err != nil {
			return err
		}
		before := c.r
		if roomID == c.r.RoomID {
			return nil
		}
		if c.r.Status != ReservationInHouse {
			if err := assignRoom(tx, &c, roomID); err != nil {
				return err
			}
			return c.save(tx, "reservation.room_assigned", before, c.resolveOverbooking(nil))
		}
		if !c.today.Before(c.r.Departure) {
			return aura.Errorf(aura.ECONFLICT, "%s ends today; there is no night left to spend in another room.", c.named(tx))
		}
		if err := assignRoom(tx, &c, roomID); err != nil {
			return err
		}
		if err := markDirty(tx, before.RoomID); err != nil {
			return err
		}
		from := c.today
		if from.Before(c.r.Arrival) {
			from = c.r.Arrival
		}
		return c.save(tx, "reservation.room_moved", before, c.resolveOverbooking(map[string]any{
			"move": map[string]any{"from_room_id": before.RoomID, "to_room_id": roomID, "from_night": from}}))
	})
	return c.r, err
}

// UnassignRoom removes the room of a tentative or confirmed reservation.
// It returns ENOTFOUND, EPRECONDITION, or ECONFLICT for another status.
func (db Store) UnassignRoom(ctx context.Context, id string, version int) (Reservation, error) {
	var c resCtx
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if c, err = db.LoadResCtx(tx, id, version); err != nil {
			return err
		}
		if c.r.Status != ReservationTentative && c.r.Status != ReservationConfirmed {
			return aura.Errorf(aura.ECONFLICT, "%s is %s; only a stay not yet arrived can lose its room.", c.named(tx), statusWords(c.r.Status))
		}
		if c.r.RoomID == "" {
			return nil
		}
		before := c.r
		c.r.RoomID = ""
		for i := range c.r.Nights {
			c.r.Nights[i].RoomID = ""
		}
		return c.save(tx, "reservation.room_unassigned", before, nil)
	})
	return c.r, err
}

// assignRoom sets roomID on c.r and on its nights (from tonight on for an
// in-house guest) after checking type, status, other reservations and blocks.
func assignRoom(tx *tenant.Tx, c *resCtx, roomID string) error {
	switch c.r.Status {
	case ReservationTentative, ReservationConfirmed, ReservationInHouse:
	default:
		return aura.Errorf(aura.ECONFLICT, "%s is %s; rooms are assigned only to tentative, confirmed or in-house stays.", c.named(tx), statusWords(c.r.Status))
	}
	room, err := inventory.GetRoom(tx, roomID)
	if err != nil || room.PropertyID != c.r.PropertyID {
		return aura.Invalid("The room cannot be assigned.", aura.FieldError{Field: "room_id", Message: "no such room in this property"})
	}
	if room.RoomTypeID != c.r.RoomTypeID {
		return aura.Invalid("The room cannot be assigned.", aura.FieldError{Field: "room_id",
			Message: "room " + room.Number + " is of another room type; change the reservation's room type first"})
	}
	from := c.assignFrom()
	if err := c.roomAvailable(tx, room, from, c.r.Departure); err != nil {
		return err
	}
	c.r.RoomID = roomID
	for i := range c.r.Nights {
		if !c.r.Nights[i].Date.Before(from) {
			c.r.Nights[i].RoomID = roomID
		}
	}
	return nil
}
