package reports_test

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// paceHotel is a 4-room hotel on Wednesday 10 March 2027 (T) with a year
// of history. L is T − 364 days (Wednesday 11 March 2026):
//
//	R1: booked L−10, nights L+1, L+2; both posted (100.00 each)
//	R2: booked L+5 (after L), night L+2; posted
//	R3: booked L−5, night L+3, cancelled L+1 (on the books at L, not sold)
//	S1: booked T, nights T+1, T+2
//	S2: booked T, night T+2, cancelled at once
func paceHotel(t *testing.T) (*pmstest.Fixture, date.Date, date.Date) {
	t.Helper()
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2027-03-10")
	f.SetPrice(t, f.Plan.ID, f.Day(-420), f.Day(-30), pmstest.Nightly)
	T, L := f.Today, f.Today.AddDays(-reports.LastYearDays)
	st := stays.New(f.DB)
	f.At(L.AddDays(-10), 12, 0)
	r1 := f.Book(t, L.AddDays(1), L.AddDays(3))
	f.At(L.AddDays(-5), 12, 0)
	r3 := f.Book(t, L.AddDays(3), L.AddDays(4))
	f.At(L.AddDays(1), 12, 0)
	pmstest.Must(st.Cancel(f.Ctx, r3.ID, stays.CancelInput{WaiveFee: true}))(t)
	f.At(L.AddDays(1), 13, 0)
	r2 := f.Book(t, L.AddDays(2), L.AddDays(3))
	if err := f.DB.Update(f.Ctx, func(tx *tenant.Tx) error {
		_, err := pmsledger.Ensure(tx, f.DB, f.Prop)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	led := ledger.New(f.DB)
	for _, n := range []struct {
		res  string
		date date.Date
	}{{r1.ID, L.AddDays(1)}, {r1.ID, L.AddDays(2)}, {r2.ID, L.AddDays(2)}} {
		pmstest.Must(led.PostNight(f.Ctx, ledger.NightBatch{PropertyID: f.Prop.ID, BusinessDate: n.date, Nights: []ledger.NightPosting{{Reservation: n.res,
			Night: ledger.Night{Date: n.date, Price: pmstest.Nightly, Party: ledger.Party{Adults: 2}}}}}))(t)
	}
	f.At(T, 12, 0)
	f.Book(t, T.AddDays(1), T.AddDays(3))
	s2 := f.Book(t, T.AddDays(2), T.AddDays(3))
	pmstest.Must(st.Cancel(f.Ctx, s2.ID, stays.CancelInput{WaiveFee: true}))(t)
	return f, T, L
}

// TestPace checks the on-the-books of paceHotel night by night against
// hand-computed figures, and last year's at the same lead time.
func TestPace(t *testing.T) {
	f, T, _ := paceHotel(t)
	rep := pmstest.Must(reports.New(f.DB).Pace(f.Ctx, reports.PaceQuery{PropertyID: f.Prop.ID, From: T, Days: 5, By: reports.ByDay}, T))(t)
	type row struct {
		onBooks, revenue, occ, lyThen, lyFinal, lyRevenue int64
	}
	want := []row{
		{0, 0, 0, 0, 0, 0},
		{1, 10000, 2500, 1, 1, 10000},
		{1, 10000, 2500, 1, 2, 20000},
		{0, 0, 0, 1, 0, 0},
		{0, 0, 0, 0, 0, 0},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	for i, w := range want {
		r := rep.Rows[i]
		got := row{r.OnBooks, r.Revenue, r.Occupancy, r.LastYear.OnBooks, r.LastYear.Final, r.LastYear.Revenue}
		if got != w || r.Key != T.AddDays(i).String() || r.Available != 4 {
			t.Errorf("night %s: got %+v, want %+v (available %d)", r.Key, got, w, r.Available)
		}
	}
	if rep.Total.OnBooks != 2 || rep.Total.Available != 20 || rep.Total.Occupancy != 1000 || rep.TotalLastYear.OnBooks != 3 || rep.TotalLastYear.Final != 3 || rep.TotalLastYear.Revenue != 30000 {
		t.Errorf("totals %+v, last year %+v", rep.Total, rep.TotalLastYear)
	}
	// The default: 365 nights by month, the first month clipped to start on T.
	year := pmstest.Must(reports.New(f.DB).Pace(f.Ctx, reports.PaceQuery{PropertyID: f.Prop.ID, From: T}, T))(t)
	if len(year.Rows) != 13 || year.Rows[0].Key != "2027-03" || year.Rows[0].Available != 22*4 || year.Total.OnBooks != 2 || year.Days != 365 {
		t.Errorf("a year by month: %d rows, first %+v, total %+v", len(year.Rows), year.Rows[0], year.Total)
	}
	for _, bad := range []reports.PaceQuery{{PropertyID: f.Prop.ID, From: T, Days: 400}, {PropertyID: f.Prop.ID, From: T, By: reports.ByRoomType}, {PropertyID: f.Prop.ID}} {
		_, err := reports.New(f.DB).Pace(f.Ctx, bad, T)
		pmstest.WantCode(t, err, "invalid")
	}
}

// TestDaily checks the daily manager report of paceHotel by hand: a day
// against the same weekday last year, the month to date against the same
// dates a year earlier, arrivals and the month's forecast.
func TestDaily(t *testing.T) {
	f, T, L := paceHotel(t)
	rep := pmstest.Must(reports.New(f.DB).Daily(f.Ctx, f.Prop.ID, T.AddDays(2), T))(t)
	if rep.LastYearDate != L.AddDays(2) || rep.Day.Sold != 1 || rep.Day.Available != 4 || rep.Day.Occupancy != 2500 || rep.Day.Room.Gross != 0 {
		t.Errorf("day %s: %+v", rep.Date, rep.Day)
	}
	if rep.DayLastYear.Sold != 2 || rep.DayLastYear.Room.Gross != 20000 || rep.DayLastYear.ADR.Gross != 10000 {
		t.Errorf("same day last year %s: %+v", rep.LastYearDate, rep.DayLastYear)
	}
	// 1–12 March 2027 against 1–12 March 2026.
	if rep.MonthToDate.Sold != 2 || rep.MonthToDate.Available != 48 || rep.MonthToDateLY.Sold != 1 || rep.MonthToDateLY.Room.Gross != 10000 {
		t.Errorf("month to date %+v, last year %+v", rep.MonthToDate, rep.MonthToDateLY)
	}
	fc := rep.Forecast
	if fc.Sold != 2 || fc.Available != 124 || fc.Posted != 0 || fc.OnBooks != 20000 || fc.RoomRevenue != 20000 || fc.From != date.MustParse("2027-03-01") {
		t.Errorf("forecast %+v", fc)
	}
	if rep.Arrivals != 0 || rep.Departures != 0 {
		t.Errorf("arrivals %d, departures %d on 12 March", rep.Arrivals, rep.Departures)
	}
	arr := pmstest.Must(reports.New(f.DB).Daily(f.Ctx, f.Prop.ID, T.AddDays(1), T))(t)
	dep := pmstest.Must(reports.New(f.DB).Daily(f.Ctx, f.Prop.ID, T.AddDays(3), T))(t)
	if arr.Arrivals != 1 || dep.Departures != 1 {
		t.Errorf("arrivals on 11 March %d, departures on 13 March %d", arr.Arrivals, dep.Departures)
	}
	// Last year's March as its business date L+3 saw it: three nights
	// posted, nothing left on the books (R3 was cancelled).
	ly := pmstest.Must(reports.New(f.DB).Daily(f.Ctx, f.Prop.ID, L.AddDays(2), L.AddDays(3)))(t)
	if ly.Forecast.Posted != 30000 || ly.Forecast.OnBooks != 0 || ly.Forecast.Sold != 3 || ly.Forecast.RoomRevenue != 30000 {
		t.Errorf("last year's forecast %+v", ly.Forecast)
	}
	_, err := reports.New(f.DB).Daily(f.Ctx, f.Prop.ID, date.Date{}, T)
	pmstest.WantCode(t, err, "invalid")
}
