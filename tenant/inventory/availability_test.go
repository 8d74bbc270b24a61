package inventory_test

import (
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
)

// TestListPlans checks that the everyday lists of the front desk are index
// searches, not scans of the reservation history, and that the lists the
// index keeps in order (arrival, then id) are read in that order, with no
// sort of their own: a sort makes SQLite build every row of the page's
// last arrival day before it can stop. The queries read every column, as
// stays.QueryReservations does, so that no index can answer them alone.
func TestListPlans(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	f.Book(t, f.Day(1), f.Day(3))
	for _, tc := range []struct {
		name, where string
		index       string
		ordered     bool
	}{
		{"All", "r.property_id = 'p'", "reservations_arrival", true},
		{"AllAfterCursor", "r.property_id = 'p' AND (r.arrival, r.id) > ('2025-06-10', 'r1')", "reservations_arrival (property_id=? AND (arrival,id)>(?,?))", true},
		{"InHouse", "r.property_id = 'p' AND r.status IN ('in_house')", "reservations_status", true},
		{"Arrivals", "r.property_id = 'p' AND r.arrival >= '2025-06-10' AND r.arrival < '2025-06-11'", "reservations_arrival", true},
		{"Departures", "r.property_id = 'p' AND r.departure >= '2025-06-10' AND r.departure < '2025-06-11'", "reservations_departure", false},
		{"Overbooked", "r.property_id = 'p' AND r.overbooked = 1", "reservations_overbooked", true},
	} {
		rows, err := f.DB.SQL().Read.Query(`EXPLAIN QUERY PLAN SELECT r.* FROM reservations r WHERE ` + tc.where + ` ORDER BY r.arrival, r.id LIMIT 51`)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, tc.index) {
			t.Errorf("%s: plan %q does not use %s", tc.name, p, tc.index)
		}
		if tc.ordered && strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan %q sorts what the index orders", tc.name, p)
		}
	}
}
