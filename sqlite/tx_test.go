package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/sqlite"
)

func TestUpdatePanic(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"), sqlite.Options{ReadConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		c := &sqlite.Chain{DB: db, ID: "test"}
		if _, err := db.Write.Exec(`CREATE TABLE t (v INTEGER)`); err != nil {
			t.Fatal(err)
		}
		// Without the rollback the panicking transaction keeps the one write
		// connection and everything after it (even closing the pools) waits
		// for it forever, so the steps run in a goroutine the test gives up on.
		type result struct {
			recovered any
			err       error
		}
		done := make(chan result, 1)
		go func() {
			var r result
			func() {
				defer func() { r.recovered = recover() }()
				c.Update(context.Background(), func(tx *sqlite.Tx) error {
					tx.Unaudited("test")
					if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
						return err
					}
					panic("boom")
				})
			}()
			r.err = c.Update(context.Background(), func(tx *sqlite.Tx) error {
				tx.Unaudited("test")
				_, err := tx.Exec(`INSERT INTO t VALUES (2)`)
				return err
			})
			done <- r
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the write connection is still held after a transaction func panicked")
		}
		defer c.Close()
		if r.recovered != "boom" {
			t.Errorf("recovered %v, want the panic to go on unchanged", r.recovered)
		}
		if r.err != nil {
			t.Fatalf("write after a panicking transaction: %v", r.err)
		}
		var vals []int
		rows, err := c.Read.Query(`SELECT v FROM t ORDER BY v`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vals = append(vals, v)
		}
		if len(vals) != 1 || vals[0] != 2 {
			t.Errorf("rows = %v, want only the second write (the panicking one rolled back)", vals)
		}
	})
}
