package platform_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const pw = "tangerine ladder violet"

func mustPlatform(tb testing.TB) (*platform.DB, *keys.MasterKey, string, *clock) {
	tb.Helper()
	master, err := keys.NewMasterKey(keys.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "platform.db")
	db, err := platform.Open(context.Background(), path, master)
	if err != nil {
		tb.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)}
	db.SetClock(clk.Now)
	tb.Cleanup(func() { db.Close() })
	return db, master, path, clk
}

func mustHasher(tb testing.TB, db *platform.DB) credential.Hasher {
	tb.Helper()
	pepper, err := db.Secret(context.Background(), platform.SecretPasswordPepper)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := credential.NewHasher(pepper)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestSecret(t *testing.T) {
	db, _, path, _ := mustPlatform(t)
	ctx := context.Background()
	a, err := db.Secret(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Stable", func(t *testing.T) {
		b, _ := db.Secret(ctx, "x")
		if !bytes.Equal(a, b) || len(a) != 32 {
			t.Fatal("the secret changed between calls")
		}
		if c, _ := db.Secret(ctx, "y"); bytes.Equal(a, c) {
			t.Fatal("two secrets are equal")
		}
	})
	t.Run("StoredWrapped", func(t *testing.T) {
		db.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		raw, _ := os.ReadFile(path)
		if bytes.Contains(raw, a) {
			t.Fatal("the secret is in the platform file unwrapped")
		}
	})
}

// TestRotationKeepsPasswords rotates the master key and shows that a staff
// password (whose pepper is a wrapped server secret) still verifies when
// the platform DB is opened with the new key.
func TestRotationKeepsPasswords(t *testing.T) {
	db, _, path, clk := mustPlatform(t)
	ctx := context.Background()
	h := mustHasher(t, db)
	_, totp, err := db.CreateStaff(ctx, h, "sam@aura.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	pepper, _ := db.Secret(ctx, platform.SecretPasswordPepper)
	next, _ := keys.NewMasterKey(keys.NewKey())
	if _, err := db.RotateMaster(ctx, next); err != nil {
		t.Fatal(err)
	}
	db.Close()
	reopened, err := platform.Open(ctx, path, next)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	reopened.SetClock(clk.Now)
	again, err := reopened.Secret(ctx, platform.SecretPasswordPepper)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pepper, again) {
		t.Fatal("the pepper changed across rotation")
	}
	h2 := mustHasher(t, reopened)
	if _, _, _, err := reopened.StaffLogin(ctx, h2, "sam@aura.example", pw, credential.TOTPCode(totp, clk.Now()), platform.DefaultStaffSessionPolicy); err != nil {
		t.Fatalf("the staff password does not verify after rotation: %v", err)
	}
	res, _ := reopened.VerifyAudit(ctx, nil)
	if !res.OK() {
		t.Fatalf("platform chain broken: %+v", res.Break)
	}
}

func TestStaffLogin(t *testing.T) {
	db, _, path, clk := mustPlatform(t)
	ctx := context.Background()
	h := mustHasher(t, db)
	s, totp, err := db.CreateStaff(ctx, h, "Sam@Aura.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	policy := platform.DefaultStaffSessionPolicy
	t.Run("EmailSealed", func(t *testing.T) {
		db.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		raw, _ := os.ReadFile(path)
		if bytes.Contains(raw, []byte("sam@aura.example")) || bytes.Contains(raw, totp) {
			t.Fatal("the staff email or TOTP secret is in the platform file in plaintext")
		}
	})
	t.Run("ErrNoCode", func(t *testing.T) {
		if _, _, _, err := db.StaffLogin(ctx, h, "sam@aura.example", pw, "", policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("err = %v", err)
		}
	})
	var secret string
	code := credential.TOTPCode(totp, clk.Now())
	t.Run("OK", func(t *testing.T) {
		got, se, sec, err := db.StaffLogin(ctx, h, "sam@aura.example", pw, code, policy)
		if err != nil || got.ID != s.ID || se.StaffID != s.ID {
			t.Fatalf("%+v %v", got, err)
		}
		secret = sec
		if _, st, err := db.StaffSessionBySecret(ctx, secret, policy); err != nil || st.Email != "sam@aura.example" {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("ErrReplay", func(t *testing.T) {
		if _, _, _, err := db.StaffLogin(ctx, h, "sam@aura.example", pw, code, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("a replayed code signed in: %v", err)
		}
		rows, _ := db.AuditLog(ctx, audit.Filter{Action: "staff.login_failed"})
		if len(rows) == 0 || !strings.Contains(rows[0].After.String, "reused") {
			t.Fatalf("not audited: %+v", rows)
		}
	})
	t.Run("ErrIdle", func(t *testing.T) {
		clk.Advance(policy.Idle + time.Second)
		if _, _, err := db.StaffSessionBySecret(ctx, secret, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("an idle staff session works: %v", err)
		}
	})
}

func TestImpersonation(t *testing.T) {
	db, _, _, clk := mustPlatform(t)
	ctx := context.Background()
	h := mustHasher(t, db)
	if _, err := db.CreateTenant(ctx, "tnt_aaaaaaaaaaaaaaaa", "acme", "Acme", keys.NewKey(), 2); err != nil {
		t.Fatal(err)
	}
	_, totp, err := db.CreateStaff(ctx, h, "sam@aura.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	policy := platform.DefaultStaffSessionPolicy
	_, se, _, err := db.StaffLogin(ctx, h, "sam@aura.example", pw, credential.TOTPCode(totp, clk.Now()), policy)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrNoReason", func(t *testing.T) {
		if _, _, err := db.StartImpersonation(ctx, se, "acme", "help", 30*time.Minute); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrUnknownTenant", func(t *testing.T) {
		if _, _, err := db.StartImpersonation(ctx, se, "nope", "Ticket 12: cannot sign in", 30*time.Minute); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
	imp, secret, err := db.StartImpersonation(ctx, se, "acme", "Ticket 12: cannot sign in", 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, st, err := db.ImpersonationBySecret(ctx, imp.ID, secret, policy)
		if err != nil || got.TenantSlug != "acme" || st.ID != se.StaffID {
			t.Fatalf("%+v %v", got, err)
		}
		if _, _, err := db.ImpersonationBySecret(ctx, imp.ID, secret+"x", policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("a wrong secret works: %v", err)
		}
	})
	t.Run("ErrTwice", func(t *testing.T) {
		if _, _, err := db.StartImpersonation(ctx, se, "acme", "Ticket 12: cannot sign in", 30*time.Minute); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		clk.Advance(20 * time.Minute)
		due, _, err := db.DueImpersonations(ctx, platform.SessionPolicy{Idle: time.Hour, Absolute: 8 * time.Hour})
		if err != nil || len(due) != 0 {
			t.Fatalf("due = %+v, %v", due, err)
		}
		clk.Advance(11 * time.Minute)
		if _, _, err := db.ImpersonationBySecret(ctx, imp.ID, secret, platform.SessionPolicy{Idle: time.Hour, Absolute: 8 * time.Hour}); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("an expired impersonation works: %v", err)
		}
		due, reasons, err := db.DueImpersonations(ctx, platform.SessionPolicy{Idle: time.Hour, Absolute: 8 * time.Hour})
		if err != nil || len(due) != 1 || reasons[0] != "expired" {
			t.Fatalf("due = %+v %v, %v", due, reasons, err)
		}
		ended, changed, err := db.EndImpersonation(ctx, imp.ID, "expired")
		if err != nil || !changed || !ended.EndedAt.Equal(imp.ExpiresAt) {
			t.Fatalf("%+v %v %v", ended, changed, err)
		}
		if _, changed, _ := db.EndImpersonation(ctx, imp.ID, "again"); changed {
			t.Fatal("an ended impersonation ended twice")
		}
		rows, _ := db.AuditLog(ctx, audit.Filter{Entity: imp.ID})
		if len(rows) != 2 || rows[0].Action != "impersonation.ended" || !strings.Contains(rows[1].After.String, "Ticket 12") {
			t.Fatalf("platform chain = %+v", rows)
		}
	})
}
