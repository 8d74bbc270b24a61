package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// upload is a multipart form: its fields and its files by field name.
func upload(t testing.TB, fields url.Values, files map[string][][]byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, list := range files {
		for i, data := range list {
			w, err := mw.CreateFormFile(k, fmt.Sprintf("IMG_%04d.jpg", i))
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// uploadPage posts a multipart form with the owner's session.
func (f *pmsFixture) uploadPage(path string, fields url.Values, files map[string][][]byte) (*http.Response, string) {
	body, ct := upload(f.h.t, fields, files)
	return f.h.do(req{method: "POST", path: "/" + f.t.Slug + path, raw: body, contentType: ct, cookies: []*http.Cookie{f.session}})
}

func (f *pmsFixture) reservation(t *testing.T, id string) stays.Reservation {
	t.Helper()
	resp, body := f.api("GET", "/reservations/"+id, "")
	if resp.StatusCode != 200 {
		t.Fatalf("get reservation: %d %s", resp.StatusCode, body)
	}
	return decode[stays.Reservation](t, body)
}

// propertyToday reads the property's business date as it is now.
func (f *pmsFixture) propertyToday(t *testing.T) date.Date {
	t.Helper()
	var today date.Date
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		var err error
		if today, err = inventory.New(db).PropertyToday(ctx, f.prop.ID); err != nil {
			t.Fatal(err)
		}
	})
	return today
}

func (f *pmsFixture) room(t *testing.T, id string) inventory.Room {
	t.Helper()
	resp, body := f.api("GET", "/rooms/"+id, "")
	if resp.StatusCode != 200 {
		t.Fatalf("get room: %d %s", resp.StatusCode, body)
	}
	return decode[inventory.Room](t, body)
}

var photoLink = regexp.MustCompile(`/alpha/id-photos/(idp_[a-z0-9]+)`)

// TestFrontDeskDayPages walks a front-desk day through the pages: the
// lists, a check-in refused for a bad upload (nothing written) and then
// taken with an ID photo, the photo served privately, a room move, an
// extension and an early departure, check-out marking the room dirty, the
// board marking it clean, the retention purge visible on the guest page
// and over HTTP, and the night audit page.
func TestFrontDeskDayPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3).signIn()
	t.Run("Settings", func(t *testing.T) {
		v := url.Values{"property_id": {f.prop.ID}, "version": {fmt.Sprint(f.prop.Version)}, "name": {"Hotel Am See"}, "time_zone": {"Europe/Berlin"},
			"currency": {"EUR"}, "check_in_time": {"15:00"}, "check_out_time": {"11:00"}, "address_country": {"DE"},
			"night_audit_time": {"13:00"}, "id_photo_retention_days": {"-1"}}
		resp, body := f.page("POST", "/settings/property", v)
		if resp.StatusCode != http.StatusBadRequest || !regexp.MustCompile(`(?s)f-night_audit_time.*before 12:00`).MatchString(body) ||
			!regexp.MustCompile(`(?s)f-id_photo_retention_days.*0 to 3650 days`).MatchString(body) {
			t.Fatalf("bad front desk settings: %d\n%s", resp.StatusCode, body)
		}
		v.Set("night_audit_time", "02:30")
		v.Set("id_photo_retention_days", "20")
		v.Set("purge_document_numbers", "on")
		if resp, _ := f.page("POST", "/settings/property", v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		_, body = f.api("GET", "/properties/"+f.prop.ID, "")
		if p := decode[inventory.Property](t, body); p.FrontDesk != (inventory.FrontDeskSettings{IDPhotoRetentionDays: 20, PurgeDocumentNumbers: true, NightAuditTime: "02:30"}) {
			t.Fatalf("front desk settings %+v", p.FrontDesk)
		}
	})
	// The settings moved the night audit to 02:30: between 02:30 and 03:00
	// in Berlin that moves the business date, so the booking below takes
	// the date the property has now.
	f.today = f.propertyToday(t)
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Tilda", f.today, f.today.AddDays(3)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	res := decode[stays.Booking](t, body).Reservations[0]
	id := res.ID

	resp, body = f.page("GET", "/frontdesk", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Tilda Tester") || !strings.Contains(body, "/alpha/reservations/"+id+"/check-in") {
		t.Fatalf("front desk: %d, arrival with its check-in link missing\n%s", resp.StatusCode, body)
	}
	resp, body = f.page("GET", "/reservations/"+id+"/check-in", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, `name="g0_photos"`) {
		t.Fatalf("check-in page: %d\n%s", resp.StatusCode, body)
	}
	form := url.Values{"version": {"1"}, "room_id": {f.rooms[0].ID}, "g0_doc_type": {"passport"}, "g0_doc_number": {"C01X00T47"}, "g0_doc_country": {"DE"}}

	t.Run("BadUploadWritesNothing", func(t *testing.T) {
		resp, body := f.uploadPage("/reservations/"+id+"/check-in", form, map[string][][]byte{"g0_photos": {[]byte("this is a text file, not a photo")}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "must be a JPEG, PNG or HEIC image") || !strings.Contains(body, `id="f-g0_photos"`) {
			t.Fatalf("text as photo: %d\n%s", resp.StatusCode, body)
		}
		bad := url.Values{"version": {"1"}, "room_id": {f.rooms[0].ID}, "g0_doc_type": {"passport"}, "g0_doc_country": {"DE"}}
		resp, body = f.uploadPage("/reservations/"+id+"/check-in", bad, nil)
		if resp.StatusCode != http.StatusBadRequest || !regexp.MustCompile(`(?s)f-g0_doc_number.*is required for a document`).MatchString(body) {
			t.Fatalf("no document number: %d\n%s", resp.StatusCode, body)
		}
		if r := f.reservation(t, id); r.Status != stays.ReservationConfirmed || r.Version != 1 {
			t.Fatalf("a refused check-in changed the reservation: %s v%d", r.Status, r.Version)
		}
	})

	jpg := auratest.JPEG(t, 24, 16)
	// The second adult is a companion not on file yet: a new guest profile.
	for k, v := range map[string]string{"g1_given_name": "Theo", "g1_family_name": "Tester", "g1_doc_type": "id_card", "g1_doc_number": "T22000129", "g1_doc_country": "AT"} {
		form.Set(k, v)
	}
	resp, body = f.uploadPage("/reservations/"+id+"/check-in", form, map[string][][]byte{"g0_photos": {jpg}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/frontdesk" {
		t.Fatalf("check-in: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if r := f.reservation(t, id); r.Status != stays.ReservationInHouse || r.RoomID != f.rooms[0].ID {
		t.Fatalf("after check-in: %s room %s", r.Status, r.RoomID)
	}
	if _, body := f.page("GET", "/reservations/"+id, nil); !regexp.MustCompile(`(?s)Theo Tester.*Companion.*T22000129`).MatchString(body) {
		t.Fatalf("the reservation page lacks the companion's check-in record\n%s", body)
	}

	var photoID string
	t.Run("GuestPageAndPhoto", func(t *testing.T) {
		resp, body := f.page("GET", "/guests/"+res.GuestID, nil)
		m := photoLink.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil || !strings.Contains(body, "C01X00T47") || !strings.Contains(body, "Passport") {
			t.Fatalf("guest page: %d, check-in record missing\n%s", resp.StatusCode, body)
		}
		photoID = m[1]
		resp, body = f.page("GET", "/id-photos/"+photoID, nil)
		if resp.StatusCode != 200 || body != string(jpg) || resp.Header.Get("Content-Type") != "image/jpeg" ||
			resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("photo: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
		}
		// A second photo added afterwards, from the guest page.
		resp, _ = f.uploadPage("/check-ins/"+mustRecord(t, f, res.GuestID)+"/photos", url.Values{"back": {"/alpha/guests/" + res.GuestID}}, map[string][][]byte{"photos": {auratest.PNG(t, 24, 16)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/guests/"+res.GuestID {
			t.Fatalf("add photo: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = f.page("GET", "/guests/"+res.GuestID, nil)
		links := len(photoLink.FindAllString(body, -1))
		if links < 4 {
			t.Fatalf("the added photo is not on the guest page\n%s", body)
		}
		// A good photo beside a bad one: neither is added, the flash says which.
		resp, _ = f.uploadPage("/check-ins/"+mustRecord(t, f, res.GuestID)+"/photos", url.Values{"back": {"/alpha/guests/" + res.GuestID}},
			map[string][][]byte{"photos": {auratest.JPEG(t, 8, 8), []byte("not an image")}})
		flash := cookieNamed(resp, "aura_flash")
		if flash == nil {
			t.Fatal("a mixed upload set no message")
		}
		_, body = f.h.do(req{path: "/alpha/guests/" + res.GuestID, cookies: []*http.Cookie{f.session, flash}})
		if resp.StatusCode != http.StatusSeeOther || len(photoLink.FindAllString(body, -1)) != links ||
			!strings.Contains(body, "Photo 2 must be a JPEG, PNG or HEIC image. No photo was added.") {
			t.Fatalf("a mixed upload: %d, %d photo links (were %d)\n%s", resp.StatusCode, len(photoLink.FindAllString(body, -1)), links, body)
		}
	})

	t.Run("MoveExtendDepartEarly", func(t *testing.T) {
		resp, body := f.page("GET", "/reservations/"+id, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "/reservations/"+id+"/extend") || !strings.Contains(body, "/reservations/"+id+"/depart-early") {
			t.Fatalf("reservation page lacks the in-house forms: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = f.page("POST", "/reservations/"+id+"/assign", url.Values{"version": {"2"}, "room_id": {f.rooms[1].ID}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d", resp.StatusCode)
		}
		if got := f.room(t, f.rooms[0].ID).Housekeeping; got != inventory.HousekeepingDirty {
			t.Fatalf("the room moved out of is %s, want dirty", got)
		}
		r := f.reservation(t, id)
		resp, body = f.page("POST", "/reservations/"+id+"/extend", url.Values{"version": {fmt.Sprint(r.Version)}, "extend_departure": {"soon"}})
		if resp.StatusCode != http.StatusBadRequest || !regexp.MustCompile(`(?s)f-extend_departure.*field-error`).MatchString(body) {
			t.Fatalf("bad extension date: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = f.page("POST", "/reservations/"+id+"/extend", url.Values{"version": {fmt.Sprint(r.Version)}, "extend_departure": {f.today.AddDays(5).String()}})
		if r = f.reservation(t, id); resp.StatusCode != http.StatusSeeOther || r.Departure != f.today.AddDays(5) {
			t.Fatalf("extend: %d, departure %s", resp.StatusCode, r.Departure)
		}
		resp, _ = f.page("POST", "/reservations/"+id+"/depart-early", url.Values{"version": {fmt.Sprint(r.Version)}, "early_departure": {f.today.AddDays(2).String()}})
		if r = f.reservation(t, id); resp.StatusCode != http.StatusSeeOther || r.Departure != f.today.AddDays(2) || len(r.Nights) != 2 {
			t.Fatalf("depart early: %d, departure %s", resp.StatusCode, r.Departure)
		}
		resp, _ = f.page("POST", "/reservations/"+id+"/depart-early", url.Values{"version": {"1"}, "early_departure": {f.today.AddDays(1).String()}})
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale depart early: %d, want 412", resp.StatusCode)
		}
	})

	t.Run("CheckOutAndBoard", func(t *testing.T) {
		// The guest leaves the next day, a night early.
		h.clock.Advance(24 * time.Hour)
		f.signIn()
		resp, body := f.page("GET", "/reservations/"+id+"/check-out", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "Early departure") {
			t.Fatalf("check-out page: %d\n%s", resp.StatusCode, body)
		}
		r := f.reservation(t, id)
		resp, _ = f.page("POST", "/reservations/"+id+"/check-out", url.Values{"version": {fmt.Sprint(r.Version)}})
		if resp.StatusCode != http.StatusSeeOther || f.reservation(t, id).Status != stays.ReservationCheckedOut {
			t.Fatalf("check-out: %d", resp.StatusCode)
		}
		rm := f.room(t, f.rooms[1].ID)
		if rm.Housekeeping != inventory.HousekeepingDirty {
			t.Fatalf("room left is %s, want dirty", rm.Housekeeping)
		}
		resp, body = f.page("GET", "/housekeeping", nil)
		card := regexp.MustCompile(`(?s)<li class="[^"]*" id="room-` + rm.ID + `".*?</li>`).FindString(body)
		if resp.StatusCode != 200 || !strings.Contains(card, "hk-card-dirty") || !strings.Contains(card, "Departed") {
			t.Fatalf("board: %d, card %q", resp.StatusCode, card)
		}
		resp, _ = f.page("POST", "/rooms/"+rm.ID+"/housekeeping", url.Values{"condition": {"clean"}, "version": {fmt.Sprint(rm.Version)}, "back": {"/alpha/housekeeping?show=todo"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/housekeeping?show=todo#room-"+rm.ID {
			t.Fatalf("mark clean: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := f.room(t, rm.ID).Housekeeping; got != inventory.HousekeepingClean {
			t.Fatalf("room is %s after marking clean", got)
		}
		// The stale version of a second tap changes nothing.
		f.page("POST", "/rooms/"+rm.ID+"/housekeeping", url.Values{"condition": {"dirty"}, "version": {fmt.Sprint(rm.Version)}})
		if got := f.room(t, rm.ID).Housekeeping; got != inventory.HousekeepingClean {
			t.Fatalf("a stale tap made the room %s", got)
		}
		resp, _ = f.page("POST", "/rooms/"+rm.ID+"/housekeeping", url.Values{"condition": {"sparkling"}, "version": {fmt.Sprint(rm.Version + 1)}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unknown condition: %d", resp.StatusCode)
		}
	})

	t.Run("PurgeVisible", func(t *testing.T) {
		// The window is 20 days after check-out, document numbers included.
		h.clock.Advance(21 * 24 * time.Hour)
		f.signIn()
		db := h.acquire("alpha")
		purged, err := frontdesk.New(db).PurgeIDPhotos(context.Background())
		rows, aerr := db.AuditLog(context.Background(), audit.Filter{Action: "checkin_record.purged"})
		db.Release()
		if err != nil || aerr != nil || purged.Photos != 2 || purged.Records != 2 || purged.Numbers != 2 || len(rows) != 2 {
			t.Fatalf("purge: %+v %v; audit rows %d %v", purged, err, len(rows), aerr)
		}
		resp, body := f.page("GET", "/id-photos/"+photoID, nil)
		if resp.StatusCode != http.StatusGone || !strings.Contains(body, "was purged on") {
			t.Fatalf("purged photo: %d\n%s", resp.StatusCode, body)
		}
		_, body = f.page("GET", "/guests/"+res.GuestID, nil)
		if strings.Count(body, "Photo purged") != 2 || !strings.Contains(body, "the retention window passed") || photoLink.MatchString(body) ||
			strings.Contains(body, "C01X00T47") || !strings.Contains(body, `class="purged"`) {
			t.Fatalf("guest page after the purge\n%s", body)
		}
	})

	t.Run("NightAudit", func(t *testing.T) {
		resp, body := f.page("GET", "/night-audit", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "Run the night audit now") {
			t.Fatalf("night audit page: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = f.page("POST", "/night-audit", url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("run: %d", resp.StatusCode)
		}
		_, body = f.page("GET", "/night-audit", nil)
		if !strings.Contains(body, "caught up") {
			t.Fatalf("the history does not show the dates caught up\n%s", body)
		}
	})
}

// mustRecord returns the id of a guest's only check-in record.
func mustRecord(t *testing.T, f *pmsFixture, guestID string) string {
	t.Helper()
	db := f.h.acquire(f.t.Slug)
	defer db.Release()
	recs, err := stays.New(db).GuestCheckIns(context.Background(), guestID)
	if err != nil || len(recs) != 1 {
		t.Fatalf("check-in records: %d %v", len(recs), err)
	}
	return recs[0].ID
}

// TestCheckInUploadTooLarge: a check-in body over the upload limit is a
// 413 with a message, and the reservation is unchanged.
func TestCheckInUploadTooLarge(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Tilda", f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	id := decode[stays.Booking](t, body).Reservations[0].ID
	big := append(auratest.JPEG(t, 24, 16), make([]byte, 49<<20)...)
	resp, body = f.uploadPage("/reservations/"+id+"/check-in", url.Values{"version": {"1"}, "room_id": {f.rooms[0].ID}}, map[string][][]byte{"g0_photos": {big}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than") {
		t.Fatalf("huge upload: %d\n%.500s", resp.StatusCode, body)
	}
	if r := f.reservation(t, id); r.Status != stays.ReservationConfirmed {
		t.Fatalf("after a refused upload the reservation is %s", r.Status)
	}
	// Without a document: the issuing country prefilled from the guest's
	// nationality does not make one.
	resp, body = f.uploadPage("/reservations/"+id+"/check-in", url.Values{"version": {"1"}, "room_id": {f.rooms[0].ID}, "g0_doc_country": {"DE"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || f.reservation(t, id).Status != stays.ReservationInHouse {
		t.Fatalf("check-in without a document: %d\n%s", resp.StatusCode, body)
	}
	// A form too large for a route without uploads is refused at 1 MiB.
	resp, _ = f.page("POST", "/reservations/"+id+"/stay", url.Values{"notes": {strings.Repeat("x", 2<<20)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB form on a form route: %d", resp.StatusCode)
	}
}

// TestHousekeepingRoleBoard: a housekeeping user lands on the board, sees
// nothing else in the navigation, can mark rooms, and gets 403 on the
// front desk pages and ID photos.
func TestHousekeepingRoleBoard(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2)
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	if _, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "hanna@alpha.example", Name: "Hanna", Role: identity.RoleHousekeeping, Password: ownerPassword}); err != nil {
		t.Fatal(err)
	}
	db.Release()
	session := h.login("alpha", "hanna@alpha.example", ownerPassword)
	get := func(path string) (*http.Response, string) {
		return h.do(req{path: path, cookies: []*http.Cookie{session}})
	}
	if resp, _ := get("/alpha/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/housekeeping" {
		t.Fatalf("home: %d %s, want the board", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get("/alpha/housekeeping")
	if resp.StatusCode != 200 || !strings.Contains(body, `id="room-`+f.rooms[0].ID+`"`) {
		t.Fatalf("board: %d\n%s", resp.StatusCode, body)
	}
	nav := regexp.MustCompile(`(?s)<nav id="nav" class="sidenav".*?</nav>`).FindString(body)
	for _, other := range []string{"/alpha/frontdesk", "/alpha/reservations", "/alpha/guests", "/alpha/calendar", `href="/alpha/"`} {
		if strings.Contains(nav, other) {
			t.Errorf("the housekeeping navigation offers %s", other)
		}
	}
	for _, path := range []string{"/alpha/frontdesk", "/alpha/night-audit", "/alpha/reservations/res_aaaaaaaaaaaaaaaa/check-in", "/alpha/id-photos/idp_aaaaaaaaaaaaaaaa"} {
		if resp, _ := get(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("housekeeping GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
	resp, _ = h.do(req{method: "POST", path: "/alpha/rooms/" + f.rooms[0].ID + "/housekeeping", cookies: []*http.Cookie{session},
		form: url.Values{"condition": {"dirty"}, "version": {fmt.Sprint(f.rooms[0].Version)}}})
	if resp.StatusCode != http.StatusSeeOther || f.room(t, f.rooms[0].ID).Housekeeping != inventory.HousekeepingDirty {
		t.Fatalf("housekeeping marks a room dirty: %d", resp.StatusCode)
	}
}
