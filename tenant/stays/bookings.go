package stays

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// SourceDirect is the source of a booking taken by the property itself (its
// website, phone, email, walk-in). Any other source names a channel.
const SourceDirect = "direct"

// Booking is one purchase by a booker: one or more reservations, its source
// (direct or a channel, with the channel's reservation code and
// commission) and internal notes.
type Booking struct {
	ID           string        `json:"id"`
	PropertyID   string        `json:"property_id"`
	BookerID     string        `json:"booker_id"`
	Source       string        `json:"source"`
	OTACode      string        `json:"ota_code,omitempty"`
	Commission   tenant.Money  `json:"commission"`
	Notes        string        `json:"notes"`
	Version      int           `json:"version"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	Reservations []Reservation `json:"reservations"`
	// Replayed is set when CreateBooking returned a booking created earlier
	// with the same idempotency key (nothing was written this time).
	Replayed bool `json:"-"`
}

// GuestRef names the guest of a booking or reservation: an existing guest
// by ID, or a new profile created in the same transaction.
type GuestRef struct {
	ID  string      `json:"id,omitempty"`
	New *GuestInput `json:"new,omitempty"`
}

// BookingInput creates a booking.
type BookingInput struct {
	PropertyID string `json:"property_id"`
	// Source is "direct" (the default) or a channel code such as
	// "booking.com" (lower-case letters, digits, '.', '-', '_').
	Source     string        `json:"source"`
	OTACode    string        `json:"ota_code,omitempty"`
	Commission *tenant.Money `json:"commission,omitempty"`
	Notes      string        `json:"notes,omitempty"`
	Booker     GuestRef      `json:"booker"`
	// Status is the initial status: confirmed (default) or tentative; an
	// import may give any status.
	Status       string             `json:"status,omitempty"`
	Reservations []ReservationInput `json:"reservations"`
	// Import records a booking taken elsewhere (a migration from another
	// system, or the demo): the arrival may lie in the past, the initial
	// status may be any status, and rate restrictions are not applied.
	// Availability is enforced as for any booking. It is never read from a
	// request body; the caller sets it deliberately.
	Import bool `json:"-"`

	// IdempotencyKey, when set, makes the creation happen at most once: a
	// repeat with the same key and request returns the first booking. The
	// request is identified by RequestHash (the HTTP layer passes a hash of
	// the body) or, when that is empty, by a hash of this input.
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// ReservationInput is one reservation of a new booking.
type ReservationInput struct {
	RoomTypeID string    `json:"room_type_id"`
	RatePlanID string    `json:"rate_plan_id"`
	RoomID     string    `json:"room_id,omitempty"`
	Arrival    date.Date `json:"arrival"`
	Departure  date.Date `json:"departure"`
	Adults     int       `json:"adults"`
	Children   int       `json:"children"`
	Guest      *GuestRef `json:"guest,omitempty"` // nil: the booker stays
	// Prices, when set, are the nightly prices (one per night), for example
	// as a channel sold them; otherwise the rate calendar prices the stay.
	Prices []tenant.Money `json:"prices,omitempty"`
}

// idempotencyScope names what a key in idempotency_keys created.
const idempotencyScopeBooking = "booking.create"

func validSource(s string) bool {
	if len(s) < 1 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func (ref GuestRef) validate(fe *tenant.FieldErrors, prefix string) {
	switch {
	case ref.ID != "" && ref.New != nil:
		fe.Add(prefix, "give either an existing guest id or a new guest, not both")
	case ref.ID == "" && ref.New == nil:
		fe.Add(prefix, "is required: an existing guest id or a new guest")
	case ref.New != nil:
		ref.New.normalise()
		ref.New.validate(fe, prefix+".new.")
	}
}

// clone returns a deep copy, so validation can normalise it without
// touching the caller's values (requests may share them across goroutines).
func (in BookingInput) clone() BookingInput {
	cp := func(ref GuestRef) GuestRef {
		if ref.New != nil {
			g := *ref.New
			ref.New = &g
		}
		return ref
	}
	in.Booker = cp(in.Booker)
	in.Reservations = append([]ReservationInput(nil), in.Reservations...)
	for i := range in.Reservations {
		r := &in.Reservations[i]
		if r.Guest != nil {
			g := cp(*r.Guest)
			r.Guest = &g
		}
		r.Prices = append([]tenant.Money(nil), r.Prices...)
		if len(r.Prices) == 0 {
			r.Prices = nil
		}
	}
	if in.Commission != nil {
		c := *in.Commission
		in.Commission = &c
	}
	return in
}

func (in *BookingInput) validate() error {
	var fe tenant.FieldErrors
	if in.Source == "" {
		in.Source = SourceDirect
	}
	if !validSource(in.Source) {
		fe.Add("source", "must be direct or a channel code of lower-case letters, digits, '.', '-' or '_'")
	}
	if in.Status == "" {
		in.Status = ReservationConfirmed
	}
	if in.Import && !validStatus(in.Status) || !in.Import && in.Status != ReservationConfirmed && in.Status != ReservationTentative {
		fe.Add("status", "must be confirmed or tentative")
	}
	fe.Text("ota_code", in.OTACode, 0, 100)
	if in.Commission != nil && in.Commission.Amount < 0 {
		fe.Add("commission.amount", "must not be negative")
	}
	if len(in.Notes) > 4000 {
		fe.Add("notes", "must be at most 4000 characters")
	}
	in.Booker.validate(&fe, "booker")
	if len(in.Reservations) == 0 || len(in.Reservations) > 50 {
		fe.Add("reservations", "a booking holds 1 to 50 reservations")
	}
	for i, r := range in.Reservations {
		p := "reservations[" + tenant.Itoa(i) + "]."
		if r.RoomTypeID == "" {
			fe.Add(p+"room_type_id", "is required")
		}
		if r.RatePlanID == "" {
			fe.Add(p+"rate_plan_id", "is required")
		}
		if r.Arrival.IsZero() {
			fe.Add(p+"arrival", "is required (YYYY-MM-DD)")
		}
		if r.Departure.IsZero() {
			fe.Add(p+"departure", "is required (YYYY-MM-DD)")
		} else if !r.Arrival.IsZero() && !r.Arrival.Before(r.Departure) {
			fe.Add(p+"departure", "must be after the arrival")
		} else if !r.Arrival.IsZero() && r.Departure.Sub(r.Arrival) > tenant.MaxStay {
			fe.Add(p+"departure", "a stay may last at most %d nights", tenant.MaxStay)
		}
		if r.Adults < 1 {
			fe.Add(p+"adults", "must be at least 1")
		}
		if r.Children < 0 {
			fe.Add(p+"children", "must not be negative")
		}
		if r.Guest != nil {
			r.Guest.validate(&fe, p+"guest")
		}
	}
	if in.IdempotencyKey != "" && !validIdempotencyKey(in.IdempotencyKey) {
		fe.Add("idempotency_key", "must be 1 to 255 visible ASCII characters")
	}
	return fe.Err("The booking is not valid.")
}

// requestHash identifies a creation request for its idempotency key. It is
// stored only as an HMAC under a tenant-derived key, because the request
// holds personal data.
func (db Store) requestHash(in BookingInput) []byte {
	h := in.RequestHash
	if len(h) == 0 {
		b, _ := json.Marshal([]any{in, in.Import})
		sum := sha256.Sum256(b)
		h = sum[:]
	}
	mac := hmac.New(sha256.New, db.DerivedKey("idempotency"))
	mac.Write(h)
	return mac.Sum(nil)
}

// CreateBooking creates a booking with its reservations, new guest profiles
// and audit rows in ONE write transaction, in which availability is checked
// and the nights are written, so two requests can never both take the last
// room: SQLite runs write transactions one at a time (BEGIN IMMEDIATE on the
// tenant's single write connection).
//
// A direct booking must meet the rate plan's restrictions (min/max stay,
// closed to arrival/departure, stop-sell, a price for every night; EINVALID
// naming the field) and find a room free on every night (ECONFLICT with a
// message naming the nights). A channel booking is never refused for
// availability: when it would overbook, its reservation is stored flagged
// Overbooked for the operator to resolve.
//
// With an IdempotencyKey, a repeat of the same request returns the booking
// the first one created (Replayed set, nothing written) and a repeat with a
// different request fails with EINVALID on the field "idempotency_key".
// Other errors: EINVALID for bad input or references, ECONFLICT for a
// channel reservation code already stored or a room that is taken, and
// ENOTFOUND for an unknown property.
func (db Store) CreateBooking(ctx context.Context, in BookingInput) (Booking, error) {
	in = in.clone()
	if err := in.validate(); err != nil {
		return Booking{}, err
	}
	var hash []byte
	if in.IdempotencyKey != "" {
		hash = db.requestHash(in)
	}
	var b Booking
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		if in.IdempotencyKey != "" {
			var stored []byte
			var id string
			err := tx.QueryRow(`SELECT request_hash, result_id FROM idempotency_keys WHERE scope = ? AND key = ?`,
				idempotencyScopeBooking, in.IdempotencyKey).Scan(&stored, &id)
			if err == nil {
				if !bytes.Equal(stored, hash) {
					return aura.Invalid("This Idempotency-Key was already used for a different request.",
						aura.FieldError{Field: "idempotency_key", Message: "was used for a different request"})
				}
				if b, err = db.getBooking(tx, id); err != nil {
					return err
				}
				b.Replayed = true
				return nil
			} else if err != sql.ErrNoRows {
				return err
			}
		}
		var err error
		b, err = db.createBooking(tx, in)
		if err != nil {
			return err
		}
		if in.IdempotencyKey != "" {
			if _, err := tx.Exec(`INSERT INTO idempotency_keys (scope, key, request_hash, result_id, created_at) VALUES (?, ?, ?, ?, ?)`,
				idempotencyScopeBooking, in.IdempotencyKey, hash, b.ID, tenant.FormatTime(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Booking{}, err
	}
	return b, nil
}

// bookingAudit is how a booking appears in audit rows: notes only sealed.
type bookingAudit struct {
	ID          string       `json:"id"`
	PropertyID  string       `json:"property_id"`
	BookerID    string       `json:"booker_id"`
	Source      string       `json:"source"`
	OTACode     string       `json:"ota_code,omitempty"`
	Commission  tenant.Money `json:"commission"`
	NotesSealed []byte       `json:"notes_sealed"`
	Version     int          `json:"version"`
}

func (db Store) createBooking(tx *tenant.Tx, in BookingInput) (Booking, error) {
	prop, err := inventory.GetProperty(tx, in.PropertyID)
	if err != nil {
		return Booking{}, err
	}
	today, err := prop.Today(tx)
	if err != nil {
		return Booking{}, err
	}
	direct := in.Source == SourceDirect
	if in.OTACode != "" {
		var other string
		err := tx.QueryRow(`SELECT id FROM bookings WHERE property_id = ? AND source = ? AND ota_code = ?`, prop.ID, in.Source, in.OTACode).Scan(&other)
		if err == nil {
			return Booking{}, aura.Errorf(aura.ECONFLICT, "The %s booking %s is already stored.", in.Source, in.OTACode)
		} else if err != sql.ErrNoRows {
			return Booking{}, err
		}
	}
	ix := db.newGuestIndexer()
	resolve := func(ref GuestRef, field string) (string, *tenant.SubjectKey, error) {
		if ref.New != nil {
			g, k, err := db.createGuest(tx, ix, *ref.New)
			return g.ID, k, err
		}
		k, err := db.guestKey(tx, ref.ID)
		if aura.ErrorCode(err) == aura.ENOTFOUND {
			return "", nil, aura.Invalid("The booking is not valid.", aura.FieldError{Field: field + ".id", Message: "no such guest"})
		}
		return ref.ID, k, err
	}
	bookerID, key, err := resolve(in.Booker, "booker")
	if err != nil {
		return Booking{}, err
	}
	b := Booking{ID: aura.NewOrderedID("bkg"), PropertyID: prop.ID, BookerID: bookerID, Source: in.Source, OTACode: in.OTACode,
		Commission: prop.Money(0), Notes: in.Notes, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now, Reservations: []Reservation{}}
	if in.Commission != nil {
		if in.Commission.Currency != "" && in.Commission.Currency != prop.Currency {
			return Booking{}, aura.Invalid("The booking is not valid.", aura.FieldError{Field: "commission.currency", Message: "must be the property's currency " + prop.Currency})
		}
		b.Commission.Amount = in.Commission.Amount
	}
	notes := key.Seal("bookings", "notes", b.ID, []byte(b.Notes))
	var ota any
	if b.OTACode != "" {
		ota = b.OTACode
	}
	if _, err := tx.Exec(`INSERT INTO bookings (id, property_id, booker_id, source, ota_code, commission, notes, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, b.ID, b.PropertyID, b.BookerID, b.Source, ota, b.Commission.Amount, notes,
		tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
		return Booking{}, err
	}
	if err := tx.Audit(audit.Entry{Action: "booking.created", EntityType: "booking", EntityID: b.ID, After: bookingAudit{
		ID: b.ID, PropertyID: b.PropertyID, BookerID: b.BookerID, Source: b.Source, OTACode: b.OTACode, Commission: b.Commission,
		NotesSealed: notes, Version: 1}}); err != nil {
		return Booking{}, err
	}
	action := "reservation.created"
	if in.Import {
		action = "reservation.imported"
	}
	for i, ri := range in.Reservations {
		field := "reservations[" + tenant.Itoa(i) + "]."
		guestID := bookerID
		if ri.Guest != nil {
			if guestID, _, err = resolve(*ri.Guest, field+"guest"); err != nil {
				return Booking{}, err
			}
		}
		if direct && !in.Import && ri.Arrival.Before(today) {
			return Booking{}, aura.Invalid("The booking is not valid.", aura.FieldError{Field: field + "arrival",
				Message: "is in the past (today is " + today.String() + " at the property)"})
		}
		plan, err := planStay(tx, stayRequest{prop: prop, field: field, direct: direct, restrictions: direct && !in.Import,
			needStock: holdsStock(in.Status), roomTypeID: ri.RoomTypeID, ratePlanID: ri.RatePlanID, arrival: ri.Arrival,
			departure: ri.Departure, adults: ri.Adults, children: ri.Children, prices: ri.Prices})
		if err != nil {
			return Booking{}, err
		}
		r := Reservation{ID: aura.NewOrderedID("res"), BookingID: b.ID, PropertyID: prop.ID, RoomTypeID: ri.RoomTypeID, RatePlanID: ri.RatePlanID,
			GuestID: guestID, Source: b.Source, Arrival: ri.Arrival, Departure: ri.Departure, Adults: ri.Adults, Children: ri.Children,
			Status: in.Status, Overbooked: plan.overbooked, Nights: plan.nights, Total: prop.Money(0), Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		now := tx.Now
		// An imported stay's check-in and check-out happened at the
		// property's usual hours of its dates (never later than now), not
		// when the history was loaded.
		checkedIn, checkedOut := prop.At(r.Arrival, prop.CheckInTime, now), prop.At(r.Departure, prop.CheckOutTime, now)
		switch r.Status {
		case ReservationInHouse:
			r.CheckedInAt = &checkedIn
		case ReservationCheckedOut:
			r.CheckedInAt, r.CheckedOutAt = &checkedIn, &checkedOut
		case ReservationCancelled:
			r.CancelledAt = &now
		}
		roomID := ri.RoomID
		if roomID == "" && prop.FrontDesk.AutoAssignRooms && !in.Import && holdsStock(r.Status) && !plan.overbooked {
			// The property gives each new stay a free room at once: a ready
			// one first (inspected, then clean), then by sort order.
			c := resCtx{db: db.DB, r: r, prop: prop, today: today}
			opts, err := c.roomOptions(tx, r.Arrival, r.Departure)
			if err != nil {
				return Booking{}, err
			}
			rank := map[string]int{inventory.HousekeepingInspected: 0, inventory.HousekeepingClean: 1, inventory.HousekeepingDirty: 2}
			best := -1
			for i, o := range opts {
				if o.Free && (best < 0 || rank[o.Room.Housekeeping] < rank[opts[best].Room.Housekeeping]) {
					best = i
				}
			}
			if best >= 0 {
				roomID = opts[best].Room.ID
			}
		}
		if roomID != "" {
			if !holdsStock(r.Status) {
				return Booking{}, aura.Invalid("The booking is not valid.", aura.FieldError{Field: field + "room_id", Message: "a cancelled or no-show reservation has no room"})
			}
			// A new stay gets its room on every night, whatever status an
			// import records it in (a checked-out stay keeps its history).
			c := resCtx{db: db.DB, r: r, prop: prop, today: today}
			c.r.Status = ReservationConfirmed
			if err := assignRoom(tx, &c, roomID); err != nil {
				if e, ok := err.(*aura.Error); ok && e.Code == aura.EINVALID {
					for j := range e.Fields {
						e.Fields[j].Field = field + e.Fields[j].Field
					}
				}
				return Booking{}, err
			}
			c.r.Status = r.Status
			r = c.r
			r.Overbooked = r.Overbooked && !r.roomEveryNight()
		}
		if err := writeReservation(tx, &r, true); err != nil {
			return Booking{}, err
		}
		if err := tx.Audit(audit.Entry{Action: action, EntityType: "reservation", EntityID: r.ID, After: r}); err != nil {
			return Booking{}, err
		}
		b.Reservations = append(b.Reservations, r)
	}
	return b, nil
}

// stayRequest is a stay to price and check, for a new reservation or a change.
type stayRequest struct {
	prop                   inventory.Property
	field                  string // prefix of field names in errors
	direct                 bool   // refuse overbooking (a channel's is flagged)
	restrictions           bool   // apply the rate plan's restrictions
	needStock              bool   // the stay takes rooms out of stock
	roomTypeID, ratePlanID string
	arrival, departure     date.Date
	adults, children       int
	prices                 []tenant.Money      // explicit nightly prices
	keep                   map[date.Date]int64 // frozen prices kept by a stay change
	held                   map[date.Date]bool  // nights already held (a stay change keeping its room type)
}

type stayPlan struct {
	nights     []Night
	overbooked bool
}

// planStay checks a stay against the room type, the rate plan and the
// stock, and prices its nights. It runs inside the write transaction that
// then writes the stay, which is what makes the availability check hold.
func planStay(tx *tenant.Tx, req stayRequest) (stayPlan, error) {
	invalid := func(field, msg string) error {
		return aura.Invalid("The reservation is not valid.", aura.FieldError{Field: req.field + field, Message: msg})
	}
	rt, err := inventory.GetRoomType(tx, req.roomTypeID)
	if err != nil || rt.PropertyID != req.prop.ID {
		return stayPlan{}, invalid("room_type_id", "no such room type in this property")
	}
	rp, err := inventory.GetRatePlan(tx, req.ratePlanID)
	if err != nil || rp.PropertyID != req.prop.ID {
		return stayPlan{}, invalid("rate_plan_id", "no such rate plan in this property")
	}
	if rp.RoomTypeID != rt.ID {
		return stayPlan{}, invalid("rate_plan_id", "rate plan "+rp.Code+" sells another room type")
	}
	if req.restrictions && !rp.Active {
		return stayPlan{}, invalid("rate_plan_id", "rate plan "+rp.Code+" is not active")
	}
	if req.adults < 1 {
		return stayPlan{}, invalid("adults", "must be at least 1")
	}
	if req.children < 0 {
		return stayPlan{}, invalid("children", "must not be negative")
	}
	if req.adults+req.children > rt.Capacity {
		return stayPlan{}, invalid("adults", "a "+rt.Name+" takes at most "+tenant.Itoa(rt.Capacity)+" guests")
	}
	n := req.departure.Sub(req.arrival)
	if n < 1 || n > tenant.MaxStay {
		return stayPlan{}, invalid("departure", "a stay lasts 1 to "+tenant.Itoa(tenant.MaxStay)+" nights")
	}
	priced, err := inventory.PriceStay(tx, req.prop, rp, rt, req.arrival, req.departure, req.adults+req.children)
	if err != nil {
		return stayPlan{}, err
	}
	if req.restrictions && len(priced.Problems) > 0 {
		for i := range priced.Problems {
			priced.Problems[i].Field = req.field + priced.Problems[i].Field
		}
		return stayPlan{}, priced.Problems.Err("The stay breaks the rate plan's restrictions.")
	}
	if req.prices != nil && len(req.prices) != n {
		return stayPlan{}, invalid("prices", "give one price per night ("+tenant.Itoa(n)+")")
	}
	plan := stayPlan{nights: make([]Night, n)}
	for i, d := range date.Range(req.arrival, req.departure) {
		var p int64
		switch {
		case req.prices != nil:
			if c := req.prices[i].Currency; c != "" && c != req.prop.Currency {
				return stayPlan{}, invalid("prices", "must be in the property's currency "+req.prop.Currency)
			}
			if p = req.prices[i].Amount; p < 0 {
				return stayPlan{}, invalid("prices", "must not be negative")
			}
		case req.keep != nil && hasKey(req.keep, d):
			p = req.keep[d]
		default:
			if p = priced.Prices[i]; p < 0 {
				return stayPlan{}, invalid("prices", rp.Name+" has no price for "+req.prop.Day(d)+"; send the nightly prices")
			}
		}
		plan.nights[i] = Night{Date: d, Price: req.prop.Money(p)}
	}
	if !req.needStock {
		return plan, nil
	}
	counts, err := inventory.AvailabilityOf(tx, []string{rt.ID}, req.arrival, req.departure)
	if err != nil {
		return stayPlan{}, err
	}
	var short []string
	for i, c := range counts[rt.ID] {
		d := req.arrival.AddDays(i)
		if !req.held[d] && c.Available() < 1 {
			short = append(short, req.prop.Day(d))
		}
	}
	if len(short) > 0 {
		if req.direct {
			if len(short) > 5 {
				short = append(short[:5], "…")
			}
			return stayPlan{}, aura.Errorf(aura.ECONFLICT, "No %s is available for the night of %s.", rt.Name, strings.Join(short, ", "))
		}
		plan.overbooked = true
	}
	return plan, nil
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// GetBooking returns a booking with its notes unsealed and its
// reservations, or ENOTFOUND.
func (db Store) GetBooking(ctx context.Context, id string) (Booking, error) {
	var b Booking
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		b, err = db.getBooking(tx, id)
		return err
	})
	return b, err
}

func (db Store) getBooking(tx *tenant.Tx, id string) (Booking, error) {
	var b Booking
	var ota sql.NullString
	var notes []byte
	var created, updated string
	var restricted bool
	err := tx.QueryRow(`SELECT b.id, b.property_id, b.booker_id, b.source, b.ota_code, b.commission, b.notes, b.version, b.created_at, b.updated_at,
		p.currency, coalesce((SELECT g.restricted_at IS NOT NULL FROM guests g WHERE g.id = b.booker_id), 0) FROM bookings b JOIN properties p ON p.id = b.property_id WHERE b.id = ?`, id).
		Scan(&b.ID, &b.PropertyID, &b.BookerID, &b.Source, &ota, &b.Commission.Amount, &notes, &b.Version, &created, &updated, &b.Commission.Currency, &restricted)
	if err == sql.ErrNoRows {
		return b, tenant.NotFound("booking", id)
	} else if err != nil {
		return b, err
	}
	b.OTACode = ota.String
	b.CreatedAt, b.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	// No notes: none were written, or they were removed when a guest of
	// the booking was anonymised.
	// A restricted booker's notes only for a caller who may see
	// restricted guests (the read noted for the audit).
	if notes != nil && restricted && !SeesRestricted(tx.Context()) {
		notes = nil
	} else if notes != nil && restricted {
		noteRestrictedRead(tx.Context(), b.BookerID)
	}
	if notes != nil {
		if key, err := db.guestKey(tx, b.BookerID); err == nil {
			pt, err := key.Unseal("bookings", "notes", b.ID, notes)
			if err != nil {
				return b, err
			}
			b.Notes = string(pt)
		} else if aura.ErrorCode(err) != aura.ECONFLICT { // an erased booker leaves no notes
			return b, err
		}
	}
	if b.Reservations, err = QueryReservations(tx, ` WHERE r.booking_id = ? ORDER BY r.arrival, r.id`, id); err != nil {
		return b, err
	}
	if b.Reservations == nil {
		b.Reservations = []Reservation{}
	}
	return b, nil
}

// BookingUpdate changes a booking's own fields; nil fields stay as they are.
type BookingUpdate struct {
	OTACode    *string       `json:"ota_code,omitempty"`
	Commission *tenant.Money `json:"commission,omitempty"`
	Notes      *string       `json:"notes,omitempty"`
	Version    int           `json:"version,omitempty"`
}

// UpdateBooking changes a booking's channel code, commission or notes. It
// returns ENOTFOUND, EPRECONDITION, EINVALID, or ECONFLICT for a channel
// code already stored or a booker who was erased.
func (db Store) UpdateBooking(ctx context.Context, id string, u BookingUpdate) (Booking, error) {
	var fe tenant.FieldErrors
	if u.OTACode != nil {
		fe.Text("ota_code", *u.OTACode, 0, 100)
	}
	if u.Commission != nil && u.Commission.Amount < 0 {
		fe.Add("commission.amount", "must not be negative")
	}
	if u.Notes != nil && len(*u.Notes) > 4000 {
		fe.Add("notes", "must be at most 4000 characters")
	}
	if err := fe.Err("The booking is not valid."); err != nil {
		return Booking{}, err
	}
	var b Booking
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := db.getBooking(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("booking", id, before.Version, u.Version); err != nil {
			return err
		}
		key, err := db.guestKey(tx, before.BookerID)
		if err != nil {
			return err
		}
		var oldNotes []byte
		if err := tx.QueryRow(`SELECT notes FROM bookings WHERE id = ?`, id).Scan(&oldNotes); err != nil {
			return err
		}
		b = before
		if u.OTACode != nil && *u.OTACode != b.OTACode {
			if *u.OTACode != "" {
				var other string
				err := tx.QueryRow(`SELECT id FROM bookings WHERE property_id = ? AND source = ? AND ota_code = ? AND id != ?`,
					b.PropertyID, b.Source, *u.OTACode, id).Scan(&other)
				if err == nil {
					return aura.Errorf(aura.ECONFLICT, "The %s booking %s is already stored.", b.Source, *u.OTACode)
				} else if err != sql.ErrNoRows {
					return err
				}
			}
			b.OTACode = *u.OTACode
		}
		if u.Commission != nil {
			if u.Commission.Currency != "" && u.Commission.Currency != b.Commission.Currency {
				return aura.Invalid("The booking is not valid.", aura.FieldError{Field: "commission.currency", Message: "must be the property's currency"})
			}
			b.Commission.Amount = u.Commission.Amount
		}
		notes := oldNotes
		if u.Notes != nil {
			b.Notes = *u.Notes
			notes = key.Seal("bookings", "notes", id, []byte(b.Notes))
		}
		b.Version++
		b.UpdatedAt = tx.Now
		var ota any
		if b.OTACode != "" {
			ota = b.OTACode
		}
		if _, err := tx.Exec(`UPDATE bookings SET ota_code = ?, commission = ?, notes = ?, version = ?, updated_at = ? WHERE id = ?`,
			ota, b.Commission.Amount, notes, b.Version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		view := func(x Booking, n []byte) bookingAudit {
			return bookingAudit{ID: x.ID, PropertyID: x.PropertyID, BookerID: x.BookerID, Source: x.Source, OTACode: x.OTACode,
				Commission: x.Commission, NotesSealed: n, Version: x.Version}
		}
		return tx.Audit(audit.Entry{Action: "booking.updated", EntityType: "booking", EntityID: id, Before: view(before, oldNotes), After: view(b, notes)})
	})
	return b, err
}
