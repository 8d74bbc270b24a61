// Package date is the calendar date of a stay: a day in a property's time
// zone with no time of day and no zone of its own. A stay is the half-open
// range [arrival, departure) of such dates, so a daylight-saving change, a
// server in another zone or a UTC timestamp can never move a night. Dates
// are computed with integer arithmetic on day numbers; time.Time is used
// only to find out which date an instant falls on in a given zone.
//
// Dates read from outside (Parse, UnmarshalText, UnmarshalJSON) must lie in
// the supported range, years MinYear to MaxYear: wide enough for every birth
// date, stay and document expiry a hotel sees, and far enough inside the
// arithmetic range (years 1 to 9999, where New and AddDays panic) that no
// sum of a supported date and a span the store allows can leave it.
package date

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// MinYear and MaxYear bound the supported range: Parse accepts the dates
// from Min (1900-01-01) to Max (2199-12-31) and refuses others.
const (
	MinYear = 1900
	MaxYear = 2199
)

// Min and Max are the first and last dates Parse accepts.
var (
	Min = New(MinYear, time.January, 1)
	Max = New(MaxYear, time.December, 31)
)

// Date is one calendar date (proleptic Gregorian; arithmetic works in years
// 1 to 9999, input is read in years MinYear to MaxYear). The zero value is
// "no date": IsZero reports it, String renders it as "" and JSON as null.
// Dates compare with ==, Before, After and Compare.
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

// ParseError is the error of Parse and of decoding a Date: Input is the
// text given and Message what is wrong with it, in words that follow a field
// name ("must be a date in the form YYYY-MM-DD", "is not a day of the
// calendar", "must be from 1900-01-01 to 2199-12-31").
type ParseError struct {
	Input   string
	Message string
}

// Error returns the input (shortened when long) and the message.
func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > 40 {
		in = in[:40] + "…"
	}
	return fmt.Sprintf("%q %s", in, e.Message)
}

// Messages of ParseError.
const (
	msgForm     = "must be a date in the form YYYY-MM-DD"
	msgCalendar = "is not a day of the calendar"
)

// rangeMessage is the ParseError message of a date outside the supported range.
var rangeMessage = fmt.Sprintf("must be from %04d-01-01 to %04d-12-31", MinYear, MaxYear)

// Parse reads a date in the form YYYY-MM-DD in the supported range (Min to
// Max). Anything else is a *ParseError: another form, an impossible date
// such as 2025-02-30, or a date such as 0001-01-01 or 9999-12-31 outside the
// range.
func Parse(s string) (Date, error) {
	return parse(s, MinYear, MaxYear)
}

// parse reads YYYY-MM-DD with years from minYear to maxYear.
func parse(s string, minYear, maxYear int) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, &ParseError{Input: s, Message: msgForm}
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
	if !ok1 || !ok2 || !ok3 {
		return Date{}, &ParseError{Input: s, Message: msgForm}
	}
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return Date{}, &ParseError{Input: s, Message: msgCalendar}
	}
	if y < minYear || y > maxYear {
		return Date{}, &ParseError{Input: s, Message: rangeMessage}
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
	var b [10]byte
	return string(d.appendYMD(b[:0]))
}

// AppendText appends d as YYYY-MM-DD to b (nothing for the zero date),
// without allocating beyond b's growth.
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() {
		return b, nil
	}
	return d.appendYMD(b), nil
}

// AppendJSON appends d as "YYYY-MM-DD" to b, or null for the zero date: the
// bytes MarshalJSON returns, for encoders that build a response in place.
func (d Date) AppendJSON(b []byte) []byte {
	if d.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = d.appendYMD(b)
	return append(b, '"')
}

// appendYMD appends the year (four digits), month and day of a non-zero d.
func (d Date) appendYMD(b []byte) []byte {
	y, m, dd := d.YMD()
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+dd/10), byte('0'+dd%10))
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
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil) }

// UnmarshalText reads YYYY-MM-DD as Parse does; "" gives the zero date.
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
	return d.AppendJSON(make([]byte, 0, 12)), nil
}

// dateType is the reflect.Type of Date, which FromJSONError looks for.
var dateType = reflect.TypeFor[Date]()

// UnmarshalJSON reads "YYYY-MM-DD" as Parse does, or null. A bad date is
// reported as a *json.UnmarshalTypeError carrying the JSON value, because
// that is the one error encoding/json annotates with the field's path;
// FromJSONError turns it back into the field and the ParseError.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	v, err := fromJSON(b)
	if err != nil {
		return &json.UnmarshalTypeError{Value: s, Type: dateType}
	}
	*d = v
	return nil
}

// fromJSON reads a JSON string holding a date (or "", the zero date).
func fromJSON(b []byte) (Date, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Date{}, &ParseError{Input: string(b), Message: msgForm}
	}
	var d Date
	err := d.UnmarshalText([]byte(s))
	return d, err
}

// FromJSONError reports whether err, returned by encoding/json, is a Date
// that failed to decode, and returns the path of the field (dotted, as
// encoding/json gives it: "reservations.arrival"; empty at the top level)
// and what is wrong with the value.
func FromJSONError(err error) (field string, pe *ParseError, ok bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type != dateType {
		return "", nil, false
	}
	_, perr := fromJSON([]byte(te.Value))
	if !errors.As(perr, &pe) {
		pe = &ParseError{Input: te.Value, Message: msgForm}
	}
	return te.Field, pe, true
}

// Value stores d as TEXT YYYY-MM-DD (NULL for the zero date), which sorts
// and compares correctly in SQL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date stored by Value. It accepts the whole arithmetic range
// (years 1 to 9999), not only the supported one: what a database holds is
// always read back.
func (d *Date) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("date: cannot scan %T", src)
	}
	v, err := ParseStored(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseStored reads a date as Scan does from text (the empty text is the
// zero Date), without boxing the text in an interface: for callers that
// split dates out of a longer text.
func ParseStored(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	return parse(s, 1, 9999)
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
