package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/server"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// pmsFixture is a tenant with one property (Europe/Berlin, EUR, Germany),
// one room type of `rooms` rooms, a flexible rate plan priced 100.00 a
// night from 10 days ago to 400 days ahead, the owner's session and an
// API token with every permission of the owner.
type pmsFixture struct {
	h       *harness
	t       platform.Tenant
	owner   identity.User
	session *http.Cookie
	token   string
	prop    inventory.Property
	rt      inventory.RoomType
	rooms   []inventory.Room
	plan    inventory.RatePlan
	today   date.Date
}

func newPMS(t testing.TB, h *harness, slug string, rooms int) *pmsFixture {
	t.Helper()
	f := &pmsFixture{h: h}
	f.t, f.owner = h.mustTenant(slug)
	db := h.acquire(slug)
	defer db.Release()
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	var err error
	f.prop, err = inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Hotel Am See", TimeZone: "Europe/Berlin", Currency: "EUR",
		Address: inventory.Address{Line1: "Seestraße 1", City: "Potsdam", Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.rt, err = inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: f.prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rooms; i++ {
		r, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Number: fmt.Sprint(101 + i), Floor: "1"})
		if err != nil {
			t.Fatal(err)
		}
		f.rooms = append(f.rooms, r)
	}
	two := 2
	if f.plan, err = inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: f.prop.ID, RoomTypeID: f.rt.ID, Code: "FLEX", Name: "Flexible",
		Cancellation: inventory.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: inventory.Fee{Type: inventory.FeeFirstNight}}, Active: true}); err != nil {
		t.Fatal(err)
	}
	// The business date: before the night audit's roll, still yesterday.
	if f.today, err = inventory.New(db).PropertyToday(ctx, f.prop.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: f.plan.ID, From: f.today.AddDays(-10), To: f.today.AddDays(400),
		Price: &tenant.Money{Amount: 10000, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	if _, f.token, err = identity.New(db).CreateToken(ctx, f.owner.ID, "pms test", identity.RolePermissions(identity.RoleOwner), time.Time{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// signIn signs the owner in (bcrypt makes it slow under -race, so only
// the page tests pay for it).
func (f *pmsFixture) signIn() *pmsFixture {
	f.session = f.h.login(f.t.Slug, f.owner.Email, ownerPassword)
	return f
}

// roleToken creates the user email with role and the password
// ownerPassword in the fixture's tenant, and returns an API token of that
// user holding the role's permissions.
func (f *pmsFixture) roleToken(t testing.TB, role, email string) string {
	t.Helper()
	db := f.h.acquire(f.t.Slug)
	defer db.Release()
	u, err := identity.New(db).CreateUser(aura.WithActor(context.Background(), f.owner.Actor()), f.h.hasher,
		identity.NewUser{Email: email, Name: role, Role: role, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := identity.New(db).CreateToken(aura.WithActor(context.Background(), u.Actor()), u.ID, role, identity.RolePermissions(role), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// api sends a JSON request with the fixture's token.
func (f *pmsFixture) api(method, path, body string, header ...string) (*http.Response, string) {
	hdr := map[string]string{"Authorization": "Bearer " + f.token}
	for i := 0; i+1 < len(header); i += 2 {
		hdr[header[i]] = header[i+1]
	}
	return f.h.do(req{method: method, path: "/" + f.t.Slug + "/api/v1" + path, json: body, header: hdr})
}

// page sends a request with the owner's session.
func (f *pmsFixture) page(method, path string, form url.Values) (*http.Response, string) {
	return f.h.do(req{method: method, path: "/" + f.t.Slug + path, form: form, cookies: []*http.Cookie{f.session}})
}

func (f *pmsFixture) bookingJSON(given string, arrival, departure date.Date) string {
	return fmt.Sprintf(`{"property_id": %q, "booker": {"new": {"given_name": %q, "family_name": "Tester"}},
		"reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 2}]}`,
		f.prop.ID, given, f.rt.ID, f.plan.ID, arrival, departure)
}

func decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
	return v
}

// hasJSON reports whether the JSON body holds, in any object at any depth,
// the member key with the value want (JSON text, compared as decoded
// values, so the response's formatting does not matter).
func hasJSON(t testing.TB, body, key, want string) bool {
	t.Helper()
	var v, w any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("decode %s: %v", want, err)
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if got, ok := v[key]; ok && reflect.DeepEqual(got, w) {
				return true
			}
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// TestPMSAPI runs the API's tests on one tenant (3 rooms), each on its own dates.
func TestPMSAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3)
	t.Run("LastRoom", func(t *testing.T) { testLastRoomHTTP(t, f) })
	t.Run("Idempotency", func(t *testing.T) { testBookingIdempotencyHTTP(t, f) })
	t.Run("GuestNameNotOnDisk", func(t *testing.T) { testGuestNameNotOnDisk(t, f) })
	t.Run("OpenAPI", func(t *testing.T) { testOpenAPI(t, f) })
	t.Run("Reservation", func(t *testing.T) { testReservationAPI(t, f) })
	t.Run("List", func(t *testing.T) { testReservationListAPI(t, f) })
	t.Run("Inventory", func(t *testing.T) { testInventoryAPI(t, f) })
}

// testLastRoomHTTP: 30 simultaneous HTTP booking requests for the last
// free room: exactly one is created (201), the other 29 get 409 with a
// message naming the night, and the house is full once.
func testLastRoomHTTP(t *testing.T, f *pmsFixture) {
	arrival, departure := f.today.AddDays(7), f.today.AddDays(9)
	for _, g := range []string{"Early", "Bird"} {
		if resp, body := f.api("POST", "/bookings", f.bookingJSON(g, arrival, departure)); resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	const n = 30
	var wg sync.WaitGroup
	statuses := make([]int, n)
	bodies := make([]string, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, body := f.api("POST", "/bookings", f.bookingJSON(fmt.Sprintf("Guest%d", i), arrival, departure),
				"Idempotency-Key", fmt.Sprintf("race-%d", i))
			statuses[i], bodies[i] = resp.StatusCode, body
		}(i)
	}
	close(start)
	wg.Wait()
	created := 0
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			p := decode[web.Problem](t, bodies[i])
			if want := "No Double is available for the night of " + arrival.Midnight(time.UTC).Format("Mon 2 Jan 2006"); !strings.Contains(p.Detail, want) {
				t.Fatalf("409 detail %q, want it to contain %q", p.Detail, want)
			}
		default:
			t.Fatalf("request %d: status %d: %s", i, st, bodies[i])
		}
	}
	if created != 1 {
		t.Fatalf("%d bookings created for the last room, want exactly 1 (statuses %v)", created, statuses)
	}
	resp, body := f.api("GET", "/reservations?arrival_from="+arrival.String()+"&arrival_to="+departure.String(), "")
	if list := decode[struct{ Data []stays.Reservation }](t, body); resp.StatusCode != 200 || len(list.Data) != 3 {
		t.Fatalf("reservations after the race: %d %s", resp.StatusCode, body)
	}
	_, body = f.api("GET", "/availability?from="+arrival.String()+"&to="+departure.String(), "")
	a := decode[inventory.Availability](t, body)
	for _, night := range a.RoomTypes[0].Nights {
		if night.Available != 0 || night.Sold != 3 {
			t.Fatalf("night %s: %+v, want sold 3, available 0", night.Date, night)
		}
	}
}

// testBookingIdempotencyHTTP: the same Idempotency-Key and body twice is
// one reservation and byte-identical responses; the same key with another
// body is 422.
func testBookingIdempotencyHTTP(t *testing.T, f *pmsFixture) {
	h := f.h
	body := f.bookingJSON("Ida", f.today.AddDays(30), f.today.AddDays(32))
	h.clock.Advance(1500 * time.Millisecond) // instants with a fraction, as on a real clock
	r1, b1 := f.api("POST", "/bookings", body, "Idempotency-Key", "order-4711")
	h.clock.Advance(3 * time.Second) // a replay later must not differ in any instant
	r2, b2 := f.api("POST", "/bookings", body, "Idempotency-Key", "order-4711")
	if r1.StatusCode != 201 || r2.StatusCode != 201 {
		t.Fatalf("statuses %d, %d: %s / %s", r1.StatusCode, r2.StatusCode, b1, b2)
	}
	if b1 != b2 {
		t.Fatalf("the replay differs from the first response:\n%s\n---\n%s", b1, b2)
	}
	if got := r2.Header.Get("Idempotent-Replayed"); got != "true" {
		t.Fatalf("Idempotent-Replayed = %q on the replay", got)
	}
	if got := r1.Header.Get("Idempotent-Replayed"); got != "" {
		t.Fatalf("Idempotent-Replayed = %q on the first response", got)
	}
	_, list := f.api("GET", "/reservations?arrival_from="+f.today.AddDays(30).String()+"&arrival_to="+f.today.AddDays(31).String(), "")
	if got := len(decode[struct{ Data []stays.Reservation }](t, list).Data); got != 1 {
		t.Fatalf("%d reservations after a replay, want 1", got)
	}

	t.Run("ErrDifferentBody", func(t *testing.T) {
		resp, b := f.api("POST", "/bookings", f.bookingJSON("Ida", f.today.AddDays(30), f.today.AddDays(33)), "Idempotency-Key", "order-4711")
		if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("same key, other body: %d %s", resp.StatusCode, b)
		}
		p := decode[web.Problem](t, b)
		if len(p.Errors) != 1 || p.Errors[0].Field != "idempotency_key" || p.Status != 422 {
			t.Fatalf("problem %+v", p)
		}
	})

	t.Run("OtherKey", func(t *testing.T) {
		resp, b := f.api("POST", "/bookings", body, "Idempotency-Key", "order-4712")
		if resp.StatusCode != 201 || b == b1 {
			t.Fatalf("another key with the same body: %d, same body %v", resp.StatusCode, b == b1)
		}
	})
}

// testGuestNameNotOnDisk writes a guest through the API (a profile and a
// booker) and finds their name in no byte of the tenant file or its WAL.
func testGuestNameNotOnDisk(t *testing.T, f *pmsFixture) {
	h := f.h
	const given, family, email = "Xanthippe", "Quellenberg", "xanthippe.quellenberg@example.org"
	resp, body := f.api("POST", "/guests", fmt.Sprintf(`{"given_name": %q, "family_name": %q, "email": %q, "phone": "+49 331 5550199",
		"address": {"line1": "Zauberflötenweg 7", "city": "Quedlinburg", "country": "DE"}, "notes": "Allergic to feathers"}`, given, family, email))
	if resp.StatusCode != 201 {
		t.Fatalf("create guest: %d %s", resp.StatusCode, body)
	}
	g := decode[stays.Guest](t, body)
	resp, body = f.api("POST", "/bookings", strings.Replace(f.bookingJSON("Wilhelmina", f.today.AddDays(40), f.today.AddDays(41)), `"Tester"`, `"Zwetschgenbaum"`, 1))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	// The API returns what was written: the values are really stored.
	if _, body := f.api("GET", "/guests/"+g.ID, ""); !strings.Contains(body, family) || !strings.Contains(body, email) {
		t.Fatalf("the guest read back lacks its name: %s", body)
	}
	if _, body := f.api("GET", "/guests?q=zwetschg", ""); !strings.Contains(body, "Wilhelmina") {
		t.Fatalf("the booker is not found by name: %s", body)
	}
	path := h.ctl.TenantPath(f.t.ID)
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) < 4096 {
		t.Fatalf("read only %d bytes of the tenant file", len(all))
	}
	for _, secret := range []string{given, family, email, "Quedlinburg", "Zauberflöten", "5550199", "feathers", "Wilhelmina", "Zwetschgenbaum",
		strings.ToLower(family), strings.ToUpper(family)} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q appears in the tenant file or WAL", secret)
		}
	}
}

// testOpenAPI checks the document against the route table both ways, and
// its basic structure: every operation has responses and an id of its
// own, path parameters are declared, and every $ref resolves.
func testOpenAPI(t *testing.T, f *pmsFixture) {
	h := f.h
	resp, body := f.api("GET", "/openapi.json", "")
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d %s", resp.StatusCode, body)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		}
		Servers    []struct{ URL string }
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas         map[string]json.RawMessage
			SecuritySchemes map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || doc.Info.Title == "" || doc.Info.Version == "" || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Fatalf("document head: openapi %q, info %+v", doc.OpenAPI, doc.Info)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/alpha/api/v1" {
		t.Fatalf("servers %+v", doc.Servers)
	}
	inTable := map[string]bool{}
	for _, rt := range h.srv.Routes() {
		if !rt.API() {
			continue
		}
		key := strings.ToLower(rt.Method) + " " + server.APIPath(rt.Path)
		inTable[key] = true
		if _, ok := doc.Paths[server.APIPath(rt.Path)][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("the route %s %s is missing from the OpenAPI document", rt.Method, rt.Path)
		}
	}
	ids := map[string]string{}
	paramRe := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, item := range doc.Paths {
		for method, raw := range item {
			key := method + " " + path
			if !inTable[key] {
				t.Errorf("the document names %s, which is not in the route table", key)
			}
			var op struct {
				OperationID string `json:"operationId"`
				Summary     string
				Responses   map[string]json.RawMessage
				Parameters  []struct{ Name, In string }
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if op.Summary == "" || op.Summary == "(undocumented)" {
				t.Errorf("%s has no summary: add it to apiDocs in server/openapi.go", key)
			}
			if len(op.Responses) < 2 || op.Responses["default"] == nil {
				t.Errorf("%s: responses %v, want a success and the problem default", key, op.Responses)
			}
			if other, dup := ids[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("%s: operationId %q (also %s)", key, op.OperationID, other)
			}
			ids[op.OperationID] = key
			for _, m := range paramRe.FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range op.Parameters {
					found = found || p.In == "path" && p.Name == m[1]
				}
				if !found {
					t.Errorf("%s: the path parameter %s is not declared", key, m[1])
				}
			}
		}
	}
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if doc.Components.Schemas[ref[1]] == nil {
			t.Errorf("$ref to the missing schema %s", ref[1])
		}
	}
	// The schemas follow the Go types: a reservation's dates are dates and money is an object.
	var res struct {
		Properties map[string]map[string]any
	}
	json.Unmarshal(doc.Components.Schemas["Reservation"], &res)
	if res.Properties["arrival"]["format"] != "date" || res.Properties["total"]["$ref"] != "#/components/schemas/Money" {
		t.Fatalf("Reservation schema: arrival %v, total %v", res.Properties["arrival"], res.Properties["total"])
	}
}

// TestPropertySwitcher: with two properties, ?property= chooses the one
// a page is about and a cookie remembers it for later pages.
func TestPropertySwitcher(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn() // "Hotel Am See"
	db := h.acquire("alpha")
	other, err := inventory.New(db).CreateProperty(aura.WithActor(context.Background(), f.owner.Actor()), inventory.PropertyInput{Name: "Alpenhof Zell", TimeZone: "Europe/Vienna",
		Currency: "EUR", Address: inventory.Address{Country: "AT"}})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	current := func(body string) string {
		m := regexp.MustCompile(`<option value="(prp_[a-z0-9]+)" selected>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no property selected in the switcher:\n%.2000s", body)
		}
		return m[1]
	}
	// The first by name is the default.
	resp, body := f.page("GET", "/calendar", nil)
	if resp.StatusCode != 200 || current(body) != other.ID || !strings.Contains(body, "at Alpenhof Zell") {
		t.Fatalf("default property: %d, selected %s", resp.StatusCode, current(body))
	}
	resp, body = f.page("GET", "/calendar?property="+f.prop.ID, nil)
	if current(body) != f.prop.ID || !strings.Contains(body, "at Hotel Am See") {
		t.Fatalf("?property= did not choose %s", f.prop.ID)
	}
	ck := cookieNamed(resp, "aura_property")
	if ck == nil || ck.Path != "/alpha/" || !ck.HttpOnly {
		t.Fatalf("no remembering cookie: %+v", resp.Cookies())
	}
	// Later pages remember it.
	_, body = h.do(req{path: "/alpha/rates", cookies: []*http.Cookie{f.session, ck}})
	if current(body) != f.prop.ID || !strings.Contains(body, "of Hotel Am See") {
		t.Fatal("the cookie did not keep the property")
	}
	// An unknown id falls back to the remembered property.
	_, body = h.do(req{path: "/alpha/calendar?property=prp_nope", cookies: []*http.Cookie{f.session, ck}})
	if current(body) != f.prop.ID {
		t.Fatal("an unknown ?property= changed the property")
	}
}

// TestHousekeepingCannotSeeGuests: the housekeeping role gets 403 on the
// reservation and guest pages and API, and its navigation offers neither.
func TestHousekeepingCannotSeeGuests(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2)
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	hk, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "hanna@alpha.example", Name: "Hanna", Role: identity.RoleHousekeeping, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, hkToken, err := identity.New(db).CreateToken(aura.WithActor(context.Background(), hk.Actor()), hk.ID, "board", []identity.Permission{identity.PermHousekeepingRead}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := stays.New(db).CreateGuest(ctx, stays.GuestInput{GivenName: "Gina", FamilyName: "Gast"})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Rita", f.today.AddDays(1), f.today.AddDays(2)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	resID := decode[stays.Booking](t, body).Reservations[0].ID
	session := h.login("alpha", "hanna@alpha.example", ownerPassword)
	for _, path := range []string{"/alpha/reservations", "/alpha/reservations/" + resID, "/alpha/reservations/new", "/alpha/guests",
		"/alpha/guests/" + g.ID, "/alpha/calendar", "/alpha/tapechart", "/alpha/rates", "/alpha/settings/property"} {
		if resp, _ := h.do(req{path: path, cookies: []*http.Cookie{session}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("housekeeping GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, _ := h.do(req{method: "POST", path: "/alpha/reservations/" + resID + "/cancel", cookies: []*http.Cookie{session},
		form: url.Values{"idempotency_key": {"k"}}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("housekeeping cancels: %d, want 403", resp.StatusCode)
	}
	auth := map[string]string{"Authorization": "Bearer " + hkToken}
	for _, path := range []string{"/reservations", "/reservations/" + resID, "/guests", "/guests/" + g.ID, "/guests/" + g.ID + "/reservations", "/bookings/x"} {
		resp, body := h.do(req{path: "/alpha/api/v1" + path, header: auth})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "problem") && !strings.Contains(body, "permission") {
			t.Errorf("housekeeping token GET %s: %d, want 403 (%s)", path, resp.StatusCode, body)
		}
	}
	_, dash := h.do(req{path: "/alpha/", cookies: []*http.Cookie{session}})
	if strings.Contains(dash, `href="/alpha/reservations"`) || strings.Contains(dash, `href="/alpha/guests"`) || strings.Contains(dash, "Arrivals today") {
		t.Fatal("the housekeeping dashboard offers reservations or guests")
	}
}
