package main

import (
	"strings"
	"testing"
	"time"
)

// FuzzRestoreAt: the --at parser never panics; what it accepts is an
// instant from 1970 to 9999 UTC that prints and parses back to itself, and
// what it refuses gets one line naming the input.
func FuzzRestoreAt(f *testing.F) {
	for _, s := range []string{"2026-11-28T09:30:00Z", "2026-11-28T09:30:00.123456789+01:00", "2026-11-28T09:30:00", "2026-11-28",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "1969-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-11-28T24:00:00Z",
		"", "now", "2026-11-28t09:30:00z", "+2026-11-28T09:30:00Z", "2026-11-28T09:30:00+99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseRestoreAt(s)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "--at ") {
				t.Fatalf("parseRestoreAt(%q): %q is not one line about --at", s, msg)
			}
			return
		}
		if y := at.UTC().Year(); y < 1970 || y > 9999 {
			t.Fatalf("parseRestoreAt(%q) = %v, outside 1970..9999 UTC", s, at)
		}
		back, err := time.Parse(time.RFC3339Nano, at.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(at) {
			t.Fatalf("parseRestoreAt(%q) = %v does not print and parse back (%v, %v)", s, at, back, err)
		}
	})
}

// TestRestoreAtRange: --at outside the times a replica can hold is refused
// with a message, before anything is opened.
func TestRestoreAtRange(t *testing.T) {
	c := newCLI(t)
	for _, at := range []string{"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "1969-12-31T23:59:59Z"} {
		code, _, errs := c.run("", "restore", "hotel", "--at", at, "--dry-run")
		if code != 1 || !strings.Contains(errs, "outside the times a replica can hold") {
			t.Fatalf("--at %s: exit %d, stderr %q", at, code, errs)
		}
	}
}
