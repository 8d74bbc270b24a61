package main

import (
	"context"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/ledger"
)

// tenantJobs are the background jobs every tenant gets: the night audit
// (business-date roll, no-shows), the ID-photo retention purge, invoice
// recipient retention, guest retention schedules and guest emails.
func (e *env) tenantJobs() []control.Job {
	return []control.Job{
		{
			Name: "night-audit",
			Run: func(ctx context.Context, db *tenant.DB) error {
				res, err := frontdesk.New(db).RunNightAudits(ctx)
				if ferr := e.chargeNoShowFees(ctx, db, res); err == nil {
					err = ferr // no-show fees to a stored card: stripe_jobs.go
				}
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				return frontdesk.New(db).NextNightAudit(ctx)
			},
		},
		{
			Name: "id-photo-retention",
			Run: func(ctx context.Context, db *tenant.DB) error {
				res, err := frontdesk.New(db).PurgeIDPhotos(ctx)
				if err == nil && res.Records > 0 {
					// Move the deleted pages out of the WAL too.
					err = e.checkpointFile(ctx, db)
				}
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				return frontdesk.New(db).NextIDPhotoPurge(ctx)
			},
		},
		{
			// Invoices are kept 8 years; past its retention date a
			// document's recipient key goes (amounts, numbers and hashes stay).
			Name: "invoice-recipient-retention",
			Run: func(ctx context.Context, db *tenant.DB) error {
				if aura.ActorFrom(ctx).ID == "unknown" {
					ctx = aura.WithActor(ctx, aura.SystemActor("invoice-retention"))
				}
				_, err := ledger.New(db).PurgeExpiredRecipients(ctx, date.Date{})
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				// Retention dates are whole days: once a day, after midnight UTC.
				return date.Today(time.UTC).AddDays(1).Midnight(time.UTC), true, nil
			},
		},
		{
			// Guests past their properties' retention schedules are
			// anonymised (off until a schedule is set; tenant/guestdata),
			// due by today's UTC date on the store's clock, the day the
			// records-of-processing page counts "due now" by.
			Name: "guest-retention",
			Run: func(ctx context.Context, db *tenant.DB) error {
				res, err := guestdata.New(db).RunRetention(ctx, date.Date{})
				if err != nil {
					return err
				}
				// Registration data past its legal period (off until set).
				reg, err := guestdata.New(db).PurgeRegistrations(ctx)
				if err == nil && (res.Anonymised > 0 || len(reg.Records) > 0) {
					err = e.checkpointFile(ctx, db) // the erased cells out of the WAL too
				}
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				return date.Today(time.UTC).AddDays(1).Midnight(time.UTC), true, nil
			},
		},
		{
			// Guest emails (tenant/guestmail): queue what is due at the
			// properties that send them, then try what is queued, with
			// retries and backoff. Without SMTP settings they stay queued.
			Name: "guest-mail",
			Run: func(ctx context.Context, db *tenant.DB) error {
				if aura.ActorFrom(ctx).ID == "unknown" {
					ctx = aura.WithActor(ctx, aura.SystemActor("guest-mail"))
				}
				gm := guestmail.New(db)
				if _, err := gm.Plan(ctx); err != nil {
					return err
				}
				if !e.mail.Enabled() {
					return nil
				}
				_, err := gm.Deliver(ctx, e.mail)
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
				return guestmail.New(db).NextDue(ctx)
			},
		},
		e.stripeReconcileJob(),
		e.icalImportJob(),     // ical_jobs.go
		e.channelManagerJob(), // cm_jobs.go
	}
}

// checkpointFile moves every committed page of a tenant file into the main
// file and empties its WAL: through Litestream when the file is replicated
// (Litestream owns its checkpoints), directly otherwise.
func (e *env) checkpointFile(ctx context.Context, db *tenant.DB) error {
	if e.replicator != nil {
		err := e.replicator.Checkpoint(ctx, db.Path)
		if aura.ErrorCode(err) != aura.ENOTFOUND {
			return err
		}
	}
	return db.SQL().Checkpoint(ctx)
}
