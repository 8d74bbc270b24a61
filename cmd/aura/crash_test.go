package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeChild is not a test of its own: TestCrash runs the test binary
// again with AURA_CRASH_CHILD set, and this function then becomes a real
// `aura serve` process that TestCrash kills with SIGKILL.
func TestServeChild(t *testing.T) {
	args := os.Getenv("AURA_CRASH_CHILD")
	if args == "" {
		return // not the child: nothing to do (see TestCrash)
	}
	// As main does: SIGTERM and SIGINT stop the server gracefully
	// (TestSystemdNotify), SIGKILL is SIGKILL (TestCrash).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, strings.Split(args, "\x1f"), nil, os.Stdout, os.Stderr))
}

// TestCrash kills the server with SIGKILL during a stream of writes. After
// a restart every write the server acknowledged is there, and the replica
// left by the crash restores to a consistent prefix of the live history.
func TestCrash(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	const password = "correct horse battery staple"
	c.mustRun(password+"\n", "tenant", "create", "crashy", "--name", "Crashy", "--owner-email", "owner@crashy.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "crashy", "--email", "owner@crashy.example", "--name", "w", "--scopes", "users.read,users.write"))

	child := serveChild(t, c, nil, nil, "--litestream", cfg)

	// Writers: every invitation the server answered 201 is acknowledged.
	// The kill comes once 50 writes are acknowledged and Litestream has
	// shipped to the replica at least once, however long either takes on a
	// busy machine, with the writers still writing.
	w := writeUsers(child.base, "crashy", tok, 50)
	w.waitEnough(t, child)
	waitFirstSync(t, child, filepath.Join(filepath.Dir(cfg), "replica", "tenants"))
	if err := child.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	child.cmd.Wait()
	acked := w.done()

	// The replica the crash left restores with integrity ok, its audit
	// chain verifies, and it is a prefix of the live history.
	if out := c.mustRun("", "backup", "verify", "crashy", "--litestream", cfg); !strings.Contains(out, "crashy  ok") {
		t.Fatalf("drill after the crash:\n%s", out)
	}
	// Restart: nothing acknowledged is lost.
	srv := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	got := userEmails(t, srv.https, "crashy", tok)
	for _, e := range acked {
		if !got[e] {
			t.Fatalf("%s was acknowledged before the crash and is gone after the restart", e)
		}
	}
	c.mustRun("", "audit", "verify", "crashy")
	t.Logf("%d acknowledged writes survived the SIGKILL", len(acked))
}
