package channels

import (
	"bytes"
	"strings"
	"time"

	"github.com/aurapms/aura/date"
)

// event is one all-day event of an exported calendar: the nights
// [start, end), end being the departure date (RFC 5545's exclusive DTEND of
// a DATE value).
type event struct {
	uid        string
	summary    string
	start, end date.Date
}

// Summaries of exported events: never a guest's name or anything else
// about who stays.
const (
	summaryReserved     = "Reserved"
	summaryNotAvailable = "Not available"
)

// writeCalendar renders events as an RFC 5545 calendar: CRLF line ends,
// lines folded at 75 octets, every event all-day (DTSTART;VALUE=DATE and
// an exclusive DTEND;VALUE=DATE). stamp is the DTSTAMP of every event (when
// the calendar last changed), so the same content renders the same bytes.
func writeCalendar(stamp time.Time, events []event) []byte {
	var b bytes.Buffer
	line := func(s string) {
		// Fold at 75 octets, never inside a UTF-8 sequence (RFC 5545 3.1).
		for len(s) > 75 {
			cut := 75
			for cut > 1 && s[cut]&0xC0 == 0x80 {
				cut--
			}
			b.WriteString(s[:cut])
			b.WriteString("\r\n ")
			s = s[cut:]
		}
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Aura//Aura PMS//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	ts := stamp.UTC().Format("20060102T150405Z")
	for _, e := range events {
		line("BEGIN:VEVENT")
		line("UID:" + escapeText(e.uid))
		line("DTSTAMP:" + ts)
		line("DTSTART;VALUE=DATE:" + icalDate(e.start))
		line("DTEND;VALUE=DATE:" + icalDate(e.end))
		line("SUMMARY:" + escapeText(e.summary))
		line("TRANSP:OPAQUE")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.Bytes()
}

// icalDate writes a date as RFC 5545's DATE value (YYYYMMDD).
func icalDate(d date.Date) string { return strings.ReplaceAll(d.String(), "-", "") }

// escapeText escapes a TEXT value (RFC 5545 3.3.11).
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", "").Replace(s)
}
