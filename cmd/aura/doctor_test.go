package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// certExpiring writes a self-signed certificate valid until notAfter.
func certExpiring(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pms.example.com"},
		DNSNames: []string{"pms.example.com"}, NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeTimedatectl puts a timedatectl answering NTPSynchronized=answer
// first on PATH (the real one needs systemd as PID 1).
func fakeTimedatectl(t *testing.T, answer string) {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\necho %s\n", answer)
	if err := os.WriteFile(filepath.Join(dir, "timedatectl"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestDoctor runs `aura doctor` on a healthy setup (keys from systemd's
// credentials directory, on-site and off-site replicas holding every
// database, a passed drill,
// a certificate valid for 60 days, a synchronised clock): exit 0. Then on
// broken ones, one fault at a time, each named with its fix: a key file
// of mode 0644, an unreachable off-site replica, an expired certificate and
// an unsynchronised clock exit 2; a certificate expiring in 5 days and a
// config without an off-site replica exit 1.
func TestDoctor(t *testing.T) {
	c := newCLI(t)
	cfg := dualReplication(t)
	c.mustRun("correct horse battery staple\n", "tenant", "create", "lakeside", "--name", "Lakeside", "--owner-email", "owner@lakeside.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "lakeside", "--email", "owner@lakeside.example", "--name", "d", "--scopes", "users.read,users.write"))
	s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	invite(t, s.https, "lakeside", tok, "a@lakeside.example")
	s.stop()
	c.mustRun("", "backup", "verify", "--litestream", cfg)
	t.Setenv("CREDENTIALS_DIRECTORY", filepath.Dir(c.keyFile))
	fakeTimedatectl(t, "yes")
	good := certExpiring(t, time.Now().Add(60*24*time.Hour))

	doctor := func(extra ...string) (int, string) {
		code, out, errs := c.run("", append([]string{"doctor", "--litestream", cfg}, extra...)...)
		return code, out + errs
	}
	code, out := doctor("--tls-cert", good)
	if code != 0 || !strings.Contains(out, "All checks passed.") {
		t.Fatalf("healthy setup: exit %d\n%s", code, out)
	}
	for _, want := range []string{"[ OK ] keys", "[ OK ] data-dir", "[ OK ] time-sync", "[ OK ] tls", "valid until", "[ OK ] schema", "[ OK ] audit", "[ OK ] drills", "[ OK ] replica", "go1."} {
		if !strings.Contains(out, want) {
			t.Errorf("healthy output lacks %q:\n%s", want, out)
		}
	}

	expect := func(t *testing.T, code, wantCode int, out string, want ...string) {
		t.Helper()
		if code != wantCode {
			t.Fatalf("exit %d, want %d\n%s", code, wantCode, out)
		}
		for _, w := range want {
			if !regexp.MustCompile(w).MatchString(out) {
				t.Fatalf("output lacks %q:\n%s", w, out)
			}
		}
	}
	t.Run("KeyMode0644", func(t *testing.T) {
		os.Chmod(c.keyFile, 0o644)
		defer os.Chmod(c.keyFile, 0o600)
		code, out := doctor("--tls-cert", good)
		expect(t, code, 2, out, `\[FAIL\] keys +master key: .*readable by group or others \(mode 0644\)`, `fix: .*mode 0600`)
	})
	t.Run("ReplicaUnreachable", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", "") // the machine's bundle setting breaks the SDK's custom client (replica/helpers_test.go)
		bad := filepath.Join(t.TempDir(), "litestream.yml")
		// The same on-site replica; the off-site target refuses connections.
		os.WriteFile(bad, []byte("dbs:\n  - replicas:\n      - type: file\n        path: "+filepath.Join(filepath.Dir(cfg), "replica")+
			"\n      - url: s3://aura-backups/prod\n        endpoint: http://127.0.0.1:1\n        region: eu-central\n        force-path-style: true\n        access-key-id: x\n        secret-access-key: y\n"), 0o600)
		code, out, errs := c.run("", "doctor", "--litestream", bad, "--tls-cert", good)
		expect(t, code, 2, out+errs, `\[FAIL\] replica +the platform DB: the off-site copy at .*127\.0\.0\.1:1.* cannot be read: .*connection refused`,
			`\[FAIL\] replica +tenant lakeside: the off-site copy at .*127\.0\.0\.1:1.* cannot be read`, `fix: check the endpoint`)
	})
	t.Run("NoOffSite", func(t *testing.T) {
		onSiteOnly := filepath.Join(t.TempDir(), "litestream.yml")
		os.WriteFile(onSiteOnly, []byte("dbs:\n  - replica:\n      type: file\n      path: "+filepath.Join(filepath.Dir(cfg), "replica")+"\n"), 0o600)
		code, out, errs := c.run("", "doctor", "--litestream", onSiteOnly, "--tls-cert", good)
		expect(t, code, 1, out+errs, `\[WARN\] replica +no off-site replica: the backups live only on this server`, `fix: add an s3 replica`)
	})
	t.Run("ExpiredCertificate", func(t *testing.T) {
		code, out := doctor("--tls-cert", certExpiring(t, time.Now().Add(-24*time.Hour)))
		expect(t, code, 2, out, `\[FAIL\] tls +.*\(pms\.example\.com\) expired on`, `fix: renew it and send SIGHUP`)
	})
	t.Run("CertificateExpiringSoon", func(t *testing.T) {
		code, out := doctor("--tls-cert", certExpiring(t, time.Now().Add(5*24*time.Hour+time.Hour)))
		expect(t, code, 1, out, `\[WARN\] tls +.*expires in 5 days`)
	})
	t.Run("ClockNotSynchronised", func(t *testing.T) {
		fakeTimedatectl(t, "no")
		code, out := doctor("--tls-cert", good)
		expect(t, code, 2, out, `\[FAIL\] time-sync +the clock is not synchronised`, `fix: enable time synchronisation`)
	})
	t.Run("DataDirOpen", func(t *testing.T) {
		os.Chmod(c.data, 0o755)
		defer os.Chmod(c.data, 0o700)
		code, out := doctor("--tls-cert", good)
		expect(t, code, 2, out, `\[FAIL\] data-dir .*mode 0755`, `fix: chmod 700`)
	})
}
