package ledger

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
)

// Store is the ledger of one tenant file. It is cheap to make: build one
// per request with New from the handle the router gave out.
type Store struct {
	db  *tenant.DB
	fin *keys.AEAD // the financial-records key: wraps each document's own key
}

// New returns the ledger of an open tenant file.
func New(db *tenant.DB) *Store {
	return &Store{db: db, fin: keys.NewAEAD(db.DerivedKey("financial-records"))}
}

// Opaque id prefixes.
const (
	prefixFolio      = "fol"
	prefixLine       = "fln"
	prefixPayment    = "pay"
	prefixRefund     = "rfd"
	prefixInvoice    = "inv"
	prefixCreditNote = "crn"
)

// fieldErrors collects validation failures so one EINVALID names them all.
type fieldErrors []aura.FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, aura.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing failed, otherwise EINVALID with message.
func (f fieldErrors) err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return aura.Invalid(message, f...)
}

// text validates a single-line text field of min to max characters that
// holds no card number.
func (f *fieldErrors) text(field, v string, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8 text")
	case n < min && min == 1:
		f.add(field, "is required")
	case n < min || n > max:
		f.add(field, "must be %d to %d characters", min, max)
	case strings.ContainsAny(v, "\x00\r\n"):
		f.add(field, "must be one line")
	case hasCardNumber(v):
		f.add(field, "must not contain a payment card number")
	}
}

// code validates an identifier such as a tax code or product code: 1 to 20
// letters, digits, '.', '_' or '-'.
func (f *fieldErrors) code(field, v string) {
	ok := len(v) >= 1 && len(v) <= 20
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		f.add(field, "must be 1 to 20 letters, digits, '.', '_' or '-'")
	}
}

// timeFormat is UTC with fixed nanosecond precision, so stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("ledger: marshal: " + err.Error())
	}
	return string(b)
}

func notFound(kind, id string) error {
	return aura.Errorf(aura.ENOTFOUND, "No %s %q.", kind, id)
}

// checkVersion returns EPRECONDITION when want (an If-Match version) is set
// and differs from the stored version.
func checkVersion(kind, id string, stored, want int) error {
	if want != 0 && want != stored {
		return aura.Errorf(aura.EPRECONDITION, "The %s %s was changed by someone else (version %d, you sent %d); reload it and try again.", kind, id, stored, want)
	}
	return nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
