package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/identity"
)

// maxJSONBytes bounds a JSON API request body.
const maxJSONBytes = 64 << 10

// decodeJSON reads exactly one JSON object from the body into v. Unknown
// fields, malformed JSON, a wrong content type or trailing data are
// EINVALID with a message saying what and where; a body over the limit is
// ETOOLARGE.
func decodeJSON(r *http.Request, v any) error {
	_, err := decodeJSONBody(r, v)
	return err
}

// decodeJSONBody is decodeJSON returning the body's bytes too (for the
// request hash of an Idempotency-Key).
func decodeJSONBody(r *http.Request, v any) ([]byte, error) {
	return decodeJSONLimit(r, v, maxJSONBytes)
}

// decodeJSONLimit is decodeJSONBody with a body limit of its own (a JSON
// body carrying ID photos as base64 is larger than maxJSONBytes allows).
func decodeJSONLimit(r *http.Request, v any, limit int64) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, aura.Errorf(aura.EINVALID, "Send the body as JSON with the header Content-Type: application/json.")
	}
	tooLarge := aura.Errorf(aura.ETOOLARGE, "The body is larger than the %d KiB limit.", limit>>10)
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, aura.Errorf(aura.EINVALID, "The body could not be read.")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, jsonError(err, body)
	}
	if dec.More() {
		return nil, aura.Errorf(aura.EINVALID, "The body must hold one JSON object and nothing after it.")
	}
	return body, nil
}

// jsonError turns a decoding error into a message a developer can act on.
func jsonError(err error, body []byte) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if field, pe, ok := date.FromJSONError(err); ok {
		if field == "" {
			return aura.Errorf(aura.EINVALID, "The body must be a JSON object.")
		}
		// A date that is not a day of the calendar (2027-02-30) or out of
		// range is a bad value, not bad JSON: name the field and the value.
		in := pe.Input
		if len(in) > 40 {
			in = in[:40] + "…"
		}
		return aura.Invalid(fmt.Sprintf("The field %q %s: %q.", field, pe.Message, in), aura.FieldError{Field: field, Message: pe.Message})
	}
	switch {
	case errors.As(err, &syn):
		return aura.Errorf(aura.EINVALID, "The body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return aura.Errorf(aura.EINVALID, "The body must be a JSON object.")
		}
		return aura.Invalid(fmt.Sprintf("The field %q must be a %s, not a %s.", field, jsonKind(typ.Type.Kind().String()), typ.Value),
			aura.FieldError{Field: field, Message: "must be a " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF):
		return aura.Errorf(aura.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return aura.Errorf(aura.EINVALID, "The body is not valid JSON: it ends too early.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return aura.Invalid(fmt.Sprintf("Unknown field %q.", name), aura.FieldError{Field: name, Message: "unknown field"})
	}
	return aura.Errorf(aura.EINVALID, "The body is not valid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// limitParam reads ?limit=, a number from 1 to max; def when absent.
func limitParam(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		m := strconv.Itoa(max)
		return 0, aura.Invalid("limit is a number from 1 to "+m+".", aura.FieldError{Field: "limit", Message: "1 to " + m})
	}
	return n, nil
}

// pageLimit reads the ?limit= of a page of a list (default 50, at most
// 200).
func pageLimit(r *http.Request) (int, error) { return limitParam(r, 50, 200) }

// pageParams reads ?limit= (see pageLimit) and the opaque ?cursor=.
func pageParams(r *http.Request) (limit, offset int, err error) {
	if limit, err = pageLimit(r); err != nil {
		return 0, 0, err
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "o:") || n < 0 {
			return 0, 0, aura.Invalid("The cursor is not valid; start without one.", aura.FieldError{Field: "cursor", Message: "not valid"})
		}
		offset = n
	}
	return limit, offset, nil
}

func nextCursor(offset, limit, total int) *string {
	if offset+limit >= total {
		return nil
	}
	c := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset+limit)))
	return &c
}

type apiList[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

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

// needPermission returns nil when the caller may do p, else EFORBIDDEN
// naming the permission and what lacks it (the user's role, or the API
// token). The route check (tenantHandle) uses it for the route's Perm, and
// a handler for a permission a request needs besides its route's.
func (c *call) needPermission(p identity.Permission) error {
	if c.can(p) {
		return nil
	}
	who := "Your role (" + identity.RoleLabel(c.user.Role) + ")"
	if c.token != nil {
		who = "This API token (its scopes, or its user's role)"
	}
	return aura.Errorf(aura.EFORBIDDEN, "%s does not allow this: it needs the permission %s.", who, p)
}

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
