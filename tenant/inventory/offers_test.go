package inventory_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

func TestOffers(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	q := inventory.OfferQuery{PropertyID: f.Prop.ID, Arrival: f.Day(1), Departure: f.Day(4), Adults: 3}

	t.Run("OK", func(t *testing.T) {
		offers := pmstest.Must(inventory.New(f.DB).Offers(f.Ctx, q))(t)
		if got, want := len(offers), 1; got != want {
			t.Fatalf("got %d offers, want %d", got, want)
		}
		o := offers[0]
		// Three nights of 100.00 plus one extra person at 25.00 each night.
		if got, want := o.Total.Amount, int64(3*(pmstest.Nightly+2500)); got != want {
			t.Fatalf("total %d, want %d", got, want)
		}
		if got, want := len(o.Nights), 3; got != want {
			t.Fatalf("%d nights, want %d", got, want)
		}
		if !o.Bookable || o.Available != 2 || len(o.Problems) != 0 {
			t.Fatalf("offer %+v: want bookable with 2 rooms left", o)
		}
	})

	t.Run("AgreesWithCreateBooking", func(t *testing.T) {
		in := f.Booking(f.Day(1), f.Day(4))
		in.Reservations[0].Adults = 3
		r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
		offers := pmstest.Must(inventory.New(f.DB).Offers(f.Ctx, q))(t)
		if got, want := offers[0].Total.Amount, r.Total.Amount; got != want {
			t.Fatalf("offer total %d, booked total %d", got, want)
		}
		if got, want := offers[0].Available, 1; got != want {
			t.Fatalf("after a booking %d rooms left, want %d", got, want)
		}
	})

	t.Run("Restrictions", func(t *testing.T) {
		three, yes := 3, true
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(10), To: f.Day(11), MinStay: &three, ClosedToArrival: &yes}))(t)
		offers := pmstest.Must(inventory.New(f.DB).Offers(f.Ctx, inventory.OfferQuery{PropertyID: f.Prop.ID, Arrival: f.Day(10), Departure: f.Day(12), Adults: 1}))(t)
		o := offers[0]
		if o.Bookable {
			t.Fatal("an offer breaking min stay and closed-to-arrival is bookable")
		}
		fields := map[string]bool{}
		for _, p := range o.Problems {
			fields[p.Field] = true
		}
		if !fields["arrival"] || !fields["departure"] {
			t.Fatalf("problems %+v: want arrival (closed) and departure (min stay)", o.Problems)
		}
		// The store refuses the same stay with the same fields.
		_, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(10), f.Day(12)))
		if !pmstest.HasField(err, "reservations[0].arrival") || !pmstest.HasField(err, "reservations[0].departure") {
			t.Fatalf("CreateBooking: %v", err)
		}
	})

	t.Run("SoldOut", func(t *testing.T) {
		f.Book(t, f.Day(20), f.Day(22))
		f.Book(t, f.Day(21), f.Day(23))
		o := pmstest.Must(inventory.New(f.DB).Offers(f.Ctx, inventory.OfferQuery{PropertyID: f.Prop.ID, Arrival: f.Day(19), Departure: f.Day(22), Adults: 1}))(t)[0]
		if o.Bookable || o.Available != 0 {
			t.Fatalf("offer over a sold-out night: %+v", o)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := inventory.New(f.DB).Offers(f.Ctx, inventory.OfferQuery{PropertyID: f.Prop.ID, Arrival: f.Day(3), Departure: f.Day(3), Adults: 0})
		pmstest.WantCode(t, err, aura.EINVALID)
		if !pmstest.HasField(err, "departure") || !pmstest.HasField(err, "adults") {
			t.Fatalf("fields of %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := inventory.New(f.DB).Offers(f.Ctx, inventory.OfferQuery{PropertyID: "prp_nope", Arrival: f.Day(3), Departure: f.Day(4), Adults: 1})
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
}

func TestListGuests(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	var ins []stays.GuestInput
	for _, n := range []string{"Ada", "Bea", "Cem", "Dora", "Emil"} {
		ins = append(ins, stays.GuestInput{GivenName: n, FamilyName: "Test"})
	}
	pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, ins))(t)

	t.Run("OK", func(t *testing.T) {
		p1 := pmstest.Must(stays.New(f.DB).ListGuests(f.Ctx, 2, ""))(t)
		if got, want := names(p1.Guests), "Emil Test,Dora Test"; got != want {
			t.Fatalf("first page %q, want %q", got, want)
		}
		p2 := pmstest.Must(stays.New(f.DB).ListGuests(f.Ctx, 2, p1.NextCursor))(t)
		p3 := pmstest.Must(stays.New(f.DB).ListGuests(f.Ctx, 2, p2.NextCursor))(t)
		if got, want := names(p2.Guests)+"|"+names(p3.Guests), "Cem Test,Bea Test|Ada Test"; got != want {
			t.Fatalf("later pages %q, want %q", got, want)
		}
		if p3.NextCursor != "" {
			t.Fatalf("the last page has a next cursor %q", p3.NextCursor)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := stays.New(f.DB).ListGuests(f.Ctx, 2, "not a cursor!")
		pmstest.WantCode(t, err, aura.EINVALID)
	})
}

func names(gs []stays.Guest) string {
	s := ""
	for i, g := range gs {
		if i > 0 {
			s += ","
		}
		s += g.Name()
	}
	return s
}

func TestListReservationsByGuests(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-10")
	a := f.Book(t, f.Day(1), f.Day(2))
	b := f.Book(t, f.Day(2), f.Day(3))
	f.Book(t, f.Day(3), f.Day(4))
	page := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, GuestIDs: []string{a.GuestID, b.GuestID}}))(t)
	if got, want := len(page.Reservations), 2; got != want {
		t.Fatalf("%d reservations, want %d", got, want)
	}
	if page.Reservations[0].ID != a.ID || page.Reservations[1].ID != b.ID {
		t.Fatalf("got %s, %s", page.Reservations[0].ID, page.Reservations[1].ID)
	}
}

func TestFreeRooms(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-10")
	in := f.Booking(f.Day(1), f.Day(3))
	in.Reservations[0].RoomID = f.Rooms[0].ID
	r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[1].ID, Kind: inventory.OutOfService, Start: f.Day(2), End: f.Day(5)}))(t)

	t.Run("OK", func(t *testing.T) {
		free := pmstest.Must(stays.New(f.DB).FreeRooms(f.Ctx, f.RT.ID, f.Day(1), f.Day(3), ""))(t)
		if got, want := roomNumbers(free), "103"; got != want {
			t.Fatalf("free rooms %q, want %q", got, want)
		}
		// The reservation's own room is free for itself.
		free = pmstest.Must(stays.New(f.DB).FreeRooms(f.Ctx, f.RT.ID, f.Day(1), f.Day(3), r.ID))(t)
		if got, want := roomNumbers(free), "101,103"; got != want {
			t.Fatalf("free rooms for %s %q, want %q", r.ID, got, want)
		}
		// Same-day turnover: the night of the departure is free.
		free = pmstest.Must(stays.New(f.DB).FreeRooms(f.Ctx, f.RT.ID, f.Day(3), f.Day(4), ""))(t)
		if got, want := roomNumbers(free), "101,103"; got != want {
			t.Fatalf("free rooms from the departure day %q, want %q", got, want)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := stays.New(f.DB).FreeRooms(f.Ctx, f.RT.ID, f.Day(3), f.Day(3), "")
		pmstest.WantCode(t, err, aura.EINVALID)
	})
}

func roomNumbers(rs []inventory.Room) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ","
		}
		s += r.Number
	}
	return s
}

func TestGuestNames(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	gs := pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, []stays.GuestInput{{GivenName: "Zoë", FamilyName: "Adler"}, {FamilyName: "Berg"}}))(t)
	got := pmstest.Must(stays.New(f.DB).GuestNames(f.Ctx, []string{gs[0].ID, gs[1].ID, "gst_unknown"}))(t)
	if got[gs[0].ID] != "Zoë Adler" || got[gs[1].ID] != "Berg" || len(got) != 2 {
		t.Fatalf("names %v", got)
	}
}
