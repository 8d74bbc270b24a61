package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
)

// SessionPolicy bounds how long a session lives: Idle since its last
// request, Absolute since sign-in.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultSessionPolicy suits a front desk: an hour without a request signs
// out, and nobody stays signed in longer than a long shift.
var DefaultSessionPolicy = SessionPolicy{Idle: time.Hour, Absolute: 12 * time.Hour}

// lastSeenResolution is how often a session's last-seen time is written.
const lastSeenResolution = time.Minute

// Session is one signed-in browser of a user. Only the SHA-256 of its
// secret is stored; the secret lives in the user's cookie.
type Session struct {
	ID               string    `json:"id"`
	UserID           string    `json:"user_id"`
	PrivilegeVersion int       `json:"-"`
	CreatedAt        time.Time `json:"created_at"`
	LastSeenAt       time.Time `json:"last_seen_at"`
	IP               string    `json:"ip"`
	UserAgent        string    `json:"user_agent"`
}

type sessionClient struct {
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

const sessionColumns = `id, user_id, privilege_version, created_at, last_seen_at, client_sealed`

func (db Store) scanSession(s interface{ Scan(...any) error }) (Session, error) {
	var se Session
	var created, seen string
	var client []byte
	if err := s.Scan(&se.ID, &se.UserID, &se.PrivilegeVersion, &created, &seen, &client); err != nil {
		return se, err
	}
	se.CreatedAt, se.LastSeenAt = tenant.ParseTime(created), tenant.ParseTime(seen)
	if pt, err := db.Unseal("sessions", "client", se.ID, client); err == nil {
		var c sessionClient
		if json.Unmarshal(pt, &c) == nil {
			se.IP, se.UserAgent = c.IP, c.UserAgent
		}
	}
	return se, nil
}

// insertSession creates a session row for u and returns it with its secret.
// createdAt is the sign-in time (kept across a rotation so the absolute
// timeout still counts from sign-in).
func (db Store) insertSession(tx *tenant.Tx, u User, createdAt time.Time) (Session, string, error) {
	req := aura.RequestFrom(tx.Context())
	se := Session{ID: aura.NewID("ses"), UserID: u.ID, PrivilegeVersion: u.PrivilegeVersion,
		CreatedAt: createdAt.UTC().Truncate(time.Second), LastSeenAt: tx.Now.Truncate(time.Second), IP: req.IP, UserAgent: req.UserAgent}
	if len(se.UserAgent) > 300 {
		se.UserAgent = se.UserAgent[:300]
	}
	client, _ := json.Marshal(sessionClient{IP: se.IP, UserAgent: se.UserAgent})
	secret := credential.RandomString(43)
	_, err := tx.Exec(`INSERT INTO sessions (id, secret_hash, user_id, privilege_version, created_at, last_seen_at, client_sealed)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, se.ID, credential.HashSecret(secret), u.ID, u.PrivilegeVersion,
		tenant.FormatTime(se.CreatedAt), tenant.FormatTime(se.LastSeenAt), db.Seal("sessions", "client", se.ID, client))
	return se, secret, err
}

func sessionAudit(se Session) map[string]any {
	return map[string]any{"id": se.ID, "user_id": se.UserID, "created_at": tenant.FormatTime(se.CreatedAt)}
}

var errLogin = aura.Errorf(aura.EUNAUTHORIZED, "The email or password is incorrect.")

// LoginResult is the outcome of a successful password check: either a new
// session (with its secret, for the cookie), or NeedCode when the user has
// two-factor authentication and must enter a code next.
type LoginResult struct {
	User     User
	NeedCode bool
	Session  Session
	Secret   string
	// PasswordStamp, with NeedCode, names the password hash the password
	// was checked against; the second step (LoginCode) gives it back, so a
	// password changed in between ends the sign-in.
	PasswordStamp string
}

// passwordStamp is a fingerprint of a password hash (not of the password):
// equal stamps mean the password was not changed in between.
func passwordStamp(hash string) string {
	sum := sha256.Sum256([]byte("aura password stamp\x00" + hash))
	return hex.EncodeToString(sum[:16])
}

var errPasswordChanged = aura.Errorf(aura.EUNAUTHORIZED, "The password of this account was changed since you entered it. Sign in again with the new password.")

// Login checks an email and password and, when the user has no second
// factor or code is given and correct, starts a new session (a new id and
// secret every time; the session named by replaceSecret, if any, ends). The
// bcrypt comparison runs outside any transaction so a sign-in never holds
// the tenant's write lock. Failed attempts are recorded in the audit log
// (never the password) and return EUNAUTHORIZED.
func (db Store) Login(ctx context.Context, h credential.Hasher, email, password, code, replaceSecret string, policy SessionPolicy) (LoginResult, error) {
	var u User
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		u, err = db.userByEmail(tx, email)
		return err
	})
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		h.VerifyNothing(password)
		return LoginResult{}, db.recordLoginFailure(ctx, email, "", "unknown email", errLogin)
	} else if err != nil {
		return LoginResult{}, err
	}
	// From here on the audit rows name the user whose account it is.
	ctx = aura.WithActor(ctx, u.Actor())
	if !h.Verify(u.passwordHash, password) {
		return LoginResult{}, db.recordLoginFailure(ctx, email, u.ID, "wrong password", errLogin)
	}
	if u.Status != UserActive {
		return LoginResult{}, db.recordLoginFailure(ctx, email, u.ID, "user "+u.Status,
			aura.Errorf(aura.EUNAUTHORIZED, "This user is %s. Ask an owner or manager of the account to enable it.", u.Status))
	}
	if u.TOTPEnabled && code == "" {
		return LoginResult{User: u, NeedCode: true, PasswordStamp: passwordStamp(u.passwordHash)}, nil
	}
	return db.finishLogin(ctx, u.ID, u.passwordHash, code, replaceSecret, policy)
}

// LoginCode completes a sign-in whose password was already checked (the
// second step of a two-factor sign-in) with a TOTP or recovery code;
// stamp is the first step's PasswordStamp. It returns EINVALID for a wrong
// or replayed code, and EUNAUTHORIZED when the user can no longer sign in
// or the password was changed since the first step.
func (db Store) LoginCode(ctx context.Context, userID, stamp, code, replaceSecret string, policy SessionPolicy) (LoginResult, error) {
	u, err := db.User(ctx, userID)
	if err != nil {
		return LoginResult{}, err
	}
	if u.Status != UserActive {
		return LoginResult{}, aura.Errorf(aura.EUNAUTHORIZED, "This user can no longer sign in.")
	}
	if subtle.ConstantTimeCompare([]byte(passwordStamp(u.passwordHash)), []byte(stamp)) != 1 {
		return LoginResult{}, errPasswordChanged
	}
	ctx = aura.WithActor(ctx, u.Actor())
	return db.finishLogin(ctx, userID, u.passwordHash, code, replaceSecret, policy)
}

// finishLogin checks the second factor (when the user has one) and starts
// the session, in one transaction. passwordHash is the hash the password
// was checked against: a password changed in between fails the sign-in.
func (db Store) finishLogin(ctx context.Context, userID, passwordHash, code, replaceSecret string, policy SessionPolicy) (LoginResult, error) {
	var res LoginResult
	var fail error
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		u, err := db.userByID(tx, userID)
		if err != nil {
			return err
		}
		if u.Status != UserActive {
			return aura.Errorf(aura.EUNAUTHORIZED, "This user can no longer sign in.")
		}
		if u.passwordHash != passwordHash {
			return errPasswordChanged
		}
		method := "password"
		if u.TOTPEnabled {
			if method, err = db.checkSecondFactor(tx, u, code); err != nil {
				// The failure is recorded, and committed, instead of the session.
				fail = err
				return tx.Audit(audit.Entry{Action: "user.login_failed", EntityType: "user", EntityID: u.ID,
					After: map[string]any{"reason": "wrong or reused two-factor code"}})
			}
		}
		if replaceSecret != "" {
			if _, err := tx.Exec(`DELETE FROM sessions WHERE secret_hash = ?`, credential.HashSecret(replaceSecret)); err != nil {
				return err
			}
		}
		// Expired sessions of this user go as they sign in again.
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND (created_at < ? OR last_seen_at < ?)`, u.ID,
			tenant.FormatTime(tx.Now.Add(-policy.Absolute)), tenant.FormatTime(tx.Now.Add(-policy.Idle))); err != nil {
			return err
		}
		se, secret, err := db.insertSession(tx, u, tx.Now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET last_login_at = ? WHERE id = ?`, tenant.FormatTime(tx.Now), u.ID); err != nil {
			return err
		}
		res = LoginResult{User: u, Session: se, Secret: secret}
		after := sessionAudit(se)
		after["method"] = method
		return tx.Audit(audit.Entry{Action: "user.logged_in", EntityType: "user", EntityID: u.ID, After: after})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if fail != nil {
		return LoginResult{}, fail
	}
	return res, nil
}

// recordLoginFailure writes a failed sign-in to the audit log (the email
// sealed, never the password) and returns ret.
func (db Store) recordLoginFailure(ctx context.Context, email, userID, reason string, ret error) error {
	entity := userID
	if entity == "" {
		entity = "unknown"
	}
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		return tx.Audit(audit.Entry{Action: "user.login_failed", EntityType: "user", EntityID: entity,
			After: map[string]any{"email": db.AuditSeal(entity, "email", email), "reason": reason}})
	})
	if err != nil {
		return err
	}
	return ret
}

var errSession = aura.Errorf(aura.EUNAUTHORIZED, "Your session has ended. Sign in again.")

// SessionBySecret returns the session whose cookie carries secret, with its
// user. A session past its idle or absolute timeout, or whose user is no
// longer active, is EUNAUTHORIZED. The last-seen time is written at most
// once a minute, as unaudited bookkeeping.
func (db Store) SessionBySecret(ctx context.Context, secret string, policy SessionPolicy) (Session, User, error) {
	var se Session
	var u User
	var touch bool
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		se, err = db.scanSession(tx.QueryRow(`SELECT `+sessionColumns+` FROM sessions WHERE secret_hash = ?`, credential.HashSecret(secret)))
		if err == sql.ErrNoRows {
			return errSession
		} else if err != nil {
			return err
		}
		if !tx.Now.Before(se.CreatedAt.Add(policy.Absolute)) || !tx.Now.Before(se.LastSeenAt.Add(policy.Idle)) {
			return errSession
		}
		if u, err = db.userByID(tx, se.UserID); err != nil {
			return err
		}
		if u.Status != UserActive {
			return errSession
		}
		touch = tx.Now.Sub(se.LastSeenAt) >= lastSeenResolution
		return nil
	})
	if err != nil {
		return Session{}, User{}, err
	}
	if touch {
		err = db.Update(ctx, func(tx *tenant.Tx) error {
			tx.Unaudited("a session's last-seen time, written at most once a minute for the idle timeout")
			se.LastSeenAt = tx.Now.Truncate(time.Second)
			_, err := tx.Exec(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`, tenant.FormatTime(se.LastSeenAt), se.ID)
			return err
		})
	}
	return se, u, err
}

// RotateSession replaces a session with a new one (new id, new secret) for
// the same user, keeping its sign-in time; used when the user's privileges
// changed since the session began. It returns the new session and secret,
// or ENOTFOUND when the session is gone.
func (db Store) RotateSession(ctx context.Context, sessionID string) (Session, string, error) {
	var se Session
	var secret string
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		old, err := db.scanSession(tx.QueryRow(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, sessionID))
		if err == sql.ErrNoRows {
			return aura.Errorf(aura.ENOTFOUND, "No such session.")
		} else if err != nil {
			return err
		}
		u, err := db.userByID(tx, old.UserID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE id = ?`, sessionID); err != nil {
			return err
		}
		if se, secret, err = db.insertSession(tx, u, old.CreatedAt); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "session.rotated", EntityType: "session", EntityID: se.ID,
			Before: sessionAudit(old), After: map[string]any{"id": se.ID, "user_id": u.ID, "reason": "privileges changed"}})
	})
	return se, secret, err
}

// Sessions returns the user's sessions, newest first.
func (db Store) Sessions(ctx context.Context, userID string) ([]Session, error) {
	var ss []Session
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			se, err := db.scanSession(rows)
			if err != nil {
				return err
			}
			ss = append(ss, se)
		}
		return rows.Err()
	})
	return ss, err
}

// RevokeSession ends one of the user's sessions. It returns ENOTFOUND when
// the user has no such session.
func (db Store) RevokeSession(ctx context.Context, userID, sessionID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		se, err := db.scanSession(tx.QueryRow(`SELECT `+sessionColumns+` FROM sessions WHERE id = ? AND user_id = ?`, sessionID, userID))
		if err == sql.ErrNoRows {
			return aura.Errorf(aura.ENOTFOUND, "No such session.")
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE id = ?`, sessionID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "session.revoked", EntityType: "session", EntityID: sessionID, Before: sessionAudit(se)})
	})
}

// RevokeOtherSessions ends every session of the user except keepID ("log
// out everywhere else") and returns how many ended.
func (db Store) RevokeOtherSessions(ctx context.Context, userID, keepID string) (int, error) {
	var n int64
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		res, err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return tx.Audit(audit.Entry{Action: "session.revoked_all", EntityType: "user", EntityID: userID,
			After: map[string]any{"ended_sessions": n, "kept": keepID}})
	})
	return int(n), err
}

// Logout ends the session with sessionID. Ending a session that is already
// gone is not an error.
func (db Store) Logout(ctx context.Context, sessionID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		se, err := db.scanSession(tx.QueryRow(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, sessionID))
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE id = ?`, sessionID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "user.logged_out", EntityType: "user", EntityID: se.UserID, Before: sessionAudit(se)})
	})
}

// SessionSecretHash returns the stored form of a session secret (for tests
// and tools that inspect the file).
func SessionSecretHash(secret string) []byte { return credential.HashSecret(secret) }
