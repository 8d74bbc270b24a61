package control

import (
	"context"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
)

// BackupStatus is one tenant's backup state: how far its encrypted replica
// is, and its last restore drill.
type BackupStatus struct {
	Tenant    platform.Tenant `json:"-"`
	Slug      string          `json:"slug"`
	Replica   replica.Status  `json:"replica"`
	Error     string          `json:"error,omitempty"` // why the replica could not be read
	LastDrill *platform.Drill `json:"last_drill,omitempty"`
	// Where is the replica target the tenant's data is replicated to (its
	// name and destination, without secrets).
	Where string `json:"where"`
}

// BackupStatuses returns the backup state of every tenant that still has a
// key (a deleted tenant's replica can never be read again). It reads each
// replica with the tenant's key, so it also proves the key opens it.
func (s *Service) BackupStatuses(ctx context.Context) ([]BackupStatus, error) {
	if s.Replicator == nil {
		return nil, aura.Errorf(aura.ENOTIMPLEMENTED, "Replication is not configured.")
	}
	ts, err := s.Platform.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	drills, err := s.Platform.LatestDrills(ctx)
	if err != nil {
		return nil, err
	}
	var out []BackupStatus
	for _, t := range ts {
		if t.Status == platform.StatusDeleted || !t.HasKey() {
			continue
		}
		b := BackupStatus{Tenant: t, Slug: t.Slug, Where: s.Replicator.Config().Where(t.ReplicaTarget())}
		if d, ok := drills[t.ID]; ok {
			b.LastDrill = &d
		}
		key, err := s.Platform.DataKey(t)
		if err == nil {
			b.Replica, err = s.Replicator.Inspect(ctx, s.TenantPath(t.ID), s.ReplicaPrefix(t), replicaKey(key))
		}
		if err != nil {
			b.Error = aura.ErrorMessage(err)
			if aura.ErrorCode(err) == aura.EINTERNAL {
				b.Error = err.Error()
			}
		}
		out = append(out, b)
	}
	return out, nil
}
