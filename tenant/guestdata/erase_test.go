package guestdata_test

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// TestErase anonymises a guest who stayed, paid and got an invoice: the
// refusals first (a stay in house, an open balance, a stale confirmation),
// then the erasure: a stable pseudonym, the key and every personal cell
// gone (in no byte of the file or WAL after a checkpoint), search terms,
// photos, documents and booking notes removed, the books unchanged to the
// minor unit, the invoice still opening with its recipient and printing,
// the audit chain verifying with the guest's audit fields unreadable.
func TestErase(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	gd := guestdata.New(f.DB)

	// The marker guest's stay, and a second guest in house right now.
	s := stayGuest(t, f, f.Day(0), 0)
	f.At(f.Day(2), 15, 0)
	other := f.BookGuest(t, "Olga", "Inhouse", stays.ReservationConfirmed, f.Day(2), f.Day(4), -1)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, other.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)

	t.Run("RefusedInHouse", func(t *testing.T) {
		p := pmstest.Must(gd.PlanErasure(f.Ctx, other.GuestID))(t)
		if len(p.InHouse) != 1 || !strings.Contains(p.Refusal, "check the guest out first") {
			t.Fatalf("plan for an in-house guest: %+v", p)
		}
		_, err := gd.Erase(f.Ctx, other.GuestID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
		if !strings.Contains(aura.ErrorMessage(err), "the stay "+f.Prop.Stay(other.Arrival, other.Departure)+" is in house") || !strings.Contains(aura.ErrorMessage(err), "check the guest out first") {
			t.Fatalf("refusal %q does not name the stay and what to do", aura.ErrorMessage(err))
		}
		if pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, other.GuestID))(t).Erased {
			t.Fatal("a refused erasure erased")
		}
	})
	t.Run("RefusedOpenBalance", func(t *testing.T) {
		// A booking cancelled inside its free period's end: the first
		// night's fee is posted and not paid.
		f.At(f.Day(2), 16, 0)
		r := f.BookGuest(t, "Otto", "Owing", stays.ReservationConfirmed, f.Day(3), f.Day(5), -1)
		pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, r.ID, stays.CancelInput{}))(t)
		before := f.AuditRows(t)
		_, err := gd.Erase(f.Ctx, r.GuestID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
		if msg := aura.ErrorMessage(err); !strings.Contains(msg, "the folio of the stay "+f.Prop.Stay(r.Arrival, r.Departure)+" has an open balance of "+f.Prop.Amount(10000)) || !strings.Contains(msg, "take a payment") {
			t.Fatalf("refusal %q does not name the balance and what to do", msg)
		}
		if f.AuditRows(t) != before {
			t.Fatal("a refused erasure wrote an audit row")
		}
	})

	totals := bookTotals(t, f)
	cells := sealedCells(t, f, s)
	checkpoint(t, f)
	raw := pmstest.ReadTenantFiles(t, f.DB)
	for name, v := range cells {
		if !bytes.Contains(raw, v) {
			t.Fatalf("the sealed %s is not found in the file before the erasure: the search proves nothing", name)
		}
	}

	plan := pmstest.Must(gd.PlanErasure(f.Ctx, s.guest.ID))(t)
	if plan.Refusal != "" || len(plan.Reservations) != 1 || len(plan.Invoices) != 1 || plan.Name != markerGiven+" "+markerFamily {
		t.Fatalf("plan %+v", plan)
	}
	if !regexp.MustCompile(`^Guest [0-9A-Z]{4}$`).MatchString(plan.Pseudonym) {
		t.Fatalf("pseudonym %q", plan.Pseudonym)
	}
	if len(plan.Removed) == 0 || len(plan.Kept) == 0 || plan.Removed[3].What != "1 ID photo and the documents of 1 check-in record" {
		t.Fatalf("plan items %+v / %+v", plan.Removed, plan.Kept)
	}

	// A confirmation shown before the profile changed is stale.
	pmstest.Must(stays.New(f.DB).UpdateGuest(f.Ctx, s.guest.ID, stays.GuestInput{GivenName: markerGiven, FamilyName: markerFamily,
		Email: markerEmail, Phone: "+49 30 1234567", Notes: "changed", Version: plan.Version}))(t)
	_, err := gd.Erase(f.Ctx, s.guest.ID, plan.Version)
	pmstest.WantCode(t, err, aura.EPRECONDITION)
	cells["given_name"] = sealedCells(t, f, s)["given_name"]

	before := f.AuditRows(t)
	got := pmstest.Must(gd.Erase(f.Ctx, s.guest.ID, plan.Version+1))(t)
	if got.Pseudonym != plan.Pseudonym || got.Removed.Photos != 1 || got.Removed.CheckInRecords != 1 || got.Removed.BookingNotes != 1 ||
		got.Removed.SearchTerms == 0 || got.Kept != (guestdata.KeptCounts{Reservations: 1, Folios: 1, Invoices: 1}) {
		t.Fatalf("erasure %+v", got)
	}
	if f.AuditRows(t) != before+1 {
		t.Fatalf("the erasure wrote %d audit rows, want 1", f.AuditRows(t)-before)
	}
	action, after := pmstest.LastAction(t, f)
	if action != "guest.anonymised" || !strings.Contains(after, plan.Pseudonym) {
		t.Fatalf("audit row %s %s", action, after)
	}

	t.Run("Profile", func(t *testing.T) {
		g := pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, s.guest.ID))(t)
		if !g.Erased || g.Name() != plan.Pseudonym || g.Email != "" || g.GivenName != "" {
			t.Fatalf("guest after erasure %+v (%s)", g, g.Name())
		}
		if names := pmstest.Must(stays.New(f.DB).GuestNames(f.Ctx, []string{s.guest.ID}))(t); names[s.guest.ID] != plan.Pseudonym {
			t.Fatalf("list name %q", names[s.guest.ID])
		}
		for _, q := range []string{markerFamily, markerEmail, "Zebul"} {
			if hits := pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, q, 10))(t); len(hits) != 0 {
				t.Fatalf("search %q still finds %+v", q, hits)
			}
		}
		_, err := stays.New(f.DB).UpdateGuest(f.Ctx, s.guest.ID, stays.GuestInput{FamilyName: "Back"})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		_, err = gd.Erase(f.Ctx, s.guest.ID, 0)
		pmstest.WantCode(t, err, aura.ECONFLICT)
	})
	t.Run("CheckInAndPhotos", func(t *testing.T) {
		rec := pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, s.guest.ID))(t)[0]
		if !rec.Erased || rec.Document.Number != "" || rec.Photos[0].PurgedAt == nil || rec.Photos[0].PurgeReason != stays.PurgeDeleted {
			t.Fatalf("check-in record after erasure %+v", rec)
		}
		_, _, err := stays.New(f.DB).IDPhotoData(f.Ctx, s.record.Photos[0].ID)
		pmstest.WantCode(t, err, aura.EGONE)
		b := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, s.booking.ID))(t)
		if b.Notes != "" || len(b.Reservations) != 1 {
			t.Fatalf("booking after erasure %+v", b)
		}
	})
	t.Run("BooksUnchanged", func(t *testing.T) {
		if now := bookTotals(t, f); now != totals {
			t.Fatalf("the books changed:\nbefore\n%s\nafter\n%s", totals, now)
		}
		r := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, s.res.ID))(t)
		if r.Status != stays.ReservationCheckedOut || r.Total != s.res.Total || r.GuestID != s.guest.ID {
			t.Fatalf("reservation after erasure %+v", r)
		}
	})
	t.Run("InvoiceOpensAndPrints", func(t *testing.T) {
		led := ledger.New(f.DB)
		doc := pmstest.Must(led.Document(f.Ctx, s.invoice.ID))(t)
		if doc.Recipient == nil || doc.Recipient.Name != markerGiven+" "+markerFamily || doc.Totals != s.invoice.Totals || doc.Hash != s.invoice.Hash {
			t.Fatalf("invoice after erasure %+v", doc)
		}
		pdf := pmstest.Must(ledger.InvoicePDF(doc))(t)
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatal("the invoice does not print")
		}
		check := pmstest.Must(led.VerifyDocuments(f.Ctx))(t)
		if !check.OK() {
			t.Fatalf("documents do not verify: %+v", check)
		}
	})
	t.Run("AuditRows", func(t *testing.T) {
		f.VerifyAudit(t)
		var created string
		if err := f.DB.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'guest.created' AND entity_id = ?`, s.guest.ID).Scan(&created); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(created, `"sealed"`) {
			t.Fatalf("the creation row holds no sealed fields: %s", created)
		}
		vals, erased, err := f.DB.OpenGuestSealed(f.Ctx, s.guest.ID, "guests", s.guest.ID, map[string][]byte{"given_name": cells["given_name"]})
		if err != nil || !erased || len(vals) != 0 {
			t.Fatalf("sealed audit fields after erasure: %v %v %v", vals, erased, err)
		}
	})
	t.Run("BytesLeftTheFile", func(t *testing.T) {
		checkpoint(t, f)
		raw := pmstest.ReadTenantFiles(t, f.DB)
		for name, v := range cells {
			if i := bytes.Index(raw, v); i >= 0 {
				t.Errorf("the sealed %s is still in the tenant file or WAL (at %d of %d, page %d)", name, i, len(raw), i/4096)
			}
		}
		for _, m := range []string{markerGiven, markerFamily, markerEmail, markerNotes, markerNumber, markerPhoto, "Quartermaine"} {
			if bytes.Contains(raw, []byte(m)) {
				t.Errorf("%q is in the tenant file in plaintext", m)
			}
		}
	})
}

// checkpoint copies the WAL into the file and truncates it.
func checkpoint(t testing.TB, f *pmstest.Fixture) {
	t.Helper()
	if err := f.DB.SQL().Checkpoint(f.Ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(f.DB.Path + "-wal"); err != nil || st.Size() != 0 {
		t.Fatalf("the WAL is not empty after a checkpoint: %v %v", st, err)
	}
}
