package guestdata_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/stays"
)

// TestEraseReachesFreeText: the texts staff type about a guest (the
// profile's notes, the notes of a booking someone else made for the guest,
// the reasons given for restricting and lifting the restriction) and the
// emails about the guest's stay (to the guest, and the booker's
// confirmation that names the guest) are out of reach after the guest is
// anonymised: no cell of any table of the tenant file holds the guest's
// name, email or those texts in plaintext, no byte of the file or WAL
// does after a checkpoint, and what stays sealed under keys that live on
// (the booker's) no longer opens to them.
func TestEraseReachesFreeText(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-02")
	gm := guestmail.New(f.DB)
	gd := guestdata.New(f.DB)
	srv := auratest.NewSMTPServer(t)
	f.At(f.Day(0), 10, 0)
	pmstest.Must(gm.SetSettings(f.Ctx, guestmail.Settings{PropertyID: f.Prop.ID, Enabled: true}))(t)
	f.At(f.Day(0), 10, 5)

	guestNote := "MARKER-guest-note: " + markerGiven + " wants a quiet room"
	bookingNote := "MARKER-booking-note: " + markerGiven + " " + markerFamily + " arrives by the night train"
	restrictReason := "MARKER-restrict: " + markerFamily + " disputes the address, letter from " + markerEmail
	liftReason := "MARKER-lift: " + markerGiven + " confirmed the address by phone"
	markers := []string{markerGiven, markerFamily, markerEmail, "Quartermaine", "MARKER-"}

	in := f.Booking(f.Day(10), f.Day(12))
	in.Booker.New = &stays.GuestInput{GivenName: "Bertha", FamilyName: "Bookwell", Email: "bertha@example.com", Language: "en"}
	in.Reservations[0].Guest = &stays.GuestRef{New: &stays.GuestInput{GivenName: markerGiven, FamilyName: markerFamily, Email: markerEmail,
		Language: "en", Notes: guestNote}}
	in.Notes = bookingNote
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	r := b.Reservations[0]
	pmstest.Must(gm.Plan(f.Ctx))(t)
	if d := pmstest.Must(gm.Deliver(f.Ctx, mailer.SMTP{Addr: srv.Addr, From: "hotel@example.com"}))(t); d.Sent != 2 {
		t.Fatalf("confirmations: %+v, want the booker's and the guest's", d)
	}
	pmstest.Must(0, gd.Restrict(f.Ctx, r.GuestID, true, restrictReason))(t)
	pmstest.Must(0, gd.Restrict(f.Ctx, r.GuestID, false, liftReason))(t)

	// Before: the texts are stored (sealed), and the guest's page opens
	// the reasons from the audit rows.
	d := pmstest.Must(gd.Dossier(f.Ctx, r.GuestID))(t)
	var opened []string
	for _, a := range d.Audit {
		if a.Action == "guest.restricted" || a.Action == "guest.restriction_lifted" {
			opened = append(opened, string(a.After))
		}
	}
	if len(opened) != 2 || !strings.Contains(opened[0], restrictReason) || !strings.Contains(opened[1], liftReason) {
		t.Fatalf("the dossier does not open the restriction reasons: %v", opened)
	}
	if hits := plaintextCells(t, f, []string{"MARKER-restrict", "MARKER-lift"}); len(hits) != 0 {
		t.Fatalf("a restriction reason is stored in plaintext: %v", hits)
	}
	if got := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, b.ID))(t); got.Notes != bookingNote {
		t.Fatalf("booking notes before: %q", got.Notes)
	}
	bookerMsg := byRecipient(t, pmstest.Must(gm.ReservationMessages(f.Ctx, r.ID))(t), "bertha@example.com")
	if !strings.Contains(bookerMsg.Text, markerGiven+" "+markerFamily) {
		t.Fatalf("the booker's confirmation does not name the guest:\n%s", bookerMsg.Text)
	}

	plan := pmstest.Must(gd.PlanErasure(f.Ctx, r.GuestID))(t)
	if plan.Refusal != "" {
		t.Fatal(plan.Refusal)
	}
	got := pmstest.Must(gd.Erase(f.Ctx, r.GuestID, plan.Version))(t)
	if got.Removed.BookingNotes != 1 || got.Messages != 1 {
		t.Fatalf("erasure %+v: want the booking's notes (the guest did not book) and the guest's email removed", got)
	}

	if hits := plaintextCells(t, f, markers); len(hits) != 0 {
		t.Errorf("after the anonymisation, cells still hold the guest in plaintext:\n%s", strings.Join(hits, "\n"))
	}
	checkpoint(t, f)
	raw := pmstest.ReadTenantFiles(t, f.DB)
	for _, m := range markers {
		if i := bytes.Index(raw, []byte(m)); i >= 0 {
			t.Errorf("%q is in the tenant file or WAL in plaintext (page %d)", m, i/4096)
		}
	}
	// What the booker's key still opens names the guest no more.
	if bk := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, b.ID))(t); bk.Notes != "" {
		t.Errorf("the booking's notes survived: %q", bk.Notes)
	}
	for _, m := range pmstest.Must(gm.ReservationMessages(f.Ctx, r.ID))(t) {
		if all := m.Recipient + m.Subject + m.Text + m.HTML; containsAny(all, markers) {
			t.Errorf("a message about the stay still names the guest: %+v", m)
		}
	}
	if m := byRecipient(t, pmstest.Must(gm.GuestMessages(f.Ctx, b.BookerID))(t), "bertha@example.com"); m.Status != guestmail.StatusSent || m.Kind != guestmail.KindConfirmation {
		t.Errorf("the booker's record lost what went when: %+v", m)
	}
	d = pmstest.Must(gd.Dossier(f.Ctx, r.GuestID))(t)
	for _, a := range d.Audit {
		if containsAny(string(a.Before)+string(a.After), markers) {
			t.Errorf("audit row %s still opens to the guest: %s", a.Action, a.After)
		}
	}
	f.VerifyAudit(t)
}

// byRecipient finds the message to an address.
func byRecipient(t *testing.T, ms []guestmail.Message, to string) guestmail.Message {
	t.Helper()
	for _, m := range ms {
		if m.Recipient == to {
			return m
		}
	}
	t.Fatalf("no message to %s in %+v", to, ms)
	return guestmail.Message{}
}

// containsAny reports whether s holds one of subs.
func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// plaintextCells searches every cell of every table of the tenant file
// for the strings, as text or bytes, and names the table, column and row
// of each hit.
func plaintextCells(t *testing.T, f *pmstest.Fixture, subs []string) []string {
	t.Helper()
	db := f.DB.SQL().Read
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 30 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	var hits []string
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			n++
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch x := v.(type) {
				case []byte:
					b = x
				case string:
					b = []byte(x)
				default:
					continue
				}
				for _, s := range subs {
					if bytes.Contains(b, []byte(s)) {
						hits = append(hits, fmt.Sprintf("%s.%s (row %d) holds %q", table, cols[i], n, s))
					}
				}
			}
		}
		rows.Close()
	}
	return hits
}
