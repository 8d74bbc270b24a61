package stays

import (
	"crypto/sha256"
	"database/sql"
	"encoding/base32"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
)

// Pseudonym returns the stable name an anonymised guest keeps, such as
// "Guest 7F3K": four characters of Crockford base32 of a hash of the
// guest's id. It is derived from the id alone (already stored beside every
// reservation of the guest), so it reveals nothing new and never changes.
func Pseudonym(guestID string) string {
	sum := sha256.Sum256([]byte("aura/guest-pseudonym/v1\x00" + guestID))
	enc := base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)
	return "Guest " + enc.EncodeToString(sum[:])[:4]
}

// ErasedGuestData counts what EraseGuestTx removed from the stays side.
type ErasedGuestData struct {
	SearchTerms     int      `json:"search_terms"`       // blind-index rows deleted
	CheckInRecords  int      `json:"checkin_records"`    // records whose sealed document was blanked
	Photos          int      `json:"photos"`             // ID photos whose bytes were deleted
	PhotoBytes      int64    `json:"photo_bytes"`        // their size as uploaded
	BookingNotes    int      `json:"booking_notes"`      // notes of bookings the guest made, stays on or is checked in on, removed
	PhotoIDs        []string `json:"photo_ids"`          // the photos purged (their tombstones stay)
	CheckInRecordID []string `json:"checkin_record_ids"` // the records blanked
}

// GuestBookingsWhere selects (with the guest's id as ?1) the bookings a
// guest made, stays on, or was checked in on as a companion.
const GuestBookingsWhere = `(booker_id = ?1 OR id IN (SELECT booking_id FROM reservations WHERE guest_id = ?1)
	OR id IN (SELECT r.booking_id FROM checkin_records c JOIN reservations r ON r.id = c.reservation_id WHERE c.guest_id = ?1))`

// EraseGuestTx removes the personal data of a guest from the stays tables
// inside the caller's transaction, with secure_delete on: it destroys the
// guest's wrapped key and every sealed profile column (so nothing sealed
// under the key, here or in audit rows, opens again), deletes the guest's
// blind-index rows, the bytes of every ID photo of the guest's check-in
// records (tombstones stay, reason "deleted"), blanks the sealed documents
// and numbers of those records, and removes the notes of the bookings the
// guest made, stays on or was checked in on as a companion (staff write
// them about the people of the booking; they are sealed under the
// booker's key, so a guest who did not book would otherwise keep them). Reservations, nights, bookings and check-in tombstones
// stay. The caller checks what may refuse the erasure and writes the audit
// row. It returns ENOTFOUND for an unknown guest and ECONFLICT for a guest
// already erased.
func EraseGuestTx(tx *tenant.Tx, guestID string) (ErasedGuestData, error) {
	out := ErasedGuestData{PhotoIDs: []string{}, CheckInRecordID: []string{}}
	var seq int64
	var wrapped []byte
	err := tx.QueryRow(`SELECT seq, key_wrapped FROM guests WHERE id = ?`, guestID).Scan(&seq, &wrapped)
	if err == sql.ErrNoRows {
		return out, tenant.NotFound("guest", guestID)
	} else if err != nil {
		return out, err
	}
	if wrapped == nil {
		return out, aura.Errorf(aura.ECONFLICT, "This guest was already anonymised.")
	}
	if err := tenant.SecureDelete(tx); err != nil {
		return out, err
	}
	res, err := tx.Exec(`DELETE FROM guest_search WHERE guest = ?`, seq)
	if err != nil {
		return out, err
	}
	n, _ := res.RowsAffected()
	out.SearchTerms = int(n)

	rows, err := tx.Query(`SELECT p.id, p.size FROM id_photos p JOIN checkin_records c ON c.id = p.record_id
		WHERE c.guest_id = ? AND p.purged_at IS NULL ORDER BY p.id`, guestID)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var id string
		var size int64
		if err := rows.Scan(&id, &size); err != nil {
			rows.Close()
			return out, err
		}
		out.PhotoIDs = append(out.PhotoIDs, id)
		out.PhotoBytes += size
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.Photos = len(out.PhotoIDs)
	if err := PurgePhotos(tx, out.PhotoIDs, PurgeDeleted); err != nil {
		return out, err
	}

	recs, err := tx.Query(`SELECT id FROM checkin_records WHERE guest_id = ? ORDER BY id`, guestID)
	if err != nil {
		return out, err
	}
	for recs.Next() {
		var id string
		if err := recs.Scan(&id); err != nil {
			recs.Close()
			return out, err
		}
		out.CheckInRecordID = append(out.CheckInRecordID, id)
	}
	recs.Close()
	if err := recs.Err(); err != nil {
		return out, err
	}
	out.CheckInRecords = len(out.CheckInRecordID)
	now := tenant.FormatTime(tx.Now)
	if _, err := tx.Exec(`UPDATE checkin_records SET document = x'', document_number = NULL, version = version + 1, updated_at = ?
		WHERE guest_id = ?`, now, guestID); err != nil {
		return out, err
	}
	res, err = tx.Exec(`UPDATE bookings SET notes = NULL WHERE `+GuestBookingsWhere+` AND notes IS NOT NULL`, guestID)
	if err != nil {
		return out, err
	}
	n, _ = res.RowsAffected()
	out.BookingNotes = int(n)
	_, err = tx.Exec(`UPDATE guests SET key_wrapped = NULL, given_name = NULL, family_name = NULL, email = NULL, phone = NULL, address = NULL,
		nationality = NULL, language = NULL, notes = NULL, version = version + 1, updated_at = ? WHERE seq = ?`, now, seq)
	return out, err
}
