package channels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// ARI kinds: what an outbox row asks to send again.
const (
	ARIAvailability = "availability"
	ARIRates        = "rates"
)

// ARIUpdate is one run of days [From, To) with the same values, as a
// channel manager takes it: availability of a room type, or the price and
// restrictions of a rate plan.
type ARIUpdate struct {
	Kind       string    `json:"kind"`
	PropertyID string    `json:"property_id"`
	RoomTypeID string    `json:"room_type_id,omitempty"`
	RatePlanID string    `json:"rate_plan_id,omitempty"`
	From       date.Date `json:"date_from"`
	To         date.Date `json:"date_to"` // exclusive

	Availability int    `json:"availability,omitempty"`
	Price        *int64 `json:"price,omitempty"` // minor units; nil: no rate (closed)
	MinStay      int    `json:"min_stay,omitempty"`
	MaxStay      int    `json:"max_stay,omitempty"`
	CTA          bool   `json:"closed_to_arrival,omitempty"`
	CTD          bool   `json:"closed_to_departure,omitempty"`
	StopSell     bool   `json:"stop_sell,omitempty"`
}

// ARITarget receives ARI updates: one call is one request to the channel
// manager, for one property. It returns a *RetryAfter error when the
// channel manager asks to slow down (HTTP 429).
type ARITarget interface {
	PushARI(ctx context.Context, propertyID string, updates []ARIUpdate) error
}

// RetryAfter is the error of a request the channel manager refused for
// its rate limit, with the wait it asked for.
type RetryAfter struct{ Wait time.Duration }

func (e *RetryAfter) Error() string { return fmt.Sprintf("rate limited: retry after %s", e.Wait) }

// ARIPusher sends the outbox to a channel manager: it reads the rows,
// computes the current values of their days (so repeated changes of a day
// go once, as its latest value), sends them per property in batches, and
// deletes the rows it sent only after the channel manager took them. It
// keeps to PerMinute requests in any minute and, after a 429, waits the
// Retry-After the channel manager gave.
type ARIPusher struct {
	Store  Store
	Target ARITarget
	// PerMinute bounds requests in any sliding minute (default 10).
	PerMinute int
	// Horizon is how many days ahead are sent (default 365).
	Horizon int
	// BatchSize bounds the updates of one request (default 200).
	BatchSize int
	// Now is the pusher's clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	sent  []time.Time // requests of the last minute
	until time.Time   // no request before this (a 429's Retry-After)
	// done remembers, per property, how many updates of an outbox
	// snapshot (its rows and gens) were already taken, so a property
	// needing more requests than a minute allows goes on where it stopped.
	done map[string]progress
}

type progress struct {
	snapshot string
	updates  int
}

// snapshot names a group's rows at their gens.
func (g *propertyGroup) snapshot() string {
	b := make([]byte, 0, len(g.rows)*16)
	for _, r := range g.rows {
		b = fmt.Appendf(b, "%d.%d,", r.id, r.gen)
	}
	return string(b)
}

func (p *ARIPusher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// admit reserves a request slot, or returns how long to wait for one.
func (p *ARIPusher) admit() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Before(p.until) {
		return p.until.Sub(now)
	}
	limit := p.PerMinute
	if limit <= 0 {
		limit = 10
	}
	keep := p.sent[:0]
	for _, t := range p.sent {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	p.sent = keep
	if len(p.sent) >= limit {
		return p.sent[0].Add(time.Minute).Sub(now)
	}
	p.sent = append(p.sent, now)
	return 0
}

// outboxRow is one queued change.
type outboxRow struct {
	id       int64
	gen      int64
	kind     string
	target   string
	from, to date.Date
	open     bool // the whole horizon (a room added or moved)
}

// PushOnce sends what the outbox holds, as far as the rate limit allows.
// It returns the number of requests made and, when it had to stop (the
// limit, a 429), how long to wait before the next call; a zero wait with
// a nil error means the outbox is empty.
func (p *ARIPusher) PushOnce(ctx context.Context) (requests int, wait time.Duration, err error) {
	groups, err := p.pending(ctx)
	if err != nil {
		return 0, 0, err
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = 200
	}
	if p.done == nil {
		p.done = map[string]progress{}
	}
	for _, g := range groups {
		snap, from := g.snapshot(), 0
		if pr, ok := p.done[g.property]; ok && pr.snapshot == snap {
			from = pr.updates
		}
		for start := from; start < len(g.updates); start += batch {
			if w := p.admit(); w > 0 {
				return requests, w, nil
			}
			end := min(start+batch, len(g.updates))
			err := p.Target.PushARI(ctx, g.property, g.updates[start:end])
			requests++
			var ra *RetryAfter
			if errors.As(err, &ra) {
				p.mu.Lock()
				p.until = p.now().Add(ra.Wait)
				p.mu.Unlock()
				return requests, ra.Wait, nil
			}
			if err != nil {
				return requests, 0, err
			}
			p.done[g.property] = progress{snapshot: snap, updates: end}
		}
		delete(p.done, g.property)
		// Every update of the property was taken: its rows go, at the gen
		// that was read (a row queued again meanwhile stays).
		if err := p.Store.deleteSent(ctx, g.rows); err != nil {
			return requests, 0, err
		}
	}
	return requests, 0, nil
}

type propertyGroup struct {
	property string
	rows     []outboxRow
	updates  []ARIUpdate
}

// pending reads the outbox and computes the updates per property.
func (p *ARIPusher) pending(ctx context.Context) ([]*propertyGroup, error) {
	horizon := p.Horizon
	if horizon <= 0 {
		horizon = 365
	}
	var groups []*propertyGroup
	err := p.Store.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT id, gen, kind, target_id, date_from, date_to FROM ari_outbox ORDER BY id`)
		if err != nil {
			return err
		}
		var all []outboxRow
		for rows.Next() {
			var r outboxRow
			var from, to string
			if err := rows.Scan(&r.id, &r.gen, &r.kind, &r.target, &from, &to); err != nil {
				rows.Close()
				return err
			}
			if from == "0000-01-01" {
				r.open = true
			} else if r.from, err = date.Parse(from); err != nil {
				rows.Close()
				return err
			} else if r.to, err = date.Parse(to); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		byProp := map[string]*propertyGroup{}
		// days wanted per (kind, target), within each property's window
		type key struct{ kind, target string }
		want := map[key]map[date.Date]bool{}
		props := map[key]string{}
		windows := map[string][2]date.Date{}
		for _, r := range all {
			prop, err := targetProperty(tx, r.kind, r.target)
			if err == sql.ErrNoRows {
				prop = "" // deleted since: the row is dropped with the others
			} else if err != nil {
				return err
			}
			g := byProp[prop]
			if g == nil {
				g = &propertyGroup{property: prop}
				byProp[prop] = g
				groups = append(groups, g)
			}
			g.rows = append(g.rows, r)
			if prop == "" {
				continue
			}
			w, ok := windows[prop]
			if !ok {
				pr, err := inventory.GetProperty(tx, prop)
				if err != nil {
					return err
				}
				today, err := pr.Today(tx)
				if err != nil {
					return err
				}
				w = [2]date.Date{today, today.AddDays(horizon)}
				windows[prop] = w
			}
			from, to := r.from, r.to
			if r.open || from.Before(w[0]) {
				from = w[0]
			}
			if r.open || to.After(w[1]) {
				to = w[1]
			}
			k := key{r.kind, r.target}
			props[k] = prop
			for d := from; d.Before(to); d = d.AddDays(1) {
				if want[k] == nil {
					want[k] = map[date.Date]bool{}
				}
				want[k][d] = true
			}
		}
		keys := make([]key, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].kind != keys[j].kind {
				return keys[i].kind < keys[j].kind
			}
			return keys[i].target < keys[j].target
		})
		for _, k := range keys {
			days := make([]date.Date, 0, len(want[k]))
			for d := range want[k] {
				days = append(days, d)
			}
			sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
			ups, err := valuesOf(tx, k.kind, k.target, props[k], days)
			if err != nil {
				return err
			}
			byProp[props[k]].updates = append(byProp[props[k]].updates, ups...)
		}
		return nil
	})
	return groups, err
}

func targetProperty(tx *tenant.Tx, kind, target string) (string, error) {
	var prop string
	table := "room_types"
	if kind == ARIRates {
		table = "rate_plans"
	}
	err := tx.QueryRow(`SELECT property_id FROM `+table+` WHERE id = ?`, target).Scan(&prop)
	return prop, err
}

// valuesOf reads the current values of days (sorted) and joins
// consecutive days of equal values into runs.
func valuesOf(tx *tenant.Tx, kind, target, property string, days []date.Date) ([]ARIUpdate, error) {
	if len(days) == 0 {
		return nil, nil
	}
	first, last := days[0], days[len(days)-1].AddDays(1)
	var per []ARIUpdate
	if kind == ARIAvailability {
		counts, err := inventory.AvailabilityOf(tx, []string{target}, first, last)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			per = append(per, ARIUpdate{Kind: kind, PropertyID: property, RoomTypeID: target, From: d, To: d.AddDays(1),
				Availability: max(counts[target][d.Sub(first)].Available(), 0)})
		}
	} else {
		type rate struct {
			price            sql.NullInt64
			minStay, maxStay int
			cta, ctd, stop   bool
		}
		got := map[date.Date]rate{}
		rows, err := tx.Query(`SELECT date, price, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell FROM rates
			WHERE rate_plan_id = ? AND date >= ? AND date < ?`, target, first, last)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d date.Date
			var r rate
			if err := rows.Scan(&d, &r.price, &r.minStay, &r.maxStay, &r.cta, &r.ctd, &r.stop); err != nil {
				rows.Close()
				return nil, err
			}
			got[d] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, d := range days {
			r := got[d]
			u := ARIUpdate{Kind: kind, PropertyID: property, RatePlanID: target, From: d, To: d.AddDays(1), MinStay: r.minStay, MaxStay: r.maxStay,
				CTA: r.cta, CTD: r.ctd, StopSell: r.stop}
			if r.price.Valid {
				v := r.price.Int64
				u.Price = &v
			}
			per = append(per, u)
		}
	}
	var out []ARIUpdate
	for _, u := range per {
		if n := len(out); n > 0 && out[n-1].To == u.From && sameValues(out[n-1], u) {
			out[n-1].To = u.To
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

func sameValues(a, b ARIUpdate) bool {
	samePrice := (a.Price == nil) == (b.Price == nil) && (a.Price == nil || *a.Price == *b.Price)
	return samePrice && a.Availability == b.Availability && a.MinStay == b.MinStay && a.MaxStay == b.MaxStay &&
		a.CTA == b.CTA && a.CTD == b.CTD && a.StopSell == b.StopSell
}

// deleteSent removes outbox rows at the gen they were read at.
func (db Store) deleteSent(ctx context.Context, rows []outboxRow) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		tx.Unaudited("ARI outbox: sent to the channel manager")
		for _, r := range rows {
			if _, err := tx.Exec(`DELETE FROM ari_outbox WHERE id = ? AND gen = ?`, r.id, r.gen); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxLen returns the number of rows waiting in the ARI outbox.
func (db Store) OutboxLen(ctx context.Context) (int, error) {
	var n int
	err := db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM ari_outbox`).Scan(&n)
	})
	return n, err
}

// ConnectARI connects a property to a channel manager: from now on every
// change of its availability, rates and restrictions is queued in the
// outbox in the transaction that makes it, and its whole horizon is queued
// at once (a full resync). Connecting a connected property is a resync.
// It returns ENOTFOUND for an unknown property.
func (db Store) ConnectARI(ctx context.Context, propertyID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, propertyID); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO ari_properties (property_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING`, propertyID, tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		if err := queueAll(tx, propertyID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "ari.resync_queued", EntityType: "property", EntityID: propertyID})
	})
}

// ResyncARI queues the whole horizon of a connected property again (the
// full resync command). It returns EPRECONDITION for a property not
// connected to a channel manager.
func (db Store) ResyncARI(ctx context.Context, propertyID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		var one int
		if err := tx.QueryRow(`SELECT 1 FROM ari_properties WHERE property_id = ?`, propertyID).Scan(&one); err == sql.ErrNoRows {
			return aura.Errorf(aura.EPRECONDITION, "The property is not connected to a channel manager.")
		} else if err != nil {
			return err
		}
		if err := queueAll(tx, propertyID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "ari.resync_queued", EntityType: "property", EntityID: propertyID})
	})
}

// queueAll queues every room type's availability and every rate plan's
// rates over the whole horizon.
func queueAll(tx *tenant.Tx, propertyID string) error {
	_, err := tx.Exec(`INSERT INTO ari_outbox (kind, target_id, date_from, date_to)
		SELECT 'availability', id, '0000-01-01', '9999-12-31' FROM room_types WHERE property_id = ?
		UNION ALL SELECT 'rates', id, '0000-01-01', '9999-12-31' FROM rate_plans WHERE property_id = ?
		ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1`, propertyID, propertyID)
	return err
}
