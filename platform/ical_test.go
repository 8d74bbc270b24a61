package platform_test

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
)

func TestCalendarTokenIndex(t *testing.T) {
	env := auratest.New(t, auratest.Options{})
	ctx := context.Background()
	a := env.CreateTenant(t, "alpha")
	env.CreateTenant(t, "beta")
	h := sha256.Sum256([]byte("token-a"))
	if _, err := env.Platform.CalendarTokenTenant(ctx, h[:]); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("unknown hash: %v", err)
	}
	if err := env.Platform.RegisterCalendarToken(ctx, h[:], a.ID); err != nil {
		t.Fatal(err)
	}
	if slug, err := env.Platform.CalendarTokenTenant(ctx, h[:]); err != nil || slug != "alpha" {
		t.Fatalf("lookup: %q %v", slug, err)
	}
	// A suspended tenant's calendars answer as unknown ones.
	if _, err := env.Platform.SetStatus(ctx, "alpha", tenant.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	_, errSuspended := env.Platform.CalendarTokenTenant(ctx, h[:])
	other := sha256.Sum256([]byte("never-registered"))
	_, errUnknown := env.Platform.CalendarTokenTenant(ctx, other[:])
	if aura.ErrorCode(errSuspended) != aura.ENOTFOUND || errSuspended.Error() != errUnknown.Error() {
		t.Fatalf("suspended %v, unknown %v", errSuspended, errUnknown)
	}
	if _, err := env.Platform.SetStatus(ctx, "alpha", tenant.StatusActive); err != nil {
		t.Fatal(err)
	}
	if err := env.Platform.ForgetCalendarToken(ctx, h[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Platform.CalendarTokenTenant(ctx, h[:]); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("forgotten hash: %v", err)
	}
	// The index holds hashes only.
	var n int
	env.Platform.SQL().Read.QueryRow(`SELECT count(*) FROM ical_tokens WHERE token_hash = 'token-a'`).Scan(&n)
	if n != 0 {
		t.Fatal("a token stored in the clear")
	}
}
