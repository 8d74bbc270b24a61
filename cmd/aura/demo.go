package main

import (
	"context"
	"fmt"

	"github.com/aurapms/aura"
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
	if _, err := e.platform.TenantBySlug(ctx, slug); err == nil {
		return nil
	} else if aura.ErrorCode(err) != aura.ENOTFOUND {
		return err
	}
	t, err := e.control.CreateTenant(ctx, slug, "Demo Hotel")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Created the demo tenant %s (%s).\n", t.Slug, t.ID)
	return nil
}
