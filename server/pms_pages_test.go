package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

var resLocation = regexp.MustCompile(`^/alpha/reservations/(res_[a-z0-9]+)$`)

// TestNewReservationPage books through the form: prefilled from the
// calendar's query, prices shown, errors inline, and a double submit of
// the same form (its idempotency key) creating one reservation.
func TestNewReservationPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	arrival, departure := f.today.AddDays(4), f.today.AddDays(6)
	resp, body := f.page("GET", "/reservations/new?"+url.Values{"room_type": {f.rt.ID}, "arrival": {arrival.String()},
		"departure": {departure.String()}, "rate_plan": {f.plan.ID}}.Encode(), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("form: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`value="` + arrival.String() + `"`, `value="` + departure.String() + `"`, `<option value="` + f.rt.ID + `" selected>`,
		"200,00\u00a0€", "2 left", `name="idempotency_key"`, "2 nights"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the prefilled form lacks %q", want)
		}
	}
	key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(body)[1]
	form := url.Values{"idempotency_key": {key}, "property_id": {f.prop.ID}, "room_type_id": {f.rt.ID}, "rate_plan_id": {f.plan.ID},
		"arrival": {arrival.String()}, "departure": {departure.String()}, "adults": {"2"}, "children": {"0"}, "guest_mode": {"new"},
		"source": {"direct"}, "status": {"confirmed"}, "intent": {"create"}}

	t.Run("ErrInline", func(t *testing.T) {
		resp, body := f.page("POST", "/reservations", form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-family_name-error"`) || !strings.Contains(body, "a guest needs a given name or a family name") {
			t.Fatalf("no inline error for a missing name: %d", resp.StatusCode)
		}
		if !strings.Contains(body, `name="idempotency_key" value="`+key+`"`) {
			t.Fatal("the form shown again lost its idempotency key")
		}
	})

	form.Set("given_name", "Olga")
	form.Set("family_name", "Petrowa")
	resp, _ = f.page("POST", "/reservations", form)
	m := resLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp2, _ := f.page("POST", "/reservations", form) // the double click
	if resp2.Header.Get("Location") != resp.Header.Get("Location") {
		t.Fatalf("a second submit of the same form went to %q, the first to %q", resp2.Header.Get("Location"), resp.Header.Get("Location"))
	}
	_, list := f.api("GET", "/reservations", "")
	if n := strings.Count(list, `"booking_id"`); n != 1 {
		t.Fatalf("%d reservations after a double submit, want 1", n)
	}

	t.Run("ReusedKeyOtherValues", func(t *testing.T) {
		changed := url.Values{}
		for k, v := range form {
			changed[k] = v
		}
		changed.Set("departure", departure.AddDays(1).String())
		resp, body := f.page("POST", "/reservations", changed)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already created a reservation with other values") ||
			strings.Contains(body, `name="idempotency_key" value="`+key+`"`) {
			t.Fatalf("same key, other values: %d", resp.StatusCode)
		}
	})

	t.Run("Preview", func(t *testing.T) {
		pv := url.Values{"property_id": {f.prop.ID}, "room_type_id": {f.rt.ID}, "arrival": {arrival.String()}, "departure": {departure.AddDays(1).String()},
			"adults": {"3"}, "children": {"0"}, "intent": {"preview"}, "idempotency_key": {"k2"}}
		resp, body := f.page("POST", "/reservations", pv)
		// Three nights of 100,00 € for three guests (no extra-person price): one room left.
		if resp.StatusCode != 200 || !strings.Contains(body, "300,00\u00a0€") || !strings.Contains(body, "1 left") {
			t.Fatalf("preview: %d", resp.StatusCode)
		}
	})

	t.Run("ErrFull", func(t *testing.T) {
		other := url.Values{}
		for k, v := range form {
			other[k] = v
		}
		other.Set("idempotency_key", "second-form")
		if resp, _ := f.page("POST", "/reservations", other); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("second room: %d", resp.StatusCode)
		}
		other.Set("idempotency_key", "third-form")
		resp, body := f.page("POST", "/reservations", other)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "No Double is available for the night of "+arrival.Midnight(time.UTC).Format("Mon 2 Jan 2006")) {
			t.Fatalf("third room of two: %d", resp.StatusCode)
		}
	})
}

// TestReservationPage shows a reservation with its prices and fees and
// runs its transitions with the version the page showed.
func TestReservationPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	// Arriving tomorrow: inside the two free days, so cancelling costs the first night.
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Paula", f.today.AddDays(1), f.today.AddDays(3)))
	if resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	id := decode[stays.Booking](t, body).Reservations[0].ID
	_, page := f.page("GET", "/reservations/"+id, nil)
	for _, want := range []string{"Paula Tester", "Confirmed", "200,00\u00a0€", "Cancelling today costs <strong class=\"fee\">100,00\u00a0€</strong>",
		"Free cancellation until 2 days before arrival, then the first night.", `action="/alpha/reservations/` + id + `/assign"`, "101 · floor 1"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the reservation page lacks %q", want)
		}
	}
	if strings.Contains(page, "/check-in\"") {
		t.Fatal("check-in offered before the arrival day")
	}

	t.Run("ErrStaleVersion", func(t *testing.T) {
		if resp, _ := f.page("POST", "/reservations/"+id+"/assign", url.Values{"room_id": {f.rooms[0].ID}, "version": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("assign: %d", resp.StatusCode)
		}
		resp, body := f.page("POST", "/reservations/"+id+"/cancel", url.Values{"version": {"1"}})
		if resp.StatusCode != http.StatusPreconditionFailed || !strings.Contains(body, "The page now shows the current state.") {
			t.Fatalf("cancel with a stale version: %d", resp.StatusCode)
		}
	})

	t.Run("ChangeStay", func(t *testing.T) {
		resp, _ := f.page("POST", "/reservations/"+id+"/stay", url.Values{"version": {"2"}, "arrival": {f.today.AddDays(1).String()},
			"departure": {f.today.AddDays(4).String()}, "room_type_id": {f.rt.ID}, "rate_plan_id": {f.plan.ID}, "adults": {"2"}, "children": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change stay: %d", resp.StatusCode)
		}
		_, page := f.page("GET", "/reservations/"+id, nil)
		if !strings.Contains(page, "300,00\u00a0€") || !strings.Contains(page, "1 child") {
			t.Fatal("the changed stay is not shown")
		}
		resp, body := f.page("POST", "/reservations/"+id+"/stay", url.Values{"version": {"3"}, "arrival": {f.today.AddDays(1).String()},
			"departure": {f.today.AddDays(1).String()}, "room_type_id": {f.rt.ID}, "rate_plan_id": {f.plan.ID}, "adults": {"2"}, "children": {"0"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-departure-error"`) {
			t.Fatalf("a stay of no nights: %d", resp.StatusCode)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		resp, _ := f.page("POST", "/reservations/"+id+"/cancel", url.Values{"version": {"3"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		resp, page := h.do(req{path: "/alpha/reservations/" + id, cookies: []*http.Cookie{f.session, cookieNamed(resp, "aura_flash")}})
		if resp.StatusCode != 200 || !strings.Contains(page, "Cancellation fee: 100,00\u00a0€") || !strings.Contains(page, "Cancelled") {
			t.Fatalf("after cancelling: %d", resp.StatusCode)
		}
		if strings.Contains(page, `/cancel"`) || strings.Contains(page, `/assign"`) {
			t.Fatal("a cancelled reservation still offers transitions")
		}
	})
}

// TestPMSListsAndSettings drives the other pages through their forms:
// calendar links, tape chart bars, the reservation list's search and
// overbooked panel, guests, rates in bulk (amounts typed the German way),
// property settings and rooms.
func TestPMSListsAndSettings(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	arrival := f.today.AddDays(2)
	_, body := f.api("POST", "/bookings", strings.Replace(f.bookingJSON("Frida", arrival, arrival.AddDays(1)), `"Tester"`, `"Kahlo"`, 1))
	id := decode[stays.Booking](t, body).Reservations[0].ID
	// A channel sells the same night again: overbooked, never refused.
	_, body = f.api("POST", "/bookings", strings.Replace(f.bookingJSON("Diego", arrival, arrival.AddDays(1)), `"booker"`, `"source": "booking.com", "ota_code": "BDC-1", "booker"`, 1))
	over := decode[stays.Booking](t, body).Reservations[0]
	if !over.Overbooked {
		t.Fatalf("the channel booking is not flagged overbooked: %s", body)
	}

	t.Run("Calendar", func(t *testing.T) {
		_, page := f.page("GET", "/calendar", nil)
		if !strings.Contains(page, "1 overbooked reservation") || !strings.Contains(page, `class="cal-cell lv-over`) {
			t.Fatal("the calendar hides the overbooking")
		}
		free := html.EscapeString("/alpha/reservations/new?" + url.Values{"arrival": {f.today.AddDays(1).String()}, "departure": {f.today.AddDays(2).String()},
			"property": {f.prop.ID}, "rate_plan": {f.plan.ID}, "room_type": {f.rt.ID}}.Encode())
		if !strings.Contains(page, `href="`+free+`"`) {
			t.Fatalf("no link to book the free night of %s", f.today.AddDays(1))
		}
		if strings.Contains(page, "arrival="+arrival.String()) {
			t.Fatal("a full night links to a new reservation")
		}
	})

	t.Run("TapeChart", func(t *testing.T) {
		_, page := f.page("GET", "/tapechart?from="+f.today.String(), nil)
		// The stay's night is day 2: from the middle of column 2 (line 2+2·2+1) to the middle of column 3.
		want := regexp.MustCompile(`<a class="bar st-confirmed is-over movable gs-7 ge-9" href="/alpha/reservations/` + over.ID + `"`)
		if !want.MatchString(page) || !strings.Contains(page, "Frida Kahlo") || !strings.Contains(page, "1 overbooked reservation") {
			t.Fatal("the tape chart does not draw the stays")
		}
	})

	t.Run("ReservationList", func(t *testing.T) {
		_, page := f.page("GET", "/reservations", nil)
		if !strings.Contains(page, "Overbooked: 1 reservation") || !strings.Contains(page, "Diego Tester") || !strings.Contains(page, "Stays departing today or later") {
			t.Fatal("the list does not flag the overbooked reservation at the top")
		}
		_, page = f.page("GET", "/reservations?q=kahlo", nil)
		if !strings.Contains(page, `/alpha/reservations/`+id) || strings.Contains(page, "/alpha/reservations/"+over.ID+`">Diego`) {
			t.Fatal("searching kahlo does not find Frida's stay alone")
		}
		resp, _ := f.page("GET", "/reservations?q="+id, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alpha/reservations/"+id {
			t.Fatalf("searching an id: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = f.page("GET", "/reservations?arrival_from=soon", nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a bad date filter: %d", resp.StatusCode)
		}
	})

	t.Run("Guests", func(t *testing.T) {
		resp, _ := f.page("POST", "/guests", url.Values{"given_name": {"Ruth"}, "family_name": {"Bader"}, "email": {"ruth@example.com"}, "idempotency_key": {"g1"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/alpha/guests/gst_") {
			t.Fatalf("add guest: %d %q", resp.StatusCode, loc)
		}
		_, page := f.page("GET", "/guests?q=bade", nil)
		if !strings.Contains(page, "Ruth Bader") || strings.Contains(page, "Frida") {
			t.Fatal("guest search")
		}
		resp, page = f.page("POST", strings.TrimPrefix(loc, "/alpha"), url.Values{"given_name": {"Ruth"}, "family_name": {"Bader Ginsburg"}, "version": {"7"}})
		if resp.StatusCode != http.StatusPreconditionFailed || !strings.Contains(page, "changed by someone else") {
			t.Fatalf("stale guest edit: %d", resp.StatusCode)
		}
		resp, _ = f.page("POST", strings.TrimPrefix(loc, "/alpha"), url.Values{"given_name": {"Ruth"}, "family_name": {"Bader Ginsburg"}, "version": {"1"}})
		_, page = f.page("GET", strings.TrimPrefix(loc, "/alpha"), nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(page, "Ruth Bader Ginsburg") || !strings.Contains(page, `id="check-ins"`) {
			t.Fatalf("guest edit: %d", resp.StatusCode)
		}
		_, page = f.page("GET", "/guests/"+over.GuestID, nil)
		if !strings.Contains(page, "/alpha/reservations/"+over.ID) {
			t.Fatal("the guest page does not list the guest's reservation")
		}
	})

	t.Run("Rates", func(t *testing.T) {
		from := f.today.AddDays(20)
		form := url.Values{"plans": {f.plan.ID}, "first": {from.String()}, "last": {from.AddDays(6).String()},
			"weekdays": {"sat"}, "price": {"1.234,50"}, "closed_to_arrival": {"on"}}
		// First a summary to confirm; nothing is written yet.
		resp, body := f.page("POST", "/rates", form)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "1 day chosen, 1 will change") ||
			!strings.Contains(html.UnescapeString(body), "<strong>Price</strong>: 100,00 € (1 day) → <strong>1.234,50 €</strong>") {
			t.Fatalf("bulk edit summary: %d %s", resp.StatusCode, body)
		}
		form.Set("intent", "apply")
		resp, body = f.page("POST", "/rates", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("bulk edit: %d %s", resp.StatusCode, body)
		}
		_, body = f.api("GET", "/rate-plans/"+f.plan.ID+"/rates?from="+from.String()+"&to="+from.AddDays(7).String(), "")
		sat := 0
		for _, d := range decode[struct{ Data []inventory.DayRate }](t, body).Data {
			if d.Date.Weekday().String() == "Saturday" {
				sat++
				if d.Price.Amount != 123450 || !d.ClosedToArrival {
					t.Fatalf("Saturday %+v", d)
				}
			} else if d.Price.Amount != 10000 || d.ClosedToArrival {
				t.Fatalf("%s changed: %+v", d.Date.Weekday(), d)
			}
		}
		if sat != 1 {
			t.Fatalf("%d Saturdays", sat)
		}
		resp, body = f.page("POST", "/rates", url.Values{"plans": {f.plan.ID}, "first": {from.String()}, "last": {from.String()}, "price": {"twelve"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "must be an amount") {
			t.Fatalf("a price that is not an amount: %d", resp.StatusCode)
		}
	})

	t.Run("Property", func(t *testing.T) {
		v := url.Values{"property_id": {f.prop.ID}, "version": {fmt.Sprint(f.prop.Version)}, "name": {"Hotel Am See"}, "time_zone": {"Mars/Olympus"},
			"currency": {"EUR"}, "check_in_time": {"15:00"}, "check_out_time": {"11:00"}, "address_country": {"DE"}, "city_tax": {"2,50"}}
		resp, body := f.page("POST", "/settings/property", v)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="field has-error"`) || !strings.Contains(body, "IANA time zone") {
			t.Fatalf("a bad zone: %d", resp.StatusCode)
		}
		v.Set("time_zone", "Europe/Berlin")
		if resp, _ := f.page("POST", "/settings/property", v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		_, body = f.api("GET", "/properties/"+f.prop.ID, "")
		if p := decode[inventory.Property](t, body); p.Tax.CityTax.PerPersonPerNight.Amount != 250 {
			t.Fatalf("city tax %+v", p.Tax.CityTax)
		}
		resp, _ = f.page("POST", "/settings/properties", url.Values{"name": {"Zweites Haus"}, "time_zone": {"Europe/Vienna"}, "currency": {"EUR"},
			"check_in_time": {"15:00"}, "check_out_time": {"11:00"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "property=prp_") {
			t.Fatalf("add property: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("Rooms", func(t *testing.T) {
		resp, _ := f.page("POST", "/settings/room-types", url.Values{"rt_code": {"TWN"}, "rt_name": {"Twin"}, "rt_capacity": {"2"}, "rt_base_occupancy": {"2"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("room type: %d", resp.StatusCode)
		}
		resp, body := f.page("POST", "/settings/room-types", url.Values{"rt_code": {"TWN"}, "rt_name": {"Twin again"}, "rt_capacity": {"2"}, "rt_base_occupancy": {"3"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-rt_base_occupancy-error"`) {
			t.Fatalf("bad room type: %d", resp.StatusCode)
		}
		resp, body = f.page("POST", "/settings/rooms", url.Values{"room_number": {"101"}, "room_room_type_id": {f.rt.ID}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="f-room_number-error"`) {
			t.Fatalf("a room number in use: %d", resp.StatusCode)
		}
		resp, _ = f.page("POST", "/settings/room-blocks", url.Values{"blk_room_id": {f.rooms[0].ID}, "blk_kind": {"out_of_order"},
			"blk_start": {f.today.AddDays(30).String()}, "blk_last": {f.today.AddDays(31).String()}, "blk_reason": {"Paint"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("block: %d", resp.StatusCode)
		}
		_, page := f.page("GET", "/settings/rooms", nil)
		if !strings.Contains(page, "Paint") || !strings.Contains(page, "Twin") {
			t.Fatal("the rooms page lacks the new type or block")
		}
		resp, body = f.page("POST", "/settings/room-blocks", url.Values{"blk_room_id": {f.rooms[0].ID}, "blk_kind": {"out_of_order"},
			"blk_start": {arrival.String()}, "blk_last": {arrival.String()}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "every other room of its type is sold") {
			t.Fatalf("a block over a sold night: %d", resp.StatusCode)
		}
	})
}
