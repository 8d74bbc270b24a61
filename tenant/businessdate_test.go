package tenant_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// TestOneBusinessDate checks that every "today" of the front desk is the
// business date: after midnight and before the night audit's roll
// (03:00), and later while the audit has not run, the day not yet closed
// stays today for the lists, the housekeeping board, check-in
// eligibility and no-shows; the night audit moves them all at once.
func TestOneBusinessDate(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 4, "2025-06-10")
	job := f.ctx
	tonight := f.bookGuest(t, "Clara", "Schumann", tenant.ReservationConfirmed, f.day(0), f.day(2), 0)
	tomorrow := f.bookGuest(t, "Fanny", "Hensel", tenant.ReservationConfirmed, f.day(1), f.day(3), 1)

	check := func(t *testing.T, want, calendar date.Date) {
		t.Helper()
		if got := must(f.db.PropertyToday(f.ctx, f.prop.ID))(t); got != want {
			t.Fatalf("PropertyToday %s, want %s", got, want)
		}
		bd := must(f.db.BusinessDate(f.ctx, f.prop.ID))(t)
		if bd.Date != want || bd.CalendarDate != calendar {
			t.Fatalf("business day %s (calendar %s), want %s (calendar %s)", bd.Date, bd.CalendarDate, want, calendar)
		}
		fd := must(f.db.FrontDesk(f.ctx, f.prop.ID, date.Date{}))(t)
		if fd.Date != want || fd.Today != want {
			t.Fatalf("front desk of %s (today %s), want %s", fd.Date, fd.Today, want)
		}
		arrivals := map[string]bool{}
		for _, r := range fd.Arrivals {
			arrivals[r.Reservation.ID] = true
		}
		if arrivals[tonight.ID] != (want == f.day(0)) || arrivals[tomorrow.ID] != (want == f.day(1)) {
			t.Fatalf("arrivals of %s: %v", want, arrivals)
		}
		board := must(f.db.HousekeepingBoard(f.ctx, f.prop.ID, date.Date{}))(t)
		if board.Date != want || board.Today != want {
			t.Fatalf("board of %s (today %s), want %s", board.Date, board.Today, want)
		}
	}

	t.Run("OK/AfterMidnightBeforeTheRoll", func(t *testing.T) {
		f.at(f.day(1), 1, 30)
		check(t, f.day(0), f.day(1))
		// Tomorrow's guest cannot check in yet, nor be marked a no-show.
		_, err := f.db.CheckIn(f.ctx, tomorrow.ID, tenant.CheckInInput{RoomID: f.rooms[1].ID})
		wantCode(t, err, aura.ECONFLICT)
		_, err = f.db.MarkNoShow(f.ctx, tomorrow.ID, tenant.NoShowInput{})
		wantCode(t, err, aura.ECONFLICT)
	})

	t.Run("OK/AfterTheRollTheAuditCloses", func(t *testing.T) {
		f.at(f.day(1), 4, 0)
		must(f.db.RunNightAudit(job, f.prop.ID))(t) // closes day 0: tonight's guest is a no-show
		check(t, f.day(1), f.day(1))
		if got := f.status(t, tonight.ID); got != tenant.ReservationNoShow {
			t.Fatalf("day 0's arrival is %s after its close", got)
		}
	})

	t.Run("OK/AuditLateTheDayStaysOpen", func(t *testing.T) {
		f.at(f.day(2), 9, 0) // the roll of day 1 passed, the audit has not run
		check(t, f.day(1), f.day(2))
		// Day 1's guest still checks in on day 1, the open date.
		r := must(f.db.CheckIn(f.ctx, tomorrow.ID, tenant.CheckInInput{RoomID: f.rooms[1].ID}))(t)
		if r.Status != tenant.ReservationInHouse {
			t.Fatalf("check-in on the open date: %s", r.Status)
		}
		bd := must(f.db.BusinessDate(f.ctx, f.prop.ID))(t)
		if bd.Behind != 1 || bd.LastClosed == nil || *bd.LastClosed != f.day(0) {
			t.Fatalf("late audit: %+v", bd)
		}
		must(f.db.RunNightAudit(job, f.prop.ID))(t)
		check(t, f.day(2), f.day(2))
	})
}

// TestDayUse checks a guest who arrives and checks out on the same day: the
// stay keeps its night's price but the night goes back to stock; the guest
// is among that day's departures (not the next day's), and the housekeeping
// board shows the room left and dirty, not "arriving".
func TestDayUse(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 1, "2025-06-10")
	r := f.bookGuest(t, "Day", "Tripper", tenant.ReservationConfirmed, f.day(0), f.day(2), 0)
	must(f.db.CheckIn(f.ctx, r.ID, tenant.CheckInInput{}))(t)
	f.at(f.day(0), 17, 0)
	out := must(f.db.CheckOut(f.ctx, r.ID, 0))(t)
	if got := out.Reservation; got.Departure != f.day(1) || len(got.Nights) != 1 || !got.Nights[0].Released || got.Total.Amount != nightly {
		t.Fatalf("day use stored as %s–%s, nights %+v, total %d", got.Arrival, got.Departure, got.Nights, got.Total.Amount)
	}
	if got := f.available(t, f.day(0), f.day(2)); fmt.Sprint(got) != "[1 1]" {
		t.Fatalf("availability after the day use %v, want the night back in stock", got)
	}
	ids := func(rows []tenant.FrontDeskRow) []string {
		var out []string
		for _, x := range rows {
			out = append(out, x.Reservation.ID)
		}
		return out
	}
	today := must(f.db.FrontDesk(f.ctx, f.prop.ID, f.day(0)))(t)
	if got := ids(today.Departures); len(got) != 1 || got[0] != r.ID {
		t.Fatalf("today's departures %v, want the day use", got)
	}
	if got := ids(must(f.db.FrontDesk(f.ctx, f.prop.ID, f.day(1)))(t).Departures); len(got) != 0 {
		t.Fatalf("tomorrow's departures %v, want none", got)
	}
	card := must(f.db.HousekeepingBoard(f.ctx, f.prop.ID, f.day(0)))(t).Rooms[0]
	if card.Occupancy != tenant.OccupancyDeparting || !card.Departed || card.Condition != tenant.HousekeepingDirty {
		t.Fatalf("the board's card after a day use: %+v", card)
	}
	if action, after := lastAction(t, f); action != "reservation.checked_out" || !strings.Contains(after, `"day_use":true`) {
		t.Fatalf("audit %s %s", action, after)
	}
}

// TestAutoAssignRooms checks the property setting that gives each new
// booking a free room at once (a ready room first), never an occupied or
// blocked one, and nothing when it is off or the stay overbooks.
func TestAutoAssignRooms(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
	if r := f.book(t, f.day(1), f.day(3)); r.RoomID != "" {
		t.Fatalf("a room assigned with the setting off: %s", r.RoomID)
	}
	fd := f.prop.FrontDesk
	fd.AutoAssignRooms = true
	p := f.prop
	f.prop = must(f.db.UpdateProperty(f.ctx, p.ID, tenant.PropertyInput{Name: p.Name, Address: p.Address, TimeZone: p.TimeZone, Currency: p.Currency,
		CheckInTime: p.CheckInTime, CheckOutTime: p.CheckOutTime, Tax: p.Tax, FrontDesk: &fd, Version: p.Version}))(t)
	// Room 101 is dirty, 102 blocked: the clean 103 is given.
	rm := f.rooms[0]
	must(f.db.SetHousekeeping(f.ctx, rm.ID, tenant.HousekeepingDirty, rm.Version))(t)
	must(f.db.CreateRoomBlock(f.ctx, tenant.RoomBlockInput{RoomID: f.rooms[1].ID, Kind: tenant.OutOfService, Start: f.day(4), End: f.day(6), Reason: "Paint"}))(t)
	r := f.book(t, f.day(4), f.day(6))
	if r.RoomID != f.rooms[2].ID || nightRooms(f, r) != "103 103" {
		t.Fatalf("auto-assigned %q (nights %s), want the clean, unblocked 103", r.RoomID, nightRooms(f, r))
	}
	// Only the dirty 101 is free for these nights: it is given.
	if r := f.book(t, f.day(4), f.day(5)); r.RoomID != f.rooms[0].ID {
		t.Fatalf("second booking got %q, want 101", r.RoomID)
	}
}

// TestImportedStayTimes checks that an imported stay's check-in and
// check-out are those of its dates at the property's usual hours, not the
// moment the history was loaded.
func TestImportedStayTimes(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 2, "2025-06-10")
	r := f.bookGuest(t, "Old", "Guest", tenant.ReservationCheckedOut, f.day(-6), f.day(-4), 0)
	if got := r.CheckedInAt.In(f.loc).Format("2006-01-02 15:04"); got != f.day(-6).String()+" 15:00" {
		t.Fatalf("imported check-in at %s", got)
	}
	if got := r.CheckedOutAt.In(f.loc).Format("2006-01-02 15:04"); got != f.day(-4).String()+" 11:00" {
		t.Fatalf("imported check-out at %s", got)
	}
}
