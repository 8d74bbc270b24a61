package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// hung is how long the tests below wait for an event (a server listening,
// enough writes acknowledged) before calling the server hung. The waits
// end on the events themselves; this only bounds a server that never gets
// there.
const hung = 2 * time.Minute

// servedChild is `aura serve` run as a process of its own (the test binary
// again, as TestServeChild), so a test can signal or kill it.
type servedChild struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	// exited is closed when the child's output ends: it has exited.
	exited <-chan struct{}
}

// serveChild starts `aura serve --dev` with args (after c's data flags) in
// a child process with env added to the test's environment, and returns
// once the child prints the address it listens on (it prints it with the
// listener bound). It fails t when the child exits first. stderr receives
// the child's standard error. The child is killed when t ends.
func serveChild(t *testing.T, c *cli, env []string, stderr *syncBuffer, args ...string) *servedChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(append(os.Environ(), env...), "AURA_CRASH_CHILD="+strings.Join(c.args(append([]string{"serve", "--dev", "--addr", "127.0.0.1:0"}, args...)...), "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if stderr != nil {
		cmd.Stderr = stderr
	} else {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	addr, exited := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(exited)
		re := regexp.MustCompile(`listening on (http://[0-9.:]+)/`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	s := &servedChild{cmd: cmd, exited: exited}
	select {
	case s.base = <-addr:
	case <-exited:
		t.Fatal("the child server exited before it listened")
	case <-time.After(hung):
		t.Fatal("the child server did not start")
	}
	return s
}

// userWriters are four clients inviting users to a tenant through the API
// as fast as the server answers, recording each invitation answered 201.
type userWriters struct {
	mu     sync.Mutex
	acked  []string
	enough chan struct{} // closed at the min-th acknowledged write
	stop   chan struct{}
	wg     sync.WaitGroup
}

// writeUsers starts the writers against base/slug with token; each stops
// when the server stops answering or when stopped.
func writeUsers(base, slug, token string, min int) *userWriters {
	u := &userWriters{enough: make(chan struct{}), stop: make(chan struct{})}
	for w := 0; w < 4; w++ {
		u.wg.Add(1)
		go func(w int) {
			defer u.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-u.stop:
					return
				default:
				}
				email := fmt.Sprintf("w%d-%d@%s.example", w, i, slug)
				req, _ := http.NewRequest("POST", base+"/"+slug+"/api/v1/users", strings.NewReader(`{"email":"`+email+`","role":"front_desk"}`))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone or stopped accepting
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					u.mu.Lock()
					if u.acked = append(u.acked, email); len(u.acked) == min {
						close(u.enough)
					}
					u.mu.Unlock()
				}
			}
		}(w)
	}
	return u
}

// waitEnough returns once min writes are acknowledged, however long that
// takes on a busy machine; it fails t when the child exits first or the
// writes stall.
func (u *userWriters) waitEnough(t *testing.T, child *servedChild) {
	t.Helper()
	select {
	case <-u.enough:
	case <-child.exited:
		t.Fatal("the child server exited during the writes")
	case <-time.After(hung):
		t.Fatalf("only %d writes acknowledged in %v", len(u.done()), hung)
	}
}

// waitFirstSync returns once Litestream has shipped at least one LTX file
// into the replica directory dir (name the tenants' directory: the platform
// DB's first sync comes first and says nothing of a tenant's), however long that takes on a busy
// machine; it fails t when the child exits first. A SIGKILL before the
// first sync leaves an empty replica, which a restore drill rightly
// reports as holding no backup: a crash test that means to kill the server
// with replication under way waits for this as well as for the writes.
func waitFirstSync(t *testing.T, child *servedChild, dir string) {
	t.Helper()
	deadline := time.After(hung)
	for {
		found := false
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ltx") { // not .ltx.tmp: still being written
				found = true
				return fs.SkipAll
			}
			return nil
		})
		if found {
			return
		}
		select {
		case <-child.exited:
			t.Fatal("the child server exited before its first replication sync")
		case <-deadline:
			t.Fatalf("no LTX file reached %s in %v", dir, hung)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// done stops the writers, waits for them and returns the acknowledged
// writes.
func (u *userWriters) done() []string {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	u.wg.Wait()
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.acked...)
}
