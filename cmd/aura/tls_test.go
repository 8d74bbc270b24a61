package main

import (
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"
)

// The session ticket keys of aura serve's TLS config rotate: a ticket
// resumes a session after one rotation, and no longer after two.
func TestTicketKeysRotate(t *testing.T) {
	certFile, keyFile, pool := testCert(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{mustKeyPair(t, certFile, keyFile)}}
	hardenTLS(cfg)
	keys := newTicketKeys(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	hs.TLSConfig = cfg
	go hs.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { hs.Close() })
	url := "https://" + ln.Addr().String() + "/"

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		// resumes makes a new client, gets a ticket on a first connection,
		// rotates n times, and reports whether a second connection resumed.
		resumes := func(rotations int) bool {
			t.Helper()
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
				TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: v, MaxVersion: v, ClientSessionCache: tls.NewLRUClientSessionCache(4)}}}
			get := func() *tls.ConnectionState {
				resp, err := client.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close() // read to the end: a TLS 1.3 ticket arrives after the handshake
				return resp.TLS
			}
			if get().DidResume {
				t.Fatal("a first connection resumed")
			}
			for range rotations {
				keys.rotate()
			}
			return get().DidResume
		}
		name := tls.VersionName(v)
		if !resumes(0) {
			t.Fatalf("%s: no resumption at all (control)", name)
		}
		if !resumes(1) {
			t.Errorf("%s: a ticket of the previous key no longer resumes", name)
		}
		if resumes(2) {
			t.Errorf("%s: a ticket resumed after two rotations: the keys do not rotate", name)
		}
	}
}
