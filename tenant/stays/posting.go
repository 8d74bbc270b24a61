package stays

import (
	"sync"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Money the PMS books goes to the ledger (tenant/ledger), which imports
// this package and so cannot be imported by it: the ledger's PMS side
// (tenant/pmsledger) registers a Poster, and the night audit, the
// cancellation and no-show rules, check-out and the front-desk lists call
// it inside their own transactions. Without a Poster (a program that links
// no ledger) nothing is posted and every balance is zero.

// StayNight is one night a reservation spends in house on a business
// date, as the night audit posts it: the frozen nightly price, the party
// and how many nights of the stay came before it.
type StayNight struct {
	ReservationID string    `json:"reservation_id"`
	Date          date.Date `json:"date"`
	Price         int64     `json:"price"`
	Adults        int       `json:"adults"`
	Children      int       `json:"children"`
	NightsBefore  int       `json:"nights_before"`
}

// FeeCharge is a cancellation or no-show fee to book to a reservation's
// folio when the cancellation or no-show happens.
type FeeCharge struct {
	ReservationID string    `json:"reservation_id"`
	Kind          string    `json:"kind"` // "cancellation" or "no_show"
	Amount        int64     `json:"amount"`
	Arrival       date.Date `json:"arrival"`
	BusinessDate  date.Date `json:"business_date"`
}

// Poster is what the PMS posts money to. Each call runs in the caller's
// transaction; an error rolls the PMS change back with it.
type Poster interface {
	// PostNights posts the room, city tax and extras of each night of a
	// business date, at most once per reservation, night and item.
	PostNights(tx *tenant.Tx, db *tenant.DB, p inventory.Property, businessDate date.Date, nights []StayNight) error
	// PostFee posts a cancellation or no-show fee, at most once per reservation and kind.
	PostFee(tx *tenant.Tx, db *tenant.DB, p inventory.Property, fee FeeCharge) error
	// Balance is the open balance of a reservation's folios (charges less payments).
	Balance(tx *tenant.Tx, db *tenant.DB, p inventory.Property, reservationID string) (int64, error)
	// LeaveOnCityLedger settles a reservation's open balance as a receivable, with a reason.
	LeaveOnCityLedger(tx *tenant.Tx, db *tenant.DB, p inventory.Property, reservationID, reason string, businessDate date.Date) error
}

var (
	posterMu sync.RWMutex
	poster   Poster
)

// RegisterPoster sets the Poster of every tenant file of the program (the
// ledger's PMS side calls it when it is linked in).
func RegisterPoster(p Poster) {
	posterMu.Lock()
	defer posterMu.Unlock()
	poster = p
}

func currentPoster() Poster {
	posterMu.RLock()
	defer posterMu.RUnlock()
	return poster
}

// stayNights returns every reservation of a property that spends night d
// at the property and has checked in: in house, or already checked out
// when the audit catches up on a date after the guest left.
func stayNights(tx *tenant.Tx, propertyID string, d date.Date) ([]StayNight, error) {
	rows, err := tx.Query(`SELECT r.id, n.price, r.adults, r.children,
			(SELECT count(*) FROM reservation_nights b WHERE b.reservation_id = r.id AND b.date < n.date)
		FROM reservations r INDEXED BY reservations_status
		JOIN reservation_nights n ON n.reservation_id = r.id AND n.date = ?
		WHERE r.property_id = ? AND r.status IN ('in_house', 'checked_out') AND r.arrival <= ? AND r.departure > ?
		ORDER BY r.arrival, r.id`, d, propertyID, d, d)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StayNight
	for rows.Next() {
		n := StayNight{Date: d}
		if err := rows.Scan(&n.ReservationID, &n.Price, &n.Adults, &n.Children, &n.NightsBefore); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PostNights posts the nights of business date d (closeBusinessDate).
func (db Store) PostNights(tx *tenant.Tx, p inventory.Property, d date.Date) (int, error) {
	ps := currentPoster()
	if ps == nil {
		return 0, nil
	}
	nights, err := stayNights(tx, p.ID, d)
	if err != nil || len(nights) == 0 {
		return 0, err
	}
	return len(nights), ps.PostNights(tx, db.DB, p, d, nights)
}

// postFee books a charged cancellation or no-show fee.
func (c *resCtx) postFee(tx *tenant.Tx, kind string, amount int64) error {
	ps := currentPoster()
	if ps == nil || amount <= 0 {
		return nil
	}
	return ps.PostFee(tx, c.db, c.prop, FeeCharge{ReservationID: c.r.ID, Kind: kind, Amount: amount, Arrival: c.r.Arrival, BusinessDate: c.today})
}
