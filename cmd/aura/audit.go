package main

import (
	"context"
	"fmt"
)

func cmdAudit(ctx context.Context, e *env, args []string) error {
	const usage = "Usage: aura audit verify SLUG | aura audit verify --platform"
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.io.Out, usage)
			return nil
		}
		fmt.Fprintln(e.io.Err, usage)
		return errUsage
	}
	fl := e.flagSet("audit verify", "audit verify SLUG | audit verify --platform")
	plat := fl.Bool("platform", false, "verify the platform's own chain instead of a tenant's")
	pos, err := e.parse(fl, args[1:], -1)
	if err != nil {
		return err
	}
	var slug string
	if len(pos) == 1 {
		slug = pos[0]
	}
	if len(pos) > 1 || (slug == "") == !*plat {
		fl.Usage()
		return errUsage
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	name := "tenant " + slug
	if *plat {
		name = "the platform"
		res, err := e.platform.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		if !res.OK() {
			return exitError{code: 3, msg: fmt.Sprintf("%s audit chain is broken: first bad seq %d: %s", name, res.Break.Seq, res.Break.Reason)}
		}
		fmt.Fprintf(e.io.Out, "OK: %s audit chain verifies: %d rows, head %s.\n", name, res.Rows, res.Head)
		return nil
	}
	res, err := e.control.VerifyAudit(ctx, slug)
	if err != nil {
		return err
	}
	if !res.OK() {
		return exitError{code: 3, msg: fmt.Sprintf("%s audit chain is broken: first bad seq %d: %s", name, res.Break.Seq, res.Break.Reason)}
	}
	fmt.Fprintf(e.io.Out, "OK: %s audit chain verifies: %d rows, %d signed checkpoints match, head %s.\n", name, res.Rows, res.Checkpoints, res.Head)
	return nil
}
