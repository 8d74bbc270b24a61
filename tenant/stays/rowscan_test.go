package stays_test

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// TestReservationRowsMatchColumns reads reservations in every state (in
// house with a room, checked out early, cancelled with a fee, a no-show
// with a fee, an overbooked channel stay) through ListReservations,
// GetReservation and GetBooking, which read one packed text per
// reservation, and checks each encodes to the same JSON as the
// reservation read column by column here, the plain way.
func TestReservationRowsMatchColumns(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	st := stays.New(f.DB)
	stay := f.Book(t, f.Day(0), f.Day(4))
	cancelled := f.Book(t, f.Day(1), f.Day(3))
	pmstest.Must(st.Cancel(f.Ctx, cancelled.ID, stays.CancelInput{}))(t)
	noShow := f.Book(t, f.Day(0), f.Day(2))
	f.Book(t, f.Day(5), f.Day(6))
	f.At(f.Day(0), 15, 30)
	pmstest.Must(st.MarkNoShow(f.Ctx, noShow.ID, stays.NoShowInput{}))(t)
	stay = pmstest.Must(st.CheckIn(f.Ctx, stay.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	f.At(f.Day(2), 9, 0)
	pmstest.Must(st.CheckOut(f.Ctx, stay.ID, stay.Version))(t)
	f.Book(t, f.Day(5), f.Day(6))
	in := f.Booking(f.Day(5), f.Day(7))
	in.Source, in.OTACode = "booking.com", "4711"
	pmstest.Must(st.CreateBooking(f.Ctx, in))(t)

	page := pmstest.Must(st.ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Limit: 200}))(t)
	if len(page.Reservations) != 6 {
		t.Fatalf("%d reservations, want 6", len(page.Reservations))
	}
	states := map[string]bool{}
	for _, got := range page.Reservations {
		want := readColumns(t, f.DB, got.ID)
		states[want.Status] = true
		if want.Overbooked {
			states["overbooked"] = true
		}
		if want.CancellationFee != nil || want.NoShowFee != nil {
			states["fee"] = true
		}
		one := pmstest.Must(st.GetReservation(f.Ctx, got.ID))(t)
		b := pmstest.Must(st.GetBooking(f.Ctx, got.BookingID))(t)
		for name, r := range map[string]stays.Reservation{"list": got, "get": one, "booking": b.Reservations[0]} {
			if g, w := mustJSON(t, r), mustJSON(t, want); g != w {
				t.Errorf("%s of %s:\n got %s\nwant %s", name, got.ID, g, w)
			}
		}
	}
	for _, s := range []string{stays.ReservationCheckedOut, stays.ReservationCancelled, stays.ReservationNoShow, stays.ReservationConfirmed, "overbooked", "fee"} {
		if !states[s] {
			t.Errorf("no reservation %s among those read", s)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readColumns reads a reservation column by column with its nights in a
// second query.
func readColumns(t *testing.T, db *tenant.DB, id string) stays.Reservation {
	t.Helper()
	var r stays.Reservation
	var room sql.NullString
	var cfee, nfee sql.NullInt64
	var in, out, canc sql.NullString
	var created, updated string
	read := db.SQL().Read
	if err := read.QueryRow(`SELECT r.id, r.booking_id, r.property_id, r.room_type_id, r.room_id, r.rate_plan_id, r.guest_id, b.source,
		r.arrival, r.departure, r.adults, r.children, r.status, r.overbooked, r.total, r.cancellation_fee, r.no_show_fee,
		r.checked_in_at, r.checked_out_at, r.cancelled_at, r.version, r.created_at, r.updated_at, p.currency
		FROM reservations r JOIN bookings b ON b.id = r.booking_id JOIN properties p ON p.id = r.property_id WHERE r.id = ?`, id).Scan(
		&r.ID, &r.BookingID, &r.PropertyID, &r.RoomTypeID, &room, &r.RatePlanID, &r.GuestID, &r.Source,
		&r.Arrival, &r.Departure, &r.Adults, &r.Children, &r.Status, &r.Overbooked, &r.Total.Amount, &cfee, &nfee,
		&in, &out, &canc, &r.Version, &created, &updated, &r.Total.Currency); err != nil {
		t.Fatal(err)
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
	holds := r.Status != stays.ReservationCancelled && r.Status != stays.ReservationNoShow
	rows, err := read.Query(`SELECT date, price, holds, coalesce(room_id, '') FROM reservation_nights WHERE reservation_id = ? ORDER BY date`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r.Nights = []stays.Night{}
	for rows.Next() {
		var n stays.Night
		var h bool
		if err := rows.Scan(&n.Date, &n.Price.Amount, &h, &n.RoomID); err != nil {
			t.Fatal(err)
		}
		n.Price.Currency = r.Total.Currency
		n.Released = !h && holds
		r.Nights = append(r.Nights, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}
