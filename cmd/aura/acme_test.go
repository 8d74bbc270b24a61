package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestACME obtains a certificate end to end with autocert against pebble,
// Let's Encrypt's test CA, on loopback: `aura serve --tls-domain
// aura.test` answers pebble's challenge on its own listeners, and a client
// that trusts only pebble's root then completes a verified TLS handshake
// for aura.test. A small DNS responder in the test resolves aura.test to
// 127.0.0.1 for pebble.
func TestACME(t *testing.T) {
	pebble := lookPebble(t)
	dnsAddr := serveDNS(t)
	certFile, keyFile, pebblePool := testCert(t)
	tlsPort, httpPort, acmePort, mgmtPort := freePort(t), freePort(t), freePort(t), freePort(t)

	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"pebble": {
	"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
	"certificate": %q, "privateKey": %q,
	"httpPort": %d, "tlsPort": %d, "ocspResponderURL": "", "externalAccountBindingRequired": false,
	"keyAlgorithm": "ecdsa",
	"profiles": {"default": {"description": "default", "validityPeriod": 7776000}}}}`,
		acmePort, mgmtPort, certFile, keyFile, httpPort, tlsPort)
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, pebble, "-config", cfgFile, "-dnsserver", dnsAddr)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	var pebbleLog syncBuffer
	cmd.Stdout, cmd.Stderr = &pebbleLog, &pebbleLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("pebble log:\n%s", pebbleLog.String())
		}
	})
	pebbleClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pebblePool}}}
	waitFor(t, func() error {
		resp, err := pebbleClient.Get(fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort))
		if err == nil {
			resp.Body.Close()
		}
		return err
	})

	c := newCLI(t)
	caFile := certFile
	s := c.serve("--tls-domain", "aura.test", "--addr", fmt.Sprintf("127.0.0.1:%d", tlsPort), "--http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--acme-directory", fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort), "--acme-ca-file", caFile, "--acme-email", "ops@aura.test")

	// Trust only pebble's issuing root.
	resp, err := pebbleClient.Get(fmt.Sprintf("https://127.0.0.1:%d/roots/0", mgmtPort))
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("pebble's root: %s", rootPEM)
	}
	// The first handshake for aura.test makes autocert order the
	// certificate; pebble validates through Aura's listeners.
	client := &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "aura.test"},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(s.https, "https://"))
		},
	}}
	resp, err = client.Get("https://aura.test/healthz")
	if err != nil {
		t.Fatalf("no certificate from pebble: %v\naura stderr:\n%s", err, s.errs.String())
	}
	resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	if resp.StatusCode != 200 || leaf.Subject.CommonName != "aura.test" && (len(leaf.DNSNames) == 0 || leaf.DNSNames[0] != "aura.test") {
		t.Fatalf("status %d, certificate for %v %v", resp.StatusCode, leaf.Subject, leaf.DNSNames)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS")
	}
	if _, err := os.Stat(filepath.Join(c.data, "acme", "aura.test")); err != nil {
		t.Fatalf("the certificate is not cached in the data dir: %v", err)
	}
	// A name outside --tls-domain gets no certificate.
	bad := &tls.Config{RootCAs: roots, ServerName: "other.test"}
	if conn, err := tls.Dial("tcp", strings.TrimPrefix(s.https, "https://"), bad); err == nil {
		conn.Close()
		t.Fatal("a certificate was served for a name outside --tls-domain")
	}
}

// lookPebble finds pebble (installed by scripts/test-deps).
func lookPebble(t *testing.T) string {
	if p, err := exec.LookPath("pebble"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "pebble")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("pebble is not installed: run scripts/test-deps (make test does)")
	return ""
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	var err error
	for i := 0; i < 100; i++ {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("gave up waiting: %v", err)
}

// serveDNS answers A queries for any name with 127.0.0.1 and every other
// query with no records, over UDP and TCP (pebble asks over TCP) on one
// loopback port.
func serveDNS(t *testing.T) string {
	var pc net.PacketConn
	var ln net.Listener
	for i := 0; ; i++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if i == 20 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { pc.Close(); ln.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if msg := dnsAnswer(buf[:n]); msg != nil {
				pc.WriteTo(msg, addr)
			}
		}
	}()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				for {
					var size [2]byte
					if _, err := io.ReadFull(conn, size[:]); err != nil {
						return
					}
					q := make([]byte, int(size[0])<<8|int(size[1]))
					if _, err := io.ReadFull(conn, q); err != nil {
						return
					}
					msg := dnsAnswer(q)
					if msg == nil {
						return
					}
					conn.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...))
				}
			}()
		}
	}()
	return pc.LocalAddr().String()
}

func dnsAnswer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired})
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if q.Type == dnsmessage.TypeA {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}})
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}
