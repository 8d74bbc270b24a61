package main

import (
	"strconv"
	"strings"
	"time"
)

// duration writes d for people: "24 hours", "7 days", "90 seconds",
// "1 day and 12 hours" — never Go's "24h0m0s". Up to two days a whole
// number of hours stays in hours ("every 24 hours").
func duration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	if d <= 0 {
		return "0 seconds"
	}
	if d%time.Hour == 0 && d <= 48*time.Hour {
		return unit(int64(d/time.Hour), "hour")
	}
	var parts []string
	days, rest := int64(d/(24*time.Hour)), d%(24*time.Hour)
	hours, rest := int64(rest/time.Hour), rest%time.Hour
	minutes, rest := int64(rest/time.Minute), rest%time.Minute
	seconds := int64(rest / time.Second)
	for _, p := range []struct {
		n    int64
		unit string
	}{{days, "day"}, {hours, "hour"}, {minutes, "minute"}, {seconds, "second"}} {
		if p.n > 0 {
			parts = append(parts, unit(p.n, p.unit))
		}
	}
	if len(parts) == 0 {
		return "less than a second"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
