package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastReplication writes a litestream.yml replicating every 100 ms into a
// directory of the test.
func fastReplication(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "litestream.yml")
	body := fmt.Sprintf("dbs:\n  - replica:\n      type: file\n      path: %s\n      sync-interval: 100ms\n", filepath.Join(dir, "replica"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// dualReplication writes a replication config with an on-site directory
// and an off-site target "eu" (another directory), both with a 100ms sync
// interval, and returns its path.
func dualReplication(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "litestream.yml")
	body := fmt.Sprintf("dbs:\n  - replicas:\n      - type: file\n        path: %s\n        sync-interval: 100ms\n      - name: eu\n        type: file\n        path: %s\n",
		filepath.Join(dir, "replica"), filepath.Join(dir, "off-site"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// apiCall sends a JSON API request with a bearer token and returns the
// status and the decoded body.
func apiCall(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// invite creates a user through the API and reports whether it worked.
func invite(t *testing.T, base, slug, token, email string) bool {
	code, body := apiCall(t, "POST", base+"/"+slug+"/api/v1/users", token, map[string]string{"email": email, "role": "front_desk"})
	if code != http.StatusCreated {
		t.Logf("invite %s: %d %v", email, code, body)
	}
	return code == http.StatusCreated
}

func userEmails(t *testing.T, base, slug, token string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	next := base + "/" + slug + "/api/v1/users?limit=200"
	for next != "" {
		code, body := apiCall(t, "GET", next, token, nil)
		if code != http.StatusOK {
			t.Fatalf("list users of %s: %d %v", slug, code, body)
		}
		for _, u := range body["data"].([]any) {
			out[u.(map[string]any)["email"].(string)] = true
		}
		next = ""
		if cur, ok := body["next_cursor"].(string); ok && cur != "" {
			next = base + "/" + slug + "/api/v1/users?limit=200&cursor=" + url.QueryEscape(cur)
		}
	}
	return out
}

// TestRestoreOneTenant is issue 5's end-to-end test: write to tenants A and
// B, note T, write more, restore A to T from the command line while the
// server runs and B keeps taking writes.
func TestRestoreOneTenant(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	const password = "correct horse battery staple"
	for _, slug := range []string{"alpha", "bravo"} {
		c.mustRun(password+"\n", "tenant", "create", slug, "--name", strings.ToUpper(slug), "--owner-email", "owner@"+slug+".example", "--owner-password-stdin")
	}
	token := func(slug, name string) string {
		return strings.TrimSpace(c.mustRun("", "token", "create", slug, "--email", "owner@"+slug+".example", "--name", name, "--scopes", "users.read,users.write,tokens.read,tokens.write"))
	}
	alphaKeep, alphaRevoke, bravoTok := token("alpha", "keep"), token("alpha", "revoke-later"), token("bravo", "writer")
	srv := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	base := srv.https

	// A browser session of alpha's owner, from before T.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(base+"/alpha/login", url.Values{"email": {"owner@alpha.example"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	signedIn := func() bool {
		resp, err := browser.Get(base + "/alpha/users")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if !signedIn() {
		t.Fatal("the session does not work before the restore")
	}

	for _, e := range []string{"before-1@alpha.example", "before-2@alpha.example"} {
		if !invite(t, base, "alpha", alphaKeep, e) {
			t.Fatal("invite before T failed")
		}
	}
	invite(t, base, "bravo", bravoTok, "before@bravo.example")
	time.Sleep(600 * time.Millisecond) // several sync intervals: everything so far is replicated
	at := time.Now().UTC()
	time.Sleep(600 * time.Millisecond)
	for _, e := range []string{"after-1@alpha.example", "after-2@alpha.example"} {
		invite(t, base, "alpha", alphaKeep, e)
	}
	// Revoke a token after T: the restore must not give it back.
	code, list := apiCall(t, "GET", base+"/alpha/api/v1/tokens", alphaKeep, nil)
	if code != http.StatusOK {
		t.Fatalf("list tokens: %d", code)
	}
	for _, tok := range list["data"].([]any) {
		if m := tok.(map[string]any); m["name"] == "revoke-later" {
			if code, _ := apiCall(t, "DELETE", base+"/alpha/api/v1/tokens/"+m["id"].(string), alphaKeep, nil); code != http.StatusNoContent {
				t.Fatalf("revoke: %d", code)
			}
		}
	}
	if code, _ := apiCall(t, "GET", base+"/alpha/api/v1/whoami", alphaRevoke, nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked token before the restore: %d", code)
	}
	time.Sleep(600 * time.Millisecond)

	// Bravo keeps taking writes while alpha is restored.
	var bravoOK atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if invite(t, base, "bravo", bravoTok, fmt.Sprintf("during-%d@bravo.example", i)) {
				bravoOK.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	out := c.mustRun("", "restore", "alpha", "--at", at.Format(time.RFC3339Nano), "--yes", "--litestream", cfg)
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "Restored alpha") || !strings.Contains(out, "audit epoch 2") {
		t.Fatalf("restore output:\n%s", out)
	}
	if bravoOK.Load() == 0 {
		t.Fatal("bravo took no writes during the restore")
	}

	// A holds exactly the rows up to T.
	got := userEmails(t, base, "alpha", alphaKeep)
	for _, e := range []string{"owner@alpha.example", "before-1@alpha.example", "before-2@alpha.example"} {
		if !got[e] {
			t.Errorf("alpha lost %s, written before T", e)
		}
	}
	for _, e := range []string{"after-1@alpha.example", "after-2@alpha.example"} {
		if got[e] {
			t.Errorf("alpha still has %s, written after T", e)
		}
	}
	// B lost nothing: every write it acknowledged is there.
	bravo := userEmails(t, base, "bravo", bravoTok)
	if int64(len(bravo)) != bravoOK.Load()+2 { // + the owner + before@
		t.Errorf("bravo has %d users, want %d acknowledged + 2", len(bravo), bravoOK.Load())
	}
	// A's old session no longer works; the token revoked after T stays revoked.
	if signedIn() {
		t.Error("a session from before the restore still works")
	}
	if code, _ := apiCall(t, "GET", base+"/alpha/api/v1/whoami", alphaRevoke, nil); code != http.StatusUnauthorized {
		t.Errorf("the token revoked after T works again after the restore: %d", code)
	}
	// A's audit chain verifies across the new epoch, against the witness
	// in the replica store too; so does the platform's.
	if out := c.mustRun("", "audit", "verify", "alpha", "--litestream", cfg); !strings.Contains(out, "epoch 2") || !strings.Contains(out, "agrees with the witness in the replica store") {
		t.Errorf("verify alpha: %s", out)
	}
	c.mustRun("", "audit", "verify", "bravo", "--litestream", cfg)
	c.mustRun("", "audit", "verify", "--platform", "--litestream", cfg)
	// The epoch was started by a signed restore checkpoint that names the
	// head it discarded.
	var alphaID string
	var discarded, baseEpoch int64
	query(t, filepath.Join(c.data, "platform.db"), `SELECT id FROM tenants WHERE slug = 'alpha'`, &alphaID)
	err = query(t, filepath.Join(c.data, "platform.db"), `SELECT discarded_seq FROM checkpoint_log WHERE chain_id = ? AND kind = 'restore' AND epoch = 2`, &discarded, alphaID)
	if err == nil {
		err = query(t, filepath.Join(c.data, "platform.db"), `SELECT base_epoch FROM checkpoint_log WHERE chain_id = ? AND kind = 'restore' AND epoch = 2`, &baseEpoch, alphaID)
	}
	if err != nil || discarded == 0 || baseEpoch != 1 {
		t.Errorf("restore checkpoint: discarded seq %d, base epoch %d, %v", discarded, baseEpoch, err)
	}
	// No byte of any replica file holds a marker written into a tenant,
	// sealed (a user's name) or not (an API token's name), while the tenant
	// file itself does hold the unsealed one (so the search can see it).
	plain, sealed := "MARKER-PLAIN-9f1c2e", "MARKER-SEALED-4b7d0a"
	if code, _ := apiCall(t, "POST", base+"/alpha/api/v1/tokens", alphaKeep, map[string]any{"name": plain, "scopes": []string{"users.read"}}); code != http.StatusCreated {
		t.Fatalf("create token: %d", code)
	}
	if code, _ := apiCall(t, "POST", base+"/alpha/api/v1/users", alphaKeep, map[string]string{"email": "marker@alpha.example", "name": sealed, "role": "front_desk"}); code != http.StatusCreated {
		t.Fatalf("invite: %d", code)
	}
	time.Sleep(time.Second)
	checkNoMarkers(t, filepath.Join(filepath.Dir(cfg), "replica"), plain, sealed)
	if !fileHas(t, filepath.Join(c.data, "tenants"), plain) {
		t.Fatal("the control marker is not in the tenant files: the search cannot see plaintext")
	}

	// The drill of both tenants passes against the running server's
	// replica, once the restored file has been shipped.
	time.Sleep(time.Second)
	if out := c.mustRun("", "backup", "verify", "--litestream", cfg); strings.Count(out, " ok ") < 2 {
		t.Errorf("backup verify:\n%s", out)
	}

	// Restoring again to T, a point before the first restore, goes back to
	// the first line of history: a new epoch (3, never 2 again), and the
	// chain verifies.
	out = c.mustRun("", "restore", "alpha", "--at", at.Format(time.RFC3339Nano), "--yes", "--litestream", cfg)
	if !strings.Contains(out, "audit epoch 3") {
		t.Fatalf("second restore:\n%s", out)
	}
	if out := c.mustRun("", "audit", "verify", "alpha", "--litestream", cfg); !strings.Contains(out, "epoch 3") {
		t.Errorf("verify alpha after the second restore: %s", out)
	}
}

// A dry run reports the plan and changes nothing.
func TestRestoreDryRun(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	c.mustRun("", "tenant", "create", "quiet", "--name", "Quiet")
	srv := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	resp, err := http.Get(srv.https + "/quiet/login") // opens nothing; the file opens on use
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.mustRun("", "tenant", "suspend", "quiet")
	c.mustRun("", "tenant", "resume", "quiet")
	time.Sleep(500 * time.Millisecond)
	before := c.mustRun("", "audit", "verify", "quiet")
	out := c.mustRun("", "restore", "quiet", "--latest", "--dry-run", "--litestream", cfg)
	for _, want := range []string{"integrity check:       ok", "audit chain:           ok", "Dry run: nothing was changed."} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if after := c.mustRun("", "audit", "verify", "quiet"); after != before {
		t.Fatalf("a dry run changed the chain:\n%s\n%s", before, after)
	}
	code, _, errs := c.run("", "restore", "quiet", "--litestream", cfg)
	if code != 2 || !strings.Contains(errs, "--at TIME or --latest") {
		t.Fatalf("restore without a point: %d %q", code, errs)
	}
}

// checkNoMarkers fails when any file under dir contains one of the markers.
func checkNoMarkers(t *testing.T, dir string, markers ...string) {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Fatalf("replica file %s contains %q", p, m)
			}
		}
		return nil
	})
	if files == 0 {
		t.Fatalf("no replica files under %s", dir)
	}
}

// fileHas reports whether any file under dir (WAL included) contains s.
func fileHas(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
				found = true
			}
		}
		return nil
	})
	return found
}

// TestRestorePlatformContinuesTheLogs restores the platform DB to a point
// before the newest checkpoints of every chain were signed: the restored DB's
// checkpoint logs are older than the witnesses, and the restore continues
// them from there, so that every chain verifies afterwards and the server
// signs on.
func TestRestorePlatformContinuesTheLogs(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	c.mustRun("correct horse battery staple\n", "tenant", "create", "alpha", "--name", "Alpha", "--owner-email", "owner@alpha.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "alpha", "--email", "owner@alpha.example", "--name", "ops", "--scopes", "users.read,users.write"))
	srv := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	invite(t, srv.https, "alpha", tok, "before@alpha.example")
	time.Sleep(600 * time.Millisecond)
	at := time.Now().UTC()
	time.Sleep(600 * time.Millisecond)
	// After T: alpha's chain moves on and is signed (closing its file
	// signs it); the platform chain moves on (a new tenant) and is signed.
	invite(t, srv.https, "alpha", tok, "after@alpha.example")
	t.Setenv("AURA_LITESTREAM", cfg) // commands without --litestream read it here
	c.mustRun("", "tenant", "create", "bravo", "--name", "Bravo")
	time.Sleep(600 * time.Millisecond)
	srv.stop()

	out := c.mustRun("", "restore", "--platform", "--at", at.Format(time.RFC3339Nano), "--yes", "--litestream", cfg)
	if !strings.Contains(out, "continues in epoch 2") {
		t.Fatalf("restore --platform:\n%s", out)
	}
	// The restored logs were behind the witnesses, so they continue from
	// them: alpha's with a resume checkpoint, the platform's with the
	// restore checkpoint of its new epoch.
	var resumes, restores int
	query(t, filepath.Join(c.data, "platform.db"), `SELECT count(*) FROM checkpoint_log WHERE kind = 'resume'`, &resumes)
	query(t, filepath.Join(c.data, "platform.db"), `SELECT count(*) FROM checkpoint_log WHERE kind = 'restore' AND chain_id = 'platform'`, &restores)
	if resumes != 1 || restores != 1 {
		t.Errorf("resume checkpoints %d, platform restore checkpoints %d; want 1 and 1", resumes, restores)
	}
	for _, args := range [][]string{{"--platform"}, {"alpha"}} {
		if out := c.mustRun("", append([]string{"audit", "verify", "--litestream", cfg}, args...)...); !strings.Contains(out, "agrees with") {
			t.Errorf("verify %v after the platform restore: %s", args, out)
		}
	}
	srv = c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	if !invite(t, srv.https, "alpha", tok, "later@alpha.example") {
		t.Fatal("alpha does not work after the platform restore")
	}
	srv.stop()
	if out := c.mustRun("", "tenant", "list"); strings.Contains(out, "BROKEN") {
		t.Errorf("a chain is broken after a legitimate platform restore:\n%s", out)
	}
	c.mustRun("", "audit", "verify", "alpha", "--litestream", cfg)
	c.mustRun("", "audit", "verify", "--platform", "--litestream", cfg)
}
