package control_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant"
)

// These tests do what someone who can write the data files (but holds no
// key) would do, and check that Aura neither signs the result nor lets
// verify pass.

// forgeEpochRow appends, to a closed tenant file, a row of a new epoch that
// chains correctly onto the row before it: what an attacker who deleted
// rows would add to make the chain look restored.
func forgeEpochRow(t *testing.T, path, chainID string, afterSeq int64) {
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
		After: sql.NullString{String: `{"restored_seq":4}`, Valid: true}, PrevHash: prev.Hash}
	r.Hash = r.ComputeHash()
	if _, err := raw.Exec(`INSERT INTO audit_log (`+audit.Columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.Epoch, r.At, r.ActorKind, r.ActorID, r.ActorName, r.Impersonation, r.Action, r.EntityType, r.EntityID,
		r.Before, r.After, r.RequestID, r.IP, r.UserAgent, r.PrevHash, r.Hash); err != nil {
		t.Fatal(err)
	}
}

// acquire opens a tenant through the router; the caller releases it.
func acquire(t *testing.T, env *auratest.Env, slug string) *tenant.DB {
	t.Helper()
	db, err := env.Router.Acquire(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// brokenStatus returns the tenant's recorded audit status.
func brokenStatus(t *testing.T, env *auratest.Env, chain string) platform.AuditStatus {
	t.Helper()
	st, err := env.Platform.AuditStatusOf(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustBreak(t *testing.T, res audit.Result, err error, seq int64, reason string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() {
		t.Fatal("tampering went unnoticed: verify passed")
	}
	if res.Break.Seq != seq || !strings.Contains(res.Break.Reason, reason) {
		t.Fatalf("break = seq %d %q, want seq %d and %q", res.Break.Seq, res.Break.Reason, seq, reason)
	}
}

func TestSignOnlyWhatVerifies(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrForgedEpoch", func(t *testing.T) {
		env, path := chainWith(t) // rows 1..10 signed at 10
		tn, _ := env.Platform.TenantBySlug(ctx, "hotel")
		tamper(t, path, `DELETE FROM audit_log WHERE seq > 4`)
		forgeEpochRow(t, path, tn.ID, 4)
		db := acquire(t, env, "hotel")
		err := env.Control.SignTenant(ctx, db)
		if !control.IsBroken(err) {
			t.Fatalf("sign = %v, want a broken chain refused", err)
		}
		// A later write does not make it signable either.
		if err := db.SetSetting(ctx, tenant.Setting{Key: "later", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if err := env.Control.SignTenant(ctx, db); !control.IsBroken(err) {
			t.Fatalf("second sign = %v", err)
		}
		db.Release()
		if last, _ := env.Platform.LastCheckpoint(ctx, tn.ID); last.Seq != 10 || last.Epoch != 1 {
			t.Fatalf("a forged head was signed: %s", last.String())
		}
		// The signer stopped at the truncation of its newest checkpoint.
		st := brokenStatus(t, env, tn.ID)
		if !st.Broken() || st.FirstBadSeq != 10 || !strings.Contains(st.Reason, "truncated") {
			t.Fatalf("status = %+v", st)
		}
		// The change of state is on the platform's chain.
		rows, err := env.Platform.AuditLog(ctx, audit.Filter{Entity: tn.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || rows[0].Action != "audit.chain_broken" {
			t.Fatalf("platform rows: %+v", rows)
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 5, "without a signed restore record")
	})

	t.Run("ErrTruncatedThenWritten", func(t *testing.T) {
		env, path := chainWith(t)
		tn, _ := env.Platform.TenantBySlug(ctx, "hotel")
		tamper(t, path, `DELETE FROM audit_log WHERE seq >= 9`)
		db := acquire(t, env, "hotel")
		if err := env.Control.SignTenant(ctx, db); !control.IsBroken(err) {
			t.Fatalf("sign of a truncated chain = %v", err)
		}
		// The application writes on: rows 9, 10, 11 are new, and row 10
		// no longer has the signed hash.
		for i := range 3 {
			if err := db.SetSetting(ctx, tenant.Setting{Key: fmt.Sprintf("n%d", i), Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.Control.SignTenant(ctx, db); !control.IsBroken(err) {
			t.Fatalf("sign after writing past the truncation = %v", err)
		}
		db.Release()
		if last, _ := env.Platform.LastCheckpoint(ctx, tn.ID); last.N != 2 || last.Seq != 10 {
			t.Fatalf("newest checkpoint = %s, want #2 at seq 10", last.String())
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 2, "no longer matches the signed checkpoint #2 (seq 10")
	})

	t.Run("OKUnchangedHead", func(t *testing.T) {
		env, _ := chainWith(t)
		tn, _ := env.Platform.TenantBySlug(ctx, "hotel")
		db := acquire(t, env, "hotel")
		defer db.Release()
		for range 2 {
			if err := env.Control.SignTenant(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		if last, _ := env.Platform.LastCheckpoint(ctx, tn.ID); last.N != 2 {
			t.Fatalf("signing an unchanged head added %s", last.String())
		}
	})
}

func TestCheckpointLog(t *testing.T) {
	ctx := context.Background()
	// signed builds a chain with checkpoints #1 (seq 1), #2 (10), #3 (11), #4 (12).
	signed := func(t *testing.T) (*auratest.Env, string) {
		env, _ := chainWith(t)
		tn, _ := env.Platform.TenantBySlug(ctx, "hotel")
		db := acquire(t, env, "hotel")
		defer db.Release()
		for i := range 2 {
			if err := db.SetSetting(ctx, tenant.Setting{Key: fmt.Sprintf("m%d", i), Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
			if err := env.Control.SignTenant(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		return env, tn.ID
	}

	t.Run("OKChained", func(t *testing.T) {
		env, id := signed(t)
		log, err := env.Platform.CheckpointLog(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 4 {
			t.Fatalf("log has %d entries", len(log))
		}
		for i := 1; i < len(log); i++ {
			if log[i].N != int64(i+1) || hex.EncodeToString(log[i].Prev) != hex.EncodeToString(log[i-1].Digest()) {
				t.Fatalf("entry %d does not link to %d", log[i].N, log[i-1].N)
			}
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil || !res.OK() {
			t.Fatalf("verify: %v %v", res.Break, err)
		}
		if res.Checkpoints != 4 || len(res.Witnessed) != 1 || !strings.Contains(res.Witnessed[0], env.ReplicaDir) {
			t.Fatalf("result = %+v", res)
		}
		if st := brokenStatus(t, env, id); st.State != platform.AuditOK {
			t.Fatalf("status after a passing verify = %+v", st)
		}
	})

	t.Run("ErrMiddleDeleted", func(t *testing.T) {
		env, id := signed(t)
		tamperPlatform(t, env, fmt.Sprintf(`DELETE FROM checkpoint_log WHERE chain_id = '%s' AND n = 2`, id))
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 2, "checkpoint #2 is missing from the checkpoint log")
	})

	t.Run("ErrTailDeleted", func(t *testing.T) {
		// The tail of the log and of the chain go together, consistently:
		// only the witness outside the data directory can tell.
		env, id := signed(t)
		<-env.Router.Forget("hotel")
		tamperPlatform(t, env, fmt.Sprintf(`DELETE FROM checkpoint_log WHERE chain_id = '%s' AND n > 2`, id))
		tamper(t, env.TenantPath(id), `DELETE FROM audit_log WHERE seq > 10`)
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 11, "checkpoints were deleted from the platform DB")
		if !strings.Contains(res.Break.Reason, env.ReplicaDir) || !strings.Contains(res.Break.Reason, "#4 (seq 12") {
			t.Fatalf("the reason does not name the witness and what it holds: %s", res.Break.Reason)
		}
		// Nor does a new signer (a restarted server) sign on top of it.
		fresh := &control.Service{Platform: env.Platform, Signer: env.Signer, Router: env.Router, TenantsDir: env.Control.TenantsDir,
			Witnesses: []audit.Witness{replica.NewWitness(replica.Destination{Type: replica.TypeFile, Path: env.ReplicaDir})}}
		db := acquire(t, env, "hotel")
		defer db.Release()
		if err := db.SetSetting(ctx, tenant.Setting{Key: "more", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if err := fresh.SignTenant(ctx, db); !control.IsBroken(err) {
			t.Fatalf("sign over deleted checkpoints = %v", err)
		}
	})

	t.Run("ErrWholeLogDeleted", func(t *testing.T) {
		env, id := signed(t)
		tamperPlatform(t, env, fmt.Sprintf(`DELETE FROM checkpoint_log WHERE chain_id = '%s'`, id))
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 1, "holds no checkpoint")
		db := acquire(t, env, "hotel")
		defer db.Release()
		if err := env.Control.SignTenant(ctx, db); !control.IsBroken(err) {
			t.Fatalf("a deleted log was started afresh: %v", err)
		}
	})

	t.Run("OKWitnessLags", func(t *testing.T) {
		// A witness one signing behind (a crash between the platform DB
		// and the witness write) is not tampering.
		env, id := signed(t)
		first, _ := env.Platform.CheckpointAt(ctx, id, 3)
		if err := env.Witness.Put(ctx, *first); err != nil {
			t.Fatal(err)
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil || !res.OK() {
			t.Fatalf("verify with a lagging witness: %v %v", res.Break, err)
		}
	})

	t.Run("ErrWitnessForged", func(t *testing.T) {
		env, id := signed(t)
		p := filepath.Join(env.ReplicaDir, replica.WitnessPrefix, id+".json")
		var cp audit.Checkpoint
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(b, &cp)
		cp.N++ // a witness that claims more than the log holds, unsigned
		b, _ = json.Marshal(cp)
		os.WriteFile(p, b, 0o600)
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 13, "invalid signature")
		if !strings.Contains(res.Break.Reason, "replica store") {
			t.Fatalf("reason does not name the witness: %s", res.Break.Reason)
		}
	})

	t.Run("OKFileWitness", func(t *testing.T) {
		env, _ := chainWith(t)
		file := filepath.Join(t.TempDir(), "aura.witness")
		env.Control.Witnesses = append(env.Control.Witnesses, audit.NewFileWitness(file))
		db := acquire(t, env, "hotel")
		if err := db.SetSetting(ctx, tenant.Setting{Key: "w", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if err := env.Control.SignTenant(ctx, db); err != nil {
			t.Fatal(err)
		}
		db.Release()
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("witness file mode %o", fi.Mode().Perm())
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil || !res.OK() || len(res.Witnessed) != 2 {
			t.Fatalf("verify = %+v %v", res, err)
		}
		// Replaying an older line does not roll the file witness back.
		older, _ := env.Platform.CheckpointAt(ctx, db.ID, 1)
		line, _ := json.Marshal(older)
		f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		f.Write(append(line, '\n'))
		f.Close()
		newest, err := audit.NewFileWitness(file).Newest(ctx, db.ID)
		if err != nil || newest.N != 3 {
			t.Fatalf("newest after a replayed line = %+v %v", newest, err)
		}
	})
}

func TestPlatformChainSigned(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) *auratest.Env {
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "alpha")
		env.CreateTenant(t, "bravo")
		if err := env.Control.SignPlatform(ctx); err != nil {
			t.Fatal(err)
		}
		return env
	}
	t.Run("OK", func(t *testing.T) {
		env := setup(t)
		res, err := env.Control.VerifyPlatformAudit(ctx)
		if err != nil || !res.OK() || res.Checkpoints != 1 || len(res.Witnessed) != 1 {
			t.Fatalf("verify = %+v %v", res, err)
		}
	})
	rewrite := func(t *testing.T, env *auratest.Env) {
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(env.DataDir, "platform.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.Exec(`DROP TRIGGER audit_log_no_update`)
		rows, err := raw.Query(`SELECT ` + audit.Columns + ` FROM audit_log ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var all []audit.Row
		for rows.Next() {
			r, _ := audit.Scan(rows)
			all = append(all, r)
		}
		rows.Close()
		for i := 1; i < len(all); i++ {
			if all[i].Action == "tenant.created" && strings.Contains(all[i].After.String, "bravo") {
				all[i].After.String = strings.ReplaceAll(all[i].After.String, "bravo", "b-r-a-v-o")
			}
			all[i].PrevHash = all[i-1].Hash
			all[i].Hash = all[i].ComputeHash()
			if _, err := raw.Exec(`UPDATE audit_log SET after_json = ?, prev_hash = ?, hash = ? WHERE seq = ?`, all[i].After, all[i].PrevHash, all[i].Hash, all[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("ErrRewritten", func(t *testing.T) {
		env := setup(t)
		env.Platform.Close()
		rewrite(t, env)
		var err error
		if env.Platform, err = platform.Open(ctx, filepath.Join(env.DataDir, "platform.db"), env.Master); err != nil {
			t.Fatal(err)
		}
		env.Control.Platform = env.Platform
		res, err := env.Control.VerifyPlatformAudit(ctx)
		// Rows up to the only checkpoint changed: all of them are suspect.
		mustBreak(t, res, err, 1, "no longer matches the signed checkpoint #1")
		if err := env.Control.SignPlatform(ctx); !control.IsBroken(err) {
			t.Fatalf("a rewritten platform chain was signed: %v", err)
		}
	})
	t.Run("ErrRewrittenWithCheckpoints", func(t *testing.T) {
		env := setup(t)
		env.Platform.Close()
		rewrite(t, env)
		tamperPlatform(t, env, `DELETE FROM checkpoint_log WHERE chain_id = 'platform'`)
		var err error
		if env.Platform, err = platform.Open(ctx, filepath.Join(env.DataDir, "platform.db"), env.Master); err != nil {
			t.Fatal(err)
		}
		env.Control.Platform = env.Platform
		res, err := env.Control.VerifyPlatformAudit(ctx)
		mustBreak(t, res, err, 1, "checkpoints were deleted from the platform DB")
	})
}

// A tenant signed before checkpoint logs existed (independent checkpoints in
// audit_checkpoints) gets its log started at its first signing, once its
// chain verifies against those checkpoints.
func TestLegacyCheckpoints(t *testing.T) {
	ctx := context.Background()
	legacy := func(t *testing.T) (*auratest.Env, platform.Tenant) {
		env, _ := chainWith(t)
		tn, _ := env.Platform.TenantBySlug(ctx, "hotel")
		// Make it look as it did before: no log, no witness, two legacy
		// checkpoints signed the old way.
		tamperPlatform(t, env, `DELETE FROM checkpoint_log`)
		os.RemoveAll(env.ReplicaDir)
		// A new process of a binary from before: nothing remembered.
		env.Control = &control.Service{Platform: env.Platform, Signer: env.Signer, Router: env.Router, TenantsDir: env.Control.TenantsDir,
			Witnesses: []audit.Witness{replica.NewWitness(replica.Destination{Type: replica.TypeFile, Path: env.ReplicaDir})}}
		db := acquire(t, env, "hotel")
		head, _ := db.AuditHead(ctx)
		db.Release()
		for _, seq := range []int64{1, head.Seq} {
			r, err := audit.Scan(db.AuditRows().QueryRowContext(ctx, `SELECT `+audit.Columns+` FROM audit_log WHERE seq = ?`, seq))
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now().UTC().Format(time.RFC3339)
			msg := fmt.Appendf(nil, "aura-checkpoint-v1\x00%s\x00%d\x00%d\x00%s\x00%s", tn.ID, r.Epoch, r.Seq, hex.EncodeToString(r.Hash), at)
			if _, err := env.Platform.SQL().Write.Exec(`INSERT INTO audit_checkpoints (tenant_id, epoch, seq, hash, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				tn.ID, r.Epoch, r.Seq, r.Hash, at, env.Signer.ID(), env.Signer.Sign(msg)); err != nil {
				t.Fatal(err)
			}
		}
		return env, tn
	}
	t.Run("OK", func(t *testing.T) {
		env, tn := legacy(t)
		if err := env.Control.Checkpoint(ctx, "hotel"); err != nil {
			t.Fatal(err)
		}
		log, _ := env.Platform.CheckpointLog(ctx, tn.ID)
		if len(log) != 1 || log[0].Seq != 10 {
			t.Fatalf("log = %+v", log)
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		if err != nil || !res.OK() {
			t.Fatalf("verify: %v %v", res.Break, err)
		}
	})
	t.Run("ErrRewritten", func(t *testing.T) {
		env, tn := legacy(t)
		<-env.Router.Forget("hotel")
		tamper(t, env.TenantPath(tn.ID), `UPDATE audit_log SET action = 'setting.removed' WHERE seq = 4`)
		err := env.Control.Checkpoint(ctx, "hotel")
		if !control.IsBroken(err) {
			t.Fatalf("sign = %v", err)
		}
		if log, _ := env.Platform.CheckpointLog(ctx, tn.ID); len(log) != 0 {
			t.Fatalf("a log was started over a broken chain: %+v", log)
		}
		res, err := env.Control.VerifyAudit(ctx, "hotel")
		mustBreak(t, res, err, 4, "edited")
	})
	t.Run("ErrForgedLegacy", func(t *testing.T) {
		env, _ := legacy(t)
		tamperPlatform(t, env, `UPDATE audit_checkpoints SET seq = 9 WHERE seq = 10`)
		err := env.Control.Checkpoint(ctx, "hotel")
		if !control.IsBroken(err) || !strings.Contains(err.Error(), "invalid signature") {
			t.Fatalf("sign = %v", err)
		}
	})
	_ = aura.EINVALID
}
