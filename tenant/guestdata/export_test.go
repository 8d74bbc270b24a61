package guestdata_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
)

// unzip returns the files of a ZIP by name.
func unzip(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = pmstest.Must(io.ReadAll(r))(t)
		r.Close()
	}
	return out
}

// TestExportEraseExport exports a guest who stayed (JSON and ZIP of CSVs:
// every record, the audit rows with the personal fields opened, the ID
// photo; each export audited), anonymises the guest and exports again:
// the second exports hold no personal data in any byte.
func TestExportEraseExport(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	gd := guestdata.New(f.DB)
	s := stayGuest(t, f, f.Day(0), 0)
	markers := []string{markerGiven, markerFamily, markerEmail, markerNotes, markerNumber, "Quartermaine Allee"}

	_, err := gd.Export(f.Ctx, s.guest.ID, "xml")
	pmstest.WantCode(t, err, aura.EINVALID)
	_, err = gd.Export(f.Ctx, "gst_nobody", guestdata.FormatJSON)
	pmstest.WantCode(t, err, aura.ENOTFOUND)

	js := pmstest.Must(gd.Export(f.Ctx, s.guest.ID, guestdata.FormatJSON))(t)
	if js.ContentType != "application/json" || !strings.HasSuffix(js.Filename, ".json") {
		t.Fatalf("json export %s %s", js.Filename, js.ContentType)
	}
	action, after := pmstest.LastAction(t, f)
	if action != "guest.exported" || !strings.Contains(after, js.SHA256) || !strings.Contains(after, `"format":"json"`) {
		t.Fatalf("export audit row %s %s", action, after)
	}
	for _, m := range markers {
		if !bytes.Contains(js.Body, []byte(m)) {
			t.Errorf("the JSON export lacks %q", m)
		}
	}
	var d guestdata.Dossier
	if err := json.Unmarshal(js.Body, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Reservations) != 1 || len(d.Bookings) != 1 || len(d.Folios) != 1 || len(d.Invoices) != 1 || len(d.CheckIns) != 1 ||
		len(d.Folios[0].Lines) < 3 || len(d.Folios[0].Payments) != 1 || len(d.PhotoPurges) != 1 || d.PhotoPurges[0].Purged {
		t.Fatalf("dossier %+v", d)
	}
	opened := map[string]bool{}
	for _, a := range d.Audit {
		opened[a.Action] = true
		var c bytes.Buffer
		if err := json.Compact(&c, a.After); err != nil {
			t.Fatal(err)
		}
		a.After = c.Bytes()
		if a.Action == "guest.created" && !strings.Contains(string(a.After), `"given_name":"`+markerGiven+`"`) {
			t.Fatalf("guest.created row not opened: %s", a.After)
		}
		if a.Action == "booking.created" && !strings.Contains(string(a.After), `"notes":"`+markerNotes+`"`) {
			t.Fatalf("booking.created row not opened: %s", a.After)
		}
	}
	for _, a := range []string{"guest.created", "booking.created", "reservation.checked_in", "checkin_record.created", "invoice.issued", "payment.recorded"} {
		if !opened[a] {
			t.Errorf("the export lacks the audit row %s (has %v)", a, opened)
		}
	}

	t.Run("Overview", func(t *testing.T) {
		o := pmstest.Must(gd.Overview(f.Ctx, s.guest.ID, true, 100))(t)
		due := s.record.Photos[0]
		if len(o.Folios) != 1 || len(o.Folios[0].Payments) != 1 || len(o.Invoices) != 1 || o.Invoices[0].Recipient == nil ||
			len(o.PhotoPurges) != 1 || o.PhotoPurges[0].Purged || o.PhotoPurges[0].PhotoID != due.ID {
			t.Fatalf("overview %+v", o)
		}
		r := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, s.res.ID))(t)
		if want := r.CheckedOutAt.Add(time.Duration(f.Prop.FrontDesk.IDPhotoRetentionDays) * 24 * time.Hour); !o.PhotoPurges[0].At.Equal(want) {
			t.Fatalf("photo due %v, want %v", o.PhotoPurges[0].At, want)
		}
		actions := map[string]bool{}
		for i, a := range o.Audit {
			actions[a.Action] = true
			if i > 0 && a.Seq > o.Audit[i-1].Seq {
				t.Fatal("the guest page's audit rows are not newest first")
			}
		}
		for _, a := range []string{"guest.created", "booking.created", "reservation.checked_in", "checkin_record.created", "invoice.issued", "payment.recorded"} {
			if !actions[a] {
				t.Errorf("the overview lacks the audit row %s", a)
			}
		}
		if o := pmstest.Must(gd.Overview(f.Ctx, s.guest.ID, false, 0))(t); o.Folios != nil || o.Invoices != nil || o.Audit != nil {
			t.Fatalf("overview without the ledger or audit rows %+v", o)
		}
	})

	zb := pmstest.Must(gd.Export(f.Ctx, s.guest.ID, guestdata.FormatZIP))(t)
	files := unzip(t, zb.Body)
	for _, name := range []string{"guest.csv", "reservations.csv", "nights.csv", "bookings.csv", "folios.csv", "folio_lines.csv", "payments.csv",
		"invoices.csv", "checkin_records.csv", "id_photos.csv", "audit.csv", "guest.json", "id_photos/" + s.record.Photos[0].ID + ".jpg"} {
		if len(files[name]) == 0 {
			t.Errorf("the ZIP lacks %s", name)
		}
	}
	if !bytes.Contains(files["guest.csv"], []byte(markerEmail)) || !bytes.Contains(files["audit.csv"], []byte(markerGiven)) ||
		!bytes.Contains(files["checkin_records.csv"], []byte(markerNumber)) || !bytes.Contains(files["id_photos/"+s.record.Photos[0].ID+".jpg"], []byte(markerPhoto)) {
		t.Fatal("the CSVs do not hold the guest's data")
	}

	pmstest.Must(gd.Erase(f.Ctx, s.guest.ID, 0))(t)
	js2 := pmstest.Must(gd.Export(f.Ctx, s.guest.ID, guestdata.FormatJSON))(t)
	zb2 := pmstest.Must(gd.Export(f.Ctx, s.guest.ID, guestdata.FormatZIP))(t)
	all := [][]byte{js2.Body}
	for name, b := range unzip(t, zb2.Body) {
		if strings.HasPrefix(name, "id_photos/") {
			t.Errorf("the export after erasure holds the photo %s", name)
		}
		all = append(all, b)
	}
	for _, b := range all {
		for _, m := range append(markers, markerPhoto, "Quartermaine") {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("the export after erasure holds %q", m)
			}
		}
	}
	var d2 guestdata.Dossier
	if err := json.Unmarshal(js2.Body, &d2); err != nil {
		t.Fatal(err)
	}
	if !d2.Guest.Erased || d2.Name != s.guest.Name() && !strings.HasPrefix(d2.Name, "Guest ") || len(d2.Reservations) != 1 || len(d2.Invoices) != 1 ||
		d2.Invoices[0].Totals != s.invoice.Totals || len(d2.Audit) <= len(d.Audit) {
		t.Fatalf("dossier after erasure %+v", d2)
	}
	f.VerifyAudit(t)
}
