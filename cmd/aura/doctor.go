package main

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/schema"
)

// Doctor levels, which are also the exit code of `aura doctor`: 0 when
// every check passed, 1 with warnings, 2 with a failure.
const (
	levelOK = iota
	levelWarn
	levelFail
)

// finding is one line of `aura doctor`.
type finding struct {
	level        int
	check        string
	msg, fix     string
	skippedCheck bool
}

type doctor struct {
	e        *env
	findings []finding
	skip     map[string]bool
	now      time.Time
}

func (d *doctor) add(level int, check, msg, fix string) {
	d.findings = append(d.findings, finding{level: level, check: check, msg: msg, fix: fix})
}

// Thresholds of the checks.
const (
	doctorFreeFail     = 1 << 30 // bytes free under which the data volume fails
	doctorFreeWarn     = 5 << 30
	doctorCertWarn     = 14 * 24 * time.Hour // ACME renews 30 days ahead: 14 left means renewals fail
	doctorReplicaLag   = 10 * time.Minute
	doctorDrillMaxAge  = 48 * time.Hour // drills run daily
	doctorReplicaLimit = 60 * time.Second
)

// doctorChecks names the checks --skip takes.
var doctorChecks = []string{"toolchain", "keys", "data-dir", "time-sync", "tls", "schema", "audit", "drills", "replica"}

func cmdDoctor(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("doctor", "doctor [--tls-cert FILE] [--litestream FILE] [--skip CHECK,…]")
	tlsCert := fl.String("tls-cert", os.Getenv("AURA_TLS_CERT"), "certificate file served with --tls-cert (env AURA_TLS_CERT); ACME certificates in DATA/acme are checked too")
	litestream := litestreamFlag(fl)
	skip := fl.String("skip", "", "checks to leave out, comma-separated: "+strings.Join(doctorChecks, ", "))
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	d := &doctor{e: e, skip: map[string]bool{}, now: time.Now()}
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		known := false
		for _, c := range doctorChecks {
			known = known || c == s
		}
		if !known {
			return fmt.Errorf("--skip %s: no such check (checks: %s)", s, strings.Join(doctorChecks, ", "))
		}
		d.skip[s] = true
	}
	run := func(name string, f func()) {
		if !d.skip[name] {
			f()
		}
	}
	run("toolchain", d.toolchain)
	var master *keys.MasterKey
	run("keys", func() { master = d.keys() })
	run("data-dir", d.dataDir)
	run("time-sync", d.timeSync)
	run("tls", func() { d.tls(*tlsCert) })
	platformOK := true
	run("schema", func() { platformOK = d.schema(ctx) })
	if master == nil && !d.skip["keys"] {
		for _, c := range []string{"audit", "drills", "replica"} {
			if !d.skip[c] {
				d.findings = append(d.findings, finding{level: levelWarn, check: c, msg: "not checked: the master key did not load (see keys)", skippedCheck: true})
			}
		}
	} else if !platformOK {
		for _, c := range []string{"audit", "drills", "replica"} {
			if !d.skip[c] {
				d.findings = append(d.findings, finding{level: levelWarn, check: c, msg: "not checked: the platform DB is not at this binary's schema (see schema)", skippedCheck: true})
			}
		}
	} else if !d.skip["audit"] || !d.skip["drills"] || !d.skip["replica"] {
		if err := e.open(ctx, false); err != nil {
			d.add(levelFail, "platform", "the platform DB does not open: "+message(err), "see the message; `aura doctor` opens it as the server does")
		} else {
			run("audit", func() { d.audit(ctx) })
			run("drills", func() { d.drills(ctx) })
			run("replica", func() { d.replica(ctx, *litestream) })
		}
	}
	return d.report()
}

// report prints the findings and returns the exit code as an error.
func (d *doctor) report() error {
	worst, warns, fails := levelOK, 0, 0
	for _, f := range d.findings {
		label := map[int]string{levelOK: "[ OK ]", levelWarn: "[WARN]", levelFail: "[FAIL]"}[f.level]
		fmt.Fprintf(d.e.io.Out, "%s %-10s %s\n", label, f.check, f.msg)
		if f.fix != "" && f.level != levelOK {
			fmt.Fprintf(d.e.io.Out, "       %-10s fix: %s\n", "", f.fix)
		}
		worst = max(worst, f.level)
		switch f.level {
		case levelWarn:
			warns++
		case levelFail:
			fails++
		}
	}
	switch worst {
	case levelFail:
		return exitError{code: 2, msg: fmt.Sprintf("doctor: %d failures, %d warnings", fails, warns)}
	case levelWarn:
		return exitError{code: 1, msg: fmt.Sprintf("doctor: %d warnings", warns)}
	}
	fmt.Fprintln(d.e.io.Out, "All checks passed.")
	return nil
}

func (d *doctor) toolchain() {
	b := currentBuild()
	d.add(levelOK, "toolchain", fmt.Sprintf("aura %s (commit %.12s), built with %s; schema tenant %d, platform %d", b.Version, b.Commit, b.Go, b.TenantSchema, b.PlatformSchema), "")
}

// keys checks the master and signing key files: present, private (no
// group or other bits), outside the data directory, and preferably on
// another volume or handed over by systemd's LoadCredential=.
func (d *doctor) keys() *keys.MasterKey {
	e := d.e
	master, err := e.loadMasterKey()
	if err != nil {
		d.add(levelFail, "keys", "master key: "+message(err), "keep the key in a root-only directory outside the data volume, mode 0600, and pass it with LoadCredential=master.key:… (docs/SELF-HOSTING.md)")
		return nil
	}
	d.keyLocation("master key", e.masterKeyFile)
	signing := e.signingKeyFile
	if signing == "" {
		signing = keys.DefaultSigningKeyPath(e.masterKeyFile)
	}
	if _, err := keys.LoadSigningKey(signing, e.dataDir); err != nil {
		d.add(levelFail, "keys", "audit signing key: "+message(err), "keep it beside the master key, mode 0600, and pass it with LoadCredential=audit-signing.key:…")
	} else {
		d.keyLocation("audit signing key", signing)
	}
	return master
}

func (d *doctor) keyLocation(what, path string) {
	if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" && keys.Inside(path, dir) {
		d.add(levelOK, "keys", fmt.Sprintf("%s %s: mode 0600 or stricter, handed over by systemd (LoadCredential=)", what, path), "")
		return
	}
	if sameVolume(path, d.e.dataDir) {
		d.add(levelWarn, "keys", fmt.Sprintf("%s %s is on the same volume as the data directory %s: a copy or theft of that disk carries the key with the data", what, path, d.e.dataDir),
			"move it to another volume (e.g. /etc/aura/keys on the system disk) and hand it to the service with LoadCredential=")
		return
	}
	d.add(levelOK, "keys", fmt.Sprintf("%s %s: private, outside the data directory, on another volume", what, path), "")
}

// dataDir checks the data directory's mode and the free space on its volume.
func (d *doctor) dataDir() {
	dir := d.e.dataDir
	fi, err := os.Stat(dir)
	if err != nil {
		d.add(levelFail, "data-dir", fmt.Sprintf("%s: %v", dir, err), "give the right --data (or AURA_DATA); `aura tenant create` creates it")
		return
	}
	if err := checkDataDirMode(dir); err != nil {
		d.add(levelFail, "data-dir", err.Error(), "chmod 700 "+dir)
	} else {
		d.add(levelOK, "data-dir", fmt.Sprintf("%s: mode %04o", dir, fi.Mode().Perm()), "")
	}
	free, total, err := diskSpace(dir)
	switch {
	case err != nil:
		d.add(levelWarn, "data-dir", "free space unknown: "+err.Error(), "check with df")
	case free < doctorFreeFail || free*50 < total:
		d.add(levelFail, "data-dir", fmt.Sprintf("only %s free of %s: SQLite and Litestream's staging stop writing when it runs out", bytesWords(free), bytesWords(total)),
			"free space or grow the volume now (docs/SELF-HOSTING.md, moving to a bigger server)")
	case free < doctorFreeWarn || free*10 < total:
		d.add(levelWarn, "data-dir", fmt.Sprintf("%s free of %s", bytesWords(free), bytesWords(total)), "plan more space: a restore also needs room for a second copy of a tenant file")
	default:
		d.add(levelOK, "data-dir", fmt.Sprintf("%s free of %s", bytesWords(free), bytesWords(total)), "")
	}
}

func bytesWords(n uint64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// timeSync asks systemd whether the clock is synchronised: audit rows,
// sessions, TOTP codes and point-in-time restores all read it.
func (d *doctor) timeSync() {
	fix := "enable time synchronisation: timedatectl set-ntp true (systemd-timesyncd) or install chrony"
	out, err := exec.Command("timedatectl", "show", "--property=NTPSynchronized", "--value").Output()
	switch v := strings.TrimSpace(string(out)); {
	case err == nil && v == "yes":
		d.add(levelOK, "time-sync", "the clock is synchronised (timedatectl)", "")
	case err == nil:
		d.add(levelFail, "time-sync", "the clock is not synchronised (timedatectl NTPSynchronized="+v+"): TOTP codes, session expiry and restore times depend on it", fix)
	default:
		if _, err := os.Stat("/run/systemd/timesync/synchronized"); err == nil {
			d.add(levelOK, "time-sync", "the clock is synchronised (systemd-timesyncd)", "")
			return
		}
		d.add(levelWarn, "time-sync", "could not tell whether the clock is synchronised (no timedatectl answer)", fix+"; in a container the host keeps the time: --skip time-sync")
	}
}

// tls checks the expiry of the certificate file and of ACME's cached
// certificates.
func (d *doctor) tls(certFile string) {
	files := []string{}
	if certFile != "" {
		files = append(files, certFile)
	}
	acme, _ := filepath.Glob(filepath.Join(d.e.dataDir, "acme", "*"))
	for _, f := range acme {
		if b := filepath.Base(f); !strings.HasSuffix(b, "+token") && !strings.Contains(b, "acme_account") && !strings.HasSuffix(b, "+rsa") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		d.add(levelOK, "tls", "no certificate to check (give --tls-cert FILE for a certificate served from files)", "")
		return
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			d.add(levelFail, "tls", fmt.Sprintf("%s: %v", f, err), "give the certificate file aura serve uses")
			continue
		}
		var leaf *x509.Certificate
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				if leaf, err = x509.ParseCertificate(blk.Bytes); err == nil {
					break
				}
			}
		}
		if leaf == nil {
			if f == certFile {
				d.add(levelFail, "tls", f+" holds no PEM certificate", "give the certificate chain file aura serve uses")
			}
			continue
		}
		left := leaf.NotAfter.Sub(d.now)
		names := strings.Join(leaf.DNSNames, ",")
		switch {
		case left <= 0:
			d.add(levelFail, "tls", fmt.Sprintf("%s (%s) expired on %s: browsers refuse the site", f, names, leaf.NotAfter.UTC().Format(time.DateOnly)),
				"renew it and send SIGHUP (systemctl reload aura); with --tls-domain check the ACME log lines and that ports 80/443 are reachable")
		case left < doctorCertWarn:
			d.add(levelWarn, "tls", fmt.Sprintf("%s (%s) expires in %d days (%s)", f, names, int(left.Hours()/24), leaf.NotAfter.UTC().Format(time.DateOnly)),
				"renewal is overdue: renew and send SIGHUP, or check why ACME does not renew")
		default:
			d.add(levelOK, "tls", fmt.Sprintf("%s (%s) valid until %s", f, names, leaf.NotAfter.UTC().Format(time.DateOnly)), "")
		}
	}
}

// schema compares the platform DB's and every tenant file's schema with
// this binary's: a newer file is a downgrade (refused), an older one is
// migrated at its next open, after a copy. It reports whether the platform
// DB is at this binary's version.
func (d *doctor) schema(ctx context.Context) bool {
	check := func(path string, set schema.Set) (top int, known bool, err error) {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			return 0, false, err
		}
		defer db.Close()
		done, err := schema.Applied(ctx, db)
		if err != nil {
			return 0, false, err
		}
		for v := range done {
			top = max(top, v)
		}
		return top, true, nil
	}
	platformOK := true
	type file struct {
		path string
		set  schema.Set
	}
	files := []file{{d.e.platformPath(), schema.Platform}}
	tenants, _ := filepath.Glob(filepath.Join(d.e.tenantsDir(), "*.db"))
	sort.Strings(tenants)
	for _, t := range tenants {
		files = append(files, file{t, schema.Tenant})
	}
	pending, newer := 0, 0
	for _, f := range files {
		if _, err := os.Stat(f.path); err != nil {
			if f.set == schema.Platform {
				d.add(levelWarn, "schema", "no platform DB yet in "+d.e.dataDir, "create the first tenant (aura tenant create) or start the server")
				platformOK = false
			}
			continue
		}
		top, _, err := check(f.path, f.set)
		latest := schema.Latest(f.set)
		switch {
		case err != nil:
			d.add(levelFail, "schema", fmt.Sprintf("%s: %v", f.path, err), "check the file with sqlite3 FILE 'PRAGMA integrity_check'")
			platformOK = platformOK && f.set != schema.Platform
		case top > latest:
			newer++
			d.add(levelFail, "schema", fmt.Sprintf("%s holds %s schema version %d; this binary knows up to %d: a newer Aura wrote it", f.path, f.set, top, latest),
				"run the newer Aura again (downgrades are not supported), or restore the copy FILE"+schema.BackupMarker+"N taken before the upgrade")
			platformOK = platformOK && f.set != schema.Platform
		case top < latest:
			pending++
			if f.set == schema.Platform {
				platformOK = false
				d.add(levelWarn, "schema", fmt.Sprintf("the platform DB is at schema version %d; this binary migrates it to %d at the next start (after a copy beside it)", top, latest), "start the server with this binary")
			}
		}
		copies, _ := filepath.Glob(f.path + schema.BackupMarker + "*")
		for _, c := range copies {
			d.add(levelOK, "schema", "a copy taken before an upgrade is kept until the next successful start: "+c, "")
		}
	}
	if pending > 0 {
		d.add(levelWarn, "schema", fmt.Sprintf("%d file(s) have migrations pending: each is copied beside itself (VACUUM INTO) and migrated when it next opens", pending), "nothing to do; make sure the data volume has room for the copies")
	}
	if pending == 0 && newer == 0 {
		d.add(levelOK, "schema", fmt.Sprintf("%d file(s) at this binary's schema (tenant %d, platform %d)", len(files), schema.Latest(schema.Tenant), schema.Latest(schema.Platform)), "")
	}
	return platformOK
}

// tenantNames maps tenant ids to slugs.
func (d *doctor) tenantNames(ctx context.Context) (map[string]platform.Tenant, error) {
	ts, err := d.e.platform.Tenants(ctx)
	out := map[string]platform.Tenant{}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, err
}

// audit reports the audit chains found broken by the signer or a verification.
func (d *doctor) audit(ctx context.Context) {
	states, err := d.e.platform.AuditStatuses(ctx)
	if err != nil {
		d.add(levelFail, "audit", "audit states unreadable: "+message(err), "")
		return
	}
	names, _ := d.tenantNames(ctx)
	broken := 0
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := states[id]
		if !s.Broken() {
			continue
		}
		broken++
		name, cmd := "the platform chain", "aura audit verify --platform"
		if t, ok := names[id]; ok {
			name, cmd = "tenant "+t.Slug, "aura audit verify "+t.Slug
		}
		d.add(levelFail, "audit", fmt.Sprintf("%s is BROKEN from seq %d: %s", name, s.FirstBadSeq, s.Reason),
			fmt.Sprintf("run `%s`, find who changed the file outside Aura, and restore the tenant from before the break (aura restore)", cmd))
	}
	if broken == 0 {
		d.add(levelOK, "audit", fmt.Sprintf("no broken audit chain (%d checked)", len(states)), "")
	}
}

// drills reports the last restore drill of every active tenant.
func (d *doctor) drills(ctx context.Context) {
	drills, err := d.e.platform.LatestDrills(ctx)
	if err != nil {
		d.add(levelFail, "drills", "drills unreadable: "+message(err), "")
		return
	}
	names, _ := d.tenantNames(ctx)
	var slugs []string
	for _, t := range names {
		if t.Status == platform.StatusActive {
			slugs = append(slugs, t.Slug)
		}
	}
	sort.Strings(slugs)
	bySlug := map[string]string{}
	for id, t := range names {
		bySlug[t.Slug] = id
	}
	problems := 0
	for _, slug := range slugs {
		dr, ok := drills[bySlug[slug]]
		switch {
		case !ok:
			problems++
			d.add(levelWarn, "drills", "tenant "+slug+" has never had a restore drill", "run `aura backup verify "+slug+"` (the server drills every tenant daily)")
		case !dr.OK:
			problems++
			d.add(levelFail, "drills", fmt.Sprintf("the last restore drill of %s (%s) FAILED: integrity %s, chain %s %s", slug, dr.RanAt.UTC().Format(time.RFC3339), dr.Integrity, dr.Chain, dr.Detail),
				"run `aura backup verify "+slug+"` and read docs/SELF-HOSTING.md (restoring one tenant)")
		case d.now.Sub(dr.RanAt) > doctorDrillMaxAge:
			problems++
			d.add(levelWarn, "drills", fmt.Sprintf("the last restore drill of %s ran %s ago", slug, d.now.Sub(dr.RanAt).Round(time.Hour)), "is the server running? It drills daily; or run `aura backup verify`")
		}
	}
	if problems == 0 {
		d.add(levelOK, "drills", fmt.Sprintf("the last restore drill of each of %d active tenant(s) passed within %s", len(slugs), doctorDrillMaxAge), "")
	}
}

// replica reads the platform's and every tenant's replicas with its key,
// on-site and off-site: reachable, readable, and not far behind; and warns
// when no off-site target is configured.
func (d *doctor) replica(ctx context.Context, litestream string) {
	ctx, cancel := context.WithTimeout(ctx, doctorReplicaLimit)
	defer cancel()
	rep, cfg, err := d.e.replicaReader(litestream)
	if err != nil {
		d.add(levelFail, "replica", "replication config: "+message(err), "fix the file given by --litestream / AURA_LITESTREAM")
		return
	}
	defer rep.Close(context.WithoutCancel(ctx))
	master, err := d.e.loadMasterKey()
	if err != nil {
		return
	}
	fix := "check the endpoint, bucket, credentials and firewall in " + orDash(litestream) + "; `aura backup status` shows each database"
	if len(cfg.Targets) == 0 {
		d.add(levelWarn, "replica", fmt.Sprintf("no off-site replica: the backups live only on this server (%s), so losing the server loses them", cfg.Destination),
			"add an s3 replica (Hetzner Object Storage) after the file one in "+orDash(litestream)+"; see docs/SELF-HOSTING.md")
	}
	st, err := rep.Inspect(ctx, d.e.platformPath(), "platform/"+master.ID(), master.DerivedKey("platform-replica"))
	if err != nil {
		d.add(levelFail, "replica", fmt.Sprintf("the on-site replica at %s cannot be read: %s", cfg.Destination, errText(err)), fix)
		return
	}
	lagging, failed := 0, 0
	if st.Lag > doctorReplicaLag {
		lagging++
		d.add(levelWarn, "replica", fmt.Sprintf("the platform DB's on-site replica is %s behind", st.Lag.Round(time.Second)), "is the server running and the replica reachable? see the server's log")
	}
	offSite := func(what string, o *replica.TargetStatus) {
		switch {
		case o == nil:
		case o.Error != "":
			failed++
			d.add(levelFail, "replica", fmt.Sprintf("%s: the off-site copy at %s cannot be read: %s", what, o.Where, o.Error), fix)
		case o.Lag > doctorReplicaLag:
			lagging++
			d.add(levelWarn, "replica", fmt.Sprintf("%s: the off-site copy at %s is %s behind", what, o.Where, o.Lag.Round(time.Second)), "is the off-site target reachable from the server? see the server's log")
		}
	}
	offSite("the platform DB", st.OffSite)
	d.e.control.Replicator = rep
	statuses, err := d.e.control.BackupStatuses(ctx)
	if err != nil {
		d.add(levelFail, "replica", "tenant replicas: "+errText(err), fix)
		return
	}
	for _, b := range statuses {
		offSite("tenant "+b.Slug, b.Replica.OffSite)
		switch {
		case b.Error != "":
			failed++
			d.add(levelFail, "replica", fmt.Sprintf("tenant %s: the replica cannot be read: %s", b.Slug, b.Error), fix)
		case b.Replica.ReplicaTXID == 0:
			lagging++
			d.add(levelWarn, "replica", fmt.Sprintf("tenant %s: the replica holds nothing yet", b.Slug), "the server replicates a tenant while it is open: start it (a tenant created beside a stopped server is replicated when first used)")
		case b.Replica.Lag > doctorReplicaLag:
			lagging++
			d.add(levelWarn, "replica", fmt.Sprintf("tenant %s: the replica is %s behind", b.Slug, b.Replica.Lag.Round(time.Second)), "is the server running and the replica reachable? see the server's log")
		}
	}
	if failed == 0 && lagging == 0 {
		d.add(levelOK, "replica", fmt.Sprintf("%s: the platform DB and %d tenant replica(s) read with their keys, on-site and off-site, none more than %s behind", cfg.Where(""), len(statuses), doctorReplicaLag), "")
	}
}

func errText(err error) string {
	if aura.ErrorCode(err) == aura.EINTERNAL {
		return err.Error()
	}
	return aura.ErrorMessage(err)
}
