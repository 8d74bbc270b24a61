package guestdata_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
)

// TestPurgeRegistrations: with a property keeping registration data 15
// months (12 + 3), a check-in record is untouched before that and purged
// after it (document, number and photo gone from the file, the record a
// tombstone, the guest's profile and stay kept), audited once; the
// records of processing say so.
func TestPurgeRegistrations(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-02")
	gd := guestdata.New(f.DB)
	s := stayGuest(t, f, f.Day(0), 0)
	pmstest.WantCode(t, gd.SetRegistrationRetention(f.Ctx, f.Prop.ID, 121), aura.EINVALID)
	pmstest.Must(0, gd.SetRegistrationRetention(f.Ctx, f.Prop.ID, 15))(t)
	if m := pmstest.Must(gd.RegistrationRetention(f.Ctx))(t); m[f.Prop.ID] != 15 {
		t.Fatalf("retention %v", m)
	}
	recs := pmstest.Must(gd.RecordsOfProcessing(f.Ctx, guestdata.Storage{}))(t)
	if !strings.Contains(recs[0].Records[2].HowLong, "15 months after check-out") {
		t.Fatalf("records of processing: %+v", recs[0].Records[2])
	}
	cells := sealedCells(t, f, s)
	due := pmstest.Must(gd.RegistrationDryRun(f.Ctx))(t)
	if len(due) != 1 || due[0].RecordID != s.record.ID || !due[0].DueAt.Equal(f.Clock.Now().UTC().Truncate(time.Second).AddDate(0, 15, 0)) {
		t.Fatalf("dry run %+v (checked out %v)", due, f.Clock.Now())
	}

	f.Clock.Advance(14 * 31 * 24 * time.Hour) // about 14 months: not yet
	if res := pmstest.Must(gd.PurgeRegistrations(f.Ctx))(t); len(res.Records) != 0 {
		t.Fatalf("purged before the period: %+v", res)
	}
	f.Clock.Advance(62 * 24 * time.Hour)
	before := f.AuditRows(t)
	res := pmstest.Must(gd.PurgeRegistrations(f.Ctx))(t)
	if len(res.Records) != 1 || res.Records[0] != s.record.ID || res.Photos != 1 {
		t.Fatalf("purge %+v", res)
	}
	if f.AuditRows(t) != before+1 {
		t.Fatal("the purge is not audited once")
	}
	if action, after := pmstest.LastAction(t, f); action != "guest_retention.registrations_purged" || !strings.Contains(after, s.record.ID) {
		t.Fatalf("audit %s %s", action, after)
	}
	rec := pmstest.Must(stays.New(f.DB).ReservationCheckIns(f.Ctx, s.res.ID))(t)[0]
	if !rec.Erased || rec.Document.Number != "" || rec.Photos[0].PurgedAt == nil || rec.Photos[0].PurgeReason != stays.PurgeRetention {
		t.Fatalf("record after the purge: %+v", rec)
	}
	if g := pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, s.guest.ID))(t); g.Erased || g.Email != markerEmail {
		t.Fatalf("the purge touched the profile: %+v", g)
	}
	if res := pmstest.Must(gd.PurgeRegistrations(f.Ctx))(t); len(res.Records) != 0 {
		t.Fatalf("purged twice: %+v", res)
	}
	if due := pmstest.Must(gd.RegistrationDryRun(f.Ctx))(t); len(due) != 0 {
		t.Fatalf("dry run after the purge: %+v", due)
	}
	checkpoint(t, f)
	raw := pmstest.ReadTenantFiles(t, f.DB)
	for _, name := range []string{"document", "document_number", "photo head", "photo middle"} {
		if bytes.Contains(raw, cells[name]) {
			t.Fatalf("the %s is still in the file after the purge", name)
		}
	}
	f.VerifyAudit(t)
}
