package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/aurapms/aura"
)

// ThrottlePolicy limits failed sign-in attempts: per account (tenant and
// email, or staff email) and per client address, each within Window.
type ThrottlePolicy struct {
	AccountFailures int
	IPFailures      int
	Window          time.Duration
}

// DefaultThrottle allows 5 failures per account and 30 per address in 15
// minutes; beyond that, sign-in waits until the oldest failure ages out.
var DefaultThrottle = ThrottlePolicy{AccountFailures: 5, IPFailures: 30, Window: 15 * time.Minute}

// throttle counts recent failures per key in memory. It is per process: a
// restart forgets the counts, which costs an attacker a restart per 5
// guesses; bcrypt's cost bounds the rate in any case.
type throttle struct {
	policy ThrottlePolicy
	now    func() time.Time
	mu     sync.Mutex
	fails  map[string][]time.Time
}

func newThrottle(p ThrottlePolicy, now func() time.Time) *throttle {
	return &throttle{policy: p, now: now, fails: map[string][]time.Time{}}
}

func (t *throttle) recent(key string, now time.Time) []time.Time {
	ts := t.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-t.policy.Window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = ts
	}
	return ts
}

// check returns ETOOMANY (with a Retry-After) when the account or the
// address has too many recent failures.
func (t *throttle) check(account, ip string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if ts := t.recent("a:"+account, now); len(ts) >= t.policy.AccountFailures {
		return t.refuse(ts[len(ts)-t.policy.AccountFailures], now,
			"Too many failed sign-in attempts for this account. For your security, sign-in is paused for %s. Try again after that, or ask an owner to check the account.")
	}
	if ts := t.recent("i:"+ip, now); len(ts) >= t.policy.IPFailures {
		return t.refuse(ts[len(ts)-t.policy.IPFailures], now,
			"Too many failed sign-in attempts from your network. Sign-in from here is paused for %s.")
	}
	return nil
}

func (t *throttle) refuse(oldest, now time.Time, msg string) error {
	wait := oldest.Add(t.policy.Window).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	mins := int((wait + time.Minute - 1) / time.Minute)
	human := fmt.Sprintf("%d minutes", mins)
	if mins == 1 {
		human = "1 minute"
	}
	return retryAfter{err: aura.Errorf(aura.ETOOMANY, msg, human), seconds: int(wait.Seconds()) + 1}
}

// fail records a failed attempt for the account and the address.
func (t *throttle) fail(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range []string{"a:" + account, "i:" + ip} {
		t.fails[k] = append(t.recent(k, now), now)
	}
	// Bound memory under a flood of distinct keys: drop what aged out.
	if len(t.fails) > 100_000 {
		for k := range t.fails {
			t.recent(k, now)
		}
	}
}

// succeed forgets the account's failures after a successful sign-in.
func (t *throttle) succeed(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, "a:"+account)
}
