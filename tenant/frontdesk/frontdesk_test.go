package frontdesk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

func nightRooms(f *pmstest.Fixture, r stays.Reservation) string {
	num := map[string]string{}
	for _, room := range f.Rooms {
		num[room.ID] = room.Number
	}
	var out []string
	for _, n := range r.Nights {
		out = append(out, num[n.RoomID])
	}
	return strings.Join(out, " ")
}

// TestRoomMove moves an in-house guest from tonight on: the nights already
// spent keep their room, the new room must be free and unblocked for every
// remaining night, availability does not change by a single night, and
// the room left is dirty.
func TestRoomMove(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2025-06-10")
	r := f.Book(t, f.Day(0), f.Day(5))
	f.At(f.Day(0), 15, 0)
	r = pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	other := f.Book(t, f.Day(3), f.Day(5))
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, other.ID, f.Rooms[2].ID, 0))(t)
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[3].ID, Kind: inventory.OutOfService, Start: f.Day(4), End: f.Day(5)}))(t)

	f.At(f.Day(2), 10, 0)
	before := f.Available(t, f.Day(-1), f.Day(7))
	t.Run("ErrRoomTaken", func(t *testing.T) {
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[2].ID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrRoomBlocked", func(t *testing.T) {
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[3].ID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[1].ID, r.Version-1)
		pmstest.WantCode(t, err, aura.EPRECONDITION)
	})
	moved := pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[1].ID, r.Version))(t)
	if got, want := nightRooms(f, moved), "101 101 102 102 102"; got != want {
		t.Fatalf("nights in rooms %s, want %s", got, want)
	}
	if action, after := pmstest.LastAction(t, f); action != "reservation.room_moved" || !strings.Contains(after, `"from_night":"`+f.Day(2).String()+`"`) {
		t.Fatalf("last audit row %s %s", action, after)
	}
	if got, want := fmt.Sprint(f.Available(t, f.Day(-1), f.Day(7))), fmt.Sprint(before); got != want {
		t.Fatalf("availability after the move %s, want unchanged %s", got, want)
	}
	if got, want := f.Condition(t, 0), inventory.HousekeepingDirty; got != want {
		t.Fatalf("the room left is %s, want %s", got, want)
	}
	if got, want := f.Condition(t, 1), inventory.HousekeepingClean; got != want {
		t.Fatalf("the room moved into is %s, want %s", got, want)
	}
	// The tape chart draws two bars and shows the conditions.
	tc := pmstest.Must(stays.New(f.DB).TapeChart(f.Ctx, f.Prop.ID, f.Day(0), f.Day(7)))(t)
	if got := len(tc.Rooms[0].Bars) + len(tc.Rooms[1].Bars); got != 2 {
		t.Fatalf("%d bars, want 2", got)
	}
	if got, want := tc.Rooms[0].Room.Housekeeping, inventory.HousekeepingDirty; got != want {
		t.Fatalf("tape chart shows room 101 %s, want %s", got, want)
	}
	// Moving back the next day: room 102 keeps the night it was slept in.
	f.At(f.Day(3), 9, 0)
	back := pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[0].ID, 0))(t)
	if got, want := nightRooms(f, back), "101 101 102 101 101"; got != want {
		t.Fatalf("nights in rooms %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(f.Available(t, f.Day(-1), f.Day(7))), fmt.Sprint(before); got != want {
		t.Fatalf("availability after moving back %s, want %s", got, want)
	}
	t.Run("ErrDepartingToday", func(t *testing.T) {
		f.At(f.Day(5), 9, 0)
		_, err := stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[1].ID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	f.VerifyAudit(t)
}

// TestEarlyDeparture brings departures forward and checks the availability
// calendar night by night: exactly the released nights come back.
func TestEarlyDeparture(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	r := f.Book(t, f.Day(0), f.Day(6))
	r2 := f.Book(t, f.Day(0), f.Day(6))
	// A minimum stay set later never keeps a guest who is leaving.
	six := 6
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(0), To: f.Day(1), MinStay: &six}))(t)
	f.At(f.Day(0), 15, 0)
	r = pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	r2 = pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r2.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
	f.At(f.Day(2), 10, 0)
	window := func() string { return fmt.Sprint(f.Available(t, f.Day(0), f.Day(7))) }
	if got, want := window(), "[0 0 0 0 0 0 2]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			dep  date.Date
			code string
		}{
			{"BeforeToday", f.Day(1), aura.EINVALID},
			{"NotEarlier", f.Day(6), aura.EINVALID},
			{"Later", f.Day(7), aura.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := stays.New(f.DB).DepartEarly(f.Ctx, r.ID, stays.EarlyDeparture{Departure: tc.dep})
				pmstest.WantCode(t, err, tc.code)
			})
		}
		t.Run("NotInHouse", func(t *testing.T) {
			later := f.Book(t, f.Day(8), f.Day(10))
			_, err := stays.New(f.DB).DepartEarly(f.Ctx, later.ID, stays.EarlyDeparture{Departure: f.Day(9)})
			pmstest.WantCode(t, err, aura.ECONFLICT)
		})
		t.Run("NotFound", func(t *testing.T) {
			_, err := stays.New(f.DB).DepartEarly(f.Ctx, "res_nope", stays.EarlyDeparture{})
			pmstest.WantCode(t, err, aura.ENOTFOUND)
		})
	})
	r = pmstest.Must(stays.New(f.DB).DepartEarly(f.Ctx, r.ID, stays.EarlyDeparture{Departure: f.Day(4), Version: r.Version}))(t)
	if got, want := window(), "[0 0 0 0 1 1 2]"; got != want {
		t.Fatalf("availability after departing on day 4 %s, want %s", got, want)
	}
	if got, want := r.Total.Amount, int64(4*pmstest.Nightly); got != want || r.Status != stays.ReservationInHouse {
		t.Fatalf("total %d, status %s; want %d, in house", got, r.Status, want)
	}
	if action, after := pmstest.LastAction(t, f); action != "reservation.early_departure" || !strings.Contains(after, `"booked_departure":"`+f.Day(6).String()) {
		t.Fatalf("last audit row %s %s", action, after)
	}
	// Departure today (no date given), then the check-out on that day is
	// not an early departure any more.
	r = pmstest.Must(stays.New(f.DB).DepartEarly(f.Ctx, r.ID, stays.EarlyDeparture{}))(t)
	if got, want := window(), "[0 0 1 1 1 1 2]"; got != want {
		t.Fatalf("availability after departing today %s, want %s", got, want)
	}
	out := pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, r.ID, r.Version))(t)
	if out.EarlyDeparture || out.Unsettled || out.Balance != (tenant.Money{Amount: 0, Currency: "EUR"}) || out.DirtyRoomID != f.Rooms[0].ID {
		t.Fatalf("check-out result %+v", out)
	}
	// Checking out before the departure date is an early departure too.
	out = pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, r2.ID, 0))(t)
	if !out.EarlyDeparture || out.Reservation.Departure != f.Day(2) {
		t.Fatalf("early check-out %+v", out)
	}
	if got, want := window(), "[0 0 2 2 2 2 2]"; got != want {
		t.Fatalf("availability after the early check-out %s, want %s", got, want)
	}
	if f.Condition(t, 0) != inventory.HousekeepingDirty || f.Condition(t, 1) != inventory.HousekeepingDirty {
		t.Fatal("check-out did not mark the rooms dirty")
	}
	f.VerifyAudit(t)
}

// TestExtendStay extends a guest in house: the added nights are priced
// from the rate calendar and taken from stock, the room must be free, and
// for a direct booking the restrictions of what is added apply.
func TestExtendStay(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	r := f.Book(t, f.Day(0), f.Day(2))
	f.At(f.Day(0), 15, 0)
	r = pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	// Set after the booking: prices rise, the arrival day gets a minimum
	// stay the guest no longer needs to meet.
	f.SetPrice(t, f.Plan.ID, f.Day(2), f.Day(30), 12000)
	five, yes, no := 5, true, false
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(0), To: f.Day(1), MinStay: &five}))(t)
	f.At(f.Day(1), 10, 0)
	window := func() string { return fmt.Sprint(f.Available(t, f.Day(0), f.Day(6))) }
	if got, want := window(), "[1 1 2 2 2 2]"; got != want {
		t.Fatalf("availability %s, want %s", got, want)
	}
	r = pmstest.Must(stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(4), Version: r.Version}))(t)
	var prices []int64
	for _, n := range r.Nights {
		prices = append(prices, n.Price.Amount)
	}
	if got, want := fmt.Sprint(prices), "[10000 10000 12000 12000]"; got != want {
		t.Fatalf("prices %s, want %s", got, want)
	}
	if got, want := nightRooms(f, r), "101 101 101 101"; got != want {
		t.Fatalf("rooms %s, want %s", got, want)
	}
	if got, want := window(), "[1 1 1 1 2 2]"; got != want {
		t.Fatalf("availability after extending to day 4 %s, want %s", got, want)
	}
	if action, _ := pmstest.LastAction(t, f); action != "reservation.extended" {
		t.Fatalf("last audit row %s", action)
	}
	t.Run("ErrNotLater", func(t *testing.T) {
		_, err := stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(4)})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	t.Run("ErrClosedToDeparture", func(t *testing.T) {
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(5), To: f.Day(6), ClosedToDeparture: &yes}))(t)
		_, err := stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(5)})
		pmstest.WantCode(t, err, aura.EINVALID)
		if fe := aura.ErrorFields(err); len(fe) != 1 || !strings.Contains(fe[0].Message, "closed to departure") {
			t.Fatalf("fields %v, want closed to departure only", fe)
		}
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(5), To: f.Day(6), ClosedToDeparture: &no}))(t)
	})
	t.Run("ErrStopSell", func(t *testing.T) {
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(6), To: f.Day(7), StopSell: &yes}))(t)
		_, err := stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(8)})
		pmstest.WantCode(t, err, aura.EINVALID)
		if fe := aura.ErrorFields(err); len(fe) != 1 || fe[0].Field != "departure" || !strings.Contains(fe[0].Message, "stop-sell") {
			t.Fatalf("fields %v, want the stop-sell only", fe)
		}
	})
	t.Run("ErrRoomTaken", func(t *testing.T) {
		in := f.Booking(f.Day(4), f.Day(5))
		in.Reservations[0].RoomID = f.Rooms[0].ID
		pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
		_, err := stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(5)})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrNoAvailability", func(t *testing.T) {
		f.Book(t, f.Day(4), f.Day(5)) // the last room of night 4
		_, err := stays.New(f.DB).ExtendStay(f.Ctx, r.ID, stays.StayExtension{Departure: f.Day(5)})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	if got, want := window(), "[1 1 1 1 0 2]"; got != want {
		t.Fatalf("availability after the refused extensions %s, want %s", got, want)
	}
	f.VerifyAudit(t)
}

// TestFrontDeskLists builds a day with every kind of stay and checks who
// appears in the arrivals, in-house and departures lists.
func TestFrontDeskLists(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 6, "2025-06-10")
	arrA := f.Book(t, f.Day(0), f.Day(2))
	arrB := f.Book(t, f.Day(0), f.Day(3))
	cancelled := f.Book(t, f.Day(0), f.Day(1))
	pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, cancelled.ID, stays.CancelInput{}))(t)
	noShow := f.Book(t, f.Day(0), f.Day(1))
	pmstest.Must(stays.New(f.DB).MarkNoShow(f.Ctx, noShow.ID, stays.NoShowInput{}))(t)
	stay := f.BookIn(t, stays.ReservationInHouse, f.Day(-2), f.Day(2), 2)
	depIn := f.BookIn(t, stays.ReservationInHouse, f.Day(-2), f.Day(0), 3)
	depOut := f.BookIn(t, stays.ReservationInHouse, f.Day(-3), f.Day(0), 4)
	overdue := f.BookIn(t, stays.ReservationInHouse, f.Day(-4), f.Day(-1), 5)
	neverCame := f.BookIn(t, stays.ReservationConfirmed, f.Day(-1), f.Day(0), -1)
	f.At(f.Day(0), 10, 0)
	pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, depOut.ID, 0))(t)
	f.At(f.Day(0), 15, 0)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, arrB.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID, Guests: []stays.GuestCheckIn{{}}}))(t)

	ids := func(rows []frontdesk.FrontDeskRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Reservation.ID)
		}
		return strings.Join(out, " ")
	}
	join := func(rs ...stays.Reservation) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	opens := tenant.GuestOpens()
	fd := pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, date.Date{}))(t)
	if got := tenant.GuestOpens() - opens; got != 6 {
		t.Fatalf("the lists unsealed %d guests, want the 6 listed", got)
	}
	if fd.Date != f.Day(0) || fd.Today != f.Day(0) {
		t.Fatalf("date %s today %s, want %s", fd.Date, fd.Today, f.Day(0))
	}
	if got, want := ids(fd.Arrivals), join(arrA, arrB); got != want {
		t.Fatalf("arrivals %s, want %s (not yet arrived first)", got, want)
	}
	if got, want := ids(fd.InHouse), join(arrB, stay, depIn, overdue); got != want {
		t.Fatalf("in house %s, want %s (by room)", got, want)
	}
	if got, want := ids(fd.Departures), join(depIn, depOut); got != want {
		t.Fatalf("departures %s, want %s (still in house first)", got, want)
	}
	for _, row := range fd.InHouse {
		if got, want := row.Overdue, row.Reservation.ID == overdue.ID; got != want {
			t.Fatalf("%s overdue %v, want %v", row.Reservation.ID, got, want)
		}
	}
	b := fd.Arrivals[1]
	if b.GuestName != "Ada Lovelace" || b.RoomNumber != "102" || b.RoomCondition != inventory.HousekeepingClean || b.CheckIns != 1 ||
		b.Balance != (tenant.Money{Currency: "EUR"}) {
		t.Fatalf("arrival row %+v", b)
	}
	if d := fd.Departures[1]; d.RoomNumber != "105" || d.RoomCondition != inventory.HousekeepingDirty {
		t.Fatalf("checked-out departure row: room %s %s, want 105 dirty", d.RoomNumber, d.RoomCondition)
	}
	if fd.Arrivals[0].RoomNumber != "" {
		t.Fatalf("an arrival without a room shows room %q", fd.Arrivals[0].RoomNumber)
	}
	_ = neverCame // confirmed, departing today, never arrived: in no list (the night audit makes it a no-show)

	// Another date: who spent that night in the house.
	past := pmstest.Must(frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, f.Day(-3)))(t)
	if got, want := ids(past.InHouse), join(depOut, overdue); got != want {
		t.Fatalf("in house on day -3: %s, want %s", got, want)
	}
	if got, want := ids(past.Arrivals), join(depOut); got != want {
		t.Fatalf("arrivals on day -3: %s, want %s", got, want)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := frontdesk.New(f.DB).FrontDesk(f.Ctx, "prp_nope", date.Date{})
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
}

// TestFrontDeskMutationsAudited runs every state change of the front desk
// once and checks that each wrote its audit row last, and that the chain
// verifies at the end.
func TestFrontDeskMutationsAudited(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	db, ctx := f.DB, f.Ctx
	r := f.Book(t, f.Day(0), f.Day(4))
	f.At(f.Day(0), 15, 0)
	var rec stays.CheckInRecord
	var photo stays.IDPhoto
	steps := []struct {
		action string
		run    func() error
	}{
		{"property.updated", func() error {
			fd := inventory.FrontDeskSettings{IDPhotoRetentionDays: 1, PurgeDocumentNumbers: true, NightAuditTime: "02:00"}
			_, err := inventory.New(db).UpdateProperty(ctx, f.Prop.ID, inventory.PropertyInput{Name: f.Prop.Name, TimeZone: f.Prop.TimeZone, Currency: "EUR", FrontDesk: &fd})
			return err
		}},
		{"reservation.checked_in", func() (err error) {
			_, err = stays.New(db).CheckIn(ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID})
			return
		}},
		{"checkin_record.created", func() (err error) {
			rec, err = stays.New(db).RecordCheckIn(ctx, r.ID, stays.GuestCheckIn{Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "X1", IssuingCountry: "IT"}})
			return
		}},
		{"checkin_record.photo_added", func() (err error) {
			photo, err = stays.New(db).AddIDPhoto(ctx, rec.ID, pmstest.PhotoPNG(t))
			return
		}},
		{"checkin_record.updated", func() (err error) {
			_, err = stays.New(db).UpdateCheckInRecord(ctx, rec.ID, stays.CheckInRecordUpdate{Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: "X2", IssuingCountry: "IT"}})
			return
		}},
		{"checkin_record.photo_deleted", func() error { return stays.New(db).DeleteIDPhoto(ctx, photo.ID) }},
		{"reservation.room_moved", func() (err error) {
			_, err = stays.New(db).AssignRoom(ctx, r.ID, f.Rooms[1].ID, 0)
			return
		}},
		{"reservation.extended", func() (err error) {
			_, err = stays.New(db).ExtendStay(ctx, r.ID, stays.StayExtension{Departure: f.Day(6)})
			return
		}},
		{"reservation.early_departure", func() (err error) {
			_, err = stays.New(db).DepartEarly(ctx, r.ID, stays.EarlyDeparture{Departure: f.Day(2)})
			return
		}},
		{"reservation.checked_out", func() (err error) {
			f.At(f.Day(2), 10, 0)
			_, err = stays.New(db).CheckOut(ctx, r.ID, 0)
			return
		}},
		{"room.housekeeping_changed", func() (err error) {
			_, err = inventory.New(db).SetHousekeeping(ctx, f.Rooms[1].ID, inventory.HousekeepingClean, 0)
			return
		}},
		{"checkin_record.purged", func() (err error) {
			if _, err := stays.New(db).AddIDPhoto(ctx, rec.ID, pmstest.PhotoPNG(t)); aura.ErrorCode(err) != aura.ECONFLICT {
				return fmt.Errorf("a photo added after check-out: %v", err)
			}
			f.At(f.Day(3), 11, 0)
			_, err = frontdesk.New(db).PurgeIDPhotos(ctx)
			return
		}},
		{"night_audit.closed", func() (err error) {
			_, err = frontdesk.New(db).RunNightAudit(ctx, f.Prop.ID)
			return
		}},
	}
	for _, s := range steps {
		before := f.AuditRows(t)
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		if f.AuditRows(t) <= before {
			t.Fatalf("%s wrote no audit row", s.action)
		}
		if action, _ := pmstest.LastAction(t, f); action != s.action {
			t.Fatalf("last audit row of the step is %q, want %q", action, s.action)
		}
	}
	f.VerifyAudit(t)
}

// TestFrontDeskPlans checks that the front-desk lists read only the day's
// reservations through an index, never the whole history. The queries read
// every column, as stays.QueryReservations does: a query of the id alone
// could be answered from an index that holds it and be planned otherwise.
func TestFrontDeskPlans(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	for _, tc := range []struct {
		name, query, index string
	}{
		{"Arrivals", `SELECT r.* FROM reservations r WHERE r.property_id = 'p' AND r.arrival = '2025-06-10' AND r.status NOT IN ('cancelled', 'no_show')`, "reservations_arrival"},
		{"InHouseToday", `SELECT r.* FROM reservations r WHERE r.property_id = 'p' AND r.status = 'in_house'`, "reservations_status"},
		{"InHouseOnADate", `SELECT r.* FROM reservations r WHERE r.id IN (SELECT n.reservation_id FROM reservation_nights n INDEXED BY reservation_nights_sold
			WHERE n.holds = 1 AND n.date = '2025-06-10' AND n.room_type_id IN (SELECT id FROM room_types WHERE property_id = 'p'))
			AND r.status IN ('in_house', 'checked_out')`, "COVERING INDEX reservation_nights_sold"},
		{"Departures", `SELECT r.* FROM reservations r WHERE r.property_id = 'p' AND r.departure = '2025-06-10' AND r.status IN ('in_house', 'checked_out')`, "reservations_departure"},
	} {
		rows, err := f.DB.SQL().Read.Query(`EXPLAIN QUERY PLAN ` + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, tc.index) || strings.Contains(p, "SCAN r") {
			t.Errorf("%s: plan %q does not search %s", tc.name, p, tc.index)
		}
	}
}
