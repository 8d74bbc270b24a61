package reports_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// cityTaxHotel runs a hotel charging 3.00 city tax per adult and night
// (children under 14 exempt, at most 2 nights a stay, none from 2 February
// 2027 on) through the real booking, check-in and night-audit paths:
//
//	A: 2 adults + 1 child, 30 Jan – 2 Feb: two taxed nights (2 liable, the
//	   child exempt), the third exempt by length of stay
//	B: 1 adult, 31 Jan – 1 Feb: taxed; 1.00 of its city tax allowed
//	C: 2 adults, 30 – 31 Jan, cancelled: no night, no city tax
//	D: 1 adult, 1 – 3 Feb: 1 Feb taxed, 2 Feb not levied
func cityTaxHotel(t *testing.T) *pmstest.Fixture {
	t.Helper()
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2027-01-30")
	ctx := context.Background()
	if err := f.DB.Update(f.Ctx, func(tx *tenant.Tx) error {
		_, err := pmsledger.Ensure(tx, f.DB, f.Prop)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	led := ledger.New(f.DB)
	pmstest.Must(led.SetCityTax(f.Ctx, f.Prop.ID, []ledger.CityTaxRule{
		{ValidFrom: pmsledger.Since, Kind: ledger.CityTaxPerPersonNight, Amount: 300, ChildExemptBelowAge: 14, MaxNights: 2,
			TaxCode: pmsledger.TaxCodeCityTax, Category: pmsledger.CategoryCityTax, Description: "City tax"},
		{ValidFrom: date.MustParse("2027-02-02"), Kind: ledger.CityTaxNone},
	}, 0))(t)
	st := stays.New(f.DB)
	audit := func(d date.Date) {
		f.At(d, 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(ctx, f.Prop.ID))(t)
	}
	book := func(arrival, departure date.Date, adults, children int) stays.Reservation {
		in := f.Booking(arrival, departure)
		in.Reservations[0].Adults, in.Reservations[0].Children = adults, children
		return pmstest.Must(st.CreateBooking(f.Ctx, in))(t).Reservations[0]
	}
	jan30, jan31, feb1, feb2, feb3 := f.Day(0), f.Day(1), f.Day(2), f.Day(3), f.Day(4)
	f.At(jan30, 12, 0)
	a := book(jan30, feb2, 2, 1)
	b := book(jan31, feb1, 1, 0)
	c := book(jan30, jan31, 2, 0)
	d := book(feb1, feb3, 1, 0)
	pmstest.Must(st.Cancel(f.Ctx, c.ID, stays.CancelInput{}))(t)
	f.At(jan30, 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, a.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	audit(jan31)
	f.At(jan31, 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, b.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
	audit(feb1)
	fo := pmstest.Must(led.GuestFolio(f.Ctx, f.Prop.ID, b.ID))(t)
	var tax ledger.Line
	for _, l := range pmstest.Must(led.Folio(f.Ctx, fo.ID))(t).Lines {
		if l.Item == ledger.ItemCityTax {
			tax = l
		}
	}
	if tax.ID == "" || tax.Gross != 300 {
		t.Fatalf("B's city-tax line: %+v", tax)
	}
	pmstest.Must(led.PostAllowance(f.Ctx, ledger.AllowanceInput{LineID: tax.ID, Amount: 100, BusinessDate: feb1, Reason: "Disabled guest's companion"}))(t)
	f.At(feb1, 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, d.ID, stays.CheckInInput{RoomID: f.Rooms[2].ID}))(t)
	audit(feb2)
	audit(feb3)
	return f
}

// TestCityTaxReport checks the city-tax return of cityTaxHotel against
// figures computed by hand from the stays above.
func TestCityTaxReport(t *testing.T) {
	f := cityTaxHotel(t)
	rep := pmstest.Must(reports.New(f.DB).CityTax(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(4)}))(t)
	type want struct {
		key                                  string
		rn, gn, trn, tgn, child, los, notLev int64
		charged, allowed, amount             int64
	}
	for i, w := range []want{
		{"2027-01", 3, 7, 3, 5, 2, 0, 0, 1500, 100, 1400},
		{"2027-02", 3, 5, 1, 1, 0, 3, 1, 300, 0, 300},
		{"total", 6, 12, 4, 6, 2, 3, 1, 1800, 100, 1700},
	} {
		var r reports.CityTaxRow
		if i < len(rep.Rows) {
			r = rep.Rows[i]
		} else {
			r = rep.Total
		}
		got := want{r.Key, r.RoomNights, r.GuestNights, r.TaxableRoomNights, r.TaxableGuestNights, r.Exempt.Children, r.Exempt.LengthOfStay, r.Exempt.NotLevied,
			r.Charged.Gross, r.Allowed.Gross, r.Amount.Gross}
		if got != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, w)
		}
		if r.TaxableGuestNights+r.Exempt.Total() != r.GuestNights {
			t.Errorf("row %s: taxable %d + exempt %d != guest-nights %d", r.Key, r.TaxableGuestNights, r.Exempt.Total(), r.GuestNights)
		}
		if r.Exempt.Other != 0 {
			t.Errorf("row %s: %d guest-nights exempt for no known reason", r.Key, r.Exempt.Other)
		}
	}
	if len(rep.Rows) != 2 || len(rep.Rules) != 2 {
		t.Errorf("rows %d, rules %d; want 2 months and the 2 versions in force", len(rep.Rows), len(rep.Rules))
	}
	// A period of one night reads only that night.
	one := pmstest.Must(reports.New(f.DB).CityTax(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: f.Day(2), To: f.Day(3)}))(t)
	if one.Total.RoomNights != 2 || one.Total.Amount.Gross != 300 || one.Total.Exempt.LengthOfStay != 3 || len(one.Rules) != 1 {
		t.Errorf("1 February: %+v, rules %d", one.Total, len(one.Rules))
	}

	recs := csvWritten(t, true, func(w io.Writer, bom bool) error { return reports.WriteCityTaxCSV(w, rep, bom) })
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(reports.CityTaxColumns, ",") {
		t.Fatalf("CSV: %q", recs)
	}
	col := func(rec []string, name string) string {
		for i, c := range reports.CityTaxColumns {
			if c == name {
				return rec[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if col(recs[1], "month") != "2027-01" || col(recs[1], "amount_gross") != "14.00" || col(recs[1], "exempt_children") != "2" ||
		col(recs[3], "month") != "total" || col(recs[3], "taxable_guest_nights") != "6" || col(recs[3], "exempt_length_of_stay") != "3" {
		t.Errorf("CSV rows: %q", recs[1:])
	}

	// Bad periods are EINVALID naming the field; an unknown property is ENOTFOUND.
	_, err := reports.New(f.DB).CityTax(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: f.Day(4), To: f.Day(0)})
	if !pmstest.HasField(err, "to") {
		t.Errorf("reversed period: %v", err)
	}
	_, err = reports.New(f.DB).CityTax(f.Ctx, reports.Period{PropertyID: "prp_nope", From: f.Day(0), To: f.Day(4)})
	pmstest.WantCode(t, err, "not_found")
}
