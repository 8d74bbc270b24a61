package platform

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
)

// Bounds of an impersonation's time box.
const (
	MinImpersonation     = 5 * time.Minute
	MaxImpersonation     = 4 * time.Hour
	DefaultImpersonation = 30 * time.Minute
)

// Impersonation is a recorded, time-boxed permission for one staff member,
// in one staff session, to act on one tenant, for a stated reason.
type Impersonation struct {
	ID             string
	StaffID        string
	StaffSessionID string
	TenantID       string
	TenantSlug     string
	Reason         string
	StartedAt      time.Time
	ExpiresAt      time.Time
	EndedAt        time.Time // zero while not ended
	EndReason      string
}

// Active reports whether the impersonation has not ended and not expired at now.
func (i Impersonation) Active(now time.Time) bool {
	return i.EndedAt.IsZero() && now.Before(i.ExpiresAt)
}

const impColumns = `i.id, i.staff_id, i.staff_session_id, i.tenant_id, t.slug, i.reason, i.started_at, i.expires_at, i.ended_at, i.end_reason`

func scanImp(s interface{ Scan(...any) error }) (Impersonation, error) {
	var i Impersonation
	var started, expires string
	var ended, endReason sql.NullString
	if err := s.Scan(&i.ID, &i.StaffID, &i.StaffSessionID, &i.TenantID, &i.TenantSlug, &i.Reason, &started, &expires, &ended, &endReason); err != nil {
		return i, err
	}
	i.StartedAt, i.ExpiresAt = parseTime(started), parseTime(expires)
	if ended.Valid {
		i.EndedAt = parseTime(ended.String)
	}
	i.EndReason = endReason.String
	return i, nil
}

func impAudit(i Impersonation) map[string]any {
	m := map[string]any{"id": i.ID, "staff_id": i.StaffID, "staff_session_id": i.StaffSessionID, "tenant_id": i.TenantID,
		"tenant_slug": i.TenantSlug, "reason": i.Reason, "started_at": fmtTime(i.StartedAt), "expires_at": fmtTime(i.ExpiresAt)}
	if !i.EndedAt.IsZero() {
		m["ended_at"] = fmtTime(i.EndedAt)
		m["end_reason"] = i.EndReason
	}
	return m
}

func impByID(tx *Tx, id string) (Impersonation, error) {
	i, err := scanImp(tx.QueryRow(`SELECT `+impColumns+` FROM impersonations i JOIN tenants t ON t.id = i.tenant_id WHERE i.id = ?`, id))
	if err == sql.ErrNoRows {
		return i, aura.Errorf(aura.ENOTFOUND, "No such impersonation.")
	}
	return i, err
}

// StartImpersonation records that the staff member of session se starts to
// act on the active tenant slug, for reason, for ttl (5 minutes to 4
// hours), in the platform chain; the caller records it in the tenant's
// chain too. It returns the impersonation and the secret for its cookie.
// It returns EINVALID for a missing reason or a bad duration, ENOTFOUND for
// an unknown tenant, EUNAVAILABLE for a suspended one, and ECONFLICT when
// this session already impersonates the tenant.
func (db *DB) StartImpersonation(ctx context.Context, se StaffSession, slug, reason string, ttl time.Duration) (Impersonation, string, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 10 || n > 500 || strings.ContainsRune(reason, 0) {
		return Impersonation{}, "", aura.Invalid("Say why you need to act on this tenant (10 to 500 characters, e.g. a ticket number and the problem).",
			aura.FieldError{Field: "reason", Message: "10 to 500 characters"})
	}
	if ttl < MinImpersonation || ttl > MaxImpersonation {
		return Impersonation{}, "", aura.Invalid("An impersonation lasts from 5 minutes to 4 hours.", aura.FieldError{Field: "minutes", Message: "5 to 240 minutes"})
	}
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return Impersonation{}, "", err
	}
	if t.Status != StatusActive {
		return Impersonation{}, "", aura.Errorf(aura.EUNAVAILABLE, "Tenant %s is %s; resume it before acting on it.", slug, t.Status)
	}
	secret := credential.RandomString(43)
	var imp Impersonation
	err = db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM impersonations WHERE staff_session_id = ? AND tenant_id = ? AND ended_at IS NULL AND expires_at > ?`,
			se.ID, t.ID, fmtTime(tx.Now)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return aura.Errorf(aura.ECONFLICT, "You are already impersonating %s; end that first.", slug)
		}
		id := aura.NewID("imp")
		if _, err := tx.Exec(`INSERT INTO impersonations (id, secret_hash, staff_id, staff_session_id, tenant_id, reason, started_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, credential.HashSecret(secret), se.StaffID, se.ID, t.ID, reason,
			fmtTime(tx.Now), fmtTime(tx.Now.Add(ttl))); err != nil {
			return err
		}
		var err error
		if imp, err = impByID(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "impersonation.started", EntityType: "impersonation", EntityID: id, After: impAudit(imp)})
	})
	return imp, secret, err
}

var errImpersonation = aura.Errorf(aura.EUNAUTHORIZED, "This impersonation has ended.")

// ImpersonationBySecret returns the active impersonation id whose cookie
// carries secret, with its staff member. It is EUNAUTHORIZED when the
// impersonation is unknown, ended or expired, or when the staff session it
// is bound to has ended or timed out, or its staff member is disabled.
func (db *DB) ImpersonationBySecret(ctx context.Context, id, secret string, policy SessionPolicy) (Impersonation, Staff, error) {
	var imp Impersonation
	var s Staff
	err := db.View(ctx, func(tx *Tx) error {
		var hash []byte
		err := tx.QueryRow(`SELECT secret_hash FROM impersonations WHERE id = ?`, id).Scan(&hash)
		if err == sql.ErrNoRows {
			return errImpersonation
		} else if err != nil {
			return err
		}
		if string(hash) != string(credential.HashSecret(secret)) {
			return errImpersonation
		}
		if imp, err = impByID(tx, id); err != nil {
			return err
		}
		if !imp.Active(tx.Now) {
			return errImpersonation
		}
		_, s, err = db.staffSession(ctx, tx, `id = ?`, imp.StaffSessionID, policy)
		if err != nil {
			return errImpersonation
		}
		return nil
	})
	return imp, s, err
}

// Impersonation returns one impersonation, or ENOTFOUND.
func (db *DB) Impersonation(ctx context.Context, id string) (Impersonation, error) {
	var imp Impersonation
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		imp, err = impByID(tx, id)
		return err
	})
	return imp, err
}

// EndImpersonation ends an impersonation (if it has not ended yet) with a
// reason ("ended by staff", "expired", "staff signed out", …), in the
// platform chain. It reports whether this call ended it, so the caller
// records the end in the tenant's chain exactly once. It returns ENOTFOUND
// for an unknown id.
func (db *DB) EndImpersonation(ctx context.Context, id, reason string) (Impersonation, bool, error) {
	var imp Impersonation
	var changed bool
	err := db.Update(ctx, func(tx *Tx) error {
		before, err := impByID(tx, id)
		if err != nil {
			return err
		}
		if !before.EndedAt.IsZero() {
			imp = before
			return nil
		}
		end := tx.Now
		if end.After(before.ExpiresAt) {
			end = before.ExpiresAt
		}
		if _, err := tx.Exec(`UPDATE impersonations SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`, fmtTime(end), reason, id); err != nil {
			return err
		}
		if imp, err = impByID(tx, id); err != nil {
			return err
		}
		changed = true
		return tx.Audit(audit.Entry{Action: "impersonation.ended", EntityType: "impersonation", EntityID: id, Before: impAudit(before), After: impAudit(imp)})
	})
	return imp, changed, err
}

// ImpersonationFilter selects impersonations; zero fields do not filter.
type ImpersonationFilter struct {
	StaffSessionID string
	StaffID        string
	TenantID       string
	OpenOnly       bool // not ended (possibly expired but not yet recorded as ended)
	Limit          int  // default 100
}

// Impersonations returns impersonations matching f, newest first.
func (db *DB) Impersonations(ctx context.Context, f ImpersonationFilter) ([]Impersonation, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []Impersonation
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT `+impColumns+` FROM impersonations i JOIN tenants t ON t.id = i.tenant_id
			WHERE (? = '' OR i.staff_session_id = ?) AND (? = '' OR i.staff_id = ?) AND (? = '' OR i.tenant_id = ?)
			AND (? = 0 OR i.ended_at IS NULL) ORDER BY i.started_at DESC, i.id LIMIT ?`,
			f.StaffSessionID, f.StaffSessionID, f.StaffID, f.StaffID, f.TenantID, f.TenantID, f.OpenOnly, f.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			i, err := scanImp(rows)
			if err != nil {
				return err
			}
			out = append(out, i)
		}
		return rows.Err()
	})
	return out, err
}

// DueImpersonations returns impersonations not yet recorded as ended that
// must end now: past their time box, or whose staff session has ended or
// timed out. The server ends them in both chains.
func (db *DB) DueImpersonations(ctx context.Context, policy SessionPolicy) ([]Impersonation, []string, error) {
	open, err := db.Impersonations(ctx, ImpersonationFilter{OpenOnly: true, Limit: 1000})
	if err != nil {
		return nil, nil, err
	}
	var due []Impersonation
	var reasons []string
	err = db.View(ctx, func(tx *Tx) error {
		for _, i := range open {
			if !tx.Now.Before(i.ExpiresAt) {
				due, reasons = append(due, i), append(reasons, "expired")
				continue
			}
			if _, _, err := db.staffSession(ctx, tx, `id = ?`, i.StaffSessionID, policy); err != nil {
				if aura.ErrorCode(err) != aura.EUNAUTHORIZED {
					return err
				}
				due, reasons = append(due, i), append(reasons, "staff session ended")
			}
		}
		return nil
	})
	return due, reasons, err
}
