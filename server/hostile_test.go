package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/server"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/stays"
	"golang.org/x/net/html"
)

// The server never answers 500 for input a user can type. These tests
// send what a careless or hostile client types — dates outside the
// supported range or no day of the calendar, huge, negative and fractional
// numbers, overlong strings, NUL bytes and broken UTF-8, values of the
// wrong JSON type, oversized lists, cursors and ids that are not — to
// every route of the route table: each query parameter of every API route
// (from the OpenAPI document), each field of every API body (mutating a
// valid body one field at a time, so the rest of it lets the handler get
// as far as it can), each field of every form the pages render (crawled
// from the pages themselves, so a new form is covered without a new test),
// and each query parameter the pages link to. Any 500 fails the test.

// hostileEnv is a tenant with one of everything (a property, room types,
// rooms, a room block, a rate plan, a booking in the future, a guest in
// house with a check-in record and an ID photo, a second user, token and
// session), the owner signed in and an API token, and a staff member.
type hostileEnv struct {
	f     *pmsFixture
	ids   map[string]string // id prefix ("res") → a real id of that kind
	staff *http.Cookie
	// mine are ids the sweep must not revoke or remove (the owner, their
	// session's token): losing them would end the sweep's access.
	mine map[string]bool
	made int // reservations made for the sweep to act on
}

// newHostileEnv builds the environment with `rooms` rooms: each success of
// an action on a guest arriving today takes a room for the night.
func newHostileEnv(t testing.TB, rooms int) *hostileEnv {
	t.Helper()
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "hostile", rooms).signIn()
	e := &hostileEnv{f: f, ids: map[string]string{"prp": f.prop.ID, "rmt": f.rt.ID, "rom": f.rooms[1].ID, "rpl": f.plan.ID,
		"usr": "", "tok": "", "ses": ""}, mine: map[string]bool{f.owner.ID: true}}
	mustAPI := func(method, path, body string, want int) string {
		t.Helper()
		resp, b := f.api(method, path, body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	// A guest in house, with a check-in record and an ID photo.
	inHouse := decode[stays.Booking](t, mustAPI("POST", "/bookings", f.bookingJSON("Tilda", f.today, f.today.AddDays(3)), 201)).Reservations[0]
	checkIn := stays.CheckInInput{RoomID: f.rooms[0].ID, Guests: []stays.GuestCheckIn{{
		Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T47", IssuingCountry: "DE"},
		Photos:   [][]byte{auratest.JPEG(t, 24, 16)}}}}
	b, _ := json.Marshal(checkIn)
	mustAPI("POST", "/reservations/"+inHouse.ID+"/check-in", string(b), 200)
	var recs struct{ Data []stays.CheckInRecord }
	json.Unmarshal([]byte(mustAPI("GET", "/reservations/"+inHouse.ID+"/check-ins", "", 200)), &recs)
	if len(recs.Data) != 1 || len(recs.Data[0].Photos) != 1 {
		t.Fatalf("check-in records: %+v", recs)
	}
	e.ids["cki"], e.ids["idp"] = recs.Data[0].ID, recs.Data[0].Photos[0].ID
	// A booking in the future: the reservation, booking and guest the sweep works on.
	future := decode[stays.Booking](t, mustAPI("POST", "/bookings", f.bookingJSON("Bruno", f.today.AddDays(20), f.today.AddDays(23)), 201))
	e.ids["bkg"], e.ids["res"], e.ids["gst"] = future.ID, future.Reservations[0].ID, future.Reservations[0].GuestID
	blk := decode[inventory.RoomBlock](t, mustAPI("POST", "/room-blocks", fmt.Sprintf(`{"room_id": %q, "kind": "out_of_service", "start": %q, "end": %q}`,
		f.rooms[2].ID, f.today.AddDays(60), f.today.AddDays(62)), 201))
	e.ids["blk"] = blk.ID
	e.moneySetup(t, inHouse.ID, mustAPI)
	// An owner with a contract for the last room, from next year on.
	own := decode[owners.Owner](t, mustAPI("POST", "/owners", `{"name": "Olga Owner", "email": "olga@hostile.example"}`, 201))
	occ := decode[owners.Contract](t, mustAPI("POST", "/owners/"+own.ID+"/contracts", fmt.Sprintf(`{"room_id": %q, "start": %q, "commission_bp": 2000}`,
		f.rooms[len(f.rooms)-1].ID, f.today.AddDays(365)), 201))
	e.ids["own"], e.ids["occ"] = own.ID, occ.ID
	// A second user with a session of their own, and a second token.
	db := h.acquire(f.t.Slug)
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	second, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "second@hostile.example", Name: "Second", Role: identity.RoleFrontDesk, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := identity.New(db).CreateToken(ctx, f.owner.ID, "second", []identity.Permission{identity.PermReservationsRead}, time.Time{})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	h.login(f.t.Slug, second.Email, ownerPassword)
	db = h.acquire(f.t.Slug)
	sessions, err := identity.New(db).Sessions(ctx, second.ID)
	db.Release()
	if err != nil || len(sessions) != 1 {
		t.Fatalf("second user's sessions: %v %v", sessions, err)
	}
	e.ids["usr"], e.ids["tok"], e.ids["ses"] = second.ID, tok.ID, sessions[0].ID
	db = h.acquire(f.t.Slug)
	ownSessions, err1 := identity.New(db).Sessions(ctx, f.owner.ID)
	ownTokens, err2 := identity.New(db).Tokens(ctx, f.owner.ID)
	db.Release()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, s := range ownSessions {
		e.mine[s.ID] = true
	}
	for _, tk := range ownTokens {
		if tk.ID != tok.ID {
			e.mine[tk.ID] = true
		}
	}
	e.staff, _ = h.mustStaff("staff@aura.example")
	return e
}

// stay is a new reservation for the sweep to act on: "tentative" or
// "confirmed" for two nights from `arrival` days ahead (then each later one
// three days further, so a room assigned to one is free for the next), or
// "in_house" (arriving today, checked in); one arriving today gets a room
// of its own.
func (e *hostileEnv) stay(t testing.TB, status string, arrival int) string {
	t.Helper()
	f := e.f
	e.made++
	st, room := status, ""
	switch {
	case status == "in_house":
		st, arrival = "confirmed", 0
		fallthrough
	case arrival == 0:
		room = f.rooms[3+e.made%(len(f.rooms)-3)].ID
	default:
		arrival += 3 * (e.made % 100)
	}
	body := fmt.Sprintf(`{"property_id": %q, "status": %q, "booker": {"new": {"given_name": "Sam", "family_name": "Subject"}},
		"reservations": [{"room_type_id": %q, "rate_plan_id": %q, "room_id": %q, "arrival": %q, "departure": %q, "adults": 2}]}`,
		f.prop.ID, st, f.rt.ID, f.plan.ID, room, f.today.AddDays(arrival), f.today.AddDays(arrival+2))
	resp, b := f.api("POST", "/bookings", body)
	if resp.StatusCode != 201 {
		t.Fatalf("a %s stay for the sweep: %d %s", status, resp.StatusCode, b)
	}
	id := decode[stays.Booking](t, b).Reservations[0].ID
	if status == "in_house" {
		if resp, b := f.api("POST", "/reservations/"+id+"/check-in", "{}"); resp.StatusCode != 200 {
			t.Fatalf("checking the sweep's guest in: %d %s", resp.StatusCode, b)
		}
	}
	return id
}

// subjects says which reservation each action of the API and the pages
// works on: a state its baseline is valid in. After every request that
// succeeded the sweep takes a new one, so one success does not turn the
// rest of the sweep into conflicts.
var subjects = map[string]struct {
	status  string
	arrival int
}{
	"confirm": {"tentative", 30}, "cancel": {"confirmed", 30}, "assign": {"confirmed", 30}, "unassign": {"confirmed", 30},
	"no-show": {"confirmed", 0}, "check-in": {"confirmed", 0}, "stay": {"confirmed", 30},
	"check-out": {"in_house", 0}, "extend": {"in_house", 0}, "depart-early": {"in_house", 0}, "check-ins": {"in_house", 0},
}

// subject returns the reservation id route rt acts on, and whether it
// needs a new one after each success ("" and false for other routes).
func (e *hostileEnv) subject(t testing.TB, rt web.Route) (string, bool) {
	if !strings.Contains(rt.Path, "/reservations/:id") {
		return "", false
	}
	action := rt.Path[strings.LastIndex(rt.Path, "/")+1:]
	if action == ":id" && rt.Method != "GET" {
		action = "stay" // PATCH of the API, the stay form of the pages
	}
	s, ok := subjects[action]
	if !ok {
		return "", false
	}
	return e.stay(t, s.status, s.arrival), true
}

// path returns the route's path for the hostile tenant with real ids.
func (e *hostileEnv) path(rt web.Route) string {
	parts := strings.Split(rt.Path, "/")
	for i, p := range parts {
		switch {
		case p == ":tenant":
			parts[i] = e.f.t.Slug
		case p == ":slug":
			parts[i] = e.f.t.Slug
		case strings.HasPrefix(p, ":"):
			ex := ""
			if rt.Isolation != nil {
				ex = rt.Isolation.Params[p[1:]]
			}
			if id, ok := e.ids[strings.SplitN(ex, "_", 2)[0]]; ok && strings.Contains(ex, "_") {
				parts[i] = id
			} else {
				parts[i] = url.PathEscape(ex)
			}
		}
	}
	return strings.Join(parts, "/")
}

// answer is one response of the sweep.
type answer struct {
	status int
	body   string
}

// send sends one request as the route's caller (the token for the API, the
// owner's session for pages, the staff member for the platform) and
// returns the answer; it never follows redirects.
func (e *hostileEnv) send(t testing.TB, rt web.Route, method, target, contentType string, body []byte, header map[string]string) answer {
	hr, err := http.NewRequest(method, e.f.h.ts.URL+target, bytes.NewReader(body))
	if err != nil {
		// A target the client cannot even send (a broken escape) is not the server's answer.
		return answer{status: 0, body: err.Error()}
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	switch {
	case rt.API():
		hr.Header.Set("Authorization", "Bearer "+e.f.token)
	case strings.HasPrefix(rt.Path, "/platform/"):
		hr.AddCookie(e.staff)
	default:
		hr.AddCookie(e.f.session)
	}
	client := *e.f.h.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b)}
}

// sendAnonymous posts a form with no credentials at all, as a signed-out
// browser does.
func (e *hostileEnv) sendAnonymous(t testing.TB, target string, body []byte) answer {
	hr, err := http.NewRequest("POST", e.f.h.ts.URL+target, bytes.NewReader(body))
	if err != nil {
		return answer{body: err.Error()}
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := *e.f.h.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b)}
}

// failures collects the 500s of a sweep, one line per route and input.
type failures struct {
	mu    sync.Mutex
	lines []string
}

func (fs *failures) check(what string, a answer) {
	if a.status >= 400 && a.status < 500 && strings.HasPrefix(a.body, `{"type"`) {
		// A problem of the API must say what is wrong.
		var p web.Problem
		if json.Unmarshal([]byte(a.body), &p) == nil && strings.TrimSpace(p.Detail) == "" {
			a.status = 1000 + a.status // reported below as a 4xx without a message
		}
	}
	if a.status < 500 {
		return
	}
	body := a.body
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	fs.mu.Lock()
	fs.lines = append(fs.lines, fmt.Sprintf("%s: %d %s", what, a.status, body))
	fs.mu.Unlock()
}

func (fs *failures) report(t *testing.T) {
	t.Helper()
	sort.Strings(fs.lines)
	for i, l := range fs.lines {
		if i == 50 {
			t.Errorf("… and %d more", len(fs.lines)-50)
			break
		}
		t.Error(l)
	}
}

// shorten keeps a failure line readable when the input was long.
func shorten(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%.40q…(%d bytes)", s, len(s))
	}
	return fmt.Sprintf("%q", s)
}

// hostileStrings are typed into query parameters: one of each kind of
// trouble (the forms get more, by input type: hostileFor).
var hostileStrings = []string{
	"0001-01-01", "9999-12-31", "2027-02-30",
	"-1", "99999999999999999999999", "1.5",
	"", "\x00\xff\xfe", strings.Repeat("x", 100_000),
}

// hostileJSON are put in place of one value of a JSON body, chosen by the
// kind of value the valid body holds there (and always a few of the wrong
// kind): dates get dates outside the range and no day of the calendar,
// numbers get huge, negative and fractional ones, strings overlong ones.
var hostileJSON = map[string][]string{
	"date":   {`"0001-01-01"`, `"9999-12-31"`, `"2027-02-30"`, `"1899-12-31"`, `"2200-01-01"`, `""`, `"x"`, `20260314`, `null`},
	"string": {`""`, `"\u0000"`, `"\udfff"`, `"` + strings.Repeat("x", 20_000) + `"`, `"` + strings.Repeat("ab ", 3000) + `"`, `null`, `5`, `{}`},
	"number": {`-1`, `0`, `9223372036854775807`, `-9223372036854775808`, `1e300`, `2147483648`, `1.5`, `99999999999999999999999`, `"1"`, `null`, `{}`},
	"bool":   {`"true"`, `1`, `null`},
	"list":   {`[]`, `[null]`, `null`, `{}`, `"x"`},
	"object": {`{}`, `null`, `[]`, `"x"`},
}

// kindOf names the kind of a decoded JSON value for hostileJSON.
func kindOf(v any) string {
	switch x := v.(type) {
	case string:
		if _, err := date.Parse(x); err == nil {
			return "date"
		}
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "object" // null: an absent struct or list
}

// apiBodies are valid bodies of every API route that takes one, by "METHOD
// path" as in the route table: the sweep mutates them one value at a time.
func (e *hostileEnv) apiBodies() map[string]any {
	f, d := e.f, e.f.today
	two, one := 2, 1
	money := &tenant.Money{Amount: 12000, Currency: "EUR"}
	guest := &stays.GuestInput{GivenName: "Nora", FamilyName: "Neu", Email: "nora@neu.example", Phone: "+49 171 5550000",
		Address: inventory.Address{Line1: "Weg 1", City: "Berlin", Country: "DE"}, Nationality: "DE", Language: "de", Notes: "late"}
	doc := stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T48", IssuingCountry: "DE", Expiry: d.AddDays(900)}
	jpeg := auratest.JPEG(e.f.h.t, 8, 8)
	plan := inventory.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Code: "NEW", Name: "New plan", ExtraPerson: *money,
		Cancellation: inventory.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: inventory.Fee{Type: inventory.FeeFirstNight}},
		NoShow:       inventory.NoShowPolicy{Fee: inventory.Fee{Type: "percent", Percent: 50}}, Active: true}
	return e.withStripeBodies(e.withMoneyBodies(map[string]any{
		"POST /:tenant/api/v1/users":           map[string]any{"email": "new@hostile.example", "name": "New", "role": identity.RoleFrontDesk},
		"PATCH /:tenant/api/v1/users/:id":      map[string]any{"role": identity.RoleHousekeeping, "status": "active"},
		"POST /:tenant/api/v1/tokens":          map[string]any{"name": "new", "scopes": []string{"reservations.read"}, "expires_at": time.Now().Add(48 * time.Hour).UTC()},
		"POST /:tenant/api/v1/properties":      inventory.PropertyInput{Name: "Second", TimeZone: "Europe/Vienna", Currency: "EUR", Address: inventory.Address{City: "Wien", Country: "AT"}, CheckInTime: "15:00", CheckOutTime: "11:00", Tax: inventory.TaxSettings{VATRates: []inventory.VATRate{{Code: "red", Name: "Reduced", BasisPoints: 700}}, AccommodationVAT: "red", CityTax: inventory.CityTax{PerPersonPerNight: tenant.Money{Amount: 250, Currency: "EUR"}, MaxNights: 7}}, FrontDesk: &inventory.FrontDeskSettings{IDPhotoRetentionDays: 30, NightAuditTime: "03:00"}},
		"PATCH /:tenant/api/v1/properties/:id": map[string]any{"name": "Hotel Am See", "front_desk": map[string]any{"id_photo_retention_days": 30, "night_audit_time": "03:00"}, "tax": map[string]any{"city_tax": map[string]any{"per_person_per_night": map[string]any{"amount": 100, "currency": "EUR"}, "max_nights": 3}}},
		"POST /:tenant/api/v1/room-types":      inventory.RoomTypeInput{PropertyID: f.prop.ID, Code: "STE", Name: "Suite", Capacity: 4, BaseOccupancy: 2, SortOrder: 2},
		"PATCH /:tenant/api/v1/room-types/:id": map[string]any{"name": "Double", "capacity": 3, "base_occupancy": 2},
		"POST /:tenant/api/v1/rooms":           inventory.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: "201", Floor: "2", Features: []string{"balcony"}},
		"PATCH /:tenant/api/v1/rooms/:id":      map[string]any{"floor": "1", "features": []string{"view"}},
		"POST /:tenant/api/v1/room-blocks":     inventory.RoomBlockInput{RoomID: f.rooms[2].ID, Kind: "out_of_order", Start: d.AddDays(100), End: d.AddDays(102), Reason: "paint"},
		"POST /:tenant/api/v1/rate-plans":      plan,
		"PATCH /:tenant/api/v1/rate-plans/:id": map[string]any{"name": "Flexible", "cancellation_policy": map[string]any{"free_until_days_before": 2, "fee": map[string]any{"type": "nights", "nights": 1}}},
		"PUT /:tenant/api/v1/rate-plans/:id/rates": inventory.RateUpdate{From: d.AddDays(30), To: d.AddDays(40), Weekdays: []string{"mon", "fri"}, Price: money,
			MinStay: &one, MaxStay: &two},
		"PATCH /:tenant/api/v1/rate-plans/:id/rates": inventory.RateUpdate{From: d.AddDays(30), To: d.AddDays(40), Price: money},
		"POST /:tenant/api/v1/bookings": stays.BookingInput{PropertyID: f.prop.ID, Source: "direct", Notes: "n", Booker: stays.GuestRef{New: guest},
			Reservations: []stays.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Arrival: d.AddDays(50), Departure: d.AddDays(52), Adults: 2, Children: 1,
				Guest: &stays.GuestRef{ID: e.ids["gst"]}, Prices: []tenant.Money{*money, *money}}}},
		"PATCH /:tenant/api/v1/bookings/:id":                 map[string]any{"ota_code": "", "notes": "call", "commission": map[string]any{"amount": 10, "currency": "EUR"}},
		"PATCH /:tenant/api/v1/reservations/:id":             stays.StayChange{Arrival: d.AddDays(20), Departure: d.AddDays(24), RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, Adults: &two, Children: &one},
		"POST /:tenant/api/v1/reservations/:id/confirm":      map[string]any{},
		"POST /:tenant/api/v1/reservations/:id/cancel":       stays.CancelInput{WaiveFee: true},
		"POST /:tenant/api/v1/reservations/:id/no-show":      stays.NoShowInput{WaiveFee: true},
		"POST /:tenant/api/v1/reservations/:id/assign":       map[string]any{"room_id": f.rooms[1].ID},
		"POST /:tenant/api/v1/reservations/:id/unassign":     map[string]any{},
		"POST /:tenant/api/v1/reservations/:id/check-in":     stays.CheckInInput{Guests: []stays.GuestCheckIn{{Document: doc, BirthDate: d.AddDays(-12000), Photos: [][]byte{jpeg}}, {New: guest, Document: doc}}},
		"POST /:tenant/api/v1/reservations/:id/check-out":    map[string]any{},
		"POST /:tenant/api/v1/guests":                        guest,
		"PATCH /:tenant/api/v1/guests/:id":                   map[string]any{"notes": "vip", "address": map[string]any{"country": "AT"}},
		"PUT /:tenant/api/v1/guest-retention/:id":            map[string]any{"anonymise_after_years": 0},
		"POST /:tenant/api/v1/guests/:id/erasure":            map[string]any{"version": 0},
		"POST /:tenant/api/v1/statements":                    map[string]any{"channel": "booking_com", "from": d.AddDays(-30).String(), "to": d.String()},
		"POST /:tenant/api/v1/owners":                        owners.OwnerInput{Name: "Nils Owner", Email: "nils@hostile.example", VATID: "DE123456789", Payout: "DE89370400440532013000", Address: inventory.Address{Line1: "Weg 2", City: "Kiel", Country: "DE"}},
		"PUT /:tenant/api/v1/owners/:id":                     owners.OwnerInput{Name: "Olga Owner", Email: "olga@hostile.example", Payout: "Sparkasse 4711"},
		"POST /:tenant/api/v1/owners/:id/erasure":            map[string]any{"version": 0},
		"POST /:tenant/api/v1/owners/:id/contracts":          owners.ContractInput{RoomID: f.rooms[len(f.rooms)-2].ID, Start: d.AddDays(400), End: d.AddDays(430), CommissionBP: 1500, MonthlyFee: 5000, StayFee: 2500},
		"PUT /:tenant/api/v1/owners/:id/contracts/:cid":      owners.ContractInput{RoomID: f.rooms[len(f.rooms)-1].ID, Start: d.AddDays(365), CommissionBP: 2500, StayFee: 1000},
		"PUT /:tenant/api/v1/reports/settings":               map[string]any{"complimentary_plans": []string{}, "house_use_plans": []string{}, "exclude_complimentary": true},
		"POST /:tenant/api/v1/guests/:id/restriction":        map[string]any{"restricted": true, "reason": "a dispute"},
		"POST /:tenant/api/v1/reservations/:id/check-ins":    stays.GuestCheckIn{New: guest, Document: doc, BirthDate: d.AddDays(-9000), Photos: [][]byte{jpeg}},
		"PATCH /:tenant/api/v1/check-ins/:id":                stays.CheckInRecordUpdate{Document: doc, BirthDate: d.AddDays(-10000)},
		"POST /:tenant/api/v1/reservations/:id/extend":       stays.StayExtension{Departure: d.AddDays(25)},
		"POST /:tenant/api/v1/reservations/:id/depart-early": stays.EarlyDeparture{Departure: d.AddDays(1)},
		"PUT /:tenant/api/v1/rooms/:id/housekeeping":         map[string]any{"housekeeping": "clean"},
		"POST /:tenant/api/v1/rooms/:id/housekeeping":        map[string]any{"housekeeping": "inspected"},
		"POST /:tenant/api/v1/channels/exports":              channels.ExportInput{PropertyID: f.prop.ID, RoomID: f.rooms[0].ID, Channel: "airbnb", Days: 365},
		"POST /:tenant/api/v1/channels/exports/:id/revoke":   map[string]any{},
		"POST /:tenant/api/v1/channels/feeds":                channels.FeedInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Channel: "vrbo", URL: "https://calendar.example/ical/1.ics", IntervalMinutes: 30},
		"POST /:tenant/api/v1/channels/feeds/:id/poll":       map[string]any{},
		"POST /:tenant/api/v1/channels/resync":               map[string]any{},
	}))
}

// mutations returns body with each of its values (and each value's
// container) replaced by each hostile JSON value, and each list also
// repeated 300 times; every result is labelled with the path it changed.
func mutations(body []byte) map[string][]byte {
	var root any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		panic(err)
	}
	out := map[string][]byte{}
	var walk func(path string, v any, set func(any))
	walk = func(path string, v any, set func(any)) {
		if path != "" {
			for _, h := range hostileJSON[kindOf(v)] {
				set(json.RawMessage(h))
				b, _ := json.Marshal(root)
				out[path+"="+h] = b
			}
			set(v)
		}
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c, func(n any) { x[k] = n })
			}
		case []any:
			if path != "" && len(x) > 0 {
				many := make([]any, 300)
				for i := range many {
					many[i] = x[0]
				}
				set(many)
				b, _ := json.Marshal(root)
				out[path+"=[300 copies]"] = b
				set(v)
			}
			for i, c := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), c, func(n any) { x[i] = n })
			}
		}
	}
	walk("", root, func(any) {})
	// Every date of the body moved together to the edges of the supported
	// range, keeping their order and spans: valid dates each, whose sums
	// and differences the handlers and the store must still get right.
	for _, to := range []date.Date{date.Min, date.Max.AddDays(-120)} {
		var first date.Date
		var shift func(v any) any
		shift = func(v any) any {
			switch x := v.(type) {
			case string:
				if d, err := date.Parse(x); err == nil {
					if first.IsZero() {
						first = d
					}
					return d.AddDays(to.Sub(first)).String()
				}
			case map[string]any:
				for k, c := range x {
					x[k] = shift(c)
				}
			case []any:
				for i, c := range x {
					x[i] = shift(c)
				}
			}
			return v
		}
		var copied any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		dec.Decode(&copied)
		copied = shift(copied)
		if !first.IsZero() {
			b, _ := json.Marshal(copied)
			out["every date moved to "+to.String()] = b
		}
	}
	return out
}

// TestHostileAPI sends hostile query parameters and bodies to every API
// route: no 500, and a 400 problem (or another 4xx) for each.
func TestHostileAPI(t *testing.T) {
	e := newHostileEnv(t, 300)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal([]byte(e.send(t, web.Route{Path: "/:tenant/api/v1/openapi.json"}, "GET", "/"+e.f.t.Slug+"/api/v1/openapi.json", "", nil, nil).body), &doc); err != nil {
		t.Fatal(err)
	}
	bodies := e.apiBodies()
	var fs failures
	requests := 0
	for _, rt := range e.f.h.srv.Routes() {
		if !rt.API() || rt.Method == "DELETE" {
			continue // deletes take no input but their path
		}
		key := rt.Method + " " + rt.Path
		target := e.path(rt)
		subject, renew := e.subject(t, rt)
		if renew {
			target = strings.Replace(target, e.ids["res"], subject, 1)
		}
		// after notes a request's answer: after a success, the route
		// gets a new reservation to act on.
		after := func(what string, a answer) {
			fs.check(what, a)
			if renew && a.status < 300 {
				next, _ := e.subject(t, rt)
				target = strings.Replace(target, subject, next, 1)
				subject = next
			}
		}
		op := doc.Paths[server.APIPath(rt.Path)][strings.ToLower(rt.Method)]
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for _, p := range op.Parameters {
			if p.In != "query" {
				continue
			}
			for _, v := range hostileStrings {
				// The property named, so a second property created by the
				// sweep itself does not stop every list at "name the property".
				q := url.Values{"property_id": {e.f.prop.ID}}
				q.Set(p.Name, v)
				requests++
				if rt.Method != "GET" {
					after(fmt.Sprintf("%s ?%s=%s", key, p.Name, shorten(v)), e.send(t, rt, rt.Method, target+"?"+q.Encode(), "", nil, nil))
					continue
				}
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					fs.check(fmt.Sprintf("%s ?%s=%s", key, p.Name, shorten(v)), e.send(t, rt, rt.Method, target+"?"+q.Encode(), "", nil, nil))
				}()
			}
		}
		wg.Wait()
		body, ok := bodies[key]
		if rt.Method == "GET" || rt.Path == "/:tenant/api/v1/check-ins/:id/photos" || rt.Path == "/:tenant/api/v1/night-audit/run" || rt.Path == "/:tenant/api/v1/id-photos/purge" {
			continue // no JSON body (the photo body is raw bytes, fuzzed by FuzzAPIBody)
		}
		if !ok {
			t.Errorf("%s takes a body but has no valid example in apiBodies", key)
			continue
		}
		valid, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		// The example itself must be valid where the route acts on a
		// reservation of its own, or the sweep would stop short of the
		// handler's work.
		a := e.send(t, rt, rt.Method, target, "application/json", valid, nil)
		if renew && a.status >= 300 {
			t.Errorf("%s: the valid example failed: %d %.300s", key, a.status, a.body)
		}
		after(key+" (valid)", a)
		for what, b := range mutations(valid) {
			a := e.send(t, rt, rt.Method, target, "application/json", b, nil)
			requests++
			after(fmt.Sprintf("%s %s", key, shorten(what)), a)
		}
		// And bodies that are no JSON object at all.
		for _, b := range []string{"", "[]", "null", `"x"`, "{", `{"a":1}`, strings.Repeat("[", 10000), string(valid) + string(valid)} {
			a := e.send(t, rt, rt.Method, target, "application/json", []byte(b), nil)
			requests++
			after(fmt.Sprintf("%s body %s", key, shorten(b)), a)
		}
	}
	// Ids that are not: every path parameter of every route, tenant and
	// platform, API and pages.
	for _, rt := range e.f.h.srv.Routes() {
		if !strings.Contains(strings.ReplaceAll(rt.Path, "/:tenant/", "/"), "/:") {
			continue // no parameter but the tenant
		}
		for _, bad := range []string{"x", "res_aaaaaaaaaaaaaaaa", "gst_" + strings.Repeat("a", 5000), "%00", "%C3%28", "..", "res_aaaaaaaaaaaaaaa%27", "-1"} {
			parts := strings.Split(rt.Path, "/")
			for i, p := range parts {
				switch {
				case p == ":tenant":
					parts[i] = e.f.t.Slug
				case strings.HasPrefix(p, ":"):
					parts[i] = bad
				}
			}
			target := strings.Join(parts, "/")
			var body []byte
			ct := ""
			if rt.Method != "GET" {
				body, ct = []byte("{}"), "application/json"
				if !rt.API() {
					body, ct = nil, "application/x-www-form-urlencoded"
				}
			}
			a := e.send(t, rt, rt.Method, target, ct, body, nil)
			requests++
			fs.check(fmt.Sprintf("%s %s with %s", rt.Method, rt.Path, shorten(bad)), a)

		}
	}
	fs.report(t)
	t.Logf("%d requests", requests)
	e.stillSignedIn(t)
}

// stillSignedIn checks the sweep did not lose its own access on the way
// (which would have turned the rest of it into 401s and 303s).
func (e *hostileEnv) stillSignedIn(t *testing.T) {
	t.Helper()
	if resp, body := e.f.api("GET", "/whoami", ""); resp.StatusCode != 200 {
		t.Fatalf("the API token stopped working during the sweep: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.f.page("GET", "/", nil); resp.StatusCode != 200 {
		t.Fatalf("the owner's session stopped working during the sweep: %d", resp.StatusCode)
	}
}

// form is one form of a page, as a browser would submit it.
type form struct {
	page    string // the page it was found on
	action  string
	method  string
	multi   bool // multipart/form-data
	fields  url.Values
	types   map[string]string // input type by field name ("date", "number", "text", "hidden", "select", …)
	button  [2]string         // the submit button's name and value, if it has a name
	fileKey string            // a file input's name (multipart), sent with a small JPEG
}

// crawl GETs a page and returns its forms (one per named submit button)
// and the query parameter names of its links and GET forms, by path.
func (e *hostileEnv) crawl(t testing.TB, rt web.Route, page string) ([]form, map[string][]string) {
	a := e.send(t, rt, "GET", page, "", nil, nil)
	doc, err := html.Parse(strings.NewReader(a.body))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	attr := func(n *html.Node, k string) string {
		for _, at := range n.Attr {
			if at.Key == k {
				return at.Val
			}
		}
		return ""
	}
	var forms []form
	params := map[string][]string{}
	addParams := func(href string, names ...string) {
		u, err := url.Parse(href)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		for k := range u.Query() {
			names = append(names, k)
		}
		params[u.Path] = append(params[u.Path], names...)
	}
	var visit func(n *html.Node, f *form, buttons *[][2]string)
	visit = func(n *html.Node, f *form, buttons *[][2]string) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "a":
				addParams(attr(n, "href"))
			case "form":
				nf := &form{page: page, action: attr(n, "action"), method: strings.ToUpper(attr(n, "method")), multi: attr(n, "enctype") == "multipart/form-data",
					fields: url.Values{}, types: map[string]string{}}
				if nf.action == "" {
					nf.action = page
				}
				var bs [][2]string
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					visit(c, nf, &bs)
				}
				if nf.method != "POST" {
					var names []string
					for k := range nf.fields {
						names = append(names, k)
					}
					addParams(nf.action, names...)
					return
				}
				if len(bs) == 0 {
					bs = [][2]string{{}}
				}
				for _, b := range bs {
					cp := *nf
					cp.button = b
					forms = append(forms, cp)
				}
				return
			case "input", "select", "textarea", "button":
				name := attr(n, "name")
				typ := attr(n, "type")
				if n.Data != "input" {
					typ = n.Data
				}
				switch {
				case f == nil || name == "":
				case n.Data == "button" || typ == "submit":
					*buttons = append(*buttons, [2]string{name, attr(n, "value")})
				case typ == "file":
					f.fileKey = name
				case typ == "checkbox" || typ == "radio":
					f.types[name] = typ
					if _, checked := hasAttr(n, "checked"); checked || f.fields.Get(name) == "" {
						v := attr(n, "value")
						if v == "" {
							v = "on"
						}
						f.fields.Set(name, v)
					}
				case n.Data == "select":
					f.types[name] = "select"
					first := ""
					var pick func(c *html.Node)
					pick = func(c *html.Node) {
						for ; c != nil; c = c.NextSibling {
							if c.Type == html.ElementNode && c.Data == "option" {
								if first == "" {
									first = attr(c, "value")
								}
								if _, sel := hasAttr(c, "selected"); sel {
									first = attr(c, "value")
									return
								}
							}
							pick(c.FirstChild)
						}
					}
					pick(n.FirstChild)
					f.fields.Set(name, first)
				case n.Data == "textarea":
					f.types[name] = "text"
					if n.FirstChild != nil {
						f.fields.Set(name, n.FirstChild.Data)
					} else {
						f.fields.Set(name, "")
					}
				default:
					f.types[name] = typ
					f.fields.Set(name, attr(n, "value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, f, buttons)
		}
	}
	visit(doc, nil, nil)
	return forms, params
}

func hasAttr(n *html.Node, k string) (string, bool) {
	for _, at := range n.Attr {
		if at.Key == k {
			return at.Val, true
		}
	}
	return "", false
}

// hostileFor returns the hostile values for a form field of input type typ.
func hostileFor(typ string) []string {
	switch typ {
	case "password":
		return []string{strings.Repeat("x", 100_000)}
	case "date":
		return []string{"0001-01-01", "9999-12-31", "2027-02-30", "2200-01-01", "x", ""}
	case "number":
		return []string{"-1", "0", "-9223372036854775808", "99999999999999999999999", "1e308", "1.5", "x"}
	case "checkbox", "radio", "select":
		return []string{"", "\x00\xff\xfe", "-1", "9999-12-31"}
	}
	return []string{"", "\x00\xff\xfe", strings.Repeat("x", 100_000), "9999-12-31", "-1", "99999999999999999999999", "1.5"}
}

// encode returns the body and content type of a form submission.
func (fm form) encode(t testing.TB, values url.Values) ([]byte, string) {
	if fm.button[0] != "" {
		values.Set(fm.button[0], fm.button[1])
	}
	if !fm.multi {
		return []byte(values.Encode()), "application/x-www-form-urlencoded"
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range values {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if fm.fileKey != "" {
		w, _ := mw.CreateFormFile(fm.fileKey, "id.jpg")
		w.Write(auratest.JPEG(t, 8, 8))
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// skipForm reports whether the sweep must leave a form alone: signing out,
// ending its own access, suspending its own tenant, or applying a restore.
func (e *hostileEnv) skipForm(action string) bool {
	for id := range e.mine {
		if strings.Contains(action, id) {
			return true
		}
	}
	for _, suffix := range []string{"/logout", "/logout/everywhere", "/impersonation/end", "/suspend", "/restore/apply"} {
		if strings.HasSuffix(action, suffix) {
			return true
		}
	}
	return strings.Contains(action, "/impersonations/")
}

var idPattern = regexp.MustCompile(`\b([a-z]{3})_[a-z0-9]{16}\b`)

// pattern is a form action with its ids replaced by their kinds, so the
// 80 rooms' housekeeping forms are swept once, and a form is found again
// on a page about another reservation.
func pattern(action string) string { return idPattern.ReplaceAllString(action, "{$1}") }

// routeOf returns the route that serves method and path.
func (e *hostileEnv) routeOf(method, path string) (web.Route, bool) {
	for _, rt := range e.f.h.srv.Routes() {
		if rt.Method != method {
			continue
		}
		rp, pp := strings.Split(rt.Path, "/"), strings.Split(path, "/")
		if len(rp) != len(pp) {
			continue
		}
		ok := true
		for i := range rp {
			if !strings.HasPrefix(rp[i], ":") && rp[i] != pp[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, true
		}
	}
	return web.Route{}, false
}

// TestHostilePages crawls every page of the tenant and the platform area
// and sends hostile values in each query parameter the pages use and in
// each field of each form they render: no 500.
func TestHostilePages(t *testing.T) {
	e := newHostileEnv(t, 60)
	var fs failures
	requests := 0
	// The pages: every GET page route, and the subjects' pages, whose
	// forms act on a reservation in the right state.
	pages := map[string]web.Route{}
	for _, rt := range e.f.h.srv.Routes() {
		if rt.Method == "GET" && !rt.API() && rt.Page != "" {
			pages[e.path(rt)] = rt
		}
	}
	slug := e.f.t.Slug
	pages["/"+slug+"/settings/property?new=1"] = pages["/"+slug+"/settings/property"]
	for action := range subjects {
		for _, suffix := range []string{"", "/check-in", "/check-out"} {
			path := "/" + slug + "/reservations/{" + action + "}" + suffix
			if rt, ok := e.routeOf("GET", "/"+slug+"/reservations/x"+suffix); ok {
				pages[path] = rt
			}
		}
	}
	forms := map[string]form{} // by action pattern and button
	params := map[string]map[string]bool{}
	for page, rt := range pages {
		crawled := page
		if i := strings.Index(page, "{"); i >= 0 {
			crawled = page[:i] + e.ids["res"] + page[strings.Index(page, "}")+1:]
		}
		fms, ps := e.crawl(t, rt, crawled)
		requests++
		if crawled == page && strings.Contains(page, e.ids["res"]) {
			fms = nil // the forms on a reservation are swept on the subjects' pages
		}
		for _, fm := range fms {
			fm.page = page
			if i := strings.Index(page, "{"); i >= 0 {
				// On a subject's page, only the form of its own action.
				kind := page[i+1 : strings.Index(page, "}")]
				last := fm.action[strings.LastIndex(fm.action, "/")+1:]
				if strings.Contains(fm.action, "/reservations/") && last != kind && !(kind == "stay" && last == "stay") {
					continue
				}
			}
			key := pattern(fm.action) + " " + fm.button[0] + "=" + fm.button[1]
			if _, seen := forms[key]; !seen || strings.Contains(page, "{") {
				forms[key] = fm
			}
		}
		for p, names := range ps {
			if params[p] == nil {
				params[p] = map[string]bool{}
			}
			for _, n := range names {
				params[p][n] = true
			}
		}
	}
	// Query parameters of every page: GETs, sent four at a time.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for page, rt := range pages {
		if strings.Contains(page, "{") || strings.Contains(page, "?") {
			continue
		}
		names := map[string]bool{"property": true}
		for n := range params[page] {
			names[n] = true
		}
		for n := range names {
			for _, v := range hostileStrings {
				requests++
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					a := e.send(t, rt, "GET", page+"?"+url.Values{n: {v}}.Encode(), "", nil, nil)
					fs.check(fmt.Sprintf("GET %s ?%s=%s", rt.Path, n, shorten(v)), a)
				}()
			}
		}
	}
	wg.Wait()
	// Every field of every form.
	keys := make([]string, 0, len(forms))
	for k := range forms {
		keys = append(keys, k)
	}
	// Forms that take something away (a user, a room block) or add a
	// property (which may become the one the pages show first) go last,
	// so every other form still finds what it works on.
	last := func(k string) bool {
		return strings.Contains(k, "/remove") || strings.Contains(k, "/delete") || strings.Contains(k, "/disable") || strings.Contains(k, "/settings/properties")
	}
	sort.Slice(keys, func(i, j int) bool {
		if last(keys[i]) != last(keys[j]) {
			return !last(keys[i])
		}
		return keys[i] < keys[j]
	})
	for _, key := range keys {
		fm := forms[key]
		if e.skipForm(fm.action) {
			continue
		}
		rt, ok := e.routeOf("POST", strings.SplitN(strings.SplitN(fm.action, "#", 2)[0], "?", 2)[0])
		if !ok {
			t.Errorf("the form %s on %s posts to no route", fm.action, fm.page)
			continue
		}
		// refresh gets the form anew (a new subject when it acts on one),
		// so a version or state changed by a success does not turn the
		// rest into conflicts.
		refresh := func() form {
			page := fm.page
			action := fm.action
			if i := strings.Index(page, "{"); i >= 0 {
				kind := page[i+1 : strings.Index(page, "}")]
				s := subjects[kind]
				id := e.stay(t, s.status, s.arrival)
				page = page[:i] + id + page[strings.Index(page, "}")+1:]
				action = strings.Replace(action, e.ids["res"], id, 1)
			}
			fms, _ := e.crawl(t, pages[fm.page], page)
			for _, n := range fms {
				if e.skipForm(n.action) {
					continue
				}
				if (n.action == action || pattern(n.action) == pattern(action) && !strings.Contains(action, "/reservations/")) && n.button == fm.button {
					return n
				}
			}
			// A success can take a form away (two-factor set-up started:
			// the page now asks for the code): the sweep of it ends there.
			t.Logf("the form %s is no longer on %s", action, page)
			return form{}
		}
		cur := refresh()
		if cur.action == "" {
			continue
		}
		names := make([]string, 0, len(cur.fields))
		for n := range cur.fields {
			names = append(names, n)
		}
		sort.Strings(names)
		// A form that checks a password costs a bcrypt hash per request
		// (seconds under the race detector) and the throttle's delay: it
		// gets one overlong password, in its first password field.
		checksPassword := false
		for _, n := range names {
			checksPassword = checksPassword || cur.types[n] == "password"
		}
		passwords := 0
		for _, name := range names {
			hostile := hostileFor(cur.types[name])
			if checksPassword {
				if cur.types[name] != "password" {
					continue
				}
				if passwords++; passwords > 1 {
					continue
				}
			}
			for _, v := range hostile {
				values := url.Values{}
				for k, vs := range cur.fields {
					values[k] = append([]string(nil), vs...)
				}
				values.Set(name, v)
				body, ct := cur.encode(t, values)
				a := e.send(t, rt, "POST", cur.action, ct, body, nil)
				requests++
				fs.check(fmt.Sprintf("POST %s (%s) %s=%s", rt.Path, fm.page, name, shorten(v)), a)
				if a.status < 400 {
					if cur = refresh(); cur.action == "" {
						break
					}
				}
			}
			if cur.action == "" {
				break
			}
		}
	}
	fs.report(t)
	t.Logf("%d requests, %d forms", requests, len(forms))
	e.stillSignedIn(t)
}
