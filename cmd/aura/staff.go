package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
)

func cmdStaff(ctx context.Context, e *env, args []string) error {
	const usage = "Usage: aura staff create EMAIL --password-stdin | list | disable EMAIL | enable EMAIL"
	if len(args) == 0 {
		fmt.Fprintln(e.io.Err, usage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return staffCreate(ctx, e, args[1:])
	case "list":
		return staffList(ctx, e, args[1:])
	case "disable", "enable":
		return staffStatus(ctx, e, args[0], args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.io.Out, usage)
		return nil
	}
	fmt.Fprintf(e.io.Err, "aura staff: unknown subcommand %q\n%s\n", args[0], usage)
	return errUsage
}

// staffCreate creates a platform staff member. Two-factor authentication
// is mandatory for staff: the TOTP secret is printed once, here, as an
// otpauth URI and as a key to type; staff sign in with email, password and
// a code from the first sign-in on.
func staffCreate(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("staff create", "staff create EMAIL --password-stdin")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input (required)")
	email, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	if !*stdin {
		return fmt.Errorf("give the password on standard input with --password-stdin (it never belongs on a command line)")
	}
	password, err := readPassword(e.io.In)
	if err != nil {
		return err
	}
	if err := credential.ValidatePassword(password, email); err != nil {
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	ctx = cliActor(ctx, "staff create")
	h, err := e.hasher(ctx)
	if err != nil {
		return err
	}
	s, secret, err := e.platform.CreateStaff(ctx, h, email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Created staff member %s (%s).\n", s.Email, s.ID)
	fmt.Fprintln(e.io.Out, "Two-factor authentication is mandatory for staff. Add this to an authenticator app now; it is shown only once:")
	fmt.Fprintf(e.io.Out, "  otpauth URI: %s\n", credential.TOTPURI("Aura platform", s.Email, secret))
	fmt.Fprintf(e.io.Out, "  key:         %s\n", credential.EncodeTOTPSecret(secret))
	fmt.Fprintln(e.io.Out, "Sign in at /platform/login with the email, the password and the app's current code.")
	return nil
}

func staffList(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("staff list", "staff list")
	if _, err := e.parse(fs, args, 0); err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	all, err := e.platform.StaffMembers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tSTATUS\tID\tCREATED\tLAST SIGN-IN")
	for _, s := range all {
		last := "never"
		if !s.LastLoginAt.IsZero() {
			last = s.LastLoginAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Email, s.Status, s.ID, s.CreatedAt.Format("2006-01-02 15:04"), last)
	}
	return tw.Flush()
}

func staffStatus(ctx context.Context, e *env, verb string, args []string) error {
	fs := e.flagSet("staff "+verb, "staff "+verb+" EMAIL")
	email, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	status := platform.StaffActive
	if verb == "disable" {
		status = platform.StaffDisabled
	}
	s, err := e.platform.SetStaffStatus(cliActor(ctx, "staff "+verb), email, status)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Staff member %s is %s.\n", s.Email, s.Status)
	if verb == "disable" {
		fmt.Fprintln(e.io.Out, "Their sessions ended; a running server ends their impersonations within 30 seconds.")
	}
	return nil
}
