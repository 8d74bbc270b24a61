package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/credential"
)

// syncBuffer is an io.Writer safe for a server goroutine and a test reading it.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // closed by the next write (see grown)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grew != nil {
		close(s.grew)
		s.grew = nil
	}
	return s.b.Write(p)
}

// grown returns a channel closed by the next write, so a test waits for
// output instead of polling for it: take the channel, read String, and
// wait on the channel when the output is not there yet.
func (s *syncBuffer) grown() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grew == nil {
		s.grew = make(chan struct{})
	}
	return s.grew
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cli is one data directory and key, for running the real Main.
type cli struct {
	t       *testing.T
	data    string
	keyFile string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, data: filepath.Join(t.TempDir(), "data"), keyFile: filepath.Join(t.TempDir(), "keys", "master.key")}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"keys", "generate", "--data", c.data, c.keyFile}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("keys generate: %d %s", code, errb.String())
	}
	return c
}

func (c *cli) args(args ...string) []string {
	// Common flags go after the subcommand's own words (before or after SLUG is fine).
	return append(args, "--data", c.data, "--master-key-file", c.keyFile)
}

// run runs Main with stdin and returns the exit code, stdout and stderr.
func (c *cli) run(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), c.args(args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func (c *cli) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("aura %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// served is a running `aura serve`.
type served struct {
	https string // https://127.0.0.1:port
	http  string // the redirecting plain-HTTP address
	out   *syncBuffer
	errs  *syncBuffer
	// stop shuts the server down and waits for it (as on SIGTERM: open
	// files close, checkpoints are signed); it is safe to call twice.
	stop func()
}

// serve starts `aura serve` with extra flags and waits until it listens:
// until it prints its addresses (it prints each once its listener is
// bound), or fails the test when it exits first. The deadlines are only for
// a server that hangs: on a busy machine under -race starting and stopping
// take long, and the waits end on the events themselves.
func (c *cli) serve(extra ...string) *served {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{out: &syncBuffer{}, errs: &syncBuffer{}}
	done := make(chan int, 1)
	args := c.args(append([]string{"serve"}, extra...)...)
	go func() { done <- Main(ctx, args, strings.NewReader(""), s.out, s.errs) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(hung):
				c.t.Error("aura serve did not stop")
			}
		})
	}
	c.t.Cleanup(s.stop)
	re := regexp.MustCompile(`listening on (https?://[0-9.:]+)/`)
	reHTTP := regexp.MustCompile(`Plain HTTP on (http://[0-9.:]+)/`)
	wantHTTP := !strings.Contains(strings.Join(extra, " "), "--http-addr off")
	hanging := time.After(hung)
	for {
		grew := s.out.grown()
		out := s.out.String()
		if m := re.FindStringSubmatch(out); m != nil {
			s.https = m[1]
			if m := reHTTP.FindStringSubmatch(out); m != nil {
				s.http = m[1]
			}
			if !strings.HasPrefix(s.https, "https") || s.http != "" || !wantHTTP {
				return s
			}
		}
		select {
		case <-grew:
		case code := <-done:
			c.t.Fatalf("aura serve exited %d:\n%s\n%s", code, s.out.String(), s.errs.String())
		case <-hanging:
			c.t.Fatalf("aura serve did not start:\n%s\n%s", s.out.String(), s.errs.String())
		}
	}
}

// testCert writes a self-signed certificate for 127.0.0.1 and localhost
// and returns the files and a pool trusting it.
func testCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "aura test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func mustKeyPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// httpsClient trusts pool and does not follow redirects. A request ends
// when the server answers: a sign-in hashes its password with bcrypt at
// cost 12, which under -race on a busy machine took more than the 20
// seconds this client used to allow; its Timeout (hung) is only for a
// server that never answers.
func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       hung,
	}
}

func TestServeTLS(t *testing.T) {
	c := newCLI(t)
	certFile, keyFile, pool := testCert(t)
	s := c.serve("--tls-cert", certFile, "--tls-key", keyFile, "--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	host := strings.TrimPrefix(s.https, "https://")
	handshake := func(min, max uint16) error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", host, &tls.Config{RootCAs: pool, MinVersion: min, MaxVersion: max})
		if err == nil {
			conn.Close()
		}
		return err
	}
	t.Run("TLS12And13", func(t *testing.T) {
		if err := handshake(tls.VersionTLS12, tls.VersionTLS12); err != nil {
			t.Fatalf("TLS 1.2: %v", err)
		}
		if err := handshake(tls.VersionTLS13, tls.VersionTLS13); err != nil {
			t.Fatalf("TLS 1.3: %v", err)
		}
	})
	t.Run("ErrTLS10And11", func(t *testing.T) {
		// Control: this client does speak TLS 1.0 and 1.1 to a server that allows them.
		ctl := httptest.NewUnstartedServer(http.NotFoundHandler())
		ctl.TLS = &tls.Config{MinVersion: tls.VersionTLS10}
		ctl.StartTLS()
		defer ctl.Close()
		ctlPool := x509.NewCertPool()
		ctlPool.AddCert(ctl.Certificate())
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
			conn, err := tls.Dial("tcp", strings.TrimPrefix(ctl.URL, "https://"), &tls.Config{RootCAs: ctlPool, MinVersion: v, MaxVersion: v})
			if err != nil {
				t.Fatalf("control handshake at %s failed: %v", tls.VersionName(v), err)
			}
			conn.Close()
			if err := handshake(v, v); err == nil {
				t.Fatalf("Aura accepted a %s handshake", tls.VersionName(v))
			}
		}
	})
	t.Run("ErrCBC", func(t *testing.T) {
		cbc := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}
		// Control: this client's CBC-only offer works against Go's defaults.
		ctl := httptest.NewUnstartedServer(http.NotFoundHandler())
		ctl.TLS = &tls.Config{Certificates: []tls.Certificate{mustKeyPair(t, certFile, keyFile)}}
		ctl.StartTLS()
		defer ctl.Close()
		conn, err := tls.Dial("tcp", strings.TrimPrefix(ctl.URL, "https://"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS12, CipherSuites: cbc})
		if err != nil {
			t.Fatalf("control handshake with CBC suites failed: %v", err)
		}
		conn.Close()
		conn, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", host, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CipherSuites: cbc})
		if err == nil {
			conn.Close()
			t.Fatal("Aura accepted a TLS 1.2 handshake offering only CBC suites")
		}
	})
	t.Run("HTTP2", func(t *testing.T) {
		// Serving on our own TLS listener still offers HTTP/2 by ALPN.
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", host, &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Fatalf("ALPN agreed %q, want h2", p)
		}
	})
	t.Run("HSTS", func(t *testing.T) {
		resp, err := httpsClient(pool).Get(s.https + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Fatalf("HSTS = %q", got)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Fatal("not TLS 1.2+")
		}
	})
	t.Run("RedirectToHTTPS", func(t *testing.T) {
		resp, err := httpsClient(pool).Get(s.http + "/demo/login?x=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		port := host[strings.LastIndexByte(host, ':'):]
		if want := "https://127.0.0.1" + port + "/demo/login?x=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Fatalf("%d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
}

func TestServeRefusesPlainHTTP(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0"},
		{"serve", "--dev", "--addr", "0.0.0.0:0"},
		{"serve", "--dev", "--tls-cert", "x", "--tls-key", "y"},
	} {
		code, _, errs := c.run("", args...)
		if code == 0 || !strings.Contains(errs, "aura:") {
			t.Fatalf("aura %v: exit %d %s", args, code, errs)
		}
	}
}

// TestCLI runs the identity commands end to end: a tenant with its owner,
// an API token that works against the running server, a staff member who
// signs in with the printed TOTP key and impersonates the tenant, and
// `aura audit verify` on both chains afterwards.
func TestCLI(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("tangerine ladder violet\n", "tenant", "create", "acme", "--name", "Acme Rooms", "--owner-email", "ana@acme.example", "--owner-password-stdin")
	if !strings.Contains(out, "Created the owner ana@acme.example") {
		t.Fatal(out)
	}
	out = c.mustRun("", "tenant", "create", "beta", "--name", "Beta", "--owner-email", "bo@beta.example", "--base-url", "https://pms.example.com")
	if !regexp.MustCompile(`https://pms\.example\.com/beta/invite/[A-Za-z0-9]{32}`).MatchString(out) {
		t.Fatalf("no invitation link: %s", out)
	}
	if code, _, errs := c.run("short\n", "tenant", "create", "gamma", "--owner-email", "g@g.example", "--owner-password-stdin"); code == 0 || !strings.Contains(errs, "12 characters") {
		t.Fatalf("a short owner password: %d %s", code, errs)
	}
	token := strings.TrimSpace(c.mustRun("", "token", "create", "acme", "--email", "ana@acme.example", "--name", "Channel manager", "--scopes", "users.read", "--expires", "30d"))
	if _, err := credential.ParseToken(token); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	if code, _, errs := c.run("", "token", "create", "acme", "--email", "ana@acme.example", "--name", "x", "--scopes", "rooms.fly"); code == 0 || !strings.Contains(errs, "Unknown scope") {
		t.Fatalf("an unknown scope: %d %s", code, errs)
	}
	staffOut := c.mustRun("river stone lantern\n", "staff", "create", "sam@aura.example", "--password-stdin")
	m := regexp.MustCompile(`key:\s+([A-Z2-7]+)`).FindStringSubmatch(staffOut)
	if m == nil || !strings.Contains(staffOut, "otpauth://totp/") {
		t.Fatalf("no TOTP key printed: %s", staffOut)
	}
	secret, err := secretEncodingDecode(m[1])
	if err != nil {
		t.Fatal(err)
	}

	certFile, keyFile, pool := testCert(t)
	s := c.serve("--tls-cert", certFile, "--tls-key", keyFile, "--addr", "127.0.0.1:0", "--http-addr", "off")
	client := httpsClient(pool)
	req, _ := http.NewRequest("GET", s.https+"/acme/api/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ana@acme.example") {
		t.Fatalf("the CLI token on the API: %d %s", resp.StatusCode, body)
	}

	// Staff sign in with the printed key, impersonate, end.
	post := func(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		req, _ := http.NewRequest("POST", s.https+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp = post("/platform/login", url.Values{"email": {"sam@aura.example"}, "password": {"river stone lantern"}, "code": {credential.TOTPCode(secret, time.Now())}})
	staff := findCookie(resp, "aura_staff")
	if staff == nil {
		t.Fatalf("staff sign-in: %d", resp.StatusCode)
	}
	resp = post("/platform/tenants/acme/impersonate", url.Values{"reason": {"Ticket 7: CLI test"}, "minutes": {"15"}}, staff)
	imp := findCookie(resp, "aura_imp")
	if imp == nil {
		t.Fatalf("impersonate: %d", resp.StatusCode)
	}
	if resp := post("/acme/impersonation/end", url.Values{}, imp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end: %d", resp.StatusCode)
	}
	if out := c.mustRun("", "audit", "verify", "acme"); !strings.HasPrefix(out, "OK:") {
		t.Fatal(out)
	}
	if out := c.mustRun("", "audit", "verify", "--platform"); !strings.HasPrefix(out, "OK:") {
		t.Fatal(out)
	}
	if out := c.mustRun("", "staff", "list"); !strings.Contains(out, "sam@aura.example") {
		t.Fatal(out)
	}
}

func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	return nil
}

func secretEncodingDecode(s string) ([]byte, error) {
	return base32NoPad.DecodeString(s)
}

func TestDemo(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("", "demo", "--base-url", "http://127.0.0.1:8080")
	want := "Sign in at http://127.0.0.1:8080/demo/login as owner@demo.example with the password welcome-to-aura-demo"
	if !strings.Contains(out, want) {
		t.Fatalf("demo output lacks the login:\n%s", out)
	}
	again := c.mustRun("", "demo", "--base-url", "http://127.0.0.1:8080")
	if strings.Contains(again, "Created") || !strings.Contains(again, want) {
		t.Fatalf("a second demo run:\n%s", again)
	}
}

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)
