package frontdesk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestOneBusinessDate checks that every "today" of the front desk is the
// business date: after midnight and before the night audit's roll
// (03:00), and later while the audit has not run, the day not yet closed
// stays today for the lists, the housekeeping board, check-in
// eligibility and no-shows; the night audit moves them all at once.
func TestOneBusinessDate(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2025-06-10")
	job := f.Ctx
	tonight := f.BookGuest(t, "Clara", "Schumann", stays.ReservationConfirmed, f.Day(0), f.Day(2), 0)
	tomorrow := f.BookGuest(t, "Fanny", "Hensel", stays.ReservationConfirmed, f.Day(1), f.Day(3), 1)

	check := func(t *testing.T, want, calendar date.Date) {
		t.Helper()
		if got := pmstest.Must(inventory.New(f.DB).PropertyToday(f.Ctx, f.Prop.ID))(t); got != want {
			t.Fatalf("PropertyToday %s, want %s", got, want)
		}
		bd := pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t)
		if bd.Date != want || bd.CalendarDate != calendar {
			t.Fatalf("business day %s (calendar %s), want %s (calendar %s)", bd.Date, bd.CalendarDate, want, calendar)
		}
		fd := pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, date.Date{}))(t)
		if fd.Date != want || fd.Today != want {
			t.Fatalf("front desk of %s (today %s), want %s", fd.Date, fd.Today, want)
		}
		arrivals := map[string]bool{}
		for _, r := range fd.Arrivals {
			arrivals[r.Reservation.ID] = true
		}
		if arrivals[tonight.ID] != (want == f.Day(0)) || arrivals[tomorrow.ID] != (want == f.Day(1)) {
			t.Fatalf("arrivals of %s: %v", want, arrivals)
		}
		board := pmstest.Must(frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, date.Date{}))(t)
		if board.Date != want || board.Today != want {
			t.Fatalf("board of %s (today %s), want %s", board.Date, board.Today, want)
		}
	}

	t.Run("OK/AfterMidnightBeforeTheRoll", func(t *testing.T) {
		f.At(f.Day(1), 1, 30)
		check(t, f.Day(0), f.Day(1))
		// Tomorrow's guest cannot check in yet, nor be marked a no-show.
		_, err := stays.New(f.DB).CheckIn(f.Ctx, tomorrow.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		_, err = stays.New(f.DB).MarkNoShow(f.Ctx, tomorrow.ID, stays.NoShowInput{})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})

	t.Run("OK/AfterTheRollTheAuditCloses", func(t *testing.T) {
		f.At(f.Day(1), 4, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t) // closes day 0: tonight's guest is a no-show
		check(t, f.Day(1), f.Day(1))
		if got := f.Status(t, tonight.ID); got != stays.ReservationNoShow {
			t.Fatalf("day 0's arrival is %s after its close", got)
		}
	})

	t.Run("OK/AuditLateTheDayStaysOpen", func(t *testing.T) {
		f.At(f.Day(2), 9, 0) // the roll of day 1 passed, the audit has not run
		check(t, f.Day(1), f.Day(2))
		// Day 1's guest still checks in on day 1, the open date.
		r := pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, tomorrow.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
		if r.Status != stays.ReservationInHouse {
			t.Fatalf("check-in on the open date: %s", r.Status)
		}
		bd := pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t)
		if bd.Behind != 1 || bd.LastClosed == nil || *bd.LastClosed != f.Day(0) {
			t.Fatalf("late audit: %+v", bd)
		}
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t)
		check(t, f.Day(2), f.Day(2))
	})
}

// TestDayUse checks a guest who arrives and checks out on the same day: the
// stay keeps its night's price but the night goes back to stock; the guest
// is among that day's departures (not the next day's), and the housekeeping
// board shows the room left and dirty, not "arriving".
func TestDayUse(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	r := f.BookGuest(t, "Day", "Tripper", stays.ReservationConfirmed, f.Day(0), f.Day(2), 0)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{}))(t)
	f.At(f.Day(0), 17, 0)
	out := pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, r.ID, 0))(t)
	if got := out.Reservation; got.Departure != f.Day(1) || len(got.Nights) != 1 || !got.Nights[0].Released || got.Total.Amount != pmstest.Nightly {
		t.Fatalf("day use stored as %s–%s, nights %+v, total %d", got.Arrival, got.Departure, got.Nights, got.Total.Amount)
	}
	if got := f.Available(t, f.Day(0), f.Day(2)); fmt.Sprint(got) != "[1 1]" {
		t.Fatalf("availability after the day use %v, want the night back in stock", got)
	}
	ids := func(rows []frontdesk.FrontDeskRow) []string {
		var out []string
		for _, x := range rows {
			out = append(out, x.Reservation.ID)
		}
		return out
	}
	today := pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, f.Day(0)))(t)
	if got := ids(today.Departures); len(got) != 1 || got[0] != r.ID {
		t.Fatalf("today's departures %v, want the day use", got)
	}
	if got := ids(pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, f.Day(1)))(t).Departures); len(got) != 0 {
		t.Fatalf("tomorrow's departures %v, want none", got)
	}
	card := pmstest.Must(frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, f.Day(0)))(t).Rooms[0]
	if card.Occupancy != frontdesk.OccupancyDeparting || !card.Departed || card.Condition != inventory.HousekeepingDirty {
		t.Fatalf("the board's card after a day use: %+v", card)
	}
	if action, after := pmstest.LastAction(t, f); action != "reservation.checked_out" || !strings.Contains(after, `"day_use":true`) {
		t.Fatalf("audit %s %s", action, after)
	}
}

// TestAutoAssignRooms checks the property setting that gives each new
// booking a free room at once (a ready room first), never an occupied or
// blocked one, and nothing when it is off or the stay overbooks.
func TestAutoAssignRooms(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	if r := f.Book(t, f.Day(1), f.Day(3)); r.RoomID != "" {
		t.Fatalf("a room assigned with the setting off: %s", r.RoomID)
	}
	fd := f.Prop.FrontDesk
	fd.AutoAssignRooms = true
	p := f.Prop
	f.Prop = pmstest.Must(inventory.New(f.DB).UpdateProperty(f.Ctx, p.ID, inventory.PropertyInput{Name: p.Name, Address: p.Address, TimeZone: p.TimeZone, Currency: p.Currency,
		CheckInTime: p.CheckInTime, CheckOutTime: p.CheckOutTime, Tax: p.Tax, FrontDesk: &fd, Version: p.Version}))(t)
	// Room 101 is dirty, 102 blocked: the clean 103 is given.
	rm := f.Rooms[0]
	pmstest.Must(inventory.New(f.DB).SetHousekeeping(f.Ctx, rm.ID, inventory.HousekeepingDirty, rm.Version))(t)
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[1].ID, Kind: inventory.OutOfService, Start: f.Day(4), End: f.Day(6), Reason: "Paint"}))(t)
	r := f.Book(t, f.Day(4), f.Day(6))
	if r.RoomID != f.Rooms[2].ID || nightRooms(f, r) != "103 103" {
		t.Fatalf("auto-assigned %q (nights %s), want the clean, unblocked 103", r.RoomID, nightRooms(f, r))
	}
	// Only the dirty 101 is free for these nights: it is given.
	if r := f.Book(t, f.Day(4), f.Day(5)); r.RoomID != f.Rooms[0].ID {
		t.Fatalf("second booking got %q, want 101", r.RoomID)
	}
}

// TestImportedStayTimes checks that an imported stay's check-in and
// check-out are those of its dates at the property's usual hours, not the
// moment the history was loaded.
func TestImportedStayTimes(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	r := f.BookGuest(t, "Old", "Guest", stays.ReservationCheckedOut, f.Day(-6), f.Day(-4), 0)
	if got := r.CheckedInAt.In(f.Loc).Format("2006-01-02 15:04"); got != f.Day(-6).String()+" 15:00" {
		t.Fatalf("imported check-in at %s", got)
	}
	if got := r.CheckedOutAt.In(f.Loc).Format("2006-01-02 15:04"); got != f.Day(-4).String()+" 11:00" {
		t.Fatalf("imported check-out at %s", got)
	}
}
