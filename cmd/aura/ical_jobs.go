package main

import (
	"context"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
)

// icalImportJob polls the tenant's imported calendars (Airbnb, Vrbo,
// Booking.com iCal feeds) as each falls due by its own interval (5 to 360
// minutes, 15 by default), with the fetcher's timeout, size cap and
// refusal of private addresses.
func (e *env) icalImportJob() control.Job {
	return control.Job{
		Name: "ical-import",
		Run: func(ctx context.Context, db *tenant.DB) error {
			_, err := channels.New(db).PollDueFeeds(systemCtx(ctx, "ical-import"), e.calendarFetcher())
			return err
		},
		Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
			return channels.New(db).NextFeedPoll(ctx)
		},
	}
}

// calendarFetcher is the fetcher of imported calendars: the default one
// unless a test set its own (one that may reach the loopback test server).
func (e *env) calendarFetcher() *channels.Fetcher {
	if e.icalFetcher != nil {
		return e.icalFetcher
	}
	return &channels.Fetcher{}
}
