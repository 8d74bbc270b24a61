package server

import (
	"net/http"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/identity"
)

type apiUser struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Status      string     `json:"status"`
	TwoFactor   bool       `json:"two_factor"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

func toAPIUser(u identity.User) apiUser {
	a := apiUser{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, TwoFactor: u.TOTPEnabled, CreatedAt: u.CreatedAt}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		a.LastLoginAt = &t
	}
	return a
}

type apiToken struct {
	ID         string                `json:"id"`
	UserID     string                `json:"user_id"`
	Name       string                `json:"name"`
	Scopes     []identity.Permission `json:"scopes"`
	CreatedAt  time.Time             `json:"created_at"`
	ExpiresAt  *time.Time            `json:"expires_at"`
	LastUsedAt *time.Time            `json:"last_used_at"`
	Revoked    bool                  `json:"revoked"`
}

func toAPIToken(t identity.APIToken) apiToken {
	opt := func(x time.Time) *time.Time {
		if x.IsZero() {
			return nil
		}
		return &x
	}
	scopes := t.Scopes
	if scopes == nil {
		scopes = []identity.Permission{}
	}
	return apiToken{ID: t.ID, UserID: t.UserID, Name: t.Name, Scopes: scopes, CreatedAt: t.CreatedAt,
		ExpiresAt: opt(t.ExpiresAt), LastUsedAt: opt(t.LastUsedAt), Revoked: !t.RevokedAt.IsZero()}
}

// Request bodies of the identity API (named, so the OpenAPI document
// describes the very types the handlers decode).
type (
	apiUserInviteBody struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
	}
	apiUserUpdateBody struct {
		Role   *string `json:"role"`
		Status *string `json:"status"`
	}
	// apiTokenCreateBody: without expires_at the token expires after
	// tenant.DefaultTokenDays, as on the page and the command line;
	// never_expires asks for a token without an expiry.
	apiTokenCreateBody struct {
		Name         string                `json:"name"`
		Scopes       []identity.Permission `json:"scopes"`
		ExpiresAt    *time.Time            `json:"expires_at"`
		NeverExpires bool                  `json:"never_expires"`
	}
)

func (s *Server) apiWhoami(w http.ResponseWriter, r *http.Request, c *call) error {
	var effective []identity.Permission
	for _, row := range identity.PermissionTable {
		if c.can(row.Permission) {
			effective = append(effective, row.Permission)
		}
	}
	if effective == nil {
		effective = []identity.Permission{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"tenant":      map[string]string{"id": c.tenant.ID, "slug": c.tenant.Slug, "name": c.tenant.Name},
		"user":        toAPIUser(c.user),
		"token":       toAPIToken(*c.token),
		"permissions": effective,
	})
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	users, err := identity.New(c.db).Users(r.Context())
	if err != nil {
		return err
	}
	out, err := pageAs(r, users, toAPIUser)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiUserInvite(w http.ResponseWriter, r *http.Request, c *call) error {
	var in apiUserInviteBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Role == identity.RoleOwner && !c.isOwner() {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can invite another owner.")
	}
	u, token, err := identity.New(c.db).InviteUser(r.Context(), identity.NewUser{Email: in.Email, Name: in.Name, Role: in.Role})
	if err != nil {
		return err
	}
	link, note := s.deliverInvite(r, c.tenant.Name, c.tenant.Slug, s.inviterLabel(c), u.Email, token)
	resp := map[string]any{"user": toAPIUser(u), "message": note}
	if link != "" {
		resp["invite_url"] = link
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) apiUserUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in apiUserUpdateBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	target, err := apiTargetUser(r, c)
	if err != nil {
		return err
	}
	newRole := target.Role
	if in.Role != nil {
		newRole = *in.Role
	}
	if err := c.mayChange(target, newRole); err != nil {
		return err
	}
	u := target
	if in.Role != nil {
		if u, err = identity.New(c.db).SetRole(ctx, target.ID, *in.Role); err != nil {
			return err
		}
	}
	if in.Status != nil && *in.Status != u.Status {
		switch *in.Status {
		case identity.UserDisabled:
			u, err = identity.New(c.db).DisableUser(ctx, target.ID)
		case identity.UserActive:
			u, err = identity.New(c.db).EnableUser(ctx, target.ID)
		default:
			err = aura.Invalid("status is active or disabled.", aura.FieldError{Field: "status", Message: "active or disabled"})
		}
		if err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, toAPIUser(u))
}

// apiTargetUser returns the user the path names. A removed user is kept
// only so that audit rows still name them: to the API they are gone
// (ENOTFOUND), for a change as for a removal.
func apiTargetUser(r *http.Request, c *call) (identity.User, error) {
	u, err := identity.New(c.db).User(r.Context(), c.params.ByName("id"))
	if err == nil && u.Status == identity.UserRemoved {
		return identity.User{}, aura.Errorf(aura.ENOTFOUND, "No such user.")
	}
	return u, err
}

func (s *Server) apiUserRemove(w http.ResponseWriter, r *http.Request, c *call) error {
	target, err := apiTargetUser(r, c)
	if err != nil {
		return err
	}
	if err := c.mayChange(target, target.Role); err != nil {
		return err
	}
	if _, err := identity.New(c.db).RemoveUser(r.Context(), target.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := identity.New(c.db).Tokens(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	out, err := pageAs(r, ts, toAPIToken)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in apiTokenCreateBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	// A token cannot mint a token with more than it has itself.
	for _, p := range in.Scopes {
		if !c.can(p) {
			return aura.Invalid("This token cannot grant the scope "+string(p)+".", aura.FieldError{Field: "scopes", Message: "not held by this token: " + string(p)})
		}
	}
	var exp time.Time
	switch {
	case in.ExpiresAt != nil && in.NeverExpires:
		return aura.Invalid("Give expires_at or never_expires, not both.", aura.FieldError{Field: "never_expires", Message: "not with expires_at"})
	case in.ExpiresAt != nil:
		exp = *in.ExpiresAt
	case !in.NeverExpires:
		exp = identity.DefaultTokenExpiry(s.cfg.Now())
	}
	t, text, err := identity.New(c.db).CreateToken(r.Context(), c.user.ID, in.Name, in.Scopes, exp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"token": toAPIToken(t), "secret": text})
}

func (s *Server) apiTokenRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := identity.New(c.db).RevokeToken(r.Context(), c.user.ID, c.params.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
