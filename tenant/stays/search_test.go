package stays_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/stays"
)

// TestGlobalSearch checks each part of the top bar's search: guests by name,
// email and phone; a stay by its channel's booking code (any case) or its
// reservation or booking id; a room by number with the party in it; and
// no guest data for a caller who may not read guests.
func TestGlobalSearch(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	in := f.Booking(f.Day(2), f.Day(4))
	in.Booker.New = &stays.GuestInput{GivenName: "Grace", FamilyName: "Hopper", Email: "grace.hopper@example.com", Phone: "+1 212 555 0199"}
	in.Source, in.OTACode = "booking.com", "BDC-4711-XY"
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	r := b.Reservations[0]
	f.BookGuest(t, "Ada", "Lovelace", stays.ReservationInHouse, f.Day(-1), f.Day(2), 1)

	search := func(q string, guests bool) stays.SearchResults {
		t.Helper()
		return pmstest.Must(stays.New(f.DB).Search(f.Ctx, stays.SearchInput{Query: q, Guests: guests}))(t)
	}
	for _, q := range []string{"hopper", "Grace Hop", "grace.hopper@example.com", "+1 212 555 0199"} {
		if res := search(q, true); len(res.Guests) != 1 || res.Guests[0].FamilyName != "Hopper" {
			t.Errorf("%q found guests %+v", q, res.Guests)
		}
	}
	for _, q := range []string{"bdc-4711-xy", "BDC-4711-XY", r.ID, b.ID} {
		res := search(q, true)
		if len(res.Stays) != 1 || res.Stays[0].Reservation.ID != r.ID || res.Stays[0].GuestName != "Grace Hopper" {
			t.Errorf("%q found stays %+v", q, res.Stays)
		}
	}
	res := search("102", true)
	if len(res.Rooms) != 1 || res.Rooms[0].Room.Number != "102" || res.Rooms[0].Occupant == nil || res.Rooms[0].Occupant.GuestName != "Ada Lovelace" ||
		res.Rooms[0].Property != "Hotel Test" || len(res.Guests) != 0 {
		t.Fatalf("room 102: %+v", res)
	}
	res = search("102", false)
	if res.Rooms[0].Occupant == nil || res.Rooms[0].Occupant.GuestName != "" {
		t.Fatalf("room 102 without guests.read names %+v", res.Rooms[0].Occupant)
	}
	if res := search("BDC-4711-XY", false); len(res.Guests) != 0 || res.Stays[0].GuestName != "" {
		t.Fatalf("a caller without guests.read gets guest data: %+v", res)
	}
	if res := search("hopper", false); len(res.Guests) != 0 {
		t.Fatal("guests searched without guests.read")
	}
	if res := search("nobody-here", true); len(res.Guests)+len(res.Stays)+len(res.Rooms) != 0 {
		t.Fatalf("found %+v", res)
	}
	_, err := stays.New(f.DB).Search(f.Ctx, stays.SearchInput{Query: "  "})
	pmstest.WantCode(t, err, aura.EINVALID)
}

// BenchmarkGlobalSearch100k measures the top bar's search over 100,000
// guests with a booking history: names, emails, phones, booking codes and
// room numbers as a front desk types them. Target: under 50 ms a query.
func BenchmarkGlobalSearch100k(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 60, "2025-06-10")
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
	// A history of channel bookings with their codes.
	for i := 0; i < 2000; i++ {
		d := -25 + i%400
		in := f.Booking(f.Day(d), f.Day(d+1))
		in.Import, in.Status = true, stays.ReservationConfirmed
		if d < 0 {
			in.Status = stays.ReservationCheckedOut
		}
		in.Source, in.OTACode = "booking.com", fmt.Sprint("BDC-", 100000+i)
		pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(b)
	}
	b.Logf("loaded %d guests and 2000 bookings in %s", total, time.Since(t0).Round(time.Second))
	queries := []string{"mül", "Anna Berg", "clara.hof", "jonas.weiler12@", "+49 160", "bdc-101234", "BDC-100007", "117", "142", "Søren"}
	var ds []time.Duration
	found, i := 0, 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		t1 := time.Now()
		res, err := stays.New(f.DB).Search(f.Ctx, stays.SearchInput{Query: q, Guests: true, Limit: 10})
		ds = append(ds, time.Since(t1))
		if err != nil {
			b.Fatal(err)
		}
		found += len(res.Guests) + len(res.Stays) + len(res.Rooms)
	}
	b.ReportMetric(float64(found)/float64(i), "results/query")
	pmstest.ReportLatencies(b, ds, time.Millisecond, "ms/query")
}
