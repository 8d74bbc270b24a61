package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDatesOutOfRange: a date outside the supported range (1900-01-01 to
// 2199-12-31) or no day of the calendar, in a query, a JSON body or a
// form, is a 400 naming the field, never a 500; an impossible date in a
// JSON body is reported as a bad date in its field, not as bad JSON.
func TestDatesOutOfRange(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	const rangeMsg = "must be from 1900-01-01 to 2199-12-31"
	t.Run("ErrQuery", func(t *testing.T) {
		for _, c := range []struct{ path, field, msg string }{
			{"/availability?from=0001-01-01", "from", rangeMsg},
			{"/availability?from=9999-12-31", "from", rangeMsg},
			{"/availability?from=2026-01-01&to=9999-12-31", "to", rangeMsg},
			{"/tape-chart?from=9999-12-01", "from", rangeMsg},
			{"/rate-plans/" + f.plan.ID + "/rates?from=9999-12-31", "from", rangeMsg},
			{"/room-blocks?to=0001-01-01", "to", rangeMsg},
			{"/offers?arrival=9999-12-30&departure=9999-12-31", "arrival", rangeMsg},
			{"/reservations?staying_on=9999-12-31", "staying_on", rangeMsg},
			{"/reservations?arrival_from=0001-01-01", "arrival_from", rangeMsg},
			{"/front-desk?date=9999-12-31", "date", rangeMsg},
			{"/housekeeping?date=0001-01-01", "date", rangeMsg},
			{"/front-desk?date=2027-02-30", "date", "is not a day of the calendar"},
		} {
			resp, body := f.api("GET", c.path, "")
			if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)[c.field] != c.msg {
				t.Errorf("GET %s: %d %s, want 400 naming %s: %s", c.path, resp.StatusCode, body, c.field, c.msg)
			}
		}
	})
	t.Run("ErrJSON", func(t *testing.T) {
		for _, c := range []struct{ method, path, body, field, msg string }{
			{"POST", "/bookings", f.bookingJSON("Ada", f.today.AddDays(3), f.today.AddDays(5)), "", ""},
			{"POST", "/bookings", strings.Replace(f.bookingJSON("Ada", f.today, f.today), `"departure": "`+f.today.String(), `"departure": "9999-12-31`, 1),
				"reservations.departure", rangeMsg},
			{"POST", "/bookings", strings.Replace(f.bookingJSON("Ada", f.today, f.today), `"arrival": "`+f.today.String(), `"arrival": "0001-01-01`, 1),
				"reservations.arrival", rangeMsg},
			{"POST", "/bookings", strings.Replace(f.bookingJSON("Ada", f.today, f.today), `"arrival": "`+f.today.String(), `"arrival": "2027-02-30`, 1),
				"reservations.arrival", "is not a day of the calendar"},
			{"PUT", "/rate-plans/" + f.plan.ID + "/rates", `{"from": "9999-12-01", "to": "9999-12-31", "price": {"amount": 100, "currency": "EUR"}}`,
				"from", rangeMsg},
			{"POST", "/room-blocks", `{"room_id": "` + f.rooms[0].ID + `", "kind": "out_of_order", "start": "2026-01-01", "end": "9999-12-31"}`,
				"end", rangeMsg},
		} {
			resp, body := f.api(c.method, c.path, c.body)
			if c.field == "" {
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("the valid booking: %d %s", resp.StatusCode, body)
				}
				continue
			}
			if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)[c.field] != c.msg || strings.Contains(body, "not valid JSON") {
				t.Errorf("%s %s with a bad %s: %d %s", c.method, c.path, c.field, resp.StatusCode, body)
			}
		}
	})
	t.Run("ErrPages", func(t *testing.T) {
		for _, path := range []string{"/calendar?from=9999-12-31", "/tapechart?from=9999-12-20", "/frontdesk?date=0001-01-01",
			"/housekeeping?date=9999-12-31", "/reservations?arrival_from=9999-12-31", "/rates?from=9999-12-31"} {
			resp, body := f.page("GET", path, nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "1900-01-01 to 2199-12-31") {
				t.Errorf("GET %s: %d, want 400 naming the supported range", path, resp.StatusCode)
			}
		}
		form := url.Values{"property_id": {f.prop.ID}, "room_type_id": {f.rt.ID}, "rate_plan_id": {f.plan.ID},
			"arrival": {f.today.String()}, "departure": {"9999-12-31"}, "adults": {"2"}, "children": {"0"}, "guest_mode": {"new"},
			"given_name": {"Ada"}, "source": {"direct"}, "status": {"confirmed"}, "intent": {"create"}}
		resp, body := f.page("POST", "/reservations", form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="f-departure-error"`) || !strings.Contains(body, rangeMsg) {
			t.Errorf("form with departure 9999-12-31: %d, want the form again with the error at departure", resp.StatusCode)
		}
	})
}
