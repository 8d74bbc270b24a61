package stays_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// legal is the status machine as the product defines it, written out
// independently of the code's table.
var legal = map[[2]string]bool{
	{stays.ReservationTentative, stays.ReservationConfirmed}: true,
	{stays.ReservationTentative, stays.ReservationCancelled}: true,
	{stays.ReservationConfirmed, stays.ReservationInHouse}:   true,
	{stays.ReservationConfirmed, stays.ReservationCancelled}: true,
	{stays.ReservationConfirmed, stays.ReservationNoShow}:    true,
	{stays.ReservationInHouse, stays.ReservationCheckedOut}:  true,
}

// TestTransitions drives every (from, to) pair of statuses through the real
// operation that leads to "to", on a reservation in status "from", and
// checks it succeeds exactly when the pair is legal. No operation leads back
// to tentative; that column is checked against CanTransition alone.
func TestTransitions(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 40, "2025-06-10")
	room := 0
	for _, from := range stays.ReservationStatuses {
		for _, to := range stays.ReservationStatuses {
			want := legal[[2]string{from, to}]
			if got := stays.CanTransition(from, to); got != want {
				t.Fatalf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			if to == stays.ReservationTentative {
				continue
			}
			t.Run(from+"→"+to, func(t *testing.T) {
				in := f.Booking(f.Today, f.Day(2))
				in.Import = true
				in.Status = from
				if from == stays.ReservationInHouse {
					in.Reservations[0].RoomID = f.Rooms[room].ID
					room++
				}
				r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
				if got, want := r.Status, from; got != want {
					t.Fatalf("created in status %s, want %s", got, want)
				}
				before := f.AuditRows(t)
				var err error
				var after stays.Reservation
				switch to {
				case stays.ReservationConfirmed:
					after, err = stays.New(f.DB).Confirm(f.Ctx, r.ID, r.Version)
				case stays.ReservationInHouse:
					after, err = stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[room].ID, Version: r.Version})
					room++
				case stays.ReservationCheckedOut:
					var out stays.CheckOutResult
					out, err = stays.New(f.DB).CheckOut(f.Ctx, r.ID, r.Version)
					after = out.Reservation
				case stays.ReservationCancelled:
					after, err = stays.New(f.DB).Cancel(f.Ctx, r.ID, stays.CancelInput{Version: r.Version})
				case stays.ReservationNoShow:
					after, err = stays.New(f.DB).MarkNoShow(f.Ctx, r.ID, stays.NoShowInput{Version: r.Version})
				}
				if want {
					if err != nil {
						t.Fatalf("%s → %s refused: %v", from, to, err)
					}
					if got := after.Status; got != to {
						t.Fatalf("status %s, want %s", got, to)
					}
					if got, want := after.Version, r.Version+1; got != want {
						t.Fatalf("version %d, want %d", got, want)
					}
					if f.AuditRows(t) <= before {
						t.Fatal("the transition wrote no audit row")
					}
					return
				}
				pmstest.WantCode(t, err, aura.ECONFLICT)
				if got := f.AuditRows(t); got != before {
					t.Fatalf("a refused transition wrote %d audit rows", got-before)
				}
				stored := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, r.ID))(t)
				if stored.Status != from || stored.Version != r.Version {
					t.Fatalf("a refused transition changed the reservation: %s v%d", stored.Status, stored.Version)
				}
			})
		}
	}
	f.VerifyAudit(t)
}

// TestRaceForLastRoom has 50 goroutines book the last free room for the same
// nights at once: exactly one wins, the rest get ECONFLICT, and the room is
// sold exactly once.
func TestRaceForLastRoom(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	f.Book(t, f.Day(5), f.Day(8))
	f.Book(t, f.Day(5), f.Day(8))
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			in := f.Booking(f.Day(6), f.Day(9))
			in.Booker.New.GivenName = fmt.Sprint("Racer", i)
			_, errs[i] = stays.New(f.DB).CreateBooking(f.Ctx, in)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch pmstest.Code(err) {
		case "":
			won++
		case aura.ECONFLICT:
			if got := aura.ErrorMessage(err); got == "" {
				t.Fatal("an ECONFLICT without a message")
			}
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d requests got the last room, want exactly 1", won)
	}
	if got, want := fmt.Sprint(f.Available(t, f.Day(5), f.Day(9))), "[1 0 0 2]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	page := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID}))(t)
	if got, want := len(page.Reservations), 3; got != want {
		t.Fatalf("%d reservations stored, want %d", got, want)
	}
	f.VerifyAudit(t)
}

func TestIdempotency(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 5, "2025-06-10")
	t.Run("OK", func(t *testing.T) {
		in := f.Booking(f.Day(1), f.Day(3))
		in.IdempotencyKey = "key-1"
		first := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		rows := f.AuditRows(t)
		second := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		if got, want := second.ID, first.ID; got != want {
			t.Fatalf("repeat returned booking %s, want %s", got, want)
		}
		if got, want := second.Reservations[0].ID, first.Reservations[0].ID; got != want {
			t.Fatalf("repeat returned reservation %s, want %s", got, want)
		}
		if !second.Replayed || first.Replayed {
			t.Fatalf("Replayed: first %v, second %v", first.Replayed, second.Replayed)
		}
		if got := f.AuditRows(t); got != rows {
			t.Fatalf("the repeat wrote %d audit rows", got-rows)
		}
		page := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, ArrivalFrom: f.Day(1), ArrivalTo: f.Day(2)}))(t)
		if got, want := len(page.Reservations), 1; got != want {
			t.Fatalf("%d reservations, want %d", got, want)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		in := f.Booking(f.Day(10), f.Day(12))
		in.IdempotencyKey = "double-click"
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = b.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("double submits created different bookings: %v", ids)
			}
		}
		if got, want := f.Available(t, f.Day(10), f.Day(11))[0], 4; got != want {
			t.Fatalf("available %d, want %d (one room taken)", got, want)
		}
	})
	t.Run("ErrOtherRequest", func(t *testing.T) {
		in := f.Booking(f.Day(20), f.Day(22))
		in.IdempotencyKey = "key-2"
		pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		in.Reservations[0].Departure = f.Day(23)
		_, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
		pmstest.WantCode(t, err, aura.EINVALID)
		if !pmstest.HasField(err, "idempotency_key") {
			t.Fatalf("error %v does not name idempotency_key", aura.ErrorFields(err))
		}
	})
	t.Run("CallerHash", func(t *testing.T) {
		in := f.Booking(f.Day(30), f.Day(31))
		in.IdempotencyKey, in.RequestHash = "key-3", []byte("body-hash-A")
		first := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		if got := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t); got.ID != first.ID {
			t.Fatalf("same caller hash gave booking %s, want %s", got.ID, first.ID)
		}
		in.RequestHash = []byte("body-hash-B")
		_, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	f.VerifyAudit(t)
}

// TestDST books stays across both daylight-saving changes of Berlin and New
// York and checks that nights, prices and "today" follow the wall calendar:
// today is the business date, which rolls at the night audit's local time
// (03:00), not at UTC midnight nor at local midnight.
func TestDST(t *testing.T) {
	for _, tc := range []struct {
		zone                 string
		spring, fall         string // the days the clocks change
		beforeMidnightUTC    string // 23:59 local the evening before the spring change day
		afterMidnightSpringU string // 00:30 local on the spring change day
		afterRollSpringU     string // 03:30 local (summer time) on the spring change day
	}{
		{"Europe/Berlin", "2025-03-30", "2025-10-26", "2025-03-29T22:59:00Z", "2025-03-29T23:30:00Z", "2025-03-30T01:30:00Z"},
		{"America/New_York", "2025-03-09", "2025-11-02", "2025-03-09T04:59:00Z", "2025-03-09T05:30:00Z", "2025-03-09T07:30:00Z"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			f := pmstest.NewFixture(t, tc.zone, 2, "2025-03-01")
			spring, fall := date.MustParse(tc.spring), date.MustParse(tc.fall)
			for _, change := range []date.Date{spring, fall} {
				r := f.Book(t, change.AddDays(-1), change.AddDays(2))
				if got, want := len(r.Nights), 3; got != want {
					t.Fatalf("stay across %s has %d nights, want %d", change, got, want)
				}
				for i, n := range r.Nights {
					if got, want := n.Date, change.AddDays(i-1); got != want {
						t.Fatalf("night %d is %s, want %s", i, got, want)
					}
				}
				if got, want := r.Total.Amount, int64(3*pmstest.Nightly); got != want {
					t.Fatalf("total %d, want %d", got, want)
				}
				got := f.Available(t, change.AddDays(-2), change.AddDays(3))
				if want := "[2 1 1 1 2]"; fmt.Sprint(got) != want {
					t.Fatalf("availability around %s: %v, want %s", change, got, want)
				}
				stored := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, r.ID))(t)
				if stored.Arrival != r.Arrival || stored.Departure != r.Departure {
					t.Fatalf("stored stay %s–%s, want %s–%s", stored.Arrival, stored.Departure, r.Arrival, r.Departure)
				}
			}
			// "Today" at the property flips at the local roll time, not at UTC midnight.
			arrival := spring
			r := f.Book(t, arrival, arrival.AddDays(1))
			f.Clock.Set(mustTime(t, tc.beforeMidnightUTC))
			if got, want := pmstest.Must(inventory.New(f.DB).PropertyToday(f.Ctx, f.Prop.ID))(t), arrival.AddDays(-1); got != want {
				t.Fatalf("today at %s is %s, want %s", tc.beforeMidnightUTC, got, want)
			}
			_, err := stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID})
			pmstest.WantCode(t, err, aura.ECONFLICT)
			f.Clock.Set(mustTime(t, tc.afterMidnightSpringU))
			if got, want := pmstest.Must(inventory.New(f.DB).PropertyToday(f.Ctx, f.Prop.ID))(t), arrival.AddDays(-1); got != want {
				t.Fatalf("today at %s (after midnight, before the roll) is %s, want %s", tc.afterMidnightSpringU, got, want)
			}
			f.Clock.Set(mustTime(t, tc.afterRollSpringU))
			if got, want := pmstest.Must(inventory.New(f.DB).PropertyToday(f.Ctx, f.Prop.ID))(t), arrival; got != want {
				t.Fatalf("today at %s is %s, want %s", tc.afterRollSpringU, got, want)
			}
			pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
			f.VerifyAudit(t)
		})
	}
}

func TestSameDayTurnover(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	a := f.Book(t, f.Day(1), f.Day(3))
	b := f.Book(t, f.Day(3), f.Day(5))
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, a.ID, f.Rooms[0].ID, 0))(t)
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, b.ID, f.Rooms[0].ID, 0))(t)
	if got, want := fmt.Sprint(f.Available(t, f.Day(0), f.Day(6))), "[1 0 0 0 0 1]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	_, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(2), f.Day(4)))
	pmstest.WantCode(t, err, aura.ECONFLICT)
	// The departing guest checks out on the day the next one checks in.
	f.At(f.Day(1), 15, 0)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, a.ID, stays.CheckInInput{}))(t)
	f.At(f.Day(3), 10, 0)
	pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, a.ID, 0))(t)
	f.At(f.Day(3), 15, 0)
	in := pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, b.ID, stays.CheckInInput{}))(t)
	if got, want := in.RoomID, f.Rooms[0].ID; got != want {
		t.Fatalf("room %s, want %s", got, want)
	}
	f.VerifyAudit(t)
}

func TestRestrictions(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 5, "2025-06-10")
	three, four, yes := 3, 4, true
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(10), To: f.Day(11), MinStay: &three}))(t)
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(20), To: f.Day(21), MaxStay: &four}))(t)
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(30), To: f.Day(31), ClosedToArrival: &yes}))(t)
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(40), To: f.Day(41), ClosedToDeparture: &yes}))(t)
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(50), To: f.Day(51), StopSell: &yes}))(t)
	for _, tc := range []struct {
		name               string
		arrival, departure int
		field              string // "" when allowed
	}{
		{"MinStayBroken", 10, 12, "reservations[0].departure"},
		{"MinStayMet", 10, 13, ""},
		{"MinStayOnlyOnArrivalDay", 9, 11, ""},
		{"MaxStayBroken", 20, 25, "reservations[0].departure"},
		{"MaxStayMet", 20, 24, ""},
		{"ClosedToArrival", 30, 32, "reservations[0].arrival"},
		{"ClosedToArrivalStayThrough", 29, 32, ""},
		{"ClosedToDeparture", 38, 40, "reservations[0].departure"},
		{"ClosedToDepartureStayThrough", 38, 42, ""},
		{"StopSell", 49, 52, "reservations[0].rate_plan_id"},
		{"StopSellDepartureDayIsFine", 48, 50, ""},
		{"NoPrice", 399, 402, "reservations[0].rate_plan_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.Booking(f.Day(tc.arrival), f.Day(tc.departure))
			_, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			pmstest.WantCode(t, err, aura.EINVALID)
			if !pmstest.HasField(err, tc.field) {
				t.Fatalf("error fields %v do not name %s", aura.ErrorFields(err), tc.field)
			}
			// A channel's booking carries the channel's own view of restrictions: stored.
			if tc.name != "NoPrice" {
				in.Source, in.OTACode = "booking.com", "BDC-"+tc.name
				if _, err := stays.New(f.DB).CreateBooking(f.Ctx, in); err != nil {
					t.Fatalf("channel booking refused: %v", err)
				}
			}
		})
	}
	t.Run("ChannelPricesWithoutRate", func(t *testing.T) {
		in := f.Booking(f.Day(399), f.Day(402))
		in.Source = "expedia"
		_, err := stays.New(f.DB).CreateBooking(f.Ctx, in)
		pmstest.WantCode(t, err, aura.EINVALID)
		in.Reservations[0].Prices = []tenant.Money{{Amount: 9000}, {Amount: 9000}, {Amount: 9500}}
		b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		if got, want := b.Reservations[0].Total.Amount, int64(27500); got != want {
			t.Fatalf("total %d, want %d", got, want)
		}
	})
	t.Run("PastArrival", func(t *testing.T) {
		_, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(-1), f.Day(2)))
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	f.VerifyAudit(t)
}

func TestChannelOverbooking(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	f.Book(t, f.Day(1), f.Day(4))
	_, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(2), f.Day(3)))
	pmstest.WantCode(t, err, aura.ECONFLICT)
	in := f.Booking(f.Day(2), f.Day(5))
	in.Source, in.OTACode = "booking.com", "4711"
	in.Commission = &tenant.Money{Amount: 4500, Currency: "EUR"}
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	r := b.Reservations[0]
	if !r.Overbooked {
		t.Fatal("the channel reservation into a full house is not flagged overbooked")
	}
	if got, want := fmt.Sprint(f.Available(t, f.Day(1), f.Day(5))), "[0 -1 -1 0]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	page := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Overbooked: true}))(t)
	if len(page.Reservations) != 1 || page.Reservations[0].ID != r.ID {
		t.Fatalf("overbooked list %v, want only %s", page.Reservations, r.ID)
	}
	// The same channel booking delivered twice is not stored twice.
	_, err = stays.New(f.DB).CreateBooking(f.Ctx, in)
	pmstest.WantCode(t, err, aura.ECONFLICT)
	// Moving the channel stay to free nights clears the flag.
	moved := pmstest.Must(stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Arrival: f.Day(4), Departure: f.Day(7)}))(t)
	if moved.Overbooked {
		t.Fatal("the flag stayed after the stay moved to free nights")
	}
	f.VerifyAudit(t)
}

func TestOutOfOrder(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	ooo := pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[0].ID, Kind: inventory.OutOfOrder, Start: f.Day(2), End: f.Day(4), Reason: "boiler"}))(t)
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[1].ID, Kind: inventory.OutOfService, Start: f.Day(2), End: f.Day(3)}))(t)
	a := pmstest.Must(inventory.New(f.DB).Availability(f.Ctx, f.Prop.ID, f.Day(1), f.Day(5)))(t)
	var got []string
	for _, n := range a.RoomTypes[0].Nights {
		got = append(got, fmt.Sprintf("%d/%d/%d", n.Available, n.OutOfOrder, n.OutOfService))
	}
	if want := "[2/0/0 1/1/1 1/1/0 2/0/0]"; fmt.Sprint(got) != want {
		t.Fatalf("available/ooo/oos %v, want %s", got, want)
	}
	f.Book(t, f.Day(2), f.Day(3))
	_, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(2), f.Day(3)))
	pmstest.WantCode(t, err, aura.ECONFLICT)
	t.Run("ErrAssignBlocked", func(t *testing.T) {
		r := f.Book(t, f.Day(3), f.Day(4))
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[0].ID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrBlockIntoFullHouse", func(t *testing.T) {
		_, err := inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[1].ID, Kind: inventory.OutOfOrder, Start: f.Day(3), End: f.Day(4)})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrOverlap", func(t *testing.T) {
		_, err := inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[0].ID, Kind: inventory.OutOfService, Start: f.Day(3), End: f.Day(9)})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	pmstest.Must(0, inventory.New(f.DB).DeleteRoomBlock(f.Ctx, ooo.ID))(t)
	if got, want := fmt.Sprint(f.Available(t, f.Day(2), f.Day(4))), "[1 1]"; got != want {
		t.Fatalf("availability after the block ended %s, want %s", got, want)
	}
	f.VerifyAudit(t)
}

func TestRoomAssignment(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	a := f.Book(t, f.Day(0), f.Day(4))
	b := f.Book(t, f.Day(2), f.Day(6))
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, a.ID, f.Rooms[0].ID, 0))(t)
	_, err := stays.New(f.DB).AssignRoom(f.Ctx, b.ID, f.Rooms[0].ID, 0)
	pmstest.WantCode(t, err, aura.ECONFLICT)
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, b.ID, f.Rooms[1].ID, 0))(t)
	t.Run("ErrStaleVersion", func(t *testing.T) {
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, a.ID, f.Rooms[1].ID, a.Version)
		pmstest.WantCode(t, err, aura.EPRECONDITION)
	})
	t.Run("ErrOtherType", func(t *testing.T) {
		suite := pmstest.Must(inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "STE", Name: "Suite", Capacity: 4, BaseOccupancy: 2}))(t)
		s := pmstest.Must(inventory.New(f.DB).CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: suite.ID, Number: "301"}))(t)
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, a.ID, s.ID, 0)
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	// An in-house move keeps the nights already spent in the first room.
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, a.ID, stays.CheckInInput{}))(t)
	f.At(f.Day(1), 9, 0)
	b = pmstest.Must(stays.New(f.DB).UnassignRoom(f.Ctx, b.ID, 0))(t)
	moved := pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, a.ID, f.Rooms[1].ID, 0))(t)
	var rooms []string
	for _, n := range moved.Nights {
		rooms = append(rooms, n.RoomID)
	}
	want := []string{f.Rooms[0].ID, f.Rooms[1].ID, f.Rooms[1].ID, f.Rooms[1].ID}
	if fmt.Sprint(rooms) != fmt.Sprint(want) {
		t.Fatalf("nights in rooms %v, want %v", rooms, want)
	}
	// The tape chart draws the move as two bars.
	tc := pmstest.Must(stays.New(f.DB).TapeChart(f.Ctx, f.Prop.ID, f.Day(0), f.Day(7)))(t)
	if got := len(tc.Rooms[0].Bars) + len(tc.Rooms[1].Bars); got != 2 {
		t.Fatalf("%d bars in rooms, want 2", got)
	}
	if got, want := len(tc.Unassigned), 1; got != want {
		t.Fatalf("%d unassigned bars, want %d", got, want)
	}
	if got, want := tc.Rooms[0].Bars[0].GuestName, "Ada Lovelace"; got != want {
		t.Fatalf("guest name on the tape chart %q, want %q", got, want)
	}
	f.VerifyAudit(t)
}

func TestCheckInOut(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	r := f.Book(t, f.Day(1), f.Day(5))
	t.Run("ErrBeforeArrival", func(t *testing.T) {
		_, err := stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	f.At(f.Day(1), 14, 0)
	t.Run("ErrNoRoom", func(t *testing.T) {
		_, err := stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	r = pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	if r.CheckedInAt == nil {
		t.Fatal("no check-in time")
	}
	// An early departure returns the later nights to stock and dirties the room.
	f.At(f.Day(3), 8, 0)
	r = pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, r.ID, r.Version))(t).Reservation
	if got, want := r.Departure, f.Day(3); got != want {
		t.Fatalf("departure after early check-out %s, want %s", got, want)
	}
	if got, want := r.Total.Amount, int64(2*pmstest.Nightly); got != want {
		t.Fatalf("total %d, want %d", got, want)
	}
	if got, want := fmt.Sprint(f.Available(t, f.Day(1), f.Day(5))), "[1 1 2 2]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	if got, want := pmstest.Must(inventory.New(f.DB).GetRoom(f.Ctx, f.Rooms[0].ID))(t).Housekeeping, inventory.HousekeepingDirty; got != want {
		t.Fatalf("housekeeping %s, want %s", got, want)
	}
	f.VerifyAudit(t)
}

func TestCancelFees(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 10, "2025-06-10")
	seven := 7
	n := 0
	plan := func(t *testing.T, free *int, fee inventory.Fee) inventory.RatePlan {
		n++
		code := fmt.Sprint("P", n)
		p := pmstest.Must(inventory.New(f.DB).CreateRatePlan(f.Ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Code: code, Name: code,
			Cancellation: inventory.CancellationPolicy{FreeUntilDaysBefore: free, Fee: fee}, NoShow: inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeeFirstNight}}, Active: true}))(t)
		f.SetPrice(t, p.ID, f.Today, f.Day(60), 12345)
		return p
	}
	for _, tc := range []struct {
		name      string
		free      *int
		fee       inventory.Fee
		arrivalIn int // days from today
		tentative bool
		waive     bool
		want      int64
	}{
		{"FreeBeforeDeadline", &seven, inventory.Fee{Type: inventory.FeeFirstNight}, 8, false, false, 0},
		{"FreeOnDeadlineDay", &seven, inventory.Fee{Type: inventory.FeeFirstNight}, 7, false, false, 0},
		{"FirstNightAfterDeadline", &seven, inventory.Fee{Type: inventory.FeeFirstNight}, 6, false, false, 12345},
		{"TwoNights", &seven, inventory.Fee{Type: inventory.FeeNights, Nights: 2}, 1, false, false, 24690},
		{"PercentRoundsHalfUp", &seven, inventory.Fee{Type: inventory.FeePercent, Percent: 50}, 1, false, false, 18518}, // 50% of 37035 = 18517.5
		{"FixedCappedAtTotal", &seven, inventory.Fee{Type: inventory.FeeFixed, Amount: &tenant.Money{Amount: 99999, Currency: "EUR"}}, 1, false, false, 37035},
		{"NonRefundable", nil, inventory.Fee{Type: inventory.FeePercent, Percent: 100}, 50, false, false, 37035},
		{"TentativeIsFree", nil, inventory.Fee{Type: inventory.FeePercent, Percent: 100}, 50, true, false, 0},
		{"Waived", nil, inventory.Fee{Type: inventory.FeePercent, Percent: 100}, 50, false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, tc.free, tc.fee)
			in := f.Booking(f.Day(tc.arrivalIn), f.Day(tc.arrivalIn+3))
			in.Reservations[0].RatePlanID = p.ID
			if tc.tentative {
				in.Status = stays.ReservationTentative
			}
			r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
			c := pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, r.ID, stays.CancelInput{WaiveFee: tc.waive}))(t)
			if c.CancellationFee == nil {
				t.Fatal("no fee stored")
			}
			if got := c.CancellationFee.Amount; got != tc.want {
				t.Fatalf("fee %d, want %d", got, tc.want)
			}
			if got := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, r.ID))(t).CancellationFee.Amount; got != tc.want {
				t.Fatalf("stored fee %d, want %d", got, tc.want)
			}
		})
	}
	t.Run("NoShow", func(t *testing.T) {
		r := f.Book(t, f.Day(0), f.Day(2))
		ns := pmstest.Must(stays.New(f.DB).MarkNoShow(f.Ctx, r.ID, stays.NoShowInput{}))(t)
		if got, want := ns.NoShowFee.Amount, int64(2*pmstest.Nightly); got != want { // the fixture's plan: 100% no-show fee
			t.Fatalf("no-show fee %d, want %d", got, want)
		}
	})
	t.Run("ErrNoShowBeforeArrival", func(t *testing.T) {
		r := f.Book(t, f.Day(3), f.Day(4))
		_, err := stays.New(f.DB).MarkNoShow(f.Ctx, r.ID, stays.NoShowInput{})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	// Cancelled nights are back in stock.
	if got := f.Available(t, f.Day(1), f.Day(2))[0]; got != 10 {
		t.Fatalf("available %d after cancelling everything there, want 10", got)
	}
	f.VerifyAudit(t)
}

func TestChangeStay(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	r := f.Book(t, f.Day(1), f.Day(3))
	// Prices rise after booking; kept nights keep their frozen price.
	f.SetPrice(t, f.Plan.ID, f.Day(0), f.Day(30), 15000)
	r = pmstest.Must(stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Departure: f.Day(4), Version: r.Version}))(t)
	var prices []int64
	for _, n := range r.Nights {
		prices = append(prices, n.Price.Amount)
	}
	if got, want := fmt.Sprint(prices), "[10000 10000 15000]"; got != want {
		t.Fatalf("prices %s, want %s", got, want)
	}
	t.Run("ErrNoAvailability", func(t *testing.T) {
		f.Book(t, f.Day(4), f.Day(6))
		_, err := stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Departure: f.Day(5)})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrRestriction", func(t *testing.T) {
		five := 5
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(0), To: f.Day(1), MinStay: &five}))(t)
		_, err := stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Arrival: f.Day(0)})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	t.Run("PartyReprices", func(t *testing.T) {
		three := 3
		r2 := pmstest.Must(stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Adults: &three}))(t)
		if got, want := r2.Total.Amount, int64(3*(15000+2500)); got != want {
			t.Fatalf("total %d, want %d", got, want)
		}
		four := 4
		_, err := stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Adults: &four})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	f.VerifyAudit(t)
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
