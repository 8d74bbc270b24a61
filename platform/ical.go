package platform

import (
	"context"
	"database/sql"

	"github.com/aurapms/aura"
)

// RegisterCalendarToken records that the calendar token whose SHA-256 is
// hash belongs to a tenant, so /ical/{token}.ics finds the tenant without
// the URL naming it. The tenant file holds the same hash on its export and
// the tenant's own audit chain records the export; this row is an index
// (unaudited).
func (db *DB) RegisterCalendarToken(ctx context.Context, hash []byte, tenantID string) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("calendar token index")
		_, err := tx.Exec(`INSERT INTO ical_tokens (token_hash, tenant_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET tenant_id = excluded.tenant_id`, hash, tenantID, fmtTime(tx.Now))
		return err
	})
}

// ForgetCalendarToken drops a rotated or revoked calendar token from the
// index. Forgetting an unknown hash is not an error.
func (db *DB) ForgetCalendarToken(ctx context.Context, hash []byte) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("calendar token index")
		_, err := tx.Exec(`DELETE FROM ical_tokens WHERE token_hash = ?`, hash)
		return err
	})
}

// CalendarTokenTenant returns the slug of the live tenant a calendar token
// hash belongs to. It returns ENOTFOUND for an unknown hash and for a hash
// of a deleted or suspended tenant, with one message whatever the cause.
func (db *DB) CalendarTokenTenant(ctx context.Context, hash []byte) (string, error) {
	var slug string
	err := db.View(ctx, func(tx *Tx) error {
		return tx.QueryRow(`SELECT t.slug FROM ical_tokens i JOIN tenants t ON t.id = i.tenant_id
			WHERE i.token_hash = ? AND t.status = 'active'`, hash).Scan(&slug)
	})
	if err == sql.ErrNoRows {
		return "", aura.Errorf(aura.ENOTFOUND, "No such calendar.")
	}
	return slug, err
}
