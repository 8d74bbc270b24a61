package tenant_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
)

func TestInventoryRules(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 2, "2025-06-10")
	t.Run("ErrDuplicateCode", func(t *testing.T) {
		_, err := f.db.CreateRoomType(f.ctx, tenant.RoomTypeInput{PropertyID: f.prop.ID, Code: "DBL", Name: "Again", Capacity: 2, BaseOccupancy: 1})
		wantCode(t, err, aura.ECONFLICT)
		if !hasField(err, "code") {
			t.Fatalf("fields %v", aura.ErrorFields(err))
		}
	})
	t.Run("ErrDuplicateNumber", func(t *testing.T) {
		_, err := f.db.CreateRoom(f.ctx, tenant.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: "101"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.db.CreateRoomType(f.ctx, tenant.RoomTypeInput{PropertyID: f.prop.ID, Code: "X Y", Name: "", Capacity: 2, BaseOccupancy: 3})
		wantCode(t, err, aura.EINVALID)
		for _, field := range []string{"code", "name", "base_occupancy"} {
			if !hasField(err, field) {
				t.Fatalf("fields %v do not name %s", aura.ErrorFields(err), field)
			}
		}
		_, err = f.db.CreateRoom(f.ctx, tenant.RoomInput{PropertyID: f.prop.ID, RoomTypeID: "rmt_nope", Number: "999"})
		wantCode(t, err, aura.EINVALID)
	})
	suite := must(f.db.CreateRoomType(f.ctx, tenant.RoomTypeInput{PropertyID: f.prop.ID, Code: "STE", Name: "Suite", Capacity: 4, BaseOccupancy: 2}))(t)
	r := f.book(t, f.day(1), f.day(3))
	must(f.db.AssignRoom(f.ctx, r.ID, f.rooms[0].ID, 0))(t)
	t.Run("ErrRetypeAssignedRoom", func(t *testing.T) {
		_, err := f.db.UpdateRoom(f.ctx, f.rooms[0].ID, tenant.RoomInput{RoomTypeID: suite.ID, Number: "101"})
		wantCode(t, err, aura.ECONFLICT)
		moved := must(f.db.UpdateRoom(f.ctx, f.rooms[1].ID, tenant.RoomInput{RoomTypeID: suite.ID, Number: "102"}))(t)
		if moved.RoomTypeID != suite.ID {
			t.Fatal("a free room did not change its type")
		}
		// The double type now has one room, and it is sold on the stay's nights.
		if got := f.available(t, f.day(1), f.day(2))[0]; got != 0 {
			t.Fatalf("available %d, want 0", got)
		}
	})
	t.Run("ErrCapacityBelowParty", func(t *testing.T) {
		_, err := f.db.UpdateRoomType(f.ctx, f.rt.ID, tenant.RoomTypeInput{Code: "DBL", Name: "Double", Capacity: 1, BaseOccupancy: 1})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.db.GetReservation(f.ctx, "res_nope")
		wantCode(t, err, aura.ENOTFOUND)
		_, err = f.db.GetRoom(f.ctx, "rom_nope")
		wantCode(t, err, aura.ENOTFOUND)
		_, err = f.db.Availability(f.ctx, "prp_nope", f.day(0), f.day(1))
		wantCode(t, err, aura.ENOTFOUND)
		_, err = f.db.CheckIn(f.ctx, "res_nope", tenant.CheckInInput{})
		wantCode(t, err, aura.ENOTFOUND)
	})
	t.Run("ErrRange", func(t *testing.T) {
		_, err := f.db.Availability(f.ctx, f.prop.ID, f.day(3), f.day(3))
		wantCode(t, err, aura.EINVALID)
		_, err = f.db.TapeChart(f.ctx, f.prop.ID, f.day(0), f.day(tenant.MaxRange+1))
		wantCode(t, err, aura.EINVALID)
	})
	f.verifyAudit(t)
}

func TestListReservationsPages(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 3, "2025-06-10")
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, f.book(t, f.day(i), f.day(i+1)).ID)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the cursor never ends")
		}
		p := must(f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, Limit: 3, Cursor: cursor}))(t)
		for _, r := range p.Reservations {
			got = append(got, r.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(got) != len(want) {
		t.Fatalf("paged through %d reservations, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v (by arrival)", got, want)
		}
	}
	arrivals := must(f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, ArrivalFrom: f.day(2), ArrivalTo: f.day(3)}))(t)
	if len(arrivals.Reservations) != 1 || arrivals.Reservations[0].ID != want[2] {
		t.Fatalf("arrivals of day 2: %v", arrivals.Reservations)
	}
	_, err := f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, Cursor: "garbage!"})
	wantCode(t, err, aura.EINVALID)
	_, err = f.db.ListReservations(f.ctx, tenant.ReservationFilter{PropertyID: f.prop.ID, Statuses: []string{"checked_in"}})
	wantCode(t, err, aura.EINVALID)
}
