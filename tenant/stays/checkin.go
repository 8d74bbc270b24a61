package stays

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Check-in records: who stays, with which ID document, and photos of it.
//
// A stay's guests are its reservation's own guest (the primary guest) and
// companions, each a guest profile of its own; a check-in record links one
// guest to one reservation. Every personal value of a record (document
// type, number, issuing country, expiry, date of birth, photos) is sealed
// under the guest's own key, so erasing the guest erases them too. Audit
// rows name which fields were given, never their values, so that a purged
// document number or photo survives nowhere in the tenant file.

// ID document types.
const (
	DocumentPassport        = "passport"
	DocumentIDCard          = "id_card"
	DocumentDrivingLicence  = "driving_licence"
	DocumentResidencePermit = "residence_permit"
	DocumentOther           = "other"
)

// DocumentTypes lists the ID document types a check-in record accepts.
var DocumentTypes = []string{DocumentPassport, DocumentIDCard, DocumentDrivingLicence, DocumentResidencePermit, DocumentOther}

// MaxIDPhotoSize is the largest ID photo accepted, in bytes (10 MiB: a
// full-resolution phone-camera JPEG or HEIC).
const MaxIDPhotoSize = 10 << 20

// MaxIDPhotos is the most photos one check-in record keeps (front and back
// of a card, a passport page, a visa).
const MaxIDPhotos = 4

// Why an ID photo's bytes were deleted.
const (
	PurgeRetention = "retention" // the property's retention window passed
	PurgeDeleted   = "deleted"   // an operator deleted the photo
)

// IDDocument is the identity document a guest shows at check-in. Every
// field is optional as a whole (a child may travel without one), but a
// document that is given needs its type, number and issuing country.
type IDDocument struct {
	Type           string    `json:"type"`            // one of DocumentTypes
	Number         string    `json:"number"`          // "" once purged
	IssuingCountry string    `json:"issuing_country"` // ISO 3166-1 alpha-2
	Expiry         date.Date `json:"expiry"`          // optional
}

// GuestCheckIn is the check-in of one guest of a stay. Guest names who:
// an existing guest by id, a new profile (a companion not on file yet), or,
// when both are empty, the reservation's own guest.
type GuestCheckIn struct {
	GuestID   string      `json:"guest_id,omitempty"`
	New       *GuestInput `json:"new,omitempty"`
	Document  IDDocument  `json:"document"`
	BirthDate date.Date   `json:"birth_date"` // optional
	// Photos are ID photos as uploaded from a phone camera or scanner:
	// JPEG, PNG or HEIC, recognised by their first bytes (whatever the
	// upload claims), each at most MaxIDPhotoSize bytes, at most MaxIDPhotos
	// (base64 strings in JSON; a form sends them as file parts).
	Photos [][]byte `json:"photos,omitempty"`
}

// CheckInRecord is one guest's check-in on one reservation, unsealed. On
// an erased guest (key destroyed) Erased is set and the document is empty.
type CheckInRecord struct {
	ID                string     `json:"id"`
	ReservationID     string     `json:"reservation_id"`
	PropertyID        string     `json:"property_id"`
	GuestID           string     `json:"guest_id"`
	GuestName         string     `json:"guest_name"`
	Primary           bool       `json:"primary"` // the reservation's own guest (else a companion)
	Arrival           date.Date  `json:"arrival"`
	Departure         date.Date  `json:"departure"`
	ReservationStatus string     `json:"reservation_status"`
	Document          IDDocument `json:"document"`
	BirthDate         date.Date  `json:"birth_date"`
	// NumberPurgedAt is when the purge job blanked the document number.
	NumberPurgedAt *time.Time `json:"number_purged_at,omitempty"`
	// RegistrationPurgedAt is when the retention job purged the record's
	// registration data (document, number, date of birth, photos) after
	// the property's registration retention (Erased is then set too).
	RegistrationPurgedAt *time.Time `json:"registration_purged_at,omitempty"`
	Photos               []IDPhoto  `json:"photos"`
	Erased               bool       `json:"erased,omitempty"`
	// Withheld is set when the guest's processing is restricted and the
	// caller may not see restricted guests: the record then has no
	// document, date of birth or photos (GuestName is RestrictedName).
	Withheld  bool      `json:"withheld,omitempty"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// IDPhoto describes one ID photo of a check-in record. Once its bytes are
// purged, PurgedAt and PurgeReason say when and why; the description stays.
type IDPhoto struct {
	ID          string     `json:"id"`
	RecordID    string     `json:"record_id"`
	ContentType string     `json:"content_type"`
	Size        int        `json:"size"`
	CreatedAt   time.Time  `json:"created_at"`
	PurgedAt    *time.Time `json:"purged_at,omitempty"`
	PurgeReason string     `json:"purge_reason,omitempty"`
}

// IDPhotoContentType returns the media type of an image by its first bytes
// (image/jpeg, image/png, image/heic or image/heif), or "" for anything else.
func IDPhotoContentType(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		// An ISO base media file; its major brand says what it holds.
		switch string(b[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis":
			return "image/heic"
		case "mif1", "msf1", "heif":
			return "image/heif"
		}
	}
	return ""
}

func validDocumentType(t string) bool {
	for _, v := range DocumentTypes {
		if v == t {
			return true
		}
	}
	return false
}

// given reports whether any field of the document is set.
func (d IDDocument) given() bool {
	return d.Type != "" || d.Number != "" || d.IssuingCountry != "" || !d.Expiry.IsZero()
}

func (d *IDDocument) normalise() {
	d.Type = strings.TrimSpace(d.Type)
	d.Number = strings.TrimSpace(d.Number)
	d.IssuingCountry = strings.ToUpper(strings.TrimSpace(d.IssuingCountry))
}

func (d IDDocument) validate(fe *tenant.FieldErrors, prefix string) {
	if !d.given() {
		return
	}
	if !validDocumentType(d.Type) {
		fe.Add(prefix+"type", "must be one of %s", strings.Join(DocumentTypes, ", "))
	}
	if d.Number == "" {
		fe.Add(prefix+"number", "is required for a document")
	} else {
		fe.Text(prefix+"number", d.Number, 1, 40)
	}
	if !inventory.IsCountryCode(d.IssuingCountry) {
		fe.Add(prefix+"issuing_country", "must be a two-letter ISO 3166 country code such as DE")
	}
	if !d.Expiry.IsZero() {
		if y, _, _ := d.Expiry.YMD(); y < 1950 || y > 2200 {
			fe.Add(prefix+"expiry", "is not a plausible expiry date")
		}
	}
}

// validatePhotos checks uploaded photos by size and magic bytes.
func validatePhotos(fe *tenant.FieldErrors, prefix string, photos [][]byte, already int) {
	if already+len(photos) > MaxIDPhotos {
		fe.Add(prefix+"photos", "a check-in record keeps at most %d photos", MaxIDPhotos)
	}
	for i, p := range photos {
		f := prefix + "photos[" + tenant.Itoa(i) + "]"
		switch {
		case len(p) == 0:
			fe.Add(f, "is empty")
		case len(p) > MaxIDPhotoSize:
			fe.Add(f, "is larger than %d MB", MaxIDPhotoSize>>20)
		case IDPhotoContentType(p) == "":
			fe.Add(f, "must be a JPEG, PNG or HEIC image")
		}
	}
}

func (in *GuestCheckIn) normalise() {
	in.GuestID = strings.TrimSpace(in.GuestID)
	in.Document.normalise()
	if in.New != nil {
		g := *in.New
		g.normalise()
		in.New = &g
	}
}

func (in GuestCheckIn) validate(fe *tenant.FieldErrors, prefix string) {
	if in.GuestID != "" && in.New != nil {
		fe.Add(prefix+"guest_id", "give either an existing guest id or a new guest, not both")
	}
	if in.New != nil {
		in.New.validate(fe, prefix+"new.")
	}
	in.Document.validate(fe, prefix+"document.")
	if !in.BirthDate.IsZero() {
		if y, _, _ := in.BirthDate.YMD(); y < 1900 {
			fe.Add(prefix+"birth_date", "is not a plausible date of birth")
		}
	}
	validatePhotos(fe, prefix, in.Photos, 0)
}

// validateCheckIns normalises (copies of) the guests of a check-in and
// validates them; fields are named guests[i].….
func validateCheckIns(ins []GuestCheckIn) ([]GuestCheckIn, error) {
	out := append([]GuestCheckIn(nil), ins...)
	var fe tenant.FieldErrors
	seen := map[string]bool{}
	for i := range out {
		out[i].normalise()
		p := "guests[" + tenant.Itoa(i) + "]."
		out[i].validate(&fe, p)
		if id := out[i].GuestID; id != "" || out[i].New == nil {
			if seen[id] {
				fe.Add(p+"guest_id", "names a guest already checked in above")
			}
			seen[id] = true
		}
	}
	return out, fe.Err("The check-in is not valid.")
}

// sealedDetails is the JSON sealed in checkin_records.document.
type sealedDetails struct {
	Type           string    `json:"type"`
	IssuingCountry string    `json:"issuing_country"`
	Expiry         date.Date `json:"expiry"`
	BirthDate      date.Date `json:"birth_date"`
}

// checkInAudit is how a record appears in audit rows: which personal fields
// hold a value, never the values (not even sealed), so that a purge leaves
// nothing behind in the append-only chain.
type checkInAudit struct {
	ID             string       `json:"id"`
	ReservationID  string       `json:"reservation_id"`
	GuestID        string       `json:"guest_id"`
	Provided       []string     `json:"provided"`
	Photos         []PhotoAudit `json:"photos"`
	NumberPurgedAt *time.Time   `json:"number_purged_at,omitempty"`
	Version        int          `json:"version"`
}

type PhotoAudit struct {
	ID          string     `json:"id"`
	ContentType string     `json:"content_type"`
	Size        int        `json:"size"`
	PurgedAt    *time.Time `json:"purged_at,omitempty"`
	PurgeReason string     `json:"purge_reason,omitempty"`
}

func provided(d IDDocument, birth date.Date) []string {
	out := []string{}
	if d.Type != "" {
		out = append(out, "document.type")
	}
	if d.Number != "" {
		out = append(out, "document.number")
	}
	if d.IssuingCountry != "" {
		out = append(out, "document.issuing_country")
	}
	if !d.Expiry.IsZero() {
		out = append(out, "document.expiry")
	}
	if !birth.IsZero() {
		out = append(out, "birth_date")
	}
	return out
}

func (rec CheckInRecord) audit(fields []string) checkInAudit {
	a := checkInAudit{ID: rec.ID, ReservationID: rec.ReservationID, GuestID: rec.GuestID, Provided: fields,
		Photos: []PhotoAudit{}, NumberPurgedAt: rec.NumberPurgedAt, Version: rec.Version}
	for _, p := range rec.Photos {
		a.Photos = append(a.Photos, PhotoAudit{ID: p.ID, ContentType: p.ContentType, Size: p.Size, PurgedAt: p.PurgedAt, PurgeReason: p.PurgeReason})
	}
	return a
}

// canRecordCheckIn returns ECONFLICT unless the reservation may take
// check-in records: it is in house, or confirmed and due today or earlier
// (registration at the desk before the room is ready). Never earlier: the
// retention window of a record taken before check-in runs from its
// creation, so a record taken weeks ahead could be purged before arrival.
func (c *resCtx) canRecordCheckIn(tx *tenant.Tx) error {
	switch {
	case c.r.Status != ReservationConfirmed && c.r.Status != ReservationInHouse:
		return aura.Errorf(aura.ECONFLICT, "%s is %s; check-in records are taken only for confirmed or in-house stays.", c.named(tx), statusWords(c.r.Status))
	case c.today.Before(c.r.Arrival):
		return aura.Errorf(aura.ECONFLICT, "%s arrives on %s; check-in records are taken from that day (the business date is %s).", c.named(tx), c.prop.Day(c.r.Arrival), c.prop.Day(c.today))
	}
	return nil
}

// writeCheckIn stores one guest's check-in record on c.r with its photos
// and audit row (and the new guest's profile, for a new companion).
func (db Store) writeCheckIn(tx *tenant.Tx, c *resCtx, ix *guestIndexer, in GuestCheckIn, prefix string) (CheckInRecord, error) {
	invalid := func(field, msg string) error {
		return aura.Invalid("The check-in is not valid.", aura.FieldError{Field: prefix + field, Message: msg})
	}
	guestID := in.GuestID
	var key *tenant.SubjectKey
	var name string
	switch {
	case in.New != nil:
		g, k, err := db.createGuest(tx, ix, *in.New)
		if err != nil {
			return CheckInRecord{}, err
		}
		guestID, key, name = g.ID, k, g.Name()
	default:
		if guestID == "" {
			guestID = c.r.GuestID
		}
		k, err := db.guestKey(tx, guestID)
		if aura.ErrorCode(err) == aura.ENOTFOUND {
			return CheckInRecord{}, invalid("guest_id", "no such guest")
		} else if err != nil {
			return CheckInRecord{}, err
		}
		key = k
		names, err := db.GuestNamesTx(tx, []string{guestID})
		if err != nil {
			return CheckInRecord{}, err
		}
		name = names[guestID]
	}
	var existing string
	err := tx.QueryRow(`SELECT id FROM checkin_records WHERE reservation_id = ? AND guest_id = ?`, c.r.ID, guestID).Scan(&existing)
	if err == nil {
		return CheckInRecord{}, aura.Errorf(aura.ECONFLICT, "%s is already registered on %s; update that check-in record instead.", name, c.named(tx))
	} else if err != sql.ErrNoRows {
		return CheckInRecord{}, err
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM checkin_records WHERE reservation_id = ?`, c.r.ID).Scan(&n); err != nil {
		return CheckInRecord{}, err
	}
	if party := c.r.Adults + c.r.Children; n >= party {
		return CheckInRecord{}, invalid("guest_id", "the reservation is for "+tenant.Itoa(party)+" guests and all are checked in; change its party size first")
	}
	if in.BirthDate.After(c.today) {
		return CheckInRecord{}, invalid("birth_date", "is in the future")
	}
	rec := CheckInRecord{ID: aura.NewID("cki"), ReservationID: c.r.ID, PropertyID: c.r.PropertyID, GuestID: guestID, GuestName: name,
		Primary: guestID == c.r.GuestID, Arrival: c.r.Arrival, Departure: c.r.Departure, ReservationStatus: c.r.Status,
		Document: in.Document, BirthDate: in.BirthDate, Photos: []IDPhoto{}, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	details := key.Seal("checkin_records", "document", rec.ID, []byte(tenant.MustJSON(sealedDetails{Type: in.Document.Type,
		IssuingCountry: in.Document.IssuingCountry, Expiry: in.Document.Expiry, BirthDate: in.BirthDate})))
	var number any
	if in.Document.Number != "" {
		number = key.Seal("checkin_records", "document_number", rec.ID, []byte(in.Document.Number))
	}
	now := tenant.FormatTime(tx.Now)
	if _, err := tx.Exec(`INSERT INTO checkin_records (id, reservation_id, guest_id, document, document_number, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, rec.ID, rec.ReservationID, rec.GuestID, details, number, now, now); err != nil {
		return CheckInRecord{}, err
	}
	for _, data := range in.Photos {
		p, err := insertPhoto(tx, key, rec.ID, data)
		if err != nil {
			return CheckInRecord{}, err
		}
		rec.Photos = append(rec.Photos, p)
	}
	err = tx.Audit(audit.Entry{Action: "checkin_record.created", EntityType: "checkin_record", EntityID: rec.ID,
		After: rec.audit(provided(in.Document, in.BirthDate))})
	return rec, err
}

// insertPhoto stores one validated photo's description and sealed bytes.
func insertPhoto(tx *tenant.Tx, key *tenant.SubjectKey, recordID string, data []byte) (IDPhoto, error) {
	p := IDPhoto{ID: aura.NewID("idp"), RecordID: recordID, ContentType: IDPhotoContentType(data), Size: len(data), CreatedAt: tx.Now}
	if _, err := tx.Exec(`INSERT INTO id_photos (id, record_id, content_type, size, created_at) VALUES (?, ?, ?, ?, ?)`,
		p.ID, recordID, p.ContentType, p.Size, tenant.FormatTime(tx.Now)); err != nil {
		return p, err
	}
	_, err := tx.Exec(`INSERT INTO id_photo_bytes (photo_id, data) VALUES (?, ?)`, p.ID, key.Seal("id_photo_bytes", "data", p.ID, data))
	return p, err
}

// RecordCheckIn adds the check-in record of one guest to an in-house
// reservation (a companion arriving later, the ID of a guest already
// checked in) or to a confirmed one due today or earlier. It returns
// ENOTFOUND for an unknown reservation, EINVALID for bad input (including
// photos that are empty, too large or not JPEG, PNG or HEIC) or more guests
// than the party size, and ECONFLICT for another status, an arrival still
// to come, an erased guest or a guest already recorded.
func (db Store) RecordCheckIn(ctx context.Context, reservationID string, in GuestCheckIn) (CheckInRecord, error) {
	in.normalise()
	var fe tenant.FieldErrors
	in.validate(&fe, "")
	if err := fe.Err("The check-in is not valid."); err != nil {
		return CheckInRecord{}, err
	}
	var rec CheckInRecord
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		c, err := db.LoadResCtx(tx, reservationID, 0)
		if err != nil {
			return err
		}
		if err := c.canRecordCheckIn(tx); err != nil {
			return err
		}
		rec, err = db.writeCheckIn(tx, &c, db.newGuestIndexer(), in, "")
		return err
	})
	return rec, err
}

// CheckInRecordUpdate rectifies a check-in record's document and date of
// birth; both replace the stored values whole. Version, when not zero, must
// match (If-Match).
type CheckInRecordUpdate struct {
	Document  IDDocument `json:"document"`
	BirthDate date.Date  `json:"birth_date"`
	Version   int        `json:"version,omitempty"`
}

// UpdateCheckInRecord replaces the document and date of birth of a check-in
// record (rectification), re-sealing them under the guest's key. A number
// given again after the purge job blanked it is stored again. It returns
// ENOTFOUND, EPRECONDITION, EINVALID, or ECONFLICT for an erased guest.
func (db Store) UpdateCheckInRecord(ctx context.Context, recordID string, u CheckInRecordUpdate) (CheckInRecord, error) {
	u.Document.normalise()
	var fe tenant.FieldErrors
	u.Document.validate(&fe, "document.")
	if err := fe.Err("The check-in record is not valid."); err != nil {
		return CheckInRecord{}, err
	}
	var rec CheckInRecord
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		recs, err := db.queryCheckIns(tx, `WHERE c.id = ?`, recordID)
		if err != nil {
			return err
		}
		if len(recs) == 0 || recs[0].Withheld {
			// A restricted guest's record is not there for a caller who
			// may not see restricted guests.
			return tenant.NotFound("check-in record", recordID)
		}
		before := recs[0]
		if err := tenant.CheckVersion("check-in record", recordID, before.Version, u.Version); err != nil {
			return err
		}
		if before.Erased {
			return aura.Errorf(aura.ECONFLICT, "This guest's personal data was erased; the check-in record cannot be changed.")
		}
		p, err := inventory.GetProperty(tx, before.PropertyID)
		if err != nil {
			return err
		}
		today, err := p.Today(tx)
		if err != nil {
			return err
		}
		if u.BirthDate.After(today) {
			return aura.Invalid("The check-in record is not valid.", aura.FieldError{Field: "birth_date", Message: "is in the future"})
		}
		key, err := db.guestKey(tx, before.GuestID)
		if err != nil {
			return err
		}
		rec = before
		rec.Document, rec.BirthDate = u.Document, u.BirthDate
		rec.Version++
		rec.UpdatedAt = tx.Now
		details := key.Seal("checkin_records", "document", rec.ID, []byte(tenant.MustJSON(sealedDetails{Type: u.Document.Type,
			IssuingCountry: u.Document.IssuingCountry, Expiry: u.Document.Expiry, BirthDate: u.BirthDate})))
		var number any
		if u.Document.Number != "" {
			number = key.Seal("checkin_records", "document_number", rec.ID, []byte(u.Document.Number))
			rec.NumberPurgedAt = nil
		}
		var purged any
		if rec.NumberPurgedAt != nil {
			purged = tenant.FormatTime(*rec.NumberPurgedAt)
		}
		// The old sealed values must not linger in the page's free space.
		if err := tenant.SecureDelete(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE checkin_records SET document = ?, document_number = ?, number_purged_at = ?, version = ?, updated_at = ?
			WHERE id = ?`, details, number, purged, rec.Version, tenant.FormatTime(tx.Now), rec.ID); err != nil {
			return err
		}
		var changed []string
		was, now := map[string]bool{}, map[string]bool{}
		for _, f := range provided(before.Document, before.BirthDate) {
			was[f] = true
		}
		for _, f := range provided(rec.Document, rec.BirthDate) {
			now[f] = true
		}
		type pair struct {
			a, b string
		}
		for f, v := range map[string]pair{"document.type": {before.Document.Type, rec.Document.Type}, "document.number": {before.Document.Number, rec.Document.Number},
			"document.issuing_country": {before.Document.IssuingCountry, rec.Document.IssuingCountry},
			"document.expiry":          {before.Document.Expiry.String(), rec.Document.Expiry.String()},
			"birth_date":               {before.BirthDate.String(), rec.BirthDate.String()}} {
			if v.a != v.b {
				changed = append(changed, f)
			}
		}
		slices.Sort(changed)
		after := rec.audit(SortedKeys(now))
		return tx.Audit(audit.Entry{Action: "checkin_record.updated", EntityType: "checkin_record", EntityID: rec.ID,
			Before: before.audit(SortedKeys(was)), After: map[string]any{"record": after, "changed": changed}})
	})
	return rec, err
}

// AddIDPhoto adds an ID photo (JPEG, PNG or HEIC, at most MaxIDPhotoSize
// bytes) to a check-in record of an in-house stay (or a confirmed one due
// today or earlier). It returns
// ENOTFOUND, EINVALID for an empty, oversized or unrecognised image or a
// record that already keeps MaxIDPhotos photos (field "photo"), and
// ECONFLICT for a stay in another status or an erased guest.
func (db Store) AddIDPhoto(ctx context.Context, recordID string, data []byte) (IDPhoto, error) {
	ps, err := db.addIDPhotos(ctx, recordID, [][]byte{data}, "The photo is not valid.", func(string) string { return "photo" })
	if err != nil {
		return IDPhoto{}, err
	}
	return ps[0], nil
}

// AddIDPhotos adds several ID photos to a check-in record in one
// transaction, as AddIDPhoto adds one: all of them or, when one is not
// valid or they would not fit, none (fields "photos[i]" and "photos"). One
// audit row names the record's photos before and after.
func (db Store) AddIDPhotos(ctx context.Context, recordID string, photos [][]byte) ([]IDPhoto, error) {
	return db.addIDPhotos(ctx, recordID, photos, "The photos are not valid.", func(f string) string { return f })
}

// addIDPhotos is AddIDPhoto and AddIDPhotos: message heads an EINVALID and
// field renames its fields.
func (db Store) addIDPhotos(ctx context.Context, recordID string, photos [][]byte, message string, field func(string) string) ([]IDPhoto, error) {
	var fe tenant.FieldErrors
	if len(photos) == 0 {
		fe.Add("photos", "choose at least one photo")
	}
	validatePhotos(&fe, "", photos, 0)
	for i := range fe {
		fe[i].Field = field(fe[i].Field)
	}
	if err := fe.Err(message); err != nil {
		return nil, err
	}
	var added []IDPhoto
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		recs, err := db.queryCheckIns(tx, `WHERE c.id = ?`, recordID)
		if err != nil {
			return err
		}
		if len(recs) == 0 || recs[0].Withheld {
			// A restricted guest's record is not there for a caller who
			// may not see restricted guests.
			return tenant.NotFound("check-in record", recordID)
		}
		rec := recs[0]
		rc, err := db.LoadResCtx(tx, rec.ReservationID, 0)
		if err != nil {
			return err
		}
		if err := rc.canRecordCheckIn(tx); err != nil {
			return err
		}
		live := 0
		for _, ph := range rec.Photos {
			if ph.PurgedAt == nil {
				live++
			}
		}
		switch {
		case live >= MaxIDPhotos:
			return aura.Invalid(message, aura.FieldError{Field: field("photos"), Message: "the record already keeps " + tenant.Itoa(MaxIDPhotos) + " photos"})
		case live+len(photos) > MaxIDPhotos:
			return aura.Invalid(message, aura.FieldError{Field: field("photos"),
				Message: "the record keeps " + tenant.Itoa(live) + " photos; " + tenant.Itoa(MaxIDPhotos-live) + " more fit"})
		}
		key, err := db.guestKey(tx, rec.GuestID)
		if err != nil {
			return err
		}
		before := rec.audit(nil)
		for _, data := range photos {
			p, err := insertPhoto(tx, key, rec.ID, data)
			if err != nil {
				return err
			}
			added = append(added, p)
			rec.Photos = append(rec.Photos, p)
		}
		return tx.Audit(audit.Entry{Action: "checkin_record.photo_added", EntityType: "checkin_record", EntityID: rec.ID,
			Before: map[string]any{"photos": before.Photos}, After: map[string]any{"photos": rec.audit(nil).Photos}})
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// DeleteIDPhoto deletes the bytes of an ID photo now (a wrong or
// unreadable picture), keeping its description as a tombstone with the
// reason "deleted". Deleting a photo already purged does nothing. It
// returns ENOTFOUND for an unknown photo, and for a restricted guest's
// unless ctx is marked by WithRestricted.
func (db Store) DeleteIDPhoto(ctx context.Context, photoID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		var recordID string
		var purged sql.NullString
		if _, err := scanIDPhoto(ctx, tx, photoID, `p.record_id, p.purged_at`, &recordID, &purged); err != nil {
			return err
		}
		if purged.Valid {
			return nil
		}
		if err := tenant.SecureDelete(tx); err != nil {
			return err
		}
		if err := PurgePhotos(tx, []string{photoID}, PurgeDeleted); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "checkin_record.photo_deleted", EntityType: "checkin_record", EntityID: recordID,
			Before: map[string]any{"photo": photoID}, After: map[string]any{"photo": photoID, "purged_at": tenant.FormatTime(tx.Now), "purge_reason": PurgeDeleted}})
	})
}

// IDPhotoData returns an ID photo's description and its bytes, unsealed.
// It returns ENOTFOUND for an unknown photo (and for a restricted guest's
// unless ctx is marked by WithRestricted), EGONE for one whose bytes were
// purged (the message says when), and ECONFLICT for a photo of an erased
// guest.
func (db Store) IDPhotoData(ctx context.Context, photoID string) (IDPhoto, []byte, error) {
	var p IDPhoto
	var data []byte
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var guestID, created, propID string
		var purged, reason sql.NullString
		restricted, err := scanIDPhoto(ctx, tx, photoID, `p.id, p.record_id, p.content_type, p.size, p.created_at, p.purged_at, p.purge_reason, c.guest_id, r.property_id`,
			&p.ID, &p.RecordID, &p.ContentType, &p.Size, &created, &purged, &reason, &guestID, &propID)
		if err != nil {
			return err
		}
		p.CreatedAt, p.PurgedAt, p.PurgeReason = tenant.ParseTime(created), tenant.ParseNullTime(purged), reason.String
		if p.PurgedAt != nil {
			day := p.PurgedAt.Format(time.DateOnly)
			if prop, err := inventory.GetProperty(tx, propID); err == nil {
				if loc, err := prop.Location(); err == nil {
					day = prop.Day(date.Of(*p.PurgedAt, loc))
				}
			}
			why := "its retention window ended"
			if p.PurgeReason == PurgeDeleted {
				why = "deleted by staff"
			}
			return aura.Errorf(aura.EGONE, "This ID photo was purged on %s (%s); its image is gone.", day, why)
		}
		var sealed []byte
		if err := tx.QueryRow(`SELECT data FROM id_photo_bytes WHERE photo_id = ?`, photoID).Scan(&sealed); err != nil {
			return err
		}
		key, err := db.guestKey(tx, guestID)
		if err != nil {
			return err
		}
		if data, err = key.Unseal("id_photo_bytes", "data", photoID, sealed); err == nil && restricted {
			noteRestrictedRead(ctx, guestID)
		}
		return err
	})
	return p, data, err
}

// scanIDPhoto reads the columns cols of ID photo photoID into dest (cols
// over p = id_photos, c = checkin_records and r = reservations) and says
// whether the photo's guest is restricted. It returns ENOTFOUND for an
// unknown photo, and for a restricted guest's unless ctx is marked by
// WithRestricted: such a photo is not there for a caller who may not see
// restricted guests, as the guest is not.
func scanIDPhoto(ctx context.Context, tx *tenant.Tx, photoID, cols string, dest ...any) (restricted bool, err error) {
	err = tx.QueryRow(`SELECT `+cols+`, coalesce((SELECT g.restricted_at IS NOT NULL FROM guests g WHERE g.id = c.guest_id), 0)
		FROM id_photos p JOIN checkin_records c ON c.id = p.record_id JOIN reservations r ON r.id = c.reservation_id WHERE p.id = ?`, photoID).
		Scan(append(dest, &restricted)...)
	if err == sql.ErrNoRows || err == nil && restricted && !SeesRestricted(ctx) {
		return false, tenant.NotFound("ID photo", photoID)
	}
	return restricted, err
}

// ReservationCheckIns returns the check-in records of a reservation, the
// primary guest first. It returns ENOTFOUND for an unknown reservation.
func (db Store) ReservationCheckIns(ctx context.Context, reservationID string) ([]CheckInRecord, error) {
	var out []CheckInRecord
	err := db.View(ctx, func(tx *tenant.Tx) error {
		if _, err := getReservation(tx, reservationID); err != nil {
			return err
		}
		var err error
		out, err = db.queryCheckIns(tx, `WHERE c.reservation_id = ? ORDER BY c.guest_id != r.guest_id, c.rowid`, reservationID)
		return err
	})
	return out, err
}

// GuestCheckIns returns every check-in record of a guest, newest stay
// first, each with its photos and, for purged ones, when they were purged:
// the check-in section of the guest page. It returns ENOTFOUND for an
// unknown guest.
func (db Store) GuestCheckIns(ctx context.Context, guestID string) ([]CheckInRecord, error) {
	var out []CheckInRecord
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var seq int64
		if err := tx.QueryRow(`SELECT seq FROM guests WHERE id = ?`, guestID).Scan(&seq); err == sql.ErrNoRows {
			return tenant.NotFound("guest", guestID)
		} else if err != nil {
			return err
		}
		var err error
		out, err = db.queryCheckIns(tx, `WHERE c.guest_id = ? ORDER BY r.arrival DESC, c.rowid DESC`, guestID)
		return err
	})
	return out, err
}

// queryCheckIns reads check-in records (tail: a WHERE and ORDER BY over
// c = checkin_records, r = reservations) with their photos, unsealed.
func (db Store) queryCheckIns(tx *tenant.Tx, tail string, args ...any) ([]CheckInRecord, error) {
	rows, err := tx.Query(`SELECT c.id, c.reservation_id, r.property_id, c.guest_id, r.guest_id, r.arrival, r.departure, r.status,
		c.document, c.document_number, c.number_purged_at, c.registration_purged_at, c.version, c.created_at, c.updated_at, g.key_wrapped,
		g.restricted_at IS NOT NULL
		FROM checkin_records c JOIN reservations r ON r.id = c.reservation_id JOIN guests g ON g.id = c.guest_id `+tail, args...)
	if err != nil {
		return nil, err
	}
	type sealedRow struct {
		details, number, wrapped []byte
		restricted               bool
	}
	var out []CheckInRecord
	var sealed []sealedRow
	for rows.Next() {
		var rec CheckInRecord
		var s sealedRow
		var resGuest, created, updated string
		var purged, regPurged sql.NullString
		if err := rows.Scan(&rec.ID, &rec.ReservationID, &rec.PropertyID, &rec.GuestID, &resGuest, &rec.Arrival, &rec.Departure,
			&rec.ReservationStatus, &s.details, &s.number, &purged, &regPurged, &rec.Version, &created, &updated, &s.wrapped, &s.restricted); err != nil {
			rows.Close()
			return nil, err
		}
		rec.Primary = rec.GuestID == resGuest
		rec.NumberPurgedAt, rec.RegistrationPurgedAt = tenant.ParseNullTime(purged), tenant.ParseNullTime(regPurged)
		rec.CreatedAt, rec.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
		rec.Photos = []IDPhoto{}
		out = append(out, rec)
		sealed = append(sealed, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return []CheckInRecord{}, nil
	}
	guests := map[string]bool{}
	for _, rec := range out {
		guests[rec.GuestID] = true
	}
	names, err := db.GuestNamesTx(tx, SortedKeys(guests))
	if err != nil {
		return nil, err
	}
	subjectKeys := map[string]*tenant.SubjectKey{}
	idx := map[string]int{}
	ids := make([]any, len(out))
	sees := SeesRestricted(tx.Context())
	for i := range out {
		rec := &out[i]
		idx[rec.ID], ids[i] = i, rec.ID
		rec.GuestName = names[rec.GuestID]
		if sealed[i].restricted && !sees {
			// A restricted guest's registration data stays sealed.
			rec.Withheld = true
			continue
		} else if sealed[i].restricted {
			noteRestrictedRead(tx.Context(), rec.GuestID)
		}
		if sealed[i].wrapped == nil || len(sealed[i].details) == 0 {
			// The guest was anonymised, or the registration data was
			// purged after its retention period (tenant/guestdata).
			rec.Erased = true
			continue
		}
		k := subjectKeys[rec.GuestID]
		if k == nil {
			if k, err = db.OpenSubjectKey(rec.GuestID, sealed[i].wrapped); err != nil {
				return nil, err
			}
			subjectKeys[rec.GuestID] = k
		}
		pt, err := k.Unseal("checkin_records", "document", rec.ID, sealed[i].details)
		if err != nil {
			return nil, err
		}
		var d sealedDetails
		if err := json.Unmarshal(pt, &d); err != nil {
			return nil, err
		}
		rec.Document = IDDocument{Type: d.Type, IssuingCountry: d.IssuingCountry, Expiry: d.Expiry}
		rec.BirthDate = d.BirthDate
		if sealed[i].number != nil {
			n, err := k.Unseal("checkin_records", "document_number", rec.ID, sealed[i].number)
			if err != nil {
				return nil, err
			}
			rec.Document.Number = string(n)
		}
	}
	prows, err := tx.Query(`SELECT id, record_id, content_type, size, created_at, purged_at, purge_reason FROM id_photos
		WHERE record_id IN (`+tenant.Placeholders(len(ids))+`) ORDER BY rowid`, ids...)
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	for prows.Next() {
		var p IDPhoto
		var created string
		var purged, reason sql.NullString
		if err := prows.Scan(&p.ID, &p.RecordID, &p.ContentType, &p.Size, &created, &purged, &reason); err != nil {
			return nil, err
		}
		p.CreatedAt, p.PurgedAt, p.PurgeReason = tenant.ParseTime(created), tenant.ParseNullTime(purged), reason.String
		if out[idx[p.RecordID]].Withheld {
			continue
		}
		out[idx[p.RecordID]].Photos = append(out[idx[p.RecordID]].Photos, p)
	}
	return out, prows.Err()
}

// SortedKeys returns the keys of a set, sorted.
func SortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PurgePhotos deletes the bytes of the given photos and marks their
// tombstones; the caller has turned secureDelete on and writes the audit row.
func PurgePhotos(tx *tenant.Tx, ids []string, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if _, err := tx.Exec(`DELETE FROM id_photo_bytes WHERE photo_id IN (`+tenant.Placeholders(len(ids))+`)`, args...); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE id_photos SET purged_at = ?, purge_reason = ? WHERE id IN (`+tenant.Placeholders(len(ids))+`)`,
		append([]any{tenant.FormatTime(tx.Now), reason}, args...)...)
	return err
}
