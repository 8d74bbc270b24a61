package replica_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
)

// crashChildEnv makes the test binary run crashChild instead of the tests.
const crashChildEnv = "AURA_REPLICA_CRASH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	os.Exit(m.Run())
}

// crashChild replicates a database and commits rows as fast as it can
// until it is killed.
func crashChild() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	dbPath, dest := os.Getenv("CRASH_DB"), os.Getenv("CRASH_REPLICA")
	key, err := hex.DecodeString(os.Getenv("CRASH_KEY"))
	if err != nil {
		fail(err)
	}
	r, err := replica.New(replica.Config{Destination: replica.Destination{Type: replica.TypeFile, Path: dest}, SyncInterval: 100 * time.Millisecond})
	if err != nil {
		fail(err)
	}
	db, err := sqlite.Open(dbPath, sqlite.Options{ReadConns: 1})
	if err != nil {
		fail(err)
	}
	if err := r.Register(ctx, dbPath, "tenants/crash", key); err != nil {
		fail(err)
	}
	for i := 0; ; i++ {
		if _, err := db.Write.Exec(`INSERT INTO guests (name, note) VALUES (?, randomblob(300))`, fmt.Sprintf("crash-%d", i)); err != nil {
			fail(err)
		}
		if i == 20 {
			if err := r.Sync(ctx, dbPath); err != nil {
				fail(err)
			}
			fmt.Println("ready")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCrash kills (SIGKILL) a process that replicates a database in the
// middle of a stream of commits. The replica it left restores to a
// consistent prefix of what was committed; after a restart every committed
// row is in the file and, once replication resumes, in the replica.
func TestCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "tenant.db")
	dest := filepath.Join(dir, "replica")
	key := newKey()
	mustOpenDB(t, dbPath).Close() // creates the guests table

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", "CRASH_DB="+dbPath, "CRASH_REPLICA="+dest, "CRASH_KEY="+hex.EncodeToString(key))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && sc.Text() == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			t.Fatal("the child did not start replicating")
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child did not start replicating within 30s")
	}
	time.Sleep(1500 * time.Millisecond) // many commits and several syncs in flight
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// What the crashed process had shipped: a consistent prefix.
	r := mustReplicator(t, fastConfig(replica.Destination{Type: replica.TypeFile, Path: dest}))
	shipped := filepath.Join(dir, "shipped.db")
	if _, err := r.Restore(ctx, "tenants/crash", key, shipped, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := integrity(t, shipped); got != "ok" {
		t.Fatalf("integrity_check of the replica left by the crash: %q", got)
	}
	var n, maxID int
	if err := openRO(t, shipped).QueryRow(`SELECT count(*), coalesce(max(id), 0) FROM guests`).Scan(&n, &maxID); err != nil {
		t.Fatal(err)
	}
	if n < 21 || n != maxID {
		t.Fatalf("the replica holds %d rows up to id %d: not a whole prefix of the commits", n, maxID)
	}

	// Restart: the file holds every commit, and replication catches up.
	db := mustOpenDB(t, dbPath)
	committed, want := digestDB(t, db.Read)
	if committed < n {
		t.Fatalf("the file has %d rows, fewer than the %d the replica had", committed, n)
	}
	if err := r.Register(ctx, dbPath, "tenants/crash", key); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, dbPath); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "after-restart.db")
	if _, err := r.Restore(ctx, "tenants/crash", key, out2, time.Time{}); err != nil {
		t.Fatal(err)
	}
	gotN, got := digest(t, out2)
	if gotN != committed || got != want {
		t.Fatalf("after the restart the replica has %d rows, the file %d", gotN, committed)
	}
	t.Logf("%d rows shipped before the kill, %d committed", n, committed)
}
