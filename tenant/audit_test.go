package tenant_test

import (
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestEveryMutationAudited runs every state-changing store method once and
// checks that each appended audit rows with the expected action, and that
// the chain verifies at the end.
func TestEveryMutationAudited(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	db, ctx := f.DB, f.Ctx
	var (
		prop  inventory.Property
		rt    inventory.RoomType
		room  inventory.Room
		block inventory.RoomBlock
		plan  inventory.RatePlan
		g     stays.Guest
		b     stays.Booking
		r     stays.Reservation
		r2    stays.Reservation
		r3    stays.Reservation
	)
	two := 2
	steps := []struct {
		action string
		run    func() error
	}{
		{"property.created", func() (err error) {
			prop, err = inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Second", TimeZone: "Europe/Vienna", Currency: "EUR"})
			return
		}},
		{"property.updated", func() (err error) {
			prop, err = inventory.New(db).UpdateProperty(ctx, prop.ID, inventory.PropertyInput{Name: "Second House", TimeZone: "Europe/Vienna", Currency: "EUR", Version: prop.Version})
			return
		}},
		{"room_type.created", func() (err error) {
			rt, err = inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "SGL", Name: "Single", Capacity: 1, BaseOccupancy: 1})
			return
		}},
		{"room_type.updated", func() (err error) {
			rt, err = inventory.New(db).UpdateRoomType(ctx, rt.ID, inventory.RoomTypeInput{Code: "SGL", Name: "Single room", Capacity: 2, BaseOccupancy: 1})
			return
		}},
		{"room.created", func() (err error) {
			room, err = inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: rt.ID, Number: "201"})
			return
		}},
		{"room.updated", func() (err error) {
			room, err = inventory.New(db).UpdateRoom(ctx, room.ID, inventory.RoomInput{RoomTypeID: rt.ID, Number: "201", Floor: "2", Features: []string{"balcony"}})
			return
		}},
		{"room.housekeeping_changed", func() (err error) {
			room, err = inventory.New(db).SetHousekeeping(ctx, room.ID, inventory.HousekeepingInspected, room.Version)
			return
		}},
		{"room_block.created", func() (err error) {
			block, err = inventory.New(db).CreateRoomBlock(ctx, inventory.RoomBlockInput{RoomID: room.ID, Kind: inventory.OutOfOrder, Start: f.Day(1), End: f.Day(2)})
			return
		}},
		{"room_block.deleted", func() error { return inventory.New(db).DeleteRoomBlock(ctx, block.ID) }},
		{"rate_plan.created", func() (err error) {
			plan, err = inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: rt.ID, Code: "SGL-FLEX", Name: "Single flexible"})
			return
		}},
		{"rate_plan.updated", func() (err error) {
			plan, err = inventory.New(db).UpdateRatePlan(ctx, plan.ID, inventory.RatePlanInput{Code: "SGL-FLEX", Name: "Single flexible", Active: true})
			return
		}},
		{"rates.updated", func() error {
			_, err := inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: f.Day(0), To: f.Day(30), MinStay: &two})
			return err
		}},
		{"guest.created", func() (err error) {
			g, err = stays.New(db).CreateGuest(ctx, stays.GuestInput{GivenName: "Gail", FamilyName: "Guest"})
			return
		}},
		{"guest.created", func() error {
			_, err := stays.New(db).CreateGuests(ctx, []stays.GuestInput{{FamilyName: "One"}, {FamilyName: "Two"}})
			return err
		}},
		{"guest.updated", func() (err error) {
			g, err = stays.New(db).UpdateGuest(ctx, g.ID, stays.GuestInput{GivenName: "Gail", FamilyName: "Guesting"})
			return
		}},
		{"reservation.created", func() (err error) {
			in := f.Booking(f.Day(0), f.Day(3))
			in.Reservations = append(in.Reservations, in.Reservations[0], in.Reservations[0])
			in.Reservations[2].Arrival, in.Reservations[2].Departure = f.Day(10), f.Day(12)
			b, err = stays.New(db).CreateBooking(ctx, in)
			if err == nil {
				r, r2, r3 = b.Reservations[0], b.Reservations[1], b.Reservations[2]
			}
			return
		}},
		{"booking.updated", func() (err error) {
			notes := "late arrival"
			b, err = stays.New(db).UpdateBooking(ctx, b.ID, stays.BookingUpdate{Notes: &notes})
			return
		}},
		{"reservation.room_assigned", func() (err error) {
			r, err = stays.New(db).AssignRoom(ctx, r.ID, f.Rooms[0].ID, r.Version)
			return
		}},
		{"reservation.room_unassigned", func() (err error) {
			r, err = stays.New(db).UnassignRoom(ctx, r.ID, r.Version)
			return
		}},
		{"reservation.stay_changed", func() (err error) {
			r, err = stays.New(db).ChangeStay(ctx, r.ID, stays.StayChange{Departure: f.Day(2), Version: r.Version})
			return
		}},
		{"reservation.checked_in", func() (err error) {
			r, err = stays.New(db).CheckIn(ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID, Version: r.Version})
			return
		}},
		{"reservation.checked_out", func() (err error) {
			var out stays.CheckOutResult
			out, err = stays.New(db).CheckOut(ctx, r.ID, r.Version)
			r = out.Reservation
			return
		}},
		{"reservation.no_show", func() (err error) {
			r2, err = stays.New(db).MarkNoShow(ctx, r2.ID, stays.NoShowInput{})
			return
		}},
		{"reservation.cancelled", func() (err error) {
			r3, err = stays.New(db).Cancel(ctx, r3.ID, stays.CancelInput{})
			return
		}},
	}
	for _, s := range steps {
		before := f.AuditRows(t)
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		after := f.AuditRows(t)
		if after <= before {
			t.Fatalf("%s wrote no audit row", s.action)
		}
		var action string
		if err := db.SQL().Read.QueryRow(`SELECT action FROM audit_log WHERE seq = ?`, after).Scan(&action); err != nil {
			t.Fatal(err)
		}
		// A booking writes booking.created, then one row per reservation.
		if action != s.action {
			t.Fatalf("last audit row of the step is %q, want %q", action, s.action)
		}
	}
	var created int
	if err := db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'booking.created' AND entity_id = ?`, b.ID).Scan(&created); err != nil || created != 1 {
		t.Fatalf("booking.created rows for the booking: %d (%v)", created, err)
	}
	f.VerifyAudit(t)
}
