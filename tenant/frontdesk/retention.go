package frontdesk

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// Retention of ID photos and document numbers.
//
// A check-in record's ID photos are purged IDPhotoRetentionDays × 24 hours
// after its reservation was checked out or, for a stay never checked out
// (still in house, or recorded on a stay that ended otherwise), after the
// record was taken: the photo served its purpose at check-in, so a stay
// longer than the window loses its photos during the stay. With
// PurgeDocumentNumbers the document number goes at the same time.
//
// Purging deletes the photo's row from id_photo_bytes (and sets the
// record's document_number to NULL) with SQLite's secure_delete on, so the
// freed cells and overflow pages are overwritten with zeros; the id_photos
// row stays as a tombstone (purged_at, purge_reason) for the guest page.
// The bytes leave the tenant file at the next checkpoint of the WAL; the
// replica's copies age out with the replica's retention.

// purgeBatch is how many check-in records one purge transaction handles,
// so a backlog never holds the write lock for long (each record may free
// up to MaxIDPhotos × 10 MiB of pages, all overwritten with zeros).
const purgeBatch = 20

// PurgeResult counts what PurgeIDPhotos removed.
type PurgeResult struct {
	Records int   `json:"records"` // check-in records purged, one audit row each
	Photos  int   `json:"photos"`  // photos whose bytes were deleted
	Numbers int   `json:"numbers"` // document numbers blanked
	Bytes   int64 `json:"bytes"`   // size of the photos deleted (as uploaded)
}

// jobContext gives background work a system actor when its caller set none.
func jobContext(ctx context.Context, name string) context.Context {
	if aura.ActorFrom(ctx).ID == "unknown" {
		return aura.WithActor(ctx, aura.SystemActor(name))
	}
	return ctx
}

// retentionPolicy is one property's retention settings.
type retentionPolicy struct {
	propertyID string
	days       int
	numbers    bool
}

func (p retentionPolicy) cutoff(now time.Time) string {
	return tenant.FormatTime(now.Add(-time.Duration(p.days) * 24 * time.Hour))
}

func retentionPolicies(tx *tenant.Tx) ([]retentionPolicy, error) {
	rows, err := tx.Query(`SELECT id, id_photo_retention_days, purge_document_numbers FROM properties ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retentionPolicy
	for rows.Next() {
		var p retentionPolicy
		if err := rows.Scan(&p.propertyID, &p.days, &p.numbers); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// The moment a record's retention window starts: check-out, or the record's own creation.
const windowStart = `COALESCE(r.checked_out_at, c.created_at)`

// dueRecords returns up to limit check-in records with something to purge
// at now: a photo still stored, or (where configured) a document number,
// past their property's window.
func dueRecords(tx *tenant.Tx, now time.Time, limit int) ([]string, error) {
	policies, err := retentionPolicies(tx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	collect := func(q string, args ...any) error {
		rows, err := tx.Query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return rows.Err()
	}
	for _, p := range policies {
		if len(out) >= limit {
			break
		}
		if err := collect(`SELECT DISTINCT p.record_id FROM id_photos p INDEXED BY id_photos_live
			JOIN checkin_records c ON c.id = p.record_id JOIN reservations r ON r.id = c.reservation_id
			WHERE p.purged_at IS NULL AND r.property_id = ? AND `+windowStart+` <= ? ORDER BY p.record_id LIMIT ?`,
			p.propertyID, p.cutoff(now), limit-len(out)); err != nil {
			return nil, err
		}
		if p.numbers && len(out) < limit {
			if err := collect(`SELECT c.id FROM checkin_records c INDEXED BY checkin_records_numbers JOIN reservations r ON r.id = c.reservation_id
				WHERE c.document_number IS NOT NULL AND r.property_id = ? AND `+windowStart+` <= ? ORDER BY c.id LIMIT ?`,
				p.propertyID, p.cutoff(now), limit-len(out)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// PurgeIDPhotos is the retention job of a tenant: for every check-in
// record past its property's window it deletes the ID photos still stored
// and, where the property says so, blanks the document number, writing ONE
// audit row per record ("checkin_record.purged", no personal data). It is
// idempotent: what is purged is never purged again, and concurrent runs
// are serialised by the write transaction. It works in batches of a few
// records per transaction. Run it hourly per tenant (NextIDPhotoPurge says
// when something next falls due), then checkpoint the WAL so the zeroed
// pages replace the old ones in the file. Errors are internal.
func (db Store) PurgeIDPhotos(ctx context.Context) (PurgeResult, error) {
	ctx = jobContext(ctx, "id-photo-retention")
	var res PurgeResult
	for {
		// A read first, so a tenant with nothing due never takes the write lock.
		var due []string
		if err := db.View(ctx, func(tx *tenant.Tx) error {
			var err error
			due, err = dueRecords(tx, tx.Now, 1)
			return err
		}); err != nil || len(due) == 0 {
			return res, err
		}
		var n int
		err := db.Update(ctx, func(tx *tenant.Tx) error {
			// Again under the write lock: another run may have purged them.
			due, err := dueRecords(tx, tx.Now, purgeBatch)
			if err != nil || len(due) == 0 {
				return err
			}
			if err := tenant.SecureDelete(tx); err != nil {
				return err
			}
			batch := PurgeResult{}
			for _, id := range due {
				if err := purgeRecord(tx, id, &batch); err != nil {
					return err
				}
			}
			n = len(due)
			res.Records += batch.Records
			res.Photos += batch.Photos
			res.Numbers += batch.Numbers
			res.Bytes += batch.Bytes
			return nil
		})
		if err != nil {
			return res, err
		}
		if n < purgeBatch {
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
}

// purgeRecord purges what is due of one record (checked by dueRecords in
// the same transaction) and writes its audit row.
func purgeRecord(tx *tenant.Tx, recordID string, res *PurgeResult) error {
	var resID, guestID, propID, created string
	var checkedOut sql.NullString
	var hasNumber bool
	var days int
	var purgeNumbers bool
	var version int
	err := tx.QueryRow(`SELECT c.reservation_id, c.guest_id, r.property_id, c.created_at, r.checked_out_at, c.document_number IS NOT NULL,
		p.id_photo_retention_days, p.purge_document_numbers, c.version
		FROM checkin_records c JOIN reservations r ON r.id = c.reservation_id JOIN properties p ON p.id = r.property_id WHERE c.id = ?`, recordID).
		Scan(&resID, &guestID, &propID, &created, &checkedOut, &hasNumber, &days, &purgeNumbers, &version)
	if err != nil {
		return err
	}
	rows, err := tx.Query(`SELECT id, content_type, size FROM id_photos WHERE record_id = ? AND purged_at IS NULL ORDER BY id`, recordID)
	if err != nil {
		return err
	}
	var photos []stays.PhotoAudit
	var ids []string
	for rows.Next() {
		var p stays.PhotoAudit
		if err := rows.Scan(&p.ID, &p.ContentType, &p.Size); err != nil {
			rows.Close()
			return err
		}
		photos = append(photos, p)
		ids = append(ids, p.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := stays.PurgePhotos(tx, ids, stays.PurgeRetention); err != nil {
		return err
	}
	blank := purgeNumbers && hasNumber
	if blank {
		version++
		if _, err := tx.Exec(`UPDATE checkin_records SET document_number = NULL, number_purged_at = ?, version = ?, updated_at = ? WHERE id = ?`,
			tenant.FormatTime(tx.Now), version, tenant.FormatTime(tx.Now), recordID); err != nil {
			return err
		}
		res.Numbers++
	}
	purged := make([]stays.PhotoAudit, len(photos))
	now := tx.Now
	for i, p := range photos {
		res.Bytes += int64(p.Size)
		p.PurgedAt, p.PurgeReason = &now, stays.PurgeRetention
		purged[i] = p
	}
	res.Photos += len(photos)
	res.Records++
	from, start := "check_out", checkedOut.String
	if !checkedOut.Valid {
		from, start = "check_in", created
	}
	if photos == nil {
		photos, purged = []stays.PhotoAudit{}, []stays.PhotoAudit{}
	}
	return tx.Audit(audit.Entry{Action: "checkin_record.purged", EntityType: "checkin_record", EntityID: recordID,
		Before: map[string]any{"reservation_id": resID, "guest_id": guestID, "photos": photos, "document_number_stored": hasNumber},
		After: map[string]any{"reservation_id": resID, "guest_id": guestID, "photos": purged, "document_number_stored": hasNumber && !blank,
			"document_number_purged": blank, "version": version,
			"retention": map[string]any{"property_id": propID, "days": days, "window_from": from, "window_start": start}}})
}

// NextIDPhotoPurge returns when the next ID photo or document number of
// the tenant falls due for purging (ok false when none is stored), so a
// scheduler can sleep until then instead of opening the tenant file.
// Errors are internal.
func (db Store) NextIDPhotoPurge(ctx context.Context) (next time.Time, ok bool, err error) {
	err = db.View(ctx, func(tx *tenant.Tx) error {
		policies, err := retentionPolicies(tx)
		if err != nil {
			return err
		}
		consider := func(q string, p retentionPolicy) error {
			var start sql.NullString
			if err := tx.QueryRow(q, p.propertyID).Scan(&start); err != nil {
				return err
			}
			if !start.Valid {
				return nil
			}
			at := tenant.ParseTime(start.String).Add(time.Duration(p.days) * 24 * time.Hour)
			if !ok || at.Before(next) {
				next, ok = at, true
			}
			return nil
		}
		for _, p := range policies {
			if err := consider(`SELECT min(`+windowStart+`) FROM id_photos p INDEXED BY id_photos_live
				JOIN checkin_records c ON c.id = p.record_id JOIN reservations r ON r.id = c.reservation_id
				WHERE p.purged_at IS NULL AND r.property_id = ?`, p); err != nil {
				return err
			}
			if p.numbers {
				if err := consider(`SELECT min(`+windowStart+`) FROM checkin_records c INDEXED BY checkin_records_numbers
					JOIN reservations r ON r.id = c.reservation_id WHERE c.document_number IS NOT NULL AND r.property_id = ?`, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return next, ok, err
}
