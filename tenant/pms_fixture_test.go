package tenant_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
)

// fixture is one property with one room type of n rooms and a flexible
// rate plan priced 100.00 EUR a night from 30 days before today to 400
// days after, on a real tenant file whose clock the test controls.
type fixture struct {
	db    *tenant.DB
	ctx   context.Context
	clock *auratest.Clock
	loc   *time.Location
	prop  tenant.Property
	rt    tenant.RoomType
	rooms []tenant.Room
	plan  tenant.RatePlan
	today date.Date
}

const nightly = 10000 // 100.00 EUR

func newFixture(tb testing.TB, zone string, rooms int, today string) *fixture {
	tb.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{ctx: auratest.Ctx(), loc: loc, today: date.MustParse(today)}
	f.clock = auratest.NewClock(f.today.Midnight(loc).Add(12 * time.Hour))
	f.db = auratest.MustOpenTenant(tb, auratest.Options{Now: f.clock.Now})
	f.prop = must(f.db.CreateProperty(f.ctx, tenant.PropertyInput{Name: "Hotel Test", TimeZone: zone, Currency: "EUR",
		Tax: tenant.TaxSettings{PricesIncludeVAT: true, VATRates: []tenant.VATRate{{Code: "reduced", Name: "Reduced", BasisPoints: 700}}, AccommodationVAT: "reduced"}}))(tb)
	f.rt = must(f.db.CreateRoomType(f.ctx, tenant.RoomTypeInput{PropertyID: f.prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2}))(tb)
	for i := 0; i < rooms; i++ {
		f.rooms = append(f.rooms, must(f.db.CreateRoom(f.ctx, tenant.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: fmt.Sprint(101 + i), Floor: "1"}))(tb))
	}
	two := 2
	f.plan = must(f.db.CreateRatePlan(f.ctx, tenant.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Code: "FLEX", Name: "Flexible",
		ExtraPerson:  tenant.Money{Amount: 2500},
		Cancellation: tenant.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: tenant.Fee{Type: tenant.FeeFirstNight}},
		NoShow:       tenant.NoShowPolicy{Fee: tenant.Fee{Type: tenant.FeePercent, Percent: 100}}, Active: true}))(tb)
	f.setPrice(tb, f.plan.ID, f.today.AddDays(-30), f.today.AddDays(400), nightly)
	return f
}

func (f *fixture) setPrice(tb testing.TB, planID string, from, to date.Date, amount int64) {
	tb.Helper()
	for d := from; d.Before(to); d = d.AddDays(2 * tenant.MaxRange) {
		end := d.AddDays(2 * tenant.MaxRange)
		if end.After(to) {
			end = to
		}
		must(f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: planID, From: d, To: end, Price: &tenant.Money{Amount: amount, Currency: "EUR"}}))(tb)
	}
}

// at sets the clock to local time hh:mm on day d in the property's zone.
func (f *fixture) at(d date.Date, hh, mm int) {
	y, m, dd := d.YMD()
	f.clock.Set(time.Date(y, m, dd, hh, mm, 0, 0, f.loc))
}

func (f *fixture) day(n int) date.Date { return f.today.AddDays(n) }

// booking returns a direct booking input for one reservation of the
// fixture's room type with a new guest.
func (f *fixture) booking(arrival, departure date.Date) tenant.BookingInput {
	return tenant.BookingInput{PropertyID: f.prop.ID, Source: tenant.SourceDirect,
		Booker:       tenant.GuestRef{New: &tenant.GuestInput{GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@example.com"}},
		Reservations: []tenant.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Arrival: arrival, Departure: departure, Adults: 2}}}
}

func (f *fixture) book(tb testing.TB, arrival, departure date.Date) tenant.Reservation {
	tb.Helper()
	b, err := f.db.CreateBooking(f.ctx, f.booking(arrival, departure))
	if err != nil {
		tb.Fatalf("book %s–%s: %v", arrival, departure, err)
	}
	return b.Reservations[0]
}

func (f *fixture) available(tb testing.TB, from, to date.Date) []int {
	tb.Helper()
	a, err := f.db.Availability(f.ctx, f.prop.ID, from, to)
	if err != nil {
		tb.Fatal(err)
	}
	var out []int
	for _, n := range a.RoomTypes[0].Nights {
		out = append(out, n.Available)
	}
	return out
}

func (f *fixture) auditRows(tb testing.TB) int64 {
	tb.Helper()
	h, err := f.db.AuditHead(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h.Seq
}

func (f *fixture) verifyAudit(tb testing.TB) {
	tb.Helper()
	res, err := f.db.VerifyAudit(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if !res.OK() {
		tb.Fatalf("audit chain broken: %v", res.Break)
	}
}

// must turns a (value, error) result into a function that fails the test
// on the error and otherwise returns the value: must(db.CreateX(…))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func code(err error) string { return aura.ErrorCode(err) }

func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := aura.ErrorCode(err); got != want {
		tb.Fatalf("got error %v (code %q), want code %q", err, got, want)
	}
}

func hasField(err error, field string) bool {
	for _, f := range aura.ErrorFields(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}
