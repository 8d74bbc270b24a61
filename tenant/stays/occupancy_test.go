package stays_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// wantRefusal checks an ECONFLICT that names things as staff know them.
func wantRefusal(tb testing.TB, err error, words ...string) {
	tb.Helper()
	pmstest.WantCode(tb, err, aura.ECONFLICT)
	msg := aura.ErrorMessage(err)
	for _, w := range words {
		if !strings.Contains(msg, w) {
			tb.Errorf("refusal %q does not say %q", msg, w)
		}
	}
	if strings.Contains(msg, "res_") || strings.Contains(msg, "gst_") || strings.Contains(msg, "rom_") {
		tb.Errorf("refusal %q names an internal id", msg)
	}
	if fs := aura.ErrorFields(err); len(fs) != 1 || fs[0].Field != "room_id" {
		tb.Errorf("refusal fields %+v, want room_id", fs)
	}
}

// TestOneRoomOneParty checks the occupancy rule: two check-ins into one
// room, in either order and at once, let exactly one party in; a guest
// departing today (or overdue) who has not checked out keeps the room
// until check-out, or until a check-in confirms their check-out in the
// same step; a room move is refused the same way; planning a same-day
// turnover stays legal.
func TestOneRoomOneParty(t *testing.T) {
	t.Run("OK/EitherOrder", func(t *testing.T) {
		for _, first := range []int{0, 1} {
			f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
			rs := []stays.Reservation{
				f.BookGuest(t, "Clara", "Schumann", stays.ReservationConfirmed, f.Day(0), f.Day(2), -1),
				f.BookGuest(t, "Fanny", "Hensel", stays.ReservationConfirmed, f.Day(0), f.Day(3), -1),
			}
			names := []string{"Clara Schumann", "Fanny Hensel"}
			room := f.Rooms[1].ID
			pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, rs[first].ID, stays.CheckInInput{RoomID: room}))(t)
			_, err := stays.New(f.DB).CheckIn(f.Ctx, rs[1-first].ID, stays.CheckInInput{RoomID: room})
			wantRefusal(t, err, "Room 102", names[first], "Free rooms of this type: 101, 103")
			if got := f.Status(t, rs[1-first].ID); got != stays.ReservationConfirmed {
				t.Fatalf("the refused party is %s", got)
			}
			f.VerifyAudit(t)
		}
	})

	t.Run("OK/AtOnce", func(t *testing.T) {
		const n = 8
		f := pmstest.NewFixture(t, "Europe/Berlin", n+1, "2025-06-10")
		var rs []stays.Reservation
		for i := range n {
			rs = append(rs, f.BookGuest(t, "Guest", string(rune('A'+i)), stays.ReservationConfirmed, f.Day(0), f.Day(1+i%3), -1))
		}
		room := f.Rooms[0].ID
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = stays.New(f.DB).CheckIn(f.Ctx, rs[i].ID, stays.CheckInInput{RoomID: room})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantRefusal(t, err, "Room 101", "Free rooms of this type: 102")
			if got := f.Status(t, rs[i].ID); got != stays.ReservationConfirmed {
				t.Fatalf("a refused party is %s", got)
			}
		}
		if won != 1 {
			t.Fatalf("%d check-ins into one room succeeded, want exactly 1: %v", won, errs)
		}
		fd := pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, date.Date{}))(t)
		inRoom := 0
		for _, r := range fd.InHouse {
			if r.RoomID == room {
				inRoom++
			}
		}
		if inRoom != 1 {
			t.Fatalf("%d parties in house in room 101", inRoom)
		}
		f.VerifyAudit(t)
	})

	t.Run("ErrDepartingGuestNotCheckedOut", func(t *testing.T) {
		f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
		leaving := f.BookGuest(t, "Robert", "Schumann", stays.ReservationInHouse, f.Day(-2), f.Day(0), 0)
		// Planning the turnover is legal: the arrival may be given room 101.
		arriving := f.BookGuest(t, "Johannes", "Brahms", stays.ReservationConfirmed, f.Day(0), f.Day(2), 0)
		f.At(f.Day(0), 9, 0)
		_, err := stays.New(f.DB).CheckIn(f.Ctx, arriving.ID, stays.CheckInInput{})
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "departing today", "Check Robert Schumann out first", "102, 103")
		free := pmstest.Must(stays.New(f.DB).FreeRooms(f.Ctx, f.RT.ID, f.Day(0), f.Day(2), arriving.ID))(t)
		for _, r := range free {
			if r.ID == f.Rooms[0].ID {
				t.Fatal("FreeRooms offers room 101 while its guest is still there")
			}
		}
		opts := pmstest.Must(stays.New(f.DB).RoomOptions(f.Ctx, arriving.ID))(t)
		if o := opts[0]; o.Free || o.Occupant == nil || o.Occupant.GuestName != "Robert Schumann" || o.Occupant.Departure != f.Day(0) {
			t.Fatalf("room 101's option %+v", o)
		}
		// Once checked out, the room takes the arrival.
		pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, leaving.ID, 0))(t)
		r := pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, arriving.ID, stays.CheckInInput{}))(t)
		if r.Status != stays.ReservationInHouse || r.RoomID != f.Rooms[0].ID {
			t.Fatalf("after the check-out: %s in %s", r.Status, r.RoomID)
		}
	})

	t.Run("OK/EarlyCheckOutConfirmedInTheSameStep", func(t *testing.T) {
		f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
		leaving := f.BookGuest(t, "Robert", "Schumann", stays.ReservationInHouse, f.Day(-2), f.Day(0), 0)
		other := f.BookGuest(t, "Clara", "Wieck", stays.ReservationInHouse, f.Day(-1), f.Day(0), 1)
		arriving := f.BookGuest(t, "Johannes", "Brahms", stays.ReservationConfirmed, f.Day(0), f.Day(2), -1)
		f.At(f.Day(0), 9, 0)
		rows := f.AuditRows(t)
		// Naming a guest who is not in the room chosen writes nothing.
		_, err := stays.New(f.DB).CheckIn(f.Ctx, arriving.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID, CheckOutOccupant: other.ID})
		pmstest.WantCode(t, err, aura.EINVALID)
		if f.AuditRows(t) != rows || f.Status(t, other.ID) != stays.ReservationInHouse || f.Status(t, leaving.ID) != stays.ReservationInHouse {
			t.Fatal("a refused check-in changed something")
		}
		pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, arriving.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID, CheckOutOccupant: leaving.ID}))(t)
		if got := f.Status(t, leaving.ID); got != stays.ReservationCheckedOut {
			t.Fatalf("the guest leaving is %s", got)
		}
		if f.Status(t, arriving.ID) != stays.ReservationInHouse {
			t.Fatal("the arrival is not in house")
		}
		f.VerifyAudit(t)
	})

	t.Run("ErrOverdueGuest", func(t *testing.T) {
		f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
		f.BookGuest(t, "Robert", "Schumann", stays.ReservationInHouse, f.Day(-3), f.Day(-1), 0)
		arriving := f.BookGuest(t, "Johannes", "Brahms", stays.ReservationConfirmed, f.Day(0), f.Day(2), -1)
		_, err := stays.New(f.DB).CheckIn(f.Ctx, arriving.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID})
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "past the departure", "102")
	})

	t.Run("ErrRoomMove", func(t *testing.T) {
		f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
		f.BookGuest(t, "Robert", "Schumann", stays.ReservationInHouse, f.Day(-2), f.Day(0), 0)
		mover := f.BookGuest(t, "Clara", "Wieck", stays.ReservationInHouse, f.Day(-1), f.Day(3), 1)
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, mover.ID, f.Rooms[0].ID, 0)
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "103")
		if r := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, mover.ID))(t); r.RoomID != f.Rooms[1].ID {
			t.Fatal("the refused move moved the guest")
		}
	})
}

// TestOverbookingResolved checks that an overbooked channel stay given a
// room on every night is no longer flagged overbooked (audited as
// resolved), while the room type's shortage stays visible in the
// availability for the stays still without a room.
func TestOverbookingResolved(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	f.Book(t, f.Day(1), f.Day(4))
	f.Book(t, f.Day(1), f.Day(4))
	in := f.Booking(f.Day(2), f.Day(3))
	in.Source, in.OTACode = "booking.com", "4712"
	r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
	if !r.Overbooked {
		t.Fatal("the channel stay into a full house is not overbooked")
	}
	r = pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[0].ID, r.Version))(t)
	if r.Overbooked {
		t.Fatal("an overbooked stay with a room every night is still flagged overbooked")
	}
	if page := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Overbooked: true}))(t); len(page.Reservations) != 0 {
		t.Fatalf("still listed overbooked: %v", page.Reservations)
	}
	if action, after := pmstest.LastAction(t, f); action != "reservation.room_assigned" || !strings.Contains(after, `"overbooking_resolved":true`) {
		t.Fatalf("audit %s %s", action, after)
	}
	if got := f.Available(t, f.Day(2), f.Day(3)); got[0] != -1 {
		t.Fatalf("availability %v: the shortage moved to the stays without a room and must stay visible", got)
	}
	f.VerifyAudit(t)
}

// TestRefusalsInWords checks that refusals name things as staff know them:
// the guest and their stay, the room number, dates as the property's
// country writes them; never an internal id or an ISO date.
func TestRefusalsInWords(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	later := f.BookGuest(t, "Clara", "Schumann", stays.ReservationConfirmed, f.Day(1), f.Day(3), 0)
	inHouse := f.BookGuest(t, "Fanny", "Hensel", stays.ReservationInHouse, f.Day(-1), f.Day(2), 1)
	clean := func(t *testing.T, err error, words ...string) {
		t.Helper()
		if err == nil {
			t.Fatal("no refusal")
		}
		msg := aura.ErrorMessage(err)
		for _, fe := range aura.ErrorFields(err) {
			msg += " " + fe.Message
		}
		for _, w := range words {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not say %q", msg, w)
			}
		}
		for _, bad := range []string{"res_", "rom_", "gst_", "bkg_", "2025-"} {
			if strings.Contains(msg, bad) {
				t.Errorf("%q contains %q", msg, bad)
			}
		}
	}
	_, err := stays.New(f.DB).CheckIn(f.Ctx, later.ID, stays.CheckInInput{})
	clean(t, err, "Clara Schumann’s stay (11 Jun – Fri 13 Jun 2025) arrives on Wed 11 Jun 2025", "the business date is Tue 10 Jun 2025")
	_, err = stays.New(f.DB).Cancel(f.Ctx, inHouse.ID, stays.CancelInput{})
	clean(t, err, "Fanny Hensel’s stay", "is in house; it cannot be cancelled")
	_, err = stays.New(f.DB).MarkNoShow(f.Ctx, later.ID, stays.NoShowInput{})
	clean(t, err, "cannot be a no-show before then")
	_, err = inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[0].ID, Kind: inventory.OutOfService, Start: f.Day(2), End: f.Day(4)})
	clean(t, err, "Room 101 is given to Clara Schumann’s stay", "Thu 12 Jun 2025")
	_, err = stays.New(f.DB).DepartEarly(f.Ctx, inHouse.ID, stays.EarlyDeparture{Departure: f.Day(3)})
	clean(t, err, "must be before the booked departure on Thu 12 Jun 2025")
	_, err = stays.New(f.DB).Confirm(f.Ctx, later.ID, later.Version+5)
	clean(t, err, "This reservation was changed by someone else")
}
