package identity

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
)

// DefaultTokenDays is how long a new API token lasts when its creator
// does not choose: the web page, the command line and the API all use it.
const DefaultTokenDays = 90

// DefaultTokenExpiry returns when a token created at now expires by default.
func DefaultTokenExpiry(now time.Time) time.Time { return now.AddDate(0, 0, DefaultTokenDays) }

// tokenLastUsedResolution is how often a token's last-used time is written.
const tokenLastUsedResolution = time.Minute

// APIToken is an API token of a user, as listed (never its text: only its
// SHA-256 is stored). A token acts for its user with at most its scopes:
// its effective permissions are its scopes that the user's current role
// still has.
type APIToken struct {
	ID         string       `json:"id"`
	UserID     string       `json:"user_id"`
	Name       string       `json:"name"`
	Scopes     []Permission `json:"scopes"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  time.Time    `json:"expires_at,omitzero"`
	LastUsedAt time.Time    `json:"last_used_at,omitzero"`
	RevokedAt  time.Time    `json:"revoked_at,omitzero"`
}

// Active reports whether the token is neither revoked nor expired at now.
func (t APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Can reports whether the token, used by u, may do p: the scope must be
// granted and the user's role must still have it.
func (t APIToken) Can(u User, p Permission) bool {
	return slices.Contains(t.Scopes, p) && u.Can(p)
}

const tokenColumns = `id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanToken(s interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var scopes, created string
	var expires, used, revoked sql.NullString
	if err := s.Scan(&t.ID, &t.UserID, &t.Name, &scopes, &created, &expires, &used, &revoked); err != nil {
		return t, err
	}
	for _, f := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, Permission(f))
	}
	t.CreatedAt = tenant.ParseTime(created)
	if expires.Valid {
		t.ExpiresAt = tenant.ParseTime(expires.String)
	}
	if used.Valid {
		t.LastUsedAt = tenant.ParseTime(used.String)
	}
	if revoked.Valid {
		t.RevokedAt = tenant.ParseTime(revoked.String)
	}
	return t, nil
}

func tokenAudit(t APIToken) map[string]any {
	m := map[string]any{"id": t.ID, "user_id": t.UserID, "name": t.Name, "scopes": t.Scopes}
	if !t.ExpiresAt.IsZero() {
		m["expires_at"] = tenant.FormatTime(t.ExpiresAt)
	}
	if !t.RevokedAt.IsZero() {
		m["revoked_at"] = tenant.FormatTime(t.RevokedAt)
	}
	return m
}

// CreateToken creates an API token for the user with the given name, scopes
// and expiry (zero for none) and returns it with its text, which is shown
// once and never stored. It returns EINVALID for a bad name, an expiry in
// the past, or a scope the user's role does not have, and ENOTFOUND for an
// unknown or inactive user.
func (db Store) CreateToken(ctx context.Context, userID, name string, scopes []Permission, expires time.Time) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 || strings.ContainsAny(name, "\r\n\x00") {
		return APIToken{}, "", aura.Invalid("Give the token a name of 1 to 100 characters, saying what uses it.", aura.FieldError{Field: "name", Message: "1 to 100 characters"})
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	var t APIToken
	var text string
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		u, err := db.userByID(tx, userID)
		if err != nil {
			return err
		}
		if u.Status != UserActive {
			return aura.Errorf(aura.ENOTFOUND, "No such user.")
		}
		for _, p := range scopes {
			if !KnownPermission(p) {
				return aura.Invalid("Unknown scope "+string(p)+".", aura.FieldError{Field: "scopes", Message: "unknown scope " + string(p)})
			}
			if !u.Can(p) {
				return aura.Invalid("Your role cannot grant the scope "+string(p)+".", aura.FieldError{Field: "scopes", Message: "your role does not have " + string(p)})
			}
		}
		if !expires.IsZero() && !expires.After(tx.Now) {
			return aura.Invalid("The expiry must be in the future.", aura.FieldError{Field: "expires", Message: "must be in the future"})
		}
		tok := credential.NewToken(db.ID)
		text = tok.Text
		t = APIToken{ID: aura.NewID("tok"), UserID: userID, Name: name, Scopes: scopes, CreatedAt: tx.Now.Truncate(time.Second)}
		var exp any
		if !expires.IsZero() {
			t.ExpiresAt = expires.UTC().Truncate(time.Second)
			exp = tenant.FormatTime(t.ExpiresAt)
		}
		if _, err := tx.Exec(`INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, tok.Hash, userID, name, joinScopes(scopes), tenant.FormatTime(t.CreatedAt), exp); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "token.created", EntityType: "token", EntityID: t.ID, After: tokenAudit(t)})
	})
	return t, text, err
}

var errToken = aura.Errorf(aura.EUNAUTHORIZED, "The API token is not valid: it was revoked, has expired, or does not exist.")

// TokenByText authenticates a presented API token: its checksum is checked
// first (no look-up for a typo), then that it names this tenant (ENOTFOUND
// otherwise), then its hash is looked up. A revoked, expired or unknown
// token, or one whose user is not active, is EUNAUTHORIZED. The last-used
// time is written at most once a minute, as unaudited bookkeeping.
func (db Store) TokenByText(ctx context.Context, text string) (APIToken, User, error) {
	tok, err := credential.ParseToken(text)
	if err != nil {
		return APIToken{}, User{}, err
	}
	if tok.TenantTag != credential.TenantTag(db.ID) {
		return APIToken{}, User{}, aura.Errorf(aura.ENOTFOUND, "This API token belongs to another tenant, not %q.", db.Slug)
	}
	var t APIToken
	var u User
	var touch bool
	err = db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, tok.Hash))
		if err == sql.ErrNoRows {
			return errToken
		} else if err != nil {
			return err
		}
		if !t.Active(tx.Now) {
			return errToken
		}
		if u, err = db.userByID(tx, t.UserID); err != nil {
			return err
		}
		if u.Status != UserActive {
			return errToken
		}
		touch = tx.Now.Sub(t.LastUsedAt) >= tokenLastUsedResolution
		return nil
	})
	if err != nil {
		return APIToken{}, User{}, err
	}
	if touch {
		err = db.Update(ctx, func(tx *tenant.Tx) error {
			tx.Unaudited("a token's last-used time, written at most once a minute")
			t.LastUsedAt = tx.Now.Truncate(time.Second)
			_, err := tx.Exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, tenant.FormatTime(t.LastUsedAt), t.ID)
			return err
		})
	}
	return t, u, err
}

// Tokens returns the API tokens of a user (all users' when userID is ""),
// newest first, revoked ones included.
func (db Store) Tokens(ctx context.Context, userID string) ([]APIToken, error) {
	var ts []APIToken
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+tokenColumns+` FROM api_tokens WHERE ? = '' OR user_id = ? ORDER BY created_at DESC, id`, userID, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// RevokeToken revokes a token of the user (of any user when userID is "").
// It returns ENOTFOUND for an unknown token or one of another user, and
// ECONFLICT for a token already revoked.
func (db Store) RevokeToken(ctx context.Context, userID, tokenID string) (APIToken, error) {
	var t APIToken
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := scanToken(tx.QueryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE id = ? AND (? = '' OR user_id = ?)`, tokenID, userID, userID))
		if err == sql.ErrNoRows {
			return aura.Errorf(aura.ENOTFOUND, "No such token.")
		} else if err != nil {
			return err
		}
		if !before.RevokedAt.IsZero() {
			return aura.Errorf(aura.ECONFLICT, "The token %q is already revoked.", before.Name)
		}
		if _, err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, tenant.FormatTime(tx.Now), tokenID); err != nil {
			return err
		}
		t = before
		t.RevokedAt = tx.Now.Truncate(time.Second)
		return tx.Audit(audit.Entry{Action: "token.revoked", EntityType: "token", EntityID: tokenID, Before: tokenAudit(before), After: tokenAudit(t)})
	})
	return t, err
}
