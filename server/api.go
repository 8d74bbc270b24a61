package server

import (
	"net/http"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
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

func (s handlers) apiWhoami(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var effective []identity.Permission
	for _, row := range identity.PermissionTable {
		if c.Can(row.Permission) {
			effective = append(effective, row.Permission)
		}
	}
	if effective == nil {
		effective = []identity.Permission{}
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{
		"tenant":      map[string]string{"id": c.Tenant.ID, "slug": c.Tenant.Slug, "name": c.Tenant.Name},
		"user":        toAPIUser(c.User),
		"token":       toAPIToken(*c.Token),
		"permissions": effective,
	})
}

func (s handlers) apiUsers(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	users, err := identity.New(c.DB).Users(r.Context())
	if err != nil {
		return err
	}
	out, err := pms.PageAs(r, users, toAPIUser)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, out)
}

func (s handlers) apiUserInvite(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in apiUserInviteBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Role == identity.RoleOwner && !isOwner(c) {
		return aura.Errorf(aura.EFORBIDDEN, "Only an owner can invite another owner.")
	}
	u, token, err := identity.New(c.DB).InviteUser(r.Context(), identity.NewUser{Email: in.Email, Name: in.Name, Role: in.Role})
	if err != nil {
		return err
	}
	link, note := s.DeliverInvite(r, c.Tenant.Name, c.Tenant.Slug, s.inviterLabel(c), u.Email, token)
	resp := map[string]any{"user": toAPIUser(u), "message": note}
	if link != "" {
		resp["invite_url"] = link
	}
	return web.WriteJSON(w, http.StatusCreated, resp)
}

func (s handlers) apiUserUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in apiUserUpdateBody
	if err := web.DecodeJSON(r, &in); err != nil {
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
	if err := mayChange(c, target, newRole); err != nil {
		return err
	}
	u := target
	if in.Role != nil {
		if u, err = identity.New(c.DB).SetRole(ctx, target.ID, *in.Role); err != nil {
			return err
		}
	}
	if in.Status != nil && *in.Status != u.Status {
		switch *in.Status {
		case identity.UserDisabled:
			u, err = identity.New(c.DB).DisableUser(ctx, target.ID)
		case identity.UserActive:
			u, err = identity.New(c.DB).EnableUser(ctx, target.ID)
		default:
			err = aura.Invalid("status is active or disabled.", aura.FieldError{Field: "status", Message: "active or disabled"})
		}
		if err != nil {
			return err
		}
	}
	return web.WriteJSON(w, http.StatusOK, toAPIUser(u))
}

// apiTargetUser returns the user the path names. A removed user is kept
// only so that audit rows still name them: to the API they are gone
// (ENOTFOUND), for a change as for a removal.
func apiTargetUser(r *http.Request, c *web.Call) (identity.User, error) {
	u, err := identity.New(c.DB).User(r.Context(), c.Params.ByName("id"))
	if err == nil && u.Status == identity.UserRemoved {
		return identity.User{}, aura.Errorf(aura.ENOTFOUND, "No such user.")
	}
	return u, err
}

func (s handlers) apiUserRemove(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	target, err := apiTargetUser(r, c)
	if err != nil {
		return err
	}
	if err := mayChange(c, target, target.Role); err != nil {
		return err
	}
	if _, err := identity.New(c.DB).RemoveUser(r.Context(), target.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s handlers) apiTokens(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ts, err := identity.New(c.DB).Tokens(r.Context(), c.User.ID)
	if err != nil {
		return err
	}
	out, err := pms.PageAs(r, ts, toAPIToken)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, out)
}

func (s handlers) apiTokenCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in apiTokenCreateBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	// A token cannot mint a token with more than it has itself.
	for _, p := range in.Scopes {
		if !c.Can(p) {
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
		exp = identity.DefaultTokenExpiry(s.Cfg.Now())
	}
	t, text, err := identity.New(c.DB).CreateToken(r.Context(), c.User.ID, in.Name, in.Scopes, exp)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusCreated, map[string]any{"token": toAPIToken(t), "secret": text})
}

func (s handlers) apiTokenRevoke(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if _, err := identity.New(c.DB).RevokeToken(r.Context(), c.User.ID, c.Params.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
