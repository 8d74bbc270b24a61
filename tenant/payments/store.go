package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/stripe/stripe-go/v85"
)

// Store is the Stripe side of one tenant file's payments. It is cheap to
// make: build one per request with New from the handle the router gave out.
type Store struct {
	db      *tenant.DB
	ledger  *ledger.Store
	backend stripe.Backend
}

// Options tune New.
type Options struct {
	// Backend is the Stripe API backend every call goes through; nil means
	// Stripe's own API with stripe-go's defaults. Tests point it at
	// stripe-mock (stripe.GetBackendWithConfig with its URL).
	Backend stripe.Backend
}

// New returns the Stripe payments of an open tenant file.
func New(db *tenant.DB, opt Options) *Store {
	return &Store{db: db, ledger: ledger.New(db), backend: opt.Backend}
}

// Opaque id prefixes of the rows this package owns.
const (
	prefixAttempt = "spa" // an action's attempt: Stripe idempotency keys derive from it
	prefixPayment = "stp" // a PaymentIntent Aura created
	prefixCard    = "crd" // a card on file or a virtual card
	prefixRefund  = "srf" // a refund of a Stripe payment
)

// stripeKey is the idempotency key of one Stripe call of an attempt: the
// same attempt and step always give the same key, so a retry of the call
// (a double click, a reconcile after a lost answer) is the same request
// to Stripe, which performs it once.
func stripeKey(attemptID, step string) string { return "aura-" + attemptID + "-" + step }

// timeFormat is UTC with fixed nanosecond precision, so stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Stripe object ids this package stores, by kind. Each is a prefix and
// letters and digits only; a client secret ("pi_…_secret_…") never fits.
var (
	reCustomer      = regexp.MustCompile(`^cus_[A-Za-z0-9]{1,250}$`)
	rePaymentMethod = regexp.MustCompile(`^pm_[A-Za-z0-9]{1,250}$`)
	reSetupIntent   = regexp.MustCompile(`^seti_[A-Za-z0-9]{1,250}$`)
	reIntent        = regexp.MustCompile(`^pi_[A-Za-z0-9]{1,250}$`)
	reRefund        = regexp.MustCompile(`^re_[A-Za-z0-9]{1,250}$`)
	reCharge        = regexp.MustCompile(`^ch_[A-Za-z0-9]{1,250}$`)
	reCode          = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
)

// isID reports whether id is a well-formed id of the kind re matches that
// holds nothing like a card number: letters and digits allow an "id" such
// as pm_4242424242424242, which no Stripe id is and Aura must not store.
func isID(re *regexp.Regexp, id string) bool {
	return re.MatchString(id) && !ledger.ContainsCardNumber(id)
}

// keep returns id when it is an id of the kind re matches (isID), otherwise
// "": whatever Stripe (or a webhook payload) sends, only a well-formed id
// of the expected kind is stored.
func keep(re *regexp.Regexp, id string) string {
	if isID(re, id) {
		return id
	}
	return ""
}

// code returns a Stripe error or decline code fit to store (lower-case
// letters, digits and underscores), or "stripe_error".
func code(c string) string {
	if reCode.MatchString(c) {
		return c
	}
	return "stripe_error"
}

// fieldErrors collects validation failures so one EINVALID names them all.
type fieldErrors []aura.FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, aura.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return aura.Invalid(message, f...)
}

// note checks free text that will be stored (a payment's ledger note): one
// line, at most 500 characters, and no card number.
func (f *fieldErrors) note(field, v string) {
	switch {
	case len([]rune(v)) > 500:
		f.add(field, "must be at most 500 characters")
	case strings.ContainsAny(v, "\x00\r\n"):
		f.add(field, "must be one line")
	case ledger.ContainsCardNumber(v):
		f.add(field, "must not contain a payment card number (Aura never stores card data)")
	}
}

// idempotencyKey checks a caller's idempotency key: required, because a
// money movement without one cannot be protected against a double submit.
func (f *fieldErrors) idempotencyKey(k string) {
	ok := len(k) >= 1 && len(k) <= 255
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] >= 0x21 && k[i] <= 0x7e
	}
	if !ok {
		f.add("idempotency_key", "is required: 1 to 255 visible ASCII characters (a double submit with the same key charges once)")
	}
}

// requestHash identifies a request for its idempotency key, stored only as
// an HMAC under a tenant-derived key (the same key bookings and the
// ledger use).
func (s *Store) requestHash(given []byte, in any) []byte {
	h := given
	if len(h) == 0 {
		b, _ := json.Marshal(in)
		sum := sha256.Sum256(b)
		h = sum[:]
	}
	mac := hmac.New(sha256.New, s.db.DerivedKey("idempotency"))
	mac.Write(h)
	return mac.Sum(nil)
}

func notFound(kind, id string) error {
	return aura.Errorf(aura.ENOTFOUND, "No %s %q.", kind, id)
}

// locks serialises the work on one attempt or one payment within the
// process (one server per data directory holds the lock file), so two
// concurrent submits of the same attempt send one request to Stripe and a
// webhook and a refresh of one payment apply one after the other.
var locks = keyedMutex{m: map[string]*refMutex{}}

type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

// lock takes the lock of key (scoped to the tenant) and returns its unlock.
func (s *Store) lock(key string) func() {
	key = s.db.ID + "/" + key
	locks.mu.Lock()
	m := locks.m[key]
	if m == nil {
		m = &refMutex{}
		locks.m[key] = m
	}
	m.refs++
	locks.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		locks.mu.Lock()
		if m.refs--; m.refs == 0 {
			delete(locks.m, key)
		}
		locks.mu.Unlock()
	}
}

// outcome is what one Stripe call came to.
type outcome int

const (
	answered outcome = iota // Stripe answered: the object is in its response
	refused                 // Stripe refused the request for good (declined, invalid, bad key)
	unknown                 // no answer (network, timeout, Stripe's 5xx, a lock): retry with the same key
)

// classify sorts a Stripe error: refused for good, or unknown (the
// request may or may not have been performed, so only a retry with the
// same idempotency key may follow).
func classify(err error) (outcome, *stripe.Error) {
	if err == nil {
		return answered, nil
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		return unknown, nil
	}
	switch {
	case se.HTTPStatusCode == 429, se.HTTPStatusCode >= 500, se.HTTPStatusCode == 0:
		return unknown, se
	case se.Type == stripe.ErrorTypeIdempotency && se.HTTPStatusCode == 409:
		// The same key is still being processed by Stripe (a concurrent
		// request): the outcome is not known yet.
		return unknown, se
	}
	return refused, se
}

// refusal turns Stripe's refusal into the error the caller sees. Stripe's
// own message is passed on (it never holds card data: Aura sends none) but
// never stored; only its code is.
func refusal(what string, se *stripe.Error) error {
	c := string(se.Code)
	if se.DeclineCode != "" {
		c = string(se.DeclineCode)
	}
	msg := strings.TrimSpace(se.Msg)
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	switch {
	case se.HTTPStatusCode == 401 || se.HTTPStatusCode == 403:
		return aura.Errorf(aura.ECONFLICT, "Stripe refused this tenant's secret key (%s); check the Stripe settings.", code(c))
	case se.Type == stripe.ErrorTypeCard:
		if se.Code == stripe.ErrorCodeAuthenticationRequired {
			return aura.Errorf(aura.ECONFLICT, "%s: the card's bank asks the cardholder to authenticate this payment, which cannot happen while they are away (authentication_required). Ask the guest to pay with the card in person or online.", what)
		}
		return aura.Errorf(aura.ECONFLICT, "%s: the card was declined (%s). %s", what, code(c), msg)
	case se.Param == "amount":
		return aura.Invalid(what+": Stripe refused the amount. "+msg, aura.FieldError{Field: "amount", Message: msg})
	}
	return aura.Errorf(aura.ECONFLICT, "%s: Stripe refused the request (%s). %s", what, code(c), msg)
}

// errUnknown is what a caller sees when Stripe did not answer.
func errUnknown(what string) error {
	return aura.Errorf(aura.EUNAVAILABLE, "%s: Stripe did not answer, so the outcome is not known yet. Nothing will be charged twice: retrying (the same request again, or Reconcile) sends it with the same idempotency key.", what)
}

// errorCode is the code stored for a refusal.
func errorCode(se *stripe.Error) string {
	if se == nil {
		return "no_answer"
	}
	if se.DeclineCode != "" {
		return code(string(se.DeclineCode))
	}
	return code(string(se.Code))
}
