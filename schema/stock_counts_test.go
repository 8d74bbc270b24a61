package schema_test

import (
	"testing"
)

// TestStockCountsBackfill applies the tenant migrations up to the one that
// adds room_type_rooms on a file that already has rooms of two types, and
// checks the migration counts them, then that its triggers keep counting
// rooms added, moved to another type and deleted.
func TestStockCountsBackfill(t *testing.T) {
	db, stock := migrateBefore(t, "stock_counts")
	exec := func(q string) {
		t.Helper()
		if _, err := db.Write.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`PRAGMA foreign_keys = OFF`) // rooms without the property and room type rows they name
	for i, rt := range []string{"rmt_a", "rmt_a", "rmt_a", "rmt_b"} {
		exec(`INSERT INTO rooms (id, property_id, room_type_id, number, floor, features, housekeeping, sort_order, version, created_at, updated_at)
			VALUES ('rom_` + string(rune('0'+i)) + `', 'prp_x', '` + rt + `', '` + string(rune('0'+i)) + `', '', '[]', 'clean', 0, 1, '', '')`)
	}
	exec(stock.SQL)
	count := func() map[string]int {
		t.Helper()
		rows, err := db.Read.Query(`SELECT room_type_id, rooms FROM room_type_rooms`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			m[id] = n
		}
		return m
	}
	if got := count(); got["rmt_a"] != 3 || got["rmt_b"] != 1 || len(got) != 2 {
		t.Fatalf("after the migration %v, want rmt_a 3, rmt_b 1", got)
	}
	exec(`UPDATE rooms SET room_type_id = 'rmt_b' WHERE id = 'rom_0'`)
	exec(`UPDATE rooms SET number = 'x' WHERE id = 'rom_1'`)
	exec(`INSERT INTO rooms (id, property_id, room_type_id, number, floor, features, housekeeping, sort_order, version, created_at, updated_at)
		VALUES ('rom_9', 'prp_x', 'rmt_b', '9', '', '[]', 'clean', 0, 1, '', '')`)
	exec(`DELETE FROM rooms WHERE id = 'rom_2'`)
	if got := count(); got["rmt_a"] != 1 || got["rmt_b"] != 3 {
		t.Fatalf("after moving, renaming, adding and deleting rooms %v, want rmt_a 1, rmt_b 3", got)
	}
}
