package reports_test

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	_ "github.com/aurapms/aura/tenant/pmsledger" // the night audit posts through it
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// newYear runs a small hotel over New Year 2026/27 through the real
// booking, check-in, night audit, cancellation, no-show and allowance
// paths: four rooms at 100.00 a night (7% VAT included), room 104 out of
// order on the nights of 31 December and 1 January.
//
//	A: 30 Dec – 1 Jan, room 101, in house; 10.00 allowed off the night of 31 Dec
//	B: 31 Dec – 2 Jan, room 102, in house (its stay splits across the years)
//	C: 31 Dec – 1 Jan, cancelled on 30 Dec: first-night fee 100.00
//	D: 30 Dec – 31 Dec, a no-show: 100% fee 100.00
//
// 100.00 gross at 7% included is 93.46 net (tax 6.54); the 10.00
// allowance is 9.35 net (tax 0.65).
func newYear(t *testing.T) *pmstest.Fixture {
	t.Helper()
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2026-12-30")
	st := stays.New(f.DB)
	dec30, dec31, jan1, jan2 := f.Day(0), f.Day(1), f.Day(2), f.Day(3)
	audit := func(d date.Date) {
		f.At(d, 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(context.Background(), f.Prop.ID))(t)
	}
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[3].ID, Kind: "out_of_order", Start: dec31, End: jan2, Reason: "Water damage"}))(t)
	f.At(dec30, 12, 0)
	a := f.Book(t, dec30, jan1)
	b := f.Book(t, dec31, jan2)
	c := f.Book(t, dec31, jan1)
	d := f.Book(t, dec30, dec31)
	pmstest.Must(st.Cancel(f.Ctx, c.ID, stays.CancelInput{}))(t)
	f.At(dec30, 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, a.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	f.At(dec30, 23, 0)
	pmstest.Must(st.MarkNoShow(f.Ctx, d.ID, stays.NoShowInput{}))(t)
	audit(dec31)
	f.At(dec31, 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, b.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
	audit(jan1)
	led := ledger.New(f.DB)
	fo := pmstest.Must(led.GuestFolio(f.Ctx, f.Prop.ID, a.ID))(t)
	var night ledger.Line
	for _, l := range pmstest.Must(led.Folio(f.Ctx, fo.ID))(t).Lines {
		if l.Item == ledger.ItemRoom && l.Night == dec31 {
			night = l
		}
	}
	if night.ID == "" {
		t.Fatal("the night audit posted no room line for A's night of 31 December")
	}
	pmstest.Must(led.PostAllowance(f.Ctx, ledger.AllowanceInput{LineID: night.ID, Amount: 1000, BusinessDate: jan1, Reason: "Noisy heating"}))(t)
	bal := pmstest.Must(led.FolioBalance(f.Ctx, fo.ID))(t)
	pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: fo.ID, Method: "cash", Amount: bal.Balance, BusinessDate: jan1}))(t)
	f.At(jan1, 10, 0)
	pmstest.Must(st.CheckOut(f.Ctx, a.ID, 0))(t)
	audit(jan2)
	return f
}

// fig is the part of reports.Figures a table row states by hand.
type fig struct {
	roomNights, ooo, avail, sold  int64
	roomNet, roomGross            int64
	feesNet, feesGross            int64
	cancellations, noShows        int64
	occ, adrNet, adrGross, revpar int64 // revpar is gross
}

func figOf(f reports.Figures) fig {
	return fig{f.RoomNights, f.OutOfOrder, f.Available, f.Sold, f.Room.Net, f.Room.Gross, f.Fees.Net, f.Fees.Gross,
		f.Cancellations, f.NoShows, f.Occupancy, f.ADR.Net, f.ADR.Gross, f.RevPAR.Gross}
}

func TestEngineNewYear(t *testing.T) {
	f := newYear(t)
	s := reports.New(f.DB)
	from, to := f.Day(0), f.Day(3)
	run := func(by string) reports.Report {
		t.Helper()
		return pmstest.Must(s.Run(f.Ctx, reports.Query{PropertyID: f.Prop.ID, From: from, To: to, By: by}))(t)
	}
	// Hand-computed: 30 Dec sells A (D is a no-show: its fee only); 31 Dec
	// sells A and B of 3 available rooms (104 out of order; C cancelled:
	// its fee only), room revenue 100 + 100 − 10 = 190.00 gross, 186.92 −
	// 9.35 = 177.57 net; 1 Jan sells B of 3.
	dec30 := fig{4, 0, 4, 1, 9346, 10000, 9346, 10000, 0, 1, 2500, 9346, 10000, 2500}
	dec31 := fig{4, 1, 3, 2, 17757, 19000, 9346, 10000, 1, 0, 6667, 8879, 9500, 6333}
	jan1 := fig{4, 1, 3, 1, 9346, 10000, 0, 0, 0, 0, 3333, 9346, 10000, 3333}
	// December: 3 sold of 7, 290.00 gross, 271.03 net; January: 1 of 3.
	decM := fig{8, 1, 7, 3, 27103, 29000, 18692, 20000, 1, 1, 4286, 9034, 9667, 4143}
	all := fig{12, 2, 10, 4, 36449, 39000, 18692, 20000, 1, 1, 4000, 9112, 9750, 3900}
	for _, tc := range []struct {
		by   string
		want map[string]fig
	}{
		{reports.ByDay, map[string]fig{"2026-12-30": dec30, "2026-12-31": dec31, "2027-01-01": jan1}},
		{reports.ByMonth, map[string]fig{"2026-12": decM, "2027-01": jan1}},
		{reports.ByRoomType, map[string]fig{f.RT.ID: all}},
		{reports.ByRatePlan, map[string]fig{f.Plan.ID: all}},
		{reports.ByChannel, map[string]fig{stays.SourceDirect: all}},
	} {
		t.Run(tc.by, func(t *testing.T) {
			rep := run(tc.by)
			if len(rep.Rows) != len(tc.want) {
				t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), len(tc.want), rep.Rows)
			}
			for _, r := range rep.Rows {
				if got := figOf(r.Figures); got != tc.want[r.Key] {
					t.Errorf("row %s:\n got %+v\nwant %+v", r.Key, got, tc.want[r.Key])
				}
			}
			if got := figOf(rep.Total); got != all {
				t.Errorf("total:\n got %+v\nwant %+v", got, all)
			}
			if rep.Currency != "EUR" {
				t.Errorf("currency %q", rep.Currency)
			}
		})
	}
	t.Run("category", func(t *testing.T) {
		rep := run(reports.ByCategory)
		if len(rep.Rows) != 1 || rep.Rows[0].Key != "ACC" || rep.Rows[0].Label != "Accommodation" {
			t.Fatalf("rows %+v", rep.Rows)
		}
		// Category rows carry no sold nights; room and fee revenue is all
		// accommodation here.
		r := rep.Rows[0]
		if r.Sold != 0 || r.Total.Gross != 59000 || r.Room.Gross != 39000 || r.Fees.Gross != 20000 || rep.Total.Sold != 4 {
			t.Fatalf("row %+v total %+v", r.Figures, rep.Total)
		}
	})
	t.Run("one night across the years", func(t *testing.T) {
		// B's two nights: one in each year, each exactly its posted line.
		for _, q := range []struct {
			from, to date.Date
			gross    int64
		}{{f.Day(1), f.Day(2), 19000}, {f.Day(2), f.Day(3), 10000}, {f.Day(-10), f.Day(0), 0}} {
			rep := pmstest.Must(s.Run(f.Ctx, reports.Query{PropertyID: f.Prop.ID, From: q.from, To: q.to, By: reports.ByMonth}))(t)
			if rep.Total.Room.Gross != q.gross {
				t.Errorf("%s–%s: room gross %d, want %d", q.from, q.to, rep.Total.Room.Gross, q.gross)
			}
		}
	})
}

// TestEngineIgnoresTodaysRates: changing the rate calendar after the
// nights were posted changes no figure of the past.
func TestEngineIgnoresTodaysRates(t *testing.T) {
	f := newYear(t)
	q := reports.Query{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(3), By: reports.ByDay}
	before := pmstest.Must(reports.New(f.DB).Run(f.Ctx, q))(t)
	f.SetPrice(t, f.Plan.ID, f.Day(0), f.Day(30), 55500)
	after := pmstest.Must(reports.New(f.DB).Run(f.Ctx, q))(t)
	if figOf(before.Total) != figOf(after.Total) || before.Total.Room.Gross != 39000 {
		t.Fatalf("before %+v\nafter %+v", before.Total, after.Total)
	}
}

func TestEngineRefuses(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-12-30")
	s := reports.New(f.DB)
	d := f.Day(0)
	for _, tc := range []struct {
		name  string
		q     reports.Query
		code  string
		field string
	}{
		{"no property", reports.Query{From: d, To: d.AddDays(1), By: reports.ByDay}, "invalid", "property_id"},
		{"empty range", reports.Query{PropertyID: f.Prop.ID, From: d, To: d, By: reports.ByDay}, "invalid", "to"},
		{"too long", reports.Query{PropertyID: f.Prop.ID, From: d, To: d.AddDays(400), By: reports.ByDay}, "invalid", "to"},
		{"no start", reports.Query{PropertyID: f.Prop.ID, To: d, By: reports.ByDay}, "invalid", "from"},
		{"bad grouping", reports.Query{PropertyID: f.Prop.ID, From: d, To: d.AddDays(1), By: "week"}, "invalid", "by"},
		{"unknown property", reports.Query{PropertyID: "prop_nope", From: d, To: d.AddDays(1), By: reports.ByDay}, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Run(f.Ctx, tc.q)
			pmstest.WantCode(t, err, tc.code)
			if tc.field != "" && !pmstest.HasField(err, tc.field) {
				t.Fatalf("%v does not name %s", err, tc.field)
			}
		})
	}
}

// TestReportCSV parses the CSV back: one header row, ISO dates, amounts
// as decimals with the currency's minor units, the total last, and the
// byte order mark only when asked for.
func TestReportCSV(t *testing.T) {
	f := newYear(t)
	rep := pmstest.Must(reports.New(f.DB).Run(f.Ctx, reports.Query{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(3), By: reports.ByDay}))(t)
	for _, bom := range []bool{false, true} {
		recs := csvWritten(t, bom, func(w io.Writer, bom bool) error { return reports.WriteCSV(w, rep, bom) })
		if !slices.Equal(recs[0], reports.ReportColumns) || len(recs) != 1+3+1 {
			t.Fatalf("header %v, %d records", recs[0], len(recs))
		}
		col := map[string]int{}
		for i, c := range recs[0] {
			col[c] = i
		}
		want := []map[string]string{
			{"key": "2026-12-30", "sold": "1", "occupancy_percent": "25.00", "room_revenue_gross": "100.00", "room_revenue_net": "93.46", "fees_gross": "100.00", "no_shows": "1"},
			{"key": "2026-12-31", "available": "3", "occupancy_percent": "66.67", "room_revenue_net": "177.57", "adr_gross": "95.00", "revpar_gross": "63.33", "cancellations": "1"},
			{"key": "2027-01-01", "sold": "1", "occupancy_percent": "33.33", "revpar_gross": "33.33", "currency": "EUR"},
			{"key": "total", "sold": "4", "available": "10", "occupancy_percent": "40.00", "room_revenue_gross": "390.00", "total_revenue_gross": "590.00"},
		}
		for i, w := range want {
			for k, v := range w {
				if got := recs[i+1][col[k]]; got != v {
					t.Errorf("bom %v row %d %s = %q, want %q", bom, i+1, k, got, v)
				}
			}
		}
	}
}
