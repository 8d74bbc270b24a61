package frontdesk

import (
	"encoding/json"
	"fmt"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// OnBooksDays is how many nights, from the date closed on, an on-the-books
// snapshot covers: the longest range a report asks for, so last year's
// pace of the default year ahead is read from one snapshot.
const OnBooksDays = tenant.MaxRange

// writeOnBooks records, while the night audit closes st.next (after its
// no-shows and lapsed holds), the room-nights held then for each night in
// [st.next, st.next+OnBooksDays) per rate plan: the on-the-books as of the
// end of that business date, which the pace report compares with a year
// later. Reservation nights are rewritten when a stay is re-dated or
// cancelled, so this is the only record of what was on the books then.
//
// A date closed late, when the next date's roll time has passed too (a
// server down over the roll hour catching up), gets no snapshot: the
// nights held now include bookings made after that date ended, and a wrong
// snapshot is worse than none (the report falls back for it, see
// reports.PaceLastYear). The write is one grouped read of the nights ahead
// and one row, in the night audit's transaction; the booking path does
// nothing for it.
func writeOnBooks(tx *tenant.Tx, st auditState) error {
	d := st.next
	if !tx.Now.Before(st.prop.RollAt(d.AddDays(1), st.loc)) {
		return nil
	}
	end := d.AddDays(OnBooksDays)
	rows, err := tx.Query(`SELECT r.rate_plan_id, n.date, count(*)
		FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id
		WHERE n.room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND n.holds = 1 AND n.date >= ? AND n.date < ?
		GROUP BY 1, 2`, st.prop.ID, d, end)
	if err != nil {
		return fmt.Errorf("frontdesk: on the books: %w", err)
	}
	defer rows.Close()
	plans := map[string][]int64{}
	for rows.Next() {
		var plan string
		var night date.Date
		var n int64
		if err := rows.Scan(&plan, &night, &n); err != nil {
			return fmt.Errorf("frontdesk: on the books: %w", err)
		}
		if plans[plan] == nil {
			plans[plan] = make([]int64, OnBooksDays)
		}
		plans[plan][night.Sub(d)] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("frontdesk: on the books: %w", err)
	}
	for plan, ns := range plans {
		// Trailing zeros are left off: a night past the end of its array holds none.
		for len(ns) > 0 && ns[len(ns)-1] == 0 {
			ns = ns[:len(ns)-1]
		}
		plans[plan] = ns
	}
	b, err := json.Marshal(plans)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO otb_snapshots (property_id, business_date, taken_at, days, plans) VALUES (?, ?, ?, ?, ?)`,
		st.prop.ID, d, tenant.FormatTime(tx.Now), OnBooksDays, string(b))
	return err
}
