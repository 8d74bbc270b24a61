package identity

import (
	"context"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
)

// Impersonation is what the tenant's own chain records of a platform staff
// member acting on this tenant: who (staff id and, sealed, email), why,
// and when it started, ends or ended.
type Impersonation struct {
	ID         string
	StaffID    string
	StaffEmail string
	Reason     string
	StartedAt  time.Time
	ExpiresAt  time.Time
	EndedAt    time.Time // zero while active
	EndReason  string
}

// RecordImpersonation writes the start ("impersonation.started") or end
// ("impersonation.ended") of a staff impersonation to the tenant's chain,
// with the staff member as the actor, so the tenant's own log shows who
// acted on its data, why and when. It returns EINVALID for another action.
func (db Store) RecordImpersonation(ctx context.Context, action string, imp Impersonation) error {
	if action != "impersonation.started" && action != "impersonation.ended" {
		return aura.Errorf(aura.EINVALID, "Unknown impersonation event %q.", action)
	}
	ctx = aura.WithActor(ctx, aura.Actor{Kind: aura.ActorStaff, ID: imp.StaffID, Impersonation: imp.ID})
	after := map[string]any{
		"id":          imp.ID,
		"staff_id":    imp.StaffID,
		"staff_email": db.AuditSeal(imp.ID, "staff_email", imp.StaffEmail),
		"tenant_id":   db.ID,
		"reason":      imp.Reason,
		"started_at":  tenant.FormatTime(imp.StartedAt),
		"expires_at":  tenant.FormatTime(imp.ExpiresAt),
	}
	if action == "impersonation.ended" {
		after["ended_at"] = tenant.FormatTime(imp.EndedAt)
		after["end_reason"] = imp.EndReason
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		return tx.Audit(audit.Entry{Action: action, EntityType: "impersonation", EntityID: imp.ID, After: after})
	})
}
