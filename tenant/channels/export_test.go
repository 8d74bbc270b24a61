package channels_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// pyEvent is an event as Python's icalendar reads it.
type pyEvent struct {
	UID, Summary, Start, End string
	StartIsDate, EndIsDate   bool
}

// python3 is Debian's interpreter, which has python3-icalendar (installed
// by scripts/test-deps); another python3 on PATH may not.
func python3() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// parseWithPython parses a calendar with Python's icalendar, an
// independent implementation of RFC 5545.
func parseWithPython(t *testing.T, body []byte) []pyEvent {
	t.Helper()
	const script = `
import sys, json, datetime
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
out = []
for ev in cal.walk('VEVENT'):
    s, e = ev.decoded('DTSTART'), ev.decoded('DTEND')
    out.append({"UID": str(ev['UID']), "Summary": str(ev['SUMMARY']), "Start": s.isoformat(), "End": e.isoformat(),
        "StartIsDate": not isinstance(s, datetime.datetime), "EndIsDate": not isinstance(e, datetime.datetime)})
json.dump(out, sys.stdout)
`
	cmd := exec.Command(python3(), "-c", script)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 icalendar (installed by scripts/test-deps: Debian's python3-icalendar): %v\n%s", err, stderr.String())
	}
	var evs []pyEvent
	if err := json.Unmarshal(out, &evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

func nights(evs []pyEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Summary+" "+e.Start+"/"+e.End)
	}
	sort.Strings(out)
	return out
}

func TestExportCalendar(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	roomExp, roomToken, err := st.CreateExport(f.Ctx, channels.ExportInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb"})
	if err != nil {
		t.Fatal(err)
	}
	_, typeToken, err := st.CreateExport(f.Ctx, channels.ExportInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Channel: "vrbo", Days: 60})
	if err != nil {
		t.Fatal(err)
	}
	if !channels.ValidToken(roomToken) || roomToken == typeToken {
		t.Fatalf("tokens %q %q", roomToken, typeToken)
	}

	// A direct stay in room 101, the 12th to the 14th (2 nights).
	in := f.Booking(f.Day(2), f.Day(4))
	in.Reservations[0].RoomID = f.Rooms[0].ID
	direct := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	// An Airbnb stay in room 101, the 20th to the 23rd: not echoed to Airbnb.
	in = f.Booking(f.Day(10), f.Day(13))
	in.Source, in.OTACode = "airbnb", "HMABC123"
	in.Reservations[0].RoomID = f.Rooms[0].ID
	pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	// Room 101 out of order the 1st to the 3rd of April.
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[0].ID, Kind: inventory.OutOfOrder,
		Start: f.Day(22), End: f.Day(24), Reason: "boiler"}))(t)
	// The whole type sold the 15th of April (two unassigned stays).
	f.Book(t, f.Day(36), f.Day(37))
	f.Book(t, f.Day(36), f.Day(37))
	// Room 102 taken by Airbnb the 20th to the 23rd too: the type is full
	// then, but for Airbnb itself those nights are its own.

	cal, err := st.CalendarByToken(f.Ctx, channels.TokenHash(roomToken))
	if err != nil {
		t.Fatal(err)
	}
	evs := parseWithPython(t, cal.Body)
	want := []string{
		"Not available 2026-04-01/2026-04-03",
		"Not available 2026-04-15/2026-04-16",
		"Reserved 2026-03-12/2026-03-14",
	}
	if got := nights(evs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("room calendar:\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), cal.Body)
	}
	for _, e := range evs {
		if !e.StartIsDate || !e.EndIsDate {
			t.Errorf("event %+v: not all-day", e)
		}
	}
	if !bytes.Contains(cal.Body, []byte("DTSTART;VALUE=DATE:20260312\r\nDTEND;VALUE=DATE:20260314\r\n")) {
		t.Errorf("the stay is not written with DATE values and an exclusive DTEND:\n%s", cal.Body)
	}
	for _, secret := range []string{"Ada", "Lovelace", "ada@example.com", "Hotel Test", f.DB.ID, f.DB.Slug, direct.ID, direct.Reservations[0].ID, f.Prop.ID, f.Rooms[0].ID, "HMABC123"} {
		if bytes.Contains(cal.Body, []byte(secret)) {
			t.Errorf("the calendar holds %q:\n%s", secret, cal.Body)
		}
	}
	// The room number is short enough to turn up by chance inside a UID's
	// hex digest or a date, so it is looked for in the text fields only.
	if text := textFields(cal.Body); strings.Contains(text, "101") {
		t.Errorf("a text field of the calendar names room 101:\n%s", text)
	}

	// The room type's calendar for Vrbo shows the nights no unit is left:
	// the 15th of April only (the Airbnb stay leaves room 102 free).
	tcal, err := st.CalendarByToken(f.Ctx, channels.TokenHash(typeToken))
	if err != nil {
		t.Fatal(err)
	}
	if got := nights(parseWithPython(t, tcal.Body)); strings.Join(got, ",") != "Not available 2026-04-15/2026-04-16" {
		t.Errorf("room type calendar: %v\n%s", got, tcal.Body)
	}

	// The same content renders the same bytes and validators.
	again, err := st.CalendarByToken(f.Ctx, channels.TokenHash(roomToken))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Body, cal.Body) || again.ETag != cal.ETag || !again.LastModified.Equal(cal.LastModified) {
		t.Errorf("an unchanged calendar changed: %s %s / %s %s", cal.ETag, cal.LastModified, again.ETag, again.LastModified)
	}
	// A change gives a new ETag and Last-Modified; UIDs of what stayed the
	// same are kept.
	f.Clock.Advance(time.Hour)
	in = f.Booking(f.Day(50), f.Day(52))
	in.Reservations[0].RoomID = f.Rooms[0].ID
	pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	changed, err := st.CalendarByToken(f.Ctx, channels.TokenHash(roomToken))
	if err != nil {
		t.Fatal(err)
	}
	if changed.ETag == cal.ETag || !changed.LastModified.After(cal.LastModified) {
		t.Errorf("a changed calendar kept its validators: %s %s", changed.ETag, changed.LastModified)
	}
	uids := func(body []byte) map[string]bool {
		m := map[string]bool{}
		for _, e := range parseWithPython(t, body) {
			m[e.UID] = true
		}
		return m
	}
	before, after := uids(cal.Body), uids(changed.Body)
	for u := range before {
		if !after[u] {
			t.Errorf("UID %s vanished after an unrelated change", u)
		}
	}
	if len(after) != len(before)+1 {
		t.Errorf("%d events after one more stay, had %d", len(after), len(before))
	}

	// Rotating: the old token stops, the new one serves the same events.
	rotated, newToken, oldHash, err := st.RotateExport(f.Ctx, roomExp.ID, roomExp.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(oldHash, channels.TokenHash(roomToken)) || rotated.Version != 2 {
		t.Fatalf("rotate: old hash %x, version %d", oldHash, rotated.Version)
	}
	if _, err := st.CalendarByToken(f.Ctx, channels.TokenHash(roomToken)); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Errorf("the rotated-away token still serves: %v", err)
	}
	rc, err := st.CalendarByToken(f.Ctx, channels.TokenHash(newToken))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rc.Body, changed.Body) {
		t.Errorf("rotating changed the calendar")
	}
	if _, _, _, err := st.RotateExport(f.Ctx, roomExp.ID, 1); aura.ErrorCode(err) != aura.EPRECONDITION {
		t.Errorf("a stale rotate: %v", err)
	}
	// Revoking: the token stops.
	if _, h, err := st.RevokeExport(f.Ctx, roomExp.ID); err != nil || !bytes.Equal(h, channels.TokenHash(newToken)) {
		t.Fatalf("revoke: %x %v", h, err)
	}
	if _, err := st.CalendarByToken(f.Ctx, channels.TokenHash(newToken)); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Errorf("a revoked token still serves: %v", err)
	}
	list := pmstest.Must(st.ListExports(f.Ctx, f.Prop.ID))(t)
	if len(list) != 2 {
		t.Fatalf("%d exports", len(list))
	}
	// No token is stored anywhere in the tenant's files (audit rows
	// included): only hashes.
	files := pmstest.ReadTenantFiles(t, f.DB)
	for _, tok := range []string{roomToken, newToken, typeToken} {
		if bytes.Contains(files, []byte(tok)) {
			t.Errorf("the tenant files hold a token")
		}
	}
	f.VerifyAudit(t)
}

func TestExportInputRefused(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	st := channels.New(f.DB)
	other := pmstest.Must(inventory.New(f.DB).CreateProperty(f.Ctx, inventory.PropertyInput{Name: "Other", TimeZone: "Europe/Berlin", Currency: "EUR"}))(t)
	for name, in := range map[string]channels.ExportInput{
		"neither":          {PropertyID: f.Prop.ID, Channel: "airbnb"},
		"both":             {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, RoomTypeID: f.RT.ID, Channel: "airbnb"},
		"bad channel":      {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "Air BnB"},
		"days":             {PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", Days: 5000},
		"other property":   {PropertyID: other.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb"},
		"unknown roomtype": {PropertyID: f.Prop.ID, RoomTypeID: "rtp_nope", Channel: "airbnb"},
	} {
		if _, _, err := st.CreateExport(f.Ctx, in); aura.ErrorCode(err) != aura.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(pmstest.Must(st.ListExports(f.Ctx, f.Prop.ID))(t)); n != 0 {
		t.Errorf("%d exports stored from refused input", n)
	}
}

// textFields returns the calendar's lines other than its UIDs and date-time
// properties (DTSTAMP, DTSTART, DTEND), which hold digests and dates.
func textFields(body []byte) string {
	var keep []string
	for _, line := range strings.Split(string(body), "\r\n") {
		if strings.HasPrefix(line, "UID:") || strings.HasPrefix(line, "DT") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
