package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/inventory"
)

// TestTenantJobCommands runs the night audit and the ID-photo purge of a
// tenant on demand from the command line: each prints what it did, writes
// its audit rows as the command-line actor, and a second run finds
// nothing left to do; the chain still verifies.
func TestTenantJobCommands(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "demo")
	out := c.mustRun("", "tenant", "night-audit", "demo")
	if !regexp.MustCompile(`Property prp_\w+: (nothing was due; the business date is|closed .*; the business date is now) \d{4}-\d\d-\d\d\.`).MatchString(out) {
		t.Fatalf("night-audit: %q", out)
	}
	// Keep ID photos for 0 days: every demo photo falls due.
	e := newEnv(IO{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard})
	e.dataDir, e.masterKeyFile, e.maxOpen, e.idleTimeout = c.data, c.keyFile, 8, time.Minute
	ctx := aura.WithActor(context.Background(), aura.SystemActor("test"))
	if err := e.open(ctx, false); err != nil {
		t.Fatal(err)
	}
	db, err := e.router.Acquire(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	props, err := inventory.New(db).ListProperties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := props[0]
	fd := p.FrontDesk
	fd.IDPhotoRetentionDays = 0
	if _, err := inventory.New(db).UpdateProperty(ctx, p.ID, inventory.PropertyInput{Name: p.Name, Address: p.Address, TimeZone: p.TimeZone, Currency: p.Currency,
		CheckInTime: p.CheckInTime, CheckOutTime: p.CheckOutTime, Tax: p.Tax, FrontDesk: &fd, Version: p.Version}); err != nil {
		t.Fatal(err)
	}
	db.Release()
	e.close()
	out = c.mustRun("", "tenant", "purge-id-photos", "demo")
	m := regexp.MustCompile(`^Purged (\d+) ID photos \(\d+ bytes\) and blanked \d+ document numbers, from (\d+) check-in records`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("purge-id-photos: %q", out)
	}
	if m[1] == "0" || m[2] == "0" {
		t.Fatalf("the purge found nothing due: %q", out)
	}
	again := c.mustRun("", "tenant", "purge-id-photos", "demo")
	if !strings.HasPrefix(again, "Purged 0 ID photos (0 bytes) and blanked 0 document numbers, from 0 check-in records") {
		t.Fatalf("a second purge found more: %q", again)
	}
	c.mustRun("", "audit", "verify", "demo")
	if code, _, errs := c.run("", "tenant", "purge-id-photos", "nosuch"); code == 0 || !strings.Contains(errs, `No tenant "nosuch"`) {
		t.Fatalf("unknown tenant: exit %d %q", code, errs)
	}
}

// TestServeConsoleForPeople checks what aura serve prints: durations in
// words, not Go's "24h0m0s", and no line per request at the default level
// (AURA_LOG_LEVEL=debug brings them back, for a developer).
func TestServeConsoleForPeople(t *testing.T) {
	for _, level := range []string{"", "debug"} {
		t.Run("level="+level, func(t *testing.T) {
			t.Setenv("AURA_LOG_LEVEL", level)
			c := newCLI(t)
			c.mustRun("", "tenant", "create", "demo", "--name", "Demo Hotel")
			s := c.serve("--dev", "--addr", "127.0.0.1:0")
			for range 3 {
				resp, err := http.Get(s.https + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			out := s.out.String()
			if regexp.MustCompile(`\d+h\d+m\d+s`).MatchString(out) || !strings.Contains(out, "snapshots every 24 hours, kept 7 days") {
				t.Fatalf("start-up output:\n%s", out)
			}
			lines := strings.Count(s.errs.String(), "msg=request")
			if level == "" && lines != 0 || level == "debug" && lines < 3 {
				t.Fatalf("%d request lines at level %q:\n%s", lines, level, s.errs.String())
			}
		})
	}
}

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24 hours", 168 * time.Hour: "7 days", 720 * time.Hour: "30 days", time.Hour: "1 hour",
		90 * time.Second: "1 minute and 30 seconds", 36*time.Hour + 30*time.Minute: "1 day, 12 hours and 30 minutes",
		5 * time.Minute: "5 minutes", time.Millisecond: "less than a second",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}
