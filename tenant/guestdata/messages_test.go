package guestdata_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/stays"
)

// TestEraseMessages: the emails to a guest are in the export (JSON and
// messages.csv) with recipient, subject and body; anonymising the guest
// makes them unreadable (the sealed cells blanked, the key gone: the
// sealed bytes and the address leave the file and the WAL after a
// checkpoint), a message still queued is withheld and never sent, and
// the export after has no trace of them but kind, status and times.
func TestEraseMessages(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	gm := guestmail.New(f.DB)
	gd := guestdata.New(f.DB)
	srv := auratest.NewSMTPServer(t)
	smtpc := mailer.SMTP{Addr: srv.Addr, From: "hotel@example.com"}
	pmstest.Must(gm.SetSettings(f.Ctx, guestmail.Settings{PropertyID: f.Prop.ID, Enabled: true}))(t)
	f.At(f.Day(0), 13, 0)

	in := f.Booking(f.Day(20), f.Day(22))
	in.Booker.New = &stays.GuestInput{GivenName: markerGiven, FamilyName: markerFamily, Email: markerEmail, Language: "en"}
	r := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
	pmstest.Must(gm.Plan(f.Ctx))(t)
	if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 1 {
		t.Fatalf("delivery: %+v", d)
	}
	if m := srv.Mails(); len(m) != 1 || !strings.Contains(m[0].Text, "Dear "+markerGiven+" "+markerFamily) {
		t.Fatalf("mails: %+v", m)
	}
	// A second stay whose confirmation is still queued at the erasure.
	in2 := f.Booking(f.Day(30), f.Day(31))
	in2.Booker = stays.GuestRef{ID: r.GuestID}
	pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in2))(t)
	pmstest.Must(gm.Plan(f.Ctx))(t)

	js := pmstest.Must(gd.Export(f.Ctx, r.GuestID, guestdata.FormatJSON))(t)
	if !bytes.Contains(js.Body, []byte(`"recipient":"`+markerEmail+`"`)) || !bytes.Contains(js.Body, []byte(`"subject":"Your booking at Hotel Test`)) {
		t.Fatalf("the JSON export has no message: %s", js.Body)
	}
	csvBefore := zipFile(t, pmstest.Must(gd.Export(f.Ctx, r.GuestID, guestdata.FormatZIP))(t).Body, "messages.csv")
	if strings.Count(csvBefore, markerEmail) != 2 || !strings.Contains(csvBefore, "Dear "+markerGiven) {
		t.Fatalf("messages.csv before:\n%s", csvBefore)
	}
	plan := pmstest.Must(gd.PlanErasure(f.Ctx, r.GuestID))(t)
	if !strings.Contains(plan.Removed[len(plan.Removed)-1].What, "2 emails to the guest") {
		t.Fatalf("the confirmation step does not name the emails: %+v", plan.Removed)
	}

	var sealed [][]byte
	rows, err := f.DB.SQL().Read.Query(`SELECT recipient, subject, body_text, body_html FROM guest_messages WHERE guest_id = ?`, r.GuestID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		cols := make([][]byte, 4)
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3]); err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			sealed = append(sealed, bytes.Clone(c))
		}
	}
	rows.Close()
	checkpoint(t, f)
	raw := pmstest.ReadTenantFiles(t, f.DB)
	for i, c := range sealed {
		if len(c) < 16 || !bytes.Contains(raw, c) {
			t.Fatalf("sealed cell %d is not in the file before the erasure", i)
		}
	}
	if bytes.Contains(raw, []byte(markerEmail)) {
		t.Fatal("the guest's address is stored in plain text")
	}

	res := pmstest.Must(gd.Erase(f.Ctx, r.GuestID, 0))(t)
	if res.Messages != 2 {
		t.Fatalf("erasure blanked %d messages, want 2", res.Messages)
	}
	ms := pmstest.Must(gm.GuestMessages(f.Ctx, r.GuestID))(t)
	if len(ms) != 2 {
		t.Fatalf("messages after: %+v", ms)
	}
	for _, m := range ms {
		if !m.Erased || m.Recipient != "" || m.Subject != "" || m.Text != "" {
			t.Fatalf("a message is readable after the erasure: %+v", m)
		}
	}
	if ms[0].Status != guestmail.StatusWithheld || ms[0].Reason != guestmail.ReasonErased || ms[1].Status != guestmail.StatusSent {
		t.Fatalf("statuses after the erasure: %s/%s, %s", ms[0].Status, ms[0].Reason, ms[1].Status)
	}
	if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d != (guestmail.Delivery{}) || len(srv.Mails()) != 1 {
		t.Fatalf("delivery after the erasure: %+v, %d mails", d, len(srv.Mails()))
	}
	checkpoint(t, f)
	raw = pmstest.ReadTenantFiles(t, f.DB)
	for i, c := range sealed {
		if bytes.Contains(raw, c) {
			t.Fatalf("sealed cell %d is still in the file after the erasure", i)
		}
	}
	after := pmstest.Must(gd.Export(f.Ctx, r.GuestID, guestdata.FormatJSON))(t)
	for _, m := range []string{markerEmail, markerGiven, markerFamily, "Your booking"} {
		if bytes.Contains(after.Body, []byte(m)) {
			t.Fatalf("the export after the erasure holds %q", m)
		}
	}
	csvAfter := zipFile(t, pmstest.Must(gd.Export(f.Ctx, r.GuestID, guestdata.FormatZIP))(t).Body, "messages.csv")
	if strings.Contains(csvAfter, markerEmail) || strings.Count(csvAfter, "confirmation") != 2 {
		t.Fatalf("messages.csv after:\n%s", csvAfter)
	}
	f.VerifyAudit(t)
}

// zipFile returns one file of a ZIP.
func zipFile(t *testing.T, body []byte, name string) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("the ZIP has no %s", name)
	return ""
}
