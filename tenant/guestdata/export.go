package guestdata

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// Export formats.
const (
	FormatJSON = "json" // one JSON document (Dossier)
	FormatZIP  = "zip"  // a ZIP of CSV files, one per kind of record, the JSON document and the ID photos still stored
)

// Export is one rendered export of a guest's data.
type Export struct {
	Filename    string
	ContentType string
	Body        []byte
	SHA256      string // hex, as recorded in the audit row
}

// Export renders everything about the guest (Dossier) as JSON or as a ZIP
// of CSV files (with the JSON document and the stored ID photos beside
// them), and records the export in the audit chain ("guest.exported": the
// format, the counts and the file's SHA-256, no personal data). It returns
// EINVALID for an unknown format and ENOTFOUND for an unknown guest.
func (s Store) Export(ctx context.Context, guestID, format string) (Export, error) {
	if format != FormatJSON && format != FormatZIP {
		return Export{}, aura.Errorf(aura.EINVALID, "The export format must be json or zip.")
	}
	d, err := s.Dossier(ctx, guestID)
	if err != nil {
		return Export{}, err
	}
	var out Export
	stamp := d.GeneratedAt.Format("20060102-150405")
	if format == FormatJSON {
		body, err := json.Marshal(d)
		if err != nil {
			return Export{}, err
		}
		out = Export{Filename: "guest-" + guestID + "-" + stamp + ".json", ContentType: "application/json", Body: body}
	} else {
		body, err := s.zipOf(ctx, d)
		if err != nil {
			return Export{}, err
		}
		out = Export{Filename: "guest-" + guestID + "-" + stamp + ".zip", ContentType: "application/zip", Body: body}
	}
	sum := sha256.Sum256(out.Body)
	out.SHA256 = hex.EncodeToString(sum[:])
	err = s.Update(ctx, func(tx *tenant.Tx) error {
		return tx.Audit(audit.Entry{Action: "guest.exported", EntityType: "guest", EntityID: guestID, After: map[string]any{
			"format": format, "sha256": out.SHA256, "bytes": len(out.Body), "erased": d.Guest.Erased,
			"counts": map[string]int{"reservations": len(d.Reservations), "bookings": len(d.Bookings), "folios": len(d.Folios),
				"invoices": len(d.Invoices), "checkin_records": len(d.CheckIns), "messages": len(d.Messages), "consents": len(d.Consents), "audit_rows": len(d.Audit)}}})
	})
	if err != nil {
		return Export{}, err
	}
	return out, nil
}

// money writes minor units as a decimal number in the currency's units.
func money(minor int64, currency string) string {
	return locale.Decimal(minor, tenant.MinorUnits(currency), ".", "")
}

func timeOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// zipOf writes the dossier as CSV files in a ZIP.
func (s Store) zipOf(ctx context.Context, d Dossier) ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	file := func(name string, header []string, rows [][]string) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: d.GeneratedAt})
		if err != nil {
			return err
		}
		c := csv.NewWriter(w)
		if err := c.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			if err := c.Write(safeRow(r)); err != nil {
				return err
			}
		}
		c.Flush()
		return c.Error()
	}
	g := d.Guest
	addr := g.Address
	guestRows := [][]string{{"id", g.ID}, {"name", d.Name}, {"given_name", g.GivenName}, {"family_name", g.FamilyName}, {"email", g.Email},
		{"phone", g.Phone}, {"address_line1", addr.Line1}, {"address_line2", addr.Line2}, {"address_postal_code", addr.PostalCode},
		{"address_city", addr.City}, {"address_region", addr.Region}, {"address_country", addr.Country}, {"nationality", g.Nationality},
		{"language", g.Language}, {"notes", g.Notes}, {"erased", fmt.Sprint(g.Erased)}, {"created_at", timeOf(&g.CreatedAt)}, {"updated_at", timeOf(&g.UpdatedAt)}}
	var res, nights, books, folios, lines, pays, invs, recs, photos, msgs, cons, aud [][]string
	for _, c := range d.Consents {
		cons = append(cons, []string{c.Kind, fmt.Sprint(c.Granted), c.Source, timeOf(&c.At)})
	}
	for _, m := range d.Messages {
		msgs = append(msgs, []string{m.ID, m.ReservationID, m.Kind, m.Language, m.Status, m.Reason, fmt.Sprint(m.Attempts), m.Recipient, m.Subject,
			m.Text, m.HTML, m.LastError, timeOf(m.SentAt), timeOf(&m.CreatedAt), fmt.Sprint(m.Erased)})
	}
	for _, r := range d.Reservations {
		res = append(res, []string{r.ID, r.BookingID, r.PropertyID, r.Status, r.Arrival.String(), r.Departure.String(), fmt.Sprint(r.Adults),
			fmt.Sprint(r.Children), r.RoomTypeID, r.RoomID, money(r.Total.Amount, r.Total.Currency), r.Total.Currency,
			timeOf(r.CheckedInAt), timeOf(r.CheckedOutAt), timeOf(r.CancelledAt)})
		for _, n := range r.Nights {
			nights = append(nights, []string{r.ID, n.Date.String(), money(n.Price.Amount, n.Price.Currency), n.Price.Currency, n.RoomID})
		}
	}
	for _, b := range d.Bookings {
		books = append(books, []string{b.ID, b.PropertyID, b.Source, b.Notes, timeOf(&b.CreatedAt)})
	}
	for _, f := range d.Folios {
		folios = append(folios, []string{f.ID, f.Kind, f.Ref.Kind, f.Ref.ID, f.Label, f.Currency, money(f.Balance.Balance, f.Currency)})
		for _, l := range f.Lines {
			lines = append(lines, []string{f.ID, l.ID, l.Kind, l.ServiceDate.String(), l.BusinessDate.String(), l.Description, fmt.Sprint(l.Quantity),
				money(l.UnitPrice, l.Currency), money(l.Net, l.Currency), money(l.Tax, l.Currency), money(l.Gross, l.Currency), l.TaxCode, l.Currency})
		}
		for _, p := range f.Payments {
			pays = append(pays, []string{p.ID, f.ID, p.Kind, p.Method, p.Status, money(p.Amount, p.Currency), p.Currency, p.BusinessDate.String(), p.Note})
		}
	}
	for _, doc := range d.Invoices {
		var name, address string
		if r := doc.Recipient; r != nil {
			name = r.Name
			address = strings.Join(nonEmpty(r.Company, r.Address.Line1, r.Address.Line2, r.Address.PostalCode+" "+r.Address.City, r.Address.Country), ", ")
		}
		invs = append(invs, []string{doc.ID, doc.Kind, doc.Number, doc.IssueDate.String(), name, address, money(doc.Totals.Net, doc.Currency),
			money(doc.Totals.Tax, doc.Currency), money(doc.Totals.Gross, doc.Currency), money(doc.Due, doc.Currency), doc.Currency, doc.RetainUntil.String()})
	}
	purge := map[string]PhotoPurge{}
	for _, p := range d.PhotoPurges {
		purge[p.PhotoID] = p
	}
	regPurge := map[string]RecordPurge{}
	for _, p := range d.RecordPurges {
		regPurge[p.RecordID] = p
	}
	for _, c := range d.CheckIns {
		rp := regPurge[c.ID]
		recs = append(recs, []string{c.ID, c.ReservationID, c.Document.Type, c.Document.Number, c.Document.IssuingCountry, c.Document.Expiry.String(),
			c.BirthDate.String(), timeOf(c.NumberPurgedAt), fmt.Sprint(c.Erased), timeOf(&c.CreatedAt), fmt.Sprint(rp.Purged), timeOf(rp.At)})
		for _, p := range c.Photos {
			pp := purge[p.ID]
			photos = append(photos, []string{p.ID, c.ID, p.ContentType, fmt.Sprint(p.Size), timeOf(&p.CreatedAt), fmt.Sprint(pp.Purged), timeOf(&pp.At), p.PurgeReason})
		}
	}
	for _, a := range d.Audit {
		aud = append(aud, []string{fmt.Sprint(a.Seq), a.At, a.ActorKind, a.ActorID, a.ActorName, a.Action, a.EntityType, a.EntityID, string(a.Before), string(a.After)})
	}
	files := []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"guest.csv", []string{"field", "value"}, guestRows},
		{"reservations.csv", []string{"id", "booking_id", "property_id", "status", "arrival", "departure", "adults", "children", "room_type_id", "room_id", "total", "currency", "checked_in_at", "checked_out_at", "cancelled_at"}, res},
		{"nights.csv", []string{"reservation_id", "date", "price", "currency", "room_id"}, nights},
		{"bookings.csv", []string{"id", "property_id", "source", "notes", "created_at"}, books},
		{"folios.csv", []string{"id", "kind", "ref_kind", "ref_id", "label", "currency", "balance"}, folios},
		{"folio_lines.csv", []string{"folio_id", "id", "kind", "service_date", "business_date", "description", "quantity", "unit_price", "net", "tax", "gross", "tax_code", "currency"}, lines},
		{"payments.csv", []string{"id", "folio_id", "kind", "method", "status", "amount", "currency", "business_date", "note"}, pays},
		{"invoices.csv", []string{"id", "kind", "number", "issue_date", "recipient_name", "recipient_address", "net", "tax", "gross", "due", "currency", "retain_until"}, invs},
		{"checkin_records.csv", []string{"id", "reservation_id", "document_type", "document_number", "issuing_country", "expiry", "birth_date", "number_purged_at", "erased", "created_at",
			"registration_purged", "registration_purged_or_due_at"}, recs},
		{"id_photos.csv", []string{"id", "record_id", "content_type", "size", "created_at", "purged", "purged_or_due_at", "purge_reason"}, photos},
		{"messages.csv", []string{"id", "reservation_id", "kind", "language", "status", "reason", "attempts", "recipient", "subject", "body_text", "body_html", "last_error", "sent_at", "created_at", "erased"}, msgs},
		{"consents.csv", []string{"kind", "granted", "source", "at"}, cons},
		{"audit.csv", []string{"seq", "at", "actor_kind", "actor_id", "actor_name", "action", "entity_type", "entity_id", "before", "after"}, aud},
	}
	for _, f := range files {
		if err := file(f.name, f.header, f.rows); err != nil {
			return nil, err
		}
	}
	js, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	w, err := z.CreateHeader(&zip.FileHeader{Name: "guest.json", Method: zip.Deflate, Modified: d.GeneratedAt})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if !d.Guest.Erased {
		for _, c := range d.CheckIns {
			for _, p := range c.Photos {
				if p.PurgedAt != nil {
					continue
				}
				ph, data, err := stays.New(s.DB).IDPhotoData(ctx, p.ID)
				if err != nil {
					return nil, err
				}
				w, err := z.CreateHeader(&zip.FileHeader{Name: "id_photos/" + ph.ID + photoExt(ph.ContentType), Method: zip.Store, Modified: d.GeneratedAt})
				if err != nil {
					return nil, err
				}
				if _, err := w.Write(data); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func photoExt(ct string) string {
	switch ct {
	case "image/png":
		return ".png"
	case "image/heic":
		return ".heic"
	case "image/heif":
		return ".heif"
	}
	return ".jpg"
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

// safeRow defuses CSV formula injection: a cell a spreadsheet would run
// as a formula (starting with =, +, -, @, tab or carriage return) gets a
// leading apostrophe. Numbers written by Aura (a negative amount) are left
// as they are.
func safeRow(r []string) []string {
	out := make([]string, len(r))
	for i, v := range r {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !isNumber(v) {
			v = "'" + v
		}
		out[i] = v
	}
	return out
}

func isNumber(v string) bool {
	v = strings.TrimPrefix(v, "-")
	if v == "" {
		return false
	}
	for _, r := range v {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}
