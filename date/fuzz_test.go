package date_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
)

// FuzzParse: Parse never panics; what it accepts lies in the supported
// range, prints back as the same text, survives the arithmetic the store
// does on it and decodes the same from JSON; what it refuses is a
// ParseError with a message.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-03-14", "1900-01-01", "2199-12-31", "0001-01-01", "9999-12-31", "2027-02-30", "2024-02-29",
		"2100-02-29", "", "2026-3-14", "+026-03-14", "2026-03-1x", "２０２６-03-14", "2026-03-14T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := date.Parse(s)
		if err != nil {
			var pe *date.ParseError
			if !errors.As(err, &pe) || pe.Message == "" || pe.Input != s || !d.IsZero() {
				t.Fatalf("Parse(%q) = %v, %v: want the zero date and a ParseError with a message", s, d, err)
			}
			return
		}
		if d.Before(date.Min) || d.After(date.Max) {
			t.Fatalf("Parse(%q) = %s, outside %s..%s", s, d, date.Min, date.Max)
		}
		if d.String() != s {
			t.Fatalf("Parse(%q) prints as %q", s, d.String())
		}
		// What a handler or the store may do with any supported date.
		for _, n := range []int{-3660, -366, -1, 1, 366, 3660} {
			if got := d.AddDays(n).Sub(d); got != n {
				t.Fatalf("%s + %d days - itself = %d", d, n, got)
			}
		}
		if y, m, dd := d.Midnight(time.UTC).Date(); date.New(y, m, dd) != d || date.Of(d.Midnight(time.UTC), time.UTC) != d {
			t.Fatalf("%s does not come back from its midnight", d)
		}
		_ = d.Weekday()
		b, _ := json.Marshal(s)
		var j date.Date
		if err := json.Unmarshal(b, &j); err != nil || j != d {
			t.Fatalf("JSON %s = %v, %v", b, j, err)
		}
	})
}

// FuzzUnmarshalJSON: decoding any JSON value into a Date field never
// panics, and a failure is either not JSON at all or a bad date that
// FromJSONError names with its field.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`"2026-03-14"`, `null`, `""`, `"0001-01-01"`, `"9999-12-31"`, `"2027-02-30"`, `20260314`, `"\u0032026-03-14"`,
		`{"a":1}`, `["2026-03-14"]`, `"2026-03-14`, `true`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v struct {
			Day date.Date `json:"day"`
		}
		err := json.Unmarshal(append(append([]byte(`{"day":`), b...), '}'), &v)
		if err == nil {
			if !v.Day.IsZero() && (v.Day.Before(date.Min) || v.Day.After(date.Max)) {
				t.Fatalf("%s decoded to %s, outside the supported range", b, v.Day)
			}
			return
		}
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return
		}
		field, pe, ok := date.FromJSONError(err)
		if !ok || field != "day" || pe.Message == "" {
			t.Fatalf("%s: %v is neither bad JSON nor a bad date named by its field (%q, %v)", b, err, field, pe)
		}
	})
}
