package main

import (
	"context"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/tenant"
)

// tenantJobs are the background jobs every tenant gets: the night audit
// (business-date roll, no-shows) and the ID-photo retention purge.
func tenantJobs() []control.Job {
	return []control.Job{
		{
			Name: "night-audit",
			Run: func(ctx context.Context, db *tenant.DB) error {
				_, err := db.RunNightAudits(ctx)
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) { return db.NextNightAudit(ctx) },
		},
		{
			Name: "id-photo-retention",
			Run: func(ctx context.Context, db *tenant.DB) error {
				res, err := db.PurgeIDPhotos(ctx)
				if err == nil && res.Records > 0 {
					// Move the deleted pages out of the WAL too.
					err = db.SQL().Checkpoint(ctx)
				}
				return err
			},
			Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) { return db.NextIDPhotoPurge(ctx) },
		},
	}
}
