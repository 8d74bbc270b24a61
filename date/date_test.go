package date_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
)

func TestParse(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, s := range []string{"2025-01-01", "2024-02-29", "1900-01-01", "2199-12-31", "2025-12-31"} {
			d, err := date.Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			if got, want := d.String(), s; got != want {
				t.Fatalf("round trip: got %q, want %q", got, want)
			}
		}
	})
	t.Run("ErrRange", func(t *testing.T) {
		for _, s := range []string{"0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"} {
			_, err := date.Parse(s)
			var pe *date.ParseError
			if !errors.As(err, &pe) || pe.Message != "must be from 1900-01-01 to 2199-12-31" {
				t.Fatalf("Parse(%q) = %v, want the supported range named", s, err)
			}
		}
	})
	t.Run("ErrCalendar", func(t *testing.T) {
		for _, s := range []string{"2027-02-30", "2023-02-29", "2025-04-31", "2025-13-01", "0000-01-01"} {
			_, err := date.Parse(s)
			var pe *date.ParseError
			if !errors.As(err, &pe) || pe.Message != "is not a day of the calendar" {
				t.Fatalf("Parse(%q) = %v, want an impossible date", s, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, s := range []string{"", "2025-1-01", "2025-02-30", "2023-02-29", "1900-02-29", "2025-13-01", "2025-00-10", "0000-01-01", "2025/01/01", "2025-01-01T00:00:00Z", "abcd-ef-gh", " 2025-01-01"} {
			if _, err := date.Parse(s); err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", s)
			}
		}
	})
}

// TestAgainstTime checks day arithmetic, weekdays and conversions against
// the standard library (in UTC, where it has no daylight saving) over many
// years, so the integer algorithm is proven, not assumed.
func TestAgainstTime(t *testing.T) {
	start := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC)
	d0 := date.New(1899, 12, 25)
	for i := 0; i < 200*366; i += 1 {
		tt := start.AddDate(0, 0, i)
		d := d0.AddDays(i)
		if got, want := d.String(), tt.Format(date.Layout); got != want {
			t.Fatalf("day %d: got %s, want %s", i, got, want)
		}
		if got, err := d.MarshalJSON(); err != nil || string(got) != `"`+tt.Format(date.Layout)+`"` {
			t.Fatalf("day %d: MarshalJSON = %s, %v", i, got, err)
		}
		if got, want := d.Weekday(), tt.Weekday(); got != want {
			t.Fatalf("%s: weekday %v, want %v", d, got, want)
		}
		if got, want := d.Sub(d0), i; got != want {
			t.Fatalf("%s: Sub = %d, want %d", d, got, want)
		}
	}
}

func TestNewNormalises(t *testing.T) {
	if got, want := date.New(2025, 1, 32).String(), "2025-02-01"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got, want := date.New(2025, 13, 1).String(), "2026-01-01"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got, want := date.New(2025, 3, 0).String(), "2025-02-28"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestOfAcrossDST shows that the date of an instant is the wall-clock date
// in the zone, including around daylight-saving changes, and that adding
// days never depends on the zone.
func TestOfAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		zone string
		utc  string // an instant
		want string // its date in zone
	}{
		{"Europe/Berlin", "2025-03-29T23:30:00Z", "2025-03-30"}, // 00:30 CET on the day clocks go forward
		{"Europe/Berlin", "2025-03-30T21:59:00Z", "2025-03-30"}, // 23:59 CEST
		{"Europe/Berlin", "2025-03-30T22:00:00Z", "2025-03-31"},
		{"Europe/Berlin", "2025-10-25T22:30:00Z", "2025-10-26"}, // 00:30 CEST on the day clocks go back
		{"Europe/Berlin", "2025-10-26T22:59:00Z", "2025-10-26"}, // 23:59 CET
		{"America/New_York", "2025-03-09T04:59:00Z", "2025-03-08"},
		{"America/New_York", "2025-03-09T05:00:00Z", "2025-03-09"},
		{"America/New_York", "2025-03-10T03:59:00Z", "2025-03-09"}, // 23:59 EDT
		{"America/New_York", "2025-11-02T03:59:00Z", "2025-11-01"}, // 23:59 EDT
		{"America/New_York", "2025-11-03T04:59:00Z", "2025-11-02"}, // 23:59 EST
		{"Pacific/Kiritimati", "2025-06-01T10:00:00Z", "2025-06-02"},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.RFC3339, tc.utc)
		if got := date.Of(at, loc).String(); got != tc.want {
			t.Fatalf("%s in %s: got %s, want %s", tc.utc, tc.zone, got, tc.want)
		}
	}
	// The spring-forward day has 23 hours and the fall-back day 25, yet each is one night.
	a, d := date.MustParse("2025-03-29"), date.MustParse("2025-04-01")
	if got, want := len(date.Range(a, d)), 3; got != want {
		t.Fatalf("nights across DST: got %d, want %d", got, want)
	}
}

func TestJSON(t *testing.T) {
	type s struct {
		A date.Date `json:"a"`
		B date.Date `json:"b"`
	}
	b, err := json.Marshal(s{A: date.MustParse("2025-07-14")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"a":"2025-07-14","b":null}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	var v s
	if err := json.Unmarshal([]byte(`{"a":"2024-02-29","b":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := v.A, date.MustParse("2024-02-29"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"a":"2024-02-30"}`), &v); err == nil {
		t.Fatal("an impossible date was accepted")
	}
	if err := json.Unmarshal([]byte(`{"a":20240201}`), &v); err == nil {
		t.Fatal("a number was accepted as a date")
	}
}

// TestFromJSONError: a bad date in a body is reported with the field's path
// and what is wrong with it, for nested fields too.
func TestFromJSONError(t *testing.T) {
	type stay struct {
		Arrival date.Date `json:"arrival"`
	}
	type body struct {
		Name  string     `json:"name"`
		Stays []stay     `json:"stays"`
		Birth *date.Date `json:"birth"`
	}
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"ErrCalendar", `{"stays": [{"arrival": "2027-02-30"}]}`, "stays.arrival", "is not a day of the calendar"},
		{"ErrRange", `{"birth": "0001-01-01"}`, "birth", "must be from 1900-01-01 to 2199-12-31"},
		{"ErrRangeHigh", `{"name": "x", "stays": [{"arrival": "9999-12-31"}]}`, "stays.arrival", "must be from 1900-01-01 to 2199-12-31"},
		{"ErrForm", `{"birth": "14.03.2026"}`, "birth", "must be a date in the form YYYY-MM-DD"},
		{"ErrNumber", `{"birth": 20260314}`, "birth", "must be a date in the form YYYY-MM-DD"},
		{"ErrEscaped", `{"birth": "2026\u002d02\u002d30"}`, "birth", "is not a day of the calendar"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v body
			err := json.Unmarshal([]byte(c.body), &v)
			field, pe, ok := date.FromJSONError(err)
			if !ok {
				t.Fatalf("FromJSONError(%v) did not recognise a date", err)
			}
			if field != c.field || pe.Message != c.msg {
				t.Fatalf("got field %q message %q, want %q %q", field, pe.Message, c.field, c.msg)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		var v body
		if err := json.Unmarshal([]byte(`{"stays": [{"arrival": "2026-03-14"}], "birth": null}`), &v); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := date.FromJSONError(json.Unmarshal([]byte(`{"name": 5}`), &v)); ok {
			t.Fatal("a string field's type error was taken for a date")
		}
	})
}

// TestScanWholeRange: a stored date outside the supported input range is
// still read back (the range guards input, not what a file already holds).
// TestAppendEdges checks the appending renderings at the ends of the
// range and for the zero date, where the digits are easiest to get wrong.
func TestAppendEdges(t *testing.T) {
	for _, s := range []string{"0001-01-01", "0999-09-09", "1000-10-10", "9999-12-31"} {
		var d date.Date
		if err := d.Scan(s); err != nil {
			t.Fatal(err)
		}
		if got := string(d.AppendJSON([]byte("x"))); got != `x"`+s+`"` {
			t.Errorf("AppendJSON(%s) = %s", s, got)
		}
		if got, _ := d.AppendText(nil); string(got) != s {
			t.Errorf("AppendText(%s) = %s", s, got)
		}
		if got, _ := d.MarshalText(); string(got) != s {
			t.Errorf("MarshalText(%s) = %s", s, got)
		}
	}
	var z date.Date
	if got := string(z.AppendJSON(nil)); got != "null" {
		t.Errorf("zero AppendJSON = %s", got)
	}
	if got, _ := z.MarshalJSON(); string(got) != "null" {
		t.Errorf("zero MarshalJSON = %s", got)
	}
	if got, _ := z.AppendText([]byte("a")); string(got) != "a" {
		t.Errorf("zero AppendText = %s", got)
	}
}

func TestScanWholeRange(t *testing.T) {
	var d date.Date
	if err := d.Scan("0001-01-01"); err != nil || d != date.New(1, 1, 1) {
		t.Fatalf("Scan: %v %v", d, err)
	}
	if err := d.Scan([]byte("2024-02-30")); err == nil {
		t.Fatal("Scan accepted an impossible date")
	}
}

func TestRange(t *testing.T) {
	r := date.Range(date.MustParse("2024-12-30"), date.MustParse("2025-01-02"))
	if got, want := len(r), 3; got != want {
		t.Fatalf("got %d nights, want %d", got, want)
	}
	if got, want := r[2].String(), "2025-01-01"; got != want {
		t.Fatalf("last night %s, want %s", got, want)
	}
	if got := date.Range(date.MustParse("2025-01-02"), date.MustParse("2025-01-02")); len(got) != 0 {
		t.Fatalf("empty range gave %d nights", len(got))
	}
}
