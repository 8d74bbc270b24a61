package stays

import (
	"context"
	"database/sql"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Room occupancy: who is in a room now, and which rooms could take a stay.
//
// Nights are sold per date, so a guest departing today holds no night of
// today and an overdue guest (in house past the departure) holds none at
// all; yet both are still in the room until they check out. The rule: a
// room with a party in house (a reservation in_house whose room is that
// room) takes no other party in — by check-in or room move — until that
// party checks out (or the check-in confirms their early check-out in the
// same transaction). Planning is not concerned: a stay not yet arrived may
// be assigned a room whose guest leaves today (same-day turnover, what the
// housekeeping board calls a turnover), and the night rules apply as
// before. Lists of free rooms (FreeRooms, RoomOptions) leave an occupied
// room out whenever the stay asked about includes tonight.

// RoomOccupant is a stay in a room: the party in house there now, or the
// stay assigned to it on a night of the range asked about.
type RoomOccupant struct {
	ReservationID string    `json:"reservation_id"`
	GuestID       string    `json:"guest_id"`
	GuestName     string    `json:"guest_name"`
	Arrival       date.Date `json:"arrival"`
	Departure     date.Date `json:"departure"`
	// Night is, for a stay assigned on the range, the first night it holds.
	Night date.Date `json:"night,omitempty"`
}

// RoomOption is a room of a reservation's room type and whether it can take
// the reservation's stay (its remaining nights for a guest in house): Free
// when no other stay holds one of its nights, nobody is in house there
// while the stay includes tonight, and no block covers a night. Otherwise
// Occupant, TakenBy or Block says why. Ready is its housekeeping condition
// being clean or inspected.
type RoomOption struct {
	Room     inventory.Room       `json:"room"`
	Free     bool                 `json:"free"`
	Ready    bool                 `json:"ready"`
	Occupant *RoomOccupant        `json:"occupant,omitempty"`
	TakenBy  *RoomOccupant        `json:"taken_by,omitempty"`
	Block    *inventory.RoomBlock `json:"block,omitempty"`
}

// assignFrom is the first night a room assignment of c.r covers: the
// arrival, or for a guest in house tonight (earlier nights were spent).
func (c *resCtx) assignFrom() date.Date {
	if c.r.Status == ReservationInHouse && c.today.After(c.r.Arrival) {
		return c.today
	}
	return c.r.Arrival
}

// includesTonight reports whether [from, to) holds the property's today.
func (c *resCtx) includesTonight(from, to date.Date) bool {
	return !c.today.Before(from) && c.today.Before(to)
}

// RoomOptions returns every room of a reservation's room type with whether
// it can take the stay and, when not, why, in the order of the rooms
// (sort order, number). Guest names are unsealed only for the stays named.
// It returns ENOTFOUND for an unknown reservation.
func (db Store) RoomOptions(ctx context.Context, reservationID string) ([]RoomOption, error) {
	var out []RoomOption
	err := db.View(ctx, func(tx *tenant.Tx) error {
		c, err := db.LoadResCtx(tx, reservationID, 0)
		if err != nil {
			return err
		}
		if out, err = c.roomOptions(tx, c.assignFrom(), c.r.Departure); err != nil {
			return err
		}
		return c.nameStays(tx, out)
	})
	return out, err
}

// roomOptions returns the rooms of c.r's type for the nights [from, to).
func (c *resCtx) roomOptions(tx *tenant.Tx, from, to date.Date) ([]RoomOption, error) {
	rows, err := tx.Query(`SELECT `+inventory.RoomColumns+` FROM rooms r WHERE r.room_type_id = ? ORDER BY r.sort_order, r.number, r.id`, c.r.RoomTypeID)
	if err != nil {
		return nil, err
	}
	var out []RoomOption
	idx := map[string]int{}
	for rows.Next() {
		rm, err := inventory.ScanRoom(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		idx[rm.ID] = len(out)
		out = append(out, RoomOption{Room: rm, Ready: rm.Housekeeping == inventory.HousekeepingClean || rm.Housekeeping == inventory.HousekeepingInspected})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]any, len(out))
	for i, o := range out {
		ids[i] = o.Room.ID
	}
	in := tenant.Placeholders(len(ids))
	if c.includesTonight(from, to) {
		rows, err := tx.Query(`SELECT id, guest_id, arrival, departure, room_id FROM reservations INDEXED BY reservations_status
			WHERE property_id = ? AND status = 'in_house' AND id != ? AND room_id IN (`+in+`) ORDER BY departure`,
			append([]any{c.r.PropertyID, c.r.ID}, ids...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var o RoomOccupant
			var room string
			if err := rows.Scan(&o.ReservationID, &o.GuestID, &o.Arrival, &o.Departure, &room); err != nil {
				rows.Close()
				return nil, err
			}
			if opt := &out[idx[room]]; opt.Occupant == nil {
				opt.Occupant = &o
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if from.Before(to) {
		// The first night each room is held by another stay (a bare column
		// beside min() comes from the row holding the minimum).
		rows, err := tx.Query(`SELECT n.room_id, min(n.date), n.reservation_id, r.guest_id, r.arrival, r.departure
			FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id
			WHERE n.room_id IN (`+in+`) AND n.holds = 1 AND n.date >= ? AND n.date < ? AND n.reservation_id != ? GROUP BY n.room_id`,
			append(ids, from, to, c.r.ID)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var o RoomOccupant
			var room string
			if err := rows.Scan(&room, &o.Night, &o.ReservationID, &o.GuestID, &o.Arrival, &o.Departure); err != nil {
				rows.Close()
				return nil, err
			}
			out[idx[room]].TakenBy = &o
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		// Room blocks, and the nights a channel's calendar holds a room
		// (active channel blocks of tenant/channels' imports).
		args := append(append(append([]any{}, ids...), to, from), ids...)
		rows, err = tx.Query(`SELECT id, room_id, kind, start_date, end_date, reason, created_at FROM room_blocks
			WHERE room_id IN (`+in+`) AND start_date < ? AND end_date > ?
			UNION ALL SELECT id, room_id, '`+HeldByChannel+`', start_date, end_date, 'a channel calendar holds it', created_at FROM channel_blocks
			WHERE status = 'active' AND room_id IN (`+in+`) AND start_date < ? AND end_date > ? ORDER BY start_date`, append(args, to, from)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var b inventory.RoomBlock
			var created string
			if err := rows.Scan(&b.ID, &b.RoomID, &b.Kind, &b.Start, &b.End, &b.Reason, &created); err != nil {
				rows.Close()
				return nil, err
			}
			b.CreatedAt = tenant.ParseTime(created)
			if opt := &out[idx[b.RoomID]]; opt.Block == nil {
				opt.Block = &b
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for i := range out {
		o := &out[i]
		o.Free = o.Occupant == nil && o.TakenBy == nil && o.Block == nil
	}
	return out, nil
}

// HeldByChannel is the kind of the block roomOptions reports for nights
// an imported channel calendar holds a room ("held by channel").
const HeldByChannel = "held_by_channel"

// nameStays fills in the guest names of the stays opts name, unsealing
// only those guests.
func (c *resCtx) nameStays(tx *tenant.Tx, opts []RoomOption) error {
	var guests []string
	for _, o := range opts {
		for _, s := range []*RoomOccupant{o.Occupant, o.TakenBy} {
			if s != nil {
				guests = append(guests, s.GuestID)
			}
		}
	}
	names, err := New(c.db).GuestNamesTx(tx, guests)
	if err != nil {
		return err
	}
	for _, o := range opts {
		for _, s := range []*RoomOccupant{o.Occupant, o.TakenBy} {
			if s != nil {
				s.GuestName = names[s.GuestID]
			}
		}
	}
	return nil
}

// roomAvailable returns ECONFLICT, in words staff use, when room cannot
// take c.r for the nights [from, to): another stay assigned on a night, a
// block, or — when c.r moves in now (it is in house: a check-in or a room
// move) — a party in house there. The
// refusal names the guest in the way and their departure, and offers the
// free rooms of the type (field room_id, so a form shows it at the room).
func (c *resCtx) roomAvailable(tx *tenant.Tx, room inventory.Room, from, to date.Date) error {
	if !from.Before(to) {
		return nil
	}
	opts, err := c.roomOptions(tx, from, to)
	if err != nil {
		return err
	}
	var me *RoomOption
	var free []string
	for i := range opts {
		if opts[i].Room.ID == room.ID {
			me = &opts[i]
		} else if opts[i].Free {
			free = append(free, opts[i].Room.Number)
		}
	}
	if me == nil || me.Free {
		return nil
	}
	if err := c.nameStays(tx, []RoomOption{*me}); err != nil {
		return err
	}
	p := c.prop
	var why, field string
	switch {
	case me.TakenBy == nil && me.Block == nil && c.r.Status != ReservationInHouse:
		return nil // a plan: the party leaving tonight frees the room before this stay moves in
	case me.Occupant != nil:
		o := me.Occupant
		leaving := "due to leave on " + p.Day(o.Departure)
		switch {
		case o.Departure == c.today:
			leaving = "departing today"
		case o.Departure.Before(c.today):
			leaving = "past the departure on " + p.Day(o.Departure)
		}
		why = "Room " + room.Number + " is occupied: " + o.GuestName + " is in house there (" + leaving + ") and has not checked out."
		if !o.Departure.After(c.today) {
			why += " Check " + o.GuestName + " out first."
		}
		field = "is occupied by " + o.GuestName
	case me.TakenBy != nil:
		o := me.TakenBy
		why = "Room " + room.Number + " is already given to " + o.GuestName + " (" + p.Stay(o.Arrival, o.Departure) + ") on the night of " + p.Day(o.Night) + "."
		field = "is given to " + o.GuestName + " on " + p.Day(o.Night)
	default:
		b := me.Block
		kind := strings.ReplaceAll(b.Kind, "_", " ")
		why = "Room " + room.Number + " is " + kind + " from " + p.Day(b.Start) + " to " + p.Day(b.End) + "."
		field = "is " + kind + " until " + p.Day(b.End)
	}
	if len(free) > 0 {
		why += " Free rooms of this type: " + strings.Join(free, ", ") + "."
		field += "; free: " + strings.Join(free, ", ")
	} else {
		why += " No other room of this type is free for these nights."
	}
	return &aura.Error{Code: aura.ECONFLICT, Message: why, Fields: []aura.FieldError{{Field: "room_id", Message: field}}}
}

// occupantOf returns the party in house in a room now other than
// exceptRes (nil when none).
func occupantOf(tx *tenant.Tx, propertyID, roomID, exceptRes string) (*RoomOccupant, error) {
	var o RoomOccupant
	err := tx.QueryRow(`SELECT id, guest_id, arrival, departure FROM reservations INDEXED BY reservations_status
		WHERE property_id = ? AND status = 'in_house' AND room_id = ? AND id != ? ORDER BY departure LIMIT 1`,
		propertyID, roomID, exceptRes).Scan(&o.ReservationID, &o.GuestID, &o.Arrival, &o.Departure)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return &o, err
}
