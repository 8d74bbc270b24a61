package platform

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

// Tenant statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusDeleted   = "deleted"
)

// Tenant is one entry of the tenant registry.
type Tenant struct {
	ID            string    `json:"id"`
	Slug          string    `json:"slug"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	SchemaVersion int       `json:"schema_version"`
	MasterKeyID   string    `json:"master_key_id"`
	Replica       string    `json:"replica"` // JSON replica settings
	// Maintenance is the reason the tenant is out of service for a moment
	// (a restore), or "" when it is not.
	Maintenance string `json:"maintenance,omitempty"`
	wrapped     []byte
}

// HasKey reports whether the tenant's data key still exists (it is destroyed on deletion).
func (t Tenant) HasKey() bool { return t.wrapped != nil }

const tenantColumns = `id, slug, name, status, created_at, updated_at, schema_version, master_key_id, replica, key_wrapped,
	coalesce((SELECT reason FROM tenant_maintenance m WHERE m.tenant_id = tenants.id), '')`

func scanTenant(s interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var created, updated string
	err := s.Scan(&t.ID, &t.Slug, &t.Name, &t.Status, &created, &updated, &t.SchemaVersion, &t.MasterKeyID, &t.Replica, &t.wrapped, &t.Maintenance)
	if err != nil {
		return t, err
	}
	t.CreatedAt, _ = time.Parse(time.RFC3339, created)
	t.UpdatedAt, _ = time.Parse(time.RFC3339, updated)
	return t, nil
}

// ValidateNewTenant checks a slug and name for a new tenant, including that
// no live tenant has the slug. It returns EINVALID or ECONFLICT.
func (db *DB) ValidateNewTenant(ctx context.Context, slug, name string) error {
	if err := ValidateSlug(slug); err != nil {
		return err
	}
	if n := len([]rune(name)); n < 1 || n > 200 {
		return aura.Invalid("A tenant needs a name of 1 to 200 characters.", aura.FieldError{Field: "name", Message: "1 to 200 characters"})
	}
	if _, err := db.TenantBySlug(ctx, slug); err == nil {
		return aura.Errorf(aura.ECONFLICT, "A tenant with the slug %q already exists.", slug)
	} else if aura.ErrorCode(err) != aura.ENOTFOUND {
		return err
	}
	return nil
}

// CreateTenant registers a tenant whose file was already created, wrapping
// its data key with the master key, and records it in the platform chain.
// It returns EINVALID for a bad slug or name and ECONFLICT for a taken slug.
func (db *DB) CreateTenant(ctx context.Context, id, slug, name string, dataKey []byte, schemaVersion int) (Tenant, error) {
	if err := db.ValidateNewTenant(ctx, slug, name); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := db.Update(ctx, func(tx *Tx) error {
		now := tx.Now.Format(time.RFC3339)
		if _, err := tx.Exec(`INSERT INTO tenants (id, slug, name, status, created_at, updated_at, key_wrapped, master_key_id, schema_version)
			VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)`, id, slug, name, now, now, db.master.Wrap(dataKey, id), db.master.ID(), schemaVersion); err != nil {
			return err
		}
		var err error
		if t, err = tenantByID(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "tenant.created", EntityType: "tenant", EntityID: id, After: t})
	})
	return t, err
}

func tenantByID(tx *Tx, id string) (Tenant, error) {
	t, err := scanTenant(tx.QueryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return t, aura.Errorf(aura.ENOTFOUND, "No tenant with id %q.", id)
	}
	return t, err
}

// liveTenant returns the live (not deleted) tenant with slug, or
// ENOTFOUND naming the slug.
func liveTenant(tx *Tx, slug string) (Tenant, error) {
	t, err := scanTenant(tx.QueryRow(`SELECT `+tenantColumns+` FROM tenants WHERE slug = ? AND status <> 'deleted'`, slug))
	if err == sql.ErrNoRows {
		return t, aura.Errorf(aura.ENOTFOUND, "No tenant %q.", slug)
	}
	return t, err
}

// TenantBySlug returns the live (not deleted) tenant with slug, or
// ENOTFOUND naming the slug.
//
// Every request asks for its tenant, so the rows read are kept while the
// platform file is unchanged (see tenantCache): a commit by this process
// or another one, `aura tenant suspend` from the command line included, is
// seen by the next call.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	t, v, hit, cached := db.tenants.lookup(ctx, slug)
	if hit {
		return t, nil
	}
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		t, err = liveTenant(tx, slug)
		return err
	})
	if err == nil && cached {
		db.tenants.put(slug, v, t)
	}
	return t, err
}

// TenantByID returns the tenant with id, deleted or not, or ENOTFOUND.
func (db *DB) TenantByID(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		t, err = tenantByID(tx, id)
		return err
	})
	return t, err
}

// Tenants returns every tenant in the registry, deleted ones included, by slug.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	var ts []Tenant
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT ` + tenantColumns + ` FROM tenants ORDER BY slug, created_at`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTenant(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// DataKey unwraps a tenant's data key. It returns ENOTFOUND for a deleted
// tenant, whose key no longer exists.
func (db *DB) DataKey(t Tenant) ([]byte, error) {
	if t.wrapped == nil {
		return nil, aura.Errorf(aura.ENOTFOUND, "The data key of tenant %s was destroyed.", t.Slug)
	}
	k, err := db.master.Unwrap(t.wrapped, t.ID)
	if err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "The data key of tenant %s cannot be unwrapped with this master key.", t.Slug)
	}
	return k, nil
}

// SetStatus moves a tenant between active and suspended and records it in
// the platform chain. It returns ENOTFOUND for an unknown slug and EINVALID
// for a status other than active or suspended.
func (db *DB) SetStatus(ctx context.Context, slug, status string) (Tenant, error) {
	if status != StatusActive && status != StatusSuspended {
		return Tenant{}, aura.Errorf(aura.EINVALID, "A tenant can only be set active or suspended.")
	}
	var t Tenant
	err := db.Update(ctx, func(tx *Tx) error {
		before, err := liveTenant(tx, slug)
		if err != nil {
			return err
		}
		if before.Status == status {
			t = before
			return nil
		}
		if _, err := tx.Exec(`UPDATE tenants SET status = ?, updated_at = ? WHERE id = ?`, status, tx.Now.Format(time.RFC3339), before.ID); err != nil {
			return err
		}
		if t, err = tenantByID(tx, before.ID); err != nil {
			return err
		}
		action := "tenant.suspended"
		if status == StatusActive {
			action = "tenant.resumed"
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: "tenant", EntityID: t.ID, Before: before, After: t})
	})
	return t, err
}

// residency is the JSON of the tenants.replica column.
type residency struct {
	Target string `json:"target,omitempty"`
}

// ReplicaTarget returns the named replica target the tenant replicates to
// ("" for the replication config's default).
func (t Tenant) ReplicaTarget() string {
	var r residency
	json.Unmarshal([]byte(t.Replica), &r)
	return r.Target
}

// SetReplicaTarget records that the tenant replicates to the named target
// ("" for the default), as an audited platform action
// ("tenant.replica_target_changed"). Whether the name exists in the
// replication config is the caller's check.
func (db *DB) SetReplicaTarget(ctx context.Context, slug, target string) (Tenant, error) {
	if target != "" && !ValidTargetName(target) {
		return Tenant{}, aura.Errorf(aura.EINVALID, "%q is not a replica target name (lowercase letters, digits and -).", target)
	}
	var t Tenant
	err := db.Update(ctx, func(tx *Tx) error {
		before, err := liveTenant(tx, slug)
		if err != nil {
			return err
		}
		if before.ReplicaTarget() == target {
			t = before
			return nil
		}
		var r residency
		json.Unmarshal([]byte(before.Replica), &r)
		r.Target = target
		b, _ := json.Marshal(r)
		if _, err := tx.Exec(`UPDATE tenants SET replica = ?, updated_at = ? WHERE id = ?`, string(b), tx.Now.Format(time.RFC3339), before.ID); err != nil {
			return err
		}
		if t, err = tenantByID(tx, before.ID); err != nil {
			return err
		}
		// The copy at the old target is kept until its retention ends and
		// then pruned (control.PruneMovedReplicas).
		if _, err := tx.Exec(`INSERT INTO replica_moves (tenant_id, from_target, to_target, moved_at) VALUES (?, ?, ?, ?)`,
			before.ID, before.ReplicaTarget(), target, tx.Now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "tenant.replica_target_changed", EntityType: "tenant", EntityID: t.ID,
			Before: map[string]string{"replica_target": before.ReplicaTarget()}, After: map[string]string{"replica_target": target}})
	})
	return t, err
}

// ValidTargetName reports whether name can name a replica target.
func ValidTargetName(name string) bool {
	if name == "" || len(name) > 32 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// DeleteTenant marks a tenant deleted and destroys its wrapped data key, in
// one transaction recorded in the platform chain. Without the key, the
// tenant's sealed data and encrypted replicas can never be read again. The
// caller removes the file afterwards.
func (db *DB) DeleteTenant(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := db.Update(ctx, func(tx *Tx) error {
		before, err := liveTenant(tx, slug)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE tenants SET status = 'deleted', key_wrapped = NULL, updated_at = ? WHERE id = ?`, tx.Now.Format(time.RFC3339), before.ID); err != nil {
			return err
		}
		if t, err = tenantByID(tx, before.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "tenant.deleted", EntityType: "tenant", EntityID: t.ID, Before: before,
			After: map[string]any{"status": t.Status, "data_key": "destroyed"}})
	})
	return t, err
}

// SetSchemaVersion records the schema version a tenant file was last migrated to.
func (db *DB) SetSchemaVersion(ctx context.Context, id string, v int) error {
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("bookkeeping of the migrated schema version; the migration itself is recorded in the tenant file")
		_, err := tx.Exec(`UPDATE tenants SET schema_version = ? WHERE id = ? AND schema_version <> ?`, v, id, v)
		return err
	})
}
