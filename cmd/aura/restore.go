package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
)

// restoreFlags are the flags of `aura restore`.
type restoreFlags struct {
	at         string
	latest     bool
	dryRun     bool
	yes        bool
	asJSON     bool
	platform   bool
	from       string
	litestream string
}

func cmdRestore(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("restore", "restore SLUG [--at RFC3339 | --latest] [--from on-site|off-site] [--dry-run] [--yes] | restore --platform [--at RFC3339 | --latest] [--from on-site|off-site] [--dry-run] [--yes]")
	var f restoreFlags
	fl.StringVar(&f.at, "at", "", "restore the state as of this instant (RFC 3339, e.g. 2026-11-28T09:30:00Z)")
	fl.BoolVar(&f.latest, "latest", false, "restore the newest state the replica holds")
	fl.BoolVar(&f.dryRun, "dry-run", false, "restore into a side file, check it and report what would change, then discard it")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&f.asJSON, "json", false, "print the plan and result as JSON")
	fl.BoolVar(&f.platform, "platform", false, "restore the platform DB (only while no server runs)")
	fl.StringVar(&f.from, "from", "", "the replica to read: on-site or off-site (default: on-site when it holds the time, else off-site)")
	litestream := litestreamFlag(fl)
	pos, err := e.parse(fl, args, -1)
	if err != nil {
		return err
	}
	f.litestream = *litestream
	e.litestreamFile = f.litestream
	if (f.at == "") == !f.latest {
		fmt.Fprintln(e.io.Err, "aura restore: give exactly one of --at TIME or --latest")
		return errUsage
	}
	var at time.Time
	if f.at != "" {
		if at, err = parseRestoreAt(f.at); err != nil {
			return err
		}
	}
	if f.from != "" && f.from != replica.OnSite && f.from != replica.OffSite {
		fmt.Fprintf(e.io.Err, "aura restore: --from %q: give on-site or off-site\n", f.from)
		return errUsage
	}
	if f.platform != (len(pos) == 0) || len(pos) > 1 {
		fl.Usage()
		return errUsage
	}
	rep, _, err := e.replicaReader(f.litestream)
	if err != nil {
		return err
	}
	defer rep.Close(context.WithoutCancel(ctx))
	if f.platform {
		return restorePlatform(ctx, e, rep, at, f)
	}
	return restoreTenant(ctx, e, rep, pos[0], at, f)
}

// parseRestoreAt reads the instant of --at: RFC 3339 (2026-11-28T09:30:00Z,
// with an offset or fractions of a second), from 1970 to 9999 in UTC, the
// instants a replica's timestamps can name.
func parseRestoreAt(s string) (time.Time, error) {
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q is not an RFC 3339 time such as 2026-11-28T09:30:00Z", s)
	}
	if y := at.UTC().Year(); y < 1970 || y > 9999 {
		return time.Time{}, fmt.Errorf("--at %q is outside the times a replica can hold (1970 to 9999 UTC)", s)
	}
	return at, nil
}

func restoreTenant(ctx context.Context, e *env, rep *replica.Replicator, slug string, at time.Time, f restoreFlags) error {
	// Without a running server we hold the data directory's lock for the
	// whole restore, so none starts meanwhile; with one, the server closes
	// the tenant's file when asked and the other tenants keep serving.
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
	e.control.Replicator = rep
	plan, err := e.control.PrepareRestoreFrom(ctx, slug, at, f.from)
	if err != nil {
		return err
	}
	printPlan(e, plan, f.asJSON)
	if !plan.OK() {
		e.control.DiscardRestore(plan)
		return exitError{code: 3, msg: "the restored file failed its checks; nothing was changed"}
	}
	if f.dryRun {
		e.control.DiscardRestore(plan)
		if !f.asJSON {
			fmt.Fprintln(e.io.Out, "Dry run: nothing was changed.")
		}
		return nil
	}
	if !f.yes && !confirm(e, fmt.Sprintf("Type the tenant slug (%s) to replace its live data with this restore: ", slug), slug) {
		e.control.DiscardRestore(plan)
		return exitError{code: 1, msg: "not confirmed; nothing was changed"}
	}
	res, err := e.control.ApplyRestore(ctx, plan, control.RestoreOptions{WaitForServer: serverRunning})
	if err != nil {
		e.control.DiscardRestore(plan)
		return err
	}
	if f.asJSON {
		return json.NewEncoder(e.io.Out).Encode(res)
	}
	fmt.Fprintf(e.io.Out, "Restored %s to %s (audit epoch %d). Dropped %d sessions; re-applied later revocations to %d users and %d API tokens.\n",
		slug, plan.Point.Time.Format(time.RFC3339), res.Epoch, res.Report.SessionsDropped, len(res.Report.UsersUpdated), len(res.Report.TokensRevoked))
	fmt.Fprintf(e.io.Out, "The replaced file is kept at %s.\n", res.Archive)
	return nil
}

func printPlan(e *env, p *control.RestorePlan, asJSON bool) {
	if asJSON {
		json.NewEncoder(e.io.Out).Encode(p)
		return
	}
	w := e.io.Out
	want := "the latest state"
	if p.RequestedAt != nil {
		want = p.RequestedAt.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "Restore of %s to %s\n", p.Slug, want)
	fmt.Fprintf(w, "  replica state reached: transaction %d, replicated %s, read from the %s replica\n", p.Point.TXID, p.Point.Time.Format(time.RFC3339), p.Point.From)
	fmt.Fprintf(w, "  integrity check:       %s\n", p.Integrity)
	fmt.Fprintf(w, "  audit chain:           %s\n", p.Chain)
	fmt.Fprintf(w, "  audit head:            live seq %d (%s), restored seq %d (%s)\n", p.LiveHead.Seq, p.LiveLast, p.RestoredHead.Seq, p.RestoredLast)
	fmt.Fprintf(w, "  will be lost:          %s\n", p.Lost())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  TABLE\tLIVE\tRESTORED\tCHANGE\t")
	for _, t := range p.Tables {
		if t.Live == 0 && t.Restored == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%+d\t\n", t.Table, t.Live, t.Restored, t.Restored-t.Live)
	}
	tw.Flush()
}

// confirm asks on stdin and reports whether the answer is want.
func confirm(e *env, prompt, want string) bool {
	fmt.Fprint(e.io.Out, prompt)
	if e.io.In == nil {
		return false
	}
	line, _ := bufio.NewReader(e.io.In).ReadString('\n')
	return strings.TrimSpace(line) == want
}

// restorePlatform restores the platform DB from its replica. The platform
// DB is the root of everything a server holds open, so this runs only while
// no server runs.
func restorePlatform(ctx context.Context, e *env, rep *replica.Replicator, at time.Time, f restoreFlags) error {
	lock, err := lockDataDir(e.dataDir)
	if errors.Is(err, errLocked) {
		return fmt.Errorf("stop the running server first: the platform DB can only be restored while no server runs")
	} else if err != nil {
		return err
	}
	defer lock.release()
	master, err := e.loadMasterKey()
	if err != nil {
		return err
	}
	live := e.platformPath()
	side := live + ".restore"
	os.Remove(side)
	point, err := rep.RestoreFrom(ctx, "platform/"+master.ID(), master.DerivedKey("platform-replica"), side, at, f.from)
	if err != nil {
		return err
	}
	defer os.Remove(side)
	if err := platform.CheckMasterKey(ctx, side, master); err != nil {
		return err
	}
	sdb, err := sqlite.Open(side, sqlite.Options{ReadOnly: true, ReadConns: 1})
	if err != nil {
		return err
	}
	// The restored chain is checked on its own (from its genesis, epochs
	// only at recorded restores); its checkpoint log is older than the
	// live one, and the restore continues the log from the witnesses.
	head, brk, err := audit.VerifyBootstrap(ctx, sdb.Read, platform.ChainID, "platform.restored", "tenant.restored")
	sdb.Close()
	if err != nil {
		return err
	}
	res := audit.Result{Rows: head.Seq, Head: head, Break: brk}
	chain := "ok"
	if !res.OK() {
		chain = res.Break.Error()
	}
	fmt.Fprintf(e.io.Out, "Restore of the platform DB: replica transaction %d, replicated %s, read from the %s replica\n  integrity check: ok\n  audit chain: %s (%d rows)\n",
		point.TXID, point.Time.Format(time.RFC3339), point.From, chain, res.Rows)
	if chain != "ok" {
		return exitError{code: 3, msg: "the restored platform DB failed its checks; nothing was changed"}
	}
	if f.dryRun {
		fmt.Fprintln(e.io.Out, "Dry run: nothing was changed.")
		return nil
	}
	if !f.yes && !confirm(e, "Type \"platform\" to replace the platform DB with this restore: ", "platform") {
		return exitError{code: 1, msg: "not confirmed; nothing was changed"}
	}
	archiveDir := filepath.Join(e.dataDir, "restore-archive")
	if err := os.MkdirAll(archiveDir, 0o700); err != nil {
		return err
	}
	archive := filepath.Join(archiveDir, "platform-"+time.Now().UTC().Format("20060102T150405Z")+".db")
	// The head being discarded, named in the restore's signed record.
	var discarded audit.Head
	if ldb, err := sqlite.Open(live, sqlite.Options{ReadOnly: true, ReadConns: 1}); err == nil {
		discarded, _ = audit.ReadHead(ctx, ldb.Read, platform.ChainID)
		ldb.Close()
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(live+suffix, archive+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(side, live); err != nil {
		return err
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	epoch, err := e.control.ResumeAfterPlatformRestore(aura.WithActor(ctx, aura.SystemActor("cli:restore")), discarded, map[string]any{
		"point_txid": point.TXID, "point_at": point.Time, "from": point.From, "archive": archive})
	if err != nil {
		return err
	}
	e.platformHead, _ = e.platform.AuditHead(ctx)
	fmt.Fprintf(e.io.Out, "The platform audit chain continues in epoch %d; the checkpoint logs continue from the witnesses.\n", epoch)
	fmt.Fprintf(e.io.Out, "Restored the platform DB. The replaced file is kept at %s.\n", archive)
	ts, err := e.platform.Tenants(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, t := range ts {
		known[t.ID+".db"] = true
	}
	entries, _ := os.ReadDir(e.tenantsDir())
	for _, ent := range entries {
		if strings.HasSuffix(ent.Name(), ".db") && !known[ent.Name()] {
			fmt.Fprintf(e.io.Out, "Note: %s is not in the restored registry (a tenant created after the restore point).\n", filepath.Join(e.tenantsDir(), ent.Name()))
		}
	}
	return nil
}
