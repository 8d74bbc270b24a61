package ledger

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Payment methods.
const (
	MethodCash         = "cash"
	MethodCardTerminal = "card_terminal"
	MethodBankTransfer = "bank_transfer"
	MethodCityLedger   = "city_ledger" // a receivable: a company or agency is billed later
	MethodStripe       = "stripe"
)

// Payment statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusRefunded  = "refunded" // a payment refunded in full (set by RecordRefund)
	StatusDisputed  = "disputed" // a card payment the cardholder disputes
)

// Kinds of payment records.
const (
	KindPayment = "payment"
	KindRefund  = "refund"
)

// transitions is the one table of legal status changes by SetPaymentStatus.
// A payment becomes refunded only through its refunds, never by hand.
var transitions = map[string]map[string][]string{
	KindPayment: {
		StatusPending:   {StatusSucceeded, StatusFailed},
		StatusSucceeded: {StatusDisputed},
		StatusDisputed:  {StatusSucceeded}, // the dispute was won; a lost one is recorded as a refund
	},
	KindRefund: {
		StatusPending: {StatusSucceeded, StatusFailed},
	},
}

// Payment is a payment or a refund (Kind) recorded on a folio. A folio line
// is posted when it succeeds; a pending one blocks invoicing the folio.
// Refunded is, for a payment, the sum of its refunds not failed.
type Payment struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	FolioID      string    `json:"folio_id"`
	Method       string    `json:"method"`
	Status       string    `json:"status"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	ExternalRef  string    `json:"external_ref,omitempty"`
	RefundOf     string    `json:"refund_of,omitempty"`
	Note         string    `json:"note,omitempty"`
	BusinessDate date.Date `json:"business_date"`
	Refunded     int64     `json:"refunded,omitempty"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Replayed is set when an idempotent repeat returned the first record.
	Replayed bool `json:"replayed,omitempty"`
}

// PaymentInput records a payment on a folio. Status is pending or
// succeeded (default succeeded: money counted at the desk). ExternalRef is
// the provider's id: for Stripe only a Stripe object id (pm_, pi_, seti_,
// cus_, re_, ch_ followed by letters and digits), never card data; for
// other methods a reference such as a terminal receipt or a transfer's
// purpose; Note is stored plain (no personal data). With an IdempotencyKey
// a repeat records nothing; RequestHash,
// when given (a hash of the HTTP body), identifies the request, otherwise
// a hash of the input does.
type PaymentInput struct {
	FolioID        string    `json:"folio_id"`
	Method         string    `json:"method"`
	Amount         int64     `json:"amount"`
	Status         string    `json:"status,omitempty"`
	ExternalRef    string    `json:"external_ref,omitempty"`
	Note           string    `json:"note,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	IdempotencyKey string    `json:"-"`
	RequestHash    []byte    `json:"-"`
}

// RefundInput records a refund of a succeeded payment (or of a disputed
// one: a lost dispute is recorded as its refund): Amount (0: all that
// is left to refund), by the payment's own method unless Method says
// otherwise, pending or succeeded (default succeeded).
type RefundInput struct {
	PaymentID      string    `json:"payment_id"`
	Amount         int64     `json:"amount"`
	Method         string    `json:"method,omitempty"`
	Status         string    `json:"status,omitempty"`
	ExternalRef    string    `json:"external_ref,omitempty"`
	Note           string    `json:"note,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	IdempotencyKey string    `json:"-"`
	RequestHash    []byte    `json:"-"`
}

// stripePrefixes are the Stripe object ids the ledger may store.
var stripePrefixes = []string{"pm_", "pi_", "seti_", "cus_", "re_", "ch_"}

// validStripeID accepts a Stripe object id: a known prefix, then 1 to 250
// letters and digits. A client secret ("pi_…_secret_…") is refused: it is
// a credential, not an id.
func validStripeID(s string) bool {
	for _, p := range stripePrefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return len(rest) >= 1 && len(rest) <= 250 && alnumAny(rest)
		}
	}
	return false
}

func alnumAny(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validMethod(m string) bool {
	switch m {
	case MethodCash, MethodCardTerminal, MethodBankTransfer, MethodCityLedger, MethodStripe:
		return true
	}
	return false
}

// validPayment checks the fields a payment and a refund share.
func validPayment(fe *fieldErrors, method, status, ref, note, key string, businessDate date.Date) {
	if !validMethod(method) {
		fe.add("method", "must be cash, card_terminal, bank_transfer, city_ledger or stripe")
	}
	if status != StatusPending && status != StatusSucceeded {
		fe.add("status", "must be pending or succeeded")
	}
	if method == MethodStripe {
		if !validStripeID(ref) {
			fe.add("external_ref", "must be a Stripe id (pm_, pi_, seti_, cus_, re_ or ch_ followed by letters and digits)")
		}
	} else {
		fe.text("external_ref", ref, 0, 100)
	}
	fe.text("note", note, 0, 500)
	if businessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	if key != "" && !validIdempotencyKey(key) {
		fe.add("idempotency_key", "must be 1 to 255 visible ASCII characters")
	}
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash identifies a request for its idempotency key, stored only as
// an HMAC under a tenant-derived key (the same as bookings use).
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

// Idempotency scopes in the shared idempotency_keys table.
const (
	scopePayment    = "ledger.payment"
	scopeRefund     = "ledger.refund"
	scopeCharge     = "ledger.charge"
	scopeProduct    = "ledger.product"
	scopeAllowance  = "ledger.allowance"
	scopeTransfer   = "ledger.transfer"
	scopeInvoice    = "ledger.invoice"
	scopeCreditNote = "ledger.credit_note"
)

// idemHash is requestHash for a call with a key, nil without one.
func (s *Store) idemHash(key string, given []byte, in any) []byte {
	if key == "" {
		return nil
	}
	return s.requestHash(given, in)
}

// replayed returns the id of what a used key created (the same request), ""
// for a new or empty key, and EINVALID on idempotency_key for the same key
// with another request.
func (s *Store) replayed(tx *tenant.Tx, scope, key string, hash []byte) (string, error) {
	if key == "" {
		return "", nil
	}
	if !validIdempotencyKey(key) {
		return "", aura.Invalid("The Idempotency-Key is not valid.", aura.FieldError{Field: "idempotency_key", Message: "must be 1 to 255 printable ASCII characters"})
	}
	var stored []byte
	var id string
	err := tx.QueryRow(`SELECT request_hash, result_id FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).Scan(&stored, &id)
	switch {
	case err == sql.ErrNoRows:
		return "", nil
	case err != nil:
		return "", err
	case !bytes.Equal(stored, hash):
		return "", aura.Invalid("This Idempotency-Key was already used for a different request.",
			aura.FieldError{Field: "idempotency_key", Message: "was used for a different request"})
	}
	return id, nil
}

// remember stores a key with what it created, in the creating transaction.
func (s *Store) remember(tx *tenant.Tx, scope, key string, hash []byte, id string) error {
	if key == "" {
		return nil
	}
	_, err := tx.Exec(`INSERT INTO idempotency_keys (scope, key, request_hash, result_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		scope, key, hash, id, tx.Now.UTC().Format(time.RFC3339))
	return err
}

// idempotent runs create unless the key was used: the same key and request
// return the first record (Replayed set, nothing written); the same key
// with another request is EINVALID on the field idempotency_key.
func (s *Store) idempotent(tx *tenant.Tx, scope, key string, hash []byte, create func() (Payment, error)) (Payment, error) {
	if key != "" {
		var stored []byte
		var id string
		err := tx.QueryRow(`SELECT request_hash, result_id FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).Scan(&stored, &id)
		if err == nil {
			if !bytes.Equal(stored, hash) {
				return Payment{}, aura.Invalid("This Idempotency-Key was already used for a different request.",
					aura.FieldError{Field: "idempotency_key", Message: "was used for a different request"})
			}
			p, err := s.payment(tx, id)
			p.Replayed = true
			return p, err
		}
		if err != sql.ErrNoRows {
			return Payment{}, err
		}
	}
	p, err := create()
	if err != nil || key == "" {
		return p, err
	}
	_, err = tx.Exec(`INSERT INTO idempotency_keys (scope, key, request_hash, result_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		scope, key, hash, p.ID, tx.Now.UTC().Format(time.RFC3339))
	return p, err
}

// RecordPayment records a payment on a folio and, when it has succeeded,
// posts its payment line, audited ("payment.recorded") in the same
// transaction. It is idempotent by IdempotencyKey (see PaymentInput).
// Errors: EINVALID naming the fields (a Stripe reference that is not a
// Stripe id, text holding a card number, a reused key), ENOTFOUND for an
// unknown folio.
func (s *Store) RecordPayment(ctx context.Context, in PaymentInput) (Payment, error) {
	if in.Status == "" {
		in.Status = StatusSucceeded
	}
	var fe fieldErrors
	if in.FolioID == "" {
		fe.add("folio_id", "is required")
	}
	if in.Amount <= 0 || in.Amount > MaxAmount {
		fe.add("amount", "must be 1 to %d minor units", int64(MaxAmount))
	}
	validPayment(&fe, in.Method, in.Status, in.ExternalRef, in.Note, in.IdempotencyKey, in.BusinessDate)
	if err := fe.err("The payment is not valid."); err != nil {
		return Payment{}, err
	}
	var hash []byte
	if in.IdempotencyKey != "" {
		hash = s.requestHash(in.RequestHash, in)
	}
	var p Payment
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		p, err = s.idempotent(tx, scopePayment, in.IdempotencyKey, hash, func() (Payment, error) {
			f, err := s.folio(tx, in.FolioID)
			if err != nil {
				return Payment{}, err
			}
			p := Payment{ID: aura.NewOrderedID(prefixPayment), Kind: KindPayment, FolioID: f.ID, Method: in.Method, Status: in.Status,
				Amount: in.Amount, Currency: f.Currency, ExternalRef: in.ExternalRef, Note: in.Note, BusinessDate: in.BusinessDate}
			return p, s.insertPayment(tx, &p, f)
		})
		return err
	})
	return p, err
}

// RecordRefund records a refund of a succeeded payment, capped at what is
// left to refund of it (the payment less its refunds that have not
// failed), and posts its refund line when it has succeeded; a payment
// refunded in full becomes "refunded". Audited ("refund.recorded") in the
// same transaction and idempotent by IdempotencyKey. Errors: EINVALID
// naming the fields or an amount above what is left, ENOTFOUND for an
// unknown payment, ECONFLICT for a payment that has not succeeded.
func (s *Store) RecordRefund(ctx context.Context, in RefundInput) (Payment, error) {
	if in.Status == "" {
		in.Status = StatusSucceeded
	}
	var fe fieldErrors
	if in.PaymentID == "" {
		fe.add("payment_id", "is required")
	}
	if in.Amount < 0 || in.Amount > MaxAmount {
		fe.add("amount", "must be 0 (all that is left) to %d minor units", int64(MaxAmount))
	}
	method := in.Method
	if method == "" {
		method = MethodCash // checked against the payment's method below
	}
	validPayment(&fe, method, in.Status, in.ExternalRef, in.Note, in.IdempotencyKey, in.BusinessDate)
	if err := fe.err("The refund is not valid."); err != nil {
		return Payment{}, err
	}
	var hash []byte
	if in.IdempotencyKey != "" {
		hash = s.requestHash(in.RequestHash, in)
	}
	var r Payment
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		r, err = s.idempotent(tx, scopeRefund, in.IdempotencyKey, hash, func() (Payment, error) {
			p, err := s.payment(tx, in.PaymentID)
			if err != nil {
				return Payment{}, err
			}
			if p.Kind != KindPayment {
				return Payment{}, aura.Errorf(aura.ECONFLICT, "%s is a refund; only a payment can be refunded.", p.ID)
			}
			if p.Status != StatusSucceeded && p.Status != StatusDisputed {
				return Payment{}, aura.Errorf(aura.ECONFLICT, "The payment %s is %s; only a succeeded (or disputed) payment can be refunded.", p.ID, p.Status)
			}
			m := in.Method
			if m == "" {
				m = p.Method
			}
			if m == MethodStripe && !validStripeID(in.ExternalRef) {
				return Payment{}, aura.Invalid("The refund is not valid.", aura.FieldError{Field: "external_ref",
					Message: "must be a Stripe id (pm_, pi_, seti_, cus_, re_ or ch_ followed by letters and digits)"})
			}
			left := p.Amount - p.Refunded
			amount := in.Amount
			if amount == 0 {
				amount = left
			}
			if amount > left || amount <= 0 {
				return Payment{}, aura.Invalid("The refund is larger than what is left of the payment.",
					aura.FieldError{Field: "amount", Message: "must be at most " + FormatAmount(left, p.Currency) + " (the payment less its refunds)"})
			}
			f, err := s.folio(tx, p.FolioID)
			if err != nil {
				return Payment{}, err
			}
			r := Payment{ID: aura.NewOrderedID(prefixRefund), Kind: KindRefund, FolioID: p.FolioID, Method: m, Status: in.Status,
				Amount: amount, Currency: p.Currency, ExternalRef: in.ExternalRef, RefundOf: p.ID, Note: in.Note, BusinessDate: in.BusinessDate}
			if err := s.insertPayment(tx, &r, f); err != nil {
				return Payment{}, err
			}
			return r, s.settleRefunded(tx, p.ID)
		})
		return err
	})
	return r, err
}

func (s *Store) insertPayment(tx *tenant.Tx, p *Payment, f Folio) error {
	p.Version, p.CreatedAt, p.UpdatedAt = 1, tx.Now, tx.Now
	var refundOf any
	if p.RefundOf != "" {
		refundOf = p.RefundOf
	}
	if _, err := tx.Exec(`INSERT INTO ledger_payments (id, kind, folio_id, method, status, amount, currency, external_ref, refund_of, note,
		business_date, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Kind, p.FolioID, p.Method, p.Status, p.Amount, p.Currency, p.ExternalRef, refundOf, p.Note, p.BusinessDate,
		p.Version, formatTime(tx.Now), formatTime(tx.Now)); err != nil {
		return err
	}
	if p.Status == StatusSucceeded {
		if err := s.postPaymentLine(tx, *p, f, p.BusinessDate); err != nil {
			return err
		}
	}
	return tx.Audit(audit.Entry{Action: p.Kind + ".recorded", EntityType: p.Kind, EntityID: p.ID, After: p})
}

// postPaymentLine posts the folio line of a succeeded payment or refund.
func (s *Store) postPaymentLine(tx *tenant.Tx, p Payment, f Folio, businessDate date.Date) error {
	kind, desc := LinePayment, "Payment ("+p.Method+")"
	if p.Kind == KindRefund {
		kind, desc = LineRefund, "Refund ("+p.Method+")"
	}
	l := Line{FolioID: f.ID, Kind: kind, ServiceDate: businessDate, BusinessDate: businessDate, Description: desc,
		Quantity: 1, UnitPrice: p.Amount, Amounts: Amounts{Net: p.Amount, Gross: p.Amount}, Currency: f.Currency, PaymentID: p.ID}
	return s.insertLine(tx, &l)
}

// settleRefunded marks a payment refunded once its succeeded refunds add
// up to its amount.
func (s *Store) settleRefunded(tx *tenant.Tx, paymentID string) error {
	p, err := s.payment(tx, paymentID)
	if err != nil {
		return err
	}
	var done int64
	if err := tx.QueryRow(`SELECT coalesce(sum(amount), 0) FROM ledger_payments WHERE refund_of = ? AND status = 'succeeded'`, paymentID).Scan(&done); err != nil {
		return err
	}
	if (p.Status != StatusSucceeded && p.Status != StatusDisputed) || done < p.Amount {
		return nil
	}
	if _, err := tx.Exec(`UPDATE ledger_payments SET status = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		StatusRefunded, formatTime(tx.Now), paymentID); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "payment.status_changed", EntityType: "payment", EntityID: paymentID,
		Before: map[string]string{"status": p.Status}, After: map[string]string{"status": StatusRefunded}})
}

// SetPaymentStatus moves a payment or refund to a new status along the one
// table of transitions (payment: pending → succeeded or failed, succeeded →
// disputed, disputed → succeeded; refund: pending → succeeded or failed),
// optionally recording the provider's id learned meanwhile (externalRef,
// "" keeps it). A payment or refund that succeeds posts its folio line on
// businessDate. Audited with before and after. Errors: ENOTFOUND, ECONFLICT
// for a transition the table does not allow, EINVALID for a bad reference
// or date, EPRECONDITION for a stale version.
func (s *Store) SetPaymentStatus(ctx context.Context, id, status, externalRef string, businessDate date.Date, version int) (Payment, error) {
	var p Payment
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := s.payment(tx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(before.Kind, id, before.Version, version); err != nil {
			return err
		}
		allowed := false
		for _, to := range transitions[before.Kind][before.Status] {
			allowed = allowed || to == status
		}
		if !allowed {
			return aura.Errorf(aura.ECONFLICT, "A %s cannot go from %s to %s.", before.Kind, before.Status, status)
		}
		var fe fieldErrors
		if externalRef != "" {
			if before.Method == MethodStripe && !validStripeID(externalRef) {
				fe.add("external_ref", "must be a Stripe id (pm_, pi_, seti_, cus_, re_ or ch_ followed by letters and digits)")
			} else {
				fe.text("external_ref", externalRef, 0, 100)
			}
		}
		succeeds := status == StatusSucceeded && before.Status == StatusPending
		if succeeds && businessDate.IsZero() {
			fe.add("business_date", "is required when a payment succeeds (its line is posted on it)")
		}
		if err := fe.err("The status change is not valid."); err != nil {
			return err
		}
		p = before
		p.Status, p.Version, p.UpdatedAt = status, before.Version+1, tx.Now
		if externalRef != "" {
			p.ExternalRef = externalRef
		}
		if _, err := tx.Exec(`UPDATE ledger_payments SET status = ?, external_ref = ?, version = ?, updated_at = ? WHERE id = ?`,
			p.Status, p.ExternalRef, p.Version, formatTime(tx.Now), id); err != nil {
			return err
		}
		if succeeds {
			f, err := s.folio(tx, p.FolioID)
			if err != nil {
				return err
			}
			if err := s.postPaymentLine(tx, p, f, businessDate); err != nil {
				return err
			}
		}
		if err := tx.Audit(audit.Entry{Action: p.Kind + ".status_changed", EntityType: p.Kind, EntityID: id,
			Before: map[string]string{"status": before.Status, "external_ref": before.ExternalRef},
			After:  map[string]string{"status": p.Status, "external_ref": p.ExternalRef}}); err != nil {
			return err
		}
		if p.Kind == KindRefund && succeeds {
			return s.settleRefunded(tx, p.RefundOf)
		}
		return nil
	})
	return p, err
}

// Payment returns a payment or refund, or ENOTFOUND.
func (s *Store) Payment(ctx context.Context, id string) (Payment, error) {
	var p Payment
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		p, err = s.payment(tx, id)
		return err
	})
	return p, err
}

// PaymentFilter selects payments for the cashier's view: those of a
// property recorded on a business date (both required).
type PaymentFilter struct {
	PropertyID   string    `json:"property_id"`
	BusinessDate date.Date `json:"business_date"`
}

// Payments returns the payments and refunds of a property recorded on a
// business date, in the order recorded (the cashier's day, per method).
// Errors: EINVALID without a property or date.
func (s *Store) Payments(ctx context.Context, f PaymentFilter) ([]Payment, error) {
	if f.PropertyID == "" || f.BusinessDate.IsZero() {
		return nil, aura.Errorf(aura.EINVALID, "A property and a business date are required.")
	}
	var out []Payment
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = s.payments(tx, `WHERE business_date = ? AND folio_id IN (SELECT id FROM ledger_folios WHERE property_id = ?) ORDER BY created_at, rowid`,
			f.BusinessDate, f.PropertyID)
		return err
	})
	return out, err
}

const paymentColumns = `id, kind, folio_id, method, status, amount, currency, external_ref, refund_of, note, business_date, version, created_at, updated_at,
	(SELECT coalesce(sum(r.amount), 0) FROM ledger_payments r WHERE r.refund_of = ledger_payments.id AND r.status != 'failed')`

func (s *Store) payments(tx *tenant.Tx, where string, args ...any) ([]Payment, error) {
	return tenant.QueryAll(tx, scanPayment, `SELECT `+paymentColumns+` FROM ledger_payments `+where, args...)
}

func (s *Store) payment(tx *tenant.Tx, id string) (Payment, error) {
	p, err := scanPayment(tx.QueryRow(`SELECT `+paymentColumns+` FROM ledger_payments WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Payment{}, notFound("payment", id)
	}
	return p, err
}

func scanPayment(r interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var refundOf sql.NullString
	var created, updated string
	err := r.Scan(&p.ID, &p.Kind, &p.FolioID, &p.Method, &p.Status, &p.Amount, &p.Currency, &p.ExternalRef, &refundOf, &p.Note,
		&p.BusinessDate, &p.Version, &created, &updated, &p.Refunded)
	p.RefundOf, p.CreatedAt, p.UpdatedAt = refundOf.String, parseTime(created), parseTime(updated)
	return p, err
}
