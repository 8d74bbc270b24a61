package tenant

import (
	"context"

	"github.com/aurapms/aura/audit"
)

// AuditLog returns the tenant's audit rows matching f, newest first, with
// sealed personal values in before/after opened (see RevealAuditJSON).
func (db *DB) AuditLog(ctx context.Context, f audit.Filter) ([]audit.Row, error) {
	rows, err := audit.Query(ctx, db.chain.Read, f)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		if r.Before.Valid {
			r.Before.String = db.RevealAuditJSON(r.EntityID, r.Before.String)
		}
		if r.After.Valid {
			r.After.String = db.RevealAuditJSON(r.EntityID, r.After.String)
		}
	}
	return rows, nil
}

// RecordAuditExport writes that someone exported the audit log (with the
// filter they used), since an export carries personal data out.
func (db *DB) RecordAuditExport(ctx context.Context, f audit.Filter, rows int) error {
	return db.Update(ctx, func(tx *Tx) error {
		return tx.Audit(audit.Entry{Action: "audit.exported", EntityType: "audit_log", EntityID: db.ID,
			After: map[string]any{"actor": f.ActorID, "action": f.Action, "from": f.From, "to": f.To, "rows": rows}})
	})
}

// AuditLogSealed returns the tenant's audit rows matching f, newest first,
// as stored: personal values stay sealed. The platform's cross-tenant audit
// page uses it, so staff see who did what by id without reading the
// tenant's personal data.
func (db *DB) AuditLogSealed(ctx context.Context, f audit.Filter) ([]audit.Row, error) {
	return audit.Query(ctx, db.chain.Read, f)
}
