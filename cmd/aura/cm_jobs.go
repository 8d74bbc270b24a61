package main

import (
	"context"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channelcards"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/payments"
)

// channelManagerJob syncs every property connected to a channel manager
// once a minute: booking revisions in (applied exactly once, acknowledged
// after commit), then the ARI outbox out within the connection's requests
// per minute. The pushers (their rate-limit and Retry-After state) live as
// long as the process.
func (e *env) channelManagerJob() control.Job {
	return control.Job{
		Name: "channel-manager",
		Run: func(ctx context.Context, db *tenant.DB) error {
			ctx = systemCtx(ctx, "channel-manager")
			st := channels.New(db)
			conns, cms, err := st.Connections(ctx)
			if err != nil {
				return err
			}
			var first error
			for i, c := range conns {
				_, err := st.Sync(ctx, c.PropertyID, cms[i])
				if err == nil {
					// Virtual cards of the bookings just applied go to their folios.
					_, err = channelcards.Attach(ctx, db, payments.New(db, payments.Options{Backend: e.stripe}))
				}
				if err == nil {
					p := e.ariPusher(db.ID+"/"+c.PropertyID, c.PerMinute)
					p.Store, p.Target = st, cms[i]
					_, _, err = p.PushOnce(ctx)
				}
				if nerr := st.NoteSync(ctx, c.PropertyID, err); err == nil {
					err = nerr
				}
				if err != nil && first == nil {
					first = err
				}
			}
			return first
		},
		Next: func(ctx context.Context, db *tenant.DB) (time.Time, bool, error) {
			conns, _, err := channels.New(db).Connections(ctx)
			if err != nil || len(conns) == 0 {
				return time.Time{}, false, err
			}
			var now time.Time
			err = db.View(ctx, func(tx *tenant.Tx) error { now = tx.Now; return nil })
			return now.Add(time.Minute), true, err
		},
	}
}

// ariPusher returns the pusher of a tenant's property, made once.
func (e *env) ariPusher(key string, perMinute int) *channels.ARIPusher {
	e.ariMu.Lock()
	defer e.ariMu.Unlock()
	if e.ariPushers == nil {
		e.ariPushers = map[string]*channels.ARIPusher{}
	}
	p := e.ariPushers[key]
	if p == nil {
		p = &channels.ARIPusher{Now: e.now}
		e.ariPushers[key] = p
	}
	p.PerMinute = perMinute
	return p
}
