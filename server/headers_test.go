package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/stays"
)

// TestHSTSOnEveryKindOfAnswer: the security headers are not only on one
// route. A page, a redirect, an error page, an API answer, an API problem,
// an ID photo (which sets a CSP of its own) and an exported calendar (no
// session, outside both route trees), found and not found, all carry
// HSTS, nosniff and a CSP over HTTPS.
func TestHSTSOnEveryKindOfAnswer(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Ida", f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	id := decode[stays.Booking](t, body).Reservations[0].ID
	photo := base64.StdEncoding.EncodeToString(auratest.JPEG(t, 8, 8))
	resp, body = f.api("POST", "/reservations/"+id+"/check-in", fmt.Sprintf(`{"room_id": %q, "guests": [{"photos": [%q]}]}`, f.rooms[0].ID, photo))
	if resp.StatusCode != 200 {
		t.Fatalf("check-in: %d %s", resp.StatusCode, body)
	}
	_, body = f.api("GET", "/reservations/"+id+"/check-ins", "")
	m := regexp.MustCompile(`"id": ?"(idp_[a-z0-9]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no photo in %s", body)
	}
	db := h.acquire("alpha")
	_, token, err := channels.New(db).CreateExport(aura.WithActor(context.Background(), f.owner.Actor()),
		channels.ExportInput{PropertyID: f.prop.ID, RoomID: f.rooms[0].ID, Channel: "airbnb"})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.plat.RegisterCalendarToken(context.Background(), channels.TokenHash(token), f.t.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		do     func() *http.Response
		status int
	}{
		{"page", func() *http.Response { r, _ := f.page("GET", "/frontdesk", nil); return r }, 200},
		{"redirect", func() *http.Response { r, _ := h.do(req{path: "/alpha/frontdesk"}); return r }, http.StatusSeeOther},
		{"error page", func() *http.Response { r, _ := f.page("GET", "/reservations/res_aaaaaaaaaaaaaaaa", nil); return r }, 404},
		{"API answer", func() *http.Response { r, _ := f.api("GET", "/reservations/"+id, ""); return r }, 200},
		{"API problem", func() *http.Response { r, _ := f.api("GET", "/rooms/rom_aaaaaaaaaaaaaaaa", ""); return r }, 404},
		{"ID photo page", func() *http.Response { r, _ := f.page("GET", "/id-photos/"+m[1], nil); return r }, 200},
		{"ID photo API", func() *http.Response { r, _ := f.api("GET", "/id-photos/"+m[1], ""); return r }, 200},
		{"calendar", func() *http.Response { r, _ := h.do(req{path: "/ical/" + token + ".ics"}); return r }, 200},
		{"calendar not found", func() *http.Response { r, _ := h.do(req{path: "/ical/" + strings.Repeat("C", 43) + ".ics"}); return r }, 404},
	}
	for _, tc := range cases {
		r := tc.do()
		if r.StatusCode != tc.status || !strings.HasPrefix(r.Header.Get("Strict-Transport-Security"), "max-age=63072000") ||
			r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d, HSTS %q, nosniff %q, CSP %q", tc.name, r.StatusCode, r.Header.Get("Strict-Transport-Security"),
				r.Header.Get("X-Content-Type-Options"), r.Header.Get("Content-Security-Policy"))
		}
	}
}
