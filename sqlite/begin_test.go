package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// lockedChain opens a chain on a new file with the given busy timeout and a
// second connection, as Litestream's, that can take the file's write lock.
func lockedChain(t testing.TB, busy time.Duration) (*sqlite.Chain, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "begin.db")
	db, err := sqlite.Open(path, sqlite.Options{ReadConns: 1, BusyTimeout: busy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(context.Background(), db.Write, schema.Tenant, path); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", sqlite.DSN(path, time.Second, true))
	if err != nil {
		t.Fatal(err)
	}
	other.SetMaxOpenConns(1)
	t.Cleanup(func() { other.Close() })
	return &sqlite.Chain{DB: db, ID: "begin-test"}, other
}

func busyTimeout(t testing.TB, c *sqlite.Chain) int {
	t.Helper()
	var ms int
	if err := c.Write.QueryRow(`PRAGMA busy_timeout`).Scan(&ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestBeginWaitsForLock: a group whose BEGIN finds the write lock held by
// another connection waits for it (and commits), or fails with EUNAVAILABLE
// once the busy timeout is over; either way the write connection keeps its
// busy timeout for its other uses.
func TestBeginWaitsForLock(t *testing.T) {
	ctx := context.Background()
	t.Run("Released", func(t *testing.T) {
		c, other := lockedChain(t, 5*time.Second)
		lock, err := other.Begin() // BEGIN IMMEDIATE: the write lock
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Update(ctx, insert("a")) }()
		time.Sleep(50 * time.Millisecond) // let it find the lock held (it passes either way)
		if err := lock.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !keys(t, c)["a"] {
			t.Fatal("the write is not there")
		}
		if ms := busyTimeout(t, c); ms != 5000 {
			t.Fatalf("busy_timeout of the write connection is %d ms after a group, want 5000", ms)
		}
	})
	t.Run("TimedOut", func(t *testing.T) {
		c, other := lockedChain(t, 100*time.Millisecond)
		lock, err := other.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Rollback()
		err = c.Update(ctx, insert("b"))
		if aura.ErrorCode(err) != aura.EUNAVAILABLE {
			t.Fatalf("Update while another connection holds the lock past the busy timeout: %v, want EUNAVAILABLE", err)
		}
		if ms := busyTimeout(t, c); ms != 100 {
			t.Fatalf("busy_timeout of the write connection is %d ms after a failed BEGIN, want 100", ms)
		}
	})
}

// BenchmarkBeginAfterLock measures how late a write begins after another
// connection (Litestream's checkpoint) lets go of the write lock it held for
// 110 ms: SQLite's busy handler, sleeping 1, 2, 5, … 100 ms between tries,
// began it at 128 ms (18 ms late); Chain.begin tries every BeginPoll.
//
//	go test -run '^$' -bench BeginAfterLock -benchtime 20x ./sqlite
func BenchmarkBeginAfterLock(b *testing.B) {
	ctx := context.Background()
	c, other := lockedChain(b, 5*time.Second)
	var late []time.Duration
	for i := 0; i < b.N; i++ {
		lock, err := other.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ran := make(chan time.Time, 1)
		done := make(chan error, 1)
		go func() {
			done <- c.Update(ctx, func(tx *sqlite.Tx) error {
				ran <- time.Now()
				tx.Unaudited("benchmark")
				return nil
			})
		}()
		time.Sleep(110 * time.Millisecond)
		released := time.Now()
		if err := lock.Rollback(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		late = append(late, (<-ran).Sub(released))
	}
	slices.Sort(late)
	b.ReportMetric(float64(late[len(late)/2].Microseconds())/1000, "median-ms-late")
	b.ReportMetric(float64(late[len(late)-1].Microseconds())/1000, "max-ms-late")
}
