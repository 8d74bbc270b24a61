package main

import (
	"context"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/payments"
)

// stripeReconcileJob settles Stripe attempts whose outcome is not known (a
// lost answer, a process stopped mid-call) by resending each with its own
// idempotency key: every few minutes while there are some, else at the
// scheduler's longest wait. Without Stripe set up it does nothing.
func (e *env) stripeReconcileJob() control.Job {
	return control.Job{
		Name: "stripe-reconcile",
		Run: func(ctx context.Context, db *tenant.DB) error {
			_, err := payments.New(db, payments.Options{Backend: e.stripe}).ReconcileOpen(systemCtx(ctx, "stripe-reconcile"))
			if aura.ErrorCode(err) == aura.ENOTIMPLEMENTED {
				return nil
			}
			return err
		},
		Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
			return payments.New(db, payments.Options{Backend: e.stripe}).NextReconcile(ctx, time.Now())
		},
	}
}

// chargeNoShowFees charges the no-show fee of every reservation the night
// audit just marked a no-show to a card its folio holds (card on file,
// then an OTA virtual card), capped at the folio's open balance, on the
// property's open business date (payments.ChargeNoShowFee; idempotent, so
// a run again charges nothing twice). A tenant without Stripe, a declined
// card or Stripe's silence (left to stripe-reconcile) is not a failure of
// the job.
func (e *env) chargeNoShowFees(ctx context.Context, db *tenant.DB, results []frontdesk.NightAuditResult) error {
	st := payments.New(db, payments.Options{Backend: e.stripe})
	ctx = systemCtx(ctx, "night-audit")
	for _, r := range results {
		for _, c := range r.Closed {
			for _, res := range c.NoShows {
				_, _, err := st.ChargeNoShowFee(ctx, res, r.BusinessDate)
				switch aura.ErrorCode(err) {
				case "", aura.ECONFLICT, aura.EINVALID, aura.EUNAVAILABLE:
				case aura.ENOTIMPLEMENTED:
					return nil
				default:
					return err
				}
			}
		}
	}
	return nil
}

// systemCtx names a job as the actor of what it writes, unless the caller did.
func systemCtx(ctx context.Context, job string) context.Context {
	if aura.ActorFrom(ctx).ID == "unknown" {
		return aura.WithActor(ctx, aura.SystemActor(job))
	}
	return ctx
}
