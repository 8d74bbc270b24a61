package tenant

import (
	"context"

	"github.com/aurapms/aura/date"
)

// FreeRooms returns the rooms of a room type that could take a stay over
// the nights [from, to): no night assigned to another reservation (than
// exceptReservation) and no out-of-order or out-of-service block, by sort
// order and number. It is what a room assignment offers; AssignRoom checks
// again in its own write transaction. It returns EINVALID for a bad range.
func (db *DB) FreeRooms(ctx context.Context, roomTypeID string, from, to date.Date, exceptReservation string) ([]Room, error) {
	if err := validDateRange(from, to); err != nil {
		return nil, err
	}
	out := []Room{}
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT `+roomColumns+` FROM rooms r WHERE r.room_type_id = ?
			AND NOT EXISTS (SELECT 1 FROM reservation_nights n WHERE n.room_id = r.id AND n.holds = 1 AND n.date >= ? AND n.date < ?
				AND n.reservation_id != ?)
			AND NOT EXISTS (SELECT 1 FROM room_blocks b WHERE b.room_id = r.id AND b.start_date < ? AND b.end_date > ?)
			ORDER BY r.sort_order, r.number, r.id`, roomTypeID, from, to, exceptReservation, to, from)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRoom(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}
