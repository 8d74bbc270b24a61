package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aurapms/aura/audit"
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
	fl := e.flagSet("audit verify", "audit verify SLUG | audit verify --platform [--litestream FILE] [--audit-witness FILE]")
	plat := fl.Bool("platform", false, "verify the platform's own chain instead of a tenant's")
	litestream := litestreamFlag(fl)
	pos, err := e.parse(fl, args[1:], -1)
	if err != nil {
		return err
	}
	e.litestreamFile = *litestream
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
	var res audit.Result
	if *plat {
		name = "the platform"
		res, err = e.control.VerifyPlatformAudit(ctx)
	} else {
		res, err = e.control.VerifyAudit(ctx, slug)
	}
	if err != nil {
		return err
	}
	if !res.OK() {
		return exitError{code: 3, msg: fmt.Sprintf("%s audit chain is broken: first bad seq %d: %s", name, res.Break.Seq, res.Break.Reason)}
	}
	witnessed := "no witness holds a checkpoint of it yet"
	if len(res.Witnessed) > 0 {
		witnessed = "the newest checkpoint agrees with " + strings.Join(res.Witnessed, " and ")
	}
	fmt.Fprintf(e.io.Out, "OK: %s audit chain verifies: %d rows, %d signed checkpoints match, head %s; %s.\n", name, res.Rows, res.Checkpoints, res.Head, witnessed)
	return nil
}
