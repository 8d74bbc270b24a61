package stays_test

import (
	"testing"

	"github.com/aurapms/aura/internal/auratest"
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
			if g, w := auratest.JSON(t, r), auratest.JSON(t, want); g != w {
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

// readColumns reads a reservation column by column, as the tape chart
// does, with its nights in a second query.
func readColumns(t *testing.T, db *tenant.DB, id string) stays.Reservation {
	t.Helper()
	read := db.SQL().Read
	r, err := stays.ScanReservation(read.QueryRow(stays.ReservationSelect+` WHERE r.id = ?`, id))
	if err != nil {
		t.Fatal(err)
	}
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
