package platform

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

// Maintenance is a tenant taken out of service for a moment.
type Maintenance struct {
	TenantID   string
	Slug       string
	Reason     string
	StartedAt  time.Time
	ReleasedAt time.Time // when the serving process closed the tenant's file (zero: not yet)
}

// StartMaintenance takes a tenant out of service: from now on the router
// refuses it (503) and a running server closes its file and acknowledges
// with ReleaseMaintenance. The start is recorded in the platform chain as
// action (for example "tenant.restore_started"). It returns ECONFLICT when
// the tenant is already under maintenance and ENOTFOUND for an unknown slug.
func (db *DB) StartMaintenance(ctx context.Context, slug, action, reason string, detail any) (Tenant, error) {
	var t Tenant
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		t, err = liveTenant(tx, slug)
		if err != nil {
			return err
		}
		if t.Maintenance != "" {
			return aura.Errorf(aura.ECONFLICT, "Tenant %s is already under maintenance (%s).", slug, t.Maintenance)
		}
		if _, err := tx.Exec(`INSERT INTO tenant_maintenance (tenant_id, reason, started_at) VALUES (?, ?, ?)`,
			t.ID, reason, tx.Now.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		t.Maintenance = reason
		return tx.Audit(audit.Entry{Action: action, EntityType: "tenant", EntityID: t.ID, After: detail})
	})
	return t, err
}

// EndMaintenance puts the tenant back in service and records action with
// detail in the platform chain, in one transaction.
func (db *DB) EndMaintenance(ctx context.Context, tenantID, action string, detail any) error {
	return db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM tenant_maintenance WHERE tenant_id = ?`, tenantID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: "tenant", EntityID: tenantID, After: detail})
	})
}

// PendingMaintenance returns the maintenance rows whose release the serving
// process has not acknowledged yet.
func (db *DB) PendingMaintenance(ctx context.Context) ([]Maintenance, error) {
	var ms []Maintenance
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT m.tenant_id, t.slug, m.reason, m.started_at FROM tenant_maintenance m
			JOIN tenants t ON t.id = m.tenant_id WHERE m.released_at IS NULL`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Maintenance
			var started string
			if err := rows.Scan(&m.TenantID, &m.Slug, &m.Reason, &started); err != nil {
				return err
			}
			m.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
			ms = append(ms, m)
		}
		return rows.Err()
	})
	return ms, err
}

// ReleaseMaintenance records that the serving process closed the tenant's
// file. It is bookkeeping of the hand-over, not a state change of its own.
func (db *DB) ReleaseMaintenance(ctx context.Context, tenantID string) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("the hand-over of a tenant under maintenance; start and end are audited")
		_, err := tx.Exec(`UPDATE tenant_maintenance SET released_at = ? WHERE tenant_id = ? AND released_at IS NULL`,
			tx.Now.Format(time.RFC3339Nano), tenantID)
		return err
	})
}

// MaintenanceReleased reports whether the serving process has closed the
// tenant's file since maintenance started.
func (db *DB) MaintenanceReleased(ctx context.Context, tenantID string) (bool, error) {
	var released sql.NullString
	err := db.View(ctx, func(tx *Tx) error {
		return tx.QueryRow(`SELECT released_at FROM tenant_maintenance WHERE tenant_id = ?`, tenantID).Scan(&released)
	})
	if err == sql.ErrNoRows {
		return false, aura.Errorf(aura.ENOTFOUND, "The tenant is not under maintenance.")
	}
	return released.Valid, err
}
