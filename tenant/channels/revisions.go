package channels

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// Statuses of a booking revision (a channel manager's snapshot of a
// booking as the OTA last sent it).
const (
	RevisionNew       = "new"
	RevisionModified  = "modified"
	RevisionCancelled = "cancelled"
)

// Outcomes of a revision.
const (
	OutcomeApplied    = "applied"    // the booking here now matches the revision
	OutcomeSuperseded = "superseded" // a newer revision of the booking was applied first
	OutcomeAttention  = "attention"  // stored, but a person must look (see its detail)
)

// Revision is one booking revision from a channel manager: the whole
// booking as of RevisedAt.
type Revision struct {
	ID         string         `json:"id"`
	BookingKey string         `json:"booking_id"` // the channel manager's booking id, the same for every revision
	Status     string         `json:"status"`
	RevisedAt  time.Time      `json:"inserted_at"`
	OTAName    string         `json:"ota_name"`
	OTACode    string         `json:"ota_reservation_code"`
	Customer   RevisionGuest  `json:"customer"`
	Rooms      []RevisionRoom `json:"rooms"`
	Commission int64          `json:"commission,omitempty"` // minor units
	// VirtualCard is the OTA's virtual card that pays the booking, if any.
	VirtualCard *RevisionCard `json:"virtual_card,omitempty"`
}

// RevisionCard is an OTA virtual card as a revision carries it: the token
// the channel manager's card vault made of it — a Stripe PaymentMethod id
// (pm_…) in the tenant's Stripe account, never card data — chargeable from
// ActivationDate up to Amount (minor units) in Currency.
type RevisionCard struct {
	Token          string    `json:"token"`
	ActivationDate date.Date `json:"activation_date,omitzero"`
	Amount         int64     `json:"amount,omitempty"`
	Currency       string    `json:"currency,omitempty"`
}

// RevisionGuest is the booker of a revision.
type RevisionGuest struct {
	Name    string `json:"name"`
	Surname string `json:"surname"`
	Mail    string `json:"mail"`
	Phone   string `json:"phone"`
}

// RevisionRoom is one room of a revision, in the channel manager's ids.
type RevisionRoom struct {
	RoomTypeID string    `json:"room_type_id"`
	RatePlanID string    `json:"rate_plan_id"`
	Arrival    date.Date `json:"checkin_date"`
	Departure  date.Date `json:"checkout_date"`
	Adults     int       `json:"adults"`
	Children   int       `json:"children"`
	Prices     []int64   `json:"prices,omitempty"` // per night, minor units
}

// ChannelManager is a connection to a channel manager: booking revisions
// in (acknowledged only once applied here), availability, rates and
// restrictions out (ARITarget).
type ChannelManager interface {
	ARITarget
	// PullRevisions returns the revisions not yet acknowledged.
	PullRevisions(ctx context.Context) ([]Revision, error)
	// FetchRevision reads one revision by its id (what a webhook names).
	FetchRevision(ctx context.Context, revisionID string) (Revision, error)
	// Ack acknowledges a revision, after it was applied and committed.
	Ack(ctx context.Context, revisionID string) error
}

// MapExternal maps a channel manager's room type or rate plan id (kind
// "room_type" or "rate_plan") to the property's own.
func (db Store) MapExternal(ctx context.Context, propertyID, kind, externalID, localID string) error {
	if kind != "room_type" && kind != "rate_plan" || externalID == "" || localID == "" {
		return aura.Invalid("The mapping is not valid.", aura.FieldError{Field: "kind", Message: "must be room_type or rate_plan with both ids"})
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := tx.Exec(`INSERT INTO cm_mappings (property_id, kind, external_id, local_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (property_id, kind, external_id) DO UPDATE SET local_id = excluded.local_id`, propertyID, kind, externalID, localID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "cm_mapping.set", EntityType: "property", EntityID: propertyID,
			After: map[string]string{"kind": kind, "external_id": externalID, "local_id": localID}})
	})
}

// channelSource turns an OTA's name into a booking source code
// ("Booking.com" → "booking.com").
func channelSource(ota string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(ota)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == "" || s == stays.SourceDirect {
		s = "channel"
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// RevisionResult is what applying a revision did.
type RevisionResult struct {
	RevisionID string `json:"revision_id"`
	Outcome    string `json:"outcome"`
	BookingID  string `json:"booking_id,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Repeat     bool   `json:"repeat,omitempty"` // received before: nothing done again
}

// ApplyRevision applies a booking revision exactly once: a revision id
// already recorded returns its recorded result and changes nothing. A
// revision older than the newest one applied to its booking is recorded
// as superseded. Otherwise the booking here is brought to the revision's
// state: created (source the OTA, code its reservation code; the
// booking's idempotency key is the revision id, and an existing booking
// with the same OTA code is found first, so a crash between the booking's
// commit and the revision's record never makes a second booking),
// changed (dates, room type, party) or cancelled. A channel booking into a
// full house is stored flagged overbooked (stays' rule), never refused. A
// revision that cannot be applied (an unmapped room type, a cancelled stay
// the OTA revives) is recorded for attention. The revision's record is
// committed before ApplyRevision returns, so the caller acknowledges it
// only after that.
func (db Store) ApplyRevision(ctx context.Context, propertyID string, rev Revision) (RevisionResult, error) {
	res := RevisionResult{RevisionID: rev.ID}
	if rev.ID == "" || rev.BookingKey == "" || (rev.Status != RevisionNew && rev.Status != RevisionModified && rev.Status != RevisionCancelled) {
		return res, aura.Invalid("The booking revision is not valid.", aura.FieldError{Field: "id", Message: "a revision needs an id, a booking id and a status"})
	}
	// One revision of a property at a time in this process: the webhook
	// and the minute's pull may bring the same revision, or two of one
	// booking, at the same moment.
	unlock := lockProperty(db.ID, propertyID)
	defer unlock()
	var known bool
	var lastRevised string
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var booking sql.NullString
		err := tx.QueryRow(`SELECT outcome, booking_id, detail FROM cm_revisions WHERE revision_id = ?`, rev.ID).Scan(&res.Outcome, &booking, &res.Detail)
		if err == nil {
			known, res.BookingID = true, booking.String
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		err = tx.QueryRow(`SELECT revised_at FROM cm_bookings WHERE booking_key = ?`, rev.BookingKey).Scan(&lastRevised)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	if err != nil || known {
		res.Repeat = known
		return res, err
	}
	revised := rev.RevisedAt.UTC().Format(time.RFC3339Nano)
	if lastRevised != "" && !laterThan(revised, lastRevised) {
		res.Outcome, res.Detail = OutcomeSuperseded, "a newer revision of this booking was applied first ("+lastRevised+")"
		return res, db.recordRevision(ctx, propertyID, rev, res, false)
	}
	res.Outcome = OutcomeApplied
	bookingID, detail, err := db.reconcile(ctx, propertyID, rev)
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.ENOTFOUND && code != aura.EPRECONDITION {
			return res, err // not recorded: the revision comes again and is retried
		}
		res.Outcome, detail = OutcomeAttention, err.Error()
	}
	res.BookingID, res.Detail = bookingID, detail
	return res, db.recordRevision(ctx, propertyID, rev, res, res.Outcome == OutcomeApplied)
}

// laterThan compares two RFC 3339 UTC times.
func laterThan(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.After(tb)
}

func (db Store) recordRevision(ctx context.Context, propertyID string, rev Revision, res RevisionResult, newest bool) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		revised := rev.RevisedAt.UTC().Format(time.RFC3339Nano)
		if _, err := tx.Exec(`INSERT INTO cm_revisions (revision_id, property_id, booking_key, status, revised_at, outcome, booking_id, detail, applied_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, rev.ID, propertyID, rev.BookingKey, rev.Status, revised, res.Outcome, nullable(res.BookingID), res.Detail,
			tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		if newest && res.BookingID != "" && rev.VirtualCard != nil {
			if err := insertVirtualCard(tx, propertyID, rev, res.BookingID); err != nil {
				return err
			}
		}
		if newest && res.BookingID != "" {
			if _, err := tx.Exec(`INSERT INTO cm_bookings (booking_key, booking_id, revised_at, status) VALUES (?, ?, ?, ?)
				ON CONFLICT (booking_key) DO UPDATE SET booking_id = excluded.booking_id, revised_at = excluded.revised_at, status = excluded.status`,
				rev.BookingKey, res.BookingID, revised, rev.Status); err != nil {
				return err
			}
		}
		return tx.Audit(audit.Entry{Action: "channel_revision." + res.Outcome, EntityType: "booking_revision", EntityID: rev.ID,
			After: map[string]any{"booking_key": rev.BookingKey, "status": rev.Status, "revised_at": revised, "booking_id": res.BookingID, "detail": res.Detail}})
	})
}

// mapped returns the local id of an external one.
func (db Store) mapped(ctx context.Context, propertyID, kind, external string) (string, error) {
	var local string
	err := db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT local_id FROM cm_mappings WHERE property_id = ? AND kind = ? AND external_id = ?`, propertyID, kind, external).Scan(&local)
	})
	if err == sql.ErrNoRows {
		return "", aura.Errorf(aura.EINVALID, "The channel manager's %s %s is not mapped to one of the property's.", strings.ReplaceAll(kind, "_", " "), external)
	}
	return local, err
}

// reconcile brings the booking here to the revision's state.
func (db Store) reconcile(ctx context.Context, propertyID string, rev Revision) (bookingID, detail string, err error) {
	source := channelSource(rev.OTAName)
	code := rev.OTACode
	if code == "" {
		code = rev.BookingKey
	}
	var existing string
	err = db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT id FROM bookings WHERE property_id = ? AND source = ? AND ota_code = ?`, propertyID, source, code).Scan(&existing)
	})
	if err != nil && err != sql.ErrNoRows {
		return "", "", err
	}
	type want struct {
		roomType, plan     string
		arrival, departure date.Date
		adults, children   int
		prices             []tenant.Money
	}
	var rooms []want
	for i, rr := range rev.Rooms {
		rt, err := db.mapped(ctx, propertyID, "room_type", rr.RoomTypeID)
		if err != nil {
			return existing, "", err
		}
		plan, err := db.mapped(ctx, propertyID, "rate_plan", rr.RatePlanID)
		if err != nil {
			return existing, "", err
		}
		w := want{roomType: rt, plan: plan, arrival: rr.Arrival, departure: rr.Departure, adults: max(rr.Adults, 1), children: rr.Children}
		if len(rr.Prices) > 0 {
			if len(rr.Prices) != rr.Departure.Sub(rr.Arrival) {
				return existing, "", aura.Errorf(aura.EINVALID, "Room %d of the revision has %d prices for %d nights.", i+1, len(rr.Prices), rr.Departure.Sub(rr.Arrival))
			}
			for _, p := range rr.Prices {
				w.prices = append(w.prices, tenant.Money{Amount: p})
			}
		}
		rooms = append(rooms, w)
	}
	if len(rooms) == 0 && rev.Status != RevisionCancelled {
		return existing, "", aura.Errorf(aura.EINVALID, "The revision has no room.")
	}
	st := stays.New(db.DB)
	if existing == "" {
		in := stays.BookingInput{PropertyID: propertyID, Source: source, OTACode: code, IdempotencyKey: "cm:" + rev.ID,
			Booker: stays.GuestRef{New: &stays.GuestInput{GivenName: rev.Customer.Name, FamilyName: or(rev.Customer.Surname, "Guest"), Email: rev.Customer.Mail, Phone: rev.Customer.Phone}}}
		if rev.Commission > 0 {
			in.Commission = &tenant.Money{Amount: rev.Commission}
		}
		if rev.Status == RevisionCancelled {
			// A booking first seen cancelled is stored cancelled: nothing is dropped.
			in.Status, in.Import = stays.ReservationCancelled, true
		}
		for _, w := range rooms {
			in.Reservations = append(in.Reservations, stays.ReservationInput{RoomTypeID: w.roomType, RatePlanID: w.plan, Arrival: w.arrival,
				Departure: w.departure, Adults: w.adults, Children: w.children, Prices: w.prices})
		}
		if len(in.Reservations) == 0 {
			return "", "", aura.Errorf(aura.EINVALID, "The cancelled revision names no room.")
		}
		b, err := st.CreateBooking(ctx, in)
		if err != nil {
			return "", "", err
		}
		over := 0
		for _, r := range b.Reservations {
			if r.Overbooked {
				over++
			}
		}
		if over > 0 {
			detail = fmt.Sprintf("%d reservation(s) stored overbooked", over)
		}
		return b.ID, detail, nil
	}
	b, err := st.GetBooking(ctx, existing)
	if err != nil {
		return existing, "", err
	}
	rs := append([]stays.Reservation(nil), b.Reservations...)
	sort.Slice(rs, func(i, j int) bool {
		return rs[i].CreatedAt.Before(rs[j].CreatedAt) || rs[i].CreatedAt.Equal(rs[j].CreatedAt) && rs[i].ID < rs[j].ID
	})
	if rev.Status == RevisionCancelled {
		for _, r := range rs {
			if r.Status == stays.ReservationCancelled {
				continue
			}
			if _, err := st.Cancel(ctx, r.ID, stays.CancelInput{Version: r.Version}); err != nil {
				return existing, "", err
			}
		}
		return existing, "", nil
	}
	if len(rs) != len(rooms) {
		return existing, "", aura.Errorf(aura.ECONFLICT, "The revision has %d rooms, the booking here %d: change it by hand.", len(rooms), len(rs))
	}
	var notes []string
	for i, r := range rs {
		w := rooms[i]
		if r.Status == stays.ReservationCancelled {
			return existing, "", aura.Errorf(aura.ECONFLICT, "The OTA revives a stay cancelled here (%s): book it again by hand.", r.ID)
		}
		if r.Arrival == w.arrival && r.Departure == w.departure && r.RoomTypeID == w.roomType && r.RatePlanID == w.plan && r.Adults == w.adults && r.Children == w.children {
			continue
		}
		ch := stays.StayChange{Version: r.Version, Prices: w.prices, Arrival: w.arrival, Departure: w.departure}
		if r.RoomTypeID != w.roomType {
			ch.RoomTypeID = w.roomType
		}
		if r.RatePlanID != w.plan {
			ch.RatePlanID = w.plan
		}
		if r.Adults != w.adults {
			a := w.adults
			ch.Adults = &a
		}
		if r.Children != w.children {
			c := w.children
			ch.Children = &c
		}
		nr, err := st.ChangeStay(ctx, r.ID, ch)
		if err != nil {
			return existing, "", err
		}
		if nr.Overbooked {
			notes = append(notes, nr.ID+" stored overbooked")
		}
	}
	return existing, strings.Join(notes, "; "), nil
}

// SyncResult counts one pass of Sync.
type SyncResult struct {
	Pulled, Applied, Superseded, Attention, Repeats, Acked int
}

// Sync pulls the channel manager's unacknowledged revisions, applies them
// oldest first and acknowledges each only after its record committed. An
// error stops the pass; what was applied stays applied and what was not
// acknowledged comes again (and is recognised by its id).
func (db Store) Sync(ctx context.Context, propertyID string, cm ChannelManager) (SyncResult, error) {
	var out SyncResult
	revs, err := cm.PullRevisions(ctx)
	if err != nil {
		return out, err
	}
	out.Pulled = len(revs)
	sort.SliceStable(revs, func(i, j int) bool { return revs[i].RevisedAt.Before(revs[j].RevisedAt) })
	for _, rev := range revs {
		res, err := db.ApplyRevision(ctx, propertyID, rev)
		if err != nil {
			return out, err
		}
		switch {
		case res.Repeat:
			out.Repeats++
		case res.Outcome == OutcomeApplied:
			out.Applied++
		case res.Outcome == OutcomeSuperseded:
			out.Superseded++
		default:
			out.Attention++
		}
		if err := cm.Ack(ctx, rev.ID); err != nil {
			return out, err
		}
		out.Acked++
	}
	return out, nil
}
