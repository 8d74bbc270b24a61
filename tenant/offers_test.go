package tenant_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
)

func TestOffers(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 2, "2026-03-10")
	q := tenant.OfferQuery{PropertyID: f.prop.ID, Arrival: f.day(1), Departure: f.day(4), Adults: 3}

	t.Run("OK", func(t *testing.T) {
		offers := must(f.db.Offers(f.ctx, q))(t)
		if got, want := len(offers), 1; got != want {
			t.Fatalf("got %d offers, want %d", got, want)
		}
		o := offers[0]
		// Three nights of 100.00 plus one extra person at 25.00 each night.
		if got, want := o.Total.Amount, int64(3*(nightly+2500)); got != want {
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
		in := f.booking(f.day(1), f.day(4))
		in.Reservations[0].Adults = 3
		r := must(f.db.CreateBooking(f.ctx, in))(t).Reservations[0]
		offers := must(f.db.Offers(f.ctx, q))(t)
		if got, want := offers[0].Total.Amount, r.Total.Amount; got != want {
			t.Fatalf("offer total %d, booked total %d", got, want)
		}
		if got, want := offers[0].Available, 1; got != want {
			t.Fatalf("after a booking %d rooms left, want %d", got, want)
		}
	})

	t.Run("Restrictions", func(t *testing.T) {
		three, yes := 3, true
		must(f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: f.plan.ID, From: f.day(10), To: f.day(11), MinStay: &three, ClosedToArrival: &yes}))(t)
		offers := must(f.db.Offers(f.ctx, tenant.OfferQuery{PropertyID: f.prop.ID, Arrival: f.day(10), Departure: f.day(12), Adults: 1}))(t)
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
		_, err := f.db.CreateBooking(f.ctx, f.booking(f.day(10), f.day(12)))
		if !hasField(err, "reservations[0].arrival") || !hasField(err, "reservations[0].departure") {
			t.Fatalf("CreateBooking: %v", err)
		}
	})

	t.Run("SoldOut", func(t *testing.T) {
		f.book(t, f.day(20), f.day(22))
		f.book(t, f.day(21), f.day(23))
		o := must(f.db.Offers(f.ctx, tenant.OfferQuery{PropertyID: f.prop.ID, Arrival: f.day(19), Departure: f.day(22), Adults: 1}))(t)[0]
		if o.Bookable || o.Available != 0 {
			t.Fatalf("offer over a sold-out night: %+v", o)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.db.Offers(f.ctx, tenant.OfferQuery{PropertyID: f.prop.ID, Arrival: f.day(3), Departure: f.day(3), Adults: 0})
		wantCode(t, err, aura.EINVALID)
		if !hasField(err, "departure") || !hasField(err, "adults") {
			t.Fatalf("fields of %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.db.Offers(f.ctx, tenant.OfferQuery{PropertyID: "prp_nope", Arrival: f.day(3), Departure: f.day(4), Adults: 1})
		wantCode(t, err, aura.ENOTFOUND)
	})
}

func TestListGuests(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 1, "2026-03-10")
	var ins []tenant.GuestInput
	for _, n := range []string{"Ada", "Bea", "Cem", "Dora", "Emil"} {
		ins = append(ins, tenant.GuestInput{GivenName: n, FamilyName: "Test"})
	}
	must(f.db.CreateGuests(f.ctx, ins))(t)

	t.Run("OK", func(t *testing.T) {
		p1 := must(f.db.ListGuests(f.ctx, 2, ""))(t)
		if got, want := names(p1.Guests), "Emil Test,Dora Test"; got != want {
			t.Fatalf("first page %q, want %q", got, want)
		}
		p2 := must(f.db.ListGuests(f.ctx, 2, p1.NextCursor))(t)
		p3 := must(f.db.ListGuests(f.ctx, 2, p2.NextCursor))(t)
		if got, want := names(p2.Guests)+"|"+names(p3.Guests), "Cem Test,Bea Test|Ada Test"; got != want {
			t.Fatalf("later pages %q, want %q", got, want)
		}
		if p3.NextCursor != "" {
			t.Fatalf("the last page has a next cursor %q", p3.NextCursor)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.db.ListGuests(f.ctx, 2, "not a cursor!")
		wantCode(t, err, aura.EINVALID)
	})
}

func names(gs []tenant.Guest) string {
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
	f := newFixture(t, "Europe/Berlin", 3, "2026-03-10")
	a := f.book(t, f.day(1), f.day(2))
	b := f.book(t, f.day(2), f.day(3))
	f.book(t, f.day(3), f.day(4))
	page := must(f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, GuestIDs: []string{a.GuestID, b.GuestID}}))(t)
	if got, want := len(page.Reservations), 2; got != want {
		t.Fatalf("%d reservations, want %d", got, want)
	}
	if page.Reservations[0].ID != a.ID || page.Reservations[1].ID != b.ID {
		t.Fatalf("got %s, %s", page.Reservations[0].ID, page.Reservations[1].ID)
	}
}

func TestFreeRooms(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 3, "2026-03-10")
	in := f.booking(f.day(1), f.day(3))
	in.Reservations[0].RoomID = f.rooms[0].ID
	r := must(f.db.CreateBooking(f.ctx, in))(t).Reservations[0]
	must(f.db.CreateRoomBlock(f.ctx, tenant.RoomBlockInput{RoomID: f.rooms[1].ID, Kind: tenant.OutOfService, Start: f.day(2), End: f.day(5)}))(t)

	t.Run("OK", func(t *testing.T) {
		free := must(f.db.FreeRooms(f.ctx, f.rt.ID, f.day(1), f.day(3), ""))(t)
		if got, want := roomNumbers(free), "103"; got != want {
			t.Fatalf("free rooms %q, want %q", got, want)
		}
		// The reservation's own room is free for itself.
		free = must(f.db.FreeRooms(f.ctx, f.rt.ID, f.day(1), f.day(3), r.ID))(t)
		if got, want := roomNumbers(free), "101,103"; got != want {
			t.Fatalf("free rooms for %s %q, want %q", r.ID, got, want)
		}
		// Same-day turnover: the night of the departure is free.
		free = must(f.db.FreeRooms(f.ctx, f.rt.ID, f.day(3), f.day(4), ""))(t)
		if got, want := roomNumbers(free), "101,103"; got != want {
			t.Fatalf("free rooms from the departure day %q, want %q", got, want)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.db.FreeRooms(f.ctx, f.rt.ID, f.day(3), f.day(3), "")
		wantCode(t, err, aura.EINVALID)
	})
}

func roomNumbers(rs []tenant.Room) string {
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
	f := newFixture(t, "Europe/Berlin", 1, "2026-03-10")
	gs := must(f.db.CreateGuests(f.ctx, []tenant.GuestInput{{GivenName: "Zoë", FamilyName: "Adler"}, {FamilyName: "Berg"}}))(t)
	got := must(f.db.GuestNames(f.ctx, []string{gs[0].ID, gs[1].ID, "gst_unknown"}))(t)
	if got[gs[0].ID] != "Zoë Adler" || got[gs[1].ID] != "Berg" || len(got) != 2 {
		t.Fatalf("names %v", got)
	}
}
