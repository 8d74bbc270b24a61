package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aurapms/aura/replica"
)

// replicationTo writes a replication config with its on-site replica in
// the directory replicaDir and a 100ms sync interval at path. With
// compacting, a level-1 compaction runs every 200ms and the L0 retention
// is 1ms, so Litestream's staging beside each file drops its first
// transactions within a second, as it does after minutes in production.
func replicationTo(t *testing.T, path, replicaDir string, compacting bool) {
	t.Helper()
	body := fmt.Sprintf("dbs:\n  - replica:\n      type: file\n      path: %s\n      sync-interval: 100ms\n", replicaDir)
	if compacting {
		body = "l0-retention: 1ms\nlevels:\n  - interval: 200ms\n" + body
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until the server's log holds want, and fails t when it does
// not within hung.
func waitLog(t *testing.T, s *served, want string) {
	t.Helper()
	for deadline := time.Now().Add(hung); !strings.Contains(s.errs.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q:\n%s", want, s.errs.String())
		}
	}
}

// backupRowOf runs `aura backup status --json` with the replication config
// cfg and returns the row of the database named name.
func backupRowOf(t *testing.T, c *cli, cfg, name string) backupRow {
	t.Helper()
	var res struct {
		Databases []backupRow `json:"databases"`
	}
	out := c.mustRun("", "backup", "status", "--json", "--litestream", cfg)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, r := range res.Databases {
		if r.Database == name {
			return r
		}
	}
	t.Fatalf("no row %s in:\n%s", name, out)
	return backupRow{}
}

// waitReplicated waits until the replica of cfg holds every change of the
// database name staged so far, past the transaction after, and returns its
// row.
func waitReplicated(t *testing.T, c *cli, cfg, name string, after uint64) backupRow {
	t.Helper()
	for deadline := time.Now().Add(hung); ; time.Sleep(100 * time.Millisecond) {
		r := backupRowOf(t, c, cfg, name)
		if r.Error == "" && r.ReplicaTXID > after && r.ReplicaTXID == r.LocalTXID {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never caught up in the replica of %s: %+v", name, cfg, r)
		}
	}
}

// calmServed is the set-up the SIGHUP tests share: the tenant calm with
// an owner token for users, served with the replication config live, the
// server's /metrics address, calm's tenant id, and the invitations written
// so far.
type calmServed struct {
	t                *testing.T
	s                *served
	tok, metrics, id string
	written          []string
}

// serveCalm creates the tenant calm and its token in c, serves with the
// replication config live and returns them.
func serveCalm(t *testing.T, c *cli, live string) *calmServed {
	t.Helper()
	c.mustRun("correct horse battery staple\n", "tenant", "create", "calm", "--name", "Calm", "--owner-email", "owner@calm.example", "--owner-password-stdin")
	k := &calmServed{t: t}
	k.tok = strings.TrimSpace(c.mustRun("", "token", "create", "calm", "--email", "owner@calm.example", "--name", "w", "--scopes", "users.read,users.write"))
	k.s = c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", live)
	k.metrics = metricsURL(t, k.s)
	if err := query(t, filepath.Join(c.data, "platform.db"), `SELECT id FROM tenants WHERE slug = 'calm'`, &k.id); err != nil {
		t.Fatal(err)
	}
	return k
}

// write invites email into calm, a write the replicas must then hold, and
// fails the test when the invitation fails.
func (k *calmServed) write(email string) {
	k.t.Helper()
	if !invite(k.t, k.s.https, "calm", k.tok, email) {
		k.t.Fatalf("invite %s failed", email)
	}
	k.written = append(k.written, email)
}

// TestSIGHUPMovesReplication serves with replication to directory A and
// changes the replication config under the running server. A config that
// cannot be used changes nothing: the error is logged and A keeps
// receiving the writes. A config naming directory B moves the platform DB
// and the open tenant there at the SIGHUP, after Litestream's staging has
// dropped their first transactions (so B starts with a full snapshot):
// `aura backup status` and /metrics then report B, every write from before
// and after the move is in B, and a point-in-time restore from B to after
// the writes holds them all and none written later.
func TestSIGHUPMovesReplication(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	live, cfgA, cfgB := filepath.Join(dir, "litestream.yml"), filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yml")
	dirA, dirB := filepath.Join(dir, "A"), filepath.Join(dir, "B")
	replicationTo(t, live, dirA, true)
	replicationTo(t, cfgA, dirA, true)
	replicationTo(t, cfgB, dirB, false)
	k := serveCalm(t, c, live)
	s, tok, metrics, calmID, write := k.s, k.tok, k.metrics, k.id, k.write
	sighup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// Writes until Litestream's staging of the tenant has dropped its
	// first transaction: B cannot be filled from the staging.
	first := filepath.Join(replica.StagingDir(filepath.Join(c.data, "tenants", calmID+".db")), "ltx", "0", "0000000000000001-0000000000000001.ltx")
	for i := 0; ; i++ {
		write(fmt.Sprintf("before-%d@calm.example", i))
		row := waitReplicated(t, c, cfgA, "calm", 0)
		if _, err := os.Stat(first); os.IsNotExist(err) && row.ReplicaTXID > 1 {
			break
		}
		if i == 200 {
			t.Fatal("Litestream's staging still holds the tenant's first transaction after 200 writes")
		}
	}

	// An unusable config: logged, and A goes on.
	if err := os.WriteFile(live, append(must(os.ReadFile(cfgB)), "bogus-key: 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	atA := backupRowOf(t, c, cfgA, "calm").ReplicaTXID
	sighup()
	waitLog(t, s, "the replication config changed and cannot be used; replication goes on as before")
	write("during-invalid@calm.example")
	if row := waitReplicated(t, c, cfgA, "calm", atA); !strings.Contains(row.Where, dirA) {
		t.Fatalf("after the refused config: %+v", row)
	}
	if _, err := os.Stat(dirB); !os.IsNotExist(err) {
		t.Fatalf("the refused config's replica directory was written: %v", err)
	}
	if strings.Contains(s.errs.String(), "replication config applied") {
		t.Fatal("an unusable config was applied")
	}

	// B: applied at the SIGHUP.
	if err := os.WriteFile(live, must(os.ReadFile(cfgB)), 0o600); err != nil {
		t.Fatal(err)
	}
	sighup()
	waitLog(t, s, "SIGHUP: replication config applied")
	// The move shipped the last changes to A first.
	lastA := backupRowOf(t, c, cfgA, "calm").ReplicaTXID
	for i := 0; i < 3; i++ {
		write(fmt.Sprintf("after-%d@calm.example", i))
	}
	for _, db := range []string{"platform", "calm"} {
		if row := waitReplicated(t, c, cfgB, db, 0); !strings.Contains(row.Where, dirB) {
			t.Fatalf("backup status of %s after the move: %+v", db, row)
		}
	}
	if row := backupRowOf(t, c, cfgA, "calm"); row.ReplicaTXID != lastA {
		t.Fatalf("A was written after the move: replica TXID %d, was %d", row.ReplicaTXID, lastA)
	}
	fams := scrape(t, metrics)
	for _, id := range []string{"platform", calmID} {
		if v, ok := value(fams, "aura_replication_target_info", map[string]string{"db": id, "replica": "on-site", "where": "file " + dirB}); !ok || v != 1 {
			t.Fatalf("/metrics does not place %s's on-site replica in B", id)
		}
		if _, ok := value(fams, "aura_replication_target_info", map[string]string{"db": id, "where": "file " + dirA}); ok {
			t.Fatalf("/metrics still places %s in A", id)
		}
	}

	// A point-in-time restore from B after the writes has every one of
	// them, and not one written later.
	at := time.Now().UTC()
	waitReplicated(t, c, cfgB, "calm", 0)
	for !time.Now().After(at.Add(200 * time.Millisecond)) {
		time.Sleep(10 * time.Millisecond)
	}
	write("late@calm.example")
	waitReplicated(t, c, cfgB, "calm", 0)
	if out := c.mustRun("", "restore", "calm", "--at", at.Format(time.RFC3339Nano), "--from", "on-site", "--yes", "--litestream", cfgB); !strings.Contains(out, "Restored calm") {
		t.Fatalf("restore output:\n%s", out)
	}
	got := userEmails(t, s.https, "calm", tok)
	for _, e := range k.written[:len(k.written)-1] {
		if !got[e] {
			t.Errorf("%s is not in the restore from B", e)
		}
	}
	if got["late@calm.example"] {
		t.Error("the restore to a time before late@ has it")
	}
	c.mustRun("", "audit", "verify", "calm", "--litestream", cfgB)
}

// TestSIGHUPMovesOffSite changes only the off-site target of a running
// server: the on-site directory stays, the default target eu moves from
// one prefix of a versitygw bucket to another. After the SIGHUP the new
// prefix receives the tenant's whole replica (the mirror copies what it
// lacks), the old one receives nothing more, /metrics names the new one,
// and the tenant restores from the new off-site copy with every write.
func TestSIGHUPMovesOffSite(t *testing.T) {
	url, _ := startVersitygw(t)
	c := newCLI(t)
	dir := t.TempDir()
	onSite := filepath.Join(dir, "replica")
	live, cfgOne, cfgTwo := filepath.Join(dir, "litestream.yml"), filepath.Join(dir, "one.yml"), filepath.Join(dir, "two.yml")
	config := func(path, prefix string) {
		body := fmt.Sprintf("dbs:\n  - replicas:\n      - type: file\n        path: %s\n        sync-interval: 100ms\n"+
			"      - name: eu\n        type: s3\n        bucket: aura\n        path: %s\n        endpoint: %s\n        region: eu-central\n"+
			"        force-path-style: true\n        access-key-id: aura-access\n        secret-access-key: aura-secret-0123456789\n", onSite, prefix, url)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config(live, "one")
	config(cfgOne, "one")
	config(cfgTwo, "two")
	k := serveCalm(t, c, live)
	s, tok, metrics, calmID, write := k.s, k.tok, k.metrics, k.id, k.write
	// offSiteInStep waits until the off-site copy of cfg holds every change
	// of calm staged so far, and returns its replica TXID.
	offSiteInStep := func(cfg string) uint64 {
		t.Helper()
		for deadline := time.Now().Add(hung); ; time.Sleep(100 * time.Millisecond) {
			r := backupRowOf(t, c, cfg, "calm")
			if o := r.OffSite; r.Error == "" && o != nil && o.Error == "" && o.ReplicaTXID > 0 && o.ReplicaTXID == r.LocalTXID {
				return o.ReplicaTXID
			}
			if time.Now().After(deadline) {
				t.Fatalf("calm's off-site copy of %s never caught up: %+v off-site %+v", cfg, r, r.OffSite)
			}
		}
	}
	for i := 0; i < 3; i++ {
		write(fmt.Sprintf("before-%d@calm.example", i))
	}
	offSiteInStep(cfgOne)

	if err := os.WriteFile(live, must(os.ReadFile(cfgTwo)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "SIGHUP: replication config applied")
	lastOne := backupRowOf(t, c, cfgOne, "calm").OffSite.ReplicaTXID
	for i := 0; i < 3; i++ {
		write(fmt.Sprintf("after-%d@calm.example", i))
	}
	offSiteInStep(cfgTwo)
	if got := backupRowOf(t, c, cfgOne, "calm").OffSite.ReplicaTXID; got != lastOne {
		t.Fatalf("the old off-site prefix was written after the move: replica TXID %d, was %d", got, lastOne)
	}
	where := "eu: s3://aura/two at " + url
	if v, ok := value(scrape(t, metrics), "aura_replication_target_info", map[string]string{"db": calmID, "replica": "off-site", "where": where}); !ok || v != 1 {
		t.Fatalf("/metrics does not place calm's off-site copy at %s", where)
	}
	if out := c.mustRun("", "restore", "calm", "--latest", "--from", "off-site", "--yes", "--litestream", cfgTwo); !strings.Contains(out, "Restored calm") {
		t.Fatalf("restore output:\n%s", out)
	}
	got := userEmails(t, s.https, "calm", tok)
	for _, e := range k.written {
		if !got[e] {
			t.Errorf("%s is not in the restore from the new off-site copy", e)
		}
	}
}
