package payments

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/stripe/stripe-go/v85"
)

// Refund statuses: Stripe's, and creating (written, Stripe has not answered).
const (
	RefundCreating       = "creating"
	RefundPending        = string(stripe.RefundStatusPending)
	RefundRequiresAction = string(stripe.RefundStatusRequiresAction)
	RefundSucceeded      = string(stripe.RefundStatusSucceeded)
	RefundFailed         = string(stripe.RefundStatusFailed)
	RefundCanceled       = string(stripe.RefundStatusCanceled)
)

// Refund is a refund of a Stripe payment, made in Aura or in Stripe's
// dashboard. Its ledger refund (LedgerRefundID) is recorded pending before
// Stripe is called, so the refund cap holds even against concurrent
// refunds, and follows the refund's outcome.
type Refund struct {
	ID             string    `json:"id"`
	PaymentID      string    `json:"payment_id"`
	RefundID       string    `json:"refund_id,omitempty"` // re_…
	Amount         int64     `json:"amount"`
	Status         string    `json:"status"`
	LedgerRefundID string    `json:"ledger_refund_id,omitempty"`
	Note           string    `json:"note,omitempty"`
	ErrorCode      string    `json:"error_code,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	Version        int       `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	AttemptID      string    `json:"attempt_id,omitempty"`
	Replayed       bool      `json:"replayed,omitempty"`
}

// RefundInput refunds a Stripe payment, named by its id (stp_…) or its
// ledger payment's (pay_…): Amount (0: all that is left to refund), at
// most the payment less its refunds that have not failed. Note is the
// ledger note. IdempotencyKey is required.
type RefundInput struct {
	PaymentID      string    `json:"payment_id"`
	Amount         int64     `json:"amount,omitempty"`
	Note           string    `json:"note,omitempty"`
	BusinessDate   date.Date `json:"business_date"`
	IdempotencyKey string    `json:"-"`
	RequestHash    []byte    `json:"-"`
}

// Refund refunds a Stripe payment in full or in part. In order: the attempt
// and refund rows; the ledger refund, pending, linked to the payment's
// ledger payment (the ledger's cap refuses more than is left, before
// Stripe hears of it); the Stripe refund with the idempotency key
// "aura-<attempt>-refund"; then the ledger refund follows Stripe's answer
// (succeeded posts its folio line, failed or cancelled frees the amount;
// pending waits for the webhook). Audited ("stripe.refund_created",
// "stripe.refund_updated", the ledger's "refund.recorded" and
// "refund.status_changed"). Errors: EINVALID naming the fields (an amount
// above what is left, a note with a card number, the idempotency key),
// ENOTFOUND, ECONFLICT for a payment that has not succeeded or Stripe's
// refusal (the refund is returned, status failed), ENOTIMPLEMENTED,
// EUNAVAILABLE when Stripe did not answer (the ledger refund stays pending,
// holding its amount, until a retry with the same key or Reconcile).
func (s *Store) Refund(ctx context.Context, in RefundInput) (Refund, error) {
	var fe fieldErrors
	if in.PaymentID == "" {
		fe.add("payment_id", "is required")
	}
	if in.Amount < 0 || in.Amount > ledger.MaxAmount {
		fe.add("amount", "must be 0 (all that is left) to %d minor units", int64(ledger.MaxAmount))
	}
	fe.note("note", in.Note)
	if in.BusinessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	fe.idempotencyKey(in.IdempotencyKey)
	if err := fe.err("The refund is not valid."); err != nil {
		return Refund{}, err
	}
	c, _, err := s.client(ctx)
	if err != nil {
		return Refund{}, err
	}
	hash := s.requestHash(in.RequestHash, in)
	var p Payment
	a, err := s.begin(ctx, ActionRefund, in.IdempotencyKey, hash, 0, func(tx *tenant.Tx, attemptID string) (string, error) {
		var err error
		if p, err = s.payment(tx, in.PaymentID); err != nil {
			return "", err
		}
		if p.LedgerPaymentID == "" || p.IntentID == "" || p.Status != StatusSucceeded {
			return "", aura.Errorf(aura.ECONFLICT, "The payment %s is %s; only a payment that took money can be refunded.", p.ID, p.Status)
		}
		// A first check of the cap, so a refund that cannot be made leaves
		// no row; the ledger checks it again atomically when it reserves.
		lp, err := s.ledger.Payment(tx.Context(), p.LedgerPaymentID)
		if err != nil {
			return "", err
		}
		left := lp.Amount - lp.Refunded
		amount := in.Amount
		if amount == 0 {
			amount = left
		}
		if lp.Status != ledger.StatusSucceeded && lp.Status != ledger.StatusDisputed {
			return "", aura.Errorf(aura.ECONFLICT, "The payment %s is %s in the ledger; only a succeeded (or disputed) payment can be refunded.", p.ID, lp.Status)
		}
		if amount <= 0 || amount > left {
			return "", aura.Invalid("The refund is larger than what is left of the payment.",
				aura.FieldError{Field: "amount", Message: "must be at most " + ledger.FormatAmount(max(left, 0), p.Currency) + " (the payment less its refunds)"})
		}
		r := Refund{ID: aura.NewID(prefixRefund), PaymentID: p.ID, Amount: amount, Status: RefundCreating, Note: in.Note, BusinessDate: in.BusinessDate,
			Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		return r.ID, s.insertRefund(tx, r, attemptID)
	})
	if err != nil {
		return Refund{}, err
	}
	unlock := s.lock(a.ID)
	defer unlock()
	if err := s.reload(ctx, &a); err != nil {
		return Refund{}, err
	}
	r, err := s.refund(ctx, a.TargetID)
	if err != nil {
		return r, err
	}
	r.AttemptID, r.Replayed = a.ID, a.Replayed
	if !a.open() {
		if a.Outcome == OutcomeFailed {
			return r, aura.Errorf(aura.ECONFLICT, "The refund was refused (%s); make a new one to try again.", a.ErrorCode)
		}
		return r, nil
	}
	if p, err = s.Payment(ctx, r.PaymentID); err != nil {
		return r, err
	}
	return s.runRefund(ctx, c, a, r, p)
}

// runRefund reserves the ledger refund (once) and sends the Stripe refund
// of an open attempt.
func (s *Store) runRefund(ctx context.Context, c *stripe.Client, a Attempt, r Refund, p Payment) (Refund, error) {
	if r.LedgerRefundID == "" {
		key := "stripe:" + r.ID
		lr, err := s.ledger.RecordRefund(ctx, ledger.RefundInput{PaymentID: p.LedgerPaymentID, Amount: r.Amount, Method: ledger.MethodStripe,
			Status: ledger.StatusPending, ExternalRef: p.IntentID, Note: r.Note, BusinessDate: r.BusinessDate, IdempotencyKey: key, RequestHash: []byte(key)})
		if err != nil {
			// The ledger refused (the cap, taken meanwhile by another
			// refund): Stripe never hears of it.
			if _, aerr := s.applyRefund(ctx, r.ID, refundState{Status: RefundFailed, ErrorCode: "ledger_refused"}, &a, OutcomeFailed, "ledger_refused", 0); aerr != nil {
				return r, aerr
			}
			return r, err
		}
		if r, err = s.linkLedgerRefund(ctx, r, lr.ID); err != nil {
			return r, err
		}
		r.AttemptID, r.Replayed = a.ID, a.Replayed
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(p.IntentID), Amount: stripe.Int64(r.Amount),
		Metadata: map[string]string{"aura_tenant": s.db.ID, "aura_refund": r.ID, "aura_payment": p.ID, "aura_attempt": a.ID}}
	params.SetIdempotencyKey(stripeKey(a.ID, "refund"))
	re, err := c.V1Refunds.Create(ctx, params)
	switch o, se := classify(err); o {
	case unknown:
		if err := s.settleOnly(ctx, &a, OutcomeUnknown, errorCode(se), 1); err != nil {
			return r, err
		}
		return r, errUnknown("The refund")
	case refused:
		nr, aerr := s.applyRefund(ctx, r.ID, refundState{Status: RefundFailed, ErrorCode: errorCode(se)}, &a, OutcomeFailed, errorCode(se), 1)
		if aerr != nil {
			return r, aerr
		}
		nr.AttemptID, nr.Replayed = a.ID, a.Replayed
		return nr, refusal("The refund", se)
	}
	var st refundState
	st.fill(re)
	nr, err := s.applyRefund(ctx, r.ID, st, &a, OutcomeDone, "", 1)
	nr.AttemptID, nr.Replayed = a.ID, a.Replayed
	return nr, err
}

func (s *Store) insertRefund(tx *tenant.Tx, r Refund, attemptID string) error {
	if _, err := tx.Exec(`INSERT INTO stripe_refunds (id, payment_id, refund_id, amount, status, ledger_refund_id, note, error_code, business_date,
		version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PaymentID, nullString(r.RefundID), r.Amount, r.Status, nullString(r.LedgerRefundID), r.Note, r.ErrorCode, r.BusinessDate, r.Version,
		formatTime(tx.Now), formatTime(tx.Now)); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "stripe.refund_created", EntityType: "stripe_refund", EntityID: r.ID, After: refundAudit(r, attemptID)})
}

func refundAudit(r Refund, attemptID string) map[string]any {
	m := map[string]any{"payment_id": r.PaymentID, "amount": r.Amount, "status": r.Status, "business_date": r.BusinessDate}
	for k, v := range map[string]string{"attempt_id": attemptID, "refund_id": r.RefundID, "ledger_refund_id": r.LedgerRefundID, "error_code": r.ErrorCode} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (s *Store) linkLedgerRefund(ctx context.Context, r Refund, ledgerID string) (Refund, error) {
	out := r
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		out.LedgerRefundID, out.Version, out.UpdatedAt = ledgerID, r.Version+1, tx.Now
		if _, err := tx.Exec(`UPDATE stripe_refunds SET ledger_refund_id = ?, version = ?, updated_at = ? WHERE id = ?`,
			ledgerID, out.Version, formatTime(tx.Now), r.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "stripe.refund_updated", EntityType: "stripe_refund", EntityID: r.ID,
			Before: refundAudit(r, ""), After: refundAudit(out, "")})
	})
	return out, err
}

// refundState is what Aura takes from a Stripe refund: ids, amount, status.
type refundState struct {
	ID, Status, IntentID, ChargeID, ErrorCode string
	Amount                                    int64
	Metadata                                  map[string]string
}

func (st *refundState) fill(re *stripe.Refund) {
	st.ID, st.Status, st.Amount, st.Metadata = keep(reRefund, re.ID), string(re.Status), re.Amount, re.Metadata
	if re.PaymentIntent != nil {
		st.IntentID = keep(reIntent, re.PaymentIntent.ID)
	}
	if re.Charge != nil {
		st.ChargeID = keep(reCharge, re.Charge.ID)
	}
	if re.FailureReason != "" {
		st.ErrorCode = code(string(re.FailureReason))
	}
}

// refundFinal reports whether a refund status is final.
func refundFinal(status string) bool {
	return status == RefundSucceeded || status == RefundFailed || status == RefundCanceled
}

// applyRefund brings a refund up to what Stripe reported (a final status is
// never left) and the ledger refund with it: succeeded or failed (a
// cancelled refund failed too: no money went back). The ledger first, then
// the row and the attempt (when not nil) in one audited transaction.
func (s *Store) applyRefund(ctx context.Context, id string, st refundState, a *Attempt, outcome, errCode string, calls int) (Refund, error) {
	unlock := s.lock(id)
	defer unlock()
	cur, err := s.refund(ctx, id)
	if err != nil {
		return cur, err
	}
	want := cur
	if st.ID != "" && want.RefundID == "" {
		want.RefundID = st.ID
	}
	if st.Status != "" && !refundFinal(cur.Status) {
		want.Status = st.Status
		if st.ErrorCode != "" {
			want.ErrorCode = st.ErrorCode
		}
	}
	if want.LedgerRefundID != "" && refundFinal(want.Status) {
		lr, err := s.ledger.Payment(ctx, want.LedgerRefundID)
		if err != nil {
			return cur, err
		}
		to := ledger.StatusFailed
		if want.Status == RefundSucceeded {
			to = ledger.StatusSucceeded
		}
		if lr.Status == ledger.StatusPending {
			if _, err := s.ledger.SetPaymentStatus(ctx, lr.ID, to, want.RefundID, want.BusinessDate, lr.Version); err != nil {
				return cur, err
			}
		}
	}
	var out Refund
	err = s.db.Update(ctx, func(tx *tenant.Tx) error {
		out = want
		if want != cur {
			out.Version, out.UpdatedAt = cur.Version+1, tx.Now
			if _, err := tx.Exec(`UPDATE stripe_refunds SET refund_id = ?, status = ?, error_code = ?, version = ?, updated_at = ? WHERE id = ?`,
				nullString(out.RefundID), out.Status, out.ErrorCode, out.Version, formatTime(tx.Now), id); err != nil {
				return err
			}
			attemptID := ""
			if a != nil {
				attemptID = a.ID
			}
			if err := tx.Audit(audit.Entry{Action: "stripe.refund_updated", EntityType: "stripe_refund", EntityID: id,
				Before: refundAudit(cur, ""), After: refundAudit(out, attemptID)}); err != nil {
				return err
			}
		}
		if a != nil {
			return s.settle(tx, a, outcome, errCode, calls)
		}
		return nil
	})
	return out, err
}

const refundColumns = `id, payment_id, refund_id, amount, status, ledger_refund_id, note, error_code, business_date, version, created_at, updated_at`

func scanRefund(r interface{ Scan(...any) error }) (Refund, error) {
	var x Refund
	var re, lr sql.NullString
	var created, updated string
	err := r.Scan(&x.ID, &x.PaymentID, &re, &x.Amount, &x.Status, &lr, &x.Note, &x.ErrorCode, &x.BusinessDate, &x.Version, &created, &updated)
	x.RefundID, x.LedgerRefundID, x.CreatedAt, x.UpdatedAt = re.String, lr.String, parseTime(created), parseTime(updated)
	return x, err
}

func (s *Store) refund(ctx context.Context, id string) (Refund, error) {
	var r Refund
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		r, err = scanRefund(tx.QueryRow(`SELECT `+refundColumns+` FROM stripe_refunds WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return notFound("refund", id)
		}
		return err
	})
	return r, err
}

// Refunds returns the refunds of a Stripe payment (stp_… or pay_…),
// oldest first.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]Refund, error) {
	p, err := s.Payment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	var out []Refund
	err = s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = tenant.QueryAll(tx, scanRefund, `SELECT `+refundColumns+` FROM stripe_refunds WHERE payment_id = ? ORDER BY created_at, id`, p.ID)
		return err
	})
	return out, err
}
