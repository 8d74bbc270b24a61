package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
)

func cmdBackup(ctx context.Context, e *env, args []string) error {
	const usage = "Usage: aura backup status [--litestream FILE] [--json] | aura backup verify [SLUG…] [--sample N] [--litestream FILE] [--json]"
	if len(args) == 0 {
		fmt.Fprintln(e.io.Err, usage)
		return errUsage
	}
	switch args[0] {
	case "status":
		return backupStatus(ctx, e, args[1:])
	case "verify":
		return backupVerify(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.io.Out, usage)
		return flag.ErrHelp
	}
	fmt.Fprintf(e.io.Err, "aura backup: unknown subcommand %q\n%s\n", args[0], usage)
	return errUsage
}

// backupRow is one database in `aura backup status`.
type backupRow struct {
	Database     string     `json:"database"` // "platform" or the tenant slug
	Status       string     `json:"status,omitempty"`
	Prefix       string     `json:"prefix"`
	Where        string     `json:"where"` // the replica target: name and destination
	LocalTXID    uint64     `json:"local_txid"`
	ReplicaTXID  uint64     `json:"replica_txid"`
	LastSync     *time.Time `json:"last_sync,omitempty"`
	LastSnapshot *time.Time `json:"last_snapshot,omitempty"`
	LagSeconds   float64    `json:"lag_seconds"`
	// LastVerified is when the last restore drill ran, and LastVerifiedOK
	// whether it passed (nil: never drilled).
	LastVerified   *time.Time `json:"last_verified,omitempty"`
	LastVerifiedOK *bool      `json:"last_verified_ok,omitempty"`
	Error          string     `json:"error,omitempty"`
	// OffSite is the off-site copy (nil without an off-site target).
	OffSite *offSiteRow `json:"off_site,omitempty"`
}

// offSiteRow is a database's off-site copy in `aura backup status`.
type offSiteRow struct {
	Target       string     `json:"target"`
	Where        string     `json:"where"`
	ReplicaTXID  uint64     `json:"replica_txid"`
	LastSync     *time.Time `json:"last_sync,omitempty"`
	LastSnapshot *time.Time `json:"last_snapshot,omitempty"`
	LagSeconds   float64    `json:"lag_seconds"`
	Error        string     `json:"error,omitempty"`
}

func offSite(o *replica.TargetStatus) *offSiteRow {
	if o == nil {
		return nil
	}
	row := &offSiteRow{Target: o.Target, Where: o.Where, ReplicaTXID: o.ReplicaTXID, LagSeconds: o.Lag.Seconds(), Error: o.Error}
	if !o.LastSync.IsZero() {
		row.LastSync = &o.LastSync
	}
	if !o.LastSnapshot.IsZero() {
		row.LastSnapshot = &o.LastSnapshot
	}
	return row
}

// backupStatus prints, for the platform DB and every tenant that still has
// a key, how far its on-site replica and its off-site copy are: the newest transaction staged locally and
// in the replica, when the replica last received a change and a snapshot,
// and the age of the oldest change not yet shipped. It reads the replica
// (checking each one opens with its key), so it works beside a running
// server. It exits non-zero when a replica cannot be read.
func backupStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("backup status", "backup status [--litestream FILE] [--json]")
	litestream := litestreamFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := e.parse(fs, args, 0); err != nil {
		return err
	}
	rep, cfg, err := e.replicaReader(*litestream)
	if err != nil {
		return err
	}
	defer rep.Close(context.WithoutCancel(ctx))
	if err := e.open(ctx, false); err != nil {
		return err
	}
	master, err := e.loadMasterKey()
	if err != nil {
		return err
	}
	inspect := func(name, status, path, prefix string, key []byte) backupRow {
		row := backupRow{Database: name, Status: status, Prefix: prefix, Where: cfg.Where("")}
		st, err := rep.Inspect(ctx, path, prefix, key)
		if err != nil {
			row.Error = aura.ErrorMessage(err)
			if aura.ErrorCode(err) == aura.EINTERNAL {
				row.Error = err.Error()
			}
			return row
		}
		row.LocalTXID, row.ReplicaTXID, row.LagSeconds, row.OffSite = st.LocalTXID, st.ReplicaTXID, st.Lag.Seconds(), offSite(st.OffSite)
		if !st.LastSync.IsZero() {
			row.LastSync = &st.LastSync
		}
		if !st.LastSnapshot.IsZero() {
			row.LastSnapshot = &st.LastSnapshot
		}
		return row
	}
	rows := []backupRow{inspect("platform", "", e.platformPath(), "platform/"+master.ID(), master.DerivedKey("platform-replica"))}
	e.control.Replicator = rep
	statuses, err := e.control.BackupStatuses(ctx)
	if err != nil {
		return err
	}
	for _, b := range statuses {
		row := backupRow{Database: b.Slug, Status: b.Tenant.Status, Prefix: b.Replica.Prefix, Where: b.Where, Error: b.Error,
			LocalTXID: b.Replica.LocalTXID, ReplicaTXID: b.Replica.ReplicaTXID, LagSeconds: b.Replica.Lag.Seconds(), OffSite: offSite(b.Replica.OffSite)}
		if !b.Replica.LastSync.IsZero() {
			row.LastSync = &b.Replica.LastSync
		}
		if !b.Replica.LastSnapshot.IsZero() {
			row.LastSnapshot = &b.Replica.LastSnapshot
		}
		if d := b.LastDrill; d != nil {
			row.LastVerified, row.LastVerifiedOK = &d.RanAt, &d.OK
		}
		rows = append(rows, row)
	}

	failed := 0
	for _, r := range rows {
		if r.Error != "" || (r.OffSite != nil && r.OffSite.Error != "") {
			failed++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"replica": cfg.Destination.String(), "on_site": cfg.Destination.String(),
			"on_site_retention": cfg.Retention.String(), "off_site_retention": cfg.OffSiteRetention.String(), "databases": rows}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.io.Out, "On-site replica: %s (kept %s)\n", cfg.Destination, duration(cfg.Retention))
		if len(cfg.Targets) == 0 {
			fmt.Fprintf(e.io.Out, "Off-site: none configured (the security page promises 30 days off-site: add an s3 replica to %s)\n\n", orDash(e.litestreamFile))
		} else {
			fmt.Fprintf(e.io.Out, "Off-site: %s by default (kept %s)\n\n", cfg.OffSiteWhere(""), duration(cfg.OffSiteRetention))
		}
		tw := tabwriter.NewWriter(e.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DATABASE\tSTATUS\tREPLICATED TO\tLAST SYNC\tLAST SNAPSHOT\tLAG\tTXID (LOCAL/REPLICA)\tOFF-SITE SYNC\tOFF-SITE LAG\tLAST VERIFIED RESTORE\tPROBLEM")
		for _, r := range rows {
			verified := "never"
			if r.LastVerified != nil {
				verified = when(r.LastVerified) + map[bool]string{true: " ok", false: " FAILED"}[*r.LastVerifiedOK]
			}
			offSync, offLag, problem := "-", "-", r.Error
			if o := r.OffSite; o != nil {
				offSync, offLag = when(o.LastSync), time.Duration(o.LagSeconds*float64(time.Second)).Round(time.Millisecond).String()
				if o.Error != "" {
					problem = strings.TrimPrefix(problem+"; ", "; ") + "off-site " + o.Target + ": " + o.Error
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", r.Database, orDash(r.Status), r.Where, when(r.LastSync), when(r.LastSnapshot),
				time.Duration(r.LagSeconds*float64(time.Second)).Round(time.Millisecond), r.LocalTXID, r.ReplicaTXID, offSync, offLag, verified, orDash(problem))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d replicas could not be read", failed, len(rows))}
	}
	return nil
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// litestreamFlag registers the --litestream flag of commands that read
// replicas.
func litestreamFlag(fl *flag.FlagSet) *string {
	return fl.String("litestream", os.Getenv("AURA_LITESTREAM"), "replication config in Litestream's format (env AURA_LITESTREAM; default: DATA-replica beside the data directory)")
}

// replicaReader starts a Replicator for reading replicas only (restores,
// drills, status): it registers nothing, so a running server keeps
// replicating the live files alone. The caller closes it.
func (e *env) replicaReader(file string) (*replica.Replicator, replica.Config, error) {
	e.litestreamFile = file
	cfg, err := replica.LoadConfig(file, e.dataDir)
	if err != nil {
		return nil, cfg, err
	}
	cfg.Logger = e.logger
	rep, err := replica.New(cfg)
	return rep, cfg, err
}
