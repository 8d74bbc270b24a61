package inventory_test

import (
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
)

// TestListPlans checks that the everyday lists of the front desk are index
// searches, not scans of the reservation history.
func TestListPlans(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2025-06-10")
	f.Book(t, f.Day(1), f.Day(3))
	for _, tc := range []struct {
		name, where string
		index       string
	}{
		{"InHouse", "r.property_id = 'p' AND r.status IN ('in_house')", "reservations_status"},
		{"Arrivals", "r.property_id = 'p' AND r.arrival >= '2025-06-10' AND r.arrival < '2025-06-11'", "reservations_arrival"},
		{"Departures", "r.property_id = 'p' AND r.departure >= '2025-06-10' AND r.departure < '2025-06-11'", "reservations_departure"},
		{"Overbooked", "r.property_id = 'p' AND r.overbooked = 1", "reservations_overbooked"},
	} {
		rows, err := f.DB.SQL().Read.Query(`EXPLAIN QUERY PLAN SELECT r.id FROM reservations r WHERE ` + tc.where + ` ORDER BY r.arrival, r.id`)
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
		if p := strings.Join(plan, "; "); !strings.Contains(p, tc.index) {
			t.Errorf("%s: plan %q does not use %s", tc.name, p, tc.index)
		}
	}
}
