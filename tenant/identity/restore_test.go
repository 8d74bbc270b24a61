package identity_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
)

// StartRestoredEpoch on an earlier copy of a tenant re-applies every
// revocation the replaced file holds: a restore never gives back access.
func TestStartRestoredEpoch(t *testing.T) {
	f := mustTenant(t)
	ctx := auratest.Ctx()
	owner := f.mustUser(t, "owner@acme.example", identity.RoleOwner, "first owner password")
	clerk := f.mustUser(t, "clerk@acme.example", identity.RoleFrontDesk, "first clerk password")
	chef := f.mustUser(t, "chef@acme.example", identity.RoleManager, "first chef password")
	climber := f.mustUser(t, "climber@acme.example", identity.RoleFrontDesk, "first climber password")
	keep, _, err := identity.New(f.db).CreateToken(ctx, owner.ID, "keep", nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	revoke, _, err := identity.New(f.db).CreateToken(ctx, owner.ID, "revoke", nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, link, err := identity.New(f.db).InviteUser(ctx, identity.NewUser{Email: "new@acme.example", Role: identity.RoleFrontDesk})
	if err != nil {
		t.Fatal(err)
	}
	// The restore point: a copy of the file as it is now.
	copyPath := filepath.Join(t.TempDir(), "earlier.db")
	if _, err := f.db.SQL().Write.Exec(`VACUUM INTO ?`, copyPath); err != nil {
		t.Fatal(err)
	}
	// After the restore point: a user disabled, a password changed, a token
	// revoked, an invitation accepted.
	if _, err := identity.New(f.db).DisableUser(ctx, clerk.ID); err != nil {
		t.Fatal(err)
	}
	if err := identity.New(f.db).ChangePassword(ctx, f.hasher, chef.ID, "first chef password", "second chef password", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(f.db).RevokeToken(ctx, owner.ID, revoke.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(f.db).AcceptInvitation(ctx, f.hasher, link, "New", "a fresh new password"); err != nil {
		t.Fatal(err)
	}
	// And a grant after the restore point, which a restore must not keep
	// (it may be what an intruder did).
	if _, err := identity.New(f.db).SetRole(ctx, climber.ID, identity.RoleOwner); err != nil {
		t.Fatal(err)
	}

	earlier, err := tenant.OpenFile(context.Background(), copyPath, tenant.Info{ID: f.db.ID, Slug: f.db.Slug, Status: tenant.StatusActive, DataKey: dataKey(t, f)}, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	rep, err := identity.New(earlier).StartRestoredEpoch(ctx, f.db, identity.RestoreInfo{RestoredSeq: 1, Epoch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.UsersUpdated) != 2 || len(rep.TokensRevoked) != 1 || rep.TokensRevoked[0] != revoke.ID || rep.InvitationsClosed != 1 {
		t.Fatalf("report = %+v; want the clerk and the chef, the revoked token, the used invitation", rep)
	}
	var role string
	earlier.SQL().Read.QueryRow(`SELECT role FROM users WHERE id = ?`, climber.ID).Scan(&role)
	if role != identity.RoleFrontDesk {
		t.Errorf("a promotion made after the restore point was re-applied: role %q", role)
	}
	var status, hash string
	earlier.SQL().Read.QueryRow(`SELECT status FROM users WHERE id = ?`, clerk.ID).Scan(&status)
	if status != "disabled" {
		t.Errorf("the disabled clerk is %q after the restore", status)
	}
	var liveHash string
	earlier.SQL().Read.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, chef.ID).Scan(&hash)
	f.db.SQL().Read.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, chef.ID).Scan(&liveHash)
	if hash != liveHash {
		t.Error("the chef's old password came back with the restore")
	}
	var revoked, kept int
	earlier.SQL().Read.QueryRow(`SELECT count(*) FROM api_tokens WHERE id = ? AND revoked_at IS NOT NULL`, revoke.ID).Scan(&revoked)
	earlier.SQL().Read.QueryRow(`SELECT count(*) FROM api_tokens WHERE id = ? AND revoked_at IS NULL`, keep.ID).Scan(&kept)
	if revoked != 1 || kept != 1 {
		t.Errorf("tokens after the restore: revoked %d (want 1), kept %d (want 1)", revoked, kept)
	}
	var usable int
	earlier.SQL().Read.QueryRow(`SELECT count(*) FROM invitations WHERE used_at IS NULL AND revoked_at IS NULL`).Scan(&usable)
	if usable != 0 {
		t.Error("an invitation used after the restore point is usable again")
	}
	var sessions int
	earlier.SQL().Read.QueryRow(`SELECT count(*) FROM sessions`).Scan(&sessions)
	if sessions != 0 {
		t.Errorf("%d sessions survived the restore", sessions)
	}
	head, _ := earlier.AuditHead(context.Background())
	if head.Epoch != 2 {
		t.Fatalf("head epoch = %d, want 2", head.Epoch)
	}
	// The chain is whole (the restore checkpoint that lets epoch 2 start
	// is control's part, tested there).
	if _, brk, err := audit.VerifyBootstrap(context.Background(), earlier.AuditRows(), earlier.ID, "tenant.restored"); err != nil || brk != nil {
		t.Fatalf("the restored chain does not verify: %v %v", brk, err)
	}
	var reapplied int
	earlier.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action LIKE '%revocation_reapplied' AND epoch = 2`).Scan(&reapplied)
	if reapplied != 4 {
		t.Errorf("%d re-application audit rows, want 4 (two users, one token, one invitation)", reapplied)
	}
}

// dataKey returns the tenant's data key from the platform registry.
func dataKey(t *testing.T, f *fixture) []byte {
	t.Helper()
	tn, err := f.env.Platform.TenantBySlug(context.Background(), f.db.Slug)
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.env.Platform.DataKey(tn)
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != keys.KeySize {
		t.Fatal("bad key")
	}
	return k
}

// A TOTP code accepted after the restore point is not accepted again by the
// restored file, even when nothing else about the user changed.
func TestStartRestoredEpochKeepsTOTPStep(t *testing.T) {
	f := mustTenant(t)
	ctx := auratest.Ctx()
	u := f.mustUser(t, "two@acme.example", identity.RoleFrontDesk, "first two password")
	secret, err := identity.New(f.db).BeginTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(f.db).ConfirmTOTP(ctx, u.ID, credential.TOTPCode(secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	copyPath := filepath.Join(t.TempDir(), "earlier.db")
	if _, err := f.db.SQL().Write.Exec(`VACUUM INTO ?`, copyPath); err != nil {
		t.Fatal(err)
	}
	first, err := identity.New(f.db).Login(ctx, f.hasher, "two@acme.example", "first two password", "", "", identity.DefaultSessionPolicy)
	if err != nil || !first.NeedCode {
		t.Fatalf("password step: %+v %v", first, err)
	}
	code := credential.TOTPCode(secret, f.clock.Now())
	if _, err := identity.New(f.db).LoginCode(ctx, u.ID, first.PasswordStamp, code, "", identity.DefaultSessionPolicy); err != nil {
		t.Fatal(err)
	}
	earlier, err := tenant.OpenFile(context.Background(), copyPath, tenant.Info{ID: f.db.ID, Slug: f.db.Slug, Status: tenant.StatusActive, DataKey: dataKey(t, f)}, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	if _, err := identity.New(earlier).StartRestoredEpoch(ctx, f.db, identity.RestoreInfo{RestoredSeq: 1, Epoch: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(earlier).LoginCode(ctx, u.ID, first.PasswordStamp, code, "", identity.DefaultSessionPolicy); err == nil {
		t.Fatal("a code used after the restore point works again after the restore")
	}
}
