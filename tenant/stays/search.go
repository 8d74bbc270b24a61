package stays

import (
	"context"
	"database/sql"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// SearchInput is a query of the global search (the top bar's): what was
// typed, and whether to look in guests too (people who may read guests).
type SearchInput struct {
	Query  string
	Guests bool
	Limit  int // guests at most (default 10, at most MaxSearchResults)
}

// SearchResults is what the global search found, by kind.
type SearchResults struct {
	Query string `json:"query"`
	// Guests matches names, email and phone (the blind index of
	// SearchGuests); only with SearchInput.Guests.
	Guests []Guest `json:"guests"`
	// Stays matches a channel's booking code, a booking or a reservation
	// (its id as printed on a confirmation), each reservation with its
	// guest's name (only with SearchInput.Guests).
	Stays []SearchStay `json:"stays"`
	// Rooms matches a room number, with the party in house there now.
	Rooms []SearchRoom `json:"rooms"`
}

// SearchStay is a reservation the search found.
type SearchStay struct {
	Reservation Reservation `json:"reservation"`
	GuestName   string      `json:"guest_name,omitempty"`
	OTACode     string      `json:"ota_code,omitempty"`
}

// SearchRoom is a room the search found.
type SearchRoom struct {
	Room     inventory.Room `json:"room"`
	Property string         `json:"property"` // the property's name
	Occupant *RoomOccupant  `json:"occupant,omitempty"`
}

// Search is the global search of the top bar: guests by name, email or
// phone (the blind index, only the guests found unsealed), reservations by
// a channel's booking code or a booking or reservation id, and rooms by
// number with who is in them. Each part is an index lookup, so it stays
// fast on a large history. A query too short for the guest index simply
// finds no guests. It returns EINVALID for an empty query; other errors
// are internal.
func (db Store) Search(ctx context.Context, in SearchInput) (SearchResults, error) {
	q := strings.TrimSpace(in.Query)
	res := SearchResults{Query: q, Guests: []Guest{}, Stays: []SearchStay{}, Rooms: []SearchRoom{}}
	if q == "" {
		return res, tenant.FieldErrors{{Field: "q", Message: "type a name, email, phone, booking code or room number"}}.Err("The search is empty.")
	}
	if len(q) > 200 {
		return res, tenant.FieldErrors{{Field: "q", Message: "at most 200 characters"}}.Err("The search is too long.")
	}
	if in.Limit <= 0 {
		in.Limit = 10
	}
	if in.Guests {
		gs, err := db.SearchGuests(ctx, q, min(in.Limit, MaxSearchResults))
		switch {
		case err == nil:
			res.Guests = gs
		case aura.ErrorCode(err) == aura.EINVALID:
			// Too short for the guest index ("101"): the other parts answer.
		default:
			return res, err
		}
	}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		// Reservations by booking code: a channel's code as typed, or an id.
		var ids []string
		codes := map[string]string{}
		rows, err := tx.Query(`SELECT r.id, b.ota_code FROM bookings b INDEXED BY bookings_ota_search JOIN reservations r ON r.booking_id = b.id
			WHERE b.ota_code = ? COLLATE NOCASE ORDER BY r.arrival DESC LIMIT 20`, q)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var code sql.NullString
			if err := rows.Scan(&id, &code); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			codes[id] = code.String
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		lower := strings.ToLower(q)
		switch {
		case strings.HasPrefix(lower, "res_"):
			ids = append(ids, lower)
		case strings.HasPrefix(lower, "bkg_"):
			rows, err := tx.Query(`SELECT id FROM reservations WHERE booking_id = ? ORDER BY arrival`, lower)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			rs, err := QueryReservations(tx, ` WHERE r.id IN (`+tenant.Placeholders(len(ids))+`) ORDER BY r.arrival DESC`, args...)
			if err != nil {
				return err
			}
			var guests []string
			for _, r := range rs {
				guests = append(guests, r.GuestID)
			}
			names := map[string]string{}
			if in.Guests {
				if names, err = db.GuestNamesTx(tx, guests); err != nil {
					return err
				}
			}
			for _, r := range rs {
				res.Stays = append(res.Stays, SearchStay{Reservation: r, GuestName: names[r.GuestID], OTACode: codes[r.ID]})
			}
		}
		// Rooms by number, in every property, with who is in them.
		rooms, err := tx.Query(`SELECT `+inventory.RoomColumns+`, p.name FROM rooms r JOIN properties p ON p.id = r.property_id
			WHERE r.number = ? COLLATE NOCASE ORDER BY p.name, r.number`, q)
		if err != nil {
			return err
		}
		var found []SearchRoom
		for rooms.Next() {
			var sr SearchRoom
			rm, err := inventory.ScanRoom(scanPlus{rooms, &sr.Property})
			if err != nil {
				rooms.Close()
				return err
			}
			sr.Room = rm
			found = append(found, sr)
		}
		rooms.Close()
		if err := rooms.Err(); err != nil {
			return err
		}
		for _, sr := range found {
			occ, err := occupantOf(tx, sr.Room.PropertyID, sr.Room.ID, "")
			if err != nil {
				return err
			}
			if occ != nil && in.Guests {
				names, err := db.GuestNamesTx(tx, []string{occ.GuestID})
				if err != nil {
					return err
				}
				occ.GuestName = names[occ.GuestID]
			}
			sr.Occupant = occ
			res.Rooms = append(res.Rooms, sr)
		}
		return nil
	})
	return res, err
}

// scanPlus scans a row of roomColumns followed by extra columns.
type scanPlus struct {
	rows  *sql.Rows
	extra *string
}

func (s scanPlus) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra)...) }
