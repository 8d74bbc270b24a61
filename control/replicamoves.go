package control

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
)

// MoveOutcome is what PruneMovedReplicas did with one tenant's old copy.
type MoveOutcome struct {
	Slug   string `json:"slug"`
	From   string `json:"from_target"`
	Action string `json:"action"` // "pruned", "kept", "closed", "waiting"
	Detail string `json:"detail"`
}

// PruneMovedReplicas deals with the off-site copies tenants left behind
// when they moved to another target (platform.SetReplicaTarget). An old
// copy is kept, and trimmed by the off-site retention, until that
// retention has run out since the move (a restore to a time before the
// move can still read it); it is then deleted, but only once a restore of
// the tenant from its new target has checked out (integrity check and
// audit chain), so a tenant is never left without an off-site copy. Every
// deletion is an audited platform action ("tenant.replica_pruned"). A copy
// at the target the tenant has moved back to is never deleted (the move
// is closed instead). now is the time retention is measured at.
func (s *Service) PruneMovedReplicas(ctx context.Context, now time.Time) ([]MoveOutcome, error) {
	if s.Replicator == nil {
		return nil, aura.Errorf(aura.ENOTIMPLEMENTED, "Replication is not configured.")
	}
	moves, err := s.Platform.OpenReplicaMoves(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.Replicator.Config()
	var out []MoveOutcome
	for _, m := range moves {
		t, err := s.Platform.TenantByID(ctx, m.TenantID)
		if err != nil {
			return out, err
		}
		from := cfg.OffSiteTarget(m.From)
		o := MoveOutcome{Slug: t.Slug, From: from}
		old := cfg.TargetPrefix(from, TenantReplicaPrefix(t.ID))
		detail := map[string]any{"from_target": from, "to_target": cfg.OffSiteTarget(m.To), "moved_at": m.MovedAt}
		switch _, known := cfg.Targets[from]; {
		case from == "" || !known:
			o.Action, o.Detail = "waiting", fmt.Sprintf("the target %q is not in the replication config; its copy is left alone", from)
			out = append(out, o)
			continue
		case t.Status != platform.StatusDeleted && from == cfg.OffSiteTarget(t.ReplicaTarget()):
			o.Action, o.Detail = "closed", "the tenant replicates to this target again; its copy is in use"
			if err := s.Platform.CloseReplicaMove(ctx, m.ID, "moved back", detail); err != nil {
				return out, err
			}
			out = append(out, o)
			continue
		}
		if m.VerifiedAt.IsZero() && t.Status != platform.StatusDeleted {
			if err := s.verifyOffSite(ctx, t); err != nil {
				o.Action, o.Detail = "waiting", "the new target does not hold a verified snapshot yet: "+aura.ErrorMessage(err)
				out = append(out, o)
				continue
			}
			m.VerifiedAt = now
			if err := s.Platform.MarkReplicaMoveVerified(ctx, m.ID, now); err != nil {
				return out, err
			}
		}
		if now.Sub(m.MovedAt) < cfg.OffSiteRetention {
			// Inside the window: the old copy stays, trimmed like any other.
			if err := s.Replicator.RetainOffSite(ctx, old); err != nil {
				o.Action, o.Detail = "waiting", "retention of the old copy failed: "+aura.ErrorMessage(err)
			} else {
				o.Action, o.Detail = "kept", fmt.Sprintf("kept until %s (the off-site retention since the move)", m.MovedAt.Add(cfg.OffSiteRetention).UTC().Format(time.RFC3339))
			}
			out = append(out, o)
			continue
		}
		if err := s.Replicator.PruneOffSite(ctx, old); err != nil {
			o.Action, o.Detail = "waiting", "pruning failed: "+aura.ErrorMessage(err)
			out = append(out, o)
			continue
		}
		detail["verified_at"] = m.VerifiedAt
		if err := s.Platform.CloseReplicaMove(ctx, m.ID, "pruned", detail); err != nil {
			return out, err
		}
		o.Action, o.Detail = "pruned", fmt.Sprintf("the copy at %s was deleted; the new target's copy checked out on %s", from, m.VerifiedAt.UTC().Format(time.RFC3339))
		out = append(out, o)
	}
	return out, nil
}

// verifyOffSite restores t's latest state from its current off-site
// target into a scratch file and checks it (integrity and audit chain),
// and that the target holds a full snapshot.
func (s *Service) verifyOffSite(ctx context.Context, t platform.Tenant) error {
	key, err := s.Platform.DataKey(t)
	if err != nil {
		return err
	}
	tl, err := s.Replicator.TimelineFrom(ctx, s.ReplicaPrefix(t), replicaKey(key), replica.OffSite)
	if err != nil {
		return err
	}
	if len(tl.Snapshots) == 0 {
		return aura.Errorf(aura.ENOTFOUND, "The new target holds no full snapshot of %s yet.", t.Slug)
	}
	scratch, err := os.MkdirTemp(filepath.Dir(s.TenantsDir), "verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	cp, err := s.restoreChecked(ctx, t, key, filepath.Join(scratch, t.ID+".db"), time.Time{}, replica.OffSite)
	if err != nil {
		return err
	}
	defer cp.db.Close()
	if cp.chain != "ok" {
		return aura.Errorf(aura.EINVALID, "The copy at the new target fails its audit check: %s", cp.chain)
	}
	return nil
}
