package platform

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

const checkpointColumns = `chain_id, n, kind, epoch, seq, hash, prev, base_epoch, discarded_seq, discarded_hash, gap_after, gap_digest, signed_at, key_id, signature`

func scanCheckpoint(s interface{ Scan(...any) error }) (audit.Checkpoint, error) {
	var c audit.Checkpoint
	err := s.Scan(&c.Chain, &c.N, &c.Kind, &c.Epoch, &c.Seq, &c.Hash, &c.Prev, &c.BaseEpoch, &c.DiscardedSeq, &c.DiscardedHash,
		&c.GapAfter, &c.GapDigest, &c.SignedAt, &c.KeyID, &c.Signature)
	return c, err
}

// CheckpointLog returns a chain's whole checkpoint log (a tenant id, or
// ChainID for the platform's own chain) in order, as stored: check it with
// audit.CheckLog before trusting it.
func (db *DB) CheckpointLog(ctx context.Context, chain string) ([]audit.Checkpoint, error) {
	var log []audit.Checkpoint
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT `+checkpointColumns+` FROM checkpoint_log WHERE chain_id = ? ORDER BY n`, chain)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCheckpoint(rows)
			if err != nil {
				return err
			}
			log = append(log, c)
		}
		return rows.Err()
	})
	return log, err
}

// LastCheckpoint returns the newest entry of a chain's checkpoint log, or
// nil when it has none.
func (db *DB) LastCheckpoint(ctx context.Context, chain string) (*audit.Checkpoint, error) {
	return db.checkpointWhere(ctx, `chain_id = ? ORDER BY n DESC LIMIT 1`, chain)
}

// CheckpointAt returns entry n of a chain's checkpoint log, or nil when the
// log has no such entry.
func (db *DB) CheckpointAt(ctx context.Context, chain string, n int64) (*audit.Checkpoint, error) {
	return db.checkpointWhere(ctx, `chain_id = ? AND n = ?`, chain, n)
}

func (db *DB) checkpointWhere(ctx context.Context, where string, args ...any) (*audit.Checkpoint, error) {
	var out *audit.Checkpoint
	err := db.View(ctx, func(tx *Tx) error {
		c, err := scanCheckpoint(tx.QueryRow(`SELECT `+checkpointColumns+` FROM checkpoint_log WHERE `+where, args...))
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		out = &c
		return nil
	})
	return out, err
}

// AppendCheckpoints stores signed entries at the end of their chain's log,
// in one transaction. Each must follow the stored newest entry: the next N,
// linked to it; an entry further ahead (one taken from a witness after the
// platform DB was restored) is accepted only when the entry after it in the
// same call bridges the gap (audit.Bridges). It returns ECONFLICT when the
// log moved on meanwhile (another process signed first) and EINVALID for an
// entry that does not follow. It is bookkeeping, not an audited change: the
// entries are themselves signed records.
func (db *DB) AppendCheckpoints(ctx context.Context, cps ...audit.Checkpoint) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("checkpoints are themselves signed records")
		last := map[string]*audit.Checkpoint{}
		for i := range cps {
			c := &cps[i]
			prev, seen := last[c.Chain]
			if !seen {
				p, err := scanCheckpoint(tx.QueryRow(`SELECT `+checkpointColumns+` FROM checkpoint_log WHERE chain_id = ? ORDER BY n DESC LIMIT 1`, c.Chain))
				switch {
				case err == sql.ErrNoRows:
					prev = nil
				case err != nil:
					return err
				default:
					prev = &p
				}
			}
			next := int64(1)
			if prev != nil {
				next = prev.N + 1
			}
			switch {
			case c.N < next:
				return aura.Errorf(aura.ECONFLICT, "The checkpoint log of %s moved on to #%d meanwhile; sign again.", c.Chain, next-1)
			case c.N > next:
				if i+1 >= len(cps) || !audit.Bridges(&cps[i+1], c, prev) {
					return aura.Errorf(aura.EINVALID, "Checkpoint #%d of %s does not follow #%d.", c.N, c.Chain, next-1)
				}
			case prev != nil && string(c.Prev) != string(prev.Digest()):
				return aura.Errorf(aura.EINVALID, "Checkpoint #%d of %s does not link to #%d.", c.N, c.Chain, prev.N)
			}
			if _, err := tx.Exec(`INSERT INTO checkpoint_log (`+checkpointColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.Chain, c.N, c.Kind, c.Epoch, c.Seq, c.Hash, c.Prev, c.BaseEpoch, c.DiscardedSeq, c.DiscardedHash, c.GapAfter, c.GapDigest,
				c.SignedAt, c.KeyID, c.Signature); err != nil {
				return err
			}
			last[c.Chain] = c
		}
		return nil
	})
}

// LegacyCheckpoint is a checkpoint signed before checkpoint logs existed
// (one independent signed row per head, in audit_checkpoints). They are read
// once per tenant, when its log is started.
type LegacyCheckpoint struct {
	Epoch, Seq int64
	Hash       []byte
	SignedAt   string
}

// LegacyCheckpoints returns a tenant's legacy checkpoints after checking each
// signature with signer; a bad one is EINVALID naming it.
func (db *DB) LegacyCheckpoints(ctx context.Context, tenantID string, signer audit.Signer) ([]LegacyCheckpoint, error) {
	var out []LegacyCheckpoint
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT epoch, seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE tenant_id = ? ORDER BY seq, epoch`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c LegacyCheckpoint
			var keyID string
			var sig []byte
			if err := rows.Scan(&c.Epoch, &c.Seq, &c.Hash, &c.SignedAt, &keyID, &sig); err != nil {
				return err
			}
			msg := fmt.Appendf(nil, "aura-checkpoint-v1\x00%s\x00%d\x00%d\x00%s\x00%s", tenantID, c.Epoch, c.Seq, hex.EncodeToString(c.Hash), c.SignedAt)
			if keyID != signer.ID() || !signer.Verify(msg, sig) {
				return aura.Errorf(aura.EINVALID, "The legacy checkpoint at seq %d carries an invalid signature: the platform DB was tampered with.", c.Seq)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Audit states of a chain.
const (
	AuditOK     = "ok"
	AuditBroken = "broken"
)

// AuditStatus is what the signer and the verifier last found of a chain.
type AuditStatus struct {
	Chain       string `json:"chain"`
	State       string `json:"state"` // AuditOK or AuditBroken; "" when never checked
	FirstBadSeq int64  `json:"first_bad_seq,omitempty"`
	Reason      string `json:"reason,omitempty"`
	ChangedAt   string `json:"changed_at,omitempty"`
	CheckedAt   string `json:"checked_at,omitempty"`
}

// Broken reports whether the chain was found broken.
func (s AuditStatus) Broken() bool { return s.State == AuditBroken }

// AuditStatuses returns the audit status of every chain checked so far, by
// chain id.
func (db *DB) AuditStatuses(ctx context.Context) (map[string]AuditStatus, error) {
	out := map[string]AuditStatus{}
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT chain_id, state, first_bad_seq, reason, changed_at, checked_at FROM audit_status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s AuditStatus
			if err := rows.Scan(&s.Chain, &s.State, &s.FirstBadSeq, &s.Reason, &s.ChangedAt, &s.CheckedAt); err != nil {
				return err
			}
			out[s.Chain] = s
		}
		return rows.Err()
	})
	return out, err
}

// AuditStatusOf returns one chain's audit status (State "" when never checked).
func (db *DB) AuditStatusOf(ctx context.Context, chain string) (AuditStatus, error) {
	all, err := db.AuditStatuses(ctx)
	if err != nil {
		return AuditStatus{}, err
	}
	s, ok := all[chain]
	if !ok {
		s.Chain = chain
	}
	return s, nil
}

// MarkAuditBroken records that a chain failed verification at b. The change
// from not broken to broken is itself an audited platform action
// ("audit.chain_broken"); a chain already broken only has its reason and
// time updated.
func (db *DB) MarkAuditBroken(ctx context.Context, chain string, b *audit.Break) error {
	return db.setAuditState(ctx, chain, AuditBroken, b.Seq, b.Reason, "audit.chain_broken")
}

// MarkAuditOK records that a chain verified (after a full verification or a
// restore). The change from broken to ok is an audited platform action
// ("audit.chain_ok"), with why (e.g. "restore", "verified").
func (db *DB) MarkAuditOK(ctx context.Context, chain, why string) error {
	return db.setAuditState(ctx, chain, AuditOK, 0, why, "audit.chain_ok")
}

// NoteAuditSigned records that a chain's head was just signed, which the
// signer does only after the rows since its last checkpoint verified: a
// chain never checked becomes ok, an ok chain gets a new check time, and a
// broken one stays broken (only a restore or a full verification clears
// that).
func (db *DB) NoteAuditSigned(ctx context.Context, chain string) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("the time of a check, not a change of state")
		now := tx.Now.Format(time.RFC3339)
		_, err := tx.Exec(`INSERT INTO audit_status (chain_id, state, reason, changed_at, checked_at) VALUES (?, 'ok', 'signed', ?, ?)
			ON CONFLICT (chain_id) DO UPDATE SET checked_at = excluded.checked_at WHERE audit_status.state = 'ok'`, chain, now, now)
		return err
	})
}

func (db *DB) setAuditState(ctx context.Context, chain, state string, seq int64, reason, action string) error {
	return db.Update(ctx, func(tx *Tx) error {
		now := tx.Now.Format(time.RFC3339)
		var was string
		err := tx.QueryRow(`SELECT state FROM audit_status WHERE chain_id = ?`, chain).Scan(&was)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO audit_status (chain_id, state, first_bad_seq, reason, changed_at, checked_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (chain_id) DO UPDATE SET state = excluded.state, first_bad_seq = excluded.first_bad_seq, reason = excluded.reason,
				changed_at = CASE WHEN audit_status.state = excluded.state THEN audit_status.changed_at ELSE excluded.changed_at END,
				checked_at = excluded.checked_at`, chain, state, seq, reason, now, now); err != nil {
			return err
		}
		// Only a change of state is an event worth a row of the
		// platform's chain; the first "ok" of a chain is not a change.
		if was == state || (was == "" && state == AuditOK) {
			tx.Unaudited("the audit state did not change")
			return nil
		}
		after := map[string]any{"state": state, "reason": reason}
		if state == AuditBroken {
			after["first_bad_seq"] = seq
		}
		entity := "tenant"
		if chain == ChainID {
			entity = "platform"
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: entity, EntityID: chain, Before: map[string]string{"state": was}, After: after})
	})
}
