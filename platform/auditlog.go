package platform

import (
	"context"

	"github.com/aurapms/aura/audit"
)

// AuditLog returns the platform chain's rows matching f, newest first, with
// sealed personal values (staff emails) opened.
func (db *DB) AuditLog(ctx context.Context, f audit.Filter) ([]audit.Row, error) {
	rows, err := audit.Query(ctx, db.chain.Read, f)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		if r.Before.Valid {
			r.Before.String = db.revealAuditJSON(ctx, r.EntityID, r.Before.String)
		}
		if r.After.Valid {
			r.After.String = db.revealAuditJSON(ctx, r.EntityID, r.After.String)
		}
	}
	return rows, nil
}

// StaffLabels returns the email of every staff member by id, for showing
// who did what in audit pages.
func (db *DB) StaffLabels(ctx context.Context) (map[string]string, error) {
	all, err := db.StaffMembers(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(all))
	for _, s := range all {
		m[s.ID] = s.Email
	}
	return m, nil
}
