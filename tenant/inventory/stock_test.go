package inventory_test

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/inventory"
)

// TestAvailabilityStock checks the stock counts availability reads from
// room_type_rooms (kept by triggers) and room_blocks_end against a count
// of the rooms and blocks themselves, night by night, after rooms were
// added and moved between types and blocked before, across, inside and
// after the range asked for.
func TestAvailabilityStock(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 6, "2025-06-10")
	inv := inventory.New(f.DB)
	suite := pmstest.Must(inv.CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "STE", Name: "Suite", Capacity: 4, BaseOccupancy: 2}))(t)
	empty := pmstest.Must(inv.CreateRoomType(f.Ctx, inventory.RoomTypeInput{PropertyID: f.Prop.ID, Code: "EMP", Name: "Empty", Capacity: 2, BaseOccupancy: 1}))(t)
	for _, i := range []int{4, 5} {
		pmstest.Must(inv.UpdateRoom(f.Ctx, f.Rooms[i].ID, inventory.RoomInput{RoomTypeID: suite.ID, Number: f.Rooms[i].Number}))(t)
	}
	// A room moved there and back, and one only renamed: the counts move with the type only.
	pmstest.Must(inv.UpdateRoom(f.Ctx, f.Rooms[3].ID, inventory.RoomInput{RoomTypeID: empty.ID, Number: f.Rooms[3].Number}))(t)
	pmstest.Must(inv.UpdateRoom(f.Ctx, f.Rooms[3].ID, inventory.RoomInput{RoomTypeID: f.RT.ID, Number: f.Rooms[3].Number}))(t)
	pmstest.Must(inv.UpdateRoom(f.Ctx, f.Rooms[2].ID, inventory.RoomInput{RoomTypeID: f.RT.ID, Number: "301"}))(t)
	pmstest.Must(inv.CreateRoom(f.Ctx, inventory.RoomInput{PropertyID: f.Prop.ID, RoomTypeID: suite.ID, Number: "901", Floor: "9"}))(t)

	from, to := f.Day(5), f.Day(15)
	for _, b := range []struct {
		room       int
		kind       string
		start, end int
	}{
		{0, inventory.OutOfOrder, 1, 4},    // ends before the range
		{0, inventory.OutOfOrder, 15, 30},  // starts at its end
		{1, inventory.OutOfOrder, 3, 7},    // across its start
		{2, inventory.OutOfService, 8, 10}, // inside
		{3, inventory.OutOfOrder, 14, 20},  // across its end
		{4, inventory.OutOfOrder, 6, 9},    // a suite
		{5, inventory.OutOfService, 2, 40}, // a suite, across the whole range
	} {
		pmstest.Must(inv.CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[b.room].ID, Kind: b.kind, Start: f.Day(b.start), End: f.Day(b.end), Reason: "test"}))(t)
	}

	// The triggers' counts equal the rooms.
	read := f.DB.SQL().Read
	var wrong int
	if err := read.QueryRow(`SELECT count(*) FROM room_types t LEFT JOIN room_type_rooms s ON s.room_type_id = t.id
		WHERE coalesce(s.rooms, 0) != (SELECT count(*) FROM rooms r WHERE r.room_type_id = t.id)`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Fatalf("%d room types have a stock count other than their rooms", wrong)
	}

	// Availability equals counting the rooms and blocks of each night.
	a := pmstest.Must(inv.Availability(f.Ctx, f.Prop.ID, from, to))(t)
	if len(a.RoomTypes) != 3 {
		t.Fatalf("%d room types, want 3", len(a.RoomTypes))
	}
	for _, rt := range a.RoomTypes {
		for _, n := range rt.Nights {
			var rooms, ooo, oos int
			if err := read.QueryRow(`SELECT count(*) FROM rooms WHERE room_type_id = ?`, rt.RoomType.ID).Scan(&rooms); err != nil {
				t.Fatal(err)
			}
			if err := read.QueryRow(`SELECT count(*) FILTER (WHERE b.kind = 'out_of_order'), count(*) FILTER (WHERE b.kind = 'out_of_service')
				FROM room_blocks b JOIN rooms r ON r.id = b.room_id WHERE r.room_type_id = ? AND b.start_date <= ? AND b.end_date > ?`,
				rt.RoomType.ID, n.Date, n.Date).Scan(&ooo, &oos); err != nil {
				t.Fatal(err)
			}
			if n.Rooms != rooms || n.OutOfOrder != ooo || n.OutOfService != oos {
				t.Errorf("%s %s: rooms %d, out of order %d, out of service %d; want %d, %d, %d",
					rt.RoomType.Code, n.Date, n.Rooms, n.OutOfOrder, n.OutOfService, rooms, ooo, oos)
			}
		}
	}
	// Spot checks of the expected figures, so the test cannot pass on two wrong counts agreeing.
	want := map[string]map[date.Date][3]int{ // rooms, out of order, out of service
		f.RT.ID:  {f.Day(5): {4, 1, 0}, f.Day(7): {4, 0, 0}, f.Day(9): {4, 0, 1}, f.Day(14): {4, 1, 0}},
		suite.ID: {f.Day(5): {3, 0, 1}, f.Day(6): {3, 1, 1}, f.Day(9): {3, 0, 1}},
		empty.ID: {f.Day(5): {0, 0, 0}},
	}
	for _, rt := range a.RoomTypes {
		for d, w := range want[rt.RoomType.ID] {
			n := rt.Nights[d.Sub(from)]
			if got := [3]int{n.Rooms, n.OutOfOrder, n.OutOfService}; got != w {
				t.Errorf("%s %s: %v, want %v", rt.RoomType.Code, d, got, w)
			}
		}
	}
	f.VerifyAudit(t)
}
