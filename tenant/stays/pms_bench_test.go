package stays_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// BenchmarkAvailability30Days measures the availability calendar of 30
// nights × 3 room types on a property with three years of reservations.
func BenchmarkAvailability30Days(b *testing.B) {
	f, made := pmstest.BenchProperty(b)
	var ds []time.Duration
	for b.Loop() {
		from := f.Day(rand.IntN(60) - 30)
		t0 := time.Now()
		a, err := inventory.New(f.DB).Availability(f.Ctx, f.Prop.ID, from, from.AddDays(30))
		ds = append(ds, time.Since(t0))
		if err != nil || len(a.RoomTypes) != 3 || len(a.RoomTypes[0].Nights) != 30 {
			b.Fatalf("availability: %v", err)
		}
	}
	pmstest.ReportLatencies(b, ds, time.Microsecond, "µs/query")
	b.ReportMetric(float64(made), "reservations")
}

// BenchmarkCreateBooking measures creating a direct booking (one
// reservation, the availability and restriction checks in the write
// transaction, an idempotency key, its audit rows) on one tenant, for a new
// guest (a sealed profile and its search terms written too) and for an
// existing one; from one goroutine, and from 8 at once on all cores (SQLite
// runs one write transaction at a time, so they queue).
func BenchmarkCreateBooking(b *testing.B) {
	for _, tc := range []struct {
		guest string
		par   int
	}{{"new", 1}, {"new", 8}, {"existing", 1}, {"existing", 8}} {
		b.Run(fmt.Sprintf("guest=%s/goroutines=%d", tc.guest, tc.par), func(b *testing.B) {
			par := tc.par
			f := pmstest.NewFixture(b, "Europe/Berlin", 500, "2025-06-10")
			var existing []string
			if tc.guest == "existing" {
				for _, g := range pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, []stays.GuestInput{{FamilyName: "Regular"}, {FamilyName: "Returning"}}))(b) {
					existing = append(existing, g.ID)
				}
			}
			var mu sync.Mutex
			var ds []time.Duration
			var wg sync.WaitGroup
			next := make(chan struct{})
			start := time.Now()
			b.ResetTimer()
			report := pmstest.CountCommits(b)
			for g := 0; g < par; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					var local []time.Duration
					for range next {
						d := f.Day(rng.IntN(365))
						in := f.Booking(d, d.AddDays(1+rng.IntN(2)))
						in.Booker.New.FamilyName = fmt.Sprint("Bench", rng.IntN(1_000_000))
						if existing != nil {
							in.Booker = stays.GuestRef{ID: existing[rng.IntN(len(existing))]}
						}
						in.IdempotencyKey = aura.NewID("idem")
						t0 := time.Now()
						_, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
						local = append(local, time.Since(t0))
						if err != nil {
							b.Error(err)
						}
					}
					mu.Lock()
					ds = append(ds, local...)
					mu.Unlock()
				}()
			}
			for i := 0; i < b.N; i++ {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(start)
			report(b.N)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "bookings/s")
			pmstest.ReportLatencies(b, ds, time.Millisecond, "ms/booking")
		})
	}
}

// BenchmarkGuestSearch100k measures searching 100,000 guests by name
// prefix, two name words, email prefix and phone digits (20 results at most).
func BenchmarkGuestSearch100k(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 1, "2025-06-10")
	rng := rand.New(rand.NewPCG(3, 4))
	const total, batch = 100_000, 1000
	t0 := time.Now()
	for i := 0; i < total; i += batch {
		ins := make([]stays.GuestInput, batch)
		for j := range ins {
			ins[j] = pmstest.BenchGuest(rng, i+j)
		}
		pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, ins))(b)
	}
	b.Logf("loaded %d guests in %s", total, time.Since(t0).Round(time.Second))
	queries := []string{"mül", "kra", "Anna Berg", "sofia sch", "clara.hof", "jonas.weiler12@", "+49 160", "+43 155", "Søren", "Łukasz mar"}
	var ds []time.Duration
	found, i := 0, 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		t1 := time.Now()
		gs, err := stays.New(f.DB).SearchGuests(f.Ctx, q, 20)
		ds = append(ds, time.Since(t1))
		if err != nil {
			b.Fatal(err)
		}
		found += len(gs)
	}
	b.ReportMetric(float64(found)/float64(i), "results/query")
	pmstest.ReportLatencies(b, ds, time.Millisecond, "ms/query")
	var rows int
	if err := f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM guest_search`).Scan(&rows); err == nil {
		b.ReportMetric(float64(rows)/total, "terms/guest")
	}
}

// BenchmarkListReservations measures a page of 50 reservations of a
// property by arrival (the list of GET /reservations?limit=50), the first
// page and one after a cursor, on 40 rooms with 600 bookings of 1-3 nights
// over a year, from one goroutine. cpu-µs/op is the figure to compare on a
// loaded machine.
func BenchmarkListReservations(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 40, "2025-06-10")
	guest := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{FamilyName: "Regular"}))(b)
	rng := rand.New(rand.NewPCG(7, 8))
	for range 600 {
		d := f.Day(1 + rng.IntN(365))
		in := f.Booking(d, d.AddDays(1+rng.IntN(3)))
		in.Booker = stays.GuestRef{ID: guest.ID}
		if _, err := stays.New(f.DB).CreateBooking(f.Ctx, in); err != nil && aura.ErrorCode(err) != aura.ECONFLICT {
			b.Fatal(err)
		}
	}
	first, err := stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Limit: 50})
	if err != nil || len(first.Reservations) != 50 || first.NextCursor == "" {
		b.Fatalf("first page: %d reservations, %v", len(first.Reservations), err)
	}
	for _, c := range []struct{ name, cursor string }{{"first", ""}, {"cursor", first.NextCursor}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			report := pmstest.CountCommits(b)
			for b.Loop() {
				p, err := stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Limit: 50, Cursor: c.cursor})
				if err != nil || len(p.Reservations) != 50 {
					b.Fatalf("%d reservations, %v", len(p.Reservations), err)
				}
			}
			report(b.N)
		})
	}
}
