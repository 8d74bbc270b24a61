package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

	child := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	child.Env = append(os.Environ(), "AURA_CRASH_CHILD="+strings.Join(c.args("serve", "--dev", "--addr", "127.0.0.1:0", "--litestream", cfg), "\x1f"))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://[0-9.:]+)/`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("the child server did not start")
	}

	// Writers: every invitation the server answered 201 is acknowledged.
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("w%d-%d@crashy.example", w, i)
				req, _ := http.NewRequest("POST", base+"/crashy/api/v1/users", strings.NewReader(`{"email":"`+email+`","role":"front_desk"}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, email)
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := child.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	child.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d writes before the kill", len(acked))
	}

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
