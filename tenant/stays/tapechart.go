package stays

import (
	"context"
	"database/sql"
	"sort"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// TapeChart is the rooms × days grid of a property: for each room, its
// blocks and the bars of the reservations assigned to it, and separately
// the reservations of each room type not assigned to a room yet.
// Cancelled and no-show reservations hold no nights and are not drawn.
type TapeChart struct {
	PropertyID string               `json:"property_id"`
	From       date.Date            `json:"from"`
	To         date.Date            `json:"to"` // exclusive
	Rooms      []TapeRoom           `json:"rooms"`
	Unassigned []TapeBar            `json:"unassigned"`
	RoomTypes  []inventory.RoomType `json:"room_types"`
	Dates      []date.Date          `json:"dates"`
}

// TapeRoom is one line of the chart. Room carries the room's housekeeping
// condition (clean, dirty, inspected) for the chart to show; Blocks its
// out-of-order and out-of-service periods in the range.
type TapeRoom struct {
	Room   inventory.Room        `json:"room"`
	Blocks []inventory.RoomBlock `json:"blocks"`
	Bars   []TapeBar             `json:"bars"`
}

// TapeBar is a reservation drawn over the nights [Start, End) it spends in
// one room (a room move splits a stay into two bars). Start and End are not
// clipped to the chart's range; Arrival and Departure are the whole stay's.
type TapeBar struct {
	ReservationID string    `json:"reservation_id"`
	BookingID     string    `json:"booking_id"`
	RoomTypeID    string    `json:"room_type_id"`
	GuestID       string    `json:"guest_id"`
	GuestName     string    `json:"guest_name"`
	Start         date.Date `json:"start"`
	End           date.Date `json:"end"`
	Arrival       date.Date `json:"arrival"`
	Departure     date.Date `json:"departure"`
	Status        string    `json:"status"`
	Source        string    `json:"source"`
	Overbooked    bool      `json:"overbooked"`
	Adults        int       `json:"adults"`
	Children      int       `json:"children"`
	// Version is the reservation's, for moving or changing it from the chart.
	Version int `json:"version"`
}

// TapeChart returns the tape chart of a property for the nights [from, to)
// (at most MaxRange days). Only the guests drawn are unsealed, for their
// names. It returns ENOTFOUND for an unknown property and EINVALID for a
// bad range.
func (db Store) TapeChart(ctx context.Context, propertyID string, from, to date.Date) (TapeChart, error) {
	if err := tenant.ValidDateRange(from, to); err != nil {
		return TapeChart{}, err
	}
	tc := TapeChart{PropertyID: propertyID, From: from, To: to, Rooms: []TapeRoom{}, Unassigned: []TapeBar{}, Dates: date.Range(from, to)}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, propertyID); err != nil {
			return err
		}
		var err error
		if tc.RoomTypes, err = inventory.ListRoomTypes(tx, propertyID); err != nil {
			return err
		}
		rooms, err := inventory.ListRooms(tx, propertyID)
		if err != nil {
			return err
		}
		blocks, err := inventory.ListRoomBlocks(tx, propertyID, from, to)
		if err != nil {
			return err
		}
		byRoom := map[string]int{}
		for i, r := range rooms {
			byRoom[r.ID] = i
			tc.Rooms = append(tc.Rooms, TapeRoom{Room: r, Blocks: []inventory.RoomBlock{}, Bars: []TapeBar{}})
		}
		for _, b := range blocks {
			tc.Rooms[byRoom[b.RoomID]].Blocks = append(tc.Rooms[byRoom[b.RoomID]].Blocks, b)
		}
		if len(tc.RoomTypes) == 0 {
			return nil
		}
		// Every night of the range held by a reservation, through the sold index.
		args := make([]any, 0, len(tc.RoomTypes)+2)
		for _, t := range tc.RoomTypes {
			args = append(args, t.ID)
		}
		rows, err := tx.Query(`SELECT reservation_id, date, room_id FROM reservation_nights
			WHERE holds = 1 AND room_type_id IN (`+tenant.Placeholders(len(tc.RoomTypes))+`) AND date >= ? AND date < ?
			ORDER BY reservation_id, date`, append(args, from, to)...)
		if err != nil {
			return err
		}
		type night struct {
			res  string
			d    date.Date
			room string
		}
		var nights []night
		resIDs := map[string]bool{}
		for rows.Next() {
			var n night
			var room sql.NullString
			if err := rows.Scan(&n.res, &n.d, &room); err != nil {
				rows.Close()
				return err
			}
			n.room = room.String
			nights = append(nights, n)
			resIDs[n.res] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(nights) == 0 {
			return nil
		}
		ids := make([]any, 0, len(resIDs))
		for id := range resIDs {
			ids = append(ids, id)
		}
		res := map[string]Reservation{}
		guestSet := map[string]bool{}
		rrows, err := tx.Query(reservationSelect+` WHERE r.id IN (`+tenant.Placeholders(len(ids))+`)`, ids...)
		if err != nil {
			return err
		}
		for rrows.Next() {
			r, err := scanReservation(rrows)
			if err != nil {
				rrows.Close()
				return err
			}
			res[r.ID] = r
			guestSet[r.GuestID] = true
		}
		rrows.Close()
		if err := rrows.Err(); err != nil {
			return err
		}
		guests := make([]string, 0, len(guestSet))
		for g := range guestSet {
			guests = append(guests, g)
		}
		names, err := db.GuestNamesTx(tx, guests)
		if err != nil {
			return err
		}
		// Consecutive nights of one reservation in one room form one bar.
		var bar *TapeBar
		var barRoom string
		flush := func() {
			if bar == nil {
				return
			}
			if i, ok := byRoom[barRoom]; ok {
				tc.Rooms[i].Bars = append(tc.Rooms[i].Bars, *bar)
			} else {
				tc.Unassigned = append(tc.Unassigned, *bar)
			}
			bar = nil
		}
		for _, n := range nights {
			if bar != nil && bar.ReservationID == n.res && barRoom == n.room && bar.End == n.d {
				bar.End = n.d.AddDays(1)
				continue
			}
			flush()
			r := res[n.res]
			bar = &TapeBar{ReservationID: r.ID, BookingID: r.BookingID, RoomTypeID: r.RoomTypeID, GuestID: r.GuestID, GuestName: names[r.GuestID],
				Start: n.d, End: n.d.AddDays(1), Arrival: r.Arrival, Departure: r.Departure, Status: r.Status, Source: r.Source,
				Overbooked: r.Overbooked, Adults: r.Adults, Children: r.Children, Version: r.Version}
			barRoom = n.room
		}
		flush()
		for i := range tc.Rooms {
			sortBars(tc.Rooms[i].Bars)
		}
		sortBars(tc.Unassigned)
		return nil
	})
	return tc, err
}

func sortBars(bs []TapeBar) {
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].Start != bs[j].Start {
			return bs[i].Start.Before(bs[j].Start)
		}
		return bs[i].ReservationID < bs[j].ReservationID
	})
}
