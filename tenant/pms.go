package tenant

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // property zones must load on a host without zoneinfo files
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
)

// The PMS core (properties, inventory, rates, availability, bookings,
// reservations and guests) lives in the files named for each part. This file
// holds what they share.

// MaxRange is the longest date range (in days) one availability, rate or
// tape-chart query may span.
const MaxRange = 366

// MaxStay is the longest stay, in nights, a reservation may have.
const MaxStay = 365

// FieldErrors collects validation failures so one EINVALID names them all.
type FieldErrors []aura.FieldError

func (f *FieldErrors) Add(field, format string, args ...any) {
	*f = append(*f, aura.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing failed, otherwise EINVALID with message.
func (f FieldErrors) Err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return aura.Invalid(message, f...)
}

// Text validates a required or optional single-line text field.
func (f *FieldErrors) Text(field, v string, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		f.Add(field, "must be valid UTF-8 text")
	case n < min && min == 1:
		f.Add(field, "is required")
	case n < min || n > max:
		f.Add(field, "must be %d to %d characters", min, max)
	case strings.ContainsAny(v, "\x00\r\n"):
		f.Add(field, "must be one line")
	}
}

var zones sync.Map // IANA name → *time.Location

// LoadZone returns the location of an IANA zone name, refusing "" and
// "Local" (which would make dates depend on the server's own zone).
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || strings.ContainsAny(name, " \\") {
		return nil, aura.Errorf(aura.EINVALID, "%q is not an IANA time zone.", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, aura.Errorf(aura.EINVALID, "%q is not an IANA time zone such as Europe/Berlin.", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// ValidTimeZone reports whether name is an IANA time zone Aura accepts.
func ValidTimeZone(name string) bool {
	_, err := LoadZone(name)
	return err == nil
}

// CheckVersion returns EPRECONDITION when want (an If-Match version) is set
// and differs from the stored version.
func CheckVersion(kind, id string, stored, want int) error {
	if want != 0 && want != stored {
		return aura.Errorf(aura.EPRECONDITION, "This %s was changed by someone else while you were looking at it (now version %d, yours %d); reload it and try again.", kind, stored, want)
	}
	return nil
}

func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func ParseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func ParseNullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := ParseTime(s.String)
	return &t
}

func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("tenant: marshal: " + err.Error())
	}
	return string(b)
}

// NotFound returns ENOTFOUND naming the kind of thing.
func NotFound(kind, id string) error {
	return aura.Errorf(aura.ENOTFOUND, "No %s %q.", kind, id)
}

// ValidDateRange checks a query range [from, to).
func ValidDateRange(from, to date.Date) error {
	var fe FieldErrors
	if from.IsZero() {
		fe.Add("from", "is required (YYYY-MM-DD)")
	}
	if to.IsZero() {
		fe.Add("to", "is required (YYYY-MM-DD)")
	}
	if len(fe) == 0 {
		if !from.Before(to) {
			fe.Add("to", "must be after from")
		} else if to.Sub(from) > MaxRange {
			fe.Add("to", "the range may span at most %d days", MaxRange)
		}
	}
	return fe.Err("The date range is not valid.")
}

// Placeholders returns "?, ?, ?" for n arguments.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func Itoa(i int) string { return strconv.Itoa(i) }

// SecureDelete turns SQLite's secure_delete on for the transaction's
// connection (the file's single write connection): content deleted from
// now on, in freed cells and freed pages, is overwritten with zeros instead
// of staying readable in the file. It stays on for that connection; it
// costs a page write per freed page, which only deletes of personal data
// should pay often.
func SecureDelete(tx *Tx) error {
	_, err := tx.Exec(`PRAGMA secure_delete = ON`)
	return err
}
