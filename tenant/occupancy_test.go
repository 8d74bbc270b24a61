package tenant_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

func (f *fixture) status(tb testing.TB, id string) string {
	tb.Helper()
	return must(f.db.GetReservation(f.ctx, id))(tb).Status
}

// wantRefusal checks an ECONFLICT that names things as staff know them.
func wantRefusal(tb testing.TB, err error, words ...string) {
	tb.Helper()
	wantCode(tb, err, aura.ECONFLICT)
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
			f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
			rs := []tenant.Reservation{
				f.bookGuest(t, "Clara", "Schumann", tenant.ReservationConfirmed, f.day(0), f.day(2), -1),
				f.bookGuest(t, "Fanny", "Hensel", tenant.ReservationConfirmed, f.day(0), f.day(3), -1),
			}
			names := []string{"Clara Schumann", "Fanny Hensel"}
			room := f.rooms[1].ID
			must(f.db.CheckIn(f.ctx, rs[first].ID, tenant.CheckInInput{RoomID: room}))(t)
			_, err := f.db.CheckIn(f.ctx, rs[1-first].ID, tenant.CheckInInput{RoomID: room})
			wantRefusal(t, err, "Room 102", names[first], "Free rooms of this type: 101, 103")
			if got := f.status(t, rs[1-first].ID); got != tenant.ReservationConfirmed {
				t.Fatalf("the refused party is %s", got)
			}
			f.verifyAudit(t)
		}
	})

	t.Run("OK/AtOnce", func(t *testing.T) {
		const n = 8
		f := newFixture(t, "Europe/Berlin", n+1, "2025-06-10")
		var rs []tenant.Reservation
		for i := range n {
			rs = append(rs, f.bookGuest(t, "Guest", string(rune('A'+i)), tenant.ReservationConfirmed, f.day(0), f.day(1+i%3), -1))
		}
		room := f.rooms[0].ID
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.db.CheckIn(f.ctx, rs[i].ID, tenant.CheckInInput{RoomID: room})
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
			if got := f.status(t, rs[i].ID); got != tenant.ReservationConfirmed {
				t.Fatalf("a refused party is %s", got)
			}
		}
		if won != 1 {
			t.Fatalf("%d check-ins into one room succeeded, want exactly 1: %v", won, errs)
		}
		fd := must(f.db.FrontDesk(f.ctx, f.prop.ID, date.Date{}))(t)
		inRoom := 0
		for _, r := range fd.InHouse {
			if r.RoomID == room {
				inRoom++
			}
		}
		if inRoom != 1 {
			t.Fatalf("%d parties in house in room 101", inRoom)
		}
		f.verifyAudit(t)
	})

	t.Run("ErrDepartingGuestNotCheckedOut", func(t *testing.T) {
		f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
		leaving := f.bookGuest(t, "Robert", "Schumann", tenant.ReservationInHouse, f.day(-2), f.day(0), 0)
		// Planning the turnover is legal: the arrival may be given room 101.
		arriving := f.bookGuest(t, "Johannes", "Brahms", tenant.ReservationConfirmed, f.day(0), f.day(2), 0)
		f.at(f.day(0), 9, 0)
		_, err := f.db.CheckIn(f.ctx, arriving.ID, tenant.CheckInInput{})
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "departing today", "Check Robert Schumann out first", "102, 103")
		free := must(f.db.FreeRooms(f.ctx, f.rt.ID, f.day(0), f.day(2), arriving.ID))(t)
		for _, r := range free {
			if r.ID == f.rooms[0].ID {
				t.Fatal("FreeRooms offers room 101 while its guest is still there")
			}
		}
		opts := must(f.db.RoomOptions(f.ctx, arriving.ID))(t)
		if o := opts[0]; o.Free || o.Occupant == nil || o.Occupant.GuestName != "Robert Schumann" || o.Occupant.Departure != f.day(0) {
			t.Fatalf("room 101's option %+v", o)
		}
		// Once checked out, the room takes the arrival.
		must(f.db.CheckOut(f.ctx, leaving.ID, 0))(t)
		r := must(f.db.CheckIn(f.ctx, arriving.ID, tenant.CheckInInput{}))(t)
		if r.Status != tenant.ReservationInHouse || r.RoomID != f.rooms[0].ID {
			t.Fatalf("after the check-out: %s in %s", r.Status, r.RoomID)
		}
	})

	t.Run("OK/EarlyCheckOutConfirmedInTheSameStep", func(t *testing.T) {
		f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
		leaving := f.bookGuest(t, "Robert", "Schumann", tenant.ReservationInHouse, f.day(-2), f.day(0), 0)
		other := f.bookGuest(t, "Clara", "Wieck", tenant.ReservationInHouse, f.day(-1), f.day(0), 1)
		arriving := f.bookGuest(t, "Johannes", "Brahms", tenant.ReservationConfirmed, f.day(0), f.day(2), -1)
		f.at(f.day(0), 9, 0)
		rows := f.auditRows(t)
		// Naming a guest who is not in the room chosen writes nothing.
		_, err := f.db.CheckIn(f.ctx, arriving.ID, tenant.CheckInInput{RoomID: f.rooms[0].ID, CheckOutOccupant: other.ID})
		wantCode(t, err, aura.EINVALID)
		if f.auditRows(t) != rows || f.status(t, other.ID) != tenant.ReservationInHouse || f.status(t, leaving.ID) != tenant.ReservationInHouse {
			t.Fatal("a refused check-in changed something")
		}
		must(f.db.CheckIn(f.ctx, arriving.ID, tenant.CheckInInput{RoomID: f.rooms[0].ID, CheckOutOccupant: leaving.ID}))(t)
		if got := f.status(t, leaving.ID); got != tenant.ReservationCheckedOut {
			t.Fatalf("the guest leaving is %s", got)
		}
		if f.status(t, arriving.ID) != tenant.ReservationInHouse {
			t.Fatal("the arrival is not in house")
		}
		f.verifyAudit(t)
	})

	t.Run("ErrOverdueGuest", func(t *testing.T) {
		f := newFixture(t, "Europe/Berlin", 2, "2025-06-10")
		f.bookGuest(t, "Robert", "Schumann", tenant.ReservationInHouse, f.day(-3), f.day(-1), 0)
		arriving := f.bookGuest(t, "Johannes", "Brahms", tenant.ReservationConfirmed, f.day(0), f.day(2), -1)
		_, err := f.db.CheckIn(f.ctx, arriving.ID, tenant.CheckInInput{RoomID: f.rooms[0].ID})
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "past the departure", "102")
	})

	t.Run("ErrRoomMove", func(t *testing.T) {
		f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
		f.bookGuest(t, "Robert", "Schumann", tenant.ReservationInHouse, f.day(-2), f.day(0), 0)
		mover := f.bookGuest(t, "Clara", "Wieck", tenant.ReservationInHouse, f.day(-1), f.day(3), 1)
		_, err := f.db.AssignRoom(f.ctx, mover.ID, f.rooms[0].ID, 0)
		wantRefusal(t, err, "Room 101 is occupied", "Robert Schumann", "103")
		if r := must(f.db.GetReservation(f.ctx, mover.ID))(t); r.RoomID != f.rooms[1].ID {
			t.Fatal("the refused move moved the guest")
		}
	})
}

// TestOverbookingResolved checks that an overbooked channel stay given a
// room on every night is no longer flagged overbooked (audited as
// resolved), while the room type's shortage stays visible in the
// availability for the stays still without a room.
func TestOverbookingResolved(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 2, "2025-06-10")
	f.book(t, f.day(1), f.day(4))
	f.book(t, f.day(1), f.day(4))
	in := f.booking(f.day(2), f.day(3))
	in.Source, in.OTACode = "booking.com", "4712"
	r := must(f.db.CreateBooking(f.ctx, in))(t).Reservations[0]
	if !r.Overbooked {
		t.Fatal("the channel stay into a full house is not overbooked")
	}
	r = must(f.db.AssignRoom(f.ctx, r.ID, f.rooms[0].ID, r.Version))(t)
	if r.Overbooked {
		t.Fatal("an overbooked stay with a room every night is still flagged overbooked")
	}
	if page := must(f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, Overbooked: true}))(t); len(page.Reservations) != 0 {
		t.Fatalf("still listed overbooked: %v", page.Reservations)
	}
	if action, after := lastAction(t, f); action != "reservation.room_assigned" || !strings.Contains(after, `"overbooking_resolved":true`) {
		t.Fatalf("audit %s %s", action, after)
	}
	if got := f.available(t, f.day(2), f.day(3)); got[0] != -1 {
		t.Fatalf("availability %v: the shortage moved to the stays without a room and must stay visible", got)
	}
	f.verifyAudit(t)
}

// TestRefusalsInWords checks that refusals name things as staff know them:
// the guest and their stay, the room number, dates as the property's
// country writes them; never an internal id or an ISO date.
func TestRefusalsInWords(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 2, "2025-06-10")
	later := f.bookGuest(t, "Clara", "Schumann", tenant.ReservationConfirmed, f.day(1), f.day(3), 0)
	inHouse := f.bookGuest(t, "Fanny", "Hensel", tenant.ReservationInHouse, f.day(-1), f.day(2), 1)
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
	_, err := f.db.CheckIn(f.ctx, later.ID, tenant.CheckInInput{})
	clean(t, err, "Clara Schumann’s stay (11 Jun – Fri 13 Jun 2025) arrives on Wed 11 Jun 2025", "the business date is Tue 10 Jun 2025")
	_, err = f.db.Cancel(f.ctx, inHouse.ID, tenant.CancelInput{})
	clean(t, err, "Fanny Hensel’s stay", "is in house; it cannot be cancelled")
	_, err = f.db.MarkNoShow(f.ctx, later.ID, tenant.NoShowInput{})
	clean(t, err, "cannot be a no-show before then")
	_, err = f.db.CreateRoomBlock(f.ctx, tenant.RoomBlockInput{RoomID: f.rooms[0].ID, Kind: tenant.OutOfService, Start: f.day(2), End: f.day(4)})
	clean(t, err, "Room 101 is given to Clara Schumann’s stay", "Thu 12 Jun 2025")
	_, err = f.db.DepartEarly(f.ctx, inHouse.ID, tenant.EarlyDeparture{Departure: f.day(3)})
	clean(t, err, "must be before the booked departure on Thu 12 Jun 2025")
	_, err = f.db.Confirm(f.ctx, later.ID, later.Version+5)
	clean(t, err, "This reservation was changed by someone else")
}
