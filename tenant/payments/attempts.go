package payments

import (
	"bytes"
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
)

// Actions: what a user (or the API) asked for. Each is one attempt row.
const (
	ActionPayment    = "payment"     // TakePayment
	ActionSaveCard   = "save_card"   // SaveCard
	ActionChargeCard = "charge_card" // ChargeCard
	ActionCapture    = "capture"     // CaptureHold
	ActionCancel     = "cancel"      // CancelPayment
	ActionRefund     = "refund"      // Refund
)

// Attempt outcomes.
const (
	OutcomePending = "pending" // written; Stripe not called yet (or the process stopped while calling)
	OutcomeDone    = "done"    // Stripe answered
	OutcomeFailed  = "failed"  // Stripe (or a rule checked after the row was written) refused it for good
	OutcomeUnknown = "unknown" // Stripe did not answer: retry with the same idempotency key
)

// Attempt is one action's row: its id is what every Stripe idempotency key
// of the action derives from ("aura-<id>-<step>").
type Attempt struct {
	ID        string    `json:"id"`
	Action    string    `json:"action"`
	TargetID  string    `json:"target_id"`
	Amount    int64     `json:"amount,omitempty"`
	Outcome   string    `json:"outcome"`
	ErrorCode string    `json:"error_code,omitempty"`
	Calls     int       `json:"calls"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Replayed is set when the caller's idempotency key named an attempt
	// made earlier.
	Replayed bool `json:"replayed,omitempty"`
}

// begin returns the attempt of (action, key), creating it with create
// (which writes the row the attempt acts on, in the same transaction, and
// returns its id) when the key is new. amount is what a capture asks for,
// kept so a retry sends the same request. The same key with another
// request is EINVALID on idempotency_key.
func (s *Store) begin(ctx context.Context, action, key string, hash []byte, amount int64, create func(tx *tenant.Tx, attemptID string) (string, error)) (Attempt, error) {
	var a Attempt
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		var stored []byte
		var err error
		a, stored, err = s.attemptByKey(tx, action, key)
		if err == nil {
			if !bytes.Equal(stored, hash) {
				return aura.Invalid("This idempotency key was already used for a different request.",
					aura.FieldError{Field: "idempotency_key", Message: "was used for a different request"})
			}
			a.Replayed = true
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		a = Attempt{ID: aura.NewID(prefixAttempt), Action: action, Amount: amount, Outcome: OutcomePending, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if a.TargetID, err = create(tx, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO stripe_attempts (id, action, idempotency_key, request_hash, target_id, amount, outcome, error_code, calls, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, ?, ?)`, a.ID, action, key, hash, a.TargetID, amount, a.Outcome, formatTime(tx.Now), formatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "stripe.attempt_started", EntityType: "stripe_attempt", EntityID: a.ID,
			After: map[string]any{"action": action, "target_id": a.TargetID, "amount": amount}})
	})
	return a, err
}

const attemptColumns = `id, action, target_id, amount, outcome, error_code, calls, created_at, updated_at`

func scanAttempt(r interface{ Scan(...any) error }, extra ...any) (Attempt, error) {
	var a Attempt
	var created, updated string
	err := r.Scan(append([]any{&a.ID, &a.Action, &a.TargetID, &a.Amount, &a.Outcome, &a.ErrorCode, &a.Calls, &created, &updated}, extra...)...)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return a, err
}

func (s *Store) attemptByKey(tx *tenant.Tx, action, key string) (Attempt, []byte, error) {
	var hash []byte
	a, err := scanAttempt(tx.QueryRow(`SELECT `+attemptColumns+`, request_hash FROM stripe_attempts WHERE action = ? AND idempotency_key = ?`, action, key), &hash)
	return a, hash, err
}

func (s *Store) attempt(tx *tenant.Tx, id string) (Attempt, error) {
	a, err := scanAttempt(tx.QueryRow(`SELECT `+attemptColumns+` FROM stripe_attempts WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return a, notFound("payment attempt", id)
	}
	return a, err
}

// Attempt returns an attempt, or ENOTFOUND.
func (s *Store) Attempt(ctx context.Context, id string) (Attempt, error) {
	var a Attempt
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		a, err = s.attempt(tx, id)
		return err
	})
	return a, err
}

// settle records an attempt's outcome after calls Stripe requests, in the
// caller's transaction, with its audit row.
func (s *Store) settle(tx *tenant.Tx, a *Attempt, outcome, errCode string, calls int) error {
	before := *a
	a.Outcome, a.ErrorCode, a.Calls, a.UpdatedAt = outcome, errCode, a.Calls+calls, tx.Now
	if _, err := tx.Exec(`UPDATE stripe_attempts SET outcome = ?, error_code = ?, calls = ?, updated_at = ? WHERE id = ?`,
		a.Outcome, a.ErrorCode, a.Calls, formatTime(tx.Now), a.ID); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "stripe.attempt_" + outcome, EntityType: "stripe_attempt", EntityID: a.ID,
		Before: map[string]any{"outcome": before.Outcome, "error_code": before.ErrorCode, "calls": before.Calls},
		After:  map[string]any{"action": a.Action, "target_id": a.TargetID, "outcome": a.Outcome, "error_code": a.ErrorCode, "calls": a.Calls}})
}

// settleOnly records an attempt's outcome in a transaction of its own.
func (s *Store) settleOnly(ctx context.Context, a *Attempt, outcome, errCode string, calls int) error {
	return s.db.Update(ctx, func(tx *tenant.Tx) error { return s.settle(tx, a, outcome, errCode, calls) })
}

// reload re-reads an attempt (under its lock, after a concurrent submit
// may have finished it).
func (s *Store) reload(ctx context.Context, a *Attempt) error {
	replayed := a.Replayed
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		*a, err = s.attempt(tx, a.ID)
		return err
	})
	a.Replayed = replayed
	return err
}

// open reports whether the attempt still needs Stripe: never called, or
// called without an answer.
func (a Attempt) open() bool { return a.Outcome == OutcomePending || a.Outcome == OutcomeUnknown }
