package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aurapms/aura/sqlite"
	msqlite "modernc.org/sqlite"
)

// TestLookasideOutlastsCachedStatements checks that a connection holding
// eighty prepared statements (the statement cache keeps every query a
// connection ran, and each of these statements holds about ten of its
// connection's lookaside slots) still serves the allocations of a running
// query from lookaside. On SQLite's default lookaside (123 slots) the
// statements took every slot and the query below went to malloc about a
// thousand times, with no lookaside hit; on 200 slots of 1,200 bytes (610
// slots) the same happened after 61 statements.
func TestLookasideOutlastsCachedStatements(t *testing.T) {
	if err := sqlite.LookasideErr(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"), sqlite.Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
		INSERT INTO t SELECT i, 'row-' || i, i * 7 FROM n`); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The statements a busy read connection keeps prepared.
	for i := range 80 {
		st, err := conn.PrepareContext(ctx, fmt.Sprintf(`SELECT a, b FROM t WHERE id = ? AND b > %d ORDER BY a LIMIT 3`, i))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
	}
	query := `SELECT a || char(31) || b || char(31) || (b * 3) FROM t`
	run := func() {
		rows, err := conn.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 200 {
			t.Fatalf("%d rows, %v", n, err)
		}
	}
	run() // prepares the query and sizes its registers
	status := func(op msqlite.DBStatusOp) (n int) {
		if err := conn.Raw(func(dc any) error {
			var err error
			_, n, err = dc.(msqlite.DBStatus).Status(op, true)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	status(msqlite.DBStatusLookasideHit)
	status(msqlite.DBStatusLookasideMissFull)
	status(msqlite.DBStatusLookasideMissSize)
	run()
	hit, full, size := status(msqlite.DBStatusLookasideHit), status(msqlite.DBStatusLookasideMissFull), status(msqlite.DBStatusLookasideMissSize)
	t.Logf("lookaside: %d hits, %d misses (full), %d misses (size)", hit, full, size)
	// A few allocations per run (the statement's cursor and register
	// arrays) are larger than a slot and go to malloc whatever the
	// lookaside; the query's 200 rows, each building a string, must not.
	if full != 0 || size > 10 {
		t.Errorf("the query's allocations missed lookaside %d times (full) and %d times (size), with %d hits", full, size, hit)
	}
}
