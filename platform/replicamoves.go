package platform

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

// ReplicaMove is a tenant's move from one off-site replica target to
// another, whose old copy is not yet pruned.
type ReplicaMove struct {
	ID         int64     `json:"id"`
	TenantID   string    `json:"tenant_id"`
	From       string    `json:"from_target"` // "" is the config's default
	To         string    `json:"to_target"`
	MovedAt    time.Time `json:"moved_at"`
	VerifiedAt time.Time `json:"verified_at"` // zero until the new target checked out
}

// OpenReplicaMoves returns the moves whose old copy is not yet pruned,
// oldest first.
func (db *DB) OpenReplicaMoves(ctx context.Context) ([]ReplicaMove, error) {
	var out []ReplicaMove
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT id, tenant_id, from_target, to_target, moved_at, coalesce(verified_at, '')
			FROM replica_moves WHERE closed_at IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m ReplicaMove
			var moved, verified string
			if err := rows.Scan(&m.ID, &m.TenantID, &m.From, &m.To, &moved, &verified); err != nil {
				return err
			}
			m.MovedAt, _ = time.Parse(time.RFC3339, moved)
			m.VerifiedAt, _ = time.Parse(time.RFC3339, verified)
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// MarkReplicaMoveVerified records that a restore from the move's new
// target checked out.
func (db *DB) MarkReplicaMoveVerified(ctx context.Context, id int64, at time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("bookkeeping of a check; the pruning it allows is audited")
		_, err := tx.Exec(`UPDATE replica_moves SET verified_at = ? WHERE id = ? AND verified_at IS NULL`, at.UTC().Format(time.RFC3339), id)
		return err
	})
}

// CloseReplicaMove records what became of a move's old copy: "pruned"
// (deleted) or why nothing was deleted, as an audited platform action
// ("tenant.replica_pruned" or "tenant.replica_move_closed") with detail.
func (db *DB) CloseReplicaMove(ctx context.Context, id int64, outcome string, detail map[string]any) error {
	return db.Update(ctx, func(tx *Tx) error {
		var tenantID string
		err := tx.QueryRow(`SELECT tenant_id FROM replica_moves WHERE id = ? AND closed_at IS NULL`, id).Scan(&tenantID)
		if err == sql.ErrNoRows {
			return aura.Errorf(aura.ENOTFOUND, "Replica move %d is not open.", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE replica_moves SET closed_at = ?, outcome = ? WHERE id = ?`, tx.Now.Format(time.RFC3339), outcome, id); err != nil {
			return err
		}
		action := "tenant.replica_move_closed"
		if outcome == "pruned" {
			action = "tenant.replica_pruned"
		}
		after := map[string]any{"outcome": outcome, "move": id}
		for k, v := range detail {
			after[k] = v
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: "tenant", EntityID: tenantID, After: after})
	})
}
