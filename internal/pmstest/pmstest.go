// Package pmstest holds the PMS test fixture the tenant domain packages
// share: one property with rooms and a priced rate plan on a real tenant
// file in a temporary directory, with a clock the test controls, and the
// helpers their tests and benchmarks use (booking, availability, audit
// rows, ID photos, latency reports). Only tests import it.
package pmstest

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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/sqlite"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// Fixture is one property with one room type of n rooms and a flexible
// rate plan priced 100.00 EUR a night from 30 days before today to 400
// days after, on a real tenant file whose clock the test controls.
type Fixture struct {
	DB    *tenant.DB
	Ctx   context.Context
	Clock *auratest.Clock
	Loc   *time.Location
	Prop  inventory.Property
	RT    inventory.RoomType
	Rooms []inventory.Room
	Plan  inventory.RatePlan
	Today date.Date
}

const Nightly = 10000 // 100.00 EUR

func NewFixture(tb testing.TB, zone string, rooms int, today string) *Fixture {
	tb.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		tb.Fatal(err)
	}
	f := &Fixture{Ctx: auratest.Ctx(), Loc: loc, Today: date.MustParse(today)}
	f.Clock = auratest.NewClock(f.Today.Midnight(loc).Add(12 * time.Hour))
	f.DB = auratest.MustOpenTenant(tb, auratest.Options{Now: f.Clock.Now})
	f.Prop = Must(inventory.New(f.DB).CreateProperty(f.Ctx, inventory.PropertyInput{Name: "Hotel Test", TimeZone: zone, Currency: "EUR",
		Tax: inventory.TaxSettings{PricesIncludeVAT: true, VATRates: []inventory.VATRate{{Code: "reduced", Name: "Reduced", BasisPoints: 700}}, AccommodationVAT: "reduced"}}))(tb)
	f.RT = Must(inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2}))(tb)
	for i := 0; i < rooms; i++ {
		f.Rooms = append(f.Rooms, Must(inventory.New(f.DB).CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Number: fmt.Sprint(101 + i), Floor: "1"}))(tb))
	}
	two := 2
	f.Plan = Must(inventory.New(f.DB).CreateRatePlan(f.Ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Code: "FLEX", Name: "Flexible",
		ExtraPerson:  tenant.Money{Amount: 2500},
		Cancellation: inventory.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: inventory.Fee{Type: inventory.FeeFirstNight}},
		NoShow:       inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeePercent, Percent: 100}}, Active: true}))(tb)
	f.SetPrice(tb, f.Plan.ID, f.Today.AddDays(-30), f.Today.AddDays(400), Nightly)
	return f
}

func (f *Fixture) SetPrice(tb testing.TB, planID string, from, to date.Date, amount int64) {
	tb.Helper()
	for d := from; d.Before(to); d = d.AddDays(2 * tenant.MaxRange) {
		end := d.AddDays(2 * tenant.MaxRange)
		if end.After(to) {
			end = to
		}
		Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: planID, From: d, To: end, Price: &tenant.Money{Amount: amount, Currency: "EUR"}}))(tb)
	}
}

// At sets the clock to local time hh:mm on day d in the property's zone.
func (f *Fixture) At(d date.Date, hh, mm int) {
	y, m, dd := d.YMD()
	f.Clock.Set(time.Date(y, m, dd, hh, mm, 0, 0, f.Loc))
}

func (f *Fixture) Day(n int) date.Date { return f.Today.AddDays(n) }

// Booking returns a direct booking input for one reservation of the
// Fixture's room type with a new guest.
func (f *Fixture) Booking(arrival, departure date.Date) stays.BookingInput {
	return stays.BookingInput{PropertyID: f.Prop.ID, Source: stays.SourceDirect,
		Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@example.com"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: f.RT.ID, RatePlanID: f.Plan.ID, Arrival: arrival, Departure: departure, Adults: 2}}}
}

func (f *Fixture) Book(tb testing.TB, arrival, departure date.Date) stays.Reservation {
	tb.Helper()
	b, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(arrival, departure))
	if err != nil {
		tb.Fatalf("book %s–%s: %v", arrival, departure, err)
	}
	return b.Reservations[0]
}

func (f *Fixture) Available(tb testing.TB, from, to date.Date) []int {
	tb.Helper()
	a, err := inventory.New(f.DB).Availability(f.Ctx, f.Prop.ID, from, to)
	if err != nil {
		tb.Fatal(err)
	}
	var out []int
	for _, n := range a.RoomTypes[0].Nights {
		out = append(out, n.Available)
	}
	return out
}

func (f *Fixture) AuditRows(tb testing.TB) int64 {
	tb.Helper()
	h, err := f.DB.AuditHead(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h.Seq
}

func (f *Fixture) VerifyAudit(tb testing.TB) {
	tb.Helper()
	res, err := f.DB.VerifyAudit(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if !res.OK() {
		tb.Fatalf("audit chain broken: %v", res.Break)
	}
}

// Must turns a (value, error) result into a function that fails the test
// on the error and otherwise returns the value: must(db.CreateX(…))(t).
func Must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func Code(err error) string { return aura.ErrorCode(err) }

func WantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := aura.ErrorCode(err); got != want {
		tb.Fatalf("got error %v (code %q), want code %q", err, got, want)
	}
}

func HasField(err error, field string) bool {
	for _, f := range aura.ErrorFields(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

func LastAction(tb testing.TB, f *Fixture) (action, after string) {
	tb.Helper()
	if err := f.DB.SQL().Read.QueryRow(`SELECT action, after_json FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&action, &after); err != nil {
		tb.Fatal(err)
	}
	return action, after
}

// PhotoJPEG returns a real JPEG of w×h noise (so it does not compress to
// nothing and spans many database pages) with marker written into a JPEG
// comment segment, as a camera writes its metadata.
func PhotoJPEG(tb testing.TB, marker string, w, h int) []byte {
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

func PhotoPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func ReadTenantFiles(tb testing.TB, db *tenant.DB) []byte {
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

// BookGuest books one reservation for a guest of the given name, imported
// in status with room (-1: none).
func (f *Fixture) BookGuest(tb testing.TB, given, family, status string, arrival, departure date.Date, room int) stays.Reservation {
	tb.Helper()
	in := f.Booking(arrival, departure)
	in.Booker.New = &stays.GuestInput{GivenName: given, FamilyName: family}
	in.Import, in.Status = true, status
	if room >= 0 {
		in.Reservations[0].RoomID = f.Rooms[room].ID
	}
	return Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(tb).Reservations[0]
}

// ReportLatencies reports the median and 99th percentile of per-operation
// durations.
func ReportLatencies(b *testing.B, ds []time.Duration, unit time.Duration, name string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2])/float64(unit), "median-"+name)
	b.ReportMetric(float64(ds[len(ds)*99/100])/float64(unit), "p99-"+name)
}

// BenchProperty adds two more room types (three in all, 60 rooms) with
// rates to the fixture, and fills two years of history plus a year ahead to
// about 75% occupancy with 1–5 night stays.
func BenchProperty(b *testing.B) (*Fixture, int) {
	f := NewFixture(b, "Europe/Berlin", 30, "2025-06-10")
	types := []inventory.RoomType{f.RT}
	plans := []inventory.RatePlan{f.Plan}
	for i, n := range []int{20, 10} {
		rt := Must(inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: fmt.Sprint("T", i), Name: fmt.Sprint("Type ", i), Capacity: 4, BaseOccupancy: 2}))(b)
		for j := 0; j < n; j++ {
			Must(inventory.New(f.DB).CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: rt.ID, Number: fmt.Sprintf("%d%02d", 3+i, j)}))(b)
		}
		p := Must(inventory.New(f.DB).CreateRatePlan(f.Ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: rt.ID, Code: fmt.Sprint("P", i), Name: "Rate", Active: true}))(b)
		types, plans = append(types, rt), append(plans, p)
	}
	from, to := f.Day(-730), f.Day(365)
	for _, p := range plans {
		f.SetPrice(b, p.ID, from, to.AddDays(10), 9000)
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
				in := f.Booking(d, d.AddDays(n))
				in.Reservations[0].RoomTypeID, in.Reservations[0].RatePlanID = rt.ID, plans[ti].ID
				if d.Before(f.Today) {
					in.Import, in.Status = true, stays.ReservationCheckedOut
				}
				if _, err := stays.New(f.DB).CreateBooking(f.Ctx, in); err == nil {
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

func BenchGuest(rng *rand.Rand, i int) stays.GuestInput {
	given := guestGiven[rng.IntN(len(guestGiven))]
	family := familyStart[rng.IntN(len(familyStart))] + familyEnd[rng.IntN(len(familyEnd))]
	return stays.GuestInput{GivenName: given, FamilyName: family,
		Email:   fmt.Sprintf("%s.%s%d@%s", strings.ToLower(given), strings.ToLower(family), i, []string{"example.com", "mail.example", "example.de"}[i%3]),
		Phone:   fmt.Sprintf("+%d %d %07d", []int{49, 43, 41, 1, 33}[i%5], 150+rng.IntN(30), rng.IntN(10_000_000)),
		Address: inventory.Address{Line1: fmt.Sprint("Hauptstraße ", rng.IntN(200)), City: "Berlin", Country: "DE"}, Nationality: "DE", Language: "de"}
}

func Median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

var guestGiven = strings.Fields(`Anna Ben Clara David Elena Felix Greta Hannah Ida Jonas Karl Lena Mia Noah Olga Paul Quentin Rosa
	Sofia Tom Ursula Viktor Wanda Xaver Yara Zoe Jürgen Agnès Søren Łukasz Chloé Mateo Aiko Kenji Priya Ravi Fatima Omar Leila Yusuf
	Ingrid Lars Astrid Nils Emma Louis Camille Hugo Giulia Marco Lucia Pablo Carmen Diego Maja Ole Fenja Till Nora Emil`)

var familyStart = strings.Fields(`Ber Kra Mül Sch Wei Hof Lan Fri Kle Zim Bau Wag Ste Ric Neu Kop Har Dor Els Gut Ros Mar Lin Vog Bra Hub Kai Lor Sei Fuc`)
var familyEnd = strings.Fields(`mann er ler berg stein hoff bach feld ner rich dorf hardt lein ke mayer`)

// BookIn creates a booking through the import path (past dates, any
// status) in room (-1: none) and returns its reservation.
func (f *Fixture) BookIn(tb testing.TB, status string, arrival, departure date.Date, room int) stays.Reservation {
	tb.Helper()
	in := f.Booking(arrival, departure)
	in.Import, in.Status = true, status
	if room >= 0 {
		in.Reservations[0].RoomID = f.Rooms[room].ID
	}
	return Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(tb).Reservations[0]
}

func (f *Fixture) Condition(tb testing.TB, room int) string {
	tb.Helper()
	return Must(inventory.New(f.DB).GetRoom(f.Ctx, f.Rooms[room].ID))(tb).Housekeeping
}

func (f *Fixture) Status(tb testing.TB, id string) string {
	tb.Helper()
	return Must(stays.New(f.DB).GetReservation(f.Ctx, id))(tb).Status
}

// Must2 is Must for a call that returns two values and an error.
func Must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(tb testing.TB) (A, B) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return a, b
	}
}

// CountCommits starts counting the write transactions the process commits
// and the CPU time it uses; the function it returns stops counting and
// reports, per op of b, the CPU time (user and system, of every goroutine
// of the process) and the average requests per commit (the group-commit
// batch size). CPU time per op is the figure that stays comparable on a
// machine others load: wall-clock throughput does not.
func CountCommits(b *testing.B) (report func(ops int)) {
	var commits, requests atomic.Int64
	sqlite.ObserveCommits(func(_ time.Duration, n int) {
		commits.Add(1)
		requests.Add(int64(n))
	})
	cpu0 := cpuTime()
	return func(ops int) {
		sqlite.ObserveCommits(nil)
		if ops > 0 {
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(ops), "cpu-µs/op")
		}
		if c := commits.Load(); c > 0 {
			b.ReportMetric(float64(requests.Load())/float64(c), "requests/commit")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
