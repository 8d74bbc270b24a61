package inventory

import (
	"context"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Availability is the availability calendar of a property: per room type
// and night, how many rooms there are, how many are out of order or out of
// service, how many are sold, and how many are left to sell.
//
// The rule: available = rooms − out of order − sold − channel. Out-of-service
// rooms stay in stock (they are counted but not subtracted); a night is sold
// while a tentative, confirmed, in-house or checked-out reservation holds
// it; channel counts the active channel blocks of the night (dates a channel
// took, imported from its calendar by tenant/channels).
// Available is negative when a channel booking was accepted into a full
// house (the reservation is flagged overbooked).
type Availability struct {
	PropertyID string                 `json:"property_id"`
	From       date.Date              `json:"from"`
	To         date.Date              `json:"to"` // exclusive
	RoomTypes  []RoomTypeAvailability `json:"room_types"`
}

// RoomTypeAvailability is one row of the calendar.
type RoomTypeAvailability struct {
	RoomType RoomType            `json:"room_type"`
	Nights   []NightAvailability `json:"nights"`
}

// NightAvailability is one cell of the calendar.
type NightAvailability struct {
	Date         date.Date `json:"date"`
	Rooms        int       `json:"rooms"`
	OutOfOrder   int       `json:"out_of_order"`
	OutOfService int       `json:"out_of_service"`
	Sold         int       `json:"sold"`
	Channel      int       `json:"channel"`
	Available    int       `json:"available"`
}

// nightCount is the stock of one room type on one night.
type nightCount struct {
	rooms, outOfOrder, outOfService, sold, channel int
}

// Available applies the availability rule.
func (c nightCount) Available() int { return c.rooms - c.outOfOrder - c.sold - c.channel }

// Availability returns the availability calendar of a property for the
// nights [from, to), at most MaxRange days, for every room type. It returns
// ENOTFOUND for an unknown property and EINVALID for a bad range.
func (db Store) Availability(ctx context.Context, propertyID string, from, to date.Date) (Availability, error) {
	if err := tenant.ValidDateRange(from, to); err != nil {
		return Availability{}, err
	}
	a := Availability{PropertyID: propertyID, From: from, To: to, RoomTypes: []RoomTypeAvailability{}}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		if _, err := GetProperty(tx, propertyID); err != nil {
			return err
		}
		types, err := ListRoomTypes(tx, propertyID)
		if err != nil {
			return err
		}
		ids := make([]string, len(types))
		for i, t := range types {
			ids[i] = t.ID
		}
		counts, err := AvailabilityOf(tx, ids, from, to)
		if err != nil {
			return err
		}
		for _, t := range types {
			row := RoomTypeAvailability{RoomType: t, Nights: make([]NightAvailability, 0, to.Sub(from))}
			for i, c := range counts[t.ID] {
				row.Nights = append(row.Nights, NightAvailability{Date: from.AddDays(i), Rooms: c.rooms, OutOfOrder: c.outOfOrder,
					OutOfService: c.outOfService, Sold: c.sold, Channel: c.channel, Available: c.Available()})
			}
			a.RoomTypes = append(a.RoomTypes, row)
		}
		return nil
	})
	return a, err
}

// AvailabilityOf counts the stock of each room type for each night of
// [from, to): four small queries whatever the number of rooms and
// reservations. A type's room count is one row of room_type_rooms (kept by
// triggers on rooms); blocks are read by room_blocks_end, so only blocks
// ending after from are looked at; the sold count reads only the partial
// covering index reservation_nights_sold (room_type_id, date WHERE holds =
// 1). Its cost grows with the nights in the range and the blocks still to
// come, never with the rooms or the reservation history. It runs in every
// booking's write transaction.
func AvailabilityOf(tx *tenant.Tx, typeIDs []string, from, to date.Date) (map[string][]nightCount, error) {
	n := to.Sub(from)
	out := make(map[string][]nightCount, len(typeIDs))
	if len(typeIDs) == 0 || n <= 0 {
		return out, nil
	}
	args := make([]any, 0, len(typeIDs)+2)
	for _, id := range typeIDs {
		out[id] = make([]nightCount, n)
		args = append(args, id)
	}
	in := tenant.Placeholders(len(typeIDs))

	rows, err := tx.Query(`SELECT room_type_id, rooms FROM room_type_rooms WHERE room_type_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var k int
		if err := rows.Scan(&id, &k); err != nil {
			rows.Close()
			return nil, err
		}
		for i := range out[id] {
			out[id][i].rooms = k
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// A room has at most one block per night (CreateRoomBlock refuses
	// overlaps), so counting blocks counts rooms.
	// CROSS JOIN keeps room_blocks the outer loop: SQLite would otherwise
	// walk every room of the type and probe its blocks.
	rows, err = tx.Query(`SELECT r.room_type_id, b.kind, b.start_date, b.end_date FROM room_blocks b INDEXED BY room_blocks_end
		CROSS JOIN rooms r ON r.id = b.room_id
		WHERE b.end_date > ? AND b.start_date < ? AND r.room_type_id IN (`+in+`)`, append([]any{from, to}, args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, kind string
		var start, end date.Date
		if err := rows.Scan(&id, &kind, &start, &end); err != nil {
			rows.Close()
			return nil, err
		}
		lo, hi := max(start.Sub(from), 0), min(end.Sub(from), n)
		for i := lo; i < hi; i++ {
			if kind == OutOfOrder {
				out[id][i].outOfOrder++
			} else {
				out[id][i].outOfService++
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Channel blocks (table of tenant/channels) hold a unit of their room
	// type each, overbooked or not.
	rows, err = tx.Query(`SELECT room_type_id, start_date, end_date FROM channel_blocks
		WHERE status = 'active' AND room_type_id IN (`+in+`) AND start_date < ? AND end_date > ?`, append(args, to, from)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var start, end date.Date
		if err := rows.Scan(&id, &start, &end); err != nil {
			rows.Close()
			return nil, err
		}
		lo, hi := max(start.Sub(from), 0), min(end.Sub(from), n)
		for i := lo; i < hi; i++ {
			out[id][i].channel++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = tx.Query(`SELECT room_type_id, date, count(*) FROM reservation_nights INDEXED BY reservation_nights_sold
		WHERE holds = 1 AND room_type_id IN (`+in+`) AND date >= ? AND date < ? GROUP BY room_type_id, date`, append(args, from, to)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var d date.Date
		var k int
		if err := rows.Scan(&id, &d, &k); err != nil {
			return nil, err
		}
		out[id][d.Sub(from)].sold = k
	}
	return out, rows.Err()
}
