package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// TestGuestDataRights runs the export and the anonymisation over HTTP:
// the permissions (a front-desk token gets 403), the refusal of a guest in
// house (409 with what to do, on the API and on the confirmation page),
// the confirmation page naming what goes and what stays, the export
// served as an attachment with no-store, the anonymisation, and the guest
// page and export afterwards holding no personal data.
func TestGuestDataRights(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	const marker = "Marlowe-Quixotic"

	resp, body := f.api("POST", "/bookings", strings.Replace(f.bookingJSON("Ottilie", f.today, f.today.AddDays(1)), `"Tester"`, `"`+marker+`"`, 1))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	res := decode[stays.Booking](t, body).Reservations[0]
	gid := res.GuestID
	if resp, body := f.api("POST", "/reservations/"+res.ID+"/check-in", `{"room_id": "`+f.rooms[0].ID+`"}`); resp.StatusCode != 200 {
		t.Fatalf("check-in: %d %s", resp.StatusCode, body)
	}

	t.Run("Forbidden", func(t *testing.T) {
		tok := f.roleToken(t, identity.RoleFrontDesk, "fred@alpha.example")
		auth := map[string]string{"Authorization": "Bearer " + tok}
		for _, r := range []req{{path: "/alpha/api/v1/guests/" + gid + "/export", header: auth}, {path: "/alpha/api/v1/guests/" + gid + "/erasure", header: auth},
			{method: "POST", path: "/alpha/api/v1/guests/" + gid + "/erasure", header: auth}} {
			resp, body := h.do(r)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "guests.") {
				t.Errorf("front desk %s %s: %d %s, want 403 naming the permission", r.method, r.path, resp.StatusCode, body)
			}
		}
		session := h.login("alpha", "fred@alpha.example", ownerPassword)
		if resp, _ := h.do(req{path: "/alpha/guests/" + gid + "/erase", cookies: []*http.Cookie{session}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("front desk erase page: %d, want 403", resp.StatusCode)
		}
		if resp, page := h.do(req{path: "/alpha/guests/" + gid, cookies: []*http.Cookie{session}}); resp.StatusCode != 200 || strings.Contains(page, "/erase") || strings.Contains(page, "/export") {
			t.Errorf("the front desk's guest page offers export or erasure (%d)", resp.StatusCode)
		}
	})

	t.Run("RefusedInHouse", func(t *testing.T) {
		resp, body := f.api("POST", "/guests/"+gid+"/erasure", "")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "check the guest out first") {
			t.Fatalf("API erasure of a guest in house: %d %s", resp.StatusCode, body)
		}
		resp, page := f.page("POST", "/guests/"+gid+"/erase", url.Values{"confirm": {"yes"}, "idempotency_key": {"k1"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "check the guest out first") || strings.Contains(page, `name="confirm"`) {
			t.Fatalf("page erasure of a guest in house: %d", resp.StatusCode)
		}
	})

	if resp, body := f.api("POST", "/reservations/"+res.ID+"/check-out", ""); resp.StatusCode != 200 {
		t.Fatalf("check-out: %d %s", resp.StatusCode, body)
	}

	t.Run("GuestPage", func(t *testing.T) {
		resp, page := f.page("GET", "/guests/"+gid, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("guest page: %d", resp.StatusCode)
		}
		i := strings.Index(page, `id="guest-money"`)
		j := strings.Index(page, `id="ghist-h"`)
		if i < 0 || j < 0 {
			t.Fatalf("the guest page lacks the folios or the history:\n%s", page)
		}
		if hist := page[j:]; !strings.Contains(hist, "Checked in") || !strings.Contains(hist, "Reservation created") && !strings.Contains(hist, "Booked") {
			t.Errorf("the guest page's history lacks the stay's rows")
		}
	})

	t.Run("Rectification", func(t *testing.T) {
		// The guest page's edit form: the history shows the old and the
		// new value; the audit row holds them sealed only.
		_, body := f.api("GET", "/guests/"+gid, "")
		g := decode[stays.Guest](t, body)
		form := url.Values{"given_name": {g.GivenName}, "family_name": {g.FamilyName}, "email": {"ottilie.corrected@example.com"},
			"version": {strconv.Itoa(g.Version)}, "idempotency_key": {"rect"}}
		if resp, _ := f.page("POST", "/guests/"+gid, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rectify: %d", resp.StatusCode)
		}
		_, page := f.page("GET", "/guests/"+gid, nil)
		if hist := page[strings.Index(page, `id="ghist-h"`):]; !strings.Contains(hist, "ottilie.corrected@example.com") {
			t.Fatal("the history does not show the new email")
		}
		db := h.acquire("alpha")
		var after string
		err := db.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'guest.updated' AND entity_id = ? ORDER BY seq DESC LIMIT 1`, gid).Scan(&after)
		db.Release()
		if err != nil || strings.Contains(after, "corrected") || !strings.Contains(after, `"sealed"`) {
			t.Fatalf("the rectification's audit row: %v %s", err, after)
		}
	})

	t.Run("Export", func(t *testing.T) {
		resp, body := f.api("GET", "/guests/"+gid+"/export", "")
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") ||
			!strings.Contains(body, marker) || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("API export: %d %v", resp.StatusCode, resp.Header)
		}
		resp, _ = f.page("POST", "/guests/"+gid+"/export", url.Values{"format": {"zip"}, "idempotency_key": {"k2"}})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("page export: %d %v", resp.StatusCode, resp.Header)
		}
		resp, body = f.api("GET", "/guests/"+gid+"/export?format=xml", "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "json or zip") {
			t.Fatalf("export as xml: %d %s", resp.StatusCode, body)
		}
	})

	var version int
	var pseudonym string
	t.Run("Confirmation", func(t *testing.T) {
		resp, page := f.page("GET", "/guests/"+gid+"/erase", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("erase page: %d", resp.StatusCode)
		}
		for _, want := range []string{"What will be removed", "What is kept, and why", "The guest&#39;s key", "1 reservation with its nights", stays.Pseudonym(gid), `name="confirm"`, marker} {
			if !strings.Contains(page, want) {
				t.Errorf("the confirmation lacks %q", want)
			}
		}
		plan := decode[guestdata.ErasurePlan](t, func() string { _, b := f.api("GET", "/guests/"+gid+"/erasure", ""); return b }())
		version, pseudonym = plan.Version, plan.Pseudonym
		resp, page = f.page("POST", "/guests/"+gid+"/erase", url.Values{"version": {strconv.Itoa(version)}, "idempotency_key": {"k3"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Tick the box") {
			t.Fatalf("erase without the box ticked: %d", resp.StatusCode)
		}
	})

	resp, _ = f.page("POST", "/guests/"+gid+"/erase", url.Values{"confirm": {"yes"}, "version": {strconv.Itoa(version)}, "idempotency_key": {"k4"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase: %d", resp.StatusCode)
	}
	resp, page := f.page("GET", "/guests/"+gid, nil)
	if resp.StatusCode != 200 || strings.Contains(page, marker) || !strings.Contains(page, "anonymised") || pseudonym == "" || !strings.Contains(page, "<h1>"+pseudonym+"</h1>") {
		t.Fatalf("guest page after erasure: %d", resp.StatusCode)
	}
	if _, body := f.api("GET", "/guests/"+gid+"/export", ""); strings.Contains(body, marker) || !strings.Contains(body, `"erased":true`) {
		t.Fatalf("export after erasure: %s", body)
	}
	if resp, body := f.api("POST", "/guests/"+gid+"/erasure", ""); resp.StatusCode != http.StatusConflict {
		t.Fatalf("second erasure: %d %s", resp.StatusCode, body)
	}
	// What `aura audit verify alpha` runs: the chain, its signed
	// checkpoint log and the witnesses.
	if res, err := h.ctl.VerifyAudit(context.Background(), "alpha"); err != nil || !res.OK() {
		t.Fatalf("audit verify after the erasure: %+v %v", res, err)
	}
}

// TestGuestRestriction restricts a guest over HTTP: the owner's guest
// list and search still show it (each read audited), a
// front-desk user's do not and the profile is a 404 for them, on pages
// and the API; lifting shows it to everyone again.
func TestGuestRestriction(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	resp, body := f.api("POST", "/guests", `{"given_name": "Rhea", "family_name": "Restricta"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("guest: %d %s", resp.StatusCode, body)
	}
	gid := decode[stays.Guest](t, body).ID
	tok := f.roleToken(t, identity.RoleFrontDesk, "fred@alpha.example")
	desk := map[string]string{"Authorization": "Bearer " + tok}
	session := h.login("alpha", "fred@alpha.example", ownerPassword)

	resp, page := f.page("POST", "/guests/"+gid+"/restrict", url.Values{"restrict": {"on"}, "idempotency_key": {"r1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Say why") {
		t.Fatalf("restrict without a reason: %d", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/guests/"+gid+"/restrict", url.Values{"restrict": {"on"}, "reason": {"disputes the address"}, "idempotency_key": {"r2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restrict: %d", resp.StatusCode)
	}
	for _, r := range []req{{path: "/alpha/api/v1/guests/" + gid, header: desk}, {path: "/alpha/guests/" + gid, cookies: []*http.Cookie{session}},
		{method: "PATCH", path: "/alpha/api/v1/guests/" + gid, json: `{"notes": "x"}`, header: desk}} {
		if resp, _ := h.do(r); resp.StatusCode != http.StatusNotFound {
			t.Errorf("front desk %s %s of a restricted guest: %d, want 404", r.method, r.path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/alpha/api/v1/guests?q=Rhea", "/alpha/api/v1/guests"} {
		if _, body := h.do(req{path: path, header: desk}); strings.Contains(body, gid) {
			t.Errorf("front desk %s lists the restricted guest", path)
		}
	}
	if _, page := h.do(req{path: "/alpha/guests?q=Restricta", cookies: []*http.Cookie{session}}); strings.Contains(page, gid) {
		t.Error("the front desk's guest search shows the restricted guest")
	}
	if _, body := f.api("GET", "/guests?q=Rhea", ""); !strings.Contains(body, gid) {
		t.Error("the owner's search lacks the restricted guest")
	}
	resp, page = f.page("GET", "/guests/"+gid, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="restricted-note"`) || !strings.Contains(page, "Lift the restriction") {
		t.Fatalf("owner's guest page of a restricted guest: %d", resp.StatusCode)
	}
	if !strings.Contains(page, "disputes the address") { // sealed under the guest's key in the audit row, opened for the owner
		t.Fatal("the guest's history does not show why the processing was restricted")
	}
	var reads int
	db := h.acquire("alpha")
	err := db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'guest.restricted_read' AND entity_id = ?`, gid).Scan(&reads)
	db.Release()
	if err != nil || reads != 2 {
		t.Fatalf("restricted reads audited: %d %v, want 2 (the owner's search and page)", reads, err)
	}
	if resp, body := f.api("POST", "/guests/"+gid+"/restriction", `{"restricted": false}`); resp.StatusCode != 200 || strings.Contains(body, "restricted_at") {
		t.Fatalf("lift: %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.do(req{path: "/alpha/api/v1/guests/" + gid, header: desk}); resp.StatusCode != 200 {
		t.Fatalf("front desk after the lift: %d", resp.StatusCode)
	}
}

// TestRecordsOfProcessing reads the records-of-processing page: each
// property's ID-photo retention and the invoice retention appear as the
// code enforces them, and change when the setting does.
func TestRecordsOfProcessing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	resp, page := f.page("GET", "/settings/records-of-processing", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "30 days after check-out") || !strings.Contains(page, "8 years from the end of the year of issue") ||
		!strings.Contains(page, "Hotel Am See") {
		t.Fatalf("records of processing: %d", resp.StatusCode)
	}
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	p, err := inventory.New(db).GetProperty(ctx, f.prop.ID)
	if err == nil {
		fd := p.FrontDesk
		fd.IDPhotoRetentionDays, fd.PurgeDocumentNumbers = 14, true
		_, err = inventory.New(db).UpdateProperty(ctx, p.ID, inventory.PropertyInput{Name: p.Name, TimeZone: p.TimeZone, Currency: p.Currency,
			Address: p.Address, Tax: p.Tax, FrontDesk: &fd, Version: p.Version})
	}
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	if _, page := f.page("GET", "/settings/records-of-processing", nil); !strings.Contains(page, "14 days after check-out") || strings.Contains(page, "30 days after") {
		t.Fatal("the records do not follow the property's retention setting")
	}

	// The retention schedule: set on the page, the dry run lists the
	// guest with the day it goes; the API answers the same.
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Tilda", f.today.AddDays(1), f.today.AddDays(3)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.page("POST", "/settings/records-of-processing/retention", url.Values{"property_id": {f.prop.ID}, "anonymise_after_years": {"3"},
		"registration_months": {"15"}, "idempotency_key": {"ret"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set retention: %d", resp.StatusCode)
	}
	_, page = f.page("GET", "/settings/records-of-processing", nil)
	if !strings.Contains(page, "anonymised 3 years after their last stay") || !strings.Contains(page, "Tilda Tester") || !strings.Contains(page, "1 guests scheduled, 0 due now") {
		t.Fatal("the dry run on the page lacks the schedule or the guest")
	}
	if !strings.Contains(page, "15 months after check-out, then purged") || !strings.Contains(page, "0 check-in records scheduled") {
		t.Fatal("the page lacks the registration-data retention")
	}
	if !strings.Contains(page, `id="recipient-retention"`) || !strings.Contains(page, "No invoice holds a readable recipient") {
		t.Fatal("the page lacks the invoice recipients' dry run")
	}
	// An issued invoice: its recipient is kept until the end of the
	// retention period and made unreadable the day after.
	_, folio := moneySetup(t, f)
	mustCreated(t, f, "/folios/"+folio.ID+"/charges", `{"description": "Parking", "quantity": 1, "unit_price": 1500, "tax_code": "DE-19", "category": "ACC"}`)
	inv := decode[ledger.Document](t, mustCreated(t, f, "/folios/"+folio.ID+"/invoices", `{"recipient": {"name": "Greta Tester", "address": {"country": "DE"}}}`))
	_, page = f.page("GET", "/settings/records-of-processing", nil)
	want := fmt.Sprintf("Invoice %s: kept until %s, recipient made unreadable on %s", inv.Number, locale.Of("DE").Day(inv.RetainUntil), locale.Of("DE").Day(inv.RetainUntil.AddDays(1)))
	if !strings.Contains(page, want) || !strings.Contains(page, "1 invoices and credit notes with a readable recipient, 0 due now") {
		t.Fatalf("the recipients' dry run lacks %q", want)
	}
	resp, body = f.api("PUT", "/guest-retention/"+f.prop.ID, `{"anonymise_after_years": 31}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("31 years: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("GET", "/guest-retention", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"due_on"`) || !strings.Contains(body, f.today.AddDays(3).AddDays(365*3 + 1).String()[:4]) {
		t.Fatalf("API dry run: %d %s", resp.StatusCode, body)
	}
	// "Due now" is counted on the server's clock, as the retention job
	// runs on it: four years on, both guests (Tilda, and Greta of the
	// invoice) are due.
	f.h.clock.Advance(4 * 365 * 24 * time.Hour)
	f.signIn()
	if _, page = f.page("GET", "/settings/records-of-processing", nil); !strings.Contains(page, "2 guests scheduled, 2 due now") {
		t.Fatal("four years on, the page does not count the guests as due")
	}
}

// TestGuestPageRegistrationRetention: the guest page says, per check-in
// record, when the registration form's data (document, number, date of
// birth, ID photos) goes: kept while the property sets no retention for
// it, then "to be purged on" the day the property's months after
// check-out (here after the record was taken: the stay is in house) run
// out, with each ID photo's own purge day; once the retention job purged
// it, the day it was purged, and the record says so instead of "erased".
func TestGuestPageRegistrationRetention(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Regina", f.today, f.today.AddDays(2)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	res := decode[stays.Booking](t, body).Reservations[0]
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	_, err := stays.New(db).CheckIn(ctx, res.ID, stays.CheckInInput{RoomID: f.rooms[0].ID, Guests: []stays.GuestCheckIn{{
		Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "R07X00Q11", IssuingCountry: "DE"}, Photos: [][]byte{auratest.JPEG(t, 24, 16)}}}})
	var rec stays.CheckInRecord
	if err == nil {
		var recs []stays.CheckInRecord
		if recs, err = stays.New(db).ReservationCheckIns(ctx, res.ID); err == nil {
			rec = recs[0]
		}
	}
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	when := func(t time.Time) string { return locale.Of("DE").When(t, berlin) }
	item := regexp.MustCompile(`(?s)<li id="purge-` + rec.ID + `">(.*?)</li>`)
	retention := func() string {
		t.Helper()
		resp, page := f.page("GET", "/guests/"+res.GuestID, nil)
		m := item.FindStringSubmatch(page)
		if resp.StatusCode != 200 || !strings.Contains(page, `id="registration-purges"`) || m == nil {
			t.Fatalf("guest page: %d, no retention line for the record\n%s", resp.StatusCode, page)
		}
		return m[1]
	}

	photoDue := "to be purged on <strong>" + when(rec.CreatedAt.Add(30*24*time.Hour)) + "</strong>"
	if line := retention(); !strings.Contains(line, "kept until the guest is anonymised: this property sets no retention period") || !strings.Contains(line, photoDue) {
		t.Fatalf("without a registration retention (photo due %q):\n%s", photoDue, line)
	}

	if resp, _ := f.page("POST", "/settings/records-of-processing/retention", url.Values{"property_id": {f.prop.ID}, "anonymise_after_years": {"0"},
		"registration_months": {"15"}, "idempotency_key": {"reg15"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set retention: %d", resp.StatusCode)
	}
	regDue := "to be purged on <strong>" + when(rec.CreatedAt.AddDate(0, 15, 0)) + "</strong>, 15 months after check-out"
	if line := retention(); !strings.Contains(line, regDue) || !strings.Contains(line, photoDue) || !strings.Contains(line, "Registration form, stay ") {
		t.Fatalf("with 15 months (want %q and %q):\n%s", regDue, photoDue, line)
	}

	h.clock.Advance(16 * 31 * 24 * time.Hour)
	db = h.acquire("alpha")
	purged, err := guestdata.New(db).PurgeRegistrations(ctx)
	db.Release()
	if err != nil || len(purged.Records) != 1 || purged.Records[0] != rec.ID {
		t.Fatalf("purge: %+v %v", purged, err)
	}
	f.signIn() // sixteen months later the session has expired
	line := retention()
	if !strings.Contains(line, "purged on "+when(h.clock.Now())+", 15 months after check-out") || strings.Contains(line, "to be purged") {
		t.Fatalf("after the purge (at %s):\n%s", when(h.clock.Now()), line)
	}
	_, page := f.page("GET", "/guests/"+res.GuestID, nil)
	if !strings.Contains(page, "The registration data was purged on "+when(h.clock.Now())) || strings.Contains(page, "R07X00Q11") || strings.Contains(page, "This guest&#39;s data was erased") {
		t.Fatal("the check-in record does not say its registration data was purged")
	}
}
