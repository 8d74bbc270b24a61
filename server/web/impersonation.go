package web

import (
	"context"
	"net/http"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant/identity"
)

func tenantImpersonation(imp platform.Impersonation, staffEmail string) identity.Impersonation {
	return identity.Impersonation{ID: imp.ID, StaffID: imp.StaffID, StaffEmail: staffEmail, Reason: imp.Reason,
		StartedAt: imp.StartedAt, ExpiresAt: imp.ExpiresAt, EndedAt: imp.EndedAt, EndReason: imp.EndReason}
}

// StartImpersonation records, in the platform chain and then in the
// tenant's own chain, that a staff member (of staff session se) starts
// acting on tenant slug, and returns the impersonation with the secret for
// its cookie. When the tenant's chain cannot record it, the impersonation
// is ended again and the error returned: nobody acts on a tenant without
// the tenant's log saying so.
func (s *Server) StartImpersonation(ctx context.Context, staff platform.Staff, se platform.StaffSession, slug, reason string, ttl time.Duration) (platform.Impersonation, string, error) {
	ctx = aura.WithActor(ctx, staff.Actor())
	imp, secret, err := s.Cfg.Platform.StartImpersonation(ctx, se, slug, reason, ttl)
	if err != nil {
		return imp, "", err
	}
	err = func() error {
		db, err := s.Cfg.Router.Acquire(ctx, slug)
		if err != nil {
			return err
		}
		defer db.Release()
		return identity.New(db).RecordImpersonation(ctx, "impersonation.started", tenantImpersonation(imp, staff.Email))
	}()
	if err != nil {
		s.Cfg.Platform.EndImpersonation(ctx, imp.ID, "the tenant's audit log could not record the start")
		return imp, "", err
	}
	return imp, secret, nil
}

// EndImpersonation ends an impersonation in the platform chain and, once,
// in the tenant's chain. Ending one that already ended does nothing.
func (s *Server) EndImpersonation(ctx context.Context, id, reason string) (platform.Impersonation, error) {
	s.endMu.Lock()
	defer s.endMu.Unlock()
	imp, changed, err := s.Cfg.Platform.EndImpersonation(ctx, id, reason)
	if err != nil || !changed {
		return imp, err
	}
	staff, err := s.Cfg.Platform.StaffByID(ctx, imp.StaffID)
	if err != nil {
		return imp, err
	}
	db, err := s.Cfg.Router.Acquire(ctx, imp.TenantSlug)
	if err != nil {
		s.Cfg.Logger.Error("the end of an impersonation could not be written to the tenant's audit log", "tenant", imp.TenantSlug, "impersonation", id, "err", err)
		return imp, err
	}
	defer db.Release()
	if err := identity.New(db).RecordImpersonation(ctx, "impersonation.ended", tenantImpersonation(imp, staff.Email)); err != nil {
		s.Cfg.Logger.Error("the end of an impersonation could not be written to the tenant's audit log", "tenant", imp.TenantSlug, "impersonation", id, "err", err)
		return imp, err
	}
	return imp, nil
}

// SweepImpersonations ends every impersonation whose time box ran out or
// whose staff session ended, in both chains.
func (s *Server) SweepImpersonations(ctx context.Context) {
	ctx = aura.WithActor(ctx, aura.SystemActor("impersonation-timer"))
	due, reasons, err := s.Cfg.Platform.DueImpersonations(ctx, s.Cfg.StaffSessions)
	if err != nil {
		s.Cfg.Logger.Warn("impersonation sweep failed", "err", err)
		return
	}
	for i, imp := range due {
		if _, err := s.EndImpersonation(ctx, imp.ID, reasons[i]); err != nil {
			s.Cfg.Logger.Warn("ending an impersonation failed", "impersonation", imp.ID, "err", err)
		}
	}
}

// ImpersonationEndHere ends the impersonation of the tenant being viewed
// (the button in the red banner) and returns to the platform.
func (s *Server) ImpersonationEndHere(w http.ResponseWriter, r *http.Request, c *Call) error {
	if c.Imp == nil {
		return ErrNotFound
	}
	if _, err := s.EndImpersonation(r.Context(), c.Imp.ID, "ended by staff"); err != nil {
		return err
	}
	s.ClearCookie(w, CookieImp, TenantPath(c.Tenant.Slug))
	s.SetFlash(w, "ok", "The impersonation of "+c.Tenant.Name+" has ended.")
	http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
	return nil
}
