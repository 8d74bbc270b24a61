package guestdata_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
)

// TestRetention sets a property's schedule (anonymise 2 years after the
// last stay) and checks the dry run (who goes and when, nothing written)
// and the run: the guest past the schedule is anonymised, the one within
// it stays (listed with its date), as does a guest in house (listed from
// the stay's end), the run is audited.
func TestRetention(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	f.SetPrice(t, f.Plan.ID, f.Day(-1100), f.Day(-30), pmstest.Nightly)
	gd := guestdata.New(f.DB)
	plus2 := func(d date.Date) date.Date {
		y, m, dd := d.YMD()
		return date.MustParse(fmt.Sprintf("%04d-%02d-%02d", y+2, int(m), dd))
	}
	old := f.BookGuest(t, "Olaf", "Oldstay", stays.ReservationCheckedOut, f.Day(-1002), f.Day(-1000), -1)
	recent := f.BookGuest(t, "Rita", "Recent", stays.ReservationCheckedOut, f.Day(-202), f.Day(-200), -1)
	f.BookGuest(t, "Ines", "Inhouse", stays.ReservationInHouse, f.Day(-1), f.Day(2), 0)

	if due := pmstest.Must(gd.RetentionDryRun(f.Ctx))(t); len(due) != 0 {
		t.Fatalf("with no schedule the dry run lists %+v", due)
	}
	pmstest.WantCode(t, gd.SetRetention(f.Ctx, f.Prop.ID, 31), aura.EINVALID)
	pmstest.WantCode(t, gd.SetRetention(f.Ctx, "prp_nowhere", 2), aura.ENOTFOUND)
	pmstest.Must(0, gd.SetRetention(f.Ctx, f.Prop.ID, 2))(t)
	before := f.AuditRows(t)
	due := pmstest.Must(gd.RetentionDryRun(f.Ctx))(t)
	if f.AuditRows(t) != before {
		t.Fatal("the dry run wrote")
	}
	if len(due) != 3 || due[0].GuestID != old.GuestID || due[0].DueOn != plus2(f.Day(-1000)) || due[1].GuestID != recent.GuestID ||
		due[1].DueOn != plus2(f.Day(-200)) || due[0].LastDeparture != f.Day(-1000) {
		t.Fatalf("dry run %+v", due)
	}
	res := pmstest.Must(gd.RunRetention(f.Ctx, f.Today))(t)
	if res.Anonymised != 1 || len(res.Refused) != 0 {
		t.Fatalf("run %+v", res)
	}
	if g := pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, old.GuestID))(t); !g.Erased {
		t.Fatal("the guest past the schedule was not anonymised")
	}
	if g := pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, recent.GuestID))(t); g.Erased {
		t.Fatal("the guest within the schedule was anonymised")
	}
	action, after := pmstest.LastAction(t, f)
	if action != "guest_retention.run" || !strings.Contains(after, `"anonymised":1`) {
		t.Fatalf("audit %s %s", action, after)
	}
	if due := pmstest.Must(gd.RetentionDryRun(f.Ctx))(t); len(due) != 2 {
		t.Fatalf("dry run after the run %+v", due)
	}
	before = f.AuditRows(t)
	if res := pmstest.Must(gd.RunRetention(f.Ctx, f.Today))(t); res.Anonymised != 0 || f.AuditRows(t) != before {
		t.Fatalf("a run with nothing due did %+v and wrote %d rows", res, f.AuditRows(t)-before)
	}
	f.VerifyAudit(t)
}

// TestRetentionSettersShareRow: the anonymisation schedule and the
// registration-data retention live in one row per property; setting one
// keeps the other, each write is audited with its own action and the
// column's earlier and new value, and an unknown property is ENOTFOUND.
func TestRetentionSettersShareRow(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-02")
	gd := guestdata.New(f.DB)
	pmstest.WantCode(t, gd.SetRegistrationRetention(f.Ctx, "prp_nowhere", 12), aura.ENOTFOUND)
	pmstest.WantCode(t, gd.SetRegistrationRetention(f.Ctx, f.Prop.ID, -1), aura.EINVALID)

	pmstest.Must(0, gd.SetRegistrationRetention(f.Ctx, f.Prop.ID, 18))(t)
	if action, after := pmstest.LastAction(t, f); action != "guest_retention.registration_set" || after != `{"registration_months":18}` {
		t.Fatalf("audit %s %s", action, after)
	}
	if m := pmstest.Must(gd.Retention(f.Ctx))(t); m[f.Prop.ID] != 0 {
		t.Fatalf("a new row from the registration setter anonymises after %d years", m[f.Prop.ID])
	}
	pmstest.Must(0, gd.SetRetention(f.Ctx, f.Prop.ID, 4))(t)
	if action, after := pmstest.LastAction(t, f); action != "guest_retention.set" || after != `{"anonymise_after_years":4}` {
		t.Fatalf("audit %s %s", action, after)
	}
	pmstest.Must(0, gd.SetRegistrationRetention(f.Ctx, f.Prop.ID, 24))(t)
	var before string
	if err := f.DB.SQL().Read.QueryRow(`SELECT before_json FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&before); err != nil || before != `{"registration_months":18}` {
		t.Fatalf("audit before %q %v", before, err)
	}
	years := pmstest.Must(gd.Retention(f.Ctx))(t)[f.Prop.ID]
	months := pmstest.Must(gd.RegistrationRetention(f.Ctx))(t)[f.Prop.ID]
	if years != 4 || months != 24 {
		t.Fatalf("after both setters: %d years, %d months", years, months)
	}
	var version int
	if err := f.DB.SQL().Read.QueryRow(`SELECT version FROM guest_retention WHERE property_id = ?`, f.Prop.ID).Scan(&version); err != nil || version != 3 {
		t.Fatalf("version %d %v", version, err)
	}
}

// TestRunRetentionZeroDayOnStoreClock: RunRetention given no day takes
// today's UTC date on the store's clock, the day the records-of-processing
// page counts "due now" by, not the machine's wall clock. Two guests fall
// due in 2053 and 2055 (30-year schedule); at the store's today (2026)
// nobody is due, and with the store's clock moved to 2054 the run
// anonymises the first guest only, a day the wall clock has not reached,
// and audits the store's day.
func TestRunRetentionZeroDayOnStoreClock(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-02")
	f.SetPrice(t, f.Plan.ID, f.Day(-1100), f.Day(-30), pmstest.Nightly)
	gd := guestdata.New(f.DB)
	first := f.BookGuest(t, "Olaf", "Oldstay", stays.ReservationCheckedOut, f.Day(-1002), f.Day(-1000), -1)
	second := f.BookGuest(t, "Rita", "Recent", stays.ReservationCheckedOut, f.Day(-202), f.Day(-200), -1)
	pmstest.Must(0, gd.SetRetention(f.Ctx, f.Prop.ID, guestdata.MaxAnonymiseAfterYears))(t)
	due := pmstest.Must(gd.RetentionDryRun(f.Ctx))(t)
	if len(due) != 2 || due[0].GuestID != first.GuestID || due[0].DueOn != date.MustParse("2053-06-06") || due[1].DueOn != date.MustParse("2055-08-14") {
		t.Fatalf("dry run %+v", due)
	}
	erased := func(r stays.Reservation) bool {
		t.Helper()
		return pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, r.GuestID))(t).Erased
	}

	if res := pmstest.Must(gd.RunRetention(f.Ctx, date.Date{}))(t); res.Anonymised != 0 || erased(first) || erased(second) {
		t.Fatalf("at the store's today (%s) the run did %+v", f.Today, res)
	}
	f.Clock.Set(time.Date(2054, 1, 1, 12, 0, 0, 0, time.UTC))
	res := pmstest.Must(gd.RunRetention(f.Ctx, date.Date{}))(t)
	if res.Anonymised != 1 || len(res.Refused) != 0 || !erased(first) || erased(second) {
		t.Fatalf("with the store's clock on 2054-01-01 the run did %+v (first erased %v, second erased %v); want the first guest only",
			res, erased(first), erased(second))
	}
	if action, after := pmstest.LastAction(t, f); action != "guest_retention.run" || !strings.Contains(after, `"today":"2054-01-01"`) {
		t.Fatalf("audit %s %s", action, after)
	}
	f.VerifyAudit(t)
}
