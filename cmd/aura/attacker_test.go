package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// attackScene is a data directory after a normal day: tenant alpha with its
// owner and an API token, a staff member who impersonated alpha (recorded in
// both chains), users invited over the API, every chain signed, the
// server stopped. The attacker then writes the files; the tests restart
// the server and check that Aura notices.
type attackScene struct {
	c        *cli
	litecfg  string // the replication config (its destination holds a witness)
	witness  string // the --audit-witness file
	token    string
	secret   []byte // the staff member's TOTP key
	lastStep int64  // the last TOTP step used to sign in
	alpha    string // alpha's file
	replica  string // where the replica store's witness objects are, for messages
}

func newAttackScene(t *testing.T, s3 bool) *attackScene {
	t.Helper()
	sc := &attackScene{c: newCLI(t), witness: filepath.Join(t.TempDir(), "witness", "aura.witness")}
	if s3 {
		sc.litecfg, sc.replica = s3Replication(t)
	} else {
		sc.litecfg = fastReplication(t)
		sc.replica = filepath.Join(filepath.Dir(sc.litecfg), "replica", "audit-witness")
	}
	c := sc.c
	c.mustRun("correct horse battery staple\n", "tenant", "create", "alpha", "--name", "Alpha", "--owner-email", "owner@alpha.example", "--owner-password-stdin")
	sc.token = strings.TrimSpace(c.mustRun("", "token", "create", "alpha", "--email", "owner@alpha.example", "--name", "ops", "--scopes", "users.read,users.write"))
	staffOut := c.mustRun("river stone lantern\n", "staff", "create", "sam@aura.example", "--password-stdin")
	m := regexp.MustCompile(`key:\s+([A-Z2-7]+)`).FindStringSubmatch(staffOut)
	if m == nil {
		t.Fatalf("no TOTP key: %s", staffOut)
	}
	var err error
	if sc.secret, err = secretEncodingDecode(m[1]); err != nil {
		t.Fatal(err)
	}
	srv := sc.serve(t)
	invite(t, srv.https, "alpha", sc.token, "before@alpha.example")
	staff := sc.staffLogin(t, srv)
	resp := sc.post(t, srv, "/platform/tenants/alpha/impersonate", url.Values{"reason": {"Ticket 9: look at a booking"}, "minutes": {"15"}}, staff)
	imp := findCookie(resp, "aura_imp")
	if imp == nil {
		t.Fatalf("impersonate: %d", resp.StatusCode)
	}
	if resp := sc.post(t, srv, "/alpha/impersonation/end", url.Values{}, imp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end impersonation: %d", resp.StatusCode)
	}
	for i := range 3 {
		invite(t, srv.https, "alpha", sc.token, fmt.Sprintf("after-%d@alpha.example", i))
	}
	srv.stop() // closes alpha's file, which signs its head
	if out := c.mustRun("", "audit", "verify", "alpha", "--audit-witness", sc.witness, "--litestream", sc.litecfg); !strings.Contains(out, "agrees with") {
		t.Fatalf("the scene does not verify with its witnesses: %s", out)
	}
	c.mustRun("", "audit", "verify", "--platform", "--audit-witness", sc.witness, "--litestream", sc.litecfg)
	var list []struct{ ID, File string }
	if err := json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	sc.alpha = list[0].File
	return sc
}

// noRedirect is a plain-HTTP client that shows redirects instead of
// following them (the scene's server runs with --dev).
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// s3Replication starts an S3 server on loopback inside the test (the same
// in-process server the replica tests use) and writes a litestream.yml for
// it. It returns the config and the witness's location.
func s3Replication(t *testing.T) (string, string) {
	t.Helper()
	// Litestream's S3 client cannot take a custom CA bundle (README).
	t.Setenv("AWS_CA_BUNDLE", "")
	backend := s3mem.New()
	if err := backend.CreateBucket("aura-test"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "litestream.yml")
	body := fmt.Sprintf("dbs:\n  - replica:\n      type: s3\n      bucket: aura-test\n      path: aura\n      endpoint: %s\n      region: eu-central\n      force-path-style: true\n      access-key-id: test\n      secret-access-key: test\n      sync-interval: 100ms\n", srv.URL)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, "s3://aura-test/aura/audit-witness"
}

func (sc *attackScene) serve(t *testing.T) *served {
	t.Helper()
	return sc.c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", sc.litecfg, "--audit-witness", sc.witness)
}

func (sc *attackScene) post(t *testing.T, srv *served, path string, form url.Values, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.https+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (sc *attackScene) staffLogin(t *testing.T, srv *served) *http.Cookie {
	t.Helper()
	// Each sign-in needs a step not used before (a code is accepted once);
	// the next step is accepted too (clock skew), so rarely is there a wait.
	step := max(credential.TOTPStep(time.Now()), sc.lastStep+1)
	for step > credential.TOTPStep(time.Now())+credential.TOTPSkew {
		time.Sleep(time.Second)
	}
	sc.lastStep = step
	code := credential.TOTPCode(sc.secret, time.Unix(step*30, 0))
	resp := sc.post(t, srv, "/platform/login", url.Values{"email": {"sam@aura.example"}, "password": {"river stone lantern"}, "code": {code}})
	ck := findCookie(resp, "aura_staff")
	if ck == nil {
		t.Fatalf("staff sign-in: %d", resp.StatusCode)
	}
	return ck
}

func (sc *attackScene) get(t *testing.T, srv *served, path string, ck *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.https+path, nil)
	if ck != nil {
		req.AddCookie(ck)
	} else {
		req.Header.Set("Authorization", "Bearer "+sc.token)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// afterAttack runs the server over the tampered files (alpha is opened by a
// request, which signs it), stops it (closing signs again), starts it
// again, and returns the platform tenants page and the staff health answer
// as staff see them then.
func (sc *attackScene) afterAttack(t *testing.T) (page, health string) {
	t.Helper()
	srv := sc.serve(t)
	sc.get(t, srv, "/alpha/api/v1/users", nil)
	invite(t, srv.https, "alpha", sc.token, "later@alpha.example")
	srv.stop()
	srv = sc.serve(t)
	defer srv.stop()
	staff := sc.staffLogin(t, srv)
	code, page := sc.get(t, srv, "/platform/tenants", staff)
	if code != http.StatusOK {
		t.Fatalf("/platform/tenants: %d", code)
	}
	if code, health = sc.get(t, srv, "/platform/healthz", staff); code != http.StatusOK {
		t.Fatalf("/platform/healthz: %d %s", code, health)
	}
	return page, health
}

// verifyFails runs `aura audit verify` and checks it exits 3 naming the
// first bad seq and the reason.
func (sc *attackScene) verifyFails(t *testing.T, seq int64, reason string, args ...string) string {
	t.Helper()
	code, out, errs := sc.c.run("", append([]string{"audit", "verify", "--audit-witness", sc.witness, "--litestream", sc.litecfg}, args...)...)
	want := fmt.Sprintf("first bad seq %d: ", seq)
	if code != 3 || !strings.Contains(errs, want) || !strings.Contains(errs, reason) {
		t.Fatalf("audit verify %v: exit %d, want 3 with %q and %q\n%s%s", args, code, want, reason, out, errs)
	}
	return errs
}

// sqlOn edits a closed file as an attacker with sqlite3 would: the
// append-only triggers dropped first.
func sqlOn(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, tr := range []string{"audit_log_no_update", "audit_log_no_delete", "checkpoint_log_no_update", "checkpoint_log_no_delete"} {
		raw.Exec(`DROP TRIGGER IF EXISTS ` + tr)
	}
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// rechain recomputes prev_hash and hash of every row from seq from on, as an
// attacker who knows the (public) hash rule would after editing rows.
func rechain(t *testing.T, path string, from int64) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT ` + audit.Columns + ` FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var all []audit.Row
	for rows.Next() {
		r, err := audit.Scan(rows)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	for i := range all {
		r := &all[i]
		if r.Seq < from {
			continue
		}
		old := r.Seq
		r.Seq = int64(i + 1) // close the gap the deleted rows left
		r.PrevHash = all[i-1].Hash
		r.Hash = r.ComputeHash()
		if _, err := raw.Exec(`UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?`, r.Seq, r.PrevHash, r.Hash, old); err != nil {
			t.Fatal(err)
		}
	}
}

func seqOf(t *testing.T, path, action string) int64 {
	t.Helper()
	var seq int64
	if err := query(t, path, `SELECT seq FROM audit_log WHERE action = ? ORDER BY seq LIMIT 1`, &seq, action); err != nil {
		t.Fatalf("no %s row in %s: %v", action, path, err)
	}
	return seq
}

// TestAttackerWithTheFiles is issue 10's "done when": each case does what
// someone who can write the data files but holds no key would do, then lets
// the server run, sign, close and restart. In every case `aura audit
// verify` exits 3 naming the first bad seq and the reason, and staff see
// the chain as broken on /platform.
func TestAttackerWithTheFiles(t *testing.T) {
	t.Run("ErrImpersonationRemovedUnderForgedEpoch", func(t *testing.T) {
		sc := newAttackScene(t, false)
		start := seqOf(t, sc.alpha, "impersonation.started")
		// Delete the impersonation and everything after it, then append one
		// row of a new epoch that chains onto what is left: what "the
		// tenant was restored" looks like without the restore's signature.
		sqlOn(t, sc.alpha, fmt.Sprintf(`DELETE FROM audit_log WHERE seq >= %d`, start))
		var id string
		query(t, sc.alpha, `SELECT entity_id FROM audit_log WHERE seq = 1`, &id)
		forgeRow(t, sc.alpha, id, start-1)
		page, health := sc.afterAttack(t)
		if !strings.Contains(page, "Broken at seq") {
			t.Errorf("/platform does not show alpha's chain as broken")
		}
		if !strings.Contains(health, `"audit_broken":1`) {
			t.Errorf("/platform/healthz: %s", health)
		}
		if out := sc.c.mustRun("", "tenant", "list"); !strings.Contains(out, "BROKEN at seq") {
			t.Errorf("tenant list: %s", out)
		}
		sc.verifyFails(t, start, "without a signed restore record", "alpha")
	})

	t.Run("ErrCheckpointsDeleted", func(t *testing.T) {
		// With the replica store on S3: the witness there names what the
		// platform DB lost.
		sc := newAttackScene(t, true)
		var id string
		var keep, keepSeq int64
		platformDB := filepath.Join(sc.c.data, "platform.db")
		query(t, sc.alpha, `SELECT entity_id FROM audit_log WHERE seq = 1`, &id)
		query(t, platformDB, `SELECT min(n) FROM checkpoint_log WHERE chain_id = ?`, &keep, id)
		query(t, platformDB, `SELECT seq FROM checkpoint_log WHERE chain_id = ? AND n = ?`, &keepSeq, id, keep)
		// Cut both the chain and the checkpoint log back to the first
		// checkpoint, consistently: nothing inside the data directory
		// can tell any more.
		sqlOn(t, platformDB, fmt.Sprintf(`DELETE FROM checkpoint_log WHERE chain_id = '%s' AND n > %d`, id, keep))
		sqlOn(t, sc.alpha, fmt.Sprintf(`DELETE FROM audit_log WHERE seq > %d`, keepSeq))
		page, _ := sc.afterAttack(t)
		if !strings.Contains(page, "Broken at seq") {
			t.Errorf("/platform does not show alpha's chain as broken")
		}
		errs := sc.verifyFails(t, keepSeq+1, "checkpoints were deleted from the platform DB", "alpha")
		if !strings.Contains(errs, sc.replica) {
			t.Errorf("verify does not name the S3 witness %s: %s", sc.replica, errs)
		}
	})

	t.Run("ErrPlatformChainRewritten", func(t *testing.T) {
		sc := newAttackScene(t, false)
		platformDB := filepath.Join(sc.c.data, "platform.db")
		start := seqOf(t, platformDB, "impersonation.started")
		// Remove the staff member's impersonation from the platform chain
		// and recompute every later hash.
		sqlOn(t, platformDB, `DELETE FROM audit_log WHERE action IN ('impersonation.started', 'impersonation.ended')`)
		rechain(t, platformDB, start)
		page, _ := sc.afterAttack(t)
		if !strings.Contains(page, "The platform's audit chain is broken") {
			t.Errorf("/platform does not say the platform chain is broken")
		}
		// Rows up to the last checkpoint before the impersonation still
		// match; everything after it is suspect.
		var before int64
		query(t, platformDB, `SELECT coalesce(max(seq), 0) FROM checkpoint_log WHERE chain_id = 'platform' AND seq < ?`, &before, start)
		sc.verifyFails(t, before+1, "rows up to it were rewritten", "--platform")
	})

	t.Run("ErrTailTruncated", func(t *testing.T) {
		sc := newAttackScene(t, false)
		var head int64
		query(t, sc.alpha, `SELECT max(seq) FROM audit_log`, &head)
		sqlOn(t, sc.alpha, fmt.Sprintf(`DELETE FROM audit_log WHERE seq > %d`, head-2))
		page, _ := sc.afterAttack(t)
		if !strings.Contains(page, "Broken at seq") {
			t.Errorf("/platform does not show alpha's chain as broken")
		}
		// The server wrote one row after the truncation: the chain is
		// still one row short of the signed head.
		sc.verifyFails(t, head, "the chain was truncated", "alpha")
	})
}

// forgeRow appends to a closed tenant file a row of a new epoch chained onto
// row afterSeq, with a correct hash.
func forgeRow(t *testing.T, path, chainID string, afterSeq int64) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	prev, err := audit.Scan(raw.QueryRow(`SELECT `+audit.Columns+` FROM audit_log WHERE seq = ?`, afterSeq))
	if err != nil {
		t.Fatal(err)
	}
	r := audit.Row{Seq: afterSeq + 1, Epoch: prev.Epoch + 1, At: time.Now().UTC().Format(audit.TimeFormat), ActorKind: "system",
		ActorID: "cli:restore", Action: "tenant.restored", EntityType: "tenant", EntityID: chainID,
		After: sql.NullString{String: fmt.Sprintf(`{"restored_seq":%d}`, afterSeq), Valid: true}, PrevHash: prev.Hash}
	r.Hash = r.ComputeHash()
	if _, err := raw.Exec(`INSERT INTO audit_log (`+audit.Columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.Epoch, r.At, r.ActorKind, r.ActorID, r.ActorName, r.Impersonation, r.Action, r.EntityType, r.EntityID,
		r.Before, r.After, r.RequestID, r.IP, r.UserAgent, r.PrevHash, r.Hash); err != nil {
		t.Fatal(err)
	}
}
