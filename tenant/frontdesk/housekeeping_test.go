package frontdesk_test

import (
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestHousekeepingBoard lays out a morning: a departure, a turnover, a
// stay-over, an arrival, a guest moving rooms, a room out of order and an
// overdue guest, and checks each card, then the day's work: check-out
// dirties the room, housekeeping marks it clean, a supervisor inspects it.
func TestHousekeepingBoard(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 8, "2025-06-10")
	// Rooms 101..108, all of one type.
	departing := f.BookIn(t, stays.ReservationInHouse, f.Day(-2), f.Day(0), 0) // 101
	f.BookIn(t, stays.ReservationInHouse, f.Day(-1), f.Day(0), 1)              // 102
	f.BookIn(t, stays.ReservationConfirmed, f.Day(0), f.Day(2), 1)             // 102
	f.BookIn(t, stays.ReservationInHouse, f.Day(-1), f.Day(3), 2)              // 103
	f.BookIn(t, stays.ReservationConfirmed, f.Day(0), f.Day(1), 3)             // 104
	mover := f.BookIn(t, stays.ReservationInHouse, f.Day(-1), f.Day(3), 4)     // 105 → 106
	f.BookIn(t, stays.ReservationInHouse, f.Day(-3), f.Day(-1), 7)             // 108
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[6].ID, Kind: inventory.OutOfOrder, Start: f.Day(0), End: f.Day(2),
		Reason: "Leaking shower"}))(t) // 107
	f.At(f.Day(0), 9, 0)
	pmstest.Must(stays.New(f.DB).AssignRoom(f.Ctx, mover.ID, f.Rooms[5].ID, 0))(t)

	board := pmstest.Must(frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, date.Date{}))(t)
	if board.Date != f.Day(0) || len(board.Rooms) != 8 {
		t.Fatalf("board for %s with %d rooms", board.Date, len(board.Rooms))
	}
	type card struct {
		occupancy         string
		departed, arrived bool
		overdue           bool
		guests            int
		condition         string
	}
	want := map[string]card{
		"101": {occupancy: frontdesk.OccupancyDeparting, condition: "clean"},
		"102": {occupancy: frontdesk.OccupancyTurnover, guests: 2, condition: "clean"},
		"103": {occupancy: frontdesk.OccupancyOccupied, guests: 2, condition: "clean"},
		"104": {occupancy: frontdesk.OccupancyArriving, guests: 2, condition: "clean"},
		"105": {occupancy: frontdesk.OccupancyDeparting, departed: true, condition: "dirty"}, // the mover left it
		"106": {occupancy: frontdesk.OccupancyArriving, arrived: true, guests: 2, condition: "clean"},
		"107": {occupancy: frontdesk.OccupancyVacant, condition: "clean"},
		"108": {occupancy: frontdesk.OccupancyDeparting, overdue: true, condition: "clean"},
	}
	var numbers []string
	for _, c := range board.Rooms {
		numbers = append(numbers, c.Number)
		got := card{c.Occupancy, c.Departed, c.Arrived, c.Overdue, c.Guests, c.Condition}
		if got != want[c.Number] {
			t.Errorf("room %s: %+v, want %+v", c.Number, got, want[c.Number])
		}
		if got, want := c.OutOfOrder(), c.Number == "107"; got != want {
			t.Errorf("room %s out of order %v, want %v", c.Number, got, want)
		}
	}
	if got, want := strings.Join(numbers, " "), "101 102 103 104 105 106 107 108"; got != want {
		t.Fatalf("board order %s, want %s", got, want)
	}
	if got, want := board.Counts, (frontdesk.BoardCounts{Clean: 7, Dirty: 1, OutOfOrder: 1, Departures: 4, Arrivals: 3}); got != want {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	if b := board.Rooms[6].Block; b == nil || b.Reason != "Leaking shower" {
		t.Fatalf("room 107's block %+v", b)
	}

	// Check-out: the room becomes dirty and the card says the guest has left.
	f.At(f.Day(0), 10, 30)
	pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, departing.ID, 0))(t)
	c := pmstest.Must(frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, date.Date{}))(t).Rooms[0]
	if c.Condition != inventory.HousekeepingDirty || !c.Departed {
		t.Fatalf("room 101 after check-out: %+v", c)
	}
	// Housekeeping cleans it, the supervisor inspects it; a stale tap is refused.
	room := pmstest.Must(inventory.New(f.DB).SetHousekeeping(f.Ctx, c.RoomID, inventory.HousekeepingClean, c.Version))(t)
	_, err := inventory.New(f.DB).SetHousekeeping(f.Ctx, c.RoomID, inventory.HousekeepingInspected, c.Version)
	pmstest.WantCode(t, err, aura.EPRECONDITION)
	_, err = inventory.New(f.DB).SetHousekeeping(f.Ctx, c.RoomID, "sparkling", 0)
	pmstest.WantCode(t, err, aura.EINVALID)
	pmstest.Must(inventory.New(f.DB).SetHousekeeping(f.Ctx, c.RoomID, inventory.HousekeepingInspected, room.Version))(t)
	var before, after string
	if err := f.DB.SQL().Read.QueryRow(`SELECT before_json, after_json FROM audit_log WHERE action = 'room.housekeeping_changed' AND entity_id = ?
		ORDER BY seq DESC LIMIT 1`, c.RoomID).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if before != `{"housekeeping":"clean"}` || after != `{"housekeeping":"inspected"}` {
		t.Fatalf("housekeeping audit row %s → %s", before, after)
	}
	// The tape chart shows the same conditions.
	tc := pmstest.Must(stays.New(f.DB).TapeChart(f.Ctx, f.Prop.ID, f.Day(0), f.Day(1)))(t)
	if got := tc.Rooms[0].Room.Housekeeping; got != inventory.HousekeepingInspected {
		t.Fatalf("tape chart shows room 101 %s, want inspected", got)
	}
	// Tomorrow's board: the arrival of 104 departs, 102's guests stay over.
	next := pmstest.Must(frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, f.Day(1)))(t)
	if got := next.Rooms[3].Occupancy; got != frontdesk.OccupancyDeparting {
		t.Fatalf("room 104 tomorrow %s, want departing", got)
	}
	if got := next.Rooms[1].Occupancy; got != frontdesk.OccupancyOccupied {
		t.Fatalf("room 102 tomorrow %s, want occupied", got)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, "prp_nope", date.Date{})
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	f.VerifyAudit(t)
}
