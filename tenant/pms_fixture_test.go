package tenant_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
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

func lastAction(tb testing.TB, f *fixture) (action, after string) {
	tb.Helper()
	if err := f.db.SQL().Read.QueryRow(`SELECT action, after_json FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&action, &after); err != nil {
		tb.Fatal(err)
	}
	return action, after
}

// photoJPEG returns a real JPEG of w×h noise (so it does not compress to
// nothing and spans many database pages) with marker written into a JPEG
// comment segment, as a camera writes its metadata.
func photoJPEG(tb testing.TB, marker string, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(len(marker)), uint64(w*h)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	b := buf.Bytes()
	// SOI, then a COM segment carrying the marker, then the rest.
	com := []byte{0xFF, 0xFE, 0, 0}
	binary.BigEndian.PutUint16(com[2:], uint16(len(marker)+2))
	out := append(append(append([]byte{}, b[:2]...), com...), marker...)
	out = append(out, b[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		tb.Fatalf("the test JPEG does not decode: %v", err)
	}
	return out
}

func photoPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func readTenantFiles(tb testing.TB, db *tenant.DB) []byte {
	tb.Helper()
	var all []byte
	for _, p := range []string{db.Path, db.Path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// bookGuest books one reservation for a guest of the given name, imported
// in status with room (-1: none).
func (f *fixture) bookGuest(tb testing.TB, given, family, status string, arrival, departure date.Date, room int) tenant.Reservation {
	tb.Helper()
	in := f.booking(arrival, departure)
	in.Booker.New = &tenant.GuestInput{GivenName: given, FamilyName: family}
	in.Import, in.Status = true, status
	if room >= 0 {
		in.Reservations[0].RoomID = f.rooms[room].ID
	}
	return must(f.db.CreateBooking(f.ctx, in))(tb).Reservations[0]
}

// reportLatencies reports the median and 99th percentile of per-operation
// durations.
func reportLatencies(b *testing.B, ds []time.Duration, unit time.Duration, name string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2])/float64(unit), "median-"+name)
	b.ReportMetric(float64(ds[len(ds)*99/100])/float64(unit), "p99-"+name)
}

// benchProperty adds two more room types (three in all, 60 rooms) with
// rates to the fixture, and fills two years of history plus a year ahead to
// about 75% occupancy with 1–5 night stays.
func benchProperty(b *testing.B) (*fixture, int) {
	f := newFixture(b, "Europe/Berlin", 30, "2025-06-10")
	types := []tenant.RoomType{f.rt}
	plans := []tenant.RatePlan{f.plan}
	for i, n := range []int{20, 10} {
		rt := must(f.db.CreateRoomType(f.ctx, tenant.RoomTypeInput{PropertyID: f.prop.ID, Code: fmt.Sprint("T", i), Name: fmt.Sprint("Type ", i), Capacity: 4, BaseOccupancy: 2}))(b)
		for j := 0; j < n; j++ {
			must(f.db.CreateRoom(f.ctx, tenant.RoomInput{PropertyID: f.prop.ID, RoomTypeID: rt.ID, Number: fmt.Sprintf("%d%02d", 3+i, j)}))(b)
		}
		p := must(f.db.CreateRatePlan(f.ctx, tenant.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: rt.ID, Code: fmt.Sprint("P", i), Name: "Rate", Active: true}))(b)
		types, plans = append(types, rt), append(plans, p)
	}
	from, to := f.day(-730), f.day(365)
	for _, p := range plans {
		f.setPrice(b, p.ID, from, to.AddDays(10), 9000)
	}
	rooms := []int{30, 20, 10}
	rng := rand.New(rand.NewPCG(1, 2))
	made := 0
	for ti, rt := range types {
		// Walk each room's calendar, leaving a gap now and then.
		for range rooms[ti] {
			d := from.AddDays(rng.IntN(3))
			for d.Before(to) {
				n := 1 + rng.IntN(5)
				in := f.booking(d, d.AddDays(n))
				in.Reservations[0].RoomTypeID, in.Reservations[0].RatePlanID = rt.ID, plans[ti].ID
				if d.Before(f.today) {
					in.Import, in.Status = true, tenant.ReservationCheckedOut
				}
				if _, err := f.db.CreateBooking(f.ctx, in); err == nil {
					made++
				} else if aura.ErrorCode(err) != aura.ECONFLICT {
					b.Fatal(err)
				}
				d = d.AddDays(n + rng.IntN(2)*rng.IntN(3))
			}
		}
	}
	return f, made
}

func benchGuest(rng *rand.Rand, i int) tenant.GuestInput {
	given := guestGiven[rng.IntN(len(guestGiven))]
	family := familyStart[rng.IntN(len(familyStart))] + familyEnd[rng.IntN(len(familyEnd))]
	return tenant.GuestInput{GivenName: given, FamilyName: family,
		Email:   fmt.Sprintf("%s.%s%d@%s", strings.ToLower(given), strings.ToLower(family), i, []string{"example.com", "mail.example", "example.de"}[i%3]),
		Phone:   fmt.Sprintf("+%d %d %07d", []int{49, 43, 41, 1, 33}[i%5], 150+rng.IntN(30), rng.IntN(10_000_000)),
		Address: tenant.Address{Line1: fmt.Sprint("Hauptstraße ", rng.IntN(200)), City: "Berlin", Country: "DE"}, Nationality: "DE", Language: "de"}
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}
