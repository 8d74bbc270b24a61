package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/gorilla/securecookie"
)

// ThrottlePolicy slows down the guessing of passwords and second-factor
// codes. The first AccountFailures failures of an account (a tenant and an
// email, or a staff email), and the first IPFailures of a client network
// (an IPv4 address or an IPv6 /64), cost nothing; after them each attempt
// must wait Delay after the last failure, doubled with every further
// failure, up to MaxDelay. Nothing is ever blocked for good: once the wait
// is over the right password signs in, and a browser the account signed in
// from before (its device cookie) is not slowed by other people's failures
// at all, so nobody can lock a user out by failing on purpose. A count
// starts again at zero Forget after its last failure.
type ThrottlePolicy struct {
	AccountFailures int
	IPFailures      int
	Delay           time.Duration
	MaxDelay        time.Duration
	Forget          time.Duration
}

// DefaultThrottle: 5 free failures per account, 30 per network, then 1s,
// 2s, 4s, … up to 15 minutes between attempts; counts forgotten after a day
// without failures.
var DefaultThrottle = ThrottlePolicy{AccountFailures: 5, IPFailures: 30, Delay: time.Second, MaxDelay: 15 * time.Minute, Forget: 24 * time.Hour}

// delay is the wait after the last failure when there were n failures and
// free of them cost nothing.
func (p ThrottlePolicy) delay(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := p.Delay
	for i := free; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// throttle keeps its counts in the platform DB (platform.LoginFailures),
// so they survive a restart and a check is one indexed read: rows are
// written only when an attempt fails, and deleted when one succeeds.
// Attempts being checked right now are counted in memory (one server owns
// the data directory), so a burst of parallel requests gets no more
// guesses than a sequence would.
type throttle struct {
	policy   ThrottlePolicy
	now      func() time.Time
	store    *platform.DB
	logger   *slog.Logger
	mu       sync.Mutex
	inflight map[string]int
	gen      uint64   // bumped as each attempt ends, after its record if any (see begin)
	Observer Observer // counts failures and refusals for metrics (nil: none)
}

func NewThrottle(p ThrottlePolicy, now func() time.Time, store *platform.DB, logger *slog.Logger) *throttle {
	return &throttle{policy: p, now: now, store: store, logger: logger, inflight: map[string]int{}}
}

// guard names what one attempt is counted against: the account (empty
// for none, as on an invitation link), the client network, and the device
// cookie's id when that cookie vouches for the account.
type guard struct {
	account, network, device string
}

func (g guard) keys() []string {
	var ks []string
	for _, k := range []string{g.account, g.network, g.device} {
		if k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// TenantAccount is the throttle key of a tenant user's sign-in.
func TenantAccount(tenantID, email string) string {
	return "acct:" + tenantID + ":" + strings.ToLower(strings.TrimSpace(email))
}

// StaffAccount is the throttle key of a staff sign-in.
func StaffAccount(email string) string { return "staff:" + strings.ToLower(strings.TrimSpace(email)) }

// networkKey is the throttle key of a client address: the IPv4 address, or
// the /64 of an IPv6 address (one subscriber usually holds a whole /64).
func networkKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "net:" + addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "net:" + p.String()
	}
	return "net:" + ip.String()
}

// attempt is one admitted check of a secret. Exactly one of fail,
// succeed or release ends it; release after the others does nothing, so
// handlers defer it.
type attempt struct {
	t       *throttle
	g       guard
	charged []string // the in-flight counts it holds
	known   map[string]platform.LoginFailures
	trusted bool
	once    sync.Once
}

const (
	msgAccount  = "Too many failed sign-in attempts for this account. For your security, the next attempt can be made in %s. On a device you signed in from before, you can sign in at once."
	msgNetwork  = "Too many failed sign-in attempts from your network. The next attempt from here can be made in %s."
	msgInFlight = "Another sign-in attempt for this account is being checked. Try again in a moment."
)

// Begin admits an attempt, or returns ETOOMANY (with a Retry-After) when it
// must wait. A device that vouches for the account, and has not failed
// AccountFailures times itself, is held only to its own count: the
// account's and the network's failures are other people's.
func (t *throttle) Begin(ctx context.Context, g guard) (*attempt, error) {
	for try := 0; ; try++ {
		t.mu.Lock()
		gen := t.gen
		locked := try >= 3 // under a storm of failures, read with the lock held
		if !locked {
			t.mu.Unlock()
		}
		known, err := t.store.LoginFailures(ctx, g.keys()...)
		if !locked {
			t.mu.Lock()
		}
		if err != nil {
			t.mu.Unlock()
			return nil, err
		}
		// An attempt recorded between the read and the lock: read again,
		// or an attempt that read the count before it could pass.
		if t.gen != gen {
			t.mu.Unlock()
			continue
		}
		a, err := t.admit(g, known)
		t.mu.Unlock()
		if err != nil && t.Observer != nil {
			t.Observer.LoginThrottled()
		}
		return a, err
	}
}

// admit decides on an attempt with t.mu held.
func (t *throttle) admit(g guard, known map[string]platform.LoginFailures) (*attempt, error) {
	now := t.now()
	for k, f := range known {
		if now.Sub(f.Last) >= t.policy.Forget {
			known[k] = platform.LoginFailures{Last: f.Last} // forgotten, still there to delete
		}
	}
	a := &attempt{t: t, g: g, known: known}
	if g.device != "" && known[g.device].Count < t.policy.AccountFailures {
		a.trusted = true
		if err := t.gate(g.device, known[g.device], t.policy.AccountFailures, now, msgAccount); err != nil {
			return nil, err
		}
		a.charged = []string{g.device}
	} else {
		for _, k := range []struct {
			key, msg string
			free     int
		}{{g.network, msgNetwork, t.policy.IPFailures}, {g.account, msgAccount, t.policy.AccountFailures}} {
			if k.key == "" {
				continue
			}
			if err := t.gate(k.key, known[k.key], k.free, now, k.msg); err != nil {
				return nil, err
			}
			a.charged = append(a.charged, k.key)
		}
	}
	for _, k := range a.charged {
		t.inflight[k]++
	}
	return a, nil
}

// gate refuses an attempt under key while its wait runs, or while as many
// attempts are being checked as it has free failures left (at least one).
func (t *throttle) gate(key string, f platform.LoginFailures, free int, now time.Time, msg string) error {
	if t.inflight[key] >= max(1, free-f.Count) {
		return RetryAfter{err: aura.Errorf(aura.ETOOMANY, msgInFlight), Seconds: 1}
	}
	if wait := f.Last.Add(t.policy.delay(f.Count, free)).Sub(now); f.Count >= free && wait > 0 {
		return RetryAfter{err: aura.Errorf(aura.ETOOMANY, msg, humanWait(wait)), Seconds: int((wait + time.Second - 1) / time.Second)}
	}
	return nil
}

// lagWords tells a replica's lag for people: under a second is "Up to
// date", more is the time behind in seconds or minutes.
func lagWords(d time.Duration) string {
	if d < time.Second {
		return "Up to date"
	}
	return humanWait(d) + " behind"
}

// humanWait tells a duration in whole seconds under a minute, else in
// minutes, rounded up.
func humanWait(d time.Duration) string {
	if d < time.Minute {
		s := int((d + time.Second - 1) / time.Second)
		if s == 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// Release ends the attempt without counting it (the secret was never
// judged, or it was right but the sign-in goes on to a second step).
func (a *attempt) Release() {
	a.once.Do(func() {
		a.t.mu.Lock()
		defer a.t.mu.Unlock()
		a.t.gen++
		for _, k := range a.charged {
			if a.t.inflight[k]--; a.t.inflight[k] <= 0 {
				delete(a.t.inflight, k)
			}
		}
	})
}

// Fail counts a wrong secret against every key of the attempt.
func (a *attempt) Fail(ctx context.Context) {
	if err := a.t.store.RecordLoginFailure(context.WithoutCancel(ctx), a.t.policy.Forget, a.g.keys()...); err != nil {
		a.t.logger.Error("recording a failed sign-in for the throttle", "err", err)
	}
	if a.t.Observer != nil {
		a.t.Observer.LoginFailed()
	}
	a.Release()
}

// Succeed forgets the failures of what admitted the attempt: the device
// that vouched for it, or else the account and the device (the failures
// before a success that had to wait were most likely the user's own; a
// device that lost its trust by failing gets it back). The network's
// count stays, and nothing is written when there was nothing to forget.
func (a *attempt) Succeed(ctx context.Context) {
	by := []string{a.g.account, a.g.device}
	if a.trusted {
		by = by[1:]
	}
	var clear []string
	for _, k := range by {
		if _, ok := a.known[k]; ok && k != "" {
			clear = append(clear, k)
		}
	}
	if err := a.t.store.ClearLoginFailures(context.WithoutCancel(ctx), clear...); err != nil {
		a.t.logger.Error("clearing the throttle after a sign-in", "err", err)
	}
	a.Release()
}

// Device cookies. A browser that signed in to an account gets a cookie
// naming the account (a fingerprint) and a random device id; while it
// holds it, failures elsewhere do not slow its sign-ins (see begin).
const (
	deviceTrust = 90 * 24 * time.Hour
	// deviceAccounts bounds the accounts one browser vouches for (a front
	// desk computer shared by a team).
	deviceAccounts = 20
)

type deviceCookie struct {
	ID       string   `json:"i"`
	Accounts []string `json:"a"`
}

func accountFingerprint(account string) string {
	sum := sha256.Sum256([]byte("aura device\x00" + account))
	return hex.EncodeToString(sum[:12])
}

// NewDeviceCodec returns the cookie codec of device cookies: the server's
// cookie keys, with a lifetime of its own.
func NewDeviceCodec(hashKey, blockKey []byte) *securecookie.SecureCookie {
	c := securecookie.New(hashKey, blockKey)
	c.SetSerializer(securecookie.JSONEncoder{})
	c.MaxAge(int(deviceTrust / time.Second))
	return c
}

func (s *Server) readDevice(r *http.Request) (deviceCookie, bool) {
	var d deviceCookie
	c, err := r.Cookie(cookieDevice)
	if err != nil || s.Devices.Decode(cookieDevice, c.Value, &d) != nil || d.ID == "" {
		return deviceCookie{}, false
	}
	return d, true
}

// GuardFor builds the guard of an attempt on account from this request.
func (s *Server) GuardFor(r *http.Request, account string) guard {
	g := guard{account: account, network: networkKey(clientIP(r))}
	if d, ok := s.readDevice(r); ok && account != "" {
		fp := accountFingerprint(account)
		for _, a := range d.Accounts {
			if a == fp {
				g.device = "dev:" + d.ID
				break
			}
		}
	}
	return g
}

// RememberDevice sets (or extends) the device cookie after a sign-in to
// account, scoped to path (the tenant's, or /platform/).
func (s *Server) RememberDevice(w http.ResponseWriter, r *http.Request, path, account string) {
	d, ok := s.readDevice(r)
	if !ok {
		d = deviceCookie{ID: credential.RandomString(22)}
	}
	fp := accountFingerprint(account)
	kept := []string{}
	for _, a := range d.Accounts {
		if a != fp {
			kept = append(kept, a)
		}
	}
	d.Accounts = append(kept, fp)
	if len(d.Accounts) > deviceAccounts {
		d.Accounts = d.Accounts[len(d.Accounts)-deviceAccounts:]
	}
	enc, err := s.Devices.Encode(cookieDevice, d)
	if err != nil {
		s.Cfg.Logger.Error("device cookie", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieDevice, Value: enc, Path: path, MaxAge: int(deviceTrust / time.Second),
		HttpOnly: true, Secure: !s.Cfg.Dev, SameSite: http.SameSiteLaxMode})
}
