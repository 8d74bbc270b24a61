package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// RoomType is a category of rooms sold as one product (a double room, a
// family suite). Availability and rates are kept per room type.
type RoomType struct {
	ID            string    `json:"id"`
	PropertyID    string    `json:"property_id"`
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	Capacity      int       `json:"capacity"`       // most guests (adults and children) a room takes
	BaseOccupancy int       `json:"base_occupancy"` // guests the nightly rate includes
	SortOrder     int       `json:"sort_order"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// RoomTypeInput creates or replaces a room type. PropertyID is read on
// create only; Version, when not zero, must match on update.
type RoomTypeInput struct {
	PropertyID    string `json:"property_id"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Capacity      int    `json:"capacity"`
	BaseOccupancy int    `json:"base_occupancy"`
	SortOrder     int    `json:"sort_order"`
	Version       int    `json:"version,omitempty"`
}

func (in RoomTypeInput) validate() error {
	var fe tenant.FieldErrors
	if len(in.Code) > 20 || !isCode(in.Code) {
		fe.Add("code", "must be 1 to 20 letters, digits, - or _")
	}
	fe.Text("name", in.Name, 1, 100)
	if len(in.Description) > 2000 {
		fe.Add("description", "must be at most 2000 characters")
	}
	if in.Capacity < 1 || in.Capacity > 50 {
		fe.Add("capacity", "must be 1 to 50")
	}
	if in.BaseOccupancy < 1 || in.BaseOccupancy > in.Capacity {
		fe.Add("base_occupancy", "must be 1 to the capacity")
	}
	return fe.Err("The room type is not valid.")
}

// CreateRoomType adds a room type to a property. It returns EINVALID for bad
// input or an unknown property, and ECONFLICT for a code already used there.
func (db Store) CreateRoomType(ctx context.Context, in RoomTypeInput) (RoomType, error) {
	if err := in.validate(); err != nil {
		return RoomType{}, err
	}
	var rt RoomType
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := GetProperty(tx, in.PropertyID); err != nil {
			return aura.Invalid("The room type is not valid.", aura.FieldError{Field: "property_id", Message: "no such property"})
		}
		if err := codeFree(tx, "room_types", in.PropertyID, in.Code, ""); err != nil {
			return err
		}
		rt = RoomType{ID: aura.NewID("rmt"), PropertyID: in.PropertyID, Code: in.Code, Name: in.Name, Description: in.Description,
			Capacity: in.Capacity, BaseOccupancy: in.BaseOccupancy, SortOrder: in.SortOrder, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.Exec(`INSERT INTO room_types (id, property_id, code, name, description, capacity, base_occupancy, sort_order, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, rt.ID, rt.PropertyID, rt.Code, rt.Name, rt.Description, rt.Capacity, rt.BaseOccupancy,
			rt.SortOrder, rt.Version, tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room_type.created", EntityType: "room_type", EntityID: rt.ID, After: rt})
	})
	return rt, err
}

// UpdateRoomType replaces a room type's settings (not its property). Its
// capacity cannot drop below the party size of a reservation still to come
// or in house (ECONFLICT). It returns ENOTFOUND, EPRECONDITION or EINVALID.
func (db Store) UpdateRoomType(ctx context.Context, id string, in RoomTypeInput) (RoomType, error) {
	if err := in.validate(); err != nil {
		return RoomType{}, err
	}
	var rt RoomType
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := GetRoomType(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("room type", id, before.Version, in.Version); err != nil {
			return err
		}
		if err := codeFree(tx, "room_types", before.PropertyID, in.Code, id); err != nil {
			return err
		}
		if in.Capacity < before.Capacity {
			var most sql.NullInt64
			if err := tx.QueryRow(`SELECT max(adults + children) FROM reservations
				WHERE room_type_id = ? AND status IN ('tentative', 'confirmed', 'in_house')`, id).Scan(&most); err != nil {
				return err
			}
			if most.Valid && int(most.Int64) > in.Capacity {
				return aura.Errorf(aura.ECONFLICT, "The capacity of %s cannot drop to %d: a current reservation has %d guests.", before.Name, in.Capacity, most.Int64)
			}
		}
		rt = before
		rt.Code, rt.Name, rt.Description, rt.Capacity, rt.BaseOccupancy, rt.SortOrder = in.Code, in.Name, in.Description, in.Capacity, in.BaseOccupancy, in.SortOrder
		rt.Version++
		rt.UpdatedAt = tx.Now
		if _, err := tx.Exec(`UPDATE room_types SET code = ?, name = ?, description = ?, capacity = ?, base_occupancy = ?, sort_order = ?,
			version = ?, updated_at = ? WHERE id = ?`, rt.Code, rt.Name, rt.Description, rt.Capacity, rt.BaseOccupancy, rt.SortOrder,
			rt.Version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room_type.updated", EntityType: "room_type", EntityID: id, Before: before, After: rt})
	})
	return rt, err
}

// GetRoomType returns one room type, or ENOTFOUND.
func (db Store) GetRoomType(ctx context.Context, id string) (RoomType, error) {
	var rt RoomType
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		rt, err = GetRoomType(tx, id)
		return err
	})
	return rt, err
}

// ListRoomTypes returns a property's room types in their sort order.
func (db Store) ListRoomTypes(ctx context.Context, propertyID string) ([]RoomType, error) {
	var out []RoomType
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = ListRoomTypes(tx, propertyID)
		return err
	})
	return out, err
}

const roomTypeColumns = `id, property_id, code, name, description, capacity, base_occupancy, sort_order, version, created_at, updated_at`

func scanRoomType(s interface{ Scan(...any) error }) (RoomType, error) {
	var rt RoomType
	var created, updated string
	err := s.Scan(&rt.ID, &rt.PropertyID, &rt.Code, &rt.Name, &rt.Description, &rt.Capacity, &rt.BaseOccupancy, &rt.SortOrder, &rt.Version, &created, &updated)
	rt.CreatedAt, rt.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return rt, err
}

func GetRoomType(tx *tenant.Tx, id string) (RoomType, error) {
	rt, err := scanRoomType(tx.QueryRow(`SELECT `+roomTypeColumns+` FROM room_types WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return rt, tenant.NotFound("room type", id)
	}
	return rt, err
}

func ListRoomTypes(tx *tenant.Tx, propertyID string) ([]RoomType, error) {
	rows, err := tx.Query(`SELECT `+roomTypeColumns+` FROM room_types WHERE property_id = ? ORDER BY sort_order, name, id`, propertyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RoomType
	for rows.Next() {
		rt, err := scanRoomType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, rows.Err()
}

// codeFree returns ECONFLICT when another row of table in the property uses code.
func codeFree(tx *tenant.Tx, table, propertyID, code, exceptID string) error {
	var other string
	err := tx.QueryRow(`SELECT id FROM `+table+` WHERE property_id = ? AND code = ? AND id != ?`, propertyID, code, exceptID).Scan(&other)
	if err == sql.ErrNoRows {
		return nil
	} else if err != nil {
		return err
	}
	return &aura.Error{Code: aura.ECONFLICT, Message: "The code " + code + " is already used in this property.",
		Fields: []aura.FieldError{{Field: "code", Message: "is already used"}}}
}

// Housekeeping states of a room.
const (
	HousekeepingClean     = "clean"
	HousekeepingDirty     = "dirty"
	HousekeepingInspected = "inspected"
)

// Room is one physical room (or apartment) of a room type.
type Room struct {
	ID           string    `json:"id"`
	PropertyID   string    `json:"property_id"`
	RoomTypeID   string    `json:"room_type_id"`
	Number       string    `json:"number"`
	Floor        string    `json:"floor"`
	Features     []string  `json:"features"`
	Housekeeping string    `json:"housekeeping"` // clean, dirty or inspected
	SortOrder    int       `json:"sort_order"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// RoomInput creates or replaces a room. PropertyID is read on create only.
type RoomInput struct {
	PropertyID string   `json:"property_id"`
	RoomTypeID string   `json:"room_type_id"`
	Number     string   `json:"number"`
	Floor      string   `json:"floor"`
	Features   []string `json:"features"`
	SortOrder  int      `json:"sort_order"`
	Version    int      `json:"version,omitempty"`
}

func (in *RoomInput) validate() error {
	var fe tenant.FieldErrors
	fe.Text("number", in.Number, 1, 20)
	fe.Text("floor", in.Floor, 0, 20)
	if in.Features == nil {
		in.Features = []string{}
	}
	if len(in.Features) > 50 {
		fe.Add("features", "at most 50 features")
	}
	for i, f := range in.Features {
		fe.Text("features["+tenant.Itoa(i)+"]", f, 1, 50)
	}
	if in.RoomTypeID == "" {
		fe.Add("room_type_id", "is required")
	}
	return fe.Err("The room is not valid.")
}

// CreateRoom adds a room. It returns EINVALID for bad input or a room type
// of another property, and ECONFLICT for a number already used.
func (db Store) CreateRoom(ctx context.Context, in RoomInput) (Room, error) {
	if err := in.validate(); err != nil {
		return Room{}, err
	}
	var r Room
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		rt, err := GetRoomType(tx, in.RoomTypeID)
		if err != nil || rt.PropertyID != in.PropertyID {
			return aura.Invalid("The room is not valid.", aura.FieldError{Field: "room_type_id", Message: "no such room type in this property"})
		}
		if err := roomNumberFree(tx, in.PropertyID, in.Number, ""); err != nil {
			return err
		}
		r = Room{ID: aura.NewID("rom"), PropertyID: in.PropertyID, RoomTypeID: in.RoomTypeID, Number: in.Number, Floor: in.Floor,
			Features: in.Features, Housekeeping: HousekeepingClean, SortOrder: in.SortOrder, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.Exec(`INSERT INTO rooms (id, property_id, room_type_id, number, floor, features, housekeeping, sort_order, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.PropertyID, r.RoomTypeID, r.Number, r.Floor, tenant.MustJSON(r.Features), r.Housekeeping,
			r.SortOrder, r.Version, tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room.created", EntityType: "room", EntityID: r.ID, After: r})
	})
	return r, err
}

// UpdateRoom replaces a room's number, floor, features, order and room type.
// Its room type cannot change while reservations of the old type are
// assigned to it for tonight or later (ECONFLICT). It returns ENOTFOUND,
// EPRECONDITION or EINVALID.
func (db Store) UpdateRoom(ctx context.Context, id string, in RoomInput) (Room, error) {
	if err := in.validate(); err != nil {
		return Room{}, err
	}
	var r Room
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := GetRoom(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("room", id, before.Version, in.Version); err != nil {
			return err
		}
		if err := roomNumberFree(tx, before.PropertyID, in.Number, id); err != nil {
			return err
		}
		if in.RoomTypeID != before.RoomTypeID {
			rt, err := GetRoomType(tx, in.RoomTypeID)
			if err != nil || rt.PropertyID != before.PropertyID {
				return aura.Invalid("The room is not valid.", aura.FieldError{Field: "room_type_id", Message: "no such room type in this property"})
			}
			p, err := GetProperty(tx, before.PropertyID)
			if err != nil {
				return err
			}
			today, err := p.Today(tx)
			if err != nil {
				return err
			}
			var resID string
			err = tx.QueryRow(`SELECT reservation_id FROM reservation_nights WHERE room_id = ? AND holds = 1 AND date >= ? LIMIT 1`, id, today).Scan(&resID)
			if err == nil {
				return aura.Errorf(aura.ECONFLICT, "Room %s cannot change its room type: %s is assigned to it. Move that stay first.", before.Number, NameStay(tx, db.DB, resID))
			} else if err != sql.ErrNoRows {
				return err
			}
		}
		r = before
		r.RoomTypeID, r.Number, r.Floor, r.Features, r.SortOrder = in.RoomTypeID, in.Number, in.Floor, in.Features, in.SortOrder
		r.Version++
		r.UpdatedAt = tx.Now
		if _, err := tx.Exec(`UPDATE rooms SET room_type_id = ?, number = ?, floor = ?, features = ?, sort_order = ?, version = ?, updated_at = ? WHERE id = ?`,
			r.RoomTypeID, r.Number, r.Floor, tenant.MustJSON(r.Features), r.SortOrder, r.Version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room.updated", EntityType: "room", EntityID: id, Before: before, After: r})
	})
	return r, err
}

// SetHousekeeping records a room's housekeeping state (clean, dirty or
// inspected), audited with before and after; check-out and room moves set
// the room left dirty themselves. It returns ENOTFOUND, EPRECONDITION or
// EINVALID.
func (db Store) SetHousekeeping(ctx context.Context, roomID, state string, version int) (Room, error) {
	switch state {
	case HousekeepingClean, HousekeepingDirty, HousekeepingInspected:
	default:
		return Room{}, aura.Invalid("The housekeeping state is not valid.", aura.FieldError{Field: "housekeeping", Message: "must be clean, dirty or inspected"})
	}
	var r Room
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := GetRoom(tx, roomID)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("room", roomID, before.Version, version); err != nil {
			return err
		}
		r, err = SetHousekeeping(tx, before, state)
		return err
	})
	return r, err
}

func SetHousekeeping(tx *tenant.Tx, before Room, state string) (Room, error) {
	r := before
	r.Housekeeping = state
	r.Version++
	r.UpdatedAt = tx.Now
	if _, err := tx.Exec(`UPDATE rooms SET housekeeping = ?, version = ?, updated_at = ? WHERE id = ?`, state, r.Version, tenant.FormatTime(tx.Now), r.ID); err != nil {
		return r, err
	}
	return r, tx.Audit(audit.Entry{Action: "room.housekeeping_changed", EntityType: "room", EntityID: r.ID,
		Before: map[string]any{"housekeeping": before.Housekeeping}, After: map[string]any{"housekeeping": state}})
}

// GetRoom returns one room, or ENOTFOUND.
func (db Store) GetRoom(ctx context.Context, id string) (Room, error) {
	var r Room
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		r, err = GetRoom(tx, id)
		return err
	})
	return r, err
}

// ListRooms returns a property's rooms in room-type order, then their own order and number.
func (db Store) ListRooms(ctx context.Context, propertyID string) ([]Room, error) {
	var out []Room
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = ListRooms(tx, propertyID)
		return err
	})
	return out, err
}

const RoomColumns = `r.id, r.property_id, r.room_type_id, r.number, r.floor, r.features, r.housekeeping, r.sort_order, r.version, r.created_at, r.updated_at`

func ScanRoom(s interface{ Scan(...any) error }) (Room, error) {
	var r Room
	var features, created, updated string
	if err := s.Scan(&r.ID, &r.PropertyID, &r.RoomTypeID, &r.Number, &r.Floor, &features, &r.Housekeeping, &r.SortOrder, &r.Version, &created, &updated); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return r, json.Unmarshal([]byte(features), &r.Features)
}

func GetRoom(tx *tenant.Tx, id string) (Room, error) {
	r, err := ScanRoom(tx.QueryRow(`SELECT `+RoomColumns+` FROM rooms r WHERE r.id = ?`, id))
	if err == sql.ErrNoRows {
		return r, tenant.NotFound("room", id)
	}
	return r, err
}

func ListRooms(tx *tenant.Tx, propertyID string) ([]Room, error) {
	rows, err := tx.Query(`SELECT `+RoomColumns+` FROM rooms r JOIN room_types t ON t.id = r.room_type_id
		WHERE r.property_id = ? ORDER BY t.sort_order, t.name, r.sort_order, r.number`, propertyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		r, err := ScanRoom(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func roomNumberFree(tx *tenant.Tx, propertyID, number, exceptID string) error {
	var other string
	err := tx.QueryRow(`SELECT id FROM rooms WHERE property_id = ? AND number = ? AND id != ?`, propertyID, number, exceptID).Scan(&other)
	if err == sql.ErrNoRows {
		return nil
	} else if err != nil {
		return err
	}
	return &aura.Error{Code: aura.ECONFLICT, Message: "There is already a room " + number + " in this property.",
		Fields: []aura.FieldError{{Field: "number", Message: "is already used"}}}
}

// Kinds of room blocks.
const (
	// OutOfOrder takes a room out of inventory: it is not sellable and
	// reduces availability (a broken boiler, a renovation).
	OutOfOrder = "out_of_order"
	// OutOfService keeps a room sellable (it still counts in availability)
	// but it should not be assigned: a minor defect, a room kept back. Aura
	// refuses to assign it while the block lasts.
	OutOfService = "out_of_service"
)

// RoomBlock is an out-of-order or out-of-service period of a room, for the
// nights [Start, End).
type RoomBlock struct {
	ID        string    `json:"id"`
	RoomID    string    `json:"room_id"`
	Kind      string    `json:"kind"`
	Start     date.Date `json:"start"`
	End       date.Date `json:"end"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// RoomBlockInput creates a room block.
type RoomBlockInput struct {
	RoomID string    `json:"room_id"`
	Kind   string    `json:"kind"`
	Start  date.Date `json:"start"`
	End    date.Date `json:"end"`
	Reason string    `json:"reason"`
}

// CreateRoomBlock takes a room out of order or out of service for the
// nights [Start, End). It returns ECONFLICT when the room already has a
// block on one of those nights, when a reservation is assigned to it then,
// or when taking it out of order would leave its room type with fewer
// rooms than reservations on some night. It returns EINVALID for bad input
// and ENOTFOUND for an unknown room.
func (db Store) CreateRoomBlock(ctx context.Context, in RoomBlockInput) (RoomBlock, error) {
	var fe tenant.FieldErrors
	if in.Kind != OutOfOrder && in.Kind != OutOfService {
		fe.Add("kind", "must be out_of_order or out_of_service")
	}
	if in.Start.IsZero() {
		fe.Add("start", "is required")
	}
	if in.End.IsZero() {
		fe.Add("end", "is required")
	} else if !in.Start.IsZero() && !in.Start.Before(in.End) {
		fe.Add("end", "must be after start")
	} else if !in.Start.IsZero() && in.End.Sub(in.Start) > 5*tenant.MaxRange {
		fe.Add("end", "a block may last at most %d days", 5*tenant.MaxRange)
	}
	fe.Text("reason", in.Reason, 0, 500)
	if err := fe.Err("The room block is not valid."); err != nil {
		return RoomBlock{}, err
	}
	var b RoomBlock
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		room, err := GetRoom(tx, in.RoomID)
		if err != nil {
			return err
		}
		prop, err := GetProperty(tx, room.PropertyID)
		if err != nil {
			return err
		}
		var other RoomBlock
		err = tx.QueryRow(`SELECT id, start_date, end_date FROM room_blocks WHERE room_id = ? AND start_date < ? AND end_date > ? LIMIT 1`,
			in.RoomID, in.End, in.Start).Scan(&other.ID, &other.Start, &other.End)
		if err == nil {
			return aura.Errorf(aura.ECONFLICT, "Room %s is already blocked from %s to %s.", room.Number, prop.Day(other.Start), prop.Day(other.End))
		} else if err != sql.ErrNoRows {
			return err
		}
		var resID string
		var night date.Date
		err = tx.QueryRow(`SELECT reservation_id, date FROM reservation_nights WHERE room_id = ? AND holds = 1 AND date >= ? AND date < ? ORDER BY date LIMIT 1`,
			in.RoomID, in.Start, in.End).Scan(&resID, &night)
		if err == nil {
			return aura.Errorf(aura.ECONFLICT, "Room %s is given to %s on the night of %s; move that stay before blocking the room.", room.Number, NameStay(tx, db.DB, resID), prop.Day(night))
		} else if err != sql.ErrNoRows {
			return err
		}
		if in.Kind == OutOfOrder {
			counts, err := AvailabilityOf(tx, []string{room.RoomTypeID}, in.Start, in.End)
			if err != nil {
				return err
			}
			for i, c := range counts[room.RoomTypeID] {
				if c.Available() < 1 {
					return aura.Errorf(aura.ECONFLICT, "Room %s cannot go out of order on %s: every other room of its type is sold that night.", room.Number, prop.Day(in.Start.AddDays(i)))
				}
			}
		}
		b = RoomBlock{ID: aura.NewID("blk"), RoomID: in.RoomID, Kind: in.Kind, Start: in.Start, End: in.End, Reason: in.Reason, CreatedAt: tx.Now}
		if _, err := tx.Exec(`INSERT INTO room_blocks (id, room_id, kind, start_date, end_date, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.RoomID, b.Kind, b.Start, b.End, b.Reason, tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room_block.created", EntityType: "room_block", EntityID: b.ID, After: b})
	})
	return b, err
}

// DeleteRoomBlock ends a block by removing it, returning the room to
// stock. It returns ENOTFOUND for an unknown block.
func (db Store) DeleteRoomBlock(ctx context.Context, id string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		var b RoomBlock
		var created string
		err := tx.QueryRow(`SELECT id, room_id, kind, start_date, end_date, reason, created_at FROM room_blocks WHERE id = ?`, id).
			Scan(&b.ID, &b.RoomID, &b.Kind, &b.Start, &b.End, &b.Reason, &created)
		if err == sql.ErrNoRows {
			return tenant.NotFound("room block", id)
		} else if err != nil {
			return err
		}
		b.CreatedAt = tenant.ParseTime(created)
		if _, err := tx.Exec(`DELETE FROM room_blocks WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "room_block.deleted", EntityType: "room_block", EntityID: id, Before: b})
	})
}

// ListRoomBlocks returns the blocks of a property's rooms that overlap
// [from, to), by room and start.
func (db Store) ListRoomBlocks(ctx context.Context, propertyID string, from, to date.Date) ([]RoomBlock, error) {
	if err := tenant.ValidDateRange(from, to); err != nil {
		return nil, err
	}
	var out []RoomBlock
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = ListRoomBlocks(tx, propertyID, from, to)
		return err
	})
	return out, err
}

func ListRoomBlocks(tx *tenant.Tx, propertyID string, from, to date.Date) ([]RoomBlock, error) {
	rows, err := tx.Query(`SELECT b.id, b.room_id, b.kind, b.start_date, b.end_date, b.reason, b.created_at
		FROM room_blocks b JOIN rooms r ON r.id = b.room_id
		WHERE r.property_id = ? AND b.start_date < ? AND b.end_date > ? ORDER BY r.number, b.start_date`, propertyID, to, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RoomBlock
	for rows.Next() {
		var b RoomBlock
		var created string
		if err := rows.Scan(&b.ID, &b.RoomID, &b.Kind, &b.Start, &b.End, &b.Reason, &created); err != nil {
			return nil, err
		}
		b.CreatedAt = tenant.ParseTime(created)
		out = append(out, b)
	}
	return out, rows.Err()
}

// NameStay names a reservation for people in a message ("Anna Muster's
// stay (14 Mar – 16 Mar 2026)"). Reservations sit above rooms, so their
// package sets it when it is linked in; until then a message says
// "another stay".
var NameStay = func(tx *tenant.Tx, db *tenant.DB, reservationID string) string { return "another stay" }
