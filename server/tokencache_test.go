package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/identity"
)

// TestTokenCacheHonoursChanges: a token verified a moment ago is taken on
// trust only until something changes. Revoking it (through the API, in
// this process), disabling its user, taking the permission away from the
// user's role and its expiry each apply to the very next request, although
// that request comes right after ones the token passed.
func TestTokenCacheHonoursChanges(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	ctx := aura.WithActor(context.Background(), owner.Actor())
	db := h.acquire("alpha")
	mia, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "mia@alpha.example", Name: "Mia", Role: identity.RoleManager, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	token := func(userID string, scopes []identity.Permission, expires time.Time) (string, string) {
		t.Helper()
		tk, text, err := identity.New(db).CreateToken(ctx, userID, "cache", scopes, expires)
		if err != nil {
			t.Fatal(err)
		}
		return tk.ID, text
	}
	_, admin := token(owner.ID, identity.RolePermissions(identity.RoleOwner), time.Time{})
	revokedID, revoked := token(owner.ID, []identity.Permission{identity.PermUsersRead}, time.Time{})
	_, disabled := token(mia.ID, []identity.Permission{identity.PermUsersRead}, time.Time{})
	_, expiring := token(owner.ID, []identity.Permission{identity.PermUsersRead}, h.clock.Now().Add(2*time.Second))
	db.Release()
	status := func(tok, path string) int {
		t.Helper()
		r, _ := h.do(req{path: path, header: map[string]string{"Authorization": "Bearer " + tok}})
		return r.StatusCode
	}
	warm := func(tok, path string) {
		t.Helper()
		for i := 0; i < 3; i++ {
			if got := status(tok, path); got != 200 {
				t.Fatalf("%s before the change: %d", path, got)
			}
		}
	}

	t.Run("Revoked", func(t *testing.T) {
		warm(revoked, "/alpha/api/v1/users")
		if r, body := h.do(req{method: "DELETE", path: "/alpha/api/v1/tokens/" + revokedID, header: map[string]string{"Authorization": "Bearer " + admin}}); r.StatusCode != 204 {
			t.Fatalf("revoke: %d %s", r.StatusCode, body)
		}
		if got := status(revoked, "/alpha/api/v1/users"); got != 401 {
			t.Fatalf("a revoked token still works: %d", got)
		}
	})
	t.Run("RoleLosesPermission", func(t *testing.T) {
		warm(disabled, "/alpha/api/v1/users")
		db := h.acquire("alpha")
		_, err := identity.New(db).SetRole(ctx, mia.ID, identity.RoleFrontDesk)
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		if got := status(disabled, "/alpha/api/v1/users"); got != 403 {
			t.Fatalf("a token of a front-desk user still reads users: %d", got)
		}
	})
	t.Run("UserDisabled", func(t *testing.T) {
		warm(disabled, "/alpha/api/v1/whoami")
		db := h.acquire("alpha")
		_, err := identity.New(db).DisableUser(ctx, mia.ID)
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		if got := status(disabled, "/alpha/api/v1/whoami"); got != 401 {
			t.Fatalf("a disabled user's token still works: %d", got)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		warm(expiring, "/alpha/api/v1/users")
		h.clock.Advance(3 * time.Second) // less than the cache keeps an entry
		if got := status(expiring, "/alpha/api/v1/users"); got != 401 {
			t.Fatalf("an expired token still works: %d", got)
		}
	})
}
