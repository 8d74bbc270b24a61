package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
)

var calendarURL = regexp.MustCompile(`/ical/[0-9A-Za-z]{43}\.ics`)

// TestCalendarExportHTTP: a calendar URL made on the channels page serves
// the room's nights without a session, answers conditional requests with
// 304, stops at rotation and revocation, answers every way of not finding
// a calendar with the same 404 that names no tenant, and is rate-limited.
func TestCalendarExportHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	g := newPMS(t, h, "beta", 1).signIn()

	resp, body := f.page("GET", "/settings/channels", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Export a calendar") {
		t.Fatalf("channels page: %d\n%s", resp.StatusCode, body)
	}
	// Refused input is shown again with its message, nothing created.
	resp, body = f.page("POST", "/settings/channels/calendars", url.Values{"cal_target": {"room:" + f.rooms[0].ID}, "cal_channel": {"Air BnB"}, "cal_days": {"365"}})
	if resp.StatusCode != 422 && resp.StatusCode != 400 || calendarURL.MatchString(body) || !strings.Contains(body, "channel code") {
		t.Fatalf("bad channel: %d", resp.StatusCode)
	}
	resp, body = f.page("POST", "/settings/channels/calendars", url.Values{"cal_target": {"room:" + f.rooms[0].ID}, "cal_channel": {"airbnb"}, "cal_days": {"365"}})
	path := calendarURL.FindString(body)
	if resp.StatusCode != 200 || path == "" {
		t.Fatalf("create: %d\n%s", resp.StatusCode, body)
	}

	// A stay in room 101.
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	_, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: f.prop.ID, Source: stays.SourceDirect,
		Booker: stays.GuestRef{New: &stays.GuestInput{GivenName: "Grete", FamilyName: "Gast"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: f.rt.ID, RatePlanID: f.plan.ID, RoomID: f.rooms[0].ID,
			Arrival: f.today.AddDays(5), Departure: f.today.AddDays(8), Adults: 2}}})
	exports, _ := channels.New(db).ListExports(ctx, f.prop.ID)
	db.Release()
	if err != nil || len(exports) != 1 {
		t.Fatal(err, len(exports))
	}
	exp := exports[0]

	resp, body = h.do(req{path: path})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("calendar: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	arr, dep := strings.ReplaceAll(f.today.AddDays(5).String(), "-", ""), strings.ReplaceAll(f.today.AddDays(8).String(), "-", "")
	if !strings.Contains(body, "DTSTART;VALUE=DATE:"+arr+"\r\nDTEND;VALUE=DATE:"+dep+"\r\nSUMMARY:Reserved\r\n") {
		t.Errorf("the stay is not in the calendar:\n%s", body)
	}
	if len(resp.Cookies()) != 0 || resp.Header.Get("Set-Cookie") != "" {
		t.Error("the calendar sets a cookie")
	}
	for _, leak := range []string{"alpha", f.t.ID, "Hotel Am See", "Grete", "Gast", f.prop.ID, f.rooms[0].ID, "101"} {
		if strings.Contains(body, leak) {
			t.Errorf("the calendar names %q", leak)
		}
	}
	py := exec.Command("/usr/bin/python3", "-c", "import sys\nfrom icalendar import Calendar\nc = Calendar.from_ical(sys.stdin.read())\nfor e in c.walk('VEVENT'): print(e.decoded('DTSTART').isoformat(), e.decoded('DTEND').isoformat(), e['SUMMARY'])")
	py.Stdin = strings.NewReader(body)
	out, err := py.Output()
	if err != nil {
		t.Fatalf("python3 icalendar (scripts/test-deps installs Debian's python3-icalendar): %v", err)
	}
	if want := f.today.AddDays(5).String() + " " + f.today.AddDays(8).String() + " Reserved\n"; string(out) != want {
		t.Errorf("Python's icalendar read %q, want %q", out, want)
	}

	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("validators: %q %q", etag, lastMod)
	}
	for name, hdr := range map[string]map[string]string{
		"If-None-Match":     {"If-None-Match": etag},
		"If-None-Match *":   {"If-None-Match": `"x", ` + etag},
		"If-Modified-Since": {"If-Modified-Since": lastMod},
	} {
		resp, body = h.do(req{path: path, header: hdr})
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("%s: %d %q", name, resp.StatusCode, body)
		}
	}
	resp, _ = h.do(req{path: path, header: map[string]string{"If-None-Match": `"stale"`}})
	if resp.StatusCode != 200 {
		t.Errorf("a stale ETag: %d", resp.StatusCode)
	}
	resp, body = h.do(req{method: "HEAD", path: path})
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	resp, _ = h.do(req{method: "POST", path: path})
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}

	// Another tenant cannot rotate or revoke it: 404, and it still serves.
	for _, action := range []string{"rotate", "revoke"} {
		resp, _ = g.page("POST", "/settings/channels/calendars/"+exp.ID+"/"+action, url.Values{"version": {"1"}})
		if resp.StatusCode != 404 {
			t.Errorf("beta %s of alpha's calendar: %d", action, resp.StatusCode)
		}
	}
	if resp, _ = h.do(req{path: path}); resp.StatusCode != 200 {
		t.Fatalf("after beta's attempts: %d", resp.StatusCode)
	}

	// Rotating: a new URL, the old one 404.
	resp, body = f.page("POST", "/settings/channels/calendars/"+exp.ID+"/rotate", url.Values{"version": {"1"}})
	rotated := calendarURL.FindString(body)
	if resp.StatusCode != 200 || rotated == "" || rotated == path {
		t.Fatalf("rotate: %d %q", resp.StatusCode, rotated)
	}
	notFound := func(name, p string) {
		t.Helper()
		resp, body := h.do(req{path: p})
		if resp.StatusCode != 404 || body != "Not found.\n" || resp.Header.Get("ETag") != "" {
			t.Errorf("%s: %d %q", name, resp.StatusCode, body)
		}
	}
	notFound("the rotated-away URL", path)
	if resp, _ = h.do(req{path: rotated}); resp.StatusCode != 200 {
		t.Fatalf("the new URL: %d", resp.StatusCode)
	}
	notFound("an unknown token", "/ical/"+strings.Repeat("A", 43)+".ics")
	notFound("a malformed token", "/ical/abc.ics")
	notFound("no .ics", strings.TrimSuffix(rotated, ".ics"))

	// A suspended tenant's calendar answers like an unknown one.
	if _, err := h.plat.SetStatus(context.Background(), "alpha", platform.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	notFound("a suspended tenant", rotated)
	if _, err := h.plat.SetStatus(context.Background(), "alpha", platform.StatusActive); err != nil {
		t.Fatal(err)
	}

	// Revoking: 404 from then on.
	if resp, _ = f.page("POST", "/settings/channels/calendars/"+exp.ID+"/revoke", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	notFound("a revoked URL", rotated)
	var n int
	h.plat.SQL().Read.QueryRow(`SELECT count(*) FROM ical_tokens`).Scan(&n)
	if n != 0 {
		t.Errorf("%d index rows after rotation and revocation", n)
	}

	// Rate limits: a token past its limit in a minute gets 429 with
	// Retry-After, and serves again the next minute.
	h.clock.Advance(time.Minute)
	resp, body = f.page("POST", "/settings/channels/calendars/"+exp.ID+"/rotate", url.Values{"version": {"3"}})
	again := calendarURL.FindString(body)
	if again == "" {
		t.Fatalf("reactivate: %d", resp.StatusCode)
	}
	for i := 0; i < pms.CalendarPerToken; i++ {
		if resp, _ = h.do(req{path: again}); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, _ = h.do(req{path: again})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the token's limit: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	h.clock.Advance(time.Minute)
	if resp, _ = h.do(req{path: again}); resp.StatusCode != 200 {
		t.Fatalf("the next minute: %d", resp.StatusCode)
	}
	// A client guessing tokens is stopped too.
	h.clock.Advance(time.Minute)
	for i := 0; i < pms.CalendarPerClient; i++ {
		h.do(req{path: "/ical/" + strings.Repeat("B", 43) + ".ics"})
	}
	if resp, _ = h.do(req{path: again}); resp.StatusCode != 429 {
		t.Errorf("past the client's limit: %d", resp.StatusCode)
	}
}

// TestCalendarFeedPages: a calendar imported on the channels page is read
// at once and shows its upcoming blocks; a feed that keeps failing turns
// stale and raises the dashboard's alert; another tenant cannot poll or
// pause it.
func TestCalendarFeedPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.cfg.CalendarFetcher = &channels.Fetcher{AllowPrivate: true} // the feed server is on loopback
	h.restart()
	f := newPMS(t, h, "alpha", 2).signIn()
	g := newPMS(t, h, "beta", 1).signIn()

	d := func(n int) string { return strings.ReplaceAll(f.today.AddDays(n).String(), "-", "") }
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:a1@airbnb.com\r\nDTSTART;VALUE=DATE:" + d(3) + "\r\nDTEND;VALUE=DATE:" + d(5) + "\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:a2@airbnb.com\r\nDTSTART;VALUE=DATE:" + d(10) + "\r\nDTEND;VALUE=DATE:" + d(12) + "\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte(ics))
	}))
	defer srv.Close()

	resp, _ := f.page("POST", "/settings/channels/feeds", url.Values{"feed_target": {"room:" + f.rooms[0].ID}, "feed_url": {srv.URL + "/ical.ics"},
		"feed_channel": {"airbnb"}, "feed_interval_minutes": {"3"}})
	if resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Fatalf("an interval of 3 minutes: %d", resp.StatusCode)
	}
	resp, _ = f.page("POST", "/settings/channels/feeds", url.Values{"feed_target": {"room:" + f.rooms[0].ID}, "feed_url": {srv.URL + "/ical.ics"},
		"feed_channel": {"airbnb"}, "feed_interval_minutes": {"15"}, "feed_cancel_vanished": {"1"}})
	if resp.StatusCode != 303 {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	flash := cookieNamed(resp, "aura_flash")
	resp, body := h.do(req{path: "/alpha/settings/channels", cookies: []*http.Cookie{f.session, flash}})
	if resp.StatusCode != 200 || !strings.Contains(body, "2 upcoming events; 2 new") || !strings.Contains(body, ">OK<") {
		t.Fatalf("channels page after the import: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, srv.URL+"/ical.ics") {
		t.Error("the page shows the feed's secret URL")
	}
	db := h.acquire("alpha")
	feeds, err := channels.New(db).ListFeeds(context.Background(), f.prop.ID)
	db.Release()
	if err != nil || len(feeds) != 1 {
		t.Fatal(err)
	}
	feed := feeds[0]
	// The room is taken those nights: availability says so.
	resp, body = f.api("GET", "/availability?property_id="+f.prop.ID+"&from="+f.today.AddDays(3).String()+"&to="+f.today.AddDays(4).String(), "")
	if resp.StatusCode != 200 || !hasJSON(t, body, "channel", `1`) || !hasJSON(t, body, "available", `1`) {
		t.Errorf("availability: %d %s", resp.StatusCode, body)
	}

	// Another tenant cannot poll or pause it.
	for _, a := range []string{"poll", "pause"} {
		if resp, _ := g.page("POST", "/settings/channels/feeds/"+feed.ID+"/"+a, url.Values{}); resp.StatusCode != 404 {
			t.Errorf("beta %s: %d", a, resp.StatusCode)
		}
	}

	// The channel goes down: three failed polls make the feed stale, and
	// the dashboard says so.
	failing.Store(true)
	for i := 0; i < channels.StaleAfterPolls; i++ {
		h.clock.Advance(15 * time.Minute)
		if resp, _ := f.page("POST", "/settings/channels/feeds/"+feed.ID+"/poll", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("poll: %d", resp.StatusCode)
		}
	}
	resp, body = f.page("GET", "/", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="channel-alerts"`) || !strings.Contains(body, "is stale") || !strings.Contains(body, "502") {
		t.Errorf("dashboard without the stale alert: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `href="/alpha/channels/attention"`) {
		t.Error("the owner's dashboard does not link the channels attention page")
	}
	// A front desk user (no channels.manage) sees the alert but no link to
	// the channels pages, which would answer 403.
	db = h.acquire("alpha")
	_, err = identity.New(db).CreateUser(aura.WithActor(context.Background(), f.owner.Actor()), h.hasher,
		identity.NewUser{Email: "desk@alpha.example", Name: "Desk", Role: identity.RoleFrontDesk, Password: ownerPassword})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	desk := h.login("alpha", "desk@alpha.example", ownerPassword)
	resp, body = h.do(req{path: "/alpha/", cookies: []*http.Cookie{desk}})
	if resp.StatusCode != 200 || !strings.Contains(body, `id="channel-alerts"`) || !strings.Contains(body, "is stale") {
		t.Errorf("the front desk dashboard without the stale alert: %d", resp.StatusCode)
	}
	if strings.Contains(body, "/alpha/channels/attention") || strings.Contains(body, "/alpha/settings/channels") {
		t.Error("the front desk dashboard links a channels page the role may not open")
	}
	if resp, _ := h.do(req{path: "/alpha/channels/attention", cookies: []*http.Cookie{desk}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("front desk GET the attention page: %d, want 403", resp.StatusCode)
	}
	resp, body = f.page("GET", "/settings/channels", nil)
	if !strings.Contains(body, "Stale") || !strings.Contains(body, "3 failed in a row") {
		t.Errorf("the channels page does not warn: %d", resp.StatusCode)
	}
	// The blocks stay while the feed fails.
	db = h.acquire("alpha")
	blocks, _ := channels.New(db).ListChannelBlocks(context.Background(), feed.ID)
	db.Release()
	if len(blocks) != 2 || blocks[0].Status != channels.BlockActive {
		t.Errorf("blocks after failures: %+v", blocks)
	}

	// Deleted from the page (beta cannot): no longer listed, its upcoming
	// nights released, the deletion audited.
	if resp, _ := g.page("POST", "/settings/channels/feeds/"+feed.ID+"/delete", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("beta deletes alpha's feed: %d", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/settings/channels/feeds/"+feed.ID+"/delete", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, body := f.page("GET", "/settings/channels", nil); strings.Contains(body, "/feeds/"+feed.ID+"/") || !strings.Contains(body, "No calendar imported yet") {
		t.Error("the deleted feed is still listed")
	}
	db = h.acquire("alpha")
	blocks, _ = channels.New(db).ListChannelBlocks(context.Background(), feed.ID)
	var audited int
	db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'ical_feed.deleted' AND entity_id = ?`, feed.ID).Scan(&audited)
	db.Release()
	if len(blocks) != 2 || blocks[0].Status != channels.BlockCancelled || blocks[1].Status != channels.BlockCancelled || audited != 1 {
		t.Errorf("after deletion: blocks %+v, %d audit rows", blocks, audited)
	}
}

// TestChannelManagerPages: connecting a channel manager and mapping its
// ids on the channels page; the API key is never shown again, a bad form
// is shown again with its message, and another tenant's room type cannot
// be mapped.
func TestChannelManagerPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	g := newPMS(t, h, "beta", 1)
	const key = "cx-api-key-SECRET-4711"
	resp, body := f.page("POST", "/settings/channels/manager", url.Values{"cm_base_url": {"ftp://nope"}, "cm_external_property_id": {"p"}, "cm_api_key": {key}})
	if resp.StatusCode != 422 && resp.StatusCode != 400 || strings.Contains(body, key) || !strings.Contains(body, "API address") {
		t.Fatalf("bad connection form: %d", resp.StatusCode)
	}
	resp, _ = f.page("POST", "/settings/channels/manager", url.Values{"cm_base_url": {"https://app.channex.io"}, "cm_external_property_id": {"cx-prop-1"}, "cm_api_key": {key}})
	if resp.StatusCode != 303 {
		t.Fatalf("connect: %d", resp.StatusCode)
	}
	resp, _ = f.page("POST", "/settings/channels/mappings", url.Values{"map_external_id": {"cx-rt-1"}, "map_local": {"type:" + g.rt.ID}})
	if resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Errorf("mapping beta's room type: %d", resp.StatusCode)
	}
	resp, _ = f.page("POST", "/settings/channels/mappings", url.Values{"map_external_id": {"cx-rt-1"}, "map_local": {"type:" + f.rt.ID}})
	if resp.StatusCode != 303 {
		t.Fatalf("mapping: %d", resp.StatusCode)
	}
	resp, body = f.page("GET", "/settings/channels", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "cx-prop-1") || !strings.Contains(body, "cx-rt-1") || !strings.Contains(body, "No revision received yet") {
		t.Fatalf("channels page: %d", resp.StatusCode)
	}
	if strings.Contains(body, key) {
		t.Error("the page shows the API key")
	}
	db := h.acquire("alpha")
	defer db.Release()
	if files := pmstest.ReadTenantFiles(t, db); strings.Contains(string(files), key) {
		t.Error("the API key is stored in the clear")
	}

	// A booking revision applied shows on the reservation's page.
	ctx := aura.WithActor(context.Background(), f.owner.Actor())
	st := channels.New(db)
	if err := st.MapExternal(ctx, f.prop.ID, "rate_plan", "cx-rp-1", f.plan.ID); err != nil {
		t.Fatal(err)
	}
	res, err := st.ApplyRevision(ctx, f.prop.ID, channels.Revision{ID: "rev-77", BookingKey: "cx-b-77", Status: channels.RevisionNew,
		RevisedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), OTAName: "Booking.com", OTACode: "BDC77",
		Customer: channels.RevisionGuest{Name: "Mia", Surname: "Wolf"},
		Rooms:    []channels.RevisionRoom{{RoomTypeID: "cx-rt-1", RatePlanID: "cx-rp-1", Arrival: f.today.AddDays(3), Departure: f.today.AddDays(4), Adults: 2}}})
	if err != nil || res.Outcome != channels.OutcomeApplied {
		t.Fatalf("apply: %+v %v", res, err)
	}
	b, err := stays.New(db).GetBooking(ctx, res.BookingID)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = f.page("GET", "/reservations/"+b.Reservations[0].ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Channel manager revisions") || !strings.Contains(body, "rev-77") {
		t.Errorf("the reservation page has no revision log: %d", resp.StatusCode)
	}
	resp, body = f.page("GET", "/settings/channels", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "cx-b-77") {
		t.Errorf("the channels page does not list the revision: %d", resp.StatusCode)
	}
}

// TestChannelsAPI: the channels API creates a calendar URL that serves,
// lists and revokes it, imports a feed and reads it now, and lists
// revisions; every route is in the OpenAPI document (testOpenAPI).
func TestChannelsAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.cfg.CalendarFetcher = &channels.Fetcher{AllowPrivate: true}
	h.restart()
	f := newPMS(t, h, "alpha", 1)
	resp, body := f.api("POST", "/channels/exports", `{"property_id": "`+f.prop.ID+`", "room_id": "`+f.rooms[0].ID+`", "channel": "vrbo"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create export: %d %s", resp.StatusCode, body)
	}
	created := decode[pms.ExportCreated](t, body)
	u, err := url.Parse(created.URL)
	if err != nil || !calendarURL.MatchString(u.Path) {
		t.Fatalf("url %q", created.URL)
	}
	if resp, _ := h.do(req{path: u.Path}); resp.StatusCode != 200 {
		t.Fatalf("the new URL: %d", resp.StatusCode)
	}
	resp, body = f.api("GET", "/channels/exports?property_id="+f.prop.ID, "")
	if resp.StatusCode != 200 || strings.Contains(body, u.Path[6:40]) || !strings.Contains(body, created.Export.ID) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.api("POST", "/channels/exports/"+created.Export.ID+"/revoke", ""); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := h.do(req{path: u.Path}); resp.StatusCode != 404 {
		t.Fatalf("a revoked URL: %d", resp.StatusCode)
	}
	if resp, body := f.api("POST", "/channels/exports", `{"property_id": "`+f.prop.ID+`", "channel": "vrbo"}`); resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Errorf("an export without a room: %d %s", resp.StatusCode, body)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x1\r\nDTSTART;VALUE=DATE:" + strings.ReplaceAll(f.today.AddDays(4).String(), "-", "") +
			"\r\nDTEND;VALUE=DATE:" + strings.ReplaceAll(f.today.AddDays(6).String(), "-", "") + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	}))
	defer srv.Close()
	resp, body = f.api("POST", "/channels/feeds", `{"property_id": "`+f.prop.ID+`", "room_id": "`+f.rooms[0].ID+`", "channel": "airbnb", "url": "`+srv.URL+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create feed: %d %s", resp.StatusCode, body)
	}
	feed := decode[channels.Feed](t, body)
	resp, body = f.api("POST", "/channels/feeds/"+feed.ID+"/poll", "")
	if resp.StatusCode != 200 || decode[channels.ImportResult](t, body).Created != 1 {
		t.Fatalf("poll: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.api("GET", "/channels/revisions?property_id="+f.prop.ID, ""); resp.StatusCode != 200 || !hasJSON(t, body, "data", `[]`) {
		t.Errorf("revisions: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("GET", "/channels/attention?property_id="+f.prop.ID, "")
	if resp.StatusCode != 200 || decode[channels.Attention](t, body).Count() != 0 {
		t.Errorf("attention: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.api("POST", "/channels/resync?property_id="+f.prop.ID, ""); resp.StatusCode/100 != 4 || !strings.Contains(body, "not connected") {
		t.Errorf("resync without a channel manager: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("DELETE", "/channels/feeds/"+feed.ID, "")
	if resp.StatusCode != 200 || decode[pms.FeedDeleted](t, body).BlocksCancelled != 1 {
		t.Fatalf("delete feed: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.api("DELETE", "/channels/feeds/"+feed.ID, ""); resp.StatusCode != 404 {
		t.Errorf("a deleted feed deleted again: %d", resp.StatusCode)
	}
	if resp, body := f.api("GET", "/channels/feeds?property_id="+f.prop.ID, ""); resp.StatusCode != 200 || strings.Contains(body, feed.ID) {
		t.Errorf("a deleted feed is listed: %d %s", resp.StatusCode, body)
	}
}
