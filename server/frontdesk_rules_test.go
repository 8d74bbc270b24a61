package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// store runs fn on the fixture's tenant as its owner.
func (f *pmsFixture) store(t *testing.T, fn func(ctx context.Context, db *tenant.DB)) {
	t.Helper()
	db := f.h.acquire(f.t.Slug)
	defer db.Release()
	fn(aura.WithActor(context.Background(), f.owner.Actor()), db)
}

// importStay books a stay for a named guest, imported in a status with a
// room (-1: none), through the store.
func (f *pmsFixture) importStay(t *testing.T, given, family, status string, arrival, departure date.Date, room int) stays.Reservation {
	t.Helper()
	var r stays.Reservation
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		in := stays.BookingInput{PropertyID: f.prop.ID, Source: stays.SourceDirect, Import: true, Status: status,
			Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: given, FamilyName: family}},
			Reservations: []stays.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Arrival: arrival, Departure: departure, Adults: 1}}}
		if room >= 0 {
			in.Reservations[0].RoomID = f.rooms[room].ID
		}
		b, err := stays.New(db).CreateBooking(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		r = b.Reservations[0]
	})
	return r
}

func (f *pmsFixture) setCondition(t *testing.T, room int, condition string) {
	t.Helper()
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		rm, err := inventory.New(db).GetRoom(ctx, f.rooms[room].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inventory.New(db).SetHousekeeping(ctx, rm.ID, condition, rm.Version); err != nil {
			t.Fatal(err)
		}
	})
}

var selectedRoom = regexp.MustCompile(`<option value="(rom_[a-z0-9]+)" selected>`)

// TestCheckInFormRooms checks the check-in form's room: it pre-selects
// only a room that is free and clean (not the assigned room while the
// guest before is still in it, not a dirty one), says why when none is,
// shows the store's refusal at the room field in words, and checks the
// guest before out in the same step when the operator confirms they left.
func TestCheckInFormRooms(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3).signIn()
	leaving := f.importStay(t, "Robert", "Schumann", stays.ReservationInHouse, f.today.AddDays(-2), f.today, 0)
	arriving := f.importStay(t, "Johannes", "Brahms", stays.ReservationConfirmed, f.today, f.today.AddDays(2), 0)
	f.setCondition(t, 1, inventory.HousekeepingDirty)
	path := "/reservations/" + arriving.ID + "/check-in"

	t.Run("OK/PreselectsFreeAndClean", func(t *testing.T) {
		resp, body := f.page("GET", path, nil)
		m := selectedRoom.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil || m[1] != f.rooms[2].ID {
			t.Fatalf("check-in form: %d, selected %v, want room 103\n%s", resp.StatusCode, m, body)
		}
		for _, want := range []string{"101 · floor 1 · is occupied by Robert Schumann (departing today, not checked out yet) (assigned)",
			"Robert Schumann has left: check them out now", `value="` + leaving.ID + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form does not show %q", want)
			}
		}
	})

	t.Run("OK/SaysWhyNoneIsChosen", func(t *testing.T) {
		f.setCondition(t, 2, inventory.HousekeepingDirty)
		defer f.setCondition(t, 2, inventory.HousekeepingClean)
		_, body := f.page("GET", path, nil)
		if m := selectedRoom.FindStringSubmatch(body); m != nil {
			t.Fatalf("a room is pre-selected though none is free and clean: %v", m)
		}
		for _, want := range []string{"No room of this type is both free and clean", "room 101 is occupied by Robert Schumann",
			"room 102 is dirty", "room 103 is dirty", `<option value="">Choose a room</option>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form does not say %q", want)
			}
		}
	})

	t.Run("ErrOccupiedShownAtTheRoom", func(t *testing.T) {
		resp, body := f.uploadPage(path, url.Values{"version": {strconv.Itoa(arriving.Version)}, "room_id": {f.rooms[0].ID}}, nil)
		if resp.StatusCode != http.StatusConflict ||
			!regexp.MustCompile(`(?s)f-room_id.*field-error">Room is occupied by Robert Schumann; free: 102, 103`).MatchString(body) ||
			!strings.Contains(body, "Room 101 is occupied: Robert Schumann is in house there (departing today) and has not checked out.") {
			t.Fatalf("check-in into the occupied room: %d\n%s", resp.StatusCode, body)
		}
		if strings.Contains(body, "res_") && regexp.MustCompile(`class="[^"]*(banner|field-error)[^"]*">[^<]*res_`).MatchString(body) {
			t.Fatal("the refusal names an internal id")
		}
		if r := f.reservation(t, arriving.ID); r.Status != stays.ReservationConfirmed {
			t.Fatalf("refused check-in left the arrival %s", r.Status)
		}
	})

	t.Run("OK/CheckOutConfirmedInTheSameStep", func(t *testing.T) {
		resp, body := f.uploadPage(path, url.Values{"version": {strconv.Itoa(arriving.Version)}, "room_id": {f.rooms[0].ID},
			"check_out_occupant": {leaving.ID}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("check-in with the check-out confirmed: %d\n%s", resp.StatusCode, body)
		}
		if r := f.reservation(t, leaving.ID); r.Status != stays.ReservationCheckedOut {
			t.Fatalf("the guest before is %s", r.Status)
		}
		if r := f.reservation(t, arriving.ID); r.Status != stays.ReservationInHouse || r.RoomID != f.rooms[0].ID {
			t.Fatalf("the arrival is %s in %s", r.Status, r.RoomID)
		}
	})
}

// TestOneBusinessDatePages checks that after midnight, before the night
// audit closes the day, every page's "today" is the business date: the
// top bar shows it once with the calendar date beside it, and the
// dashboard, the front desk and the housekeeping board list that day's
// arrivals, not the calendar day's.
func TestOneBusinessDatePages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3)
	loc, _ := time.LoadLocation("Europe/Berlin")
	// The next 01:30 in Berlin: the calendar has turned, the business date not.
	now := h.clock.Now().In(loc)
	target := time.Date(now.Year(), now.Month(), now.Day(), 1, 30, 0, 0, loc)
	for !target.After(now) {
		target = target.AddDate(0, 0, 1)
	}
	calendar := date.Of(target, loc)
	business := calendar.AddDays(-1)
	f.importStay(t, "Business", "Day", stays.ReservationConfirmed, business, business.AddDays(2), 0)
	f.importStay(t, "Calendar", "Day", stays.ReservationConfirmed, calendar, calendar.AddDays(2), 1)
	h.clock.Advance(target.Sub(h.clock.Now()))
	f.signIn()
	words := func(d date.Date) string { return d.Midnight(time.UTC).Format("Mon 2 Jan 2006") }

	_, body := f.page("GET", "/", nil)
	if !strings.Contains(body, "<strong>"+words(business)+"</strong> <span class=\"calendar-date\">(calendar "+words(calendar)) {
		t.Fatalf("the top bar does not show business date %s with calendar %s\n%s", business, calendar, body)
	}
	if !regexp.MustCompile(`Arrivals today</span><span class="tile-value">1<`).MatchString(body) || !strings.Contains(body, "Hotel Am See · "+words(business)) {
		t.Fatalf("the dashboard's today is not the business date\n%s", body)
	}
	_, body = f.page("GET", "/frontdesk", nil)
	if !strings.Contains(body, "Business Day") || strings.Contains(body, "Calendar Day") {
		t.Fatalf("the front desk lists the calendar day's arrivals\n%s", body)
	}
	_, body = f.page("GET", "/housekeeping", nil)
	if !strings.Contains(body, words(business)) {
		t.Fatalf("the housekeeping board is not of the business date\n%s", body)
	}
}

// TestOverbookingResolvedPages checks that once an overbooked stay has a
// room, its page and the dashboard stop calling it overbooked, and the
// dashboard still shows the room type sold beyond its rooms.
func TestOverbookingResolvedPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	f.importStay(t, "Direct", "Guest", stays.ReservationConfirmed, f.today.AddDays(1), f.today.AddDays(3), -1)
	resp, body := f.api("POST", "/bookings", `{"property_id": "`+f.prop.ID+`", "source": "booking.com", "ota_code": "OB-1",
		"booker": {"new": {"given_name": "Otto", "family_name": "Channel"}},
		"reservations": [{"room_type_id": "`+f.rt.ID+`", "rate_plan_id": "`+f.plan.ID+`", "arrival": "`+f.today.AddDays(1).String()+`", "departure": "`+f.today.AddDays(2).String()+`", "adults": 1}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("channel booking: %d %s", resp.StatusCode, body)
	}
	ob := decode[stays.Booking](t, body).Reservations[0]
	if !ob.Overbooked {
		t.Fatal("not overbooked")
	}
	_, body = f.page("GET", "/", nil)
	if !strings.Contains(body, "Overbooked: 1 reservation needs a room") || !strings.Contains(body, "Sold beyond the rooms") {
		t.Fatalf("the dashboard does not show the overbooking\n%s", body)
	}
	resp, body = f.page("POST", "/reservations/"+ob.ID+"/assign", url.Values{"version": {strconv.Itoa(ob.Version)}, "room_id": {f.rooms[0].ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%s", resp.StatusCode, body)
	}
	_, body = f.page("GET", "/reservations/"+ob.ID, nil)
	if strings.Contains(body, "alert-over") || strings.Contains(body, "st-overbooked") {
		t.Fatalf("the reservation page still says overbooked next to its room\n%s", body)
	}
	_, body = f.page("GET", "/", nil)
	if strings.Contains(body, `id="dash-ob"`) || !strings.Contains(body, "<strong>Double</strong>: 1 room short") {
		t.Fatalf("the dashboard disagrees with the reservation\n%s", body)
	}
}

// TestFormErrorsForPeople checks that a refused form says what to fix: the
// banner lists each problem as a sentence naming its field, and the field
// that has no input of its own (the rate) shows a message that names it,
// never a bare "is required".
func TestFormErrorsForPeople(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	v := url.Values{"property_id": {f.prop.ID}, "room_type_id": {f.rt.ID}, "arrival": {f.today.AddDays(3).String()},
		"departure": {f.today.AddDays(2).String()}, "adults": {"2"}, "children": {"0"}, "guest_mode": {"new"},
		"given_name": {"Ida"}, "family_name": {"Pfeiffer"}, "source": {"direct"}, "status": {"confirmed"},
		"intent": {"create"}, "idempotency_key": {"form-errors"}}
	resp, body := f.page("POST", "/reservations", v)
	body = html.UnescapeString(body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad form: %d\n%s", resp.StatusCode, body)
	}
	banner := regexp.MustCompile(`(?s)class="alert alert-error" role="alert">([^<]*)<`).FindStringSubmatch(body)
	if banner == nil || !strings.Contains(banner[1], "Rate plan is required") || !strings.Contains(banner[1], "Departure must be after the arrival") {
		t.Fatalf("the banner does not say what to fix: %v", banner)
	}
	if strings.Contains(body, `field-error">is required`) || !strings.Contains(body, `field-error">Rate plan is required`) {
		t.Fatalf("a field error without its field's name\n%s", body)
	}
}

// TestAPIFindings covers what trying the API found: a partial front_desk
// object on a new property keeps the documented defaults; an impossible
// date is a bad value named by its field, not bad JSON; the night audit
// before its first run gives the business date every list uses and a
// last_closed of null, which the OpenAPI document allows; the ID-photo
// purge runs on demand, and a changed retention window applies at once.
func TestAPIFindings(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()

	t.Run("OK/PartialFrontDeskKeepsDefaults", func(t *testing.T) {
		resp, body := f.api("POST", "/properties", `{"name": "Annex", "time_zone": "Europe/Berlin", "currency": "EUR", "front_desk": {"night_audit_time": "02:00"}}`)
		p := decode[inventory.Property](t, body)
		if resp.StatusCode != 201 || p.FrontDesk != (inventory.FrontDeskSettings{IDPhotoRetentionDays: 30, NightAuditTime: "02:00"}) {
			t.Fatalf("create with a partial front_desk: %d %+v", resp.StatusCode, p.FrontDesk)
		}
	})

	t.Run("ErrImpossibleDate", func(t *testing.T) {
		body := strings.Replace(f.bookingJSON("Ida", f.today.AddDays(5), f.today.AddDays(7)), `"arrival": "`+f.today.AddDays(5).String()+`"`, `"arrival": "2027-02-30"`, 1)
		resp, out := f.api("POST", "/bookings", body)
		p := decode[web.Problem](t, out)
		if resp.StatusCode/100 != 4 || strings.Contains(p.Detail, "not valid JSON") || !strings.Contains(p.Detail, `"reservations.arrival" is not a day of the calendar: "2027-02-30"`) {
			t.Fatalf("impossible date: %d %s", resp.StatusCode, out)
		}
	})

	t.Run("OK/NightAuditBeforeTheFirstRun", func(t *testing.T) {
		resp, body := f.api("GET", "/night-audit?property_id="+f.prop.ID, "")
		raw := decode[map[string]json.RawMessage](t, body)
		if day := decode[map[string]any](t, string(raw["business_day"])); resp.StatusCode != 200 || day["last_closed"] != nil || !strings.Contains(string(raw["business_day"]), `"last_closed"`) {
			t.Fatalf("night audit before the first run: %d %s", resp.StatusCode, body)
		}
		st := decode[struct {
			BusinessDay frontdesk.BusinessDay `json:"business_day"`
		}](t, body)
		if st.BusinessDay.Date != f.today {
			t.Fatalf("business date %s before the first run, want %s (the lists' today)", st.BusinessDay.Date, f.today)
		}
		_, doc := f.api("GET", "/openapi.json", "")
		var oa struct {
			Components struct {
				Schemas map[string]struct {
					Properties map[string]struct {
						Type any `json:"type"`
					} `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal([]byte(doc), &oa); err != nil {
			t.Fatal(err)
		}
		if typ := fmt.Sprint(oa.Components.Schemas["BusinessDay"].Properties["last_closed"].Type); typ != "[string null]" {
			t.Fatalf("the OpenAPI document gives last_closed the type %s, which does not allow null", typ)
		}
	})

	t.Run("OK/PurgeOnDemand", func(t *testing.T) {
		r := f.importStay(t, "Photo", "Guest", stays.ReservationConfirmed, f.today, f.today.AddDays(1), 1)
		var photo string
		f.store(t, func(ctx context.Context, db *tenant.DB) {
			if _, err := stays.New(db).CheckIn(ctx, r.ID, stays.CheckInInput{Guests: []stays.GuestCheckIn{{Photos: [][]byte{auratest.JPEG(t, 8, 8)}}}}); err != nil {
				t.Fatal(err)
			}
			recs, err := stays.New(db).ReservationCheckIns(ctx, r.ID)
			if err != nil || len(recs) != 1 || len(recs[0].Photos) != 1 {
				t.Fatalf("records %+v %v", recs, err)
			}
			photo = recs[0].Photos[0].ID
		})
		resp, body := f.api("POST", "/id-photos/purge", "")
		if resp.StatusCode != 200 || decode[frontdesk.PurgeResult](t, body).Records != 0 {
			t.Fatalf("purge with nothing due: %d %s", resp.StatusCode, body)
		}
		if resp, _ := f.api("GET", "/id-photos/"+photo, ""); resp.StatusCode != 200 {
			t.Fatalf("the photo within its window: %d", resp.StatusCode)
		}
		// Shrinking the window to 0 days purges at once, not at the job's next hour.
		prop := decode[inventory.Property](t, func() string { _, b := f.api("GET", "/properties/"+f.prop.ID, ""); return b }())
		resp, body = f.api("PATCH", "/properties/"+f.prop.ID, `{"front_desk": {"id_photo_retention_days": 0}}`, "If-Match", strconv.Itoa(prop.Version))
		if resp.StatusCode != 200 {
			t.Fatalf("patch: %d %s", resp.StatusCode, body)
		}
		if resp, _ := f.api("GET", "/id-photos/"+photo, ""); resp.StatusCode != http.StatusGone {
			t.Fatalf("after the window shrank: %d, want 410", resp.StatusCode)
		}
		// The page's button runs it too (nothing left now) and says so.
		resp, _ = f.page("POST", "/settings/property/purge-id-photos", url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/settings/property" {
			t.Fatalf("purge from the page: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = f.h.do(req{path: "/alpha/settings/property", cookies: []*http.Cookie{f.session, cookieNamed(resp, "aura_flash")}})
		if !strings.Contains(body, "Nothing was due") || !strings.Contains(body, "Purge due ID photos now") {
			t.Fatalf("the settings page after a purge\n%s", body)
		}
	})
}

// TestErrorPagesKeepTheMenu checks that a signed-in user who reaches an
// unknown page or record gets the 404 inside the top bar and menu (the way
// on), while a visitor without a session gets the bare card; and that the
// top bar names the place once: the property, not the account beside it.
func TestErrorPagesKeepTheMenu(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	for _, path := range []string{"/no-such-page", "/reservations/res_nosuchreservation", "/guests/gst_nosuchguest"} {
		resp, body := f.page("GET", path, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `class="sidenav"`) || !strings.Contains(body, `href="/alpha/frontdesk"`) ||
			!strings.Contains(body, "Back to the dashboard") {
			t.Fatalf("%s: %d, the 404 lost the menu\n%s", path, resp.StatusCode, body)
		}
	}
	resp, body := h.do(req{path: "/alpha/no-such-page"})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, `class="sidenav"`) {
		t.Fatalf("anonymous 404: %d\n%s", resp.StatusCode, body)
	}
	_, body = f.page("GET", "/", nil)
	top := regexp.MustCompile(`(?s)<header class="topbar">.*?</header>`).FindString(body)
	if !strings.Contains(top, `<span class="property-name">Hotel Am See</span>`) || strings.Contains(top, `class="brand-name"`) {
		t.Fatalf("the top bar does not name the property once:\n%s", top)
	}
}

// TestTimesInThePropertyZone checks that the tenant's pages show instants
// in the property's zone, not UTC: the sessions and tokens lists.
func TestTimesInThePropertyZone(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	loc, _ := time.LoadLocation("Europe/Berlin")
	local := h.clock.Now().In(loc).Format("2 Jan 2006, 15:04")
	for _, path := range []string{"/sessions", "/tokens"} {
		_, body := f.page("GET", path, nil)
		if strings.Contains(body, " UTC") || !strings.Contains(body, local) {
			t.Fatalf("%s does not show %s (Berlin time)\n%s", path, local, body)
		}
	}
}

// visibleText is what a person reads on a page: the body without tags,
// scripts, styles and the raw audit entries (closed <details class="raw">).
func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<details class="raw">.*?</details>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<(script|style|head)[^>]*>.*?</(script|style|head)>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

// developerData finds what a person should never have to read: internal
// ids, ISO timestamps and dates, sealed values.
var developerData = regexp.MustCompile(`\b[a-z]{3}_[a-z0-9]{16}\b|\d{4}-\d\d-\d\dT\d\d:\d\d|\b\d{4}-\d\d-\d\d\b|sealed:v1:|[A-Za-z0-9+/]{40,}={0,2}`)

// TestHumanHistory checks the history panels and the audit page: each row
// says what happened to which stay or guest, by whom and when, the fields
// that changed by their labels (rooms by number, dates and money as the
// property writes them, the guest's sealed profile opened), no id, ISO
// time or ciphertext outside the raw entry, which stays one click away.
func TestHumanHistory(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3).signIn()
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Hanna", f.today, f.today.AddDays(2)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	res := decode[stays.Booking](t, body).Reservations[0]
	f.page("POST", "/reservations/"+res.ID+"/assign", url.Values{"version": {"1"}, "room_id": {f.rooms[0].ID}})
	if resp, body := f.uploadPage("/reservations/"+res.ID+"/check-in", url.Values{"version": {"2"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("check-in: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := f.page("POST", "/reservations/"+res.ID+"/assign", url.Values{"version": {"3"}, "room_id": {f.rooms[2].ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	g := decode[stays.Guest](t, func() string { _, b := f.api("GET", "/guests/"+res.GuestID, ""); return b }())
	if resp, body := f.api("PATCH", "/guests/"+g.ID, `{"email": "hanna@example.org"}`, "If-Match", strconv.Itoa(g.Version)); resp.StatusCode != 200 {
		t.Fatalf("guest update: %d %s", resp.StatusCode, body)
	}

	check := func(t *testing.T, path string, want ...string) string {
		t.Helper()
		_, body := f.page("GET", path, nil)
		i := strings.Index(body, `<ol class="history">`)
		if i < 0 {
			t.Fatalf("%s has no history\n%s", path, body)
		}
		hist := body[i : i+strings.Index(body[i:], "</ol>")]
		text := visibleText(hist)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the history does not say %q:\n%s", path, w, text)
			}
		}
		if m := developerData.FindString(text); m != "" {
			t.Errorf("%s: the history shows %q to people:\n%s", path, m, text)
		}
		if !strings.Contains(hist, `<details class="raw"><summary>Raw entry</summary>`) || !strings.Contains(hist, "reservation.checked_in") && path != "/guests/"+g.ID {
			t.Errorf("%s: the raw entry is not one click away", path)
		}
		return text
	}
	t.Run("OK/Reservation", func(t *testing.T) {
		check(t, "/reservations/"+res.ID, "Checked in · Hanna Tester’s stay", "Moved to another room", "Room: 101 → 103", "Room assigned",
			"Room: 101", "Booked", "Total: 200,00 €", "Source: Direct", "API token of Owner of alpha")
	})
	t.Run("OK/Guest", func(t *testing.T) {
		check(t, "/guests/"+g.ID, "Guest profile changed · Guest Hanna Tester", "Email: hanna@example.org", "Guest profile created", "Given name: Hanna")
	})
	t.Run("OK/AuditPage", func(t *testing.T) {
		check(t, "/audit", "Moved to another room · Hanna Tester’s stay", "Guest profile changed")
	})
	t.Run("OK/Dashboard", func(t *testing.T) {
		check(t, "/", "Guest profile changed")
	})
}

// TestTapeChartWithoutJS checks what the tape chart offers without
// JavaScript: each free night of a room is a link to the booking form for
// that room and night, a taken night is not, and the form books the room
// chosen; the bars carry what the chart's script needs to move them.
func TestTapeChartWithoutJS(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	taken := f.importStay(t, "Taken", "Room", stays.ReservationConfirmed, f.today.AddDays(1), f.today.AddDays(3), 0)
	_, body := f.page("GET", "/tapechart", nil)
	body = html.UnescapeString(body)
	night := f.today.AddDays(1).String()
	freeCell := regexp.MustCompile(`<a class="tape-cell free[^"]*" href="(/alpha/reservations/new\?[^"]*)" data-date="` + night + `" aria-label="Book room 102 for the night of`)
	m := freeCell.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("room 102's free night %s is no booking link\n%s", night, body)
	}
	if regexp.MustCompile(`href="[^"]*room=` + f.rooms[0].ID + `[^"]*arrival=` + night).MatchString(body) {
		t.Fatal("room 101's taken night links to booking it")
	}
	if !strings.Contains(body, `data-res="`+taken.ID+`" data-version="1"`) {
		t.Fatal("the bar does not carry its reservation and version")
	}
	u, _ := url.Parse(m[1])
	if u.Query().Get("room") != f.rooms[1].ID || u.Query().Get("departure") != f.today.AddDays(2).String() {
		t.Fatalf("the link books %s", m[1])
	}
	_, form := f.page("GET", strings.TrimPrefix(m[1], "/alpha"), nil)
	if !strings.Contains(form, `<input type="hidden" name="room_id" value="`+f.rooms[1].ID+`">`) {
		t.Fatalf("the booking form does not carry the room\n%s", form)
	}
	v := url.Values{"property_id": {f.prop.ID}, "room_type_id": {f.rt.ID}, "rate_plan_id": {f.plan.ID}, "room_id": {f.rooms[1].ID},
		"arrival": {night}, "departure": {f.today.AddDays(2).String()}, "adults": {"1"}, "children": {"0"}, "guest_mode": {"new"},
		"given_name": {"Nia"}, "family_name": {"Chart"}, "source": {"direct"}, "status": {"confirmed"}, "intent": {"create"}, "idempotency_key": {"chart-1"}}
	resp, _ := f.page("POST", "/reservations", v)
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/alpha/reservations/")
	if resp.StatusCode != http.StatusSeeOther || f.reservation(t, id).RoomID != f.rooms[1].ID {
		t.Fatalf("booking room 102 from the chart: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestPrintPages checks the printed documents over HTTP: the registration
// card in the layout of the property's country (Germany: the Meldeschein
// with its legal basis, bilingual labels, the ID document and a signature
// line) or the one the settings name; the day's lists; a list that does
// not exist is a 400 naming the choices; the police list needs the right
// to see ID documents.
func TestPrintPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	r := f.importStay(t, "Paul", "Print", stays.ReservationConfirmed, f.today, f.today.AddDays(2), 0)
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		if _, err := stays.New(db).CheckIn(ctx, r.ID, stays.CheckInInput{Guests: []stays.GuestCheckIn{{Document: stays.IDDocument{Type: stays.DocumentPassport,
			Number: "P4711X", IssuingCountry: "FR"}}}}); err != nil {
			t.Fatal(err)
		}
	})
	_, body := f.page("GET", "/reservations/"+r.ID+"/registration-card", nil)
	body = html.UnescapeString(body)
	for _, want := range []string{"Meldeschein / Registration form", "§ 30 Bundesmeldegesetz", "Familienname / Family name", "Print", "P4711X",
		"Unterschrift des Gastes / Signature of the guest", `class="print-main"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the registration card does not show %q", want)
		}
	}
	if strings.Contains(body, `class="sidenav"`) {
		t.Error("the registration card carries the menu")
	}
	// The settings choose another country's layout.
	_, pj := f.api("GET", "/properties/"+f.prop.ID, "")
	prop := decode[inventory.Property](t, pj)
	if resp, b := f.api("PATCH", "/properties/"+f.prop.ID, `{"front_desk": {"registration_card": "it"}}`, "If-Match", strconv.Itoa(prop.Version)); resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	if _, body := f.page("GET", "/reservations/"+r.ID+"/registration-card", nil); !strings.Contains(html.UnescapeString(body), "Scheda di notifica") {
		t.Error("the Italian layout chosen in the settings is not used")
	}
	if resp, b := f.api("PATCH", "/properties/"+f.prop.ID, `{"front_desk": {"registration_card": "xx"}}`, "If-Match", strconv.Itoa(prop.Version+1)); resp.StatusCode/100 != 4 || !strings.Contains(b, "registration_card") {
		t.Fatalf("an unknown layout: %d %s", resp.StatusCode, b)
	}
	for list, want := range map[string]string{"arrivals": "Paul Print", "departures": "No departures on this day.", "police": "Passport P4711X"} {
		resp, body := f.page("GET", "/frontdesk/print?list="+list, nil)
		if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("the printed %s list: %d, does not show %q", list, resp.StatusCode, want)
		}
	}
	if resp, body := f.page("GET", "/frontdesk/print?list=everything", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "arrivals, departures or police") {
		t.Fatalf("an unknown list: %d", resp.StatusCode)
	}
	// An accountant sees guests but not ID documents: no police list.
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		if _, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "acc@alpha.example", Name: "Acc", Role: identity.RoleAccountant, Password: ownerPassword}); err != nil {
			t.Fatal(err)
		}
	})
	acc := h.login("alpha", "acc@alpha.example", ownerPassword)
	if resp, _ := h.do(req{path: "/alpha/frontdesk/print?list=police", cookies: []*http.Cookie{acc}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the police list for a role without ID documents: %d", resp.StatusCode)
	}
}

// TestGlobalSearchPage checks the top bar's search: every page of a user
// who may see reservations has it; a guest name, a booking code and a room
// number each find what staff look for; an empty search says what to type.
func TestGlobalSearchPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	r := f.importStay(t, "Selma", "Lagerlöf", stays.ReservationInHouse, f.today.AddDays(-1), f.today.AddDays(2), 1)
	resp, body := f.api("POST", "/bookings", `{"property_id": "`+f.prop.ID+`", "source": "expedia", "ota_code": "EXP-99812",
		"booker": {"new": {"given_name": "Karen", "family_name": "Blixen"}},
		"reservations": [{"room_type_id": "`+f.rt.ID+`", "rate_plan_id": "`+f.plan.ID+`", "arrival": "`+f.today.AddDays(5).String()+`", "departure": "`+f.today.AddDays(6).String()+`", "adults": 1}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	_, body = f.page("GET", "/", nil)
	if !strings.Contains(body, `<form class="top-search" method="get" action="/alpha/search" role="search">`) {
		t.Fatal("the top bar has no search")
	}
	for q, want := range map[string]string{"lagerl": "/alpha/guests/" + r.GuestID, "exp-99812": "Karen Blixen", "102": "in house: <a href=\"/alpha/reservations/" + r.ID + "\">Selma Lagerlöf</a>"} {
		resp, body := f.page("GET", "/search?q="+url.QueryEscape(q), nil)
		if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("search %q: %d, does not show %q", q, resp.StatusCode, want)
		}
	}
	if resp, body := f.page("GET", "/search?q=%20", nil); resp.StatusCode != 200 || !strings.Contains(body, `id="f-search-q"`) {
		t.Fatalf("an empty search: %d", resp.StatusCode)
	}
}
