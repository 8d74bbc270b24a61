package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// testReservationAPI walks a reservation through the API: the ETag and
// If-Match (412 on a stale version), a stay change, the transitions (409
// for an illegal one), and the request-shape errors (400, 413).
func testReservationAPI(t *testing.T, f *pmsFixture) {
	in := strings.Replace(f.bookingJSON("Tilda", f.today.AddDays(60), f.today.AddDays(62)), `"reservations"`, `"status": "tentative", "reservations"`, 1)
	resp, body := f.api("POST", "/bookings", in)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	b := decode[stays.Booking](t, body)
	id := b.Reservations[0].ID
	if got := resp.Header.Get("Location"); got != "/alpha/api/v1/bookings/"+b.ID {
		t.Fatalf("Location %q", got)
	}

	t.Run("GetWithETag", func(t *testing.T) {
		resp, body := f.api("GET", "/reservations/"+id, "")
		r := decode[stays.Reservation](t, body)
		if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"1"` || r.Status != stays.ReservationTentative || r.Total.Amount != 20000 {
			t.Fatalf("%d ETag %q: %s", resp.StatusCode, resp.Header.Get("ETag"), body)
		}
		if !hasJSON(t, body, "arrival", `"`+f.today.AddDays(60).String()+`"`) || !hasJSON(t, body, "total", `{"amount": 20000, "currency": "EUR"}`) {
			t.Fatalf("dates or money not in the API's form: %s", body)
		}
	})

	t.Run("PatchStay", func(t *testing.T) {
		resp, body := f.api("PATCH", "/reservations/"+id, `{"departure": "`+f.today.AddDays(63).String()+`", "adults": 3}`, "If-Match", `"1"`)
		r := decode[stays.Reservation](t, body)
		if resp.StatusCode != 200 || len(r.Nights) != 3 || r.Adults != 3 || resp.Header.Get("ETag") != `"2"` {
			t.Fatalf("%d: %s", resp.StatusCode, body)
		}
	})

	t.Run("ErrPrecondition", func(t *testing.T) {
		resp, body := f.api("PATCH", "/reservations/"+id, `{"adults": 1}`, "If-Match", `"1"`)
		if resp.StatusCode != http.StatusPreconditionFailed || !strings.Contains(body, "changed by someone else") {
			t.Fatalf("stale If-Match: %d %s", resp.StatusCode, body)
		}
		resp, _ = f.api("POST", "/reservations/"+id+"/confirm", "", "If-Match", `"1"`)
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale If-Match on confirm: %d", resp.StatusCode)
		}
		resp, body = f.api("PATCH", "/reservations/"+id, `{"adults": 1}`, "If-Match", `banana`)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("If-Match not a version: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Transitions", func(t *testing.T) {
		resp, body := f.api("POST", "/reservations/"+id+"/confirm", "")
		if resp.StatusCode != 200 || !hasJSON(t, body, "status", `"confirmed"`) {
			t.Fatalf("confirm: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/confirm", "")
		p := decode[web.Problem](t, body)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(p.Detail, "is confirmed; it cannot be confirmed") {
			t.Fatalf("confirm twice: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/check-out", "")
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("check-out before check-in: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/assign", fmt.Sprintf(`{"room_id": %q}`, f.rooms[1].ID))
		if resp.StatusCode != 200 || !hasJSON(t, body, "room_id", `"`+f.rooms[1].ID+`"`) {
			t.Fatalf("assign: %d %s", resp.StatusCode, body)
		}
		// Sixty days ahead the flexible plan is still free to cancel.
		resp, body = f.api("POST", "/reservations/"+id+"/cancel", `{"waive_fee": false}`)
		r := decode[stays.Reservation](t, body)
		if resp.StatusCode != 200 || r.Status != stays.ReservationCancelled || r.CancellationFee == nil || r.CancellationFee.Amount != 0 || r.RoomID != "" {
			t.Fatalf("cancel: %d %s", resp.StatusCode, body)
		}
		resp, _ = f.api("POST", "/reservations/"+id+"/no-show", "")
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("no-show after cancel: %d", resp.StatusCode)
		}
	})

	t.Run("ErrUnknownField", func(t *testing.T) {
		resp, body := f.api("PATCH", "/reservations/"+id, `{"adultz": 2}`)
		p := decode[web.Problem](t, body)
		if resp.StatusCode != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "adultz" {
			t.Fatalf("unknown field: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ErrTooLarge", func(t *testing.T) {
		big := `{"property_id": "` + f.prop.ID + `", "notes": "` + strings.Repeat("x", 70<<10) + `"}`
		resp, body := f.api("POST", "/bookings", big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a 70 KiB body: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ErrValidation", func(t *testing.T) {
		bad := fmt.Sprintf(`{"property_id": %q, "booker": {"new": {"email": "not-an-email"}}, "reservations": [{"room_type_id": %q, "rate_plan_id": %q,
			"arrival": %q, "departure": %q, "adults": 0}]}`, f.prop.ID, f.rt.ID, f.plan.ID, f.today.AddDays(63), f.today.AddDays(62))
		resp, body := f.api("POST", "/bookings", bad)
		p := decode[web.Problem](t, body)
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = true
		}
		if resp.StatusCode != http.StatusBadRequest || !fields["booker.new.email"] || !fields["reservations[0].departure"] || !fields["reservations[0].adults"] {
			t.Fatalf("validation: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		resp, _ := f.api("GET", "/reservations/res_nosuchthing", "")
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown reservation: %d", resp.StatusCode)
		}
	})
}

// testReservationListAPI pages with limit and cursor and filters.
func testReservationListAPI(t *testing.T, f *pmsFixture) {
	base := f.today.AddDays(100)
	for i := 0; i < 5; i++ {
		if resp, body := f.api("POST", "/bookings", f.bookingJSON(fmt.Sprint("G", i), base.AddDays(i), base.AddDays(i+1))); resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	type page struct {
		Data       []stays.Reservation
		NextCursor *string `json:"next_cursor"`
	}
	var seen []string
	window := "arrival_from=" + base.String() + "&arrival_to=" + base.AddDays(5).String()
	path := "/reservations?limit=2&" + window
	for n := 0; n < 5; n++ {
		resp, body := f.api("GET", path, "")
		p := decode[page](t, body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		for _, r := range p.Data {
			seen = append(seen, r.Arrival.String())
		}
		if p.NextCursor == nil {
			break
		}
		path = "/reservations?limit=2&" + window + "&cursor=" + *p.NextCursor
	}
	if len(seen) != 5 || seen[0] != base.String() || seen[4] != base.AddDays(4).String() {
		t.Fatalf("paged arrivals %v", seen)
	}
	resp, body := f.api("GET", "/reservations?arrival_from="+base.AddDays(1).String()+"&arrival_to="+base.AddDays(3).String()+"&status=confirmed,tentative", "")
	if got := len(decode[page](t, body).Data); resp.StatusCode != 200 || got != 2 {
		t.Fatalf("filtered: %d, %d reservations", resp.StatusCode, got)
	}
	for _, bad := range []string{"?limit=500", "?status=lost", "?arrival_from=tomorrow", "?cursor=!!"} {
		if resp, body := f.api("GET", "/reservations"+bad, ""); resp.StatusCode != 400 || !strings.Contains(body, `"errors"`) {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
	// A named property is looked up only when its page is empty or the
	// request fails; the answers are those of looking it up first.
	if resp, body := f.api("GET", "/reservations?limit=2&property_id="+f.prop.ID+"&"+window, ""); resp.StatusCode != 200 || len(decode[page](t, body).Data) != 2 {
		t.Errorf("named property: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.api("GET", "/reservations?property_id="+f.prop.ID+"&arrival_from=2199-01-01", ""); resp.StatusCode != 200 || !strings.Contains(body, `"data":[]`) {
		t.Errorf("named property, empty page: %d %s", resp.StatusCode, body)
	}
	for _, q := range []string{"", "&status=lost", "&limit=500", "&cursor=!!"} {
		if resp, body := f.api("GET", "/reservations?property_id=prp_nope"+q, ""); resp.StatusCode != 400 || !strings.Contains(body, "No such property") || !strings.Contains(body, `"property_id"`) {
			t.Errorf("unknown property%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

// testInventoryAPI creates and patches a room type, room, block and rate
// plan, edits rates in bulk and reads them back with availability.
func testInventoryAPI(t *testing.T, f *pmsFixture) {
	resp, body := f.api("POST", "/room-types", fmt.Sprintf(`{"property_id": %q, "code": "STE", "name": "Suite", "capacity": 4, "base_occupancy": 2}`, f.prop.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("room type: %d %s", resp.StatusCode, body)
	}
	rt := decode[inventory.RoomType](t, body)
	resp, body = f.api("PATCH", "/room-types/"+rt.ID, `{"name": "Junior Suite"}`, "If-Match", `"1"`)
	if got := decode[inventory.RoomType](t, body); resp.StatusCode != 200 || got.Name != "Junior Suite" || got.Capacity != 4 || got.Code != "STE" {
		t.Fatalf("patch room type: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("POST", "/rooms", fmt.Sprintf(`{"property_id": %q, "room_type_id": %q, "number": "501", "floor": "5", "features": ["balcony"]}`, f.prop.ID, rt.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("room: %d %s", resp.StatusCode, body)
	}
	room := decode[inventory.Room](t, body)
	resp, body = f.api("POST", "/rate-plans", fmt.Sprintf(`{"property_id": %q, "room_type_id": %q, "code": "STE-FLEX", "name": "Suite flexible", "active": true}`, f.prop.ID, rt.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("rate plan: %d %s", resp.StatusCode, body)
	}
	rp := decode[inventory.RatePlan](t, body)
	from, to := f.today.AddDays(1), f.today.AddDays(8)
	resp, body = f.api("PUT", "/rate-plans/"+rp.ID+"/rates", fmt.Sprintf(`{"from": %q, "to": %q, "weekdays": ["fri", "sat"], "price": {"amount": 25000, "currency": "EUR"}, "min_stay": 2}`, from, to))
	res := decode[inventory.RateUpdateResult](t, body)
	if resp.StatusCode != 200 || res.Days != 2 || res.Changed != 2 {
		t.Fatalf("bulk edit: %d %s", resp.StatusCode, body)
	}
	_, body = f.api("GET", "/rate-plans/"+rp.ID+"/rates?from="+from.String()+"&to="+to.String(), "")
	days := decode[struct{ Data []inventory.DayRate }](t, body).Data
	priced := 0
	for _, d := range days {
		if d.Price != nil {
			priced++
			if wd := d.Date.Weekday().String(); (wd != "Friday" && wd != "Saturday") || d.Price.Amount != 25000 || d.MinStay != 2 {
				t.Fatalf("day %+v", d)
			}
		}
	}
	if len(days) != 7 || priced != 2 {
		t.Fatalf("%d days, %d priced", len(days), priced)
	}
	resp, body = f.api("POST", "/room-blocks", fmt.Sprintf(`{"room_id": %q, "kind": "out_of_order", "start": %q, "end": %q, "reason": "Leak"}`, room.ID, from, from.AddDays(2)))
	if resp.StatusCode != 201 {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	blk := decode[inventory.RoomBlock](t, body)
	_, body = f.api("GET", "/availability?from="+from.String()+"&to="+from.AddDays(3).String(), "")
	a := decode[inventory.Availability](t, body)
	var suite []int
	for _, row := range a.RoomTypes {
		if row.RoomType.ID == rt.ID {
			for _, n := range row.Nights {
				suite = append(suite, n.Available)
			}
		}
	}
	if fmt.Sprint(suite) != "[0 0 1]" {
		t.Fatalf("suite availability with the block %v, want [0 0 1]", suite)
	}
	if resp, _ := f.api("DELETE", "/room-blocks/"+blk.ID, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete block: %d", resp.StatusCode)
	}
	resp, body = f.api("GET", "/offers?arrival="+from.String()+"&departure="+from.AddDays(1).String()+"&adults=2", "")
	if resp.StatusCode != 200 || !hasJSON(t, body, "bookable", `true`) {
		t.Fatalf("offers: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("PATCH", "/properties/"+f.prop.ID, `{"check_in_time": "14:00"}`)
	if p := decode[inventory.Property](t, body); resp.StatusCode != 200 || p.CheckInTime != "14:00" || p.Name != "Hotel Am See" || p.TimeZone != "Europe/Berlin" {
		t.Fatalf("patch property: %d %s", resp.StatusCode, body)
	}
}
