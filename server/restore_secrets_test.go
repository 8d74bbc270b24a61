package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant/identity"
)

// A real point-in-time restore (replica → side file → swap → new epoch)
// keeps every credential secret revoked or rotated after the restore point
// revoked: recovery codes deleted by turning two-factor off or by
// re-enrolling, a replaced TOTP secret, a replaced password, replaced and
// accepted invitations. Each case signs in over HTTP afterwards with the
// old secret (refused) and, where there is one, the new one (accepted).
func TestRestoreKeepsRevokedSecretsRevoked(t *testing.T) {
	h := newHarness(t, harnessOpts{replicate: true})
	ctx := context.Background()
	h.mustTenant("alpha")
	db := h.acquire("alpha")
	mk := func(email string) identity.User {
		u, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: email, Name: email, Role: identity.RoleFrontDesk, Password: ownerPassword})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	// enrol turns two-factor on and returns the secret and recovery codes.
	enrol := func(u identity.User) ([]byte, []string) {
		secret, err := identity.New(db).BeginTOTP(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		codes, err := identity.New(db).ConfirmTOTP(ctx, u.ID, credential.TOTPCode(secret, h.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Minute) // the next code is a new step
		return secret, codes
	}
	off, reenrol, pw, used, late := mk("off@alpha.example"), mk("reenrol@alpha.example"), mk("pw@alpha.example"), mk("used@alpha.example"), mk("late@alpha.example")
	offSecret, offCodes := enrol(off)
	oldSecret, oldCodes := enrol(reenrol)
	_, usedCodes := enrol(used)
	_, replacedLink, err := identity.New(db).InviteUser(ctx, identity.NewUser{Email: "replaced@alpha.example", Role: identity.RoleFrontDesk})
	if err != nil {
		t.Fatal(err)
	}
	replacedUser, err := identity.New(db).InvitationUser(ctx, replacedLink)
	if err != nil {
		t.Fatal(err)
	}
	_, acceptedLink, err := identity.New(db).InviteUser(ctx, identity.NewUser{Email: "accepted@alpha.example", Role: identity.RoleFrontDesk})
	if err != nil {
		t.Fatal(err)
	}
	db.Release()

	// The restore point, once everything so far is in the replica.
	time.Sleep(600 * time.Millisecond)
	at := time.Now().UTC()
	time.Sleep(300 * time.Millisecond)

	// After the restore point.
	db = h.acquire("alpha")
	if err := identity.New(db).DisableTOTP(ctx, off.ID, credential.TOTPCode(offSecret, h.clock.Now())); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	if err := identity.New(db).DisableTOTP(ctx, reenrol.ID, oldCodes[0]); err != nil {
		t.Fatal(err)
	}
	newSecret, newCodes := enrol(reenrol)
	const newPassword = "a brand new pass phrase"
	if err := identity.New(db).ChangePassword(ctx, h.hasher, pw.ID, ownerPassword, newPassword, ""); err != nil {
		t.Fatal(err)
	}
	lateSecret, lateCodes := enrol(late)
	_, reinvitedLink, err := identity.New(db).ReinviteUser(ctx, replacedUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.New(db).AcceptInvitation(ctx, h.hasher, acceptedLink, "Accepted", "accepted pass phrase 1"); err != nil {
		t.Fatal(err)
	}
	db.Release()
	// A recovery code used to sign in after the restore point.
	if r, body := h.do(req{method: "POST", path: "/alpha/login", form: url.Values{"email": {used.Email}, "password": {ownerPassword}, "code": {usedCodes[0]}}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with a recovery code: %d %s", r.StatusCode, body)
	}

	plan, err := h.ctl.PrepareRestore(ctx, "alpha", at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ctl.ApplyRestore(ctx, plan, control.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.RecoveryCodesRemoved == 0 || res.Report.RecoveryCodesAdded == 0 || res.Report.RecoveryCodesUsed != 1 {
		t.Errorf("report: %+v", res.Report)
	}

	signIn := func(email, password, code string) int {
		t.Helper()
		h.clock.Advance(time.Minute) // a fresh TOTP step, and spread over the throttle
		f := url.Values{"email": {email}, "password": {password}}
		if code != "" {
			f.Set("code", code)
		}
		r, _ := h.do(req{method: "POST", path: "/alpha/login", form: f})
		return r.StatusCode
	}
	refused := func(name string, status int) {
		t.Helper()
		if status == http.StatusSeeOther {
			t.Errorf("%s: signed in after the restore", name)
		}
	}
	accepted := func(name string, status int) {
		t.Helper()
		if status != http.StatusSeeOther {
			t.Errorf("%s: refused after the restore (%d)", name, status)
		}
	}

	t.Run("TwoFactorTurnedOff", func(t *testing.T) {
		// The codes deleted with it stay deleted; the restored second factor
		// stays on (narrowed): the password alone does not sign in.
		refused("a recovery code deleted after the restore point", signIn(off.Email, ownerPassword, offCodes[1]))
		if s := signIn(off.Email, ownerPassword, ""); s != http.StatusOK {
			t.Errorf("the password alone: %d, want the code step (200)", s)
		}
		accepted("the restored TOTP secret", signIn(off.Email, ownerPassword, credential.TOTPCode(offSecret, h.clock.Now().Add(time.Minute))))
	})
	t.Run("TwoFactorReenrolled", func(t *testing.T) {
		refused("the replaced TOTP secret", signIn(reenrol.Email, ownerPassword, credential.TOTPCode(oldSecret, h.clock.Now().Add(time.Minute))))
		refused("a recovery code of the replaced enrolment", signIn(reenrol.Email, ownerPassword, oldCodes[1]))
		accepted("the new TOTP secret", signIn(reenrol.Email, ownerPassword, credential.TOTPCode(newSecret, h.clock.Now().Add(time.Minute))))
		accepted("a recovery code of the new enrolment", signIn(reenrol.Email, ownerPassword, newCodes[0]))
	})
	t.Run("TwoFactorSetUpLater", func(t *testing.T) {
		if s := signIn(late.Email, ownerPassword, ""); s != http.StatusOK {
			t.Errorf("the password alone: %d, want the code step (200)", s)
		}
		accepted("the new TOTP secret", signIn(late.Email, ownerPassword, credential.TOTPCode(lateSecret, h.clock.Now().Add(time.Minute))))
		accepted("a new recovery code", signIn(late.Email, ownerPassword, lateCodes[0]))
	})
	t.Run("RecoveryCodeUsed", func(t *testing.T) {
		refused("a recovery code used after the restore point", signIn(used.Email, ownerPassword, usedCodes[0]))
		accepted("an unused recovery code", signIn(used.Email, ownerPassword, usedCodes[1]))
	})
	t.Run("PasswordChanged", func(t *testing.T) {
		refused("the replaced password", signIn(pw.Email, ownerPassword, ""))
		accepted("the newer password", signIn(pw.Email, newPassword, ""))
	})
	t.Run("Invitations", func(t *testing.T) {
		for name, link := range map[string]string{"a replaced invitation": replacedLink, "an invitation accepted after the restore point": acceptedLink,
			"an invitation issued after the restore point": reinvitedLink} {
			if r, _ := h.do(req{path: "/alpha/invite/" + link}); r.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d after the restore, want 404", name, r.StatusCode)
			}
		}
	})
}
