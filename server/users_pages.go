package server

import (
	"net/http"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
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
	Recent    []pms.HistoryItem
	PMS       *web.PmsDashboard // today at the current property (issue 4)
}

func (s handlers) dashboard(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	if web.HousekeepingOnly(c) {
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"housekeeping", http.StatusSeeOther)
		return nil
	}
	p := s.TenantPage(w, r, c, "Dashboard", "dashboard")
	d := dashboardData{CanUsers: c.Can(identity.PermUsersRead), CanAudit: c.Can(identity.PermAuditRead), CanTokens: c.Can(identity.PermTokensRead), TwoFactor: c.User.TOTPEnabled}
	var err error
	if d.Required, err = identity.New(c.DB).Require2FA(ctx); err != nil {
		return err
	}
	if d.PMS, err = s.DashboardPMS(r, c, p); err != nil {
		return err
	}
	if d.CanUsers {
		users, err := identity.New(c.DB).Users(ctx)
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
	if c.User.ID != "" {
		ss, err := identity.New(c.DB).Sessions(ctx, c.User.ID)
		if err != nil {
			return err
		}
		d.Sessions = len(ss)
	}
	if d.CanAudit {
		rows, err := c.DB.AuditLog(ctx, audit.Filter{Limit: 8, BySeq: true})
		if err != nil {
			return err
		}
		if d.Recent, err = pms.New(s.Server).History(r, c, p, rows); err != nil {
			return err
		}
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "dashboard", p)
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

func (s handlers) usersPageData(r *http.Request, c *web.Call) (usersData, error) {
	users, err := identity.New(c.DB).Users(r.Context())
	if err != nil {
		return usersData{}, err
	}
	req, err := identity.New(c.DB).Require2FA(r.Context())
	if err != nil {
		return usersData{}, err
	}
	roles := identity.Roles
	if !isOwner(c) {
		roles = roles[1:]
	}
	d := usersData{Users: users, MeID: c.User.ID, CanWrite: c.Can(identity.PermUsersWrite), CanSecurity: c.Can(identity.PermSecurityWrite),
		Require2FA: req, Roles: roles, IsOwner: isOwner(c)}
	if d.CanSecurity && s.Cfg.Control != nil && s.Cfg.Control.Replicator != nil {
		d.ReplicaWhere = s.Cfg.Control.Replicator.Config().Where(c.Tenant.ReplicaTarget())
	}
	return d, nil
}

func (s handlers) usersPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	d, err := s.usersPageData(r, c)
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Users", "users")
	p.Form.Set("role", identity.RoleFrontDesk)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "users", p)
	return nil
}

// isOwner reports whether the caller acts with an owner's authority (an
// owner, an owner's token, or staff impersonating).
func isOwner(c *web.Call) bool { return c.Imp != nil || c.User.Role == identity.RoleOwner }

// mayChange checks the rules about who may change whom beyond the route's
// permission: only owners grant or touch the owner role, and nobody changes
// their own role or access (another owner or manager must).
func mayChange(c *web.Call, target identity.User, newRole string) error {
	if c.Imp == nil && target.ID == c.User.ID {
		return aura.Errorf(aura.EFORBIDDEN, "You cannot change your own role or access; ask another owner or manager.")
	}
	if (target.Role == identity.RoleOwner || newRole == identity.RoleOwner) && !isOwner(c) {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can grant the owner role or change an owner.")
	}
	return nil
}

func (s handlers) usersInvite(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	email, name, role := r.PostForm.Get("email"), r.PostForm.Get("name"), r.PostForm.Get("role")
	if role == identity.RoleOwner && !isOwner(c) {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can invite another owner.")
	}
	u, token, err := identity.New(c.DB).InviteUser(r.Context(), identity.NewUser{Email: email, Name: name, Role: role})
	d, derr := s.usersPageData(r, c)
	if derr != nil {
		return derr
	}
	p := s.TenantPage(w, r, c, "Users", "users")
	p.Data = &d
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.WithFormError(err)
		p.Form = r.PostForm
		s.RenderPage(w, r, http.StatusBadRequest, "users", p)
		return nil
	}
	d.InviteLink, d.InviteNote = s.DeliverInvite(r, c.Tenant.Name, c.Tenant.Slug, s.inviterLabel(c), u.Email, token)
	p.Form.Set("role", identity.RoleFrontDesk)
	s.RenderPage(w, r, http.StatusOK, "users", p)
	return nil
}

func (s handlers) inviterLabel(c *web.Call) string {
	if c.Imp != nil {
		return "Aura support"
	}
	if c.User.Name != "" {
		return c.User.Name
	}
	return c.User.Email
}

func (s handlers) userReinvite(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	target, err := identity.New(c.DB).User(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := mayChange(c, target, target.Role); err != nil {
		return err
	}
	u, token, err := identity.New(c.DB).ReinviteUser(r.Context(), target.ID)
	if err != nil {
		return err
	}
	d, err := s.usersPageData(r, c)
	if err != nil {
		return err
	}
	d.InviteLink, d.InviteNote = s.DeliverInvite(r, c.Tenant.Name, c.Tenant.Slug, s.inviterLabel(c), u.Email, token)
	p := s.TenantPage(w, r, c, "Users", "users")
	p.Form.Set("role", identity.RoleFrontDesk)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "users", p)
	return nil
}

func (s handlers) userRole(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	target, err := identity.New(c.DB).User(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	role := r.PostForm.Get("role")
	if err := mayChange(c, target, role); err != nil {
		return err
	}
	u, err := identity.New(c.DB).SetRole(r.Context(), target.ID, role)
	if err != nil {
		return err
	}
	s.SetFlash(w, "ok", u.Label()+" is now "+identity.RoleLabel(u.Role)+".")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"users", http.StatusSeeOther)
	return nil
}

// userAction disables, enables or removes a user.
func (s handlers) userAction(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx := r.Context()
		target, err := identity.New(c.DB).User(ctx, c.Params.ByName("id"))
		if err != nil {
			return err
		}
		if err := mayChange(c, target, target.Role); err != nil {
			return err
		}
		var msg string
		switch action {
		case "disable":
			_, err = identity.New(c.DB).DisableUser(ctx, target.ID)
			msg = target.Label() + " is disabled and signed out everywhere."
		case "enable":
			_, err = identity.New(c.DB).EnableUser(ctx, target.ID)
			msg = target.Label() + " is enabled again."
		case "remove":
			_, err = identity.New(c.DB).RemoveUser(ctx, target.ID)
			msg = target.Label() + " is removed from this account."
		}
		if err != nil {
			return err
		}
		s.SetFlash(w, "ok", msg)
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"users", http.StatusSeeOther)
		return nil
	}
}

func (s handlers) securitySettings(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	on := r.PostForm.Get("require_2fa") == "on"
	if on && c.Imp == nil && !c.User.TOTPEnabled {
		return aura.Errorf(aura.ECONFLICT, "Turn on two-factor authentication for yourself first (Account & security), then require it of everyone.")
	}
	if err := identity.New(c.DB).SetRequire2FA(r.Context(), on); err != nil {
		return err
	}
	msg := "Two-factor authentication is no longer required."
	if on {
		msg = "Two-factor authentication is now required: users without it set it up at their next page."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"users", http.StatusSeeOther)
	return nil
}
