package server

import (
	"net/http"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant/identity"
)

type dashboardData struct {
	CanUsers  bool
	CanAudit  bool
	CanTokens bool
	Active    int
	Invited   int
	Sessions  int
	TwoFactor bool
	Required  bool
	Recent    []historyItem
	PMS       *pmsDashboard // today at the current property (issue 4)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	if housekeepingOnly(c) {
		http.Redirect(w, r, tenantPath(c.tenant.Slug)+"housekeeping", http.StatusSeeOther)
		return nil
	}
	p := s.tenantPage(w, r, c, "Dashboard", "dashboard")
	d := dashboardData{CanUsers: c.can(identity.PermUsersRead), CanAudit: c.can(identity.PermAuditRead), CanTokens: c.can(identity.PermTokensRead), TwoFactor: c.user.TOTPEnabled}
	var err error
	if d.Required, err = identity.New(c.db).Require2FA(ctx); err != nil {
		return err
	}
	if d.PMS, err = s.dashboardPMS(r, c, p); err != nil {
		return err
	}
	if d.CanUsers {
		users, err := identity.New(c.db).Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			switch u.Status {
			case identity.UserActive:
				d.Active++
			case identity.UserInvited:
				d.Invited++
			}
		}
	}
	if c.user.ID != "" {
		ss, err := identity.New(c.db).Sessions(ctx, c.user.ID)
		if err != nil {
			return err
		}
		d.Sessions = len(ss)
	}
	if d.CanAudit {
		rows, err := c.db.AuditLog(ctx, audit.Filter{Limit: 8, BySeq: true})
		if err != nil {
			return err
		}
		if d.Recent, err = s.history(r, c, p, rows); err != nil {
			return err
		}
	}
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "dashboard", p)
	return nil
}

type usersData struct {
	Users       []identity.User
	MeID        string
	CanWrite    bool
	CanSecurity bool
	Require2FA  bool
	InviteLink  string
	InviteNote  string
	Roles       []string
	IsOwner     bool
	// ReplicaWhere is where the tenant's encrypted backups live (its
	// replica target), shown to those who manage security settings.
	ReplicaWhere string
}

func (s *Server) usersPageData(r *http.Request, c *call) (usersData, error) {
	users, err := identity.New(c.db).Users(r.Context())
	if err != nil {
		return usersData{}, err
	}
	req, err := identity.New(c.db).Require2FA(r.Context())
	if err != nil {
		return usersData{}, err
	}
	roles := identity.Roles
	if !c.isOwner() {
		roles = roles[1:]
	}
	d := usersData{Users: users, MeID: c.user.ID, CanWrite: c.can(identity.PermUsersWrite), CanSecurity: c.can(identity.PermSecurityWrite),
		Require2FA: req, Roles: roles, IsOwner: c.isOwner()}
	if d.CanSecurity && s.cfg.Control != nil && s.cfg.Control.Replicator != nil {
		d.ReplicaWhere = s.cfg.Control.Replicator.Config().Where(c.tenant.ReplicaTarget())
	}
	return d, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.usersPageData(r, c)
	if err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "Users", "users")
	p.Form.Set("role", identity.RoleFrontDesk)
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "users", p)
	return nil
}

// isOwner reports whether the caller acts with an owner's authority (an
// owner, an owner's token, or staff impersonating).
func (c *call) isOwner() bool { return c.imp != nil || c.user.Role == identity.RoleOwner }

// mayChange checks the rules about who may change whom beyond the route's
// permission: only owners grant or touch the owner role, and nobody changes
// their own role or access (another owner or manager must).
func (c *call) mayChange(target identity.User, newRole string) error {
	if c.imp == nil && target.ID == c.user.ID {
		return aura.Errorf(aura.EFORBIDDEN, "You cannot change your own role or access; ask another owner or manager.")
	}
	if (target.Role == identity.RoleOwner || newRole == identity.RoleOwner) && !c.isOwner() {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can grant the owner role or change an owner.")
	}
	return nil
}

func (s *Server) usersInvite(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	email, name, role := r.PostForm.Get("email"), r.PostForm.Get("name"), r.PostForm.Get("role")
	if role == identity.RoleOwner && !c.isOwner() {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can invite another owner.")
	}
	u, token, err := identity.New(c.db).InviteUser(r.Context(), identity.NewUser{Email: email, Name: name, Role: role})
	d, derr := s.usersPageData(r, c)
	if derr != nil {
		return derr
	}
	p := s.tenantPage(w, r, c, "Users", "users")
	p.Data = &d
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.withFormError(err)
		p.Form = r.PostForm
		s.renderPage(w, r, http.StatusBadRequest, "users", p)
		return nil
	}
	d.InviteLink, d.InviteNote = s.deliverInvite(r, c.tenant.Name, c.tenant.Slug, s.inviterLabel(c), u.Email, token)
	p.Form.Set("role", identity.RoleFrontDesk)
	s.renderPage(w, r, http.StatusOK, "users", p)
	return nil
}

func (s *Server) inviterLabel(c *call) string {
	if c.imp != nil {
		return "Aura support"
	}
	if c.user.Name != "" {
		return c.user.Name
	}
	return c.user.Email
}

func (s *Server) userReinvite(w http.ResponseWriter, r *http.Request, c *call) error {
	target, err := identity.New(c.db).User(r.Context(), c.params.ByName("id"))
	if err != nil {
		return err
	}
	if err := c.mayChange(target, target.Role); err != nil {
		return err
	}
	u, token, err := identity.New(c.db).ReinviteUser(r.Context(), target.ID)
	if err != nil {
		return err
	}
	d, err := s.usersPageData(r, c)
	if err != nil {
		return err
	}
	d.InviteLink, d.InviteNote = s.deliverInvite(r, c.tenant.Name, c.tenant.Slug, s.inviterLabel(c), u.Email, token)
	p := s.tenantPage(w, r, c, "Users", "users")
	p.Form.Set("role", identity.RoleFrontDesk)
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "users", p)
	return nil
}

func (s *Server) userRole(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	target, err := identity.New(c.db).User(r.Context(), c.params.ByName("id"))
	if err != nil {
		return err
	}
	role := r.PostForm.Get("role")
	if err := c.mayChange(target, role); err != nil {
		return err
	}
	u, err := identity.New(c.db).SetRole(r.Context(), target.ID, role)
	if err != nil {
		return err
	}
	s.setFlash(w, "ok", u.Label()+" is now "+identity.RoleLabel(u.Role)+".")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"users", http.StatusSeeOther)
	return nil
}

// userAction disables, enables or removes a user.
func (s *Server) userAction(action string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		ctx := r.Context()
		target, err := identity.New(c.db).User(ctx, c.params.ByName("id"))
		if err != nil {
			return err
		}
		if err := c.mayChange(target, target.Role); err != nil {
			return err
		}
		var msg string
		switch action {
		case "disable":
			_, err = identity.New(c.db).DisableUser(ctx, target.ID)
			msg = target.Label() + " is disabled and signed out everywhere."
		case "enable":
			_, err = identity.New(c.db).EnableUser(ctx, target.ID)
			msg = target.Label() + " is enabled again."
		case "remove":
			_, err = identity.New(c.db).RemoveUser(ctx, target.ID)
			msg = target.Label() + " is removed from this account."
		}
		if err != nil {
			return err
		}
		s.setFlash(w, "ok", msg)
		http.Redirect(w, r, tenantPath(c.tenant.Slug)+"users", http.StatusSeeOther)
		return nil
	}
}

func (s *Server) securitySettings(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	on := r.PostForm.Get("require_2fa") == "on"
	if on && c.imp == nil && !c.user.TOTPEnabled {
		return aura.Errorf(aura.ECONFLICT, "Turn on two-factor authentication for yourself first (Account & security), then require it of everyone.")
	}
	if err := identity.New(c.db).SetRequire2FA(r.Context(), on); err != nil {
		return err
	}
	msg := "Two-factor authentication is no longer required."
	if on {
		msg = "Two-factor authentication is now required: users without it set it up at their next page."
	}
	s.setFlash(w, "ok", msg)
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"users", http.StatusSeeOther)
	return nil
}
