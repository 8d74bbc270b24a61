package channels_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/stays"
)

// feedServer serves a calendar with an ETag, answering If-None-Match with
// 304, and counts full answers.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	etag     string
	full, nm int
}

func newFeedServer(t *testing.T, body []byte) *feedServer {
	fs := &feedServer{body: body, etag: `"v1"`}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if r.Header.Get("If-None-Match") == fs.etag {
			fs.nm++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fs.full++
		w.Header().Set("ETag", fs.etag)
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Write(fs.body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(body []byte, etag string) {
	fs.mu.Lock()
	fs.body, fs.etag = body, etag
	fs.mu.Unlock()
}

// withoutEvents drops the events whose UID contains one of uids.
func withoutEvents(body []byte, uids ...string) []byte {
	parts := strings.Split(string(body), "BEGIN:VEVENT")
	out := parts[0]
	for _, p := range parts[1:] {
		keep := true
		for _, u := range uids {
			if strings.Contains(p, u) {
				keep = false
			}
		}
		if keep {
			out += "BEGIN:VEVENT" + p
		}
	}
	if !strings.Contains(out, "END:VCALENDAR") {
		out += "END:VCALENDAR\r\n"
	}
	return []byte(out)
}

func blockSet(t *testing.T, st channels.Store, feedID string) []string {
	t.Helper()
	var out []string
	for _, b := range pmstest.Must(st.ListChannelBlocks(context.Background(), feedID))(t) {
		out = append(out, fmt.Sprintf("%s/%s %s overbooked=%v", b.Start, b.End, b.Status, b.Overbooked))
	}
	return out
}

// TestImportAirbnbFeed: a recorded Airbnb calendar (testdata/airbnb.ics,
// folded lines, DATE values, a past and an ongoing stay) creates the right
// blocks; a stay of Aura's on the same room is not dropped and the block
// colliding with it is flagged; a second poll with an unchanged ETag
// changes nothing; a vanished future event cancels its block, a vanished
// ongoing one does not.
func TestImportAirbnbFeed(t *testing.T) {
	sample, err := os.ReadFile("testdata/airbnb.ics")
	if err != nil {
		t.Fatal(err)
	}
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	srv := newFeedServer(t, sample)
	fetcher := &channels.Fetcher{AllowPrivate: true} // the test server is on loopback
	feed, err := st.CreateFeed(f.Ctx, channels.FeedInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: srv.URL + "/calendar/ical/1234.ics?s=secret"})
	if err != nil {
		t.Fatal(err)
	}
	if feed.IntervalMinutes != 15 || !feed.CancelVanished {
		t.Fatalf("defaults: %+v", feed)
	}
	// A direct stay already in room 101 the 6th of April: Airbnb's stay of
	// the 5th to the 8th collides with it.
	in := f.Booking(f.Day(27), f.Day(28))
	in.Reservations[0].RoomID = f.Rooms[0].ID
	direct := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)

	res, err := st.PollFeed(f.Ctx, feed.ID, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "ok" || res.Created != 4 || res.SkippedPast != 1 || res.Overbooked != 1 {
		t.Fatalf("first poll: %+v", res)
	}
	want := []string{
		"2026-03-08/2026-03-12 active overbooked=false",
		"2026-03-15/2026-03-18 active overbooked=false",
		"2026-03-22/2026-03-25 active overbooked=false",
		"2026-04-05/2026-04-08 active overbooked=true",
	}
	if got := blockSet(t, st, feed.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("blocks:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The blocks take stock: one room of two left on the 15th to 17th.
	if got := f.Available(t, f.Day(4), f.Day(9)); fmt.Sprint(got) != "[2 1 1 1 2]" {
		t.Errorf("availability the 14th to the 18th: %v", got)
	}
	// The direct stay is untouched.
	if r := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, direct.Reservations[0].ID))(t); r.Status != stays.ReservationConfirmed {
		t.Errorf("the direct stay is %s", r.Status)
	}
	// The calendar exported back to Airbnb does not echo its own blocks;
	// the one for Vrbo shows them.
	_, airbnbToken := pmstest.Must2(st.CreateExport(f.Ctx, channels.ExportInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb"}))(t)
	_, vrboToken := pmstest.Must2(st.CreateExport(f.Ctx, channels.ExportInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "vrbo"}))(t)
	ac := pmstest.Must(st.CalendarByToken(f.Ctx, channels.TokenHash(airbnbToken)))(t)
	vc := pmstest.Must(st.CalendarByToken(f.Ctx, channels.TokenHash(vrboToken)))(t)
	if got := nights(parseWithPython(t, ac.Body)); strings.Join(got, ",") != "Reserved 2026-04-06/2026-04-07" {
		t.Errorf("Airbnb's calendar: %v", got)
	}
	if got := nights(parseWithPython(t, vc.Body)); len(got) != 5 {
		t.Errorf("Vrbo's calendar: %v", got)
	}

	// Unchanged ETag: a 304, nothing written but the poll's time.
	before := blockSet(t, st, feed.ID)
	rows := f.AuditRows(t)
	res, err = st.PollFeed(f.Ctx, feed.ID, fetcher)
	if err != nil || res.Status != "not_modified" || res.Created+res.Updated+res.Cancelled != 0 {
		t.Fatalf("second poll: %+v %v", res, err)
	}
	if srv.nm != 1 || srv.full != 1 {
		t.Errorf("the server saw %d full and %d conditional answers", srv.full, srv.nm)
	}
	if got := blockSet(t, st, feed.ID); strings.Join(got, "\n") != strings.Join(before, "\n") || f.AuditRows(t) != rows {
		t.Errorf("an unchanged feed changed something")
	}

	// The 22nd–25th block and the ongoing stay vanish; the 15th moves to the 16th.
	v2 := withoutEvents(sample, "7f3a9c1e5b2d-airbnb-blocked", "a1c3e2b7f0d94c6e8b5a7d3f2e1c0b9a")
	v2 = bytes.Replace(v2, []byte("DTSTART;VALUE=DATE:20260315"), []byte("DTSTART;VALUE=DATE:20260316"), 1)
	srv.set(v2, `"v2"`)
	f.Clock.Advance(20 * time.Minute)
	res, err = st.PollFeed(f.Ctx, feed.ID, fetcher)
	if err != nil || res.Cancelled != 1 || res.Updated != 1 || res.Created != 0 {
		t.Fatalf("third poll: %+v %v", res, err)
	}
	want = []string{
		"2026-03-08/2026-03-12 active overbooked=false", // begun: never cancelled by vanishing
		"2026-03-16/2026-03-18 active overbooked=false",
		"2026-03-22/2026-03-25 cancelled overbooked=false",
		"2026-04-05/2026-04-08 active overbooked=true",
	}
	if got := blockSet(t, st, feed.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("blocks after the change:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Room 101 cannot be given to another stay on a night Airbnb holds it;
	// a stay without a room choice gets room 102.
	in = f.Booking(f.Day(6), f.Day(7))
	in.Reservations[0].RoomID = f.Rooms[0].ID
	if _, err := stays.New(f.DB).CreateBooking(f.Ctx, in); aura.ErrorCode(err) != aura.ECONFLICT || !strings.Contains(err.Error(), "held by channel") {
		t.Errorf("a stay in room 101 on an Airbnb night: %v", err)
	}
	in.Reservations[0].RoomID = f.Rooms[1].ID
	pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	if got := f.Available(t, f.Day(12), f.Day(15)); fmt.Sprint(got) != "[2 2 2]" {
		t.Errorf("the cancelled block still holds stock: %v", got)
	}
	// The feed's health.
	fd := pmstest.Must(st.GetFeed(f.Ctx, feed.ID))(t)
	if fd.LastStatus != "ok" || fd.Events != 2 || fd.Failures != 0 || fd.Stale(f.Clock.Now()) {
		t.Errorf("feed health: %+v", fd)
	}
	f.VerifyAudit(t)

	// A feed that cancels nothing keeps blocks whose events vanish.
	off := false
	keep := pmstest.Must(st.CreateFeed(f.Ctx, channels.FeedInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Channel: "vrbo", URL: srv.URL + "/v", CancelVanished: &off}))(t)
	srv.set(sample, `"v3"`)
	pmstest.Must(st.PollFeed(f.Ctx, keep.ID, fetcher))(t)
	srv.set(withoutEvents(sample, "7f3a9c1e5b2d-airbnb-blocked"), `"v4"`)
	if res := pmstest.Must(st.PollFeed(f.Ctx, keep.ID, fetcher))(t); res.Cancelled != 0 {
		t.Errorf("a feed without cancel-vanished cancelled %d", res.Cancelled)
	}
}

// TestFetcherRefusesPrivate: without the test's explicit opt-in the
// fetcher refuses a feed on 127.0.0.1, one whose name resolves there, and
// the failures make the feed stale and raise the dashboard alert.
func TestFetcherRefusesPrivate(t *testing.T) {
	srv := newFeedServer(t, []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
	var plain channels.Fetcher
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), "http://[::1]:1/x", "http://169.254.169.254/latest"} {
		res := plain.Fetch(context.Background(), u, "", "")
		if res.Err == nil || !strings.Contains(res.Err.Error(), "private") {
			t.Errorf("%s: %v", u, res.Err)
		}
	}
	if srv.full != 0 {
		t.Fatalf("the private server was reached %d times", srv.full)
	}
	// Every connection is checked where it is dialled, redirects included
	// (a public first hop cannot be had in a test); with the opt-in a
	// redirect is followed.
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirect.Close()
	if res := (&channels.Fetcher{AllowPrivate: true}).Fetch(context.Background(), redirect.URL, "", ""); res.Err != nil {
		t.Fatalf("with the opt-in: %v", res.Err)
	}

	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	st := channels.New(f.DB)
	feed := pmstest.Must(st.CreateFeed(f.Ctx, channels.FeedInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: srv.URL}))(t)
	for i := 0; i < channels.StaleAfterPolls; i++ {
		res := pmstest.Must(st.PollFeed(f.Ctx, feed.ID, &plain))(t)
		if res.Status != "error" {
			t.Fatalf("poll %d: %+v", i, res)
		}
		f.Clock.Advance(15 * time.Minute)
	}
	fd := pmstest.Must(st.GetFeed(f.Ctx, feed.ID))(t)
	if fd.Failures != 3 || !fd.Stale(f.Clock.Now()) || !strings.Contains(fd.LastError, "private") {
		t.Errorf("feed after 3 refused polls: %+v", fd)
	}
	alerts := pmstest.Must(st.ChannelAlerts(f.Ctx, f.Prop.ID, f.Clock.Now()))(t)
	if len(alerts.StaleFeeds) != 1 {
		t.Errorf("alerts: %+v", alerts)
	}
}

// TestFetcherLimits: a body over the size cap and a server slower than
// the timeout are failures, not partial imports.
func TestFetcherLimits(t *testing.T) {
	big := newFeedServer(t, bytes.Repeat([]byte("X"), 4096))
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	if res := (&channels.Fetcher{AllowPrivate: true, MaxBytes: 1000}).Fetch(context.Background(), big.URL, "", ""); res.Err == nil || !strings.Contains(res.Err.Error(), "larger") {
		t.Errorf("size cap: %v", res.Err)
	}
	if res := (&channels.Fetcher{AllowPrivate: true, Timeout: 200 * time.Millisecond}).Fetch(context.Background(), slow.URL, "", ""); res.Err == nil || !strings.Contains(res.Err.Error(), "within 200ms") {
		t.Errorf("timeout: %v", res.Err)
	}
}

func TestFeedInputRefused(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	st := channels.New(f.DB)
	for name, in := range map[string]channels.FeedInput{
		"no url":        {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb"},
		"ftp":           {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: "ftp://example.com/x.ics"},
		"interval low":  {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: "https://example.com/x.ics", IntervalMinutes: 4},
		"interval high": {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: "https://example.com/x.ics", IntervalMinutes: 361},
		"no target":     {PropertyID: f.Prop.ID, Channel: "airbnb", URL: "https://example.com/x.ics"},
	} {
		if _, err := st.CreateFeed(f.Ctx, in); aura.ErrorCode(err) != aura.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The feed URL (the channel's secret) is sealed at rest.
	pmstest.Must(st.CreateFeed(f.Ctx, channels.FeedInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: "https://www.airbnb.com/calendar/ical/99.ics?s=SECRETVALUE123"}))(t)
	if bytes.Contains(pmstest.ReadTenantFiles(t, f.DB), []byte("SECRETVALUE123")) {
		t.Error("the feed URL is stored in the clear")
	}
}
