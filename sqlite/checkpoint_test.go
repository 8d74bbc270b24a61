package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/sqlite"
)

// TestCheckpointBusy: a reader whose snapshot is older than the last commit
// keeps a TRUNCATE checkpoint from emptying the WAL. Checkpoint says so
// (EUNAVAILABLE, after retrying) instead of returning nil with the frames
// still in the WAL, and empties it once the reader is done.
func TestCheckpointBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := sqlite.Open(path, sqlite.Options{ReadConns: 1, BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO t VALUES ('before')`); err != nil {
		t.Fatal(err)
	}
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	// A read transaction holds its snapshot; a commit after it leaves
	// frames in the WAL that the reader does not see.
	rtx, err := db.Read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader: %d rows, %v", n, err)
	}
	if _, err := db.Write.Exec(`INSERT INTO t VALUES ('after')`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = db.Checkpoint(ctx)
	if aura.ErrorCode(err) != aura.EUNAVAILABLE {
		t.Fatalf("checkpoint with a reader open: %v, want EUNAVAILABLE", err)
	}
	if took := time.Since(start); took < sqlite.CheckpointRetry {
		t.Errorf("the busy checkpoint gave up after %s, before retrying for %s", took, sqlite.CheckpointRetry)
	}
	if walSize() == 0 {
		t.Fatal("the WAL is empty although the checkpoint said busy: the test proves nothing")
	}
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}

	// The reader done, the same call empties the WAL.
	if err := db.Checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint after the reader ended: %v", err)
	}
	if size := walSize(); size != 0 {
		t.Fatalf("the WAL holds %d bytes after a checkpoint that succeeded", size)
	}
	if err := db.Read.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the checkpoint: %d rows, %v", n, err)
	}
}
