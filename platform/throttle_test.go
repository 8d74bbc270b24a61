package platform_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/auratest"
)

// The throttle's counts: one more per failure, a fresh start after the
// forget period, cleared on demand; stored under an HMAC, never the key.
func TestLoginFailures(t *testing.T) {
	clk := auratest.NewClock(time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC))
	env := auratest.New(t, auratest.Options{})
	env.Platform.SetClock(clk.Now)
	ctx := context.Background()
	const acct, network = "acct:tnt_1:ana@example.com", "net:192.0.2.7"
	for range 3 {
		if err := env.Platform.RecordLoginFailure(ctx, time.Hour, acct, network); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	got, err := env.Platform.LoginFailures(ctx, acct, network, "dev:none")
	if err != nil {
		t.Fatal(err)
	}
	if got[acct].Count != 3 || got[network].Count != 3 || !got[acct].Last.Equal(clk.Now().Add(-time.Minute)) {
		t.Fatalf("counts %+v", got)
	}
	if _, ok := got["dev:none"]; ok {
		t.Fatal("a key never failed has a count")
	}
	t.Run("NotInTheClear", func(t *testing.T) {
		env.Platform.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		rows, _ := env.Platform.SQL().Read.Query(`SELECT key FROM login_throttle`)
		defer rows.Close()
		for rows.Next() {
			var k []byte
			rows.Scan(&k)
			if bytes.Contains(k, []byte("ana@example.com")) || bytes.Contains(k, []byte("192.0.2.7")) {
				t.Fatal("a throttle key is stored in the clear")
			}
		}
	})
	t.Run("Forget", func(t *testing.T) {
		clk.Advance(2 * time.Hour)
		if err := env.Platform.RecordLoginFailure(ctx, time.Hour, acct); err != nil {
			t.Fatal(err)
		}
		got, _ := env.Platform.LoginFailures(ctx, acct, network)
		if got[acct].Count != 1 {
			t.Fatalf("a count older than the forget period went on: %d", got[acct].Count)
		}
		if _, ok := got[network]; ok {
			t.Fatal("a stale key was not deleted")
		}
	})
	t.Run("Clear", func(t *testing.T) {
		if err := env.Platform.ClearLoginFailures(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if got, _ := env.Platform.LoginFailures(ctx, acct); len(got) != 0 {
			t.Fatalf("after clearing: %+v", got)
		}
	})
}

// BenchmarkLoginFailures is what the throttle adds to a sign-in that has
// nothing against it: one read of three keys (account, network, device).
func BenchmarkLoginFailures(b *testing.B) {
	env := auratest.New(b, auratest.Options{})
	ctx := context.Background()
	for i := range 10_000 {
		env.Platform.RecordLoginFailure(ctx, time.Hour, fmt.Sprintf("acct:tnt_1:user%d@example.com", i))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := env.Platform.LoginFailures(ctx, "acct:tnt_1:someone@example.com", "net:192.0.2.7", fmt.Sprintf("dev:%d", i)); err != nil {
			b.Fatal(err)
		}
	}
}
