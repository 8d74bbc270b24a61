package frontdesk_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

func auditCount(tb testing.TB, f *pmstest.Fixture, action, entity string) int {
	tb.Helper()
	var n int
	if err := f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ? AND (? = '' OR entity_id = ?)`, action, entity, entity).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func closedDates(res frontdesk.NightAuditResult) string {
	var out []string
	for _, c := range res.Closed {
		out = append(out, c.Date.String())
	}
	return strings.Join(out, " ")
}

// TestNightAudit rolls a property's business date: no-shows and lapsed
// tentative holds at the roll hour, nothing before it, nothing twice, and
// catching up after the server was down for days.
func TestNightAudit(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 6, "2025-06-10") // the property is created at noon on day 0
	job := context.Background()
	noShow := f.Book(t, f.Day(0), f.Day(2))
	tentIn := f.Booking(f.Day(0), f.Day(1))
	tentIn.Status = stays.ReservationTentative
	tentative := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, tentIn))(t).Reservations[0]
	arrived := f.Book(t, f.Day(0), f.Day(3))
	tomorrow := f.Book(t, f.Day(1), f.Day(2))
	later := f.Book(t, f.Day(3), f.Day(4))
	f.At(f.Day(0), 18, 0)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, arrived.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)

	bd := pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t)
	roll := time.Date(2025, 6, 11, 3, 0, 0, 0, f.Loc)
	if bd.Date != f.Day(0) || bd.LastClosed != nil || !bd.NextRollAt.Equal(roll) || bd.Behind != 0 {
		t.Fatalf("business day before the first roll %+v, want %s rolling at %v", bd, f.Day(0), roll)
	}
	if next, ok := pmstest.Must2(frontdesk.New(f.DB).NextNightAudit(job))(t); !ok || !next.Equal(roll) {
		t.Fatalf("next night audit %v (%v), want %v", next, ok, roll)
	}
	// After midnight but before the roll hour, day 0 is still open: a late
	// arrival checks in, and nothing becomes a no-show.
	f.At(f.Day(1), 2, 59)
	if got := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t); len(got.Closed) != 0 || got.BusinessDate != f.Day(0) {
		t.Fatalf("a run before the roll hour closed %+v", got)
	}
	if got := pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t).Date; got != f.Day(0) {
		t.Fatalf("business date at 02:59 %s, want %s", got, f.Day(0))
	}

	f.At(f.Day(1), 3, 0)
	before := f.Available(t, f.Day(0), f.Day(2))
	res := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t)
	if got, want := closedDates(res), f.Day(0).String(); got != want {
		t.Fatalf("closed %q, want %q", got, want)
	}
	c := res.Closed[0]
	if got, want := fmt.Sprint(c.NoShows, c.Cancelled), fmt.Sprint([]string{noShow.ID}, []string{tentative.ID}); got != want {
		t.Fatalf("no-shows and cancellations %s, want %s", got, want)
	}
	if !c.RollAt.Equal(roll) || res.BusinessDate != f.Day(1) {
		t.Fatalf("roll at %v, business date %s", c.RollAt, res.BusinessDate)
	}
	ns := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, noShow.ID))(t)
	if ns.Status != stays.ReservationNoShow || ns.NoShowFee == nil || ns.NoShowFee.Amount != 2*pmstest.Nightly {
		t.Fatalf("no-show %s with fee %v, want the 100%% policy fee %d", ns.Status, ns.NoShowFee, 2*pmstest.Nightly)
	}
	tn := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, tentative.ID))(t)
	if tn.Status != stays.ReservationCancelled || tn.CancellationFee.Amount != 0 {
		t.Fatalf("tentative hold %s with fee %v, want cancelled free", tn.Status, tn.CancellationFee)
	}
	for _, id := range []string{arrived.ID, tomorrow.ID, later.ID} {
		if got := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, id))(t).Status; got == stays.ReservationNoShow || got == stays.ReservationCancelled {
			t.Fatalf("%s became %s", id, got)
		}
	}
	// Their nights are back in stock: night 0 had 3 held (no-show, tentative,
	// arrived), night 1 two (no-show, arrived) plus tomorrow's.
	after := f.Available(t, f.Day(0), f.Day(2))
	if got, want := fmt.Sprint(after), fmt.Sprint([]int{before[0] + 2, before[1] + 1}); got != want {
		t.Fatalf("availability after the audit %s, want %s (before %v)", got, want, before)
	}
	var actor, extra string
	if err := f.DB.SQL().Read.QueryRow(`SELECT actor_id, after_json FROM audit_log WHERE action = 'reservation.no_show' AND entity_id = ?`, noShow.ID).
		Scan(&actor, &extra); err != nil {
		t.Fatal(err)
	}
	if actor != "night-audit" || !strings.Contains(extra, `"business_date":"`+f.Day(0).String()) {
		t.Fatalf("no-show audit row by %q: %s", actor, extra)
	}

	t.Run("Idempotent", func(t *testing.T) {
		head := f.AuditRows(t)
		if got := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t); len(got.Closed) != 0 {
			t.Fatalf("a second run closed %s", closedDates(got))
		}
		if f.AuditRows(t) != head {
			t.Fatal("a second run wrote audit rows")
		}
		if got := auditCount(t, f, "reservation.no_show", noShow.ID); got != 1 {
			t.Fatalf("%d no-show rows for %s, want 1", got, noShow.ID)
		}
	})
	t.Run("ConcurrentRuns", func(t *testing.T) {
		f.At(f.Day(2), 3, 0)
		var wg sync.WaitGroup
		results := make([]frontdesk.NightAuditResult, 8)
		errs := make([]error, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID)
			}()
		}
		wg.Wait()
		closed := 0
		for i := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			closed += len(results[i].Closed)
		}
		if closed != 1 {
			t.Fatalf("%d runs at once closed %d dates, want 1", len(results), closed)
		}
		if got := auditCount(t, f, "reservation.no_show", tomorrow.ID); got != 1 {
			t.Fatalf("%d no-show rows for %s, want 1", got, tomorrow.ID)
		}
		if got := auditCount(t, f, "night_audit.closed", f.Prop.ID); got != 2 {
			t.Fatalf("%d night_audit.closed rows, want 2", got)
		}
	})
	t.Run("CatchUpAfterDowntime", func(t *testing.T) {
		// The server was down from day 2 until day 6, 05:00: four roll hours passed.
		f.At(f.Day(6), 5, 0)
		bd := pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t)
		if bd.Date != f.Day(2) || bd.Behind != 4 || bd.LastClosed == nil || *bd.LastClosed != f.Day(1) || bd.CalendarDate != f.Day(6) {
			t.Fatalf("business day while behind %+v, want day 2 open and 4 behind", bd)
		}
		res := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t)
		want := []string{f.Day(2).String(), f.Day(3).String(), f.Day(4).String(), f.Day(5).String()}
		if got := closedDates(res); got != strings.Join(want, " ") {
			t.Fatalf("caught up %q, want %q", got, strings.Join(want, " "))
		}
		// "later" arrived on day 3: it became a no-show at that date's close.
		if got := fmt.Sprint(res.Closed[1].NoShows); got != fmt.Sprint([]string{later.ID}) {
			t.Fatalf("no-shows of day 3 %s, want [%s]", got, later.ID)
		}
		var extra string
		if err := f.DB.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'reservation.no_show' AND entity_id = ?`, later.ID).Scan(&extra); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(extra, `"business_date":"`+f.Day(3).String()) {
			t.Fatalf("the catch-up no-show is not dated day 3: %s", extra)
		}
		// The guest who arrived on day 0 for 3 nights was due out on day 3
		// and is still in house: counted from day 3's close on.
		if res.Closed[0].Overdue != 0 || res.Closed[1].Overdue != 1 {
			t.Fatalf("overdue %d, %d; want 0, 1", res.Closed[0].Overdue, res.Closed[1].Overdue)
		}
		bd = pmstest.Must(frontdesk.New(f.DB).BusinessDate(f.Ctx, f.Prop.ID))(t)
		if bd.Date != f.Day(6) || bd.Behind != 0 || bd.LastClosed == nil || *bd.LastClosed != f.Day(5) || bd.LastClosedAt == nil {
			t.Fatalf("business day after catching up %+v", bd)
		}
		hist := pmstest.Must(frontdesk.New(f.DB).NightAuditHistory(f.Ctx, f.Prop.ID, 0))(t)
		if len(hist) != 6 || hist[0].Date != f.Day(5) || hist[5].Date != f.Day(0) || fmt.Sprint(hist[2].NoShows) != fmt.Sprint([]string{later.ID}) {
			t.Fatalf("history %+v", hist)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := frontdesk.New(f.DB).RunNightAudit(job, "prp_nope")
		pmstest.WantCode(t, err, aura.ENOTFOUND)
		_, err = frontdesk.New(f.DB).BusinessDate(f.Ctx, "prp_nope")
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	f.VerifyAudit(t)
}

// TestNightAuditSettings checks the roll hour setting, a first run long
// after the property was created, and RunNightAudits over every property.
func TestNightAuditSettings(t *testing.T) {
	f := pmstest.NewFixture(t, "America/New_York", 2, "2025-03-08")
	job := context.Background()
	fd := inventory.FrontDeskSettings{IDPhotoRetentionDays: 30, NightAuditTime: "05:30"}
	f.Prop = pmstest.Must(inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, inventory.PropertyInput{Name: f.Prop.Name, TimeZone: f.Prop.TimeZone, Currency: f.Prop.Currency,
		Tax: f.Prop.Tax, FrontDesk: &fd, Version: f.Prop.Version}))(t)
	second := pmstest.Must(inventory.New(f.DB).CreateProperty(f.Ctx, inventory.PropertyInput{Name: "Annex", TimeZone: "Asia/Tokyo", Currency: "JPY"}))(t)
	r := f.Book(t, f.Day(0), f.Day(1))
	// 03:00 is no longer the roll time; 05:30 is, across the night the
	// clocks go forward (2025-03-09 in New York).
	f.At(f.Day(1), 5, 29)
	if got := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t); len(got.Closed) != 0 {
		t.Fatalf("closed %s before 05:30", closedDates(got))
	}
	f.At(f.Day(1), 5, 30)
	all := pmstest.Must(frontdesk.New(f.DB).RunNightAudits(job))(t)
	if len(all) != 2 {
		t.Fatalf("%d results, want one per property", len(all))
	}
	for _, res := range all {
		switch res.PropertyID {
		case f.Prop.ID:
			if closedDates(res) != f.Day(0).String() || fmt.Sprint(res.Closed[0].NoShows) != fmt.Sprint([]string{r.ID}) {
				t.Fatalf("New York closed %+v", res)
			}
			if want := time.Date(2025, 3, 9, 5, 30, 0, 0, f.Loc); !res.Closed[0].RollAt.Equal(want) {
				t.Fatalf("roll at %v, want %v", res.Closed[0].RollAt, want)
			}
		case second.ID:
			// Tokyo is 14 hours ahead: its day 0 (created at 02:00 on 9 March
			// local, so business date 8 March) closed at 03:00 on 9 March, its
			// 9 March at 03:00 on 10 March, which is 14:00 on 9 March in New
			// York, still to come.
			if got := closedDates(res); got != "2025-03-08" {
				t.Fatalf("Tokyo closed %q, want 2025-03-08", got)
			}
		}
	}
	// A first run a year after the property was created goes back 31 days at most.
	g := pmstest.NewFixture(t, "Europe/Berlin", 1, "2024-01-10")
	g.At(date.MustParse("2025-01-10"), 12, 0)
	res := pmstest.Must(frontdesk.New(g.DB).RunNightAudit(job, g.Prop.ID))(t)
	if got := len(res.Closed); got != 31 || res.Closed[0].Date != date.MustParse("2024-12-10") {
		t.Fatalf("first run closed %d dates from %s, want 31 from 2024-12-10", got, res.Closed[0].Date)
	}
	f.VerifyAudit(t)
	g.VerifyAudit(t)
}
