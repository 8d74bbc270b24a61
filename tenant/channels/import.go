package channels

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Statuses of a channel block.
const (
	BlockActive    = "active"
	BlockCancelled = "cancelled"
)

// ChannelBlock is the nights [Start, End) a channel took, from one event
// (UID) of an imported calendar.
type ChannelBlock struct {
	ID         string    `json:"id"`
	FeedID     string    `json:"feed_id"`
	UID        string    `json:"uid"`
	RoomTypeID string    `json:"room_type_id"`
	RoomID     string    `json:"room_id,omitempty"`
	Start      date.Date `json:"start"`
	End        date.Date `json:"end"`
	Status     string    `json:"status"`
	Overbooked bool      `json:"overbooked"`
	Version    int       `json:"version"`
}

// ImportResult counts what one poll of a feed changed.
type ImportResult struct {
	FeedID      string `json:"feed_id"`
	Status      string `json:"status"` // ok, not_modified or error
	Error       string `json:"error,omitempty"`
	Events      int    `json:"events"`
	Created     int    `json:"created"`
	Updated     int    `json:"updated"`
	Cancelled   int    `json:"cancelled"`
	Overbooked  int    `json:"overbooked"` // blocks created or moved onto taken nights
	SkippedPast int    `json:"skipped_past"`
}

// feedEvent is one usable event of a fetched calendar.
type feedEvent struct {
	uid        string
	start, end date.Date
	cancelled  bool
}

var icalDateRe = regexp.MustCompile(`^\d{8}$`)

// eventDate reads DTSTART or DTEND as a date at the property: a DATE
// value as it is, a DATE-TIME (UTC, with TZID, or floating in the
// property's zone) as the date it falls on there.
func eventDate(ev *ics.VEvent, prop ics.ComponentProperty, loc *time.Location) (date.Date, bool) {
	p := ev.GetProperty(prop)
	if p == nil {
		return date.Date{}, false
	}
	v := strings.TrimSpace(p.Value)
	if icalDateRe.MatchString(v) {
		d, err := date.Parse(v[:4] + "-" + v[4:6] + "-" + v[6:])
		return d, err == nil
	}
	zone := loc
	if tz, ok := p.ICalParameters["TZID"]; ok && len(tz) == 1 {
		if l, err := time.LoadLocation(tz[0]); err == nil {
			zone = l
		}
	}
	var t time.Time
	var err error
	if strings.HasSuffix(v, "Z") {
		t, err = time.Parse("20060102T150405Z", v)
	} else {
		t, err = time.ParseInLocation("20060102T150405", v, zone)
	}
	if err != nil {
		return date.Date{}, false
	}
	return date.Of(t, loc), true
}

// parseFeed reads a calendar tolerantly: events without a UID or a start
// are skipped (counted in bad), an event without an end or ending on its
// start day takes one night, and a UID seen twice keeps its last event.
func parseFeed(body []byte, loc *time.Location) (events []feedEvent, bad int, err error) {
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	seen := map[string]int{}
	for _, ev := range cal.Events() {
		uid := strings.TrimSpace(ev.Id())
		start, ok := eventDate(ev, ics.ComponentPropertyDtStart, loc)
		if uid == "" || len(uid) > 500 || !ok {
			bad++
			continue
		}
		end, ok := eventDate(ev, ics.ComponentPropertyDtEnd, loc)
		if !ok || !start.Before(end) {
			end = start.AddDays(1)
		}
		if end.Sub(start) > 5*tenant.MaxRange {
			bad++
			continue
		}
		fe := feedEvent{uid: uid, start: start, end: end}
		if s := ev.GetProperty(ics.ComponentPropertyStatus); s != nil && strings.EqualFold(strings.TrimSpace(s.Value), "CANCELLED") {
			fe.cancelled = true
		}
		if i, dup := seen[uid]; dup {
			events[i] = fe
			continue
		}
		seen[uid] = len(events)
		events = append(events, fe)
	}
	return events, bad, nil
}

// ApplyFetch records one poll of a feed and applies its calendar in one
// transaction: each event creates or updates the channel block keyed by
// (feed, UID); an event ending today or earlier is ignored; an event gone
// from the feed (or marked CANCELLED) cancels its block when the feed
// cancels vanished events, and only when the block starts today or later
// (nights already begun or past are never touched). A block on nights that
// are taken (a reservation or block on its room, or no unit of its type
// left) is stored all the same and flagged overbooked. A failed fetch or
// an unreadable calendar changes no block and counts a failure.
func (db Store) ApplyFetch(ctx context.Context, feedID string, res FetchResult) (ImportResult, error) {
	out := ImportResult{FeedID: feedID}
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		tx.Unaudited("calendar feed poll status") // block changes are audited one by one below
		f, err := getFeed(tx, feedID)
		if err != nil {
			return err
		}
		now := tenant.FormatTime(tx.Now)
		fail := func(msg string) error {
			out.Status, out.Error = "error", msg
			_, err := tx.Exec(`UPDATE ical_feeds SET last_attempt_at = ?, last_status = 'error', last_error = ?, failures = failures + 1 WHERE id = ?`,
				now, msg, feedID)
			return err
		}
		if res.Err != nil {
			return fail(res.Err.Error())
		}
		if res.NotModified {
			out.Status, out.Events = "not_modified", f.Events
			_, err := tx.Exec(`UPDATE ical_feeds SET last_attempt_at = ?, last_success_at = ?, last_status = 'not_modified', last_error = '',
				failures = 0, etag = ?, last_modified = ? WHERE id = ?`, now, now, res.ETag, res.LastModified, feedID)
			return err
		}
		prop, err := inventory.GetProperty(tx, f.PropertyID)
		if err != nil {
			return err
		}
		loc, err := prop.Location()
		if err != nil {
			return err
		}
		events, bad, err := parseFeed(res.Body, loc)
		if err != nil {
			return fail(fmt.Sprintf("the calendar could not be read: %v", err))
		}
		today, err := prop.Today(tx)
		if err != nil {
			return err
		}
		typeID := f.RoomTypeID
		if f.RoomID != "" {
			room, err := inventory.GetRoom(tx, f.RoomID)
			if err != nil {
				return err
			}
			typeID = room.RoomTypeID
		}
		existing := map[string]ChannelBlock{}
		rows, err := tx.Query(`SELECT id, uid, start_date, end_date, status, overbooked, version FROM channel_blocks WHERE feed_id = ?`, feedID)
		if err != nil {
			return err
		}
		for rows.Next() {
			b := ChannelBlock{FeedID: feedID, RoomTypeID: typeID, RoomID: f.RoomID}
			if err := rows.Scan(&b.ID, &b.UID, &b.Start, &b.End, &b.Status, &b.Overbooked, &b.Version); err != nil {
				rows.Close()
				return err
			}
			existing[b.UID] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		present := map[string]bool{}
		for _, ev := range events {
			if !today.Before(ev.end) {
				out.SkippedPast++
				continue
			}
			if ev.cancelled {
				continue // handled with the vanished ones
			}
			present[ev.uid] = true
			out.Events++
			b, ok := existing[ev.uid]
			switch {
			case !ok:
				b = ChannelBlock{ID: aura.NewID("chb"), FeedID: feedID, UID: ev.uid, RoomTypeID: typeID, RoomID: f.RoomID,
					Start: ev.start, End: ev.end, Status: BlockActive, Version: 1}
				if _, err := tx.Exec(`INSERT INTO channel_blocks (id, feed_id, uid, room_type_id, room_id, start_date, end_date, status, overbooked, version, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 0, 1, ?, ?)`, b.ID, feedID, b.UID, typeID, nullable(f.RoomID), b.Start, b.End, now, now); err != nil {
					return err
				}
				if b.Overbooked, err = collides(tx, b); err != nil {
					return err
				}
				if err := setOverbooked(tx, b); err != nil {
					return err
				}
				out.Created++
				if b.Overbooked {
					out.Overbooked++
				}
				if err := tx.Audit(audit.Entry{Action: "channel_block.created", EntityType: "channel_block", EntityID: b.ID, After: b}); err != nil {
					return err
				}
			case b.Status != BlockActive || b.Start != ev.start || b.End != ev.end:
				before := b
				b.Start, b.End, b.Status, b.Version = ev.start, ev.end, BlockActive, b.Version+1
				if _, err := tx.Exec(`UPDATE channel_blocks SET start_date = ?, end_date = ?, status = 'active', version = ?, updated_at = ? WHERE id = ?`,
					b.Start, b.End, b.Version, now, b.ID); err != nil {
					return err
				}
				if b.Overbooked, err = collides(tx, b); err != nil {
					return err
				}
				if err := setOverbooked(tx, b); err != nil {
					return err
				}
				out.Updated++
				if b.Overbooked {
					out.Overbooked++
				}
				if err := tx.Audit(audit.Entry{Action: "channel_block.updated", EntityType: "channel_block", EntityID: b.ID, Before: before, After: b}); err != nil {
					return err
				}
			}
		}
		if f.CancelVanished {
			for uid, b := range existing {
				if present[uid] || b.Status != BlockActive || b.Start.Before(today) {
					continue
				}
				before := b
				b.Status, b.Version = BlockCancelled, b.Version+1
				if _, err := tx.Exec(`UPDATE channel_blocks SET status = 'cancelled', version = ?, updated_at = ? WHERE id = ?`, b.Version, now, b.ID); err != nil {
					return err
				}
				out.Cancelled++
				if err := tx.Audit(audit.Entry{Action: "channel_block.cancelled", EntityType: "channel_block", EntityID: b.ID, Before: before, After: b}); err != nil {
					return err
				}
			}
		}
		out.Status = "ok"
		msg := ""
		if bad > 0 {
			msg = fmt.Sprintf("%d events without a UID or a start date were skipped", bad)
		}
		_, err = tx.Exec(`UPDATE ical_feeds SET last_attempt_at = ?, last_success_at = ?, last_status = 'ok', last_error = ?, failures = 0,
			events = ?, etag = ?, last_modified = ? WHERE id = ?`, now, now, msg, out.Events, res.ETag, res.LastModified, feedID)
		return err
	})
	return out, err
}

func setOverbooked(tx *tenant.Tx, b ChannelBlock) error {
	_, err := tx.Exec(`UPDATE channel_blocks SET overbooked = ? WHERE id = ?`, b.Overbooked, b.ID)
	return err
}

// collides reports whether an active block (already written) takes nights
// that were not free: its room holds a stay, a room block or another
// channel block then, or its room type has fewer units than it sold.
func collides(tx *tenant.Tx, b ChannelBlock) (bool, error) {
	counts, err := inventory.AvailabilityOf(tx, []string{b.RoomTypeID}, b.Start, b.End)
	if err != nil {
		return false, err
	}
	for _, c := range counts[b.RoomTypeID] {
		if c.Available() < 0 {
			return true, nil
		}
	}
	if b.RoomID == "" {
		return false, nil
	}
	var one int
	err = tx.QueryRow(`SELECT 1 FROM reservation_nights WHERE room_id = ? AND holds = 1 AND date >= ? AND date < ?
		UNION ALL SELECT 1 FROM room_blocks WHERE room_id = ? AND start_date < ? AND end_date > ?
		UNION ALL SELECT 1 FROM channel_blocks WHERE room_id = ? AND status = 'active' AND id <> ? AND start_date < ? AND end_date > ?
		LIMIT 1`, b.RoomID, b.Start, b.End, b.RoomID, b.End, b.Start, b.RoomID, b.ID, b.End, b.Start).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// ListChannelBlocks returns the blocks of a feed, by start.
func (db Store) ListChannelBlocks(ctx context.Context, feedID string) ([]ChannelBlock, error) {
	out := []ChannelBlock{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT id, feed_id, uid, room_type_id, coalesce(room_id, ''), start_date, end_date, status, overbooked, version
			FROM channel_blocks WHERE feed_id = ? ORDER BY start_date, uid`, feedID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b ChannelBlock
			if err := rows.Scan(&b.ID, &b.FeedID, &b.UID, &b.RoomTypeID, &b.RoomID, &b.Start, &b.End, &b.Status, &b.Overbooked, &b.Version); err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// Alerts is what the dashboard warns of: active feeds gone stale and
// active channel blocks flagged overbooked from today on.
type Alerts struct {
	StaleFeeds       []Feed `json:"stale_feeds"`
	OverbookedBlocks int    `json:"overbooked_blocks"`
	// Attention counts everything on the channels attention page
	// (AttentionOf): revisions, overbooked channel stays, blocks, stale
	// feeds, the channel manager's failure, virtual cards.
	Attention int `json:"attention"`
}

// ChannelAlerts returns the alerts of a property at now.
func (db Store) ChannelAlerts(ctx context.Context, propertyID string, now time.Time) (Alerts, error) {
	a := Alerts{StaleFeeds: []Feed{}}
	feeds, err := db.ListFeeds(ctx, propertyID)
	if err != nil {
		return a, err
	}
	for _, f := range feeds {
		if f.Stale(now) {
			a.StaleFeeds = append(a.StaleFeeds, f)
		}
	}
	err = db.View(ctx, func(tx *tenant.Tx) error {
		prop, err := inventory.GetProperty(tx, propertyID)
		if err != nil {
			return err
		}
		today, err := prop.Today(tx)
		if err != nil {
			return err
		}
		return tx.QueryRow(`SELECT count(*) FROM channel_blocks c JOIN ical_feeds f ON f.id = c.feed_id
			WHERE f.property_id = ? AND c.status = 'active' AND c.overbooked = 1 AND c.end_date > ?`, propertyID, today).Scan(&a.OverbookedBlocks)
	})
	if err != nil {
		return a, err
	}
	att, err := db.AttentionOf(ctx, propertyID, now)
	a.Attention = att.Count()
	return a, err
}
