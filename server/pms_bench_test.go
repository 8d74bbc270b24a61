package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// reportLatencies reports the median and 99th percentile of durations.
func reportLatencies(b *testing.B, ds []time.Duration, name string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(ds[len(ds)/2]), "median-ms/"+name)
	b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-ms/"+name)
}

// benchClient sends requests over the harness's loopback HTTPS with a
// bearer token and keeps connections alive, as an integration would.
func benchClient(h *harness, clients int) *http.Client {
	c := *h.ts.Client()
	tr := c.Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients
	c.Transport = tr
	return &c
}

// drive sends b.N requests over client from clients goroutines at once,
// the i-th made by build with its goroutine's random source (seeded by
// seed and the goroutine's number) and counted failed unless ok holds for
// its response and the bytes of its body. It times only the sending,
// fails b with the first failure and returns the time it took and the
// latency each request saw.
func drive(b *testing.B, client *http.Client, clients int, seed uint64, build func(i int, rng *rand.Rand) *http.Request,
	ok func(resp *http.Response, n int64) bool) (time.Duration, []time.Duration) {
	var mu sync.Mutex
	var ds []time.Duration
	var wg sync.WaitGroup
	next := make(chan int)
	failed := make(chan string, 1)
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), seed))
			var local []time.Duration
			for i := range next {
				req := build(i, rng)
				t0 := time.Now()
				resp, err := client.Do(req)
				var n int64
				if err == nil {
					n, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				local = append(local, time.Since(t0))
				if err != nil || !ok(resp, n) {
					msg := fmt.Sprint(err)
					if err == nil {
						msg = fmt.Sprintf("%s, %d bytes", resp.Status, n)
					}
					select {
					case failed <- msg:
					default:
					}
				}
			}
			mu.Lock()
			ds = append(ds, local...)
			mu.Unlock()
		}()
	}
	for i := 0; i < b.N; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	select {
	case msg := <-failed:
		b.Fatalf("a request failed: %s", msg)
	default:
	}
	return elapsed, ds
}

// BenchmarkCreateReservationHTTP measures creating a reservation through
// POST /{tenant}/api/v1/bookings over loopback HTTPS with an API token and
// an Idempotency-Key: token check, JSON decoding, the availability and
// restriction checks and the write of the booking, its reservation, its
// nights and their audit rows in one transaction, and the JSON response.
// Eight clients send at once (the write transactions queue; HTTP, TLS and
// JSON run beside them on both cores). It reports reservations per second
// and the latency each client sees.
func BenchmarkCreateReservationHTTP(b *testing.B) {
	for _, guest := range []string{"existing", "new"} {
		b.Run("guest="+guest, func(b *testing.B) {
			const clients = 8
			// Replicated, as aura serve runs: Litestream checkpoints the WAL
			// in its own goroutine, off the request path.
			h := newHarness(b, harnessOpts{replicate: true, syncInterval: time.Second})
			f := newPMSBench(b, h, 400)
			db := h.acquire("alpha")
			regulars, err := stays.New(db).CreateGuests(aura.WithActor(context.Background(), f.owner.Actor()), []stays.GuestInput{{FamilyName: "Regular"}, {FamilyName: "Returning"}})
			db.Release()
			if err != nil {
				b.Fatal(err)
			}
			client := benchClient(h, clients)
			endpoint := h.ts.URL + "/alpha/api/v1/bookings"
			report := pmstest.CountCommits(b)
			elapsed, ds := drive(b, client, clients, 11, func(i int, rng *rand.Rand) *http.Request {
				arrival := f.today.AddDays(1 + rng.IntN(700))
				booker := fmt.Sprintf(`{"id": %q}`, regulars[rng.IntN(2)].ID)
				if guest == "new" {
					booker = fmt.Sprintf(`{"new": {"given_name": "Bench", "family_name": "Guest%d", "email": "bench%d@example.com"}}`, i, i)
				}
				body := fmt.Sprintf(`{"property_id": %q, "booker": %s, "reservations": [{"room_type_id": %q, "rate_plan_id": %q,
					"arrival": %q, "departure": %q, "adults": 2}]}`, f.prop.ID, booker, f.rt.ID, f.plan.ID, arrival, arrival.AddDays(1+rng.IntN(2)))
				req, _ := http.NewRequest("POST", endpoint, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+f.token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
				return req
			}, func(resp *http.Response, _ int64) bool { return resp.StatusCode == http.StatusCreated })
			report(b.N)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reservations/s")
			reportLatencies(b, ds, "reservation")
		})
	}
}

// newPMSBench is the fixture of the benchmarks: `rooms` rooms of one type
// with rates for two years.
func newPMSBench(b *testing.B, h *harness, rooms int) *pmsFixture {
	b.Helper()
	f := &pmsFixture{h: h}
	f.t, f.owner = h.mustTenant("alpha")
	db := h.acquire("alpha")
	defer db.Release()
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	var err error
	f.prop, err = inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Bench Hotel", TimeZone: "Europe/Berlin", Currency: "EUR"})
	must(err)
	f.rt, err = inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: f.prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2})
	must(err)
	for i := 0; i < rooms; i++ {
		r, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: fmt.Sprint(1000 + i)})
		must(err)
		f.rooms = append(f.rooms, r)
	}
	f.plan, err = inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Code: "FLEX", Name: "Flexible", Active: true})
	must(err)
	f.today, err = inventory.New(db).PropertyToday(ctx, f.prop.ID)
	must(err)
	for from := f.today.AddDays(-400); from.Before(f.today.AddDays(740)); from = from.AddDays(2 * tenant.MaxRange) {
		_, err = inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: f.plan.ID, From: from, To: from.AddDays(2 * tenant.MaxRange), Price: &tenant.Money{Amount: 10000, Currency: "EUR"}})
		must(err)
	}
	_, f.token, err = identity.New(db).CreateToken(ctx, f.owner.ID, "bench", identity.RolePermissions(identity.RoleOwner), time.Time{})
	must(err)
	return f
}

// BenchmarkAvailabilityHTTP measures GET /availability for 30 nights × 3
// room types over loopback HTTPS, on a property with a year of history and
// a year ahead about 70% sold.
func BenchmarkAvailabilityHTTP(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	f := newPMSBench(b, h, 30)
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	types := []inventory.RoomType{f.rt}
	plans := []inventory.RatePlan{f.plan}
	for i := 0; i < 2; i++ {
		rt, err := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: f.prop.ID, Code: fmt.Sprint("T", i), Name: fmt.Sprint("Type ", i), Capacity: 4, BaseOccupancy: 2})
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 15; j++ {
			if _, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: f.prop.ID, RoomTypeID: rt.ID, Number: fmt.Sprintf("%d%02d", 7+i, j)}); err != nil {
				b.Fatal(err)
			}
		}
		p, err := inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: rt.ID, Code: fmt.Sprint("P", i), Name: "Rate", Active: true})
		if err != nil {
			b.Fatal(err)
		}
		types, plans = append(types, rt), append(plans, p)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	made := 0
	guest, err := stays.New(db).CreateGuest(ctx, stays.GuestInput{FamilyName: "History"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 12000; i++ {
		ti := rng.IntN(3)
		d := f.today.AddDays(rng.IntN(730) - 365)
		in := stays.BookingInput{PropertyID: f.prop.ID, Booker: stays.GuestRef{ID: guest.ID}, Import: true, Status: stays.ReservationConfirmed,
			Reservations: []stays.ReservationInput{{RoomTypeID: types[ti].ID, RatePlanID: plans[ti].ID, Arrival: d, Departure: d.AddDays(1 + rng.IntN(4)),
				Adults: 2, Prices: nil}}}
		n := in.Reservations[0].Departure.Sub(d)
		for range n {
			in.Reservations[0].Prices = append(in.Reservations[0].Prices, tenant.Money{Amount: 9000, Currency: "EUR"})
		}
		if _, err := stays.New(db).CreateBooking(ctx, in); err == nil {
			made++
		} else if aura.ErrorCode(err) != aura.ECONFLICT {
			b.Fatal(err)
		}
	}
	db.Release()
	client := benchClient(h, 1)
	var ds []time.Duration
	for b.Loop() {
		from := f.today.AddDays(rng.IntN(60) - 30)
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/alpha/api/v1/availability?from=%s&to=%s", h.ts.URL, from, from.AddDays(30)), nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ds = append(ds, time.Since(t0))
		if resp.StatusCode != 200 || n < 1000 {
			b.Fatalf("availability: %d, %d bytes", resp.StatusCode, n)
		}
	}
	b.ReportMetric(float64(made), "reservations")
	reportLatencies(b, ds, "request")
}

// BenchmarkGuestSearchHTTP measures GET /guests?q= over loopback HTTPS on
// 100,000 guests (the search of the guest page and the API): the blind
// index look-up, unsealing the 20 guests found, JSON.
func BenchmarkGuestSearchHTTP(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	f := newPMSBench(b, h, 1)
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	given := strings.Fields("Anna Ben Clara David Elena Felix Greta Hannah Ida Jonas Karl Lena Mia Noah Olga Paul Rosa Sofia Tom Jürgen Søren Łukasz")
	start := strings.Fields("Ber Kra Mül Sch Wei Hof Lan Fri Kle Zim Bau Wag Ste Ric Neu Kop Har Dor Els Gut")
	end := strings.Fields("mann er ler berg stein hoff bach feld ner rich dorf")
	rng := rand.New(rand.NewPCG(3, 4))
	const total, batch = 100_000, 1000
	t0 := time.Now()
	for i := 0; i < total; i += batch {
		ins := make([]stays.GuestInput, batch)
		for j := range ins {
			g, fam := given[rng.IntN(len(given))], start[rng.IntN(len(start))]+end[rng.IntN(len(end))]
			ins[j] = stays.GuestInput{GivenName: g, FamilyName: fam, Email: fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(g), strings.ToLower(fam), i+j),
				Phone: fmt.Sprintf("+49 %d %07d", 150+rng.IntN(30), rng.IntN(10_000_000))}
		}
		if _, err := stays.New(db).CreateGuests(ctx, ins); err != nil {
			b.Fatal(err)
		}
	}
	db.Release()
	b.Logf("loaded %d guests in %s", total, time.Since(t0).Round(time.Second))
	queries := []string{"mül", "kra", "Anna Berg", "sofia sch", "jonas.weil", "+49 160", "Søren", "łukasz"}
	client := benchClient(h, 1)
	var ds []time.Duration
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		req, _ := http.NewRequest("GET", h.ts.URL+"/alpha/api/v1/guests?limit=20&q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		t1 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ds = append(ds, time.Since(t1))
		if resp.StatusCode != 200 {
			b.Fatalf("search %q: %d", q, resp.StatusCode)
		}
	}
	reportLatencies(b, ds, "search")
}

// BenchmarkReservationReadHTTP measures the two read paths of the API that
// scripts/bench-http compares with PocketBase, over loopback HTTPS with an
// API token and eight clients at once: GET /reservations/{id} (one of 50)
// and GET /reservations?limit=50, on a property with 500 bookings. It
// reports requests per second and the latency each client sees.
func BenchmarkReservationReadHTTP(b *testing.B) {
	const clients = 8
	h := newHarness(b, harnessOpts{})
	f := newPMSBench(b, h, 40)
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	guest, err := stays.New(db).CreateGuest(ctx, stays.GuestInput{GivenName: "Read", FamilyName: "Bench", Email: "read@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var ids []string
	for i := 0; i < 500; i++ {
		d := f.today.AddDays(1 + rng.IntN(300))
		bk, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: f.prop.ID, Booker: stays.GuestRef{ID: guest.ID},
			Reservations: []stays.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Arrival: d, Departure: d.AddDays(1 + rng.IntN(3)), Adults: 2}}})
		if aura.ErrorCode(err) == aura.ECONFLICT {
			continue
		} else if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, bk.Reservations[0].ID)
	}
	db.Release()
	if len(ids) < 50 {
		b.Fatalf("only %d reservations", len(ids))
	}
	client := benchClient(h, clients)
	for _, c := range []struct {
		name string
		path func(i int) string
		min  int64
	}{
		{"view", func(i int) string { return "/alpha/api/v1/reservations/" + ids[i%50] }, 200},
		{"list50", func(int) string { return "/alpha/api/v1/reservations?limit=50" }, 50 * 200},
		// the request of make bench-http: the property named
		{"list50prop", func(int) string { return "/alpha/api/v1/reservations?limit=50&property_id=" + f.prop.ID }, 50 * 200},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			report := pmstest.CountCommits(b) // CPU time per request, server and client
			elapsed, ds := drive(b, client, clients, 0, func(i int, _ *rand.Rand) *http.Request {
				req, _ := http.NewRequest("GET", h.ts.URL+c.path(i), nil)
				req.Header.Set("Authorization", "Bearer "+f.token)
				return req
			}, func(resp *http.Response, n int64) bool { return resp.StatusCode == http.StatusOK && n >= c.min })
			report(b.N)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			reportLatencies(b, ds, "request")
		})
	}
}
