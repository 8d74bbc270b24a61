package replica_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
)

func TestRestore(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := mustReplicator(t, fastConfig(dest))
			dir := t.TempDir()
			path := filepath.Join(dir, "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			insertGuests(t, db, "before", 50, 500)
			if err := r.Register(ctx, path, "tenants/a", key); err != nil {
				t.Fatal(err)
			}
			insertGuests(t, db, "after", 200, 2000) // spans several 64 KiB chunks
			if err := r.Sync(ctx, path); err != nil {
				t.Fatal(err)
			}

			t.Run("OK", func(t *testing.T) {
				out := filepath.Join(dir, "restored.db")
				p, err := r.Restore(ctx, "tenants/a", key, out, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				st, err := r.Status(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := p.TXID, st.ReplicaTXID; got != want {
					t.Fatalf("restored TXID %d, replica at %d", got, want)
				}
				if got, want := integrity(t, out), "ok"; got != want {
					t.Fatalf("integrity_check = %q", got)
				}
				gotN, gotSum := digest(t, out)
				wantN, wantSum := digestDB(t, db.Read)
				if gotN != 250 || gotN != wantN || gotSum != wantSum {
					t.Fatalf("restored %d rows (%s), source has %d (%s)", gotN, gotSum, wantN, wantSum)
				}
			})
			t.Run("ErrConflict", func(t *testing.T) {
				out := filepath.Join(dir, "exists.db")
				if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := r.Restore(ctx, "tenants/a", key, out, time.Time{})
				if got, want := aura.ErrorCode(err), aura.ECONFLICT; got != want {
					t.Fatalf("code = %q (%v), want %q", got, err, want)
				}
				if b, _ := os.ReadFile(out); string(b) != "keep me" {
					t.Fatalf("restore overwrote an existing file")
				}
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				_, err := r.Restore(ctx, "tenants/nobody", key, filepath.Join(dir, "none.db"), time.Time{})
				if got, want := aura.ErrorCode(err), aura.ENOTFOUND; got != want {
					t.Fatalf("code = %q (%v), want %q", got, err, want)
				}
			})
			t.Run("ErrWrongKey", func(t *testing.T) {
				out := filepath.Join(dir, "wrong-key.db")
				_, err := r.Restore(ctx, "tenants/a", newKey(), out, time.Time{})
				if !errors.Is(err, replica.ErrWrongKey) {
					t.Fatalf("err = %v, want ErrWrongKey", err)
				}
				if got, want := aura.ErrorCode(err), aura.EUNAUTHORIZED; got != want {
					t.Fatalf("code = %q, want %q", got, want)
				}
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("a failed restore left %s behind", out)
				}
				if _, err := r.Timeline(ctx, "tenants/a", newKey()); !errors.Is(err, replica.ErrWrongKey) {
					t.Fatalf("Timeline with a wrong key: err = %v, want ErrWrongKey", err)
				}
			})
		})
	}
}

// TestNoPlaintextInReplica writes a marker into a replicated database and
// checks that no byte sequence of any replica file contains it, while the
// source file does (so the marker really was written) and the decrypted
// replica does (so it really was replicated).
func TestNoPlaintextInReplica(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := mustReplicator(t, fastConfig(dest))
			path := filepath.Join(t.TempDir(), "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			marker := "MARKER-7f3a9c-Ana-Lopez-Passport-X1234567"
			if err := r.Register(ctx, path, "tenants/m", key); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 20; i++ {
				if _, err := db.Write.Exec(`INSERT INTO guests (name, note) VALUES (?, ?)`, fmt.Sprintf("%s-%d", marker, i), []byte(marker)); err != nil {
					t.Fatal(err)
				}
				if i%5 == 0 {
					if err := r.Sync(ctx, path); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := r.Unregister(ctx, path); err != nil {
				t.Fatal(err)
			}

			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wal, _ := os.ReadFile(path + "-wal")
			if !bytes.Contains(append(src, wal...), []byte(marker)) {
				t.Fatal("the source database does not contain the marker; the test proves nothing")
			}

			var stored map[string][]byte
			if dest.Type == replica.TypeFile {
				stored = files(t, dest.Path)
			} else {
				stored = startedS3(t, dest).objects(t)
			}
			if len(stored) == 0 {
				t.Fatal("the replica holds no files")
			}
			for name, b := range stored {
				if bytes.Contains(b, []byte(marker)) || bytes.Contains(b, []byte(marker[:12])) {
					t.Fatalf("replica file %s contains the marker in plaintext", name)
				}
			}

			out := filepath.Join(t.TempDir(), "restored.db")
			if _, err := r.Restore(ctx, "tenants/m", key, out, time.Time{}); err != nil {
				t.Fatal(err)
			}
			var n int
			rdb := openRO(t, out)
			if err := rdb.QueryRow(`SELECT count(*) FROM guests WHERE name LIKE ?`, marker+"%").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if got, want := n, 20; got != want {
				t.Fatalf("restored %d marker rows, want %d", got, want)
			}
		})
	}
}

// TestPointInTimeRestore restores to a time T between two batches of writes
// and gets exactly the rows committed before T.
func TestPointInTimeRestore(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := mustReplicator(t, fastConfig(dest))
			dir := t.TempDir()
			path := filepath.Join(dir, "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			if err := r.Register(ctx, path, "tenants/pitr", key); err != nil {
				t.Fatal(err)
			}
			var marks []time.Time
			for batch := 0; batch < 3; batch++ {
				insertGuests(t, db, fmt.Sprintf("batch%d", batch), 10, 100)
				if err := r.Sync(ctx, path); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
				marks = append(marks, time.Now())
				time.Sleep(20 * time.Millisecond)
			}
			for i, at := range marks {
				out := filepath.Join(dir, fmt.Sprintf("at-%d.db", i))
				p, err := r.Restore(ctx, "tenants/pitr", key, out, at)
				if err != nil {
					t.Fatal(err)
				}
				if !p.Time.Before(at) {
					t.Fatalf("restore point %s is not before %s", p.Time, at)
				}
				n, _ := digest(t, out)
				if got, want := n, 10*(i+1); got != want {
					t.Fatalf("restore at mark %d: %d rows, want %d", i, got, want)
				}
				var last string
				if err := openRO(t, out).QueryRow(`SELECT name FROM guests ORDER BY id DESC LIMIT 1`).Scan(&last); err != nil {
					t.Fatal(err)
				}
				if got, want := last, fmt.Sprintf("batch%d-9", i); got != want {
					t.Fatalf("last row %q, want %q", got, want)
				}
			}
			t.Run("ErrNotFound", func(t *testing.T) {
				_, err := r.Restore(ctx, "tenants/pitr", key, filepath.Join(dir, "too-early.db"), time.Now().Add(-time.Hour))
				if got, want := aura.ErrorCode(err), aura.ENOTFOUND; got != want {
					t.Fatalf("code = %q (%v), want %q", got, err, want)
				}
			})
		})
	}
}

// TestUnregisterSyncsFirst writes rows and unregisters at once: the rows
// are in the replica even though Litestream's monitor never ran.
func TestUnregisterSyncsFirst(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := fastConfig(dest)
			cfg.SyncInterval = time.Hour // the monitor never ticks during the test
			r := mustReplicator(t, cfg)
			path := filepath.Join(t.TempDir(), "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			if err := r.Register(ctx, path, "tenants/u", key); err != nil {
				t.Fatal(err)
			}
			insertGuests(t, db, "last-words", 42, 300)
			if err := r.Unregister(ctx, path); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Status(ctx, path); aura.ErrorCode(err) != aura.ENOTFOUND {
				t.Fatalf("Status after Unregister: %v, want ENOTFOUND", err)
			}
			if fi, err := os.Stat(replica.StagingDir(path)); err != nil || !fi.IsDir() {
				t.Fatalf("no Litestream staging directory at %s: %v", replica.StagingDir(path), err)
			}
			if got, want := restoredGuests(t, r, "tenants/u", key), 42; got != want {
				t.Fatalf("restored %d rows, want %d", got, want)
			}
		})
	}
}

// TestRegisterTwice covers the router opening a new handle of a file while
// the old one is still closing: the path stays replicated until the last
// holder unregisters.
func TestRegisterTwice(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	for i := 0; i < 2; i++ {
		if err := r.Register(ctx, path, "tenants/x", key); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("ErrConflict", func(t *testing.T) {
		if err := r.Register(ctx, path, "tenants/y", key); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("other prefix: %v, want ECONFLICT", err)
		}
		if err := r.Register(ctx, path, "tenants/x", newKey()); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("other key: %v, want ECONFLICT", err)
		}
	})
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "still", 7, 10)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatalf("Sync after the first of two Unregisters: %v", err)
	}
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, path); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("Sync after the last Unregister: %v, want ENOTFOUND", err)
	}
	if got, want := restoredGuests(t, r, "tenants/x", key), 7; got != want {
		t.Fatalf("restored %d rows, want %d", got, want)
	}
}

// TestConcurrentRegistrations registers, writes to and unregisters many
// files at once, each several times, and restores every one.
func TestConcurrentRegistrations(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := mustReplicator(t, fastConfig(dest))
			dir := t.TempDir()
			const files, rounds, rows = 12, 3, 5
			keyOf := map[int][]byte{}
			dbs := map[int]string{}
			handles := map[int]*sqlite.DB{}
			for i := 0; i < files; i++ {
				keyOf[i] = newKey()
				dbs[i] = filepath.Join(dir, fmt.Sprintf("t%02d.db", i))
				handles[i] = mustOpenDB(t, dbs[i])
			}
			var wg sync.WaitGroup
			errs := make(chan error, files*rounds)
			for i := 0; i < files; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					db := handles[i]
					for round := 0; round < rounds; round++ {
						if err := r.Register(ctx, dbs[i], fmt.Sprintf("tenants/t%02d", i), keyOf[i]); err != nil {
							errs <- err
							return
						}
						for j := 0; j < rows; j++ {
							if _, err := db.Write.Exec(`INSERT INTO guests (name) VALUES (?)`, fmt.Sprintf("r%d-%d", round, j)); err != nil {
								errs <- err
								return
							}
						}
						if err := r.Unregister(ctx, dbs[i]); err != nil {
							errs <- err
							return
						}
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := r.Registered(); len(got) != 0 {
				t.Fatalf("still registered: %v", got)
			}
			for i := 0; i < files; i++ {
				out := filepath.Join(dir, fmt.Sprintf("restored-%02d.db", i))
				if _, err := r.Restore(ctx, fmt.Sprintf("tenants/t%02d", i), keyOf[i], out, time.Time{}); err != nil {
					t.Fatal(err)
				}
				if got, want := countGuests(t, out), rounds*rows; got != want {
					t.Fatalf("file %d: restored %d rows, want %d", i, got, want)
				}
			}
		})
	}
}

// TestCheckpointsDoNotLoseFrames writes enough to make Aura's own
// connections auto-checkpoint many times (1,000-page threshold) and also
// checkpoints explicitly from the write pool while Litestream replicates,
// then checks the replica holds every committed row, byte for byte.
func TestCheckpointsDoNotLoseFrames(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	cfg := fastConfig(dest)
	cfg.CheckpointInterval = 200 * time.Millisecond
	r := mustReplicator(t, cfg)
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/c", key); err != nil {
		t.Fatal(err)
	}
	// Aura's own checkpoints are PASSIVE, run by each file's background
	// checkpointer (sqlite/checkpoint.go) beside the writer, like the
	// explicit ones below; automatic ones on the committing connection
	// (off in Aura's DSN, on here) land between any two commits.
	if _, err := db.Write.Exec(`PRAGMA wal_autocheckpoint(100)`); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 12; round++ {
		insertGuests(t, db, fmt.Sprintf("round%d", round), 150, 4000) // ~150 pages per round, ~1,800 in all
		switch round {
		case 2, 5, 8, 11:
			if _, err := db.Write.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				t.Fatal(err)
			}
		case 6:
			// A TRUNCATE checkpoint from Aura's write pool waits for
			// Litestream's read transaction (busy_timeout) and then gives
			// up without truncating: Litestream keeps control of the WAL.
			var busy, logN, done int
			start := time.Now()
			if err := db.Write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logN, &done); err != nil {
				t.Fatal(err)
			}
			t.Logf("TRUNCATE checkpoint from the app: busy=%d log=%d checkpointed=%d after %s", busy, logN, done, time.Since(start).Round(time.Millisecond))
		}
		if round%4 == 3 {
			time.Sleep(250 * time.Millisecond) // let Litestream checkpoint between writes too
		}
	}
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "restored.db")
	if _, err := r.Restore(ctx, "tenants/c", key, out, time.Time{}); err != nil {
		t.Fatal(err)
	}
	gotN, gotSum := digest(t, out)
	wantN, wantSum := digestDB(t, db.Read)
	if gotN != 12*150 || gotN != wantN || gotSum != wantSum {
		t.Fatalf("replica has %d rows (%s), source %d (%s)", gotN, gotSum, wantN, wantSum)
	}
}

// TestRestoreSwapReRegister is the restore flow the operator commands build
// on: restore to a side file, stop replicating the live file, swap the
// restored file in, replicate again and keep writing. The replica's latest
// state is then the restored rows plus the new ones.
func TestRestoreSwapReRegister(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	dir := t.TempDir()
	path := filepath.Join(dir, "tenant.db")
	key := newKey()
	db := mustOpenDB(t, path)
	if err := r.Register(ctx, path, "tenants/s", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "kept", 10, 100)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	at := time.Now()
	time.Sleep(20 * time.Millisecond)
	insertGuests(t, db, "mistake", 30, 100)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}

	side := filepath.Join(dir, "tenant.db.restore")
	if _, err := r.Restore(ctx, "tenants/s", key, side, at); err != nil {
		t.Fatal(err)
	}
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	if err := os.Rename(side, path); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDB(t, path)
	if err := r.Register(ctx, path, "tenants/s", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "new", 5, 100)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "latest.db")
	if _, err := r.Restore(ctx, "tenants/s", key, out, time.Time{}); err != nil {
		t.Fatal(err)
	}
	gotN, gotSum := digest(t, out)
	wantN, wantSum := digestDB(t, db.Read)
	if gotN != 15 || gotN != wantN || gotSum != wantSum {
		t.Fatalf("latest replica state has %d rows, live file %d (want 15: 10 kept + 5 new)", gotN, wantN)
	}
	var mistakes int
	if err := openRO(t, out).QueryRow(`SELECT count(*) FROM guests WHERE name LIKE 'mistake-%'`).Scan(&mistakes); err != nil {
		t.Fatal(err)
	}
	if mistakes != 0 {
		t.Fatalf("the undone rows came back: %d", mistakes)
	}
}

func TestStatusAndTimeline(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	cfg := fastConfig(dest)
	cfg.SnapshotInterval = 500 * time.Millisecond
	r := mustReplicator(t, cfg)
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/st", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "row", 10, 10)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	st, err := r.Status(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if st.ReplicaTXID == 0 || st.ReplicaTXID != st.LocalTXID || st.Lag != 0 {
		t.Fatalf("after Sync: %+v, want in sync", st)
	}
	if age := time.Since(st.LastSync); age < 0 || age > 5*time.Second {
		t.Fatalf("LastSync %s is not recent", st.LastSync)
	}
	if got, want := st.Prefix, "tenants/st"; got != want {
		t.Fatalf("Prefix = %q, want %q", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st.LastSnapshot.IsZero() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if st, err = r.Status(ctx, path); err != nil {
			t.Fatal(err)
		}
	}
	if st.LastSnapshot.IsZero() {
		t.Fatal("no snapshot was taken within 10s at a 500ms snapshot interval")
	}
	tl, err := r.Timeline(ctx, "tenants/st", key)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Snapshots) == 0 || tl.Earliest.IsZero() || tl.Latest.TXID < st.ReplicaTXID {
		t.Fatalf("timeline %+v does not match status %+v", tl, st)
	}
	if tl.Earliest.After(tl.Latest.Time) {
		t.Fatalf("earliest %s after latest %s", tl.Earliest, tl.Latest.Time)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := r.Timeline(ctx, "tenants/empty", key); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("empty replica: %v, want ENOTFOUND", err)
		}
		if _, err := r.Status(ctx, filepath.Join(t.TempDir(), "other.db")); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("unregistered path: %v, want ENOTFOUND", err)
		}
	})
}

func TestRegisterInvalid(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	mustOpenDB(t, path)
	for _, prefix := range []string{"", "/abs", "a/../b", "a//b", "trailing/", "..", `a\b`} {
		if err := r.Register(ctx, path, prefix, newKey()); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("prefix %q: %v, want EINVALID", prefix, err)
		}
	}
	if err := r.Register(ctx, path, "tenants/k", []byte("short")); aura.ErrorCode(err) != aura.EINVALID {
		t.Fatalf("short key: %v, want EINVALID", err)
	}
	if err := r.Register(ctx, filepath.Join(t.TempDir(), "missing.db"), "tenants/k", newKey()); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("missing file: %v, want ENOTFOUND", err)
	}
	if len(r.Registered()) != 0 {
		t.Fatal("a refused registration was kept")
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(ctx, path, "tenants/k", newKey()); aura.ErrorCode(err) != aura.EUNAVAILABLE {
		t.Fatalf("after Close: %v, want EUNAVAILABLE", err)
	}
	if !strings.Contains(dest.String(), dest.Path) {
		t.Fatalf("String() = %q", dest.String())
	}
}

// TestInspect reads the state of a file replicated by another Replicator
// (another process in production: `aura backup status` beside the server).
func TestInspect(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	cfg := fastConfig(dest)
	cfg.SnapshotInterval = 300 * time.Millisecond
	server := mustReplicator(t, cfg)
	tool := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()

	t.Run("Empty", func(t *testing.T) {
		st, err := tool.Inspect(ctx, path, "tenants/i", key)
		if err != nil {
			t.Fatal(err)
		}
		if st.ReplicaTXID != 0 || st.LocalTXID != 0 || !st.LastSync.IsZero() {
			t.Fatalf("never replicated: %+v", st)
		}
	})
	if err := server.Register(ctx, path, "tenants/i", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "row", 10, 10)
	if err := server.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a snapshot or two
	if err := server.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	want, err := server.Status(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		st, err := tool.Inspect(ctx, path, "tenants/i", key)
		if err != nil {
			t.Fatal(err)
		}
		if st.LocalTXID != want.LocalTXID || st.ReplicaTXID != want.ReplicaTXID || st.Lag != 0 {
			t.Fatalf("Inspect %+v, server Status %+v", st, want)
		}
		if st.LastSnapshot.IsZero() || st.LastSync.IsZero() || time.Since(st.LastSync) > time.Minute {
			t.Fatalf("times %+v", st)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		if _, err := tool.Inspect(ctx, path, "tenants/i", newKey()); !errors.Is(err, replica.ErrWrongKey) {
			t.Fatalf("err = %v, want ErrWrongKey", err)
		}
	})
}

// TestCloseSyncsFirst closes the Replicator right after writing, before
// Litestream's monitor ever ran: the rows are in the replica.
func TestCloseSyncsFirst(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	cfg := fastConfig(dest)
	cfg.SyncInterval = time.Hour
	r := mustReplicator(t, cfg)
	path := filepath.Join(t.TempDir(), "platform.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "platform/k", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "shutdown", 9, 10)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	other := mustReplicator(t, fastConfig(dest))
	if got, want := restoredGuests(t, other, "platform/k", key), 9; got != want {
		t.Fatalf("restored %d rows, want %d", got, want)
	}
}

// TestUnregisterSnapshots covers a tenant that is never open when the
// snapshot interval comes round: it is snapshotted as it closes, once per
// interval, and old snapshots are pruned by retention.
func TestUnregisterSnapshots(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	cfg := fastConfig(dest)
	cfg.SnapshotInterval = time.Second
	cfg.Retention = 2 * time.Second
	r := mustReplicator(t, cfg)
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	session := func(name string) {
		t.Helper()
		if err := r.Register(ctx, path, "tenants/n", key); err != nil {
			t.Fatal(err)
		}
		insertGuests(t, db, name, 3, 10)
		if err := r.Unregister(ctx, path); err != nil {
			t.Fatal(err)
		}
	}
	snapshots := func() []replica.Point {
		t.Helper()
		tl, err := r.Timeline(ctx, "tenants/n", key)
		if err != nil {
			t.Fatal(err)
		}
		return tl.Snapshots
	}
	// Start just after an interval boundary so two sessions share one interval.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	session("first")
	if got := len(snapshots()); got != 1 {
		t.Fatalf("after the first session: %d snapshots, want 1", got)
	}
	session("second") // same interval: no new snapshot
	if got := len(snapshots()); got != 1 {
		t.Fatalf("a second session in the same interval: %d snapshots, want 1", got)
	}
	time.Sleep(3 * time.Second)
	session("third") // a new interval, and the first snapshot is past retention
	snaps := snapshots()
	if len(snaps) != 1 || time.Since(snaps[0].Time) > 2*time.Second {
		t.Fatalf("after retention: snapshots %+v, want only a fresh one", snaps)
	}
	if got, want := restoredGuests(t, r, "tenants/n", key), 9; got != want {
		t.Fatalf("restored %d rows, want %d", got, want)
	}
}

// A checkpoint through the Replicator empties the WAL of a replicated file
// without waiting on Litestream's lock, and loses nothing from the replica.
func TestReplicatorCheckpoint(t *testing.T) {
	r := mustReplicator(t, fastConfig(replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}))
	path := filepath.Join(t.TempDir(), "cp.db")
	db := mustOpenDB(t, path)
	ctx := context.Background()
	if err := r.Register(ctx, path, "tenants/cp", newKey()); err != nil {
		t.Fatal(err)
	}
	defer r.Unregister(ctx, path)
	insertGuests(t, db, "cp", 200, 100)
	start := time.Now()
	if err := r.Checkpoint(ctx, path); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("checkpoint waited %v: it blocked on Litestream's lock", d)
	}
	// Litestream restarts the WAL with one frame of its own bookkeeping;
	// none of the rows written before may remain in it.
	wal, _ := os.ReadFile(path + "-wal")
	if bytes.Contains(wal, []byte("cp-199")) {
		t.Fatalf("the WAL (%d bytes) still holds rows written before the checkpoint", len(wal))
	}
	main, _ := os.ReadFile(path)
	if !bytes.Contains(main, []byte("cp-199")) {
		t.Fatal("the main file does not hold the checkpointed rows")
	}
	if err := r.Checkpoint(ctx, filepath.Join(t.TempDir(), "other.db")); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("unregistered path: err = %v, want ENOTFOUND", err)
	}
}

// TestShipOnCommit checks that a commit the Replicator hears of (sqlite's
// AfterCommit wired to Committed, as aura serve wires every file) reaches
// the replica on its own, with Litestream's monitor and sync timers an
// hour apart: without the shipper it would wait for them.
func TestShipOnCommit(t *testing.T) {
	for name, dest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := fastConfig(dest)
			cfg.SyncInterval = time.Hour // Litestream's own timers never fire during the test
			cfg.ShipEvery = 10 * time.Millisecond
			r := mustReplicator(t, cfg)
			path := filepath.Join(t.TempDir(), "tenant.db")
			db := mustOpenDB(t, path)
			key := newKey()
			if err := r.Register(ctx, path, "tenants/ship", key); err != nil {
				t.Fatal(err)
			}
			if err := r.Sync(ctx, path); err != nil {
				t.Fatal(err)
			}
			st0, err := r.Status(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			db.AfterCommit(r.Committed(path))
			chain := &sqlite.Chain{DB: db, ID: "ship"}
			err = chain.Update(ctx, func(tx *sqlite.Tx) error {
				tx.Unaudited("a replication test")
				for i := range 3 {
					if _, err := tx.Exec(`INSERT INTO guests (name, note) VALUES (?, randomblob(100))`, fmt.Sprint("shipped-", i)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			st := st0
			for time.Now().Before(deadline) {
				if st, err = r.Status(ctx, path); err != nil {
					t.Fatal(err)
				}
				if st.ReplicaTXID > st0.ReplicaTXID {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st.ReplicaTXID <= st0.ReplicaTXID {
				t.Fatalf("replica still at TXID %d 20s after the commits (Litestream's timers are an hour apart)", st.ReplicaTXID)
			}
			if got := restoredGuests(t, r, "tenants/ship", key); got != 3 {
				t.Fatalf("restored %d rows, want the 3 committed", got)
			}
			// A path that is not registered is ignored.
			r.Committed(filepath.Join(t.TempDir(), "other.db"))()
		})
	}
}
