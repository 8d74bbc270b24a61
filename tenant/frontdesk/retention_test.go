package frontdesk_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// sealedPhoto returns the stored (sealed) bytes of a photo, read straight
// from the table as someone with the file would.
func sealedPhoto(tb testing.TB, f *pmstest.Fixture, photoID string) []byte {
	tb.Helper()
	var b []byte
	if err := f.DB.SQL().Read.QueryRow(`SELECT data FROM id_photo_bytes WHERE photo_id = ?`, photoID).Scan(&b); err != nil {
		tb.Fatalf("sealed bytes of %s: %v", photoID, err)
	}
	return b
}

// chunks returns a few 48-byte runs spread over b.
func chunks(b []byte) [][]byte {
	var out [][]byte
	for _, at := range []int{16, len(b) / 3, len(b) / 2, len(b) - 64} {
		out = append(out, b[at:at+48])
	}
	return out
}

func containsAny(raw []byte, parts [][]byte) bool {
	for _, p := range parts {
		if bytes.Contains(raw, p) {
			return true
		}
	}
	return false
}

// TestIDPhotoRetention checks in three stays with ID photos and runs the
// purge job as the clock passes their windows: a photo past the window is
// deleted (and its sealed bytes are in no byte of the file or WAL after a
// checkpoint), its purge audited once with no personal data, its document
// number blanked where configured, a tombstone kept for the guest page;
// a photo inside the window stays.
func TestIDPhotoRetention(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	fd := inventory.FrontDeskSettings{IDPhotoRetentionDays: 30, PurgeDocumentNumbers: true}
	f.Prop = pmstest.Must(inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, inventory.PropertyInput{Name: f.Prop.Name, TimeZone: f.Prop.TimeZone, Currency: f.Prop.Currency,
		Tax: f.Prop.Tax, FrontDesk: &fd, Version: f.Prop.Version}))(t)
	if got, want := f.Prop.FrontDesk.NightAuditTime, "03:00"; got != want {
		t.Fatalf("night audit time %q, want the default %q", got, want)
	}
	checkIn := func(r stays.Reservation, room int, number, marker string) stays.CheckInRecord {
		t.Helper()
		pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[room].ID, Guests: []stays.GuestCheckIn{{
			Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: number, IssuingCountry: "DE"},
			Photos:   [][]byte{pmstest.PhotoJPEG(t, marker, 320, 240)}}}}))(t)
		return pmstest.Must(stays.New(f.DB).ReservationCheckIns(f.Ctx, r.ID))(t)[0]
	}
	// A: checked in today, checked out on day 2 at 10:00.
	f.At(f.Day(0), 15, 0)
	a := checkIn(f.Book(t, f.Day(0), f.Day(2)), 0, "A11111111", "MARKER-photo-A-c0ffee")
	// C: a long stay checked in today and never checked out: its window
	// runs from the check-in.
	f.At(f.Day(0), 16, 0)
	c := checkIn(f.Book(t, f.Day(0), f.Day(40)), 1, "C33333333", "MARKER-photo-C-decade")
	f.At(f.Day(2), 10, 0)
	pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, a.ReservationID, 0))(t)
	// B: checked in on day 20, inside the window at every purge below.
	f.At(f.Day(20), 15, 0)
	b := checkIn(f.Book(t, f.Day(20), f.Day(22)), 0, "B22222222", "MARKER-photo-B-beef00")

	job := context.Background() // the scheduler's context: no user behind it
	sealedA, sealedB, sealedC := chunks(sealedPhoto(t, f, a.Photos[0].ID)), chunks(sealedPhoto(t, f, b.Photos[0].ID)), chunks(sealedPhoto(t, f, c.Photos[0].ID))
	if err := f.DB.SQL().Checkpoint(f.Ctx); err != nil {
		t.Fatal(err)
	}
	if raw := pmstest.ReadTenantFiles(t, f.DB); !containsAny(raw, sealedA) || !containsAny(raw, sealedC) {
		t.Fatal("the sealed photos are not found in the file before the purge: the search proves nothing")
	}
	next, ok := pmstest.Must2(frontdesk.New(f.DB).NextIDPhotoPurge(f.Ctx))(t)
	if want := c.CreatedAt.Add(30 * 24 * time.Hour); !ok || !next.Equal(want) {
		t.Fatalf("next purge %v (%v), want %v (C's check-in + 30 days)", next, ok, want)
	}

	// Day 30, 15:00: nothing is 30 days old yet (C was taken at 16:00).
	f.At(f.Day(30), 15, 0)
	if got := pmstest.Must(frontdesk.New(f.DB).PurgeIDPhotos(job))(t); got != (frontdesk.PurgeResult{}) {
		t.Fatalf("purged %+v before any window ended", got)
	}
	// Day 32, 09:00: C's window (from check-in) has ended, A's (from its
	// check-out on day 2 at 10:00) not yet.
	f.At(f.Day(32), 9, 0)
	before := f.AuditRows(t)
	got := pmstest.Must(frontdesk.New(f.DB).PurgeIDPhotos(job))(t)
	if want := (frontdesk.PurgeResult{Records: 1, Photos: 1, Numbers: 1, Bytes: int64(c.Photos[0].Size)}); got != want {
		t.Fatalf("purge at day 32 09:00: %+v, want %+v", got, want)
	}
	// Day 32, 10:00: A's window ends.
	f.At(f.Day(32), 10, 0)
	if got := pmstest.Must(frontdesk.New(f.DB).PurgeIDPhotos(job))(t); got.Records != 1 || got.Photos != 1 {
		t.Fatalf("purge at day 32 10:00: %+v, want A's one photo", got)
	}
	if rows := f.AuditRows(t) - before; rows != 2 {
		t.Fatalf("the purges wrote %d audit rows, want 2 (one per record)", rows)
	}
	// A second run finds nothing and writes nothing.
	before = f.AuditRows(t)
	if got := pmstest.Must(frontdesk.New(f.DB).PurgeIDPhotos(job))(t); got != (frontdesk.PurgeResult{}) {
		t.Fatalf("second run purged %+v", got)
	}
	if f.AuditRows(t) != before {
		t.Fatal("a run with nothing to purge wrote an audit row")
	}

	t.Run("Tombstones", func(t *testing.T) {
		for _, rec := range []stays.CheckInRecord{a, c} {
			got := pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, rec.GuestID))(t)[0]
			p := got.Photos[0]
			if p.PurgedAt == nil || p.PurgeReason != stays.PurgeRetention {
				t.Fatalf("photo of %s: %+v, want a retention tombstone", rec.ID, p)
			}
			if got.Document.Number != "" || got.NumberPurgedAt == nil {
				t.Fatalf("document number of %s %q purged at %v, want blanked", rec.ID, got.Document.Number, got.NumberPurgedAt)
			}
			if got.Document.Type != stays.DocumentIDCard {
				t.Fatalf("the rest of the document went too: %+v", got.Document)
			}
			_, _, err := stays.New(f.DB).IDPhotoData(f.Ctx, p.ID)
			pmstest.WantCode(t, err, aura.EGONE)
			if !strings.Contains(aura.ErrorMessage(err), "purged on "+p.PurgedAt.In(f.Loc).Format("Mon 2 Jan 2006")) {
				t.Fatalf("message %q does not say when the photo was purged", aura.ErrorMessage(err))
			}
		}
		if want := f.Clock.Now().UTC(); !pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, a.GuestID))(t)[0].Photos[0].PurgedAt.Equal(want) {
			t.Fatalf("A's photo purge date is not the run's time %v", want)
		}
		kept := pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, b.GuestID))(t)[0]
		if kept.Photos[0].PurgedAt != nil || kept.Document.Number != "B22222222" {
			t.Fatalf("B, inside its window, lost data: %+v", kept)
		}
		if _, data := pmstest.Must2(stays.New(f.DB).IDPhotoData(f.Ctx, b.Photos[0].ID))(t); len(data) != b.Photos[0].Size {
			t.Fatal("B's photo does not read back")
		}
	})
	t.Run("AuditRows", func(t *testing.T) {
		rows, err := f.DB.SQL().Read.Query(`SELECT entity_id, actor_id, before_json, after_json FROM audit_log WHERE action = 'checkin_record.purged' ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id, actor, before, after string
			if err := rows.Scan(&id, &actor, &before, &after); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			if actor != "id-photo-retention" {
				t.Fatalf("purge actor %q", actor)
			}
			for _, s := range []string{"A11111111", "C33333333", "sealed"} {
				if strings.Contains(before+after, s) {
					t.Fatalf("purge audit row holds %q: %s", s, after)
				}
			}
			if !strings.Contains(after, `"document_number_purged":true`) || !strings.Contains(after, `"purge_reason":"retention"`) {
				t.Fatalf("purge audit row does not record what went: %s", after)
			}
		}
		if got, want := strings.Join(ids, ","), c.ID+","+a.ID; got != want {
			t.Fatalf("purge rows for %s, want %s", got, want)
		}
	})
	t.Run("BytesLeftTheFile", func(t *testing.T) {
		if err := f.DB.SQL().Checkpoint(f.Ctx); err != nil {
			t.Fatal(err)
		}
		raw := pmstest.ReadTenantFiles(t, f.DB)
		if !containsAny(raw, sealedB) {
			t.Fatal("the kept photo's sealed bytes are not found: the search proves nothing")
		}
		if containsAny(raw, sealedA) || containsAny(raw, sealedC) {
			t.Fatal("sealed bytes of a purged photo are still in the tenant file")
		}
		for _, s := range []string{"MARKER-photo-A", "MARKER-photo-B", "MARKER-photo-C", "A11111111", "B22222222", "C33333333"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Fatalf("%q is in the tenant file in plaintext", s)
			}
		}
	})
	f.VerifyAudit(t)
}

// TestRetentionSettings checks the property's front-desk settings: their
// defaults, validation, and that an update without them keeps them.
func TestRetentionSettings(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	if got, want := f.Prop.FrontDesk, inventory.DefaultFrontDeskSettings; got != want {
		t.Fatalf("settings of a new property %+v, want %+v", got, want)
	}
	base := inventory.PropertyInput{Name: f.Prop.Name, TimeZone: f.Prop.TimeZone, Currency: f.Prop.Currency, Tax: f.Prop.Tax}
	for _, tc := range []struct {
		name  string
		fd    inventory.FrontDeskSettings
		field string
	}{
		{"NegativeDays", inventory.FrontDeskSettings{IDPhotoRetentionDays: -1}, "front_desk.id_photo_retention_days"},
		{"TooManyDays", inventory.FrontDeskSettings{IDPhotoRetentionDays: 4000}, "front_desk.id_photo_retention_days"},
		{"AfternoonAudit", inventory.FrontDeskSettings{IDPhotoRetentionDays: 7, NightAuditTime: "14:00"}, "front_desk.night_audit_time"},
		{"NotATime", inventory.FrontDeskSettings{IDPhotoRetentionDays: 7, NightAuditTime: "3am"}, "front_desk.night_audit_time"},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			in := base
			in.FrontDesk = &tc.fd
			_, err := inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, in)
			pmstest.WantCode(t, err, aura.EINVALID)
			if !pmstest.HasField(err, tc.field) {
				t.Fatalf("fields %v, want %s", aura.ErrorFields(err), tc.field)
			}
		})
	}
	in := base
	in.FrontDesk = &inventory.FrontDeskSettings{IDPhotoRetentionDays: 0, PurgeDocumentNumbers: true, NightAuditTime: "04:30"}
	p := pmstest.Must(inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, in))(t)
	p = pmstest.Must(inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, base))(t)
	if got, want := p.FrontDesk, *in.FrontDesk; got != want {
		t.Fatalf("an update without settings changed them to %+v, want %+v", got, want)
	}
	if got := pmstest.Must(inventory.New(f.DB).GetProperty(f.Ctx, f.Prop.ID))(t).FrontDesk; got != *in.FrontDesk {
		t.Fatalf("stored settings %+v", got)
	}
	job := context.Background()
	// Retention 0 keeps a photo no longer than it takes the job to run:
	// the window of a stay not checked out runs from the check-in.
	r := f.Book(t, f.Day(0), f.Day(1))
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID, Guests: []stays.GuestCheckIn{{
		Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "P0", IssuingCountry: "FR", Expiry: date.MustParse("2030-01-01")},
		Photos:   [][]byte{pmstest.PhotoPNG(t)}}}}))(t)
	if got, want := pmstest.Must(frontdesk.New(f.DB).PurgeIDPhotos(job))(t), (frontdesk.PurgeResult{Records: 1, Photos: 1, Numbers: 1, Bytes: int64(len(pmstest.PhotoPNG(t)))}); got != want {
		t.Fatalf("purged %+v with retention 0, want %+v", got, want)
	}
	f.VerifyAudit(t)
}
