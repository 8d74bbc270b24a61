package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
)

// TestRestrictedGuestSurfaces walks the pages and API responses that show
// a reservation's guest, for a guest whose processing is restricted (GDPR
// art. 18): a front-desk user (no guests.restricted.read) never sees the
// guest's name, email, phone, address or notes on any of them; the owner
// (who has it) does, and each of those reads is audited
// (guest.restricted_read, one row per read).
func TestRestrictedGuestSurfaces(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	const (
		family = "Restrictowa"
		email  = "rhea@restrictowa.example"
		phone  = "+49 170 5550199"
		street = "Geheimweg 17"
		notes  = "allergic-to-sesame-7731"
	)
	body := fmt.Sprintf(`{"property_id": %q, "notes": %q, "booker": {"new": {"given_name": "Rhea", "family_name": %q, "email": %q, "phone": %q,
		"address": {"line1": %q, "city": "Berlin", "country": "DE"}, "notes": %q}},
		"reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1}]}`,
		f.prop.ID, notes, family, email, phone, street, notes, f.rt.ID, f.plan.ID, f.today, f.today.AddDays(2))
	resp, out := f.api("POST", "/bookings", body)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, out)
	}
	b := decode[stays.Booking](t, out)
	res := b.Reservations[0]
	gid := res.GuestID
	// A second stay, in house, so the departures and in-house lists have
	// the guest too.
	resp, out = f.api("POST", "/bookings", fmt.Sprintf(`{"property_id": %q, "booker": {"id": %q}, "reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1}]}`,
		f.prop.ID, gid, f.rt.ID, f.plan.ID, f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 {
		t.Fatalf("second booking: %d %s", resp.StatusCode, out)
	}
	inHouse := decode[stays.Booking](t, out).Reservations[0]
	if resp, out := f.api("POST", "/reservations/"+inHouse.ID+"/check-in", `{"room_id": "`+f.rooms[1].ID+`"}`); resp.StatusCode != 200 {
		t.Fatalf("check-in: %d %s", resp.StatusCode, out)
	}
	if resp, _ := f.page("POST", "/guests/"+gid+"/restrict", url.Values{"restrict": {"on"}, "reason": {"disputes the stay"}, "idempotency_key": {"r1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restrict: %d", resp.StatusCode)
	}

	tok := f.roleToken(t, identity.RoleFrontDesk, "fred@alpha.example")
	desk := map[string]string{"Authorization": "Bearer " + tok}
	deskSession := []*http.Cookie{h.login("alpha", "fred@alpha.example", ownerPassword)}
	owner := map[string]string{"Authorization": "Bearer " + f.token}
	ownerSession := []*http.Cookie{f.session}

	day, tomorrow := f.today.String(), f.today.AddDays(1).String()
	surfaces := []struct {
		name, path string
		api        bool
		// shows: the owner's response names the guest (so a read happens).
		shows bool
	}{
		{"reservation page", "/alpha/reservations/" + res.ID, false, true},
		{"reservation page in house", "/alpha/reservations/" + inHouse.ID, false, true},
		{"reservations list", "/alpha/reservations", false, true},
		{"check-in page", "/alpha/reservations/" + res.ID + "/check-in", false, true},
		{"check-out page", "/alpha/reservations/" + inHouse.ID + "/check-out", false, true},
		{"registration card", "/alpha/reservations/" + inHouse.ID + "/registration-card", false, true},
		{"front desk", "/alpha/frontdesk?date=" + day, false, true},
		{"arrivals print", "/alpha/frontdesk/print?list=arrivals&date=" + day, false, true},
		{"departures print", "/alpha/frontdesk/print?list=departures&date=" + tomorrow, false, true},
		{"guest list", "/alpha/guests", false, true},
		{"API guest search", "/alpha/api/v1/guests?q=Rhea", true, true},
		{"tape chart", "/alpha/tapechart?from=" + day, false, true},
		{"calendar", "/alpha/calendar?from=" + day, false, false},
		{"search by name", "/alpha/search?q=Rhea", false, true},
		{"search by reservation", "/alpha/search?q=" + res.ID, false, true},
		{"dashboard", "/alpha/", false, true},
		{"API reservation", "/alpha/api/v1/reservations/" + res.ID, true, false},
		{"API reservations", "/alpha/api/v1/reservations?property_id=" + f.prop.ID, true, false},
		{"API booking", "/alpha/api/v1/bookings/" + b.ID, true, true},
		{"API front desk", "/alpha/api/v1/front-desk?property_id=" + f.prop.ID + "&date=" + day, true, true},
		{"API tape chart", "/alpha/api/v1/tape-chart?property_id=" + f.prop.ID + "&from=" + day, true, true},
	}
	// The pages that name the stay's guest show the placeholder instead.
	placeholder := map[string]bool{"reservation page": true, "reservation page in house": true, "reservations list": true, "check-in page": true,
		"registration card": true, "front desk": true, "arrivals print": true, "tape chart": true, "search by reservation": true}
	secrets := []string{family, email, phone, street, notes}
	audited := func() int {
		db := h.acquire("alpha")
		defer db.Release()
		var n int
		if err := db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'guest.restricted_read' AND entity_id = ?`, gid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			r := req{path: s.path, cookies: deskSession}
			if s.api {
				r = req{path: s.path, header: desk}
			}
			resp, page := h.do(r)
			if resp.StatusCode != 200 && resp.StatusCode != 404 {
				t.Fatalf("front desk: %d %.300s", resp.StatusCode, page)
			}
			for _, secret := range secrets {
				if strings.Contains(page, secret) {
					t.Errorf("front desk sees %q", secret)
				}
			}
			if placeholder[s.name] && !strings.Contains(page, stays.RestrictedName) {
				t.Errorf("front desk: no %q placeholder", stays.RestrictedName)
			}
			before := audited()
			r.cookies, r.header = ownerSession, nil
			if s.api {
				r.cookies, r.header = nil, owner
			}
			resp, page = h.do(r)
			if resp.StatusCode != 200 {
				t.Fatalf("owner: %d %.300s", resp.StatusCode, page)
			}
			reads := audited() - before
			shown := false
			for _, secret := range secrets {
				shown = shown || strings.Contains(page, secret)
			}
			if shown != s.shows || s.shows && reads != 1 || !s.shows && reads != 0 {
				t.Errorf("owner: shows the guest %v (want %v), %d reads audited", shown, s.shows, reads)
			}
		})
	}
	// A client that hangs up as soon as the answer starts still leaves
	// its audit row: the data went out, so the read counts.
	t.Run("client hangs up", func(t *testing.T) {
		before := audited()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rq := httptest.NewRequestWithContext(ctx, "GET", h.ts.URL+"/alpha/api/v1/bookings/"+b.ID, nil)
		rq.Header.Set("Authorization", "Bearer "+f.token)
		rec := &hangUp{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
		h.srv.ServeHTTP(rec, rq)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), notes) {
			t.Fatalf("owner: %d %.300s", rec.Code, rec.Body.String())
		}
		if reads := audited() - before; reads != 1 {
			t.Errorf("%d reads audited after the client hung up, want 1", reads)
		}
	})
}

// hangUp cancels its request's context when the answer starts, as a
// client closing its connection after the first bytes does.
type hangUp struct {
	*httptest.ResponseRecorder
	cancel context.CancelFunc
}

func (w *hangUp) WriteHeader(code int) {
	w.cancel()
	w.ResponseRecorder.WriteHeader(code)
}

func (w *hangUp) Write(b []byte) (int, error) {
	w.cancel()
	return w.ResponseRecorder.Write(b)
}
