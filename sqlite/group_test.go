package sqlite_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// newChain opens a real file with the tenant schema (for its audit_log)
// and a table t, under a clock that ticks one second per call.
func newChain(t testing.TB, path string) *sqlite.Chain {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Migrate(context.Background(), db.Write, schema.Tenant, path); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var tick atomic.Int64
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// The tests form their groups by holding the first request until the
	// others wait; a generous window keeps a slow (race-detector) run
	// from closing the group before they join.
	return &sqlite.Chain{DB: db, ID: "group-test", GroupWait: time.Minute,
		Now: func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) }}
}

// insert is a request that writes key k with its audit row.
func insert(k string) func(tx *sqlite.Tx) error {
	return func(tx *sqlite.Tx) error {
		if _, err := tx.Exec(`INSERT INTO t (k) VALUES (?)`, k); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "t.inserted", EntityType: "t", EntityID: k})
	}
}

func keys(t testing.TB, c *sqlite.Chain) map[string]bool {
	t.Helper()
	rows, err := c.Read.Query(`SELECT k FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	return got
}

// verifyChain checks the audit chain and that its rows are those of the
// given entities (in any order: the writer does not order waiting
// requests), each with its own, increasing time.
func verifyChain(t testing.TB, c *sqlite.Chain, want ...string) {
	t.Helper()
	res, err := audit.Verify(context.Background(), c.Read, c.ID, nil)
	if err != nil || !res.OK() {
		t.Fatalf("audit chain: %v %v", err, res.Break)
	}
	rows, err := c.Read.Query(`SELECT entity_id, at FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	last := ""
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		if at <= last {
			t.Fatalf("audit row of %s at %s after one at %s: want one increasing `now` per request", id, at, last)
		}
		last = at
		got = append(got, id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("audit rows for %v, want %v", got, want)
	}
}

// group runs lead as the first request of a group and the others while it
// waits, so all of them share its transaction: lead's request does not end
// until the others wait for the writer. It returns each request's error.
func group(t *testing.T, c *sqlite.Chain, lead func(tx *sqlite.Tx) error, others ...func(tx *sqlite.Tx) error) (errs []error, leadErr error) {
	t.Helper()
	ctx := context.Background()
	g0, r0 := sqlite.Groups(c)
	errs = make([]error, len(others))
	var wg sync.WaitGroup
	leading := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		leadErr = c.Update(ctx, func(tx *sqlite.Tx) error {
			close(leading)
			for sqlite.Waiting(c) < int64(len(others)) {
				time.Sleep(time.Millisecond)
			}
			return lead(tx)
		})
	}()
	<-leading
	for i, fn := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("panic: %v", r)
				}
			}()
			errs[i] = c.Update(ctx, fn)
		}()
	}
	wg.Wait()
	g1, r1 := sqlite.Groups(c)
	if g1-g0 != 1 || r1-r0 != int64(1+len(others)) {
		t.Fatalf("%d requests ran in %d groups, want all %d in one", r1-r0, g1-g0, 1+len(others))
	}
	return errs, leadErr
}

func TestGroupCommit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := newChain(t, filepath.Join(t.TempDir(), "g.db"))
		defer c.Close()
		errs, leadErr := group(t, c, insert("lead"), insert("a"), insert("b"), insert("c"))
		if leadErr != nil || errors.Join(errs...) != nil {
			t.Fatalf("errors: %v %v", leadErr, errs)
		}
		if got := keys(t, c); len(got) != 4 {
			t.Fatalf("rows %v, want 4", got)
		}
		verifyChain(t, c, "lead", "a", "b", "c")
	})
	t.Run("ErrOneRequest", func(t *testing.T) {
		// A request that fails, one that breaks a constraint, one that
		// panics and one that writes without an audit row each roll back
		// only their own work and get their own error; the others commit.
		c := newChain(t, filepath.Join(t.TempDir(), "g.db"))
		defer c.Close()
		if err := c.Update(context.Background(), insert("taken")); err != nil {
			t.Fatal(err)
		}
		refused := aura.Errorf(aura.EINVALID, "refused")
		fail := func(tx *sqlite.Tx) error {
			if err := insert("failed")(tx); err != nil {
				return err
			}
			return refused
		}
		dup := func(tx *sqlite.Tx) error {
			if err := insert("dup-first")(tx); err != nil {
				return err
			}
			return insert("taken")(tx)
		}
		boom := func(tx *sqlite.Tx) error {
			if err := insert("panicked")(tx); err != nil {
				return err
			}
			panic("boom")
		}
		unaudited := func(tx *sqlite.Tx) error {
			_, err := tx.Exec(`INSERT INTO t (k) VALUES ('unaudited')`)
			return err
		}
		errs, leadErr := group(t, c, insert("lead"), insert("a"), fail, dup, boom, unaudited, insert("z"))
		if leadErr != nil || errs[0] != nil || errs[5] != nil {
			t.Fatalf("the good requests failed: %v %v %v", leadErr, errs[0], errs[5])
		}
		if errs[1] != refused {
			t.Errorf("failing request got %v, want its own error", errs[1])
		}
		if aura.ErrorCode(errs[2]) != aura.ECONFLICT {
			t.Errorf("constraint failure got %v, want ECONFLICT", errs[2])
		}
		if errs[3] == nil || !strings.Contains(errs[3].Error(), "panic: boom") {
			t.Errorf("panicking request got %v, want its panic to go on", errs[3])
		}
		if aura.ErrorCode(errs[4]) != aura.EINTERNAL {
			t.Errorf("unaudited write got %v, want EINTERNAL", errs[4])
		}
		got := keys(t, c)
		for _, k := range []string{"failed", "dup-first", "panicked", "unaudited"} {
			if got[k] {
				t.Errorf("%s was kept, want its request rolled back", k)
			}
		}
		if len(got) != 4 {
			t.Errorf("rows %v, want taken, lead, a, z", got)
		}
		verifyChain(t, c, "taken", "lead", "a", "z")
	})
	t.Run("ErrLeader", func(t *testing.T) {
		// A leader whose own request fails still commits its group.
		c := newChain(t, filepath.Join(t.TempDir(), "g.db"))
		defer c.Close()
		refused := errors.New("refused")
		errs, leadErr := group(t, c, func(tx *sqlite.Tx) error {
			insert("lead")(tx)
			return refused
		}, insert("a"), insert("b"))
		if leadErr != refused || errors.Join(errs...) != nil {
			t.Fatalf("errors: %v %v", leadErr, errs)
		}
		verifyChain(t, c, "a", "b")
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		// A request whose context ends while it waits never runs; one
		// that runs is not interrupted (that would roll back the group).
		c := newChain(t, filepath.Join(t.TempDir(), "g.db"))
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := c.Update(ctx, func(tx *sqlite.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("cancelled request: ran %v, %v", ran, err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		err = c.Update(ctx, func(tx *sqlite.Tx) error {
			cancel()
			return insert("kept")(tx)
		})
		if err != nil || !keys(t, c)["kept"] {
			t.Fatalf("request cancelled while running: %v", err)
		}
	})
}

// TestGroupHold checks that a leader holds its group open for requests
// that reach the writer a little apart (not yet waiting when its own
// request ended) while recent groups were larger, and that a lone caller
// never waits for anyone.
func TestGroupHold(t *testing.T) {
	c := newChain(t, filepath.Join(t.TempDir(), "g.db"))
	defer c.Close()
	// Idle waits this long would stall the test for minutes: the
	// watchdogs below catch a leader that waits when it should not.
	c.GroupIdle = time.Minute
	ctx := context.Background()
	watchdog := func(what string, fn func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); fn() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: still waiting after 20s", what)
		}
	}

	watchdog("a lone caller", func() {
		for i := range 5 {
			if err := c.Update(ctx, insert(fmt.Sprint("alone", i))); err != nil {
				t.Error(err)
			}
		}
	})

	// Four requests at once: the group they form sets the target.
	if errs, err := group(t, c, insert("lead"), insert("a"), insert("b"), insert("c")); err != nil || errors.Join(errs...) != nil {
		t.Fatal(err, errs)
	}
	// Now four requests one after another, each sent only once the one
	// before has run, so none of them is waiting when the leader's ends.
	g0, r0 := sqlite.Groups(c)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	ran := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Update(ctx, func(tx *sqlite.Tx) error {
				defer func() { ran <- struct{}{} }()
				return insert(fmt.Sprint("apart", i))(tx)
			})
		}()
		<-ran
	}
	watchdog("a full group", wg.Wait)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if g1, r1 := sqlite.Groups(c); g1-g0 != 1 || r1-r0 != 4 {
		t.Fatalf("%d requests sent apart ran in %d groups, want 4 in 1", r1-r0, g1-g0)
	}
	want := []string{"lead", "a", "b", "c"}
	for i := range 5 {
		want = append(want, fmt.Sprint("alone", i))
	}
	for i := range 4 {
		want = append(want, fmt.Sprint("apart", i))
	}
	verifyChain(t, c, want...)
}

// TestGroupCrashChild is not a test of its own: TestGroupCrash runs the
// test binary again with AURA_GROUP_CRASH set to a file, and this function
// then runs a group whose last request never ends, reporting on stdout
// each request that ran and each that was acknowledged, until it is killed.
func TestGroupCrashChild(t *testing.T) {
	path := os.Getenv("AURA_GROUP_CRASH")
	if path == "" {
		return
	}
	c := newChain(t, path)
	for i := range 3 { // committed before the crash
		if err := c.Update(context.Background(), insert(fmt.Sprint("before-", i))); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ACK before-%d\n", i)
	}
	var mu sync.Mutex
	say := func(s string) { mu.Lock(); fmt.Println(s); mu.Unlock() }
	const n = 4
	var ran atomic.Int64
	leading := make(chan struct{})
	request := func(k string, leader bool) {
		err := c.Update(context.Background(), func(tx *sqlite.Tx) error {
			if err := insert(k)(tx); err != nil {
				return err
			}
			if leader {
				close(leading)
				for sqlite.Waiting(c) < n-1 {
					time.Sleep(time.Millisecond)
				}
			}
			say("RAN " + k)
			if ran.Add(1) == n {
				select {} // the group's last request hangs: the crash comes before its COMMIT
			}
			return nil
		})
		if err == nil {
			say("ACK " + k)
		}
	}
	go request("lead", true)
	<-leading
	for i := range n - 1 {
		go request(fmt.Sprint("member-", i), false)
	}
	select {}
}

// TestGroupCrash kills a process with SIGKILL while a group has run all its
// requests but not committed: no request of it was acknowledged, none of
// its rows is in the file after the crash, everything acknowledged before
// is, and the audit chain verifies.
func TestGroupCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	child := exec.Command(os.Args[0], "-test.run=^TestGroupCrashChild$")
	child.Env = append(os.Environ(), "AURA_GROUP_CRASH="+path)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	acked, ran := map[string]bool{}, 0
	timeout := time.After(60 * time.Second)
	for ran < 4 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the child ended before its group ran")
			}
			if k, ok := strings.CutPrefix(l, "ACK "); ok {
				acked[k] = true
			}
			if strings.HasPrefix(l, "RAN ") {
				ran++
			}
		case <-timeout:
			t.Fatal("the child's group did not run")
		}
	}
	// A request acknowledged after the last one ran would show up here.
	time.Sleep(100 * time.Millisecond)
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	for l := range lines {
		if k, ok := strings.CutPrefix(l, "ACK "); ok {
			acked[k] = true
		}
	}
	for k := range acked {
		if !strings.HasPrefix(k, "before-") {
			t.Errorf("%s was acknowledged before its group committed", k)
		}
	}
	if len(acked) != 3 {
		t.Fatalf("acknowledged %v, want the 3 writes before the group", acked)
	}
	c := newChain(t, path)
	defer c.Close()
	got := keys(t, c)
	for k := range acked {
		if !got[k] {
			t.Errorf("%s was acknowledged and is gone after the crash", k)
		}
	}
	if len(got) != 3 {
		t.Errorf("rows after the crash %v, want only the acknowledged ones", got)
	}
	verifyChain(t, c, "before-0", "before-1", "before-2")
}

// TestBackgroundCheckpoint writes a few megabytes through Update and finds
// them copied from the WAL into the file without any explicit checkpoint:
// commits no longer checkpoint, the file's background checkpointer does.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck.db")
	c := newChain(t, path)
	defer c.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := fi.Size()
	pad := strings.Repeat("x", 8000)
	for i := range 400 {
		if err := c.Update(context.Background(), insert(fmt.Sprint(i, pad))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= before+3<<20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file grew from %d to %d bytes: the WAL was not checkpointed", before, fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
