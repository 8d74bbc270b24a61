package reports_test

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// TestPaceAsOf checks that last year's on-the-books count the nights as
// they were booked at the end of that business date (the night audit's
// snapshot), not at the dates the reservations have now, and that the
// complimentary and house-use exclusions apply to every count. A 4-room
// hotel opens on Wednesday 11 March 2026 (L); T = L + 364 days.
//
// Booked on L, before the night audit closes it at 03:00 on L+1:
//
//	M: nights L+1, L+2 (FLEX); moved on L+1 to nights L+5, L+6
//	X: night L+3 (FLEX); cancelled on L+1
//	C: night L+2 (COMP, complimentary)
//
// Booked on L+1 (after the snapshot): Y, night L+4 (FLEX).
// Booked on T: A, night T+1 (FLEX); B, night T+1 (COMP); H, night T+2
// (HOUSE, house use).
func TestPaceAsOf(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2026-03-11")
	L := f.Today
	T := L.AddDays(reports.LastYearDays)
	inv := inventory.New(f.DB)
	plan := func(code string) inventory.RatePlan {
		p := pmstest.Must(inv.CreateRatePlan(f.Ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Code: code, Name: code, Active: true}))(t)
		f.SetPrice(t, p.ID, L, T.AddDays(10), 0)
		return p
	}
	comp, house := plan("COMP"), plan("HOUSE")
	f.SetPrice(t, f.Plan.ID, L, T.AddDays(10), pmstest.Nightly)
	st := stays.New(f.DB)
	book := func(planID string, arrival date.Date) stays.Reservation {
		in := f.Booking(arrival, arrival.AddDays(1))
		in.Reservations[0].RatePlanID = planID
		return pmstest.Must(st.CreateBooking(f.Ctx, in))(t).Reservations[0]
	}
	m := f.Book(t, L.AddDays(1), L.AddDays(3))
	x := book(f.Plan.ID, L.AddDays(3))
	book(comp.ID, L.AddDays(2))
	f.At(L.AddDays(1), 3, 30)
	res := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(f.Ctx, f.Prop.ID))(t)
	if len(res.Closed) != 1 || res.Closed[0].Date != L {
		t.Fatalf("the night audit closed %+v, want %s", res.Closed, L)
	}
	f.At(L.AddDays(1), 10, 0)
	pmstest.Must(st.ChangeStay(f.Ctx, m.ID, stays.StayChange{Arrival: L.AddDays(5), Departure: L.AddDays(7)}))(t)
	pmstest.Must(st.Cancel(f.Ctx, x.ID, stays.CancelInput{WaiveFee: true}))(t)
	book(f.Plan.ID, L.AddDays(4))
	f.At(T, 12, 0)
	book(f.Plan.ID, T.AddDays(1))
	book(comp.ID, T.AddDays(1))
	book(house.ID, T.AddDays(2))

	rs := reports.New(f.DB)
	type row struct{ available, onBooks, revenue, lyThen, lyFinal int64 }
	for _, tc := range []struct {
		name string
		ex   reports.Exclusions
		want []row
	}{
		{"NothingExcluded", reports.Exclusions{ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"HOUSE"}}, []row{
			{4, 0, 0, 0, 0},
			{4, 2, 10000, 1, 0}, // L+1: M then; now A and B
			{4, 1, 0, 2, 1},     // L+2: M and C then, C finally; now H
			{4, 0, 0, 1, 0},     // L+3: X then (cancelled after)
			{4, 0, 0, 0, 1},     // L+4: Y booked after
			{4, 0, 0, 0, 1},     // L+5: M's new dates
			{4, 0, 0, 0, 1},
			{4, 0, 0, 0, 0},
		}},
		{"Excluded", reports.Exclusions{ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"HOUSE"}, ExcludeComplimentary: true, ExcludeHouseUse: true}, []row{
			{4, 0, 0, 0, 0},
			{4, 1, 10000, 1, 0}, // B is complimentary
			{3, 0, 0, 1, 0},     // H is house use, withheld; C is complimentary
			{4, 0, 0, 1, 0},
			{4, 0, 0, 0, 1},
			{4, 0, 0, 0, 1},
			{4, 0, 0, 0, 1},
			{4, 0, 0, 0, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ex.PropertyID = f.Prop.ID
			pmstest.Must(rs.SetExclusions(f.Ctx, tc.ex))(t)
			rep := pmstest.Must(rs.Pace(f.Ctx, reports.PaceQuery{PropertyID: f.Prop.ID, From: T, Days: 8, By: reports.ByDay}, T))(t)
			if !rep.LastYearSnapshot || rep.LastYearAsOf != L {
				t.Errorf("last year as of %s, from the snapshot %v; want %s, true", rep.LastYearAsOf, rep.LastYearSnapshot, L)
			}
			if len(rep.Rows) != len(tc.want) {
				t.Fatalf("%d rows", len(rep.Rows))
			}
			var total row
			for i, w := range tc.want {
				r := rep.Rows[i]
				got := row{r.Available, r.OnBooks, r.Revenue, r.LastYear.OnBooks, r.LastYear.Final}
				if got != w || r.Key != T.AddDays(i).String() {
					t.Errorf("night %s: got %+v, want %+v", r.Key, got, w)
				}
				total = row{total.available + w.available, total.onBooks + w.onBooks, total.revenue + w.revenue, total.lyThen + w.lyThen, total.lyFinal + w.lyFinal}
			}
			got := row{rep.Total.Available, rep.Total.OnBooks, rep.Total.Revenue, rep.TotalLastYear.OnBooks, rep.TotalLastYear.Final}
			if got != total {
				t.Errorf("total %+v, want %+v", got, total)
			}
		})
	}

	// No snapshot of L+1 (the night audit never closed it): last year's
	// on the books a day later are estimated from the reservations, at
	// their dates of today. M counts at its new nights, X is cancelled by
	// then, Y is booked by then.
	pmstest.Must(rs.SetExclusions(f.Ctx, reports.Exclusions{PropertyID: f.Prop.ID}))(t)
	rep := pmstest.Must(rs.Pace(f.Ctx, reports.PaceQuery{PropertyID: f.Prop.ID, From: T.AddDays(1), Days: 7, By: reports.ByDay}, T.AddDays(1)))(t)
	want := []int64{0, 1, 0, 1, 1, 1, 0} // L+1 .. L+7: C; Y; M, M
	if rep.LastYearSnapshot || rep.LastYearAsOf != L.AddDays(1) {
		t.Errorf("estimate: as of %s, from a snapshot %v", rep.LastYearAsOf, rep.LastYearSnapshot)
	}
	for i, w := range want {
		if got := rep.Rows[i].LastYear.OnBooks; got != w {
			t.Errorf("estimate, night %s: last year then %d, want %d", rep.Rows[i].Key, got, w)
		}
	}
}
