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
