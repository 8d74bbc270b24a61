package main

import (
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySocket listens on a unixgram socket as systemd does for a
// Type=notify service and returns its path and the messages received.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd") // short: socket paths end at 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	msgs := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return path, msgs
}

// waitNotify returns the first message starting with prefix.
func waitNotify(t *testing.T, msgs <-chan string, prefix string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-msgs:
			if strings.HasPrefix(m, prefix) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q from the server within %v", prefix, within)
		}
	}
}

// TestSystemdNotify runs `aura serve` as systemd would run the unit: a
// NOTIFY_SOCKET and a watchdog. READY comes with the listener accepting,
// the watchdog is pinged, and a SIGTERM under four concurrent writers says
// STOPPING, exits 0, and loses no acknowledged write: each is in the
// replica, restored after the stop.
func TestSystemdNotify(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	c.mustRun("correct horse battery staple\n", "tenant", "create", "calm", "--name", "Calm", "--owner-email", "owner@calm.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "calm", "--email", "owner@calm.example", "--name", "w", "--scopes", "users.read,users.write"))
	sock, msgs := notifySocket(t)

	var stderr syncBuffer
	child := serveChild(t, c, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"}, &stderr, "--litestream", cfg)
	base := child.base
	ready := waitNotify(t, msgs, "READY=1", 30*time.Second)
	// READY means accepting: the first request works.
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("READY was sent (%q) but the listener refuses: %v", ready, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz after READY = %d", resp.StatusCode)
	}
	// WATCHDOG_USEC=400ms: a ping at least every 200 ms.
	waitNotify(t, msgs, "WATCHDOG=1", 2*time.Second)
	waitNotify(t, msgs, "WATCHDOG=1", 2*time.Second)

	// SIGTERM once 50 writes are acknowledged, with the writers still
	// writing.
	w := writeUsers(base, "calm", tok, 50)
	w.waitEnough(t, child)
	sigterm := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitNotify(t, msgs, "STOPPING=1", 10*time.Second)
	werr := child.cmd.Wait()
	stopped := time.Since(sigterm)
	acked := w.done()
	if werr != nil {
		t.Fatalf("the server did not exit cleanly after SIGTERM: %v\n%s", werr, stderr.String())
	}

	// The replica holds every acknowledged write: restore it over the
	// live file, then read the users through a fresh server.
	c.mustRun("", "restore", "calm", "--latest", "--yes", "--litestream", cfg)
	got := userEmails(t, c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg).https, "calm", tok)
	for _, e := range acked {
		if !got[e] {
			t.Fatalf("%s was acknowledged before the SIGTERM and is not in the replica", e)
		}
	}
	c.mustRun("", "audit", "verify", "calm")
	t.Logf("SIGTERM to exit: %v; %d acknowledged writes, all in the replica", stopped.Round(time.Millisecond), len(acked))
}

// TestSIGHUPReloadsCertificate replaces the certificate files and sends
// SIGHUP: the next handshake gets the new certificate at once (without the
// signal, the files are looked at once a minute); a replication config
// rewritten without a change in what it says is reported as such, and an
// unusable one is refused (TestSIGHUPMovesReplication applies a changed
// one).
func TestSIGHUPReloadsCertificate(t *testing.T) {
	c := newCLI(t)
	certFile, keyFile, _ := testCert(t)
	cfg := fastReplication(t)
	s := c.serve("--tls-cert", certFile, "--tls-key", keyFile, "--addr", "127.0.0.1:0", "--http-addr", "off", "--litestream", cfg)
	host := strings.TrimPrefix(s.https, "https://")
	serial := func() string {
		conn, err := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	newCert, newKey, _ := testCert(t)
	for src, dst := range map[string]string{newCert: certFile, newKey: keyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := serial(); got != first {
		t.Fatalf("the certificate changed before SIGHUP (%s → %s); the test proves nothing", first, got)
	}
	if err := os.WriteFile(cfg, append(must(os.ReadFile(cfg)), "# changed\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	want := mustKeyPair(t, newCert, newKey).Leaf.SerialNumber.String()
	deadline := time.Now().Add(5 * time.Second)
	for serial() != want {
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP the server still presents certificate %s, want %s", first, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for !strings.Contains(s.errs.String(), "the replication config was rewritten and replicates as before") {
		if time.Now().After(deadline) {
			t.Fatalf("no notice for the rewritten replication config:\n%s", s.errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A change that cannot be used is named at once.
	if err := os.WriteFile(cfg, append(must(os.ReadFile(cfg)), "bogus-key: 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(s.errs.String(), "cannot be used; replication goes on as before"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no error for an unusable replication config:\n%s", s.errs.String())
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestInstallService writes the unit and checks the directives the
// sandbox and the notify protocol rest on, and systemd-analyze accepts it.
func TestInstallService(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "aura.service")
	c.data = "/var/lib/aura/data"
	bin, err := filepath.Abs(os.Args[0]) // an executable file, for systemd-analyze
	if err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "install-service", "--output", out, "--binary", bin, "--tls-domain", "pms.example.com", "--litestream", "/etc/aura/litestream.yml")
	unit := string(must(os.ReadFile(out)))
	for _, want := range []string{
		"Type=notify", "User=aura", "ProtectSystem=strict", "ReadWritePaths=/var/lib/aura\n", "NoNewPrivileges=yes",
		"PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
		"LoadCredential=master.key:/etc/aura/keys/master.key", "Restart=on-failure", "WatchdogSec=",
		"ExecStart=" + bin + " serve --data /var/lib/aura/data --tls-domain pms.example.com\n",
		"Environment=AURA_LITESTREAM=/etc/aura/litestream.yml", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "{{") {
		t.Error("the unit has an unfilled template field")
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is missing (Debian package systemd): run make test-deps")
	}
	if b, err := exec.Command("systemd-analyze", "verify", out).CombinedOutput(); err != nil || len(b) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, b)
	}
	// Values that would add directives to the unit are refused.
	for _, args := range [][]string{
		{"--user", "root"},
		{"--binary", "/usr/bin/aura\nExecStartPre=/bin/sh"},
		{"--serve-flags", "--base-url https://x;reboot"},
		{"--key-dir", "relative/keys"},
	} {
		code, _, errs := c.run("", append([]string{"install-service", "--output", "-"}, args...)...)
		if code != 1 || errs == "" {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
}
