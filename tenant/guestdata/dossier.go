package guestdata

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// Dossier is everything Aura stores about one guest, as the guest page
// shows it and the export hands it over: the profile, every reservation
// (as guest, booker or companion), the bookings the guest made (with
// their notes), the folios of those stays with lines and payments, the
// invoices and credit notes issued on them, the check-in records with ID
// documents and photos (with when each photo was or will be purged), the
// emails sent to the guest (recipient, subject, bodies, status, times), the
// consents (marketing opt-in with its time and source), and
// every audit row about these records with the personal fields opened
// where the guest's key still opens them. For an anonymised guest the
// invoices are listed without their recipient (kept under the
// financial-records key until the retention date, for the tax office, not
// handed out with the guest's data).
type Dossier struct {
	GeneratedAt  time.Time             `json:"generated_at"`
	Guest        stays.Guest           `json:"guest"`
	Name         string                `json:"name"`
	Reservations []stays.Reservation   `json:"reservations"`
	Bookings     []stays.Booking       `json:"bookings"`
	Folios       []ledger.FolioView    `json:"folios"`
	Invoices     []ledger.Document     `json:"invoices"`
	CheckIns     []stays.CheckInRecord `json:"checkin_records"`
	PhotoPurges  []PhotoPurge          `json:"photo_purges"`
	RecordPurges []RecordPurge         `json:"registration_purges"`
	Messages     []guestmail.Message   `json:"messages"`
	Consents     []Consent             `json:"consents"`
	Audit        []AuditRow            `json:"audit"`
}

// PhotoPurge says when an ID photo was purged, or when it falls due.
type PhotoPurge struct {
	PhotoID  string    `json:"photo_id"`
	RecordID string    `json:"record_id"`
	Purged   bool      `json:"purged"`
	At       time.Time `json:"at"` // when it was purged, or when it falls due
}

// RecordPurge says when the registration data of a check-in record (the
// document, its number, the date of birth and the ID photos: what the
// registration form holds) was purged by the property's registration
// retention, or when it falls due. Months is the property's retention (0:
// none set, At is nil and the data stays until the guest is anonymised).
type RecordPurge struct {
	RecordID string     `json:"record_id"`
	Months   int        `json:"months"`
	Purged   bool       `json:"purged"`
	At       *time.Time `json:"at,omitempty"` // when it was purged, or when it falls due
}

// AuditRow is one audit row about the guest's records, its before and
// after JSON with the personal fields opened: the guest's sealed profile
// columns (under "personal"), a booking's notes (as "notes"), and values
// sealed under the tenant key. A field whose key is gone reads
// "(erased)".
type AuditRow struct {
	Seq        int64           `json:"seq"`
	At         string          `json:"at"`
	ActorKind  string          `json:"actor_kind"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
}

// Dossier gathers everything about a guest (see Dossier). It returns
// ENOTFOUND for an unknown guest; other errors are internal. It reads
// only: the export (Export) audits itself.
func (s Store) Dossier(ctx context.Context, guestID string) (Dossier, error) {
	st := stays.New(s.DB)
	led := ledger.New(s.DB)
	d := Dossier{Bookings: []stays.Booking{}, Folios: []ledger.FolioView{}, Invoices: []ledger.Document{},
		PhotoPurges: []PhotoPurge{}, Audit: []AuditRow{}}
	var err error
	if d.Guest, err = st.GetGuest(ctx, guestID); err != nil {
		return d, err
	}
	d.Name = d.Guest.Name()
	if d.Reservations, err = st.GuestReservations(ctx, guestID); err != nil {
		return d, err
	}
	if d.CheckIns, err = st.GuestCheckIns(ctx, guestID); err != nil {
		return d, err
	}
	if d.Messages, err = guestmail.New(s.DB).GuestMessages(ctx, guestID); err != nil {
		return d, err
	}
	if d.Consents, err = s.Consents(ctx, guestID); err != nil {
		return d, err
	}
	var refs []ledger.Ref
	var docs []docRef
	var bookingIDs []string
	err = s.View(ctx, func(tx *tenant.Tx) error {
		d.GeneratedAt = tx.Now.UTC()
		var err error
		if refs, err = guestRefs(tx, guestID); err != nil {
			return err
		}
		if docs, err = documentsOf(tx, refs); err != nil {
			return err
		}
		for _, r := range refs {
			if r.Kind == ledger.RefBooking {
				bookingIDs = append(bookingIDs, r.ID)
			}
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	for _, id := range bookingIDs {
		b, err := st.GetBooking(ctx, id)
		if err != nil {
			return d, err
		}
		d.Bookings = append(d.Bookings, b)
	}
	for _, ref := range refs {
		fs, err := led.Folios(ctx, ref)
		if err != nil {
			return d, err
		}
		for _, f := range fs {
			v, err := led.Folio(ctx, f.ID)
			if err != nil {
				return d, err
			}
			d.Folios = append(d.Folios, v)
		}
	}
	for _, doc := range docs {
		v, err := led.Document(ctx, doc.id)
		if err != nil {
			return d, err
		}
		if d.Guest.Erased {
			// The recipient snapshot is kept for the tax retention period
			// under the financial-records key, not as the guest's data:
			// an anonymised guest's dossier does not name them again.
			v.Recipient = nil
		}
		d.Invoices = append(d.Invoices, v)
	}
	if d.PhotoPurges, d.RecordPurges, err = s.purges(ctx, d); err != nil {
		return d, err
	}
	if d.Audit, err = s.auditAbout(ctx, d); err != nil {
		return d, err
	}
	return d, nil
}

// purges tells when each photo of the dossier's check-in records was
// purged, or when a purge job will take it: the property's ID-photo
// retention days after the stay's check-out (or after the record was
// taken, for a stay never checked out; see tenant/frontdesk), or the
// registration retention's months when that comes first; and when each
// record's registration data was or will be purged (PurgeRegistrations).
func (s Store) purges(ctx context.Context, d Dossier) ([]PhotoPurge, []RecordPurge, error) {
	photos, records := []PhotoPurge{}, []RecordPurge{}
	months, err := s.RegistrationRetention(ctx)
	if err != nil {
		return nil, nil, err
	}
	days := map[string]int{}
	checkedOut := map[string]*time.Time{}
	for _, r := range d.Reservations {
		checkedOut[r.ID] = r.CheckedOutAt
	}
	for _, rec := range d.CheckIns {
		n, ok := days[rec.PropertyID]
		if !ok {
			p, err := inventory.New(s.DB).GetProperty(ctx, rec.PropertyID)
			if err != nil {
				return nil, nil, err
			}
			n = p.FrontDesk.IDPhotoRetentionDays
			days[rec.PropertyID] = n
		}
		start := rec.CreatedAt
		if t := checkedOut[rec.ReservationID]; t != nil {
			start = *t
		}
		rp := RecordPurge{RecordID: rec.ID, Months: months[rec.PropertyID]}
		var regDue *time.Time
		switch {
		case rec.RegistrationPurgedAt != nil:
			rp.Purged, rp.At = true, rec.RegistrationPurgedAt
		case rp.Months > 0 && !rec.Erased:
			at := start.AddDate(0, rp.Months, 0)
			rp.At, regDue = &at, &at
		}
		records = append(records, rp)
		for _, p := range rec.Photos {
			pp := PhotoPurge{PhotoID: p.ID, RecordID: rec.ID}
			if p.PurgedAt != nil {
				pp.Purged, pp.At = true, *p.PurgedAt
			} else {
				pp.At = start.Add(time.Duration(n) * 24 * time.Hour)
				if regDue != nil && regDue.Before(pp.At) {
					pp.At = *regDue
				}
			}
			photos = append(photos, pp)
		}
	}
	return photos, records, nil
}

// auditAbout reads the audit rows about the dossier's records (the guest,
// its bookings, reservations, check-in records, folios, payments and
// documents) in chain order, with their personal fields opened.
func (s Store) auditAbout(ctx context.Context, d Dossier) ([]AuditRow, error) {
	where, args := aboutWhere(d)
	out := []AuditRow{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var wrapped []byte
		if err := tx.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, d.Guest.ID).Scan(&wrapped); err != nil {
			return err
		}
		var key *tenant.SubjectKey
		if wrapped != nil {
			var err error
			if key, err = s.OpenSubjectKey(d.Guest.ID, wrapped); err != nil {
				return err
			}
		}
		rows, err := tx.Query(`SELECT seq, at, actor_kind, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json
			FROM audit_log WHERE `+where+` ORDER BY seq`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a AuditRow
			var before, after sql.NullString
			if err := rows.Scan(&a.Seq, &a.At, &a.ActorKind, &a.ActorID, &a.ActorName, &a.Action, &a.EntityType, &a.EntityID, &before, &after); err != nil {
				return err
			}
			a.Before = s.openAuditJSON(key, d.Guest.ID, a.EntityType, a.EntityID, before)
			a.After = s.openAuditJSON(key, d.Guest.ID, a.EntityType, a.EntityID, after)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// openAuditJSON opens the personal fields of one audit JSON value (see
// AuditRow); key is nil for an erased guest.
func (s Store) openAuditJSON(key *tenant.SubjectKey, guestID, entityType, entityID string, js sql.NullString) json.RawMessage {
	if !js.Valid || js.String == "" {
		return nil
	}
	text := s.RevealAuditJSON(entityID, js.String)
	guestRow := entityType == "guest" && entityID == guestID && strings.Contains(text, `"sealed":{`)
	bookingRow := entityType == "booking" && strings.Contains(text, `"notes_sealed":`)
	if !guestRow && !bookingRow {
		return json.RawMessage(text) // nothing of the guest's key inside
	}
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return json.RawMessage(text)
	}
	open := func(table, col, row string, v any) string {
		str, _ := v.(string)
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil || key == nil {
			return "(erased)"
		}
		pt, err := key.Unseal(table, col, row, b)
		if err != nil {
			return "(erased)"
		}
		return string(pt)
	}
	if sealed, ok := m["sealed"].(map[string]any); ok && guestRow {
		personal := map[string]string{}
		for col, v := range sealed {
			personal[col] = open("guests", col, guestID, v)
		}
		delete(m, "sealed")
		m["personal"] = personal
	}
	if v, ok := m["notes_sealed"]; ok && bookingRow {
		delete(m, "notes_sealed")
		if booker, _ := m["booker_id"].(string); booker == guestID && v != nil {
			m["notes"] = open("bookings", "notes", entityID, v)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(text)
	}
	return b
}

// aboutWhere is the audit_log condition selecting the rows about the
// dossier's records (by entity type and id, on the entity index).
func aboutWhere(d Dossier) (string, []any) {
	ids := map[string][]string{"guest": {d.Guest.ID}}
	for _, r := range d.Reservations {
		ids["reservation"] = append(ids["reservation"], r.ID)
	}
	for _, b := range d.Bookings {
		ids["booking"] = append(ids["booking"], b.ID)
	}
	for _, c := range d.CheckIns {
		ids["checkin_record"] = append(ids["checkin_record"], c.ID)
	}
	for _, f := range d.Folios {
		ids["folio"] = append(ids["folio"], f.ID)
		for _, p := range f.Payments {
			ids[p.Kind] = append(ids[p.Kind], p.ID)
		}
	}
	for _, doc := range d.Invoices {
		ids[doc.Kind] = append(ids[doc.Kind], doc.ID)
	}
	types := make([]string, 0, len(ids))
	for typ := range ids {
		types = append(types, typ)
	}
	sort.Strings(types)
	var parts []string
	var args []any
	for _, typ := range types {
		list := ids[typ]
		parts = append(parts, `(entity_type = ? AND entity_id IN (`+tenant.Placeholders(len(list))+`))`)
		args = append(args, typ)
		for _, id := range list {
			args = append(args, id)
		}
	}
	return strings.Join(parts, " OR "), args
}

// Overview is what the guest page shows beside the profile, the
// reservations and the check-in records: the folios (lines, payments,
// balance) and invoices of the guest's stays and bookings (Ledger set),
// when each ID photo was or will be purged, the emails to the guest, and
// the newest audit rows about
// the guest's records, as stored (tenant-sealed values opened; the
// guest's own fields stay sealed for the history to open for people who
// may read guests).
type Overview struct {
	Folios       []ledger.FolioView
	Invoices     []ledger.Document
	PhotoPurges  []PhotoPurge
	RecordPurges []RecordPurge
	Messages     []guestmail.Message // the emails to the guest, newest first
	Consents     []Consent
	Audit        []audit.Row
}

// Overview reads the guest page's Overview: the folios and invoices when
// withLedger, the audit rows (newest first, at most auditLimit; none when
// 0). It returns ENOTFOUND for an unknown guest.
func (s Store) Overview(ctx context.Context, guestID string, withLedger bool, auditLimit int) (Overview, error) {
	st := stays.New(s.DB)
	led := ledger.New(s.DB)
	var o Overview
	var d Dossier
	var err error
	if d.Guest, err = st.GetGuest(ctx, guestID); err != nil {
		return o, err
	}
	if d.Reservations, err = st.GuestReservations(ctx, guestID); err != nil {
		return o, err
	}
	if d.CheckIns, err = st.GuestCheckIns(ctx, guestID); err != nil {
		return o, err
	}
	if o.PhotoPurges, o.RecordPurges, err = s.purges(ctx, d); err != nil {
		return o, err
	}
	if o.Messages, err = guestmail.New(s.DB).GuestMessages(ctx, guestID); err != nil {
		return o, err
	}
	if o.Consents, err = s.Consents(ctx, guestID); err != nil {
		return o, err
	}
	var refs []ledger.Ref
	var docs []docRef
	err = s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		if refs, err = guestRefs(tx, guestID); err != nil {
			return err
		}
		docs, err = documentsOf(tx, refs)
		return err
	})
	if err != nil {
		return o, err
	}
	for _, ref := range refs {
		if ref.Kind == ledger.RefBooking {
			d.Bookings = append(d.Bookings, stays.Booking{ID: ref.ID})
		}
		fs, err := led.Folios(ctx, ref)
		if err != nil {
			return o, err
		}
		for _, f := range fs {
			v := ledger.FolioView{Folio: f}
			if withLedger {
				if v, err = led.Folio(ctx, f.ID); err != nil {
					return o, err
				}
			}
			d.Folios = append(d.Folios, v)
		}
	}
	for _, doc := range docs {
		v := ledger.Document{ID: doc.id, Kind: doc.kind}
		if withLedger {
			if v, err = led.Document(ctx, doc.id); err != nil {
				return o, err
			}
			if d.Guest.Erased {
				v.Recipient = nil
			}
		}
		d.Invoices = append(d.Invoices, v)
	}
	if withLedger {
		o.Folios, o.Invoices = d.Folios, d.Invoices
	}
	if auditLimit > 0 {
		where, args := aboutWhere(d)
		err := s.View(ctx, func(tx *tenant.Tx) error {
			rows, err := tx.Query(`SELECT `+audit.Columns+` FROM audit_log WHERE `+where+` ORDER BY seq DESC LIMIT ?`, append(args, auditLimit)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				r, err := audit.Scan(rows)
				if err != nil {
					return err
				}
				if r.Before.Valid {
					r.Before.String = s.RevealAuditJSON(r.EntityID, r.Before.String)
				}
				if r.After.Valid {
					r.After.String = s.RevealAuditJSON(r.EntityID, r.After.String)
				}
				o.Audit = append(o.Audit, r)
			}
			return rows.Err()
		})
		if err != nil {
			return o, err
		}
	}
	return o, nil
}
