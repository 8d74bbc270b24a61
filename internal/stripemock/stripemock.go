// Package stripemock runs the real stripe-mock (v0.203.0, installed by
// scripts/test-deps) for tests, on 127.0.0.1, behind a counting reverse
// proxy that records every request reaching it (method, path, idempotency
// key, form body) and can lose an answer on purpose (the request reaches
// stripe-mock, the client gets a broken answer: an unknown outcome). A test
// whose machine lacks stripe-mock fails and says to run `make test-deps`;
// it never skips.
package stripemock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
)

// Version is the stripe-mock release the tests run against.
const Version = "v0.203.0"

// Options tune Start.
type Options struct {
	// Fixtures replaces fields of stripe-mock's bundled fixtures, by
	// resource name (e.g. "payment_intent": {"status": "succeeded"}), for a
	// server whose answers take another shape than the bundled ones (which
	// are always a PaymentIntent in requires_payment_method). The bundled
	// file is read from the module cache that `go install` filled.
	Fixtures map[string]map[string]any
}

// Server is one running stripe-mock with its proxy.
type Server struct {
	// URL is the proxy's base URL: point stripe-go's backend here.
	URL string
	// HTTPAddr and HTTPSAddr are stripe-mock's own listeners.
	HTTPAddr, HTTPSAddr string

	cmd      *exec.Cmd
	proxy    *httptest.Server
	mu       sync.Mutex
	requests []Request
	lose     int                                 // answers still to lose
	replace  func(r Request) (int, []byte, bool) // a substitute answer, when it says so
	log      bytes.Buffer
}

// Request is one request that reached stripe-mock through the proxy.
type Request struct {
	Method, Path   string
	IdempotencyKey string
	Authorization  string
	Form           url.Values
	Body           []byte
}

var listening = regexp.MustCompile(`Listening for (HTTPS?) at address: (\S+)`)

// Start runs stripe-mock (see Run) for one test and stops it when the test
// ends; a missing binary fails the test with how to install it.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s, err := Run(opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Run runs stripe-mock on 127.0.0.1 with both -http-addr and -https-addr
// on ports the system picks (read back from its output), waits until it
// accepts connections and puts the proxy in front of it. Close stops both.
// It is for TestMain, which shares one server among a package's tests;
// an error says what is missing (run `make test-deps`).
func Run(opt Options) (*Server, error) {
	bin, err := lookup()
	if err != nil {
		return nil, err
	}
	args := []string{"-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:"}
	if len(opt.Fixtures) > 0 {
		path, err := fixtures(opt.Fixtures)
		if err != nil {
			return nil, err
		}
		args = append(args, "-fixtures", path)
		defer os.Remove(path) // read at start-up
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start stripe-mock: %v", err)
	}
	s := &Server{cmd: cmd}
	addrs := make(chan [2]string, 1)
	go func() {
		var httpAddr, httpsAddr string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				if m[1] == "HTTP" {
					httpAddr = m[2]
				} else {
					httpsAddr = m[2]
				}
				if httpAddr != "" && httpsAddr != "" {
					addrs <- [2]string{httpAddr, httpsAddr}
				}
			}
		}
	}()
	select {
	case a := <-addrs:
		s.HTTPAddr, s.HTTPSAddr = a[0], a[1]
	case <-time.After(90 * time.Second):
		s.Close()
		return nil, fmt.Errorf("stripe-mock did not start listening within 90 s; its output:\n%s", s.Output())
	}
	for _, addr := range []string{s.HTTPAddr, s.HTTPSAddr} {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			s.Close()
			return nil, fmt.Errorf("stripe-mock listens on %s, not on 127.0.0.1", addr)
		}
		if err := waitDial(addr); err != nil {
			s.Close()
			return nil, err
		}
	}
	target := &url.URL{Scheme: "http", Host: s.HTTPAddr}
	proxy := httputil.NewSingleHostReverseProxy(target)
	s.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, proxy) }))
	s.URL = s.proxy.URL
	return s, nil
}

// Close stops the proxy and stripe-mock.
func (s *Server) Close() {
	if s.proxy != nil {
		s.proxy.Close()
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, proxy *httputil.ReverseProxy) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	req := Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Authorization: r.Header.Get("Authorization"), Form: form, Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	lose := s.lose > 0
	if lose {
		s.lose--
	}
	replace := s.replace
	s.mu.Unlock()
	if replace != nil {
		if status, answer, ok := replace(req); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(answer)
			return
		}
	}
	if !lose {
		proxy.ServeHTTP(w, r)
		return
	}
	// Let stripe-mock perform the request, then break the answer off after
	// its first bytes: the client cannot know what happened. (A connection
	// closed before any byte would not do: Go's transport silently resends
	// a POST carrying an Idempotency-Key on a reused connection.)
	rec := httptest.NewRecorder()
	proxy.ServeHTTP(rec, r)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"id\":")
			buf.Flush()
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Backend returns a stripe-go backend pointed at the proxy, logging to
// logger (nil: nowhere), with no automatic retries, so a lost answer
// reaches the code under test.
func (s *Server) Backend(logger stripe.LeveledLoggerInterface) stripe.Backend {
	if logger == nil {
		logger = &stripe.LeveledLogger{Level: stripe.LevelNull}
	}
	return stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(s.URL),
		HTTPClient:        &http.Client{Timeout: 30 * time.Second},
		LeveledLogger:     logger,
		MaxNetworkRetries: stripe.Int64(0),
	})
}

// Requests returns the requests that reached the proxy so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Mark returns a position in the request log, for Since.
func (s *Server) Mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Since returns the requests that reached the proxy after mark, of method
// to a path starting with pathPrefix ("" for any).
func (s *Server) Since(mark int, method, pathPrefix string) []Request {
	var out []Request
	for _, r := range s.Requests()[mark:] {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many requests of method to path (a prefix) reached
// the proxy.
func (s *Server) Count(method, pathPrefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// LoseAnswers makes the proxy pass the next n requests to stripe-mock and
// then break the answer off (a truncated response, then the connection
// closed).
func (s *Server) LoseAnswers(n int) {
	s.mu.Lock()
	s.lose = n
	s.mu.Unlock()
}

// Answer makes the proxy answer requests for which fn says so with its
// status and body instead of stripe-mock, which cannot produce Stripe's
// errors (a declined card) itself; nil restores stripe-mock's answers.
func (s *Server) Answer(fn func(r Request) (status int, body []byte, ok bool)) {
	s.mu.Lock()
	s.replace = fn
	s.mu.Unlock()
}

// Output returns what stripe-mock printed.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// lookup finds the stripe-mock binary: first where scripts/test-deps puts
// it ($(go env GOPATH)/bin, the pinned version), then on PATH.
func lookup() (string, error) {
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("stripe-mock is not installed: run `make test-deps` (it runs go install github.com/stripe/stripe-mock@%s)", Version)
}

// fixtures writes stripe-mock's bundled fixtures with the given fields
// replaced to a temporary file and returns its path.
func fixtures(patch map[string]map[string]any) (string, error) {
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %v", err)
	}
	src := filepath.Join(strings.TrimSpace(string(modcache)), "github.com", "stripe", "stripe-mock@"+Version, "embedded", "openapi", "fixtures3.json")
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("stripe-mock's fixtures are not in the module cache (%v): run `make test-deps`", err)
	}
	var doc struct {
		Resources map[string]map[string]any `json:"resources"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("stripe-mock's fixtures: %v", err)
	}
	for name, fields := range patch {
		res, ok := doc.Resources[name]
		if !ok {
			return "", fmt.Errorf("stripe-mock's fixtures have no resource %q", name)
		}
		for k, v := range fields {
			res[k] = v
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "stripe-mock-fixtures-*.json")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(out); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

func waitDial(addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stripe-mock does not accept connections on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logger is a stripe-go leveled logger that keeps every line (debug
// included) for a test to inspect.
type Logger struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logger) printf(level, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, "["+level+"] "+format+"\n", v...)
}

// Debugf keeps a debug line.
func (l *Logger) Debugf(format string, v ...any) { l.printf("DEBUG", format, v...) }

// Infof keeps an informational line.
func (l *Logger) Infof(format string, v ...any) { l.printf("INFO", format, v...) }

// Warnf keeps a warning.
func (l *Logger) Warnf(format string, v ...any) { l.printf("WARN", format, v...) }

// Errorf keeps an error line.
func (l *Logger) Errorf(format string, v ...any) { l.printf("ERROR", format, v...) }

// Bytes returns everything logged so far.
func (l *Logger) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}
