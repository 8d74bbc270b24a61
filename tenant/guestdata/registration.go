package guestdata

import (
	"context"
	"sort"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// MaxRegistrationMonths bounds a property's registration-data retention.
const MaxRegistrationMonths = 120

// SetRegistrationRetention sets how many months after check-out (or after
// the record was taken, for a stay never checked out) the retention job
// purges a check-in record's registration data at the property: the
// sealed document (type, issuing country, expiry, date of birth), the
// document number and the ID photos still stored. 0 is off (the default).
// Audited ("guest_retention.registration_set"). It returns EINVALID for
// months out of 0–120 and ENOTFOUND for an unknown property.
func (s Store) SetRegistrationRetention(ctx context.Context, propertyID string, months int) error {
	if months < 0 || months > MaxRegistrationMonths {
		return aura.Invalid("Purge registration data after 0 (never) to 120 months.", aura.FieldError{Field: "registration_months", Message: "must be 0 to 120"})
	}
	return s.Update(ctx, func(tx *tenant.Tx) error {
		return setRetention(tx, "registration_months", propertyID, months, "guest_retention.registration_set")
	})
}

// RegistrationRetention returns each property's registration-data
// retention in months (absent: 0, off).
func (s Store) RegistrationRetention(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT property_id, registration_months FROM guest_retention WHERE registration_months > 0`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			out[id] = n
		}
		return rows.Err()
	})
	return out, err
}

// RegistrationPurge is what one purge of registration data did.
type RegistrationPurge struct {
	Records []string `json:"records"` // check-in records whose document was purged
	Photos  int      `json:"photos"`  // ID photos deleted with them
}

// PurgeRegistrations purges the registration data of every check-in
// record past its property's registration retention at the database
// clock, in one transaction with secure_delete on: the sealed document and
// the document number are blanked (the record reads as erased), the ID
// photos still stored are deleted (reason retention), and
// registration_purged_at is set. The guest's profile and the stay stay.
// One audit row ("guest_retention.registrations_purged": the records and
// counts) when anything was purged.
func (s Store) PurgeRegistrations(ctx context.Context) (RegistrationPurge, error) {
	if aura.ActorFrom(ctx).ID == "unknown" {
		ctx = aura.WithActor(ctx, aura.SystemActor("guest-retention"))
	}
	out := RegistrationPurge{Records: []string{}}
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT property_id, registration_months FROM guest_retention WHERE registration_months > 0 ORDER BY property_id`)
		if err != nil {
			return err
		}
		cutoffs := map[string]string{}
		var props []string
		for rows.Next() {
			var id string
			var months int
			if err := rows.Scan(&id, &months); err != nil {
				rows.Close()
				return err
			}
			props = append(props, id)
			cutoffs[id] = tenant.FormatTime(tx.Now.AddDate(0, -months, 0))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, pid := range props {
			recs, err := tx.Query(`SELECT c.id FROM checkin_records c JOIN reservations r ON r.id = c.reservation_id
				WHERE r.property_id = ? AND c.registration_purged_at IS NULL AND coalesce(r.checked_out_at, c.created_at) <= ? ORDER BY c.id`, pid, cutoffs[pid])
			if err != nil {
				return err
			}
			for recs.Next() {
				var id string
				if err := recs.Scan(&id); err != nil {
					recs.Close()
					return err
				}
				out.Records = append(out.Records, id)
			}
			recs.Close()
			if err := recs.Err(); err != nil {
				return err
			}
		}
		if len(out.Records) == 0 {
			return nil
		}
		if err := tenant.SecureDelete(tx); err != nil {
			return err
		}
		now := tenant.FormatTime(tx.Now)
		for _, id := range out.Records {
			photos, err := tx.Query(`SELECT id FROM id_photos WHERE record_id = ? AND purged_at IS NULL ORDER BY id`, id)
			if err != nil {
				return err
			}
			var ids []string
			for photos.Next() {
				var pid string
				if err := photos.Scan(&pid); err != nil {
					photos.Close()
					return err
				}
				ids = append(ids, pid)
			}
			photos.Close()
			if err := photos.Err(); err != nil {
				return err
			}
			if err := stays.PurgePhotos(tx, ids, stays.PurgeRetention); err != nil {
				return err
			}
			out.Photos += len(ids)
			if _, err := tx.Exec(`UPDATE checkin_records SET document = x'', document_number = NULL, number_purged_at = coalesce(number_purged_at, ?),
				registration_purged_at = ?, version = version + 1, updated_at = ? WHERE id = ?`, now, now, now, id); err != nil {
				return err
			}
		}
		return tx.Audit(audit.Entry{Action: "guest_retention.registrations_purged", EntityType: "tenant", EntityID: s.ID,
			After: map[string]any{"records": out.Records, "photos": out.Photos, "at": tx.Now.UTC().Format(time.RFC3339)}})
	})
	return out, err
}

// DueRegistration is a check-in record whose registration data the
// retention job will purge, and when.
type DueRegistration struct {
	RecordID   string    `json:"record_id"`
	GuestID    string    `json:"guest_id"`
	PropertyID string    `json:"property_id"`
	DueAt      time.Time `json:"due_at"`
}

// RegistrationDryRun lists every check-in record not yet purged at a
// property with a registration retention, soonest first, with when the
// retention job purges it (those due at the database clock first). It
// changes nothing.
func (s Store) RegistrationDryRun(ctx context.Context) ([]DueRegistration, error) {
	out := []DueRegistration{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT c.id, c.guest_id, r.property_id, coalesce(r.checked_out_at, c.created_at), g.registration_months
			FROM checkin_records c JOIN reservations r ON r.id = c.reservation_id JOIN guest_retention g ON g.property_id = r.property_id
			WHERE g.registration_months > 0 AND c.registration_purged_at IS NULL AND length(c.document) > 0`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DueRegistration
			var start string
			var months int
			if err := rows.Scan(&d.RecordID, &d.GuestID, &d.PropertyID, &start, &months); err != nil {
				return err
			}
			d.DueAt = tenant.ParseTime(start).AddDate(0, months, 0)
			out = append(out, d)
		}
		return rows.Err()
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].RecordID < out[j].RecordID
	})
	return out, err
}
