package platform

import (
	"context"
	"time"
)

// Drill is the result of one restore drill of a tenant: its replica was
// restored into a scratch file and checked.
type Drill struct {
	TenantID     string        `json:"tenant_id"`
	RanAt        time.Time     `json:"ran_at"`
	OK           bool          `json:"ok"`
	PointTXID    uint64        `json:"point_txid"`
	PointAt      time.Time     `json:"point_at"`
	Integrity    string        `json:"integrity"`
	Chain        string        `json:"chain"`
	RestoredSeq  int64         `json:"restored_seq"`
	LiveSeq      int64         `json:"live_seq"`
	RestoredRows int64         `json:"restored_rows"`
	LiveRows     int64         `json:"live_rows"`
	Duration     time.Duration `json:"duration"`
	Detail       string        `json:"detail"`
}

// RecordDrill stores a drill's result. Drills read and compare; they change
// no tenant, so the result is kept as a record rather than audited.
func (db *DB) RecordDrill(ctx context.Context, d Drill) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("a restore drill's result is itself the record")
		_, err := tx.Exec(`INSERT INTO backup_drills (tenant_id, ran_at, ok, point_txid, point_at, integrity, chain,
			restored_seq, live_seq, restored_rows, live_rows, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.TenantID, d.RanAt.UTC().Format(time.RFC3339), d.OK, int64(d.PointTXID), d.PointAt.UTC().Format(time.RFC3339),
			d.Integrity, d.Chain, d.RestoredSeq, d.LiveSeq, d.RestoredRows, d.LiveRows, d.Duration.Milliseconds(), d.Detail)
		return err
	})
}

// LatestDrills returns each tenant's most recent drill, by tenant id.
func (db *DB) LatestDrills(ctx context.Context) (map[string]Drill, error) {
	out := map[string]Drill{}
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT tenant_id, ran_at, ok, point_txid, point_at, integrity, chain, restored_seq, live_seq,
			restored_rows, live_rows, duration_ms, detail FROM backup_drills d
			WHERE id = (SELECT max(id) FROM backup_drills e WHERE e.tenant_id = d.tenant_id)`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Drill
			var ran, point string
			var txid, ms int64
			if err := rows.Scan(&d.TenantID, &ran, &d.OK, &txid, &point, &d.Integrity, &d.Chain, &d.RestoredSeq, &d.LiveSeq,
				&d.RestoredRows, &d.LiveRows, &ms, &d.Detail); err != nil {
				return err
			}
			d.RanAt, _ = time.Parse(time.RFC3339, ran)
			d.PointAt, _ = time.Parse(time.RFC3339, point)
			d.PointTXID, d.Duration = uint64(txid), time.Duration(ms)*time.Millisecond
			out[d.TenantID] = d
		}
		return rows.Err()
	})
	return out, err
}
