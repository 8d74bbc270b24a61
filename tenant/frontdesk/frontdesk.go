package frontdesk

import (
	"context"
	"sort"
	"strings"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// FrontDesk is a property's front-desk day: who arrives, who is in house
// and who departs on one date.
type FrontDesk struct {
	PropertyID string         `json:"property_id"`
	Date       date.Date      `json:"date"`
	Today      date.Date      `json:"today"` // the property's today, for "today" badges and actions
	Arrivals   []FrontDeskRow `json:"arrivals"`
	InHouse    []FrontDeskRow `json:"in_house"`
	Departures []FrontDeskRow `json:"departures"`
}

// FrontDeskRow is one reservation in a front-desk list, with what the desk
// needs to act on it without opening it.
type FrontDeskRow struct {
	Reservation stays.Reservation `json:"reservation"`
	GuestName   string            `json:"guest_name"`
	// RoomID and RoomNumber are the room of the night that matters: the
	// first night for an arrival, the night of the date for a guest in
	// house, the last night for a departure ("" when none is assigned).
	RoomID     string `json:"room_id,omitempty"`
	RoomNumber string `json:"room_number,omitempty"`
	// RoomCondition is that room's housekeeping condition now (is it ready?).
	RoomCondition string `json:"room_condition,omitempty"`
	// CheckIns is how many guests of the stay have a check-in record.
	CheckIns int `json:"check_ins"`
	// Balance is the folio's open balance: always zero until folios exist.
	Balance tenant.Money `json:"balance"`
	// Overdue marks a guest still in house after the departure date.
	Overdue bool `json:"overdue,omitempty"`
}

// FrontDesk returns the arrivals, in-house guests and departures of a
// property on day (zero: the property's today):
//
//   - arrivals: reservations arriving that day, whatever their status but
//     cancelled and no-show (so a guest already checked in stays listed),
//     guests not yet arrived first;
//   - in house: on the property's today, every reservation in house
//     (including those departing today and those overdue); on another
//     date, the stays in house or checked out that spent that night;
//   - departures: reservations departing that day that are in house or
//     checked out, guests still in house first.
//
// Only the guests listed are unsealed, for their names. It returns
// ENOTFOUND for an unknown property.
func (db Store) FrontDesk(ctx context.Context, propertyID string, day date.Date) (FrontDesk, error) {
	fd := FrontDesk{PropertyID: propertyID, Arrivals: []FrontDeskRow{}, InHouse: []FrontDeskRow{}, Departures: []FrontDeskRow{}}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		p, err := inventory.GetProperty(tx, propertyID)
		if err != nil {
			return err
		}
		if fd.Today, err = p.Today(tx); err != nil {
			return err
		}
		if day.IsZero() {
			day = fd.Today
		}
		fd.Date = day
		arrivals, err := stays.QueryReservations(tx, ` WHERE r.property_id = ? AND r.arrival = ? AND r.status NOT IN ('cancelled', 'no_show')`, propertyID, day)
		if err != nil {
			return err
		}
		var inHouse []stays.Reservation
		if day == fd.Today {
			inHouse, err = stays.QueryReservations(tx, ` WHERE r.property_id = ? AND r.status = 'in_house'`, propertyID)
		} else {
			inHouse, err = stays.QueryReservations(tx, ` WHERE r.id IN (SELECT n.reservation_id FROM reservation_nights n INDEXED BY reservation_nights_sold
				WHERE n.holds = 1 AND n.date = ? AND n.room_type_id IN (SELECT id FROM room_types WHERE property_id = ?))
				AND r.status IN ('in_house', 'checked_out')`, day, propertyID)
		}
		if err != nil {
			return err
		}
		// A day use (checked out on its arrival day, its night released)
		// departs on its arrival day.
		departures, err := stays.QueryReservations(tx, ` WHERE r.id IN (SELECT d.id FROM reservations d INDEXED BY reservations_departure
				WHERE d.property_id = ? AND d.departure = ? AND d.status IN ('in_house', 'checked_out')
				AND NOT (d.status = 'checked_out' AND EXISTS (SELECT 1 FROM reservation_nights n WHERE n.reservation_id = d.id AND n.holds = 0))
			UNION SELECT a.id FROM reservations a INDEXED BY reservations_arrival WHERE a.property_id = ? AND a.arrival = ? AND a.status = 'checked_out'
				AND EXISTS (SELECT 1 FROM reservation_nights n WHERE n.reservation_id = a.id AND n.holds = 0))`, propertyID, day, propertyID, day)
		if err != nil {
			return err
		}
		all := append(append(append([]stays.Reservation{}, arrivals...), inHouse...), departures...)
		rows, err := db.frontDeskRows(tx, p, all)
		if err != nil {
			return err
		}
		n1, n2 := len(arrivals), len(arrivals)+len(inHouse)
		for i := range rows {
			r := &rows[i]
			nights := r.Reservation.Nights
			var room string
			switch {
			case i < n1:
				if len(nights) > 0 {
					room = nights[0].RoomID
				}
			case i < n2:
				for _, n := range nights {
					if n.Date == day {
						room = n.RoomID
					}
				}
				r.Overdue = r.Reservation.Status == stays.ReservationInHouse && r.Reservation.Departure.Before(fd.Today)
			default:
				if len(nights) > 0 {
					room = nights[len(nights)-1].RoomID
				}
			}
			if room == "" {
				room = r.Reservation.RoomID
			}
			r.RoomID = room
		}
		if err := fillRooms(tx, propertyID, rows); err != nil {
			return err
		}
		fd.Arrivals = append(fd.Arrivals, rows[:n1]...)
		fd.InHouse = append(fd.InHouse, rows[n1:n2]...)
		fd.Departures = append(fd.Departures, rows[n2:]...)
		return nil
	})
	if err != nil {
		return FrontDesk{}, err
	}
	pending := func(s string) bool { return s == stays.ReservationTentative || s == stays.ReservationConfirmed }
	sortRows(fd.Arrivals, func(a, b FrontDeskRow) int {
		return compareBool(pending(b.Reservation.Status), pending(a.Reservation.Status))
	})
	sortRows(fd.InHouse, func(a, b FrontDeskRow) int { return compareRoomNumbers(a.RoomNumber, b.RoomNumber) })
	sortRows(fd.Departures, func(a, b FrontDeskRow) int {
		if c := compareBool(b.Reservation.Status == stays.ReservationInHouse, a.Reservation.Status == stays.ReservationInHouse); c != 0 {
			return c
		}
		return compareRoomNumbers(a.RoomNumber, b.RoomNumber)
	})
	return fd, nil
}

// frontDeskRows makes rows of rs: names of exactly these guests, check-in
// counts and balances.
func (db Store) frontDeskRows(tx *tenant.Tx, p inventory.Property, rs []stays.Reservation) ([]FrontDeskRow, error) {
	rows := make([]FrontDeskRow, len(rs))
	if len(rs) == 0 {
		return rows, nil
	}
	guests := map[string]bool{}
	ids := map[string]bool{}
	for _, r := range rs {
		guests[r.GuestID] = true
		ids[r.ID] = true
	}
	names, err := stays.New(db.DB).GuestNamesTx(tx, stays.SortedKeys(guests))
	if err != nil {
		return nil, err
	}
	idList := stays.SortedKeys(ids)
	args := make([]any, len(idList))
	for i, id := range idList {
		args[i] = id
	}
	counts := map[string]int{}
	crows, err := tx.Query(`SELECT reservation_id, count(*) FROM checkin_records WHERE reservation_id IN (`+tenant.Placeholders(len(args))+`)
		GROUP BY reservation_id`, args...)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var id string
		var n int
		if err := crows.Scan(&id, &n); err != nil {
			crows.Close()
			return nil, err
		}
		counts[id] = n
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return nil, err
	}
	for i, r := range rs {
		bal, err := stays.ReservationBalance(tx, db.DB, p, r)
		if err != nil {
			return nil, err
		}
		rows[i] = FrontDeskRow{Reservation: r, GuestName: names[r.GuestID], CheckIns: counts[r.ID], Balance: bal}
	}
	return rows, nil
}

// fillRooms sets the number and condition of each row's room.
func fillRooms(tx *tenant.Tx, propertyID string, rows []FrontDeskRow) error {
	rooms, err := inventory.ListRooms(tx, propertyID)
	if err != nil {
		return err
	}
	byID := make(map[string]inventory.Room, len(rooms))
	for _, r := range rooms {
		byID[r.ID] = r
	}
	for i := range rows {
		if room, ok := byID[rows[i].RoomID]; ok {
			rows[i].RoomNumber, rows[i].RoomCondition = room.Number, room.Housekeeping
		}
	}
	return nil
}

// sortRows sorts by cmp, then by guest name, then by reservation id.
func sortRows(rows []FrontDeskRow, cmp func(a, b FrontDeskRow) int) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if c := cmp(a, b); c != 0 {
			return c < 0
		}
		if c := strings.Compare(strings.ToLower(a.GuestName), strings.ToLower(b.GuestName)); c != 0 {
			return c < 0
		}
		return a.Reservation.ID < b.Reservation.ID
	})
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// compareRoomNumbers orders room numbers as people read them: numbers by
// value (9 before 10), anything else as text, "" last.
func compareRoomNumbers(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	if allDigits(a) && allDigits(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
