// Package date is the calendar date of a stay: a day in a property's time
// zone with no time of day and no zone of its own. A stay is the half-open
// range [arrival, departure) of such dates, so a daylight-saving change, a
// server in another zone or a UTC timestamp can never move a night. Dates
// are computed with integer arithmetic on day numbers; time.Time is used
// only to find out which date an instant falls on in a given zone.
package date

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is one calendar date (proleptic Gregorian, years 1 to 9999). The zero
// value is "no date": IsZero reports it, String renders it as "" and JSON as
// null. Dates compare with ==, Before, After and Compare.
type Date struct {
	n int32 // days since 0000-12-31, so 0001-01-01 is 1 and 0 is no date
}

// Layout is the text form of a date: YYYY-MM-DD.
const Layout = "2006-01-02"

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d
// (Howard Hinnant's algorithm; exact for the whole proleptic calendar).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

var offset = daysFromCivil(1, 1, 1) - 1

const (
	minN = 1
	maxN = 3652059 // 9999-12-31
)

// New returns the date y-m-d. Out-of-range months and days are normalised
// the way time.Date does (New(2025, 1, 32) is 2025-02-01). It panics for a
// result outside years 1 to 9999; Parse is the checked way in.
func New(y int, m time.Month, d int) Date {
	// Normalise month first, then let day overflow roll through day numbers.
	mm := int(m) - 1
	y += mm / 12
	mm %= 12
	if mm < 0 {
		mm += 12
		y--
	}
	n := daysFromCivil(y, mm+1, 1) + d - 1 - offset
	if n < minN || n > maxN {
		panic(fmt.Sprintf("date: %04d-%02d-%02d is outside years 1 to 9999", y, mm+1, d))
	}
	return Date{n: int32(n)}
}

// Parse reads a date in the form YYYY-MM-DD, refusing anything else
// (including impossible dates such as 2025-02-30).
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	num := func(b string) (int, bool) {
		v := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			v = v*10 + int(b[i]-'0')
		}
		return v, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return Date{}, fmt.Errorf("%q is not a valid date", s)
	}
	return New(y, time.Month(m), d), nil
}

// MustParse is Parse for constants in tests and seeds; it panics on a bad date.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Of returns the calendar date of the instant t in the zone loc: the date a
// clock on the property's wall shows at that instant.
func Of(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return New(y, m, d)
}

// Today returns today's date in the zone loc.
func Today(loc *time.Location) Date { return Of(time.Now(), loc) }

// IsZero reports whether d is the zero value (no date).
func (d Date) IsZero() bool { return d.n == 0 }

// YMD returns the year, month and day of d.
func (d Date) YMD() (int, time.Month, int) {
	y, m, dd := civilFromDays(int(d.n) + offset)
	return y, time.Month(m), dd
}

// String renders d as YYYY-MM-DD, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	y, m, dd := d.YMD()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// AddDays returns the date n days after d (before it for negative n). It
// panics when the result leaves years 1 to 9999 or d is the zero date.
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		panic("date: AddDays on the zero date")
	}
	r := int(d.n) + n
	if r < minN || r > maxN {
		panic("date: AddDays leaves years 1 to 9999")
	}
	return Date{n: int32(r)}
}

// Sub returns the number of days from e to d (d - e): the number of nights
// of the stay [e, d) when d is after e.
func (d Date) Sub(e Date) int { return int(d.n) - int(e.n) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.n < e.n:
		return -1
	case d.n > e.n:
		return 1
	}
	return 0
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 0001-01-01 (n = 1) was a Monday.
	return time.Weekday(int(d.n) % 7)
}

// Midnight returns the instant at which d begins in loc. On a day whose
// midnight does not exist in loc (a daylight-saving jump at 00:00) it is the
// first instant of the day.
func (d Date) Midnight(loc *time.Location) time.Time {
	y, m, dd := d.YMD()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// MarshalText renders d as YYYY-MM-DD ("" for the zero date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; "" gives the zero date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON renders d as "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("%s is not a date string in the form YYYY-MM-DD", s)
	}
	return d.UnmarshalText([]byte(s[1 : len(s)-1]))
}

// Value stores d as TEXT YYYY-MM-DD (NULL for the zero date), which sorts
// and compares correctly in SQL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date stored by Value.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	}
	return fmt.Errorf("date: cannot scan %T", src)
}

// Range returns the dates of the half-open range [from, to): the nights of a
// stay arriving on from and leaving on to. It is empty when to is not after from.
func Range(from, to Date) []Date {
	n := to.Sub(from)
	if n <= 0 {
		return nil
	}
	out := make([]Date, n)
	for i := range out {
		out[i] = from.AddDays(i)
	}
	return out
}
