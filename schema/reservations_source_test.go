package schema_test

import (
	"testing"
)

// TestReservationsSourceBackfill applies the tenant migrations up to the one
// that gives reservations their booking's source, on a file that already
// holds a direct booking and a channel booking, and checks that every
// reservation written before it gets its own booking's source.
func TestReservationsSourceBackfill(t *testing.T) {
	db, source := migrateBefore(t, "reservations_source")
	exec := func(q string) {
		t.Helper()
		if _, err := db.Write.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`PRAGMA foreign_keys = OFF`) // rows without the property, guest and rate rows they name
	for _, b := range []struct{ id, source string }{{"bkg_d", "direct"}, {"bkg_c", "booking_com"}} {
		exec(`INSERT INTO bookings (id, property_id, booker_id, source, commission, version, created_at, updated_at)
			VALUES ('` + b.id + `', 'prp_x', 'gst_x', '` + b.source + `', 0, 1, '', '')`)
	}
	for _, r := range []struct{ id, booking string }{{"res_1", "bkg_d"}, {"res_2", "bkg_c"}, {"res_3", "bkg_c"}} {
		exec(`INSERT INTO reservations (id, booking_id, property_id, room_type_id, rate_plan_id, guest_id, arrival, departure, adults, children,
			status, overbooked, total, version, created_at, updated_at)
			VALUES ('` + r.id + `', '` + r.booking + `', 'prp_x', 'rmt_x', 'rpl_x', 'gst_x', '2025-06-10', '2025-06-11', 2, 0, 'confirmed', 0, 0, 1, '', '')`)
	}
	exec(source.SQL)
	rows, err := db.Read.Query(`SELECT id, source FROM reservations ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		got[id] = s
	}
	if want := map[string]string{"res_1": "direct", "res_2": "booking_com", "res_3": "booking_com"}; len(got) != 3 ||
		got["res_1"] != want["res_1"] || got["res_2"] != want["res_2"] || got["res_3"] != want["res_3"] {
		t.Fatalf("sources after the migration %v, want %v", got, want)
	}
}
