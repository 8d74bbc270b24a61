package platform

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
)

// SignedCheckpoint is a signed record of a tenant chain's head, kept in the
// platform DB, outside the tenant's file.
type SignedCheckpoint struct {
	audit.Checkpoint
	SignedAt  string
	KeyID     string
	Signature []byte
}

// SaveCheckpoint signs head for the tenant with the signing key and stores
// it. Signing the same head twice is a no-op. It is bookkeeping, not an
// audited change: the checkpoint itself is the record.
func (db *DB) SaveCheckpoint(ctx context.Context, tenantID string, head audit.Head, signer *keys.SigningKey) error {
	if head.Seq == 0 {
		return nil
	}
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("a checkpoint is itself a signed record")
		cp := audit.Checkpoint{Epoch: head.Epoch, Seq: head.Seq, Hash: head.Hash}
		at := tx.Now.Format(time.RFC3339)
		sig := signer.Sign(audit.SignedMessage(tenantID, cp, at))
		_, err := tx.Exec(`INSERT INTO audit_checkpoints (tenant_id, epoch, seq, hash, signed_at, key_id, signature)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, tenantID, cp.Epoch, cp.Seq, cp.Hash, at, signer.ID(), sig)
		return err
	})
}

// Checkpoints returns the tenant's checkpoints in seq order, after checking
// every signature with signer's public key. A checkpoint with a bad
// signature, or signed by another key, is an EINTERNAL error naming it: the
// platform DB itself was tampered with or the wrong signing key is in use.
func (db *DB) Checkpoints(ctx context.Context, tenantID string, signer *keys.SigningKey) ([]audit.Checkpoint, error) {
	var cps []audit.Checkpoint
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT epoch, seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE tenant_id = ? ORDER BY seq, epoch`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c SignedCheckpoint
			if err := rows.Scan(&c.Epoch, &c.Seq, &c.Hash, &c.SignedAt, &c.KeyID, &c.Signature); err != nil {
				return err
			}
			if c.KeyID != signer.ID() {
				return aura.Errorf(aura.EINTERNAL, "The checkpoint at seq %d was signed by key %s, not by the signing key in use (%s).", c.Seq, c.KeyID, signer.ID())
			}
			if !signer.Verify(audit.SignedMessage(tenantID, c.Checkpoint, c.SignedAt), c.Signature) {
				return aura.Errorf(aura.EINTERNAL, "The signature of the checkpoint at seq %d (hash %s) is invalid: the platform DB was tampered with.", c.Seq, hex.EncodeToString(c.Hash))
			}
			cps = append(cps, c.Checkpoint)
		}
		return rows.Err()
	})
	return cps, err
}
