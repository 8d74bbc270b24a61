package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
)

func cmdTenant(ctx context.Context, e *env, args []string) error {
	const usage = "Usage: aura tenant create SLUG --name NAME [--owner-email E [--owner-password-stdin]] | list [--json] | suspend SLUG | resume SLUG | delete SLUG | night-audit SLUG | purge-id-photos SLUG | set-region SLUG --replica NAME"
	if len(args) == 0 {
		fmt.Fprintln(e.io.Err, usage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return tenantCreate(ctx, e, args[1:])
	case "list":
		return tenantList(ctx, e, args[1:])
	case "suspend", "resume", "delete":
		return tenantStatus(ctx, e, args[0], args[1:])
	case "night-audit", "purge-id-photos":
		return tenantJob(ctx, e, args[0], args[1:])
	case "set-region":
		return tenantSetRegion(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.io.Out, usage)
		return nil
	}
	fmt.Fprintf(e.io.Err, "aura tenant: unknown subcommand %q\n%s\n", args[0], usage)
	return errUsage
}

// slugArg parses flags that may come before or after the one SLUG argument.
func slugArg(e *env, fs *flag.FlagSet, args []string) (string, error) {
	pos, err := e.parse(fs, args, 1)
	if err != nil {
		return "", err
	}
	return pos[0], nil
}

func tenantCreate(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("tenant create", "tenant create SLUG --name NAME [--owner-email E [--owner-name N] [--owner-password-stdin]]")
	name := fs.String("name", "", "the tenant's display name (required)")
	ownerEmail := fs.String("owner-email", "", "create the tenant's first owner with this email")
	ownerName := fs.String("owner-name", "", "the owner's name")
	ownerPwStdin := fs.Bool("owner-password-stdin", false, "read the owner's password from standard input; without it an invitation link is printed")
	baseURL := fs.String("base-url", os.Getenv("AURA_BASE_URL"), "the address users reach Aura at, for the invitation link (env AURA_BASE_URL)")
	slug, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = slug
	}
	if *ownerPwStdin && *ownerEmail == "" {
		return fmt.Errorf("--owner-password-stdin needs --owner-email")
	}
	var password string
	if *ownerPwStdin {
		if password, err = readPassword(e.io.In); err != nil {
			return err
		}
		if err := credential.ValidatePassword(password, *ownerEmail); err != nil {
			return err
		}
	}
	if *ownerEmail != "" {
		if _, err := identity.NormalizeEmail(*ownerEmail); err != nil {
			return err
		}
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	ctx = cliActor(ctx, "tenant create")
	t, err := e.control.CreateTenant(ctx, slug, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Created tenant %s (%s), file %s\n", t.Slug, t.ID, e.control.TenantPath(t.ID))
	if *ownerEmail == "" {
		return nil
	}
	db, err := e.router.Acquire(ctx, t.Slug)
	if err != nil {
		return err
	}
	defer db.Release()
	if password != "" {
		h, err := e.hasher(ctx)
		if err != nil {
			return err
		}
		u, err := identity.New(db).CreateUser(ctx, h, identity.NewUser{Email: *ownerEmail, Name: *ownerName, Role: identity.RoleOwner, Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Created the owner %s (%s); sign in at %s/%s/login\n", u.Email, u.ID, defaultBaseURL(*baseURL), t.Slug)
		return nil
	}
	u, token, err := identity.New(db).InviteUser(ctx, identity.NewUser{Email: *ownerEmail, Name: *ownerName, Role: identity.RoleOwner})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Invited the owner %s (%s). Send them this link (it works once, for 7 days):\n%s\n", u.Email, u.ID, web.InviteURL(defaultBaseURL(*baseURL), t.Slug, token))
	return nil
}

func tenantList(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("tenant list", "tenant list [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := e.parse(fs, args, 0); err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	ts, err := e.platform.Tenants(ctx)
	if err != nil {
		return err
	}
	audits, err := e.platform.AuditStatuses(ctx)
	if err != nil {
		return err
	}
	type row struct {
		platform.Tenant
		File  string                `json:"file"`
		Audit *platform.AuditStatus `json:"audit,omitempty"`
	}
	rows := make([]row, 0, len(ts))
	for _, t := range ts {
		r := row{Tenant: t}
		if t.Status != platform.StatusDeleted {
			r.File = e.control.TenantPath(t.ID)
		}
		if a, ok := audits[t.ID]; ok {
			r.Audit = &a
		}
		rows = append(rows, r)
	}
	if a, ok := audits[platform.ChainID]; ok && a.Broken() {
		fmt.Fprintf(e.io.Err, "aura: the platform's audit chain is broken at seq %d: %s\n", a.FirstBadSeq, a.Reason)
	}
	if *asJSON {
		enc := json.NewEncoder(e.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tSTATUS\tAUDIT\tID\tCREATED\tFILE")
	for _, r := range rows {
		state := "-"
		if r.Audit != nil {
			state = r.Audit.State
			if r.Audit.Broken() {
				state = fmt.Sprintf("BROKEN at seq %d", r.Audit.FirstBadSeq)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Slug, r.Name, r.Status, state, r.ID, r.CreatedAt.Format("2006-01-02 15:04"), r.File)
	}
	return tw.Flush()
}

// tenantSetRegion records the named off-site target (litestream.yml's
// replicas list) a tenant's data is copied to. A running server moves the
// tenant within seconds: it closes the file (shipping its last changes to
// the old target), and reopens it copying to the new one, which receives
// everything the on-site replica holds. The copy at the old target is kept
// until its retention ends, then pruned once the new target holds a
// verified snapshot (control.PruneMovedReplicas).
func tenantSetRegion(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("tenant set-region", "tenant set-region SLUG --replica NAME [--litestream FILE]")
	target := fs.String("replica", "", "a replica name from the replicas list of the replication config (the first, or \"default\", for the default)")
	litestream := litestreamFlag(fs)
	slug, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	cfg, err := replica.LoadConfig(*litestream, e.dataDir)
	if err != nil {
		return err
	}
	name := *target
	if name == "default" || name == cfg.DefaultTarget {
		name = ""
	} else if _, ok := cfg.Targets[name]; !ok {
		var names []string
		for n := range cfg.Targets {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return fmt.Errorf("--replica %q: the replication config %s names no replica targets (give dbs[0] a replicas list, each with a name)", name, orDash(*litestream))
		}
		return fmt.Errorf("--replica %q is not a replica target of %s (targets: %s)", name, orDash(*litestream), strings.Join(names, ", "))
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	t, err := e.platform.SetReplicaTarget(ctx, slug, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Tenant %s replicates to %s. A running server moves it within seconds (a full copy there); the copy at the previous target is kept %s, then pruned once the new one holds a verified snapshot.\n",
		slug, cfg.Where(t.ReplicaTarget()), duration(cfg.OffSiteRetention))
	return nil
}

func tenantStatus(ctx context.Context, e *env, verb string, args []string) error {
	fs := e.flagSet("tenant "+verb, "tenant "+verb+" SLUG")
	slug, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	switch verb {
	case "suspend":
		_, err = e.control.SetStatus(ctx, slug, platform.StatusSuspended)
	case "resume":
		_, err = e.control.SetStatus(ctx, slug, platform.StatusActive)
	case "delete":
		_, err = e.control.DeleteTenant(ctx, slug)
	}
	if err != nil {
		return err
	}
	past := map[string]string{"suspend": "Suspended", "resume": "Resumed", "delete": "Deleted (its data key is destroyed and its file removed)"}[verb]
	fmt.Fprintf(e.io.Out, "%s tenant %s.\n", past, slug)
	return nil
}

// tenantJob runs one of a tenant's jobs now, as the scheduler would: the
// night audit of every property (each business date due, none twice) or
// the ID-photo retention purge, then a WAL checkpoint when no server is
// running (a running server's replication owns the file's checkpoints).
// The audit rows name the command-line actor.
func tenantJob(ctx context.Context, e *env, job string, args []string) error {
	fs := e.flagSet("tenant "+job, "tenant "+job+" SLUG")
	slug, err := slugArg(e, fs, args)
	if err != nil {
		return err
	}
	lock, err := lockDataDir(e.dataDir)
	serverRunning := errors.Is(err, errLocked)
	if err != nil && !serverRunning {
		return err
	}
	if lock != nil {
		defer lock.release()
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	ctx = cliActor(ctx, "tenant "+job)
	db, err := e.router.Acquire(ctx, slug)
	if err != nil {
		return err
	}
	defer db.Release()
	if job == "night-audit" {
		results, err := frontdesk.New(db).RunNightAudits(ctx)
		if err != nil {
			return err
		}
		for _, r := range results {
			var closed []string
			for _, c := range r.Closed {
				closed = append(closed, fmt.Sprintf("%s (%d no-shows, %d holds released)", c.Date, len(c.NoShows), len(c.Cancelled)))
			}
			if len(closed) == 0 {
				fmt.Fprintf(e.io.Out, "Property %s: nothing was due; the business date is %s.\n", r.PropertyID, r.BusinessDate)
				continue
			}
			fmt.Fprintf(e.io.Out, "Property %s: closed %s; the business date is now %s.\n", r.PropertyID, strings.Join(closed, ", "), r.BusinessDate)
		}
		return nil
	}
	res, err := frontdesk.New(db).PurgeIDPhotos(ctx)
	if err != nil {
		return err
	}
	if res.Records > 0 && !serverRunning {
		if err := db.SQL().Checkpoint(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.io.Out, "Purged %d ID photos (%d bytes) and blanked %d document numbers, from %d check-in records past their property's retention window.\n",
		res.Photos, res.Bytes, res.Numbers, res.Records)
	return nil
}
