package guestdata

import (
	"context"
	"database/sql"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
)

// Restrict restricts the processing of a guest's data (GDPR art. 18) or,
// with on false, lifts the restriction: a restricted guest is left out of
// guest lists and search except for callers marked by
// stays.WithRestricted (guests.restricted.read), and every read of the
// profile is audited (RecordRestrictedRead). The reason (why, at most 500
// characters, required to restrict) goes into the audit row
// ("guest.restricted" or "guest.restriction_lifted"), sealed under the
// guest's key (under "sealed", as the profile's fields). It returns
// ENOTFOUND, EINVALID for a missing reason, and ECONFLICT for a guest
// already in that state or anonymised.
func (s Store) Restrict(ctx context.Context, guestID string, on bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if on && reason == "" || len(reason) > 500 {
		return aura.Invalid("Say why the processing is restricted (at most 500 characters): the request, the dispute or the legal claim.",
			aura.FieldError{Field: "reason", Message: "is required, at most 500 characters"})
	}
	return s.Update(ctx, func(tx *tenant.Tx) error {
		var wrapped []byte
		var at sql.NullString
		err := tx.QueryRow(`SELECT key_wrapped, restricted_at FROM guests WHERE id = ?`, guestID).Scan(&wrapped, &at)
		if err == sql.ErrNoRows {
			return tenant.NotFound("guest", guestID)
		} else if err != nil {
			return err
		}
		if wrapped == nil {
			return aura.Errorf(aura.ECONFLICT, "This guest was anonymised; there is nothing left to restrict.")
		}
		if on == at.Valid {
			if on {
				return aura.Errorf(aura.ECONFLICT, "The processing of this guest's data is already restricted.")
			}
			return aura.Errorf(aura.ECONFLICT, "The processing of this guest's data is not restricted.")
		}
		var now any
		action := "guest.restriction_lifted"
		if on {
			now, action = tenant.FormatTime(tx.Now), "guest.restricted"
		}
		if _, err := tx.Exec(`UPDATE guests SET restricted_at = ? WHERE id = ?`, now, guestID); err != nil {
			return err
		}
		after := map[string]any{"restricted": on}
		if reason != "" {
			// Staff write the reason about the guest (often naming them or
			// quoting their request): it is sealed under the guest's key
			// like the profile, so the anonymisation makes it unreadable
			// in the audit row and its backups too.
			key, err := s.OpenSubjectKey(guestID, wrapped)
			if err != nil {
				return err
			}
			after["sealed"] = map[string][]byte{"reason": key.Seal("guests", "reason", guestID, []byte(reason))}
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: "guest", EntityID: guestID,
			Before: map[string]any{"restricted": at.Valid}, After: after})
	})
}

// RecordRestrictedRead audits one read of a restricted guest's data
// ("guest.restricted_read", what: the page or API call that read it).
func (s Store) RecordRestrictedRead(ctx context.Context, guestID, what string) error {
	return s.Update(ctx, func(tx *tenant.Tx) error {
		return tx.Audit(audit.Entry{Action: "guest.restricted_read", EntityType: "guest", EntityID: guestID, After: map[string]any{"read": what}})
	})
}
