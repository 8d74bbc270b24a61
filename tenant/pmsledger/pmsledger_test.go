package pmsledger_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/stays"
)

// fixture is a Berlin property (prices gross, accommodation 7%, city tax
// 3.00 per adult per night, children exempt) with three rooms and a plan at
// 100.00 a night, on a real tenant file whose clock the test sets.
type fixture struct {
	db    *tenant.DB
	led   *ledger.Store
	ctx   context.Context
	clock *auratest.Clock
	loc   *time.Location
	prop  inventory.Property
	rt    inventory.RoomType
	rooms []inventory.Room
	plan  inventory.RatePlan
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func newFixture(t *testing.T, today string) *fixture {
	t.Helper()
	loc := must(time.LoadLocation("Europe/Berlin"))(t)
	d := date.MustParse(today)
	f := &fixture{ctx: auratest.Ctx(), loc: loc, clock: auratest.NewClock(d.Midnight(loc).Add(12 * time.Hour))}
	f.db = auratest.MustOpenTenant(t, auratest.Options{Now: f.clock.Now})
	f.led = ledger.New(f.db)
	f.prop = must(inventory.New(f.db).CreateProperty(f.ctx, inventory.PropertyInput{Name: "Hotel Spree", TimeZone: "Europe/Berlin", Currency: "EUR",
		Address: inventory.Address{Line1: "Spreeweg 1", PostalCode: "10557", City: "Berlin", Country: "DE"},
		Tax: inventory.TaxSettings{PricesIncludeVAT: true, AccommodationVAT: "reduced",
			VATRates: []inventory.VATRate{{Code: "reduced", Name: "Reduced 7%", BasisPoints: 700}, {Code: "standard", Name: "Standard 19%", BasisPoints: 1900}},
			CityTax:  inventory.CityTax{PerPersonPerNight: tenant.Money{Amount: 300, Currency: "EUR"}, ChildrenExempt: true}}}))(t)
	f.rt = must(inventory.New(f.db).CreateRoomType(f.ctx, inventory.RoomTypeInput{PropertyID: f.prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2}))(t)
	for i := 0; i < 3; i++ {
		f.rooms = append(f.rooms, must(inventory.New(f.db).CreateRoom(f.ctx, inventory.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: fmt.Sprint(101 + i), Floor: "1"}))(t))
	}
	two := 2
	f.plan = must(inventory.New(f.db).CreateRatePlan(f.ctx, inventory.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Code: "FLEX", Name: "Flexible",
		Cancellation: inventory.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: inventory.Fee{Type: inventory.FeeFirstNight}},
		NoShow:       inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeePercent, Percent: 100}}, Active: true}))(t)
	must(inventory.New(f.db).UpdateRates(f.ctx, inventory.RateUpdate{RatePlanID: f.plan.ID, From: d, To: d.AddDays(60), Price: &tenant.Money{Amount: 10000, Currency: "EUR"}}))(t)
	return f
}

func (f *fixture) at(d date.Date, hh, mm int) {
	y, m, dd := d.YMD()
	f.clock.Set(time.Date(y, m, dd, hh, mm, 0, 0, f.loc))
}

func (f *fixture) book(t *testing.T, arrival, departure date.Date, adults, children int) stays.Reservation {
	t.Helper()
	b := must(stays.New(f.db).CreateBooking(f.ctx, stays.BookingInput{PropertyID: f.prop.ID, Source: stays.SourceDirect,
		Booker: stays.GuestRef{New: &stays.GuestInput{GivenName: "Ada", FamilyName: "Lovelace"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Arrival: arrival, Departure: departure,
			Adults: adults, Children: children}}}))(t)
	return b.Reservations[0]
}

func (f *fixture) lines(t *testing.T, resID string) []ledger.Line {
	t.Helper()
	var out []ledger.Line
	for _, fo := range must(f.led.Folios(f.ctx, ledger.Ref{Kind: ledger.RefReservation, ID: resID}))(t) {
		out = append(out, must(f.led.Folio(f.ctx, fo.ID))(t).Lines...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ServiceDate.Before(out[j].ServiceDate) })
	return out
}

// TestNightAuditPosts runs the real night audit over a stay across New
// Year and a VAT change (7% to 5% on 2026-01-02) and a city-tax change (a
// per-person amount to Berlin's 7.5% of net from 2026-01-01): each night
// is posted on its own business date, in its own year, with the rate and
// the city-tax version of its date; closing again, or catching up after
// days down, posts nothing twice.
func TestNightAuditPosts(t *testing.T) {
	f := newFixture(t, "2025-12-29")
	arrival, departure := date.MustParse("2025-12-30"), date.MustParse("2026-01-03")
	r := f.book(t, arrival, departure, 2, 1)
	other := f.book(t, arrival, date.MustParse("2025-12-31"), 1, 0) // checks out after one night

	// The ledger is derived from the property's tax settings on first use;
	// then the operator dates a VAT change and a new city tax in it.
	if err := f.db.Update(f.ctx, func(tx *tenant.Tx) error {
		did, err := pmsledger.Ensure(tx, f.db, f.prop)
		if err == nil && !did {
			err = fmt.Errorf("Ensure did not configure a new ledger")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cfg := must(f.led.Config(f.ctx, f.prop.ID))(t)
	red := cfg.TaxCodes["reduced"]
	red.Rates = append(red.Rates, ledger.Rate{ValidFrom: date.MustParse("2026-01-02"), BasisPoints: 500})
	must(f.led.SetTaxCode(f.ctx, f.prop.ID, red))(t)
	versions := append(cfg.CityTax, ledger.CityTaxRule{ValidFrom: date.MustParse("2026-01-01"), Kind: ledger.CityTaxPercentOfNet,
		BasisPoints: 750, MaxNights: 21, TaxCode: pmsledger.TaxCodeCityTax, Category: pmsledger.CategoryCityTax, Description: "City tax"})
	must(f.led.SetCityTax(f.ctx, f.prop.ID, versions, 1))(t)

	f.at(arrival, 16, 0)
	must(stays.New(f.db).CheckIn(f.ctx, r.ID, stays.CheckInInput{RoomID: f.rooms[0].ID}))(t)
	must(stays.New(f.db).CheckIn(f.ctx, other.ID, stays.CheckInInput{RoomID: f.rooms[1].ID}))(t)

	// Night of the 30th closes at 03:00 on the 31st.
	f.at(arrival.AddDays(1), 3, 0)
	res := must(frontdesk.New(f.db).RunNightAudit(context.Background(), f.prop.ID))(t)
	if n := len(res.Closed); n != 2 || res.Closed[0].Posted != 0 || res.Closed[1].Posted != 2 {
		t.Fatalf("first close %+v, want the 29th with nothing and the 30th with two nights posted", res.Closed)
	}
	// The one-night guest owes 100 + 3.00: check-out is refused until paid.
	f.at(arrival.AddDays(1), 10, 0)
	_, err := stays.New(f.db).CheckOut(f.ctx, other.ID, 0)
	if aura.ErrorCode(err) != aura.ECONFLICT || !strings.Contains(aura.ErrorMessage(err), "103,00") {
		t.Fatalf("check-out with an open balance: %v", err)
	}
	fo := must(f.led.Folios(f.ctx, ledger.Ref{Kind: ledger.RefReservation, ID: other.ID}))(t)[0]
	must(f.led.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fo.ID, Method: ledger.MethodCash, Amount: 10300, BusinessDate: arrival.AddDays(1)}))(t)
	if out := must(stays.New(f.db).CheckOut(f.ctx, other.ID, 0))(t); out.Balance.Amount != 0 || out.Unsettled {
		t.Fatalf("check-out after payment %+v", out)
	}

	// The server is down over New Year: the run on the 3rd at 04:00 closes
	// the 31st, the 1st and the 2nd, each with its night.
	f.at(departure, 4, 0)
	res = must(frontdesk.New(f.db).RunNightAudit(context.Background(), f.prop.ID))(t)
	if len(res.Closed) != 3 {
		t.Fatalf("catch-up closed %d dates, want 3", len(res.Closed))
	}
	// Nothing twice: a second run closes nothing, and PostNight of a night
	// already posted skips every item.
	if res := must(frontdesk.New(f.db).RunNightAudit(context.Background(), f.prop.ID))(t); len(res.Closed) != 0 {
		t.Fatalf("second run closed %+v", res.Closed)
	}
	again := must(f.led.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop.ID, BusinessDate: arrival,
		Nights: []ledger.NightPosting{{Reservation: r.ID, Night: ledger.Night{Date: arrival, Price: 10000, Party: ledger.Party{Adults: 2}}}}}))(t)
	if len(again.Posted) != 0 || len(again.Skipped) != 2 {
		t.Fatalf("posting a night again: %+v", again)
	}

	type want struct {
		night, item string
		rate        int
		gross, tax  int64
	}
	// Gross prices: 100.00 at 7% is 93.46 + 6.54; at 5% 95.24 + 4.76. City
	// tax 2025: 2 adults × 3.00 (the child exempt); 2026: 7.5% of the net
	// room (93.46 → 7.01; 95.24 → 7.14), exempt from VAT.
	wants := []want{
		{"2025-12-30", "room", 700, 10000, 654}, {"2025-12-30", "city_tax", 0, 600, 0},
		{"2025-12-31", "room", 700, 10000, 654}, {"2025-12-31", "city_tax", 0, 600, 0},
		{"2026-01-01", "room", 700, 10000, 654}, {"2026-01-01", "city_tax", 0, 701, 0},
		{"2026-01-02", "room", 500, 10000, 476}, {"2026-01-02", "city_tax", 0, 714, 0},
	}
	got := f.lines(t, r.ID)
	if len(got) != len(wants) {
		t.Fatalf("posted %d lines, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		l := got[i]
		if l.ServiceDate.String() != w.night || l.Item != w.item || l.TaxRate != w.rate || l.Gross != w.gross || l.Tax != w.tax {
			t.Errorf("line %d: %s %s rate %d gross %d tax %d, want %+v", i, l.ServiceDate, l.Item, l.TaxRate, l.Gross, l.Tax, w)
		}
		// Each night is revenue of its own business date (and year).
		if l.BusinessDate != l.ServiceDate {
			t.Errorf("line %d of %s posted on business date %s", i, l.ServiceDate, l.BusinessDate)
		}
	}
	// The invoice at departure reconciles and splits the years' rates.
	f.at(departure, 10, 0)
	fol := must(f.led.Folios(f.ctx, ledger.Ref{Kind: ledger.RefReservation, ID: r.ID}))(t)[0]
	st := must(f.led.Settings(f.ctx, f.prop.ID))(t)
	st.Legal.VATID = "DE123456789"
	must(f.led.Configure(f.ctx, st))(t)
	doc := must(f.led.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: departure,
		Recipient: ledger.Recipient{Name: "Ada Lovelace", Address: ledger.Address{Country: "GB"}}}))(t)
	if doc.Totals.Gross != 4*10000+600+600+701+714 || len(doc.Taxes) != 3 {
		t.Fatalf("invoice totals %+v, taxes %+v", doc.Totals, doc.Taxes)
	}
}

// TestFeesPost books a cancellation fee when a confirmed stay is cancelled
// inside the policy's window and a no-show fee when the night audit marks
// a no-show, each once; a waived fee posts nothing.
func TestFeesPost(t *testing.T) {
	f := newFixture(t, "2026-03-01")
	d := date.MustParse("2026-03-01")
	late := f.book(t, d.AddDays(1), d.AddDays(3), 2, 0)   // cancelled the day before: first night
	waived := f.book(t, d.AddDays(1), d.AddDays(2), 1, 0) // cancelled with the fee waived
	noShow := f.book(t, d, d.AddDays(2), 2, 0)            // never arrives: 100% of the stay
	must(stays.New(f.db).Cancel(f.ctx, late.ID, stays.CancelInput{}))(t)
	must(stays.New(f.db).Cancel(f.ctx, waived.ID, stays.CancelInput{WaiveFee: true}))(t)
	f.at(d.AddDays(1), 3, 0)
	res := must(frontdesk.New(f.db).RunNightAudit(context.Background(), f.prop.ID))(t)
	if len(res.Closed) != 1 || len(res.Closed[0].NoShows) != 1 {
		t.Fatalf("night audit %+v", res.Closed)
	}
	for _, c := range []struct {
		id, desc string
		gross    int64
	}{{late.ID, "Cancellation fee", 10000}, {noShow.ID, "No-show fee", 20000}} {
		ls := f.lines(t, c.id)
		if len(ls) != 1 || ls[0].Description != c.desc || ls[0].Gross != c.gross || ls[0].TaxRate != 700 {
			t.Errorf("%s: lines %+v, want one %q of %d at 7%%", c.desc, ls, c.desc, c.gross)
		}
	}
	if ls := f.lines(t, waived.ID); len(ls) != 0 {
		t.Errorf("a waived fee posted %+v", ls)
	}
}

// TestCheckOutCityLedger leaves an open balance on the city ledger with a
// reason: a city_ledger payment settles the folio, audited; without a
// reason it is refused and nothing changes.
func TestCheckOutCityLedger(t *testing.T) {
	f := newFixture(t, "2026-03-01")
	d := date.MustParse("2026-03-01")
	r := f.book(t, d, d.AddDays(1), 2, 0)
	f.at(d, 15, 0)
	must(stays.New(f.db).CheckIn(f.ctx, r.ID, stays.CheckInInput{RoomID: f.rooms[0].ID}))(t)
	f.at(d.AddDays(1), 3, 0)
	must(frontdesk.New(f.db).RunNightAudit(context.Background(), f.prop.ID))(t)
	f.at(d.AddDays(1), 10, 0)
	_, err := stays.New(f.db).CheckOutWith(f.ctx, r.ID, stays.CheckOutInput{CityLedger: true})
	if aura.ErrorCode(err) != aura.EINVALID {
		t.Fatalf("city ledger without a reason: %v", err)
	}
	if got := must(stays.New(f.db).GetReservation(f.ctx, r.ID))(t).Status; got != stays.ReservationInHouse {
		t.Fatalf("status after a refused check-out %s", got)
	}
	out := must(stays.New(f.db).CheckOutWith(f.ctx, r.ID, stays.CheckOutInput{CityLedger: true, Reason: "Billed to ACME GmbH"}))(t)
	if out.CityLedger.Amount != 10600 || !out.Unsettled || out.Reservation.Status != stays.ReservationCheckedOut {
		t.Fatalf("check-out on the city ledger %+v", out)
	}
	fo := must(f.led.Folios(f.ctx, ledger.Ref{Kind: ledger.RefReservation, ID: r.ID}))(t)[0]
	v := must(f.led.Folio(f.ctx, fo.ID))(t)
	if v.Balance.Balance != 0 || len(v.Payments) != 1 || v.Payments[0].Method != ledger.MethodCityLedger || v.Payments[0].Note != "Billed to ACME GmbH" {
		t.Fatalf("folio after city ledger %+v", v)
	}
}
