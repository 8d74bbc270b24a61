package inventory_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

func TestInventoryRules(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	t.Run("ErrDuplicateCode", func(t *testing.T) {
		_, err := inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "DBL", Name: "Again", Capacity: 2, BaseOccupancy: 1})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		if !pmstest.HasField(err, "code") {
			t.Fatalf("fields %v", aura.ErrorFields(err))
		}
	})
	t.Run("ErrDuplicateNumber", func(t *testing.T) {
		_, err := inventory.New(f.DB).CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Number: "101"})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "X Y", Name: "", Capacity: 2, BaseOccupancy: 3})
		pmstest.WantCode(t, err, aura.EINVALID)
		for _, field := range []string{"code", "name", "base_occupancy"} {
			if !pmstest.HasField(err, field) {
				t.Fatalf("fields %v do not name %s", aura.ErrorFields(err), field)
			}
		}
		_, err = inventory.New(f.DB).CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: "rmt_nope", Number: "999"})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	suite := pmstest.Must(inventory.New(f.DB).CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "STE", Name: "Suite", Capacity: 4, BaseOccupancy: 2}))(t)
	r := f.Book(t, f.Day(1), f.Day(3))
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, r.ID, f.Rooms[0].ID, 0))(t)
	t.Run("ErrRetypeAssignedRoom", func(t *testing.T) {
		_, err := inventory.New(f.DB).UpdateRoom(f.Ctx, f.Rooms[0].ID, inventory.RoomInput{RoomTypeID: suite.ID, Number: "101"})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		moved := pmstest.Must(inventory.New(f.DB).UpdateRoom(f.Ctx, f.Rooms[1].ID, inventory.RoomInput{RoomTypeID: suite.ID, Number: "102"}))(t)
		if moved.RoomTypeID != suite.ID {
			t.Fatal("a free room did not change its type")
		}
		// The double type now has one room, and it is sold on the stay's nights.
		if got := f.Available(t, f.Day(1), f.Day(2))[0]; got != 0 {
			t.Fatalf("available %d, want 0", got)
		}
	})
	t.Run("ErrCapacityBelowParty", func(t *testing.T) {
		_, err := inventory.New(f.DB).UpdateRoomType(f.Ctx, f.RT.ID, inventory.RoomTypeInput{Code: "DBL", Name: "Double", Capacity: 1, BaseOccupancy: 1})
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := stays.New(f.DB).GetReservation(f.Ctx, "res_nope")
		pmstest.WantCode(t, err, aura.ENOTFOUND)
		_, err = inventory.New(f.DB).GetRoom(f.Ctx, "rom_nope")
		pmstest.WantCode(t, err, aura.ENOTFOUND)
		_, err = inventory.New(f.DB).Availability(f.Ctx, "prp_nope", f.Day(0), f.Day(1))
		pmstest.WantCode(t, err, aura.ENOTFOUND)
		_, err = stays.New(f.DB).CheckIn(f.Ctx, "res_nope", stays.CheckInInput{})
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	t.Run("ErrRange", func(t *testing.T) {
		_, err := inventory.New(f.DB).Availability(f.Ctx, f.Prop.ID, f.Day(3), f.Day(3))
		pmstest.WantCode(t, err, aura.EINVALID)
		_, err = stays.New(f.DB).TapeChart(f.Ctx, f.Prop.ID, f.Day(0), f.Day(tenant.MaxRange+1))
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	f.VerifyAudit(t)
}

func TestListReservationsPages(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, f.Book(t, f.Day(i), f.Day(i+1)).ID)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the cursor never ends")
		}
		p := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Limit: 3, Cursor: cursor}))(t)
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
	arrivals := pmstest.Must(stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, ArrivalFrom: f.Day(2), ArrivalTo: f.Day(3)}))(t)
	if len(arrivals.Reservations) != 1 || arrivals.Reservations[0].ID != want[2] {
		t.Fatalf("arrivals of day 2: %v", arrivals.Reservations)
	}
	_, err := stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Cursor: "garbage!"})
	pmstest.WantCode(t, err, aura.EINVALID)
	_, err = stays.New(f.DB).ListReservations(f.Ctx, stays.ReservationFilter{PropertyID: f.Prop.ID, Statuses: []string{"checked_in"}})
	pmstest.WantCode(t, err, aura.EINVALID)
}
