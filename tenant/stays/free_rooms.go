package stays

import (
	"context"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// FreeRooms returns the rooms of a room type that could take a stay over
// the nights [from, to): no night assigned to another reservation (than
// exceptReservation), no out-of-order or out-of-service block, and, when
// the nights include the property's today, nobody else in house in the
// room (a guest departing today or overdue is still there until checked
// out), by sort order and number. It is what a room assignment offers;
// AssignRoom checks again in its own write transaction. It returns
// EINVALID for a bad range and ENOTFOUND for an unknown room type.
func (db Store) FreeRooms(ctx context.Context, roomTypeID string, from, to date.Date, exceptReservation string) ([]inventory.Room, error) {
	if err := tenant.ValidDateRange(from, to); err != nil {
		return nil, err
	}
	out := []inventory.Room{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rt, err := inventory.GetRoomType(tx, roomTypeID)
		if err != nil {
			return err
		}
		c := resCtx{db: db.DB, r: Reservation{ID: exceptReservation, RoomTypeID: rt.ID, PropertyID: rt.PropertyID}}
		if c.prop, err = inventory.GetProperty(tx, rt.PropertyID); err != nil {
			return err
		}
		if c.today, err = c.prop.Today(tx); err != nil {
			return err
		}
		opts, err := c.roomOptions(tx, from, to)
		if err != nil {
			return err
		}
		for _, o := range opts {
			if o.Free {
				out = append(out, o.Room)
			}
		}
		return nil
	})
	return out, err
}
