package frontdesk

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// Occupancy of a room on the housekeeping board, for one date.
const (
	OccupancyVacant    = "vacant"    // nobody left this morning, nobody arrives, nobody sleeps here tonight
	OccupancyOccupied  = "occupied"  // a guest stays over: the room held last night's and tonight's guest
	OccupancyArriving  = "arriving"  // a stay starts in this room today (an arrival or a guest moving in)
	OccupancyDeparting = "departing" // a stay in this room ends today (a departure or a guest moving out)
	OccupancyTurnover  = "turnover"  // departing and arriving: clean it between the two
)

// HousekeepingBoard is what housekeeping staff see: every room of a
// property with its condition and who leaves or comes on one date. It
// names no guest.
type HousekeepingBoard struct {
	PropertyID string      `json:"property_id"`
	Date       date.Date   `json:"date"`
	Today      date.Date   `json:"today"`
	Rooms      []BoardRoom `json:"rooms"`
	Counts     BoardCounts `json:"counts"`
}

// BoardCounts sums the board up for its header.
type BoardCounts struct {
	Clean      int `json:"clean"`
	Dirty      int `json:"dirty"`
	Inspected  int `json:"inspected"`
	OutOfOrder int `json:"out_of_order"`
	Departures int `json:"departures"` // rooms departing or turning over
	Arrivals   int `json:"arrivals"`   // rooms arriving or turning over
}

// BoardRoom is one card of the housekeeping board.
type BoardRoom struct {
	RoomID       string `json:"room_id"`
	Number       string `json:"number"`
	Floor        string `json:"floor"`
	RoomTypeID   string `json:"room_type_id"`
	RoomTypeName string `json:"room_type_name"`
	// Condition is the room's housekeeping condition: clean, dirty or
	// inspected. Version goes with it for SetHousekeeping (If-Match).
	Condition string    `json:"condition"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	// Block is the out-of-order or out-of-service period covering the date.
	Block *inventory.RoomBlock `json:"block,omitempty"`
	// Occupancy is one of the Occupancy constants.
	Occupancy string `json:"occupancy"`
	// Departed is set when the stay ending in this room today has left it
	// (checked out, or moved to another room): it can be cleaned now.
	Departed bool `json:"departed,omitempty"`
	// Arrived is set when the stay starting in this room today is in it.
	Arrived bool `json:"arrived,omitempty"`
	// Overdue is set when a guest in house past their departure date is still in the room.
	Overdue bool `json:"overdue,omitempty"`
	// Guests is how many guests sleep in the room tonight (0: nobody).
	Guests int `json:"guests"`
}

// OutOfOrder reports whether the room is out of order on the board's date.
func (b BoardRoom) OutOfOrder() bool { return b.Block != nil && b.Block.Kind == inventory.OutOfOrder }

// HousekeepingBoard returns the housekeeping board of a property for day
// (zero: the property's today), rooms ordered by floor and number. Rooms
// are departing, arriving, occupied or turning over by the nights assigned
// to them on the night before day and the night of day; on the property's
// today a guest still in house after the departure date keeps the room
// departing (Overdue). It returns ENOTFOUND for an unknown property.
func (db Store) HousekeepingBoard(ctx context.Context, propertyID string, day date.Date) (HousekeepingBoard, error) {
	b := HousekeepingBoard{PropertyID: propertyID, Rooms: []BoardRoom{}}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		p, err := inventory.GetProperty(tx, propertyID)
		if err != nil {
			return err
		}
		if b.Today, err = p.Today(tx); err != nil {
			return err
		}
		if day.IsZero() {
			day = b.Today
		}
		b.Date = day
		types, err := inventory.ListRoomTypes(tx, propertyID)
		if err != nil {
			return err
		}
		typeNames := map[string]string{}
		args := []any{}
		for _, t := range types {
			typeNames[t.ID] = t.Name
			args = append(args, t.ID)
		}
		rooms, err := inventory.ListRooms(tx, propertyID)
		if err != nil {
			return err
		}
		blocks, err := inventory.ListRoomBlocks(tx, propertyID, day, day.AddDays(1))
		if err != nil {
			return err
		}
		blockOf := map[string]*inventory.RoomBlock{}
		for i := range blocks {
			blockOf[blocks[i].RoomID] = &blocks[i]
		}
		// Who held each room last night and tonight.
		type stay struct {
			res    string
			status string
			guests int
		}
		last, tonight := map[string]stay{}, map[string]stay{}
		resTonight := map[string]string{} // reservation → its room tonight
		if len(args) > 0 {
			rows, err := tx.Query(`SELECT n.room_id, n.date, n.reservation_id, r.status, r.adults + r.children
				FROM reservation_nights n INDEXED BY reservation_nights_sold JOIN reservations r ON r.id = n.reservation_id
				WHERE n.holds = 1 AND n.room_type_id IN (`+tenant.Placeholders(len(args))+`) AND n.date >= ? AND n.date <= ? AND n.room_id IS NOT NULL`,
				append(args, day.AddDays(-1), day)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var room string
				var d date.Date
				var s stay
				if err := rows.Scan(&room, &d, &s.res, &s.status, &s.guests); err != nil {
					rows.Close()
					return err
				}
				if d == day {
					tonight[room] = s
					resTonight[s.res] = room
				} else {
					last[room] = s
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		overdue := map[string]bool{}
		if day == b.Today {
			rows, err := tx.Query(`SELECT room_id FROM reservations INDEXED BY reservations_status
				WHERE property_id = ? AND status = 'in_house' AND departure < ? AND room_id IS NOT NULL`,
				propertyID, day)
			if err != nil {
				return err
			}
			for rows.Next() {
				var room sql.NullString
				if err := rows.Scan(&room); err != nil {
					rows.Close()
					return err
				}
				overdue[room.String] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		// Day uses: guests who arrived and checked out on the day; their
		// night is back in stock, but the room was lived in and is left.
		dayUse := map[string]bool{}
		rows, err := tx.Query(`SELECT r.room_id FROM reservations r INDEXED BY reservations_arrival
			WHERE r.property_id = ? AND r.arrival = ? AND r.status = 'checked_out' AND r.room_id IS NOT NULL
			AND EXISTS (SELECT 1 FROM reservation_nights n WHERE n.reservation_id = r.id AND n.holds = 0)`, propertyID, day)
		if err != nil {
			return err
		}
		for rows.Next() {
			var room string
			if err := rows.Scan(&room); err != nil {
				rows.Close()
				return err
			}
			dayUse[room] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range rooms {
			card := BoardRoom{RoomID: r.ID, Number: r.Number, Floor: r.Floor, RoomTypeID: r.RoomTypeID, RoomTypeName: typeNames[r.RoomTypeID],
				Condition: r.Housekeeping, Version: r.Version, UpdatedAt: r.UpdatedAt, Block: blockOf[r.ID], Occupancy: OccupancyVacant}
			l, hadLast := last[r.ID]
			t, hasTonight := tonight[r.ID]
			switch {
			case hadLast && hasTonight && l.res == t.res:
				card.Occupancy = OccupancyOccupied
			case hadLast && hasTonight:
				card.Occupancy = OccupancyTurnover
			case hadLast:
				card.Occupancy = OccupancyDeparting
			case hasTonight:
				card.Occupancy = OccupancyArriving
			}
			if hadLast && (!hasTonight || l.res != t.res) {
				moved := resTonight[l.res] != "" && resTonight[l.res] != r.ID
				card.Departed = l.status == stays.ReservationCheckedOut || moved
			}
			if hasTonight {
				card.Guests = t.guests
				if !hadLast || l.res != t.res {
					card.Arrived = t.status == stays.ReservationInHouse || t.status == stays.ReservationCheckedOut
				}
			}
			if dayUse[r.ID] {
				card.Departed = true
				switch card.Occupancy {
				case OccupancyVacant:
					card.Occupancy = OccupancyDeparting
				case OccupancyArriving:
					card.Occupancy = OccupancyTurnover
				}
			}
			if overdue[r.ID] {
				card.Overdue = true
				switch card.Occupancy {
				case OccupancyVacant:
					card.Occupancy = OccupancyDeparting
				case OccupancyArriving:
					card.Occupancy = OccupancyTurnover
				}
			}
			switch card.Condition {
			case inventory.HousekeepingClean:
				b.Counts.Clean++
			case inventory.HousekeepingDirty:
				b.Counts.Dirty++
			case inventory.HousekeepingInspected:
				b.Counts.Inspected++
			}
			if card.OutOfOrder() {
				b.Counts.OutOfOrder++
			}
			switch card.Occupancy {
			case OccupancyDeparting:
				b.Counts.Departures++
			case OccupancyArriving:
				b.Counts.Arrivals++
			case OccupancyTurnover:
				b.Counts.Departures++
				b.Counts.Arrivals++
			}
			b.Rooms = append(b.Rooms, card)
		}
		return nil
	})
	if err != nil {
		return HousekeepingBoard{}, err
	}
	sort.SliceStable(b.Rooms, func(i, j int) bool {
		if c := compareRoomNumbers(b.Rooms[i].Floor, b.Rooms[j].Floor); c != 0 {
			return c < 0
		}
		return compareRoomNumbers(b.Rooms[i].Number, b.Rooms[j].Number) < 0
	})
	return b, nil
}
