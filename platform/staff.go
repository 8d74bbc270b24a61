package platform

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/mail"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
)

// Staff statuses.
const (
	StaffActive   = "active"
	StaffDisabled = "disabled"
)

// SessionPolicy bounds how long a staff session lives: Idle since its last
// request, Absolute since sign-in.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultStaffSessionPolicy is deliberately short: staff sign in to do one
// piece of support work.
var DefaultStaffSessionPolicy = SessionPolicy{Idle: 30 * time.Minute, Absolute: 8 * time.Hour}

// Staff is a member of the platform operator's staff, who manages tenants
// at /platform and acts on a tenant's data only through an impersonation.
type Staff struct {
	ID          string
	Email       string
	Status      string
	CreatedAt   time.Time
	LastLoginAt time.Time

	passwordHash string
	totpSealed   []byte
	totpLastStep int64
}

// Actor returns the staff member as the actor of platform changes.
func (s Staff) Actor() aura.Actor { return aura.Actor{Kind: aura.ActorStaff, ID: s.ID} }

// StaffSession is one signed-in browser of a staff member.
type StaffSession struct {
	ID         string
	StaffID    string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func sealAD(table, column, rowID string) []byte {
	return []byte("aura/platform-seal/v1\x00" + table + "\x00" + column + "\x00" + rowID)
}

// seal encrypts one cell of the platform DB.
func (db *DB) seal(ctx context.Context, table, column, rowID string, pt []byte) ([]byte, error) {
	a, _, err := db.sealer(ctx)
	if err != nil {
		return nil, err
	}
	return a.Seal(pt, sealAD(table, column, rowID)), nil
}

func (db *DB) unseal(ctx context.Context, table, column, rowID string, sealed []byte) ([]byte, error) {
	a, _, err := db.sealer(ctx)
	if err != nil {
		return nil, err
	}
	pt, err := a.Open(sealed, sealAD(table, column, rowID))
	if err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "A sealed value in %s.%s of %s cannot be opened.", table, column, rowID)
	}
	return pt, nil
}

func (db *DB) emailLookup(ctx context.Context, email string) ([]byte, error) {
	_, key, err := db.sealer(ctx)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return m.Sum(nil), nil
}

// auditSeal seals a personal value inside a platform audit row, in the same
// "sealed:v1:" form tenant chains use.
func (db *DB) auditSeal(ctx context.Context, entityID, field, v string) string {
	b, err := db.seal(ctx, "audit_log", field, entityID, []byte(v))
	if err != nil {
		return "(sealed)"
	}
	return "sealed:v1:" + base64.RawStdEncoding.EncodeToString(b)
}

func (db *DB) revealAuditJSON(ctx context.Context, entityID, js string) string {
	if !strings.Contains(js, "sealed:v1:") {
		return js
	}
	var m map[string]any
	if json.Unmarshal([]byte(js), &m) != nil {
		return js
	}
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			continue
		}
		rest, ok := strings.CutPrefix(s, "sealed:v1:")
		if !ok {
			continue
		}
		m[k] = "(sealed)"
		if raw, err := base64.RawStdEncoding.DecodeString(rest); err == nil {
			if pt, err := db.unseal(ctx, "audit_log", k, entityID, raw); err == nil {
				m[k] = string(pt)
			}
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func normalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", aura.Invalid("Enter a valid email address, like ana@example.com.", aura.FieldError{Field: "email", Message: "enter a valid email address"})
	}
	return e, nil
}

const staffColumns = `id, email_sealed, password_hash, totp_sealed, totp_last_step, status, created_at, last_login_at`

func (db *DB) scanStaff(ctx context.Context, s interface{ Scan(...any) error }) (Staff, error) {
	var st Staff
	var email []byte
	var created string
	var last sql.NullString
	if err := s.Scan(&st.ID, &email, &st.passwordHash, &st.totpSealed, &st.totpLastStep, &st.Status, &created, &last); err != nil {
		return st, err
	}
	e, err := db.unseal(ctx, "staff", "email", st.ID, email)
	if err != nil {
		return st, err
	}
	st.Email = string(e)
	st.CreatedAt = parseTime(created)
	if last.Valid {
		st.LastLoginAt = parseTime(last.String)
	}
	return st, nil
}

func staffAudit(db *DB, ctx context.Context, s Staff) map[string]any {
	return map[string]any{"id": s.ID, "email": db.auditSeal(ctx, s.ID, "email", s.Email), "status": s.Status}
}

func (db *DB) staffByID(ctx context.Context, tx *Tx, id string) (Staff, error) {
	s, err := db.scanStaff(ctx, tx.QueryRow(`SELECT `+staffColumns+` FROM staff WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return s, aura.Errorf(aura.ENOTFOUND, "No such staff member.")
	}
	return s, err
}

func (db *DB) staffByEmail(ctx context.Context, tx *Tx, email string) (Staff, error) {
	lookup, err := db.emailLookup(ctx, email)
	if err != nil {
		return Staff{}, err
	}
	s, err := db.scanStaff(ctx, tx.QueryRow(`SELECT `+staffColumns+` FROM staff WHERE email_lookup = ?`, lookup))
	if err == sql.ErrNoRows {
		return s, aura.Errorf(aura.ENOTFOUND, "No such staff member.")
	}
	return s, err
}

// CreateStaff creates a staff member with a password and a mandatory TOTP
// secret, returned once so the person can add it to an authenticator app.
// It returns EINVALID for a bad email or password and ECONFLICT for an
// email that already has a staff account.
func (db *DB) CreateStaff(ctx context.Context, h credential.Hasher, email, password string) (Staff, []byte, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return Staff{}, nil, err
	}
	if err := credential.ValidatePassword(password, email); err != nil {
		return Staff{}, nil, err
	}
	hash, err := h.Hash(password)
	if err != nil {
		return Staff{}, nil, err
	}
	lookup, err := db.emailLookup(ctx, email)
	if err != nil {
		return Staff{}, nil, err
	}
	secret := credential.NewTOTPSecret()
	id := aura.NewID("stf")
	emailSealed, err := db.seal(ctx, "staff", "email", id, []byte(email))
	if err != nil {
		return Staff{}, nil, err
	}
	totpSealed, err := db.seal(ctx, "staff", "totp", id, secret)
	if err != nil {
		return Staff{}, nil, err
	}
	var s Staff
	err = db.Update(ctx, func(tx *Tx) error {
		if _, err := db.staffByEmail(ctx, tx, email); err == nil {
			return aura.Errorf(aura.ECONFLICT, "%s already has a staff account.", email)
		}
		now := fmtTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO staff (id, email_lookup, email_sealed, password_hash, totp_sealed, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'active', ?, ?)`, id, lookup, emailSealed, hash, totpSealed, now, now); err != nil {
			return err
		}
		var err error
		if s, err = db.staffByID(ctx, tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "staff.created", EntityType: "staff", EntityID: id, After: staffAudit(db, ctx, s)})
	})
	if err != nil {
		return Staff{}, nil, err
	}
	return s, secret, nil
}

// StaffMembers returns every staff member, by creation time.
func (db *DB) StaffMembers(ctx context.Context) ([]Staff, error) {
	var out []Staff
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT ` + staffColumns + ` FROM staff ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := db.scanStaff(ctx, rows)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

// StaffByID returns a staff member, or ENOTFOUND.
func (db *DB) StaffByID(ctx context.Context, id string) (Staff, error) {
	var s Staff
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		s, err = db.staffByID(ctx, tx, id)
		return err
	})
	return s, err
}

// SetStaffStatus enables or disables a staff member by email; disabling
// ends their sessions (and so their impersonations, which the caller ends
// in the tenants' chains). It returns ENOTFOUND for an unknown email and
// EINVALID for an unknown status.
func (db *DB) SetStaffStatus(ctx context.Context, email, status string) (Staff, error) {
	if status != StaffActive && status != StaffDisabled {
		return Staff{}, aura.Errorf(aura.EINVALID, "A staff member is active or disabled.")
	}
	var s Staff
	err := db.Update(ctx, func(tx *Tx) error {
		before, err := db.staffByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE staff SET status = ?, updated_at = ? WHERE id = ?`, status, fmtTime(tx.Now), before.ID); err != nil {
			return err
		}
		if status == StaffDisabled {
			if _, err := tx.Exec(`DELETE FROM staff_sessions WHERE staff_id = ?`, before.ID); err != nil {
				return err
			}
		}
		if s, err = db.staffByID(ctx, tx, before.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "staff." + status, EntityType: "staff", EntityID: s.ID, Before: staffAudit(db, ctx, before), After: staffAudit(db, ctx, s)})
	})
	return s, err
}

var errStaffLogin = aura.Errorf(aura.EUNAUTHORIZED, "The email, password or code is incorrect.")

// StaffLogin checks a staff member's email, password and TOTP code (all
// three are required; the code's step is recorded so it cannot be used
// again) and starts a session, returning it with its secret for the cookie.
// The bcrypt comparison runs outside any transaction. Every failure is
// recorded in the platform chain (never the password or code) and returns
// EUNAUTHORIZED.
func (db *DB) StaffLogin(ctx context.Context, h credential.Hasher, email, password, code string, policy SessionPolicy) (Staff, StaffSession, string, error) {
	var s Staff
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		s, err = db.staffByEmail(ctx, tx, email)
		return err
	})
	fail := func(id, reason string) error {
		entity := id
		if entity == "" {
			entity = "unknown"
		}
		err := db.Update(ctx, func(tx *Tx) error {
			return tx.Audit(audit.Entry{Action: "staff.login_failed", EntityType: "staff", EntityID: entity,
				After: map[string]any{"email": db.auditSeal(ctx, entity, "email", email), "reason": reason}})
		})
		if err != nil {
			return err
		}
		return errStaffLogin
	}
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		h.VerifyNothing(password)
		return Staff{}, StaffSession{}, "", fail("", "unknown email")
	} else if err != nil {
		return Staff{}, StaffSession{}, "", err
	}
	if !h.Verify(s.passwordHash, password) {
		return Staff{}, StaffSession{}, "", fail(s.ID, "wrong password")
	}
	if s.Status != StaffActive {
		return Staff{}, StaffSession{}, "", fail(s.ID, "staff member disabled")
	}
	var se StaffSession
	var secret string
	var failed string
	err = db.Update(ctx, func(tx *Tx) error {
		cur, err := db.staffByID(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		totp, err := db.unseal(ctx, "staff", "totp", s.ID, cur.totpSealed)
		if err != nil {
			return err
		}
		step, ok := credential.VerifyTOTP(totp, code, tx.Now, cur.totpLastStep)
		if !ok || cur.passwordHash != s.passwordHash || cur.Status != StaffActive {
			failed = "wrong or reused two-factor code"
			return tx.Audit(audit.Entry{Action: "staff.login_failed", EntityType: "staff", EntityID: s.ID,
				After: map[string]any{"reason": failed}})
		}
		if _, err := tx.Exec(`UPDATE staff SET totp_last_step = ?, last_login_at = ? WHERE id = ?`, step, fmtTime(tx.Now), s.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM staff_sessions WHERE staff_id = ? AND (created_at < ? OR last_seen_at < ?)`, s.ID,
			fmtTime(tx.Now.Add(-policy.Absolute)), fmtTime(tx.Now.Add(-policy.Idle))); err != nil {
			return err
		}
		req := aura.RequestFrom(ctx)
		client, _ := json.Marshal(map[string]string{"ip": req.IP, "user_agent": req.UserAgent})
		se = StaffSession{ID: aura.NewID("sss"), StaffID: s.ID, CreatedAt: tx.Now.Truncate(time.Second), LastSeenAt: tx.Now.Truncate(time.Second)}
		sealed, err := db.seal(ctx, "staff_sessions", "client", se.ID, client)
		if err != nil {
			return err
		}
		secret = credential.RandomString(43)
		if _, err := tx.Exec(`INSERT INTO staff_sessions (id, secret_hash, staff_id, created_at, last_seen_at, client_sealed) VALUES (?, ?, ?, ?, ?, ?)`,
			se.ID, credential.HashSecret(secret), s.ID, fmtTime(se.CreatedAt), fmtTime(se.LastSeenAt), sealed); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "staff.logged_in", EntityType: "staff", EntityID: s.ID,
			After: map[string]any{"session_id": se.ID}})
	})
	if err != nil {
		return Staff{}, StaffSession{}, "", err
	}
	if failed != "" {
		return Staff{}, StaffSession{}, "", errStaffLogin
	}
	return s, se, secret, nil
}

var errStaffSession = aura.Errorf(aura.EUNAUTHORIZED, "Your staff session has ended. Sign in again.")

// staffSession reads and checks a staff session inside tx.
func (db *DB) staffSession(ctx context.Context, tx *Tx, where string, arg any, policy SessionPolicy) (StaffSession, Staff, error) {
	var se StaffSession
	var created, seen string
	err := tx.QueryRow(`SELECT id, staff_id, created_at, last_seen_at FROM staff_sessions WHERE `+where, arg).Scan(&se.ID, &se.StaffID, &created, &seen)
	if err == sql.ErrNoRows {
		return se, Staff{}, errStaffSession
	} else if err != nil {
		return se, Staff{}, err
	}
	se.CreatedAt, se.LastSeenAt = parseTime(created), parseTime(seen)
	if !tx.Now.Before(se.CreatedAt.Add(policy.Absolute)) || !tx.Now.Before(se.LastSeenAt.Add(policy.Idle)) {
		return se, Staff{}, errStaffSession
	}
	s, err := db.staffByID(ctx, tx, se.StaffID)
	if err != nil {
		return se, s, err
	}
	if s.Status != StaffActive {
		return se, s, errStaffSession
	}
	return se, s, nil
}

// StaffSessionBySecret returns the staff session whose cookie carries
// secret, with its staff member, or EUNAUTHORIZED when it is unknown,
// idle or too old, or its staff member is disabled. The last-seen time is
// written at most once a minute, as unaudited bookkeeping.
func (db *DB) StaffSessionBySecret(ctx context.Context, secret string, policy SessionPolicy) (StaffSession, Staff, error) {
	var se StaffSession
	var s Staff
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		se, s, err = db.staffSession(ctx, tx, `secret_hash = ?`, credential.HashSecret(secret), policy)
		return err
	})
	if err != nil {
		return StaffSession{}, Staff{}, err
	}
	if db.now().Sub(se.LastSeenAt) >= time.Minute {
		err = db.Update(ctx, func(tx *Tx) error {
			tx.Unaudited("a staff session's last-seen time, written at most once a minute for the idle timeout")
			se.LastSeenAt = tx.Now.Truncate(time.Second)
			_, err := tx.Exec(`UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?`, fmtTime(se.LastSeenAt), se.ID)
			return err
		})
	}
	return se, s, err
}

// EndStaffSession signs a staff session out. Ending a session that is gone
// is not an error. The caller ends the session's impersonations first.
func (db *DB) EndStaffSession(ctx context.Context, sessionID string) error {
	return db.Update(ctx, func(tx *Tx) error {
		var staffID string
		err := tx.QueryRow(`SELECT staff_id FROM staff_sessions WHERE id = ?`, sessionID).Scan(&staffID)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM staff_sessions WHERE id = ?`, sessionID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "staff.logged_out", EntityType: "staff", EntityID: staffID,
			Before: map[string]any{"session_id": sessionID}})
	})
}

// now returns the platform clock's time.
func (db *DB) now() time.Time {
	if db.chain.Now != nil {
		return db.chain.Now().UTC()
	}
	return time.Now().UTC()
}
