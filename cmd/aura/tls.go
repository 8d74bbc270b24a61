package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// tls12CipherSuites are the only TLS 1.2 suites aura serve offers: ECDHE
// key exchange with an AEAD (AES-GCM or ChaCha20-Poly1305), no CBC (whose
// MAC-then-encrypt construction is where padding-oracle attacks such as
// Lucky Thirteen live) and no static RSA key exchange. TLS 1.3's suites are
// all AEAD and not configurable. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is
// the one HTTP/2 requires.
var tls12CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ticketKeyRotation is how often the session ticket key is replaced. A key
// encrypts new tickets for one period and still opens them for one more,
// so a ticket resumes a session at most two periods after it was issued,
// and a stolen key opens at most that much of recorded TLS 1.2 traffic.
const ticketKeyRotation = 6 * time.Hour

// hardenTLS applies what every TLS configuration of aura serve shares: TLS
// 1.2 at least, AEAD cipher suites only, HTTP/2 and HTTP/1.1 offered by
// ALPN (kept when the config already lists protocols, as autocert's does
// for its TLS-ALPN challenge).
func hardenTLS(cfg *tls.Config) {
	cfg.MinVersion = tls.VersionTLS12
	cfg.CipherSuites = tls12CipherSuites
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
}

// ticketKeys rotates the session ticket keys of one tls.Config. The config
// must be the one the listener uses (tls.NewListener), not one that
// http.Server.ServeTLS clones: keys set on the original never reach a clone.
type ticketKeys struct {
	cfg  *tls.Config
	mu   sync.Mutex
	keys [][32]byte // newest first; at most two
}

// newTicketKeys installs a fresh key in cfg and returns its rotator.
func newTicketKeys(cfg *tls.Config) *ticketKeys {
	k := &ticketKeys{cfg: cfg}
	k.rotate()
	return k
}

// rotate makes a new key the one that encrypts tickets; the previous key
// still opens tickets, the one before it no longer does.
func (k *ticketKeys) rotate() {
	var key [32]byte
	rand.Read(key[:]) // crypto/rand.Read never fails (it crashes the program instead)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = append([][32]byte{key}, k.keys...)
	if len(k.keys) > 2 {
		k.keys = k.keys[:2]
	}
	k.cfg.SetSessionTicketKeys(k.keys)
}

// run rotates every period until ctx ends.
func (k *ticketKeys) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.rotate()
		}
	}
}
