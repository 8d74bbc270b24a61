package control_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	_ "modernc.org/sqlite"
)

// chainWith creates a tenant whose chain holds 10 rows (the creation row and
// nine setting changes), signs a checkpoint at its head, and closes the file
// so the test can tamper with it as an attacker with sqlite3 would.
func chainWith(t *testing.T) (*auratest.Env, string) {
	t.Helper()
	env := auratest.New(t, auratest.Options{})
	tn := env.CreateTenant(t, "hotel")
	ctx := context.Background()
	db, err := env.Router.Acquire(ctx, "hotel")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 10; i++ {
		if err := db.SetSetting(ctx, tenant.Setting{Key: fmt.Sprintf("k%d", i), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Control.SignTenant(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Release()
	<-env.Router.Forget("hotel")
	return env, env.TenantPath(tn.ID)
}

// tamperPlatform runs statements on the platform DB as an attacker with
// sqlite3 would, the append-only triggers dropped first.
func tamperPlatform(t *testing.T, env *auratest.Env, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(env.DataDir, "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	all := append([]string{`DROP TRIGGER IF EXISTS checkpoint_log_no_update`, `DROP TRIGGER IF EXISTS checkpoint_log_no_delete`,
		`DROP TRIGGER IF EXISTS audit_log_no_update`, `DROP TRIGGER IF EXISTS audit_log_no_delete`}, stmts...)
	for _, s := range all {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// tamper runs statements on the closed tenant file with the triggers dropped.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	all := append([]string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}, stmts...)
	for _, s := range all {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyAudit(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		env, _ := chainWith(t)
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Fatalf("clean chain broken: %v", res.Break)
		}
		if got, want := res.Rows, int64(10); got != want {
			t.Fatalf("rows = %d, want %d", got, want)
		}
		// The creation checkpoint (seq 1) and the head checkpoint (seq 10).
		if got, want := res.Checkpoints, 2; got != want {
			t.Fatalf("checkpoints matched = %d, want %d", got, want)
		}
	})

	cases := []struct {
		name   string
		stmts  []string
		seq    int64
		reason string
	}{
		{"Edited", []string{`UPDATE audit_log SET action = 'setting.removed' WHERE seq = 4`}, 4, "edited"},
		{"EditedBeforeJSON", []string{`UPDATE audit_log SET after_json = '{"key":"k3","value":"w"}' WHERE seq = 3`}, 3, "edited"},
		{"Deleted", []string{`DELETE FROM audit_log WHERE seq = 5`}, 5, "deleted"},
		{"Reordered", []string{
			`UPDATE audit_log SET seq = 1000 WHERE seq = 6`,
			`UPDATE audit_log SET seq = 6 WHERE seq = 7`,
			`UPDATE audit_log SET seq = 7 WHERE seq = 1000`,
		}, 6, "reordered"},
		{"Truncated", []string{`DELETE FROM audit_log WHERE seq >= 9`}, 9, "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, path := chainWith(t)
			tamper(t, path, c.stmts...)
			res, err := env.Control.VerifyAudit(ctx, "hotel")
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() {
				t.Fatal("tampering went unnoticed")
			}
			if got, want := res.Break.Seq, c.seq; got != want {
				t.Fatalf("first bad seq = %d, want %d (%s)", got, want, res.Break.Reason)
			}
			if !strings.Contains(res.Break.Reason, c.reason) {
				t.Fatalf("reason %q does not say %q", res.Break.Reason, c.reason)
			}
		})
	}

	t.Run("RewrittenEndToEnd", func(t *testing.T) {
		env, path := chainWith(t)
		// Rebuild every row after the first with different content and
		// recomputed, internally consistent hashes: only the signed
		// checkpoint kept outside the file can tell.
		raw, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		tamper(t, path)
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
		for i := 1; i < len(all); i++ {
			all[i].ActorID = "someone-else"
			all[i].PrevHash = all[i-1].Hash
			all[i].Hash = all[i].ComputeHash()
			if _, err := raw.Exec(`UPDATE audit_log SET actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
				all[i].ActorID, all[i].PrevHash, all[i].Hash, all[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
		raw.Close()
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() {
			t.Fatal("a rewritten chain verified")
		}
		// The checkpoint at seq 1 still matches; everything after it is suspect.
		if got, want := res.Break.Seq, int64(2); got != want {
			t.Fatalf("first bad seq = %d, want %d (%s)", got, want, res.Break.Reason)
		}
		if !strings.Contains(res.Break.Reason, "checkpoint #2 (seq 10") {
			t.Fatalf("reason = %q", res.Break.Reason)
		}
	})

	t.Run("ErrTriggersAbort", func(t *testing.T) {
		env, _ := chainWith(t)
		db := env.Acquire(t, "hotel")
		for _, stmt := range []string{`UPDATE audit_log SET action = 'x' WHERE seq = 1`, `DELETE FROM audit_log WHERE seq = 1`} {
			_, err := db.SQL().Write.Exec(stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v", stmt, err)
			}
		}
	})

	t.Run("ErrForgedCheckpoint", func(t *testing.T) {
		env, _ := chainWith(t)
		tamperPlatform(t, env, `UPDATE checkpoint_log SET seq = seq + 1 WHERE n = 2`)
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() || !strings.Contains(res.Break.Reason, "signature of checkpoint #2 is invalid") {
			t.Fatalf("break = %v, want a bad-signature break", res.Break)
		}
	})
}
