package tenant

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
)

// auditSealedPrefix marks a sealed value inside the before/after JSON of an
// audit row: personal data (a user's email or name) is recorded as
// "sealed:v1:<base64>", AES-256-GCM under the tenant's sealing key, bound
// to the audit entity and the field name.
const auditSealedPrefix = "sealed:v1:"

// AuditSeal seals one personal value for an audit row about entityID, under
// the JSON field name field.
func (db *DB) AuditSeal(entityID, field, value string) string {
	return auditSealedPrefix + base64.RawStdEncoding.EncodeToString(db.Seal("audit_log", field, entityID, []byte(value)))
}

// AuditUnseal opens a value made by AuditSeal. It reports false when v is
// not sealed or does not open (moved, tampered, or its key was destroyed).
func (db *DB) AuditUnseal(entityID, field, v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, auditSealedPrefix)
	if !ok {
		return "", false
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", false
	}
	pt, err := db.Unseal("audit_log", field, entityID, raw)
	if err != nil {
		return "", false
	}
	return string(pt), true
}

// RevealAuditJSON returns the before or after JSON of an audit row about
// entityID with every top-level sealed value opened where this tenant's key
// opens it; values that do not open read "(sealed)". Non-object JSON is
// returned as it is.
func (db *DB) RevealAuditJSON(entityID, js string) string {
	if js == "" || !strings.Contains(js, auditSealedPrefix) {
		return js
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return js
	}
	for k, v := range m {
		if s, ok := v.(string); ok && strings.HasPrefix(s, auditSealedPrefix) {
			if pt, ok := db.AuditUnseal(entityID, k, s); ok {
				m[k] = pt
			} else {
				m[k] = "(sealed)"
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return js
	}
	return string(b)
}

// OpenGuestSealed opens values sealed under guest guestID's own key, as
// guest audit rows ("sealed": column → bytes, table "guests", row the
// guest) and booking rows (notes under the booker, table "bookings", row
// the booking) record them. Erased reports a guest whose key was
// destroyed: nothing opens. A value that does not open is left out. It is
// for people who may read guests (the history pages ask first). It
// returns ENOTFOUND for an unknown guest; other errors are internal.
func (db *DB) OpenGuestSealed(ctx context.Context, guestID, table, rowID string, sealed map[string][]byte) (map[string]string, bool, error) {
	out := map[string]string{}
	erased := false
	err := db.View(ctx, func(tx *Tx) error {
		var wrapped []byte
		err := tx.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, guestID).Scan(&wrapped)
		if err == sql.ErrNoRows {
			return NotFound("guest", guestID)
		} else if err != nil {
			return err
		}
		if wrapped == nil {
			erased = true
			return nil
		}
		CountGuestOpen()
		k, err := db.OpenSubjectKey(guestID, wrapped)
		if err != nil {
			return err
		}
		for col, v := range sealed {
			if pt, err := k.Unseal(table, col, rowID, v); err == nil {
				out[col] = string(pt)
			}
		}
		return nil
	})
	return out, erased, err
}

// guestOpens counts guests unsealed since start, so a test can prove that a
// search opens only the guests it matched.
var guestOpens atomic.Int64

// CountGuestOpen counts one guest unsealed (see GuestOpens).
func CountGuestOpen() { guestOpens.Add(1) }

// GuestOpens returns how many guests were unsealed since the process
// started, so tests can prove a search opens only the guests it returns.
func GuestOpens() int64 { return guestOpens.Load() }
