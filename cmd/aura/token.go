package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/identity"
)

func cmdToken(ctx context.Context, e *env, args []string) error {
	const usage = "Usage: aura token create SLUG --email E --name N [--scopes S,…] [--expires 90d|2026-12-31|never]"
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.io.Out, usage)
			return nil
		}
		fmt.Fprintln(e.io.Err, usage)
		return errUsage
	}
	fs := e.flagSet("token create", "token create SLUG --email E --name N [--scopes S,…] [--expires 90d|YYYY-MM-DD|never]")
	email := fs.String("email", "", "the user the token acts for (required)")
	name := fs.String("name", "", "what uses the token, e.g. \"Channel manager\" (required)")
	scopes := fs.String("scopes", "", "permissions the token may use, comma-separated (e.g. users.read,tokens.read); none allows whoami only")
	expires := fs.String("expires", fmt.Sprintf("%dd", identity.DefaultTokenDays), "when the token stops working: a number of days (90d), a date (YYYY-MM-DD, UTC midnight) or never")
	slug, err := slugArg(e, fs, args[1:])
	if err != nil {
		return err
	}
	if *email == "" || *name == "" {
		fs.Usage()
		return errUsage
	}
	perms, err := identity.ParseScopes(*scopes)
	if err != nil {
		return err
	}
	exp, err := parseExpiry(*expires, time.Now().UTC())
	if err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	ctx = cliActor(ctx, "token create")
	db, err := e.router.Acquire(ctx, slug)
	if err != nil {
		return err
	}
	defer db.Release()
	users, err := identity.New(db).Users(ctx)
	if err != nil {
		return err
	}
	normalized, err := identity.NormalizeEmail(*email)
	if err != nil {
		return err
	}
	var userID string
	for _, u := range users {
		if u.Email == normalized && u.Status == identity.UserActive {
			userID = u.ID
		}
	}
	if userID == "" {
		return aura.Errorf(aura.ENOTFOUND, "Tenant %s has no active user %s.", slug, normalized)
	}
	t, text, err := identity.New(db).CreateToken(ctx, userID, *name, perms, exp)
	if err != nil {
		return err
	}
	expiry := "never expires"
	if !t.ExpiresAt.IsZero() {
		expiry = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(e.io.Err, "Created API token %s (%s) for %s, scopes [%s], %s. It is shown once; Aura keeps only its SHA-256:\n", t.ID, t.Name, normalized, joinPerms(t.Scopes), expiry)
	fmt.Fprintln(e.io.Out, text)
	return nil
}

func joinPerms(ps []identity.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

// parseExpiry reads "never", "90d" or "YYYY-MM-DD".
func parseExpiry(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "never":
		return time.Time{}, nil
	case strings.HasSuffix(s, "d"):
		var n int
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n > 0 && n <= 3650 {
			return now.AddDate(0, 0, n), nil
		}
	default:
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, aura.Errorf(aura.EINVALID, "--expires takes a number of days (90d), a date (YYYY-MM-DD) or never, not %q.", s)
}
