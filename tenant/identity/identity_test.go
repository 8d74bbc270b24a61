package identity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"golang.org/x/crypto/bcrypt"
)

// fixture is one real tenant ("acme") in a real environment, with the
// password hasher the server would use.
type fixture struct {
	env    *auratest.Env
	db     *tenant.DB
	router *tenant.Router
	clock  *auratest.Clock
	hasher credential.Hasher
}

// mustTenant creates a tenant "acme" and returns its open handle;
// everything closes when the test ends.
func mustTenant(tb testing.TB) *fixture {
	tb.Helper()
	clk := auratest.NewClock(time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC))
	env := auratest.New(tb, auratest.Options{Now: clk.Now})
	env.CreateTenant(tb, "acme")
	db := env.Acquire(tb, "acme")
	pepper, err := env.Platform.Secret(context.Background(), platform.SecretPasswordPepper)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := credential.NewHasher(pepper)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{env: env, db: db, router: env.Router, clock: clk, hasher: h}
}

func (f *fixture) mustUser(tb testing.TB, email, role, password string) identity.User {
	tb.Helper()
	u, err := identity.New(f.db).CreateUser(context.Background(), f.hasher, identity.NewUser{Email: email, Name: "Test " + role, Role: role, Password: password})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// rawFile returns the bytes of the tenant file and its WAL.
func (f *fixture) rawFile(tb testing.TB) []byte {
	tb.Helper()
	var all []byte
	for _, p := range []string{f.db.Path, f.db.Path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func auditActions(tb testing.TB, db *tenant.DB, f audit.Filter) []audit.Row {
	tb.Helper()
	rows, err := db.AuditLog(context.Background(), f)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

const pw = "tangerine ladder violet"

func TestCreateUser(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	u := f.mustUser(t, "Ana@Example.com", identity.RoleOwner, pw)
	t.Run("OK", func(t *testing.T) {
		if got, want := u.Email, "ana@example.com"; got != want {
			t.Fatalf("email = %q, want %q", got, want)
		}
		if u.Status != identity.UserActive || u.Role != identity.RoleOwner {
			t.Fatalf("user = %+v", u)
		}
	})
	t.Run("BcryptCost12", func(t *testing.T) {
		var hash string
		if err := f.db.SQL().Read.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 12 {
			t.Fatalf("cost = %d, %v; want 12", cost, err)
		}
	})
	t.Run("EmailSealed", func(t *testing.T) {
		if _, err := f.db.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		if raw := f.rawFile(t); bytes.Contains(raw, []byte("ana@example.com")) || bytes.Contains(raw, []byte("Test owner")) {
			t.Fatal("the tenant file holds the user's email or name in plaintext")
		}
	})
	t.Run("AuditSealedButReadable", func(t *testing.T) {
		rows := auditActions(t, f.db, audit.Filter{Action: "user.created"})
		if len(rows) != 1 || !strings.Contains(rows[0].After.String, "ana@example.com") {
			t.Fatalf("rows = %+v", rows)
		}
		var raw string
		if err := f.db.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'user.created'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "ana@example.com") || !strings.Contains(raw, "sealed:v1:") {
			t.Fatalf("stored audit row = %s", raw)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := identity.New(f.db).CreateUser(ctx, f.hasher, identity.NewUser{Email: "ana@example.com", Role: identity.RoleManager, Password: pw})
		if got, want := aura.ErrorCode(err), aura.ECONFLICT; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, nu := range []identity.NewUser{
			{Email: "not-an-email", Role: identity.RoleOwner, Password: pw},
			{Email: "b@example.com", Role: "emperor", Password: pw},
			{Email: "b@example.com", Role: identity.RoleOwner, Password: "short"},
			{Email: "b@example.com", Role: identity.RoleOwner, Password: "password1234"},
		} {
			if _, err := identity.New(f.db).CreateUser(ctx, f.hasher, nu); aura.ErrorCode(err) != aura.EINVALID {
				t.Fatalf("%+v: err = %v", nu, err)
			}
		}
	})
}

func TestLogin(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	policy := identity.DefaultSessionPolicy
	u := f.mustUser(t, "ana@example.com", identity.RoleOwner, pw)
	t.Run("OK", func(t *testing.T) {
		res, err := identity.New(f.db).Login(ctx, f.hasher, "ANA@example.com ", pw, "", "", policy)
		if err != nil {
			t.Fatal(err)
		}
		if res.NeedCode || res.Secret == "" || res.Session.UserID != u.ID {
			t.Fatalf("res = %+v", res)
		}
		se, got, err := identity.New(f.db).SessionBySecret(ctx, res.Secret, policy)
		if err != nil || got.ID != u.ID || se.ID != res.Session.ID {
			t.Fatalf("session lookup: %v %+v", err, se)
		}
	})
	t.Run("NewIDOnLogin", func(t *testing.T) {
		first, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, "", "", policy)
		if err != nil {
			t.Fatal(err)
		}
		second, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, "", first.Secret, policy)
		if err != nil {
			t.Fatal(err)
		}
		if first.Session.ID == second.Session.ID || first.Secret == second.Secret {
			t.Fatal("signing in again kept the session id")
		}
		if _, _, err := identity.New(f.db).SessionBySecret(ctx, first.Secret, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("the replaced session still works: %v", err)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		_, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", "tangerine ladder violeT", "", "", policy)
		if got, want := aura.ErrorCode(err), aura.EUNAUTHORIZED; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		rows := auditActions(t, f.db, audit.Filter{Action: "user.login_failed"})
		if len(rows) == 0 || !strings.Contains(rows[0].After.String, "wrong password") {
			t.Fatalf("no login_failed row: %+v", rows)
		}
		var n int
		f.db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE after_json LIKE '%violeT%' OR before_json LIKE '%violeT%'`).Scan(&n)
		if n != 0 {
			t.Fatal("the audit log holds the attempted password")
		}
	})
	t.Run("ErrUnknownEmail", func(t *testing.T) {
		_, err := identity.New(f.db).Login(ctx, f.hasher, "nobody@example.com", pw, "", "", policy)
		if got, want := aura.ErrorMessage(err), "The email or password is incorrect."; got != want {
			t.Fatalf("message = %q, want %q", got, want)
		}
	})
	t.Run("Past72Bytes", func(t *testing.T) {
		long := strings.Repeat("abcdefghij", 9) + "0123456789" // 100 bytes
		other := long[:99] + "X"
		f.mustUser(t, "long@example.com", identity.RoleFrontDesk, long)
		if _, err := identity.New(f.db).Login(ctx, f.hasher, "long@example.com", other, "", "", policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("a password differing after byte 72 signed in: %v", err)
		}
		if _, err := identity.New(f.db).Login(ctx, f.hasher, "long@example.com", long, "", "", policy); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	policy := identity.SessionPolicy{Idle: 30 * time.Minute, Absolute: 2 * time.Hour}
	f.mustUser(t, "ana@example.com", identity.RoleOwner, pw)
	login := func() string {
		res, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, "", "", policy)
		if err != nil {
			t.Fatal(err)
		}
		return res.Secret
	}
	t.Run("Idle", func(t *testing.T) {
		s := login()
		f.clock.Advance(29 * time.Minute)
		if _, _, err := identity.New(f.db).SessionBySecret(ctx, s, policy); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
		// The use above moved last-seen forward: 29 more minutes is fine.
		f.clock.Advance(29 * time.Minute)
		if _, _, err := identity.New(f.db).SessionBySecret(ctx, s, policy); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
		f.clock.Advance(31 * time.Minute)
		if _, _, err := identity.New(f.db).SessionBySecret(ctx, s, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("idle session accepted: %v", err)
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		s := login()
		for i := 0; i < 4; i++ {
			f.clock.Advance(25 * time.Minute)
			if _, _, err := identity.New(f.db).SessionBySecret(ctx, s, policy); err != nil {
				t.Fatalf("after %d minutes: %v", 25*(i+1), err)
			}
		}
		f.clock.Advance(25 * time.Minute) // 125 minutes after sign-in, never idle
		if _, _, err := identity.New(f.db).SessionBySecret(ctx, s, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("session past its absolute timeout accepted: %v", err)
		}
	})
}

func TestDisableEndsSessions(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	policy := identity.DefaultSessionPolicy
	f.mustUser(t, "owner@example.com", identity.RoleOwner, pw)
	u := f.mustUser(t, "desk@example.com", identity.RoleFrontDesk, pw)
	res, err := identity.New(f.db).Login(ctx, f.hasher, "desk@example.com", pw, "", "", policy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(f.db).DisableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	f.db.SQL().Read.QueryRow(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sessions remain after disabling", n)
	}
	if _, _, err := identity.New(f.db).SessionBySecret(ctx, res.Secret, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
		t.Fatalf("session of a disabled user works: %v", err)
	}
	if _, err := identity.New(f.db).Login(ctx, f.hasher, "desk@example.com", pw, "", "", policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
		t.Fatalf("a disabled user signed in: %v", err)
	}
	rows := auditActions(t, f.db, audit.Filter{Action: "user.disabled"})
	if len(rows) != 1 || !strings.Contains(rows[0].Before.String, `"status":"active"`) || !strings.Contains(rows[0].After.String, `"status":"disabled"`) {
		t.Fatalf("audit = %+v", rows)
	}
}

func TestLastOwner(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	owner := f.mustUser(t, "owner@example.com", identity.RoleOwner, pw)
	for name, fn := range map[string]func() error{
		"Demote":  func() error { _, err := identity.New(f.db).SetRole(ctx, owner.ID, identity.RoleManager); return err },
		"Disable": func() error { _, err := identity.New(f.db).DisableUser(ctx, owner.ID); return err },
		"Remove":  func() error { _, err := identity.New(f.db).RemoveUser(ctx, owner.ID); return err },
	} {
		t.Run(name, func(t *testing.T) {
			if got, want := aura.ErrorCode(fn()), aura.ECONFLICT; got != want {
				t.Fatalf("code = %q, want %q", got, want)
			}
		})
	}
}

func TestInvitation(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	f.mustUser(t, "owner@example.com", identity.RoleOwner, pw)
	u, token, err := identity.New(f.db).InviteUser(ctx, identity.NewUser{Email: "new@example.com", Name: "Nia", Role: identity.RoleFrontDesk})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("StoredAsHash", func(t *testing.T) {
		var h []byte
		if err := f.db.SQL().Read.QueryRow(`SELECT token_hash FROM invitations WHERE user_id = ?`, u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h, credential.HashSecret(token)) {
			t.Fatal("the invitation is not stored as the SHA-256 of its token")
		}
	})
	t.Run("ErrPasswordRules", func(t *testing.T) {
		if _, err := identity.New(f.db).AcceptInvitation(ctx, f.hasher, token, "Nia", "password1234"); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		got, err := identity.New(f.db).AcceptInvitation(ctx, f.hasher, token, "Nia Lund", pw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != identity.UserActive || got.Name != "Nia Lund" {
			t.Fatalf("user = %+v", got)
		}
		if _, err := identity.New(f.db).Login(ctx, f.hasher, "new@example.com", pw, "", "", identity.DefaultSessionPolicy); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrSingleUse", func(t *testing.T) {
		if _, err := identity.New(f.db).AcceptInvitation(ctx, f.hasher, token, "Eve", "another long password"); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("a used invitation worked again: %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, tok, err := identity.New(f.db).InviteUser(ctx, identity.NewUser{Email: "late@example.com", Role: identity.RoleHousekeeping})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(identity.InvitationTTL + time.Minute)
		if _, err := identity.New(f.db).InvitationUser(ctx, tok); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("an expired invitation worked: %v", err)
		}
	})
	t.Run("ReinviteRevokesOld", func(t *testing.T) {
		_, old, err := identity.New(f.db).InviteUser(ctx, identity.NewUser{Email: "twice@example.com", Role: identity.RoleHousekeeping})
		if err != nil {
			t.Fatal(err)
		}
		_, fresh, err := identity.New(f.db).InviteUser(ctx, identity.NewUser{Email: "twice@example.com", Role: identity.RoleAccountant})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := identity.New(f.db).InvitationUser(ctx, old); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("the old link still works: %v", err)
		}
		if got, err := identity.New(f.db).InvitationUser(ctx, fresh); err != nil || got.Role != identity.RoleAccountant {
			t.Fatalf("fresh link: %+v %v", got, err)
		}
	})
}

func TestTOTP(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	policy := identity.DefaultSessionPolicy
	u := f.mustUser(t, "ana@example.com", identity.RoleOwner, pw)
	secret, err := identity.New(f.db).BeginTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrWrongCode", func(t *testing.T) {
		if _, err := identity.New(f.db).ConfirmTOTP(ctx, u.ID, "000000"); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	codes, err := identity.New(f.db).ConfirmTOTP(ctx, u.ID, credential.TOTPCode(secret, f.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SecretSealed", func(t *testing.T) {
		f.db.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		if bytes.Contains(f.rawFile(t), secret) {
			t.Fatal("the TOTP secret is in the file in plaintext")
		}
	})
	var stamp string
	t.Run("NeedCode", func(t *testing.T) {
		res, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, "", "", policy)
		if err != nil || !res.NeedCode || res.Secret != "" || res.PasswordStamp == "" {
			t.Fatalf("res = %+v, %v", res, err)
		}
		stamp = res.PasswordStamp
	})
	t.Run("ErrReplay", func(t *testing.T) {
		// The code used to confirm enrolment is spent; a minute later a new one works once.
		if _, err := identity.New(f.db).LoginCode(ctx, u.ID, stamp, credential.TOTPCode(secret, f.clock.Now()), "", policy); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("the enrolment code was accepted again: %v", err)
		}
		f.clock.Advance(time.Minute)
		code := credential.TOTPCode(secret, f.clock.Now())
		if _, err := identity.New(f.db).LoginCode(ctx, u.ID, stamp, code, "", policy); err != nil {
			t.Fatal(err)
		}
		if _, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, code, "", policy); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("a replayed code was accepted: %v", err)
		}
		rows := auditActions(t, f.db, audit.Filter{Action: "user.login_failed"})
		if len(rows) == 0 || !strings.Contains(rows[0].After.String, "two-factor") {
			t.Fatalf("the replay was not audited: %+v", rows)
		}
	})
	t.Run("RecoveryCodeOnce", func(t *testing.T) {
		if _, err := identity.New(f.db).LoginCode(ctx, u.ID, stamp, strings.ToUpper(codes[0]), "", policy); err != nil {
			t.Fatal(err)
		}
		if _, err := identity.New(f.db).LoginCode(ctx, u.ID, stamp, codes[0], "", policy); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("a used recovery code worked again: %v", err)
		}
		if n, _ := identity.New(f.db).RecoveryCodesLeft(ctx, u.ID); n != 9 {
			t.Fatalf("%d codes left, want 9", n)
		}
	})
	t.Run("ErrRequiredCannotDisable", func(t *testing.T) {
		if err := identity.New(f.db).SetRequire2FA(ctx, true); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if err := identity.New(f.db).DisableTOTP(ctx, u.ID, credential.TOTPCode(secret, f.clock.Now())); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrPasswordChangedBetweenSteps", func(t *testing.T) {
		first, err := identity.New(f.db).Login(ctx, f.hasher, "ana@example.com", pw, "", "", policy)
		if err != nil || !first.NeedCode {
			t.Fatalf("%+v %v", first, err)
		}
		if err := identity.New(f.db).ChangePassword(ctx, f.hasher, u.ID, pw, "a changed pass phrase", ""); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if _, err := identity.New(f.db).LoginCode(ctx, u.ID, first.PasswordStamp, credential.TOTPCode(secret, f.clock.Now()), "", policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("the code step of a sign-in begun with the old password: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	u := f.mustUser(t, "ana@example.com", identity.RoleOwner, pw)
	tok, text, err := identity.New(f.db).CreateToken(ctx, u.ID, "Channel manager", []identity.Permission{identity.PermUsersRead}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, user, err := identity.New(f.db).TokenByText(ctx, text)
		if err != nil || got.ID != tok.ID || user.ID != u.ID {
			t.Fatalf("%+v %v", got, err)
		}
		if !got.Can(user, identity.PermUsersRead) || got.Can(user, identity.PermUsersWrite) {
			t.Fatal("scopes are not applied")
		}
	})
	t.Run("StoredAsSHA256Only", func(t *testing.T) {
		var h []byte
		var typ string
		if err := f.db.SQL().Read.QueryRow(`SELECT token_hash, typeof(token_hash) FROM api_tokens WHERE id = ?`, tok.ID).Scan(&h, &typ); err != nil {
			t.Fatal(err)
		}
		// The SHA-256 of the token text, computed here rather than by the code under test.
		if want := sha256.Sum256([]byte(text)); typ != "blob" || !bytes.Equal(h, want[:]) {
			t.Fatalf("token_hash is %d bytes of %s, not the SHA-256 of the token", len(h), typ)
		}
		f.db.SQL().Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		secret := strings.Split(text, "_")[2]
		if raw := f.rawFile(t); bytes.Contains(raw, []byte(text)) || bytes.Contains(raw, []byte(secret)) {
			t.Fatal("the token text is in the tenant file")
		}
	})
	t.Run("LastUsedOncePerMinute", func(t *testing.T) {
		lastUsed := func() string {
			var s sql.NullString
			f.db.SQL().Read.QueryRow(`SELECT last_used_at FROM api_tokens WHERE id = ?`, tok.ID).Scan(&s)
			return s.String
		}
		first := lastUsed()
		f.clock.Advance(20 * time.Second)
		identity.New(f.db).TokenByText(ctx, text)
		if got := lastUsed(); got != first {
			t.Fatalf("last_used_at moved after 20 s: %s -> %s", first, got)
		}
		f.clock.Advance(50 * time.Second)
		identity.New(f.db).TokenByText(ctx, text)
		if got := lastUsed(); got == first {
			t.Fatal("last_used_at did not move after 70 s")
		}
	})
	t.Run("ErrOtherTenant", func(t *testing.T) {
		other := credential.NewToken("tnt_aaaaaaaaaaaaaaaa")
		if _, _, err := identity.New(f.db).TokenByText(ctx, other.Text); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrScopeBeyondRole", func(t *testing.T) {
		desk := f.mustUser(t, "desk@example.com", identity.RoleFrontDesk, pw)
		if _, _, err := identity.New(f.db).CreateToken(ctx, desk.ID, "x", []identity.Permission{identity.PermUsersWrite}, time.Time{}); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, short, err := identity.New(f.db).CreateToken(ctx, u.ID, "short", nil, f.clock.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(61 * time.Minute)
		if _, _, err := identity.New(f.db).TokenByText(ctx, short); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("an expired token worked: %v", err)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		if _, err := identity.New(f.db).RevokeToken(ctx, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := identity.New(f.db).TokenByText(ctx, text); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("a revoked token worked: %v", err)
		}
		rows := auditActions(t, f.db, audit.Filter{Action: "token."})
		if len(rows) < 2 || rows[0].Action != "token.revoked" {
			t.Fatalf("audit = %+v", rows)
		}
	})
}

func TestRoleChangeRotatesSessions(t *testing.T) {
	f := mustTenant(t)
	ctx := context.Background()
	policy := identity.DefaultSessionPolicy
	f.mustUser(t, "owner@example.com", identity.RoleOwner, pw)
	u := f.mustUser(t, "desk@example.com", identity.RoleFrontDesk, pw)
	res, err := identity.New(f.db).Login(ctx, f.hasher, "desk@example.com", pw, "", "", policy)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := identity.New(f.db).SetRole(ctx, u.ID, identity.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	se, _, err := identity.New(f.db).SessionBySecret(ctx, res.Secret, policy)
	if err != nil {
		t.Fatal(err)
	}
	if se.PrivilegeVersion == changed.PrivilegeVersion {
		t.Fatal("the session does not show that privileges changed")
	}
	fresh, secret, err := identity.New(f.db).RotateSession(ctx, se.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ID == se.ID || fresh.PrivilegeVersion != changed.PrivilegeVersion || !fresh.CreatedAt.Equal(se.CreatedAt) {
		t.Fatalf("rotated = %+v, old = %+v", fresh, se)
	}
	if _, _, err := identity.New(f.db).SessionBySecret(ctx, res.Secret, policy); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
		t.Fatal("the old session id still works")
	}
	if _, _, err := identity.New(f.db).SessionBySecret(ctx, secret, policy); err != nil {
		t.Fatal(err)
	}
}
