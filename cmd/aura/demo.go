package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/demo"
)

// cmdDemo makes sure the demo tenant exists, for `make run`. It is
// idempotent: an existing demo tenant is left as it is.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("demo", "demo")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	const slug = "demo"
	if _, err := e.platform.TenantBySlug(ctx, slug); aura.ErrorCode(err) == aura.ENOTFOUND {
		t, err := e.control.CreateTenant(ctx, slug, "Demo Hotel")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Created the demo tenant %s (%s).\n", t.Slug, t.ID)
	} else if err != nil {
		return err
	}
	db, err := e.router.Acquire(ctx, slug)
	if err != nil {
		return err
	}
	defer db.Release()
	// Seed does nothing when the demo property exists already.
	return demo.Seed(ctx, db, date.Of(time.Now(), demo.Location()))
}
