package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/demo"
	"github.com/aurapms/aura/tenant/identity"
)

// The demo tenant's owner, for `make run`. The password is public: the demo
// is for a development machine only.
const (
	DemoSlug     = "demo"
	DemoEmail    = "owner@demo.example"
	DemoPassword = "welcome-to-aura-demo"
)

// cmdDemo makes sure the demo tenant and its owner exist, for `make run`,
// and prints how to sign in. It is idempotent: an existing demo tenant and
// owner are left as they are.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("demo", "demo [--base-url URL]")
	baseURL := fl.String("base-url", os.Getenv("AURA_BASE_URL"), "the address the demo server listens at (env AURA_BASE_URL)")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	ctx = cliActor(ctx, "demo")
	if _, err := e.platform.TenantBySlug(ctx, DemoSlug); aura.ErrorCode(err) == aura.ENOTFOUND {
		t, err := e.control.CreateTenant(ctx, DemoSlug, "Demo Hotel")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Created the demo tenant %s (%s).\n", t.Slug, t.ID)
	} else if err != nil {
		return err
	}
	db, err := e.router.Acquire(ctx, DemoSlug)
	if err != nil {
		return err
	}
	defer db.Release()
	users, err := identity.New(db).Users(ctx)
	if err != nil {
		return err
	}
	exists := false
	for _, u := range users {
		exists = exists || u.Email == DemoEmail
	}
	if !exists {
		h, err := e.hasher(ctx)
		if err != nil {
			return err
		}
		if _, err := identity.New(db).CreateUser(ctx, h, identity.NewUser{Email: DemoEmail, Name: "Dana Demo", Role: identity.RoleOwner, Password: DemoPassword}); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Created the demo owner %s.\n", DemoEmail)
	}
	// Seed does nothing when the demo property exists already.
	if err := demo.Seed(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Sign in at %s/%s/login as %s with the password %s (a development-only password; change it on the Account page).\n",
		defaultBaseURL(*baseURL), DemoSlug, DemoEmail, DemoPassword)
	return nil
}
