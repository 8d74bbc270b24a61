package channels

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Polling intervals of an imported calendar, in minutes.
const (
	DefaultFeedInterval = 15
	MinFeedInterval     = 5
	MaxFeedInterval     = 360
	// StaleAfterPolls is how many polls a feed may miss (failed or not
	// made) before its page and the dashboard warn.
	StaleAfterPolls = 3
)

// Feed is a calendar imported from a channel for one room or room type.
// Its URL is sealed (it carries the channel's secret); URLHost is what
// pages show.
type Feed struct {
	ID              string     `json:"id"`
	PropertyID      string     `json:"property_id"`
	RoomID          string     `json:"room_id,omitempty"`
	RoomTypeID      string     `json:"room_type_id,omitempty"`
	Channel         string     `json:"channel"`
	URLHost         string     `json:"url_host"`
	IntervalMinutes int        `json:"interval_minutes"`
	CancelVanished  bool       `json:"cancel_vanished"`
	Active          bool       `json:"active"`
	LastAttemptAt   *time.Time `json:"last_attempt_at,omitempty"`
	LastSuccessAt   *time.Time `json:"last_success_at,omitempty"`
	LastStatus      string     `json:"last_status"` // "", ok, not_modified or error
	LastError       string     `json:"last_error,omitempty"`
	Events          int        `json:"events"`
	Failures        int        `json:"failures"`
	Version         int        `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`

	etag, lastModified string
}

// Interval is the feed's polling interval.
func (f Feed) Interval() time.Duration { return time.Duration(f.IntervalMinutes) * time.Minute }

// NextPoll is when the feed is next due: at once when never polled.
func (f Feed) NextPoll() time.Time {
	if f.LastAttemptAt == nil {
		return f.CreatedAt
	}
	return f.LastAttemptAt.Add(f.Interval())
}

// Stale reports whether an active feed has gone StaleAfterPolls polls
// without a good answer (failed in a row, or not polled at all).
func (f Feed) Stale(now time.Time) bool {
	if !f.Active {
		return false
	}
	if f.Failures >= StaleAfterPolls {
		return true
	}
	since := f.CreatedAt
	if f.LastSuccessAt != nil {
		since = *f.LastSuccessAt
	}
	return now.Sub(since) > time.Duration(StaleAfterPolls+1)*f.Interval()
}

// FeedInput creates a feed: exactly one of RoomID and RoomTypeID.
// IntervalMinutes defaults to DefaultFeedInterval (5 to 360);
// CancelVanished (an event gone from the feed cancels its future block)
// defaults to on, as Airbnb-style feeds drop a cancelled booking's event.
type FeedInput struct {
	PropertyID      string `json:"property_id"`
	RoomID          string `json:"room_id,omitempty"`
	RoomTypeID      string `json:"room_type_id,omitempty"`
	Channel         string `json:"channel"`
	URL             string `json:"url"`
	IntervalMinutes int    `json:"interval_minutes,omitempty"`
	CancelVanished  *bool  `json:"cancel_vanished,omitempty"`
}

const feedColumns = `id, property_id, room_id, room_type_id, channel, url_host, interval_minutes, cancel_vanished, active, etag, last_modified,
	last_attempt_at, last_success_at, last_status, last_error, events, failures, version, created_at, updated_at`

func scanFeed(s interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var room, rtype, attempt, success sql.NullString
	var created, updated string
	if err := s.Scan(&f.ID, &f.PropertyID, &room, &rtype, &f.Channel, &f.URLHost, &f.IntervalMinutes, &f.CancelVanished, &f.Active,
		&f.etag, &f.lastModified, &attempt, &success, &f.LastStatus, &f.LastError, &f.Events, &f.Failures, &f.Version, &created, &updated); err != nil {
		return Feed{}, err
	}
	f.RoomID, f.RoomTypeID = room.String, rtype.String
	f.LastAttemptAt, f.LastSuccessAt = tenant.ParseNullTime(attempt), tenant.ParseNullTime(success)
	f.CreatedAt, f.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return f, nil
}

func getFeed(tx *tenant.Tx, id string) (Feed, error) {
	f, err := scanFeed(tx.QueryRow(`SELECT `+feedColumns+` FROM ical_feeds WHERE id = ? AND deleted_at IS NULL`, id))
	if err == sql.ErrNoRows {
		return Feed{}, tenant.NotFound("calendar feed", id)
	}
	return f, err
}

// validFeedURL checks a feed URL and returns its host.
func validFeedURL(raw string) (string, bool) {
	if len(raw) > 2000 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return "", false
	}
	return u.Hostname(), true
}

// CreateFeed adds a calendar feed. It returns EINVALID for bad input and
// ENOTFOUND for an unknown property. Whether the URL's address may be
// fetched is checked at each poll (on the address dialled).
func (db Store) CreateFeed(ctx context.Context, in FeedInput) (Feed, error) {
	var fe tenant.FieldErrors
	if (in.RoomID == "") == (in.RoomTypeID == "") {
		fe.Add("room_id", "give a room or a room type, not both")
	}
	if !ValidChannel(in.Channel) {
		fe.Add("channel", "must be a channel code of lower-case letters, digits, '.', '-' or '_' (e.g. airbnb)")
	}
	in.URL = strings.TrimSpace(in.URL)
	host, ok := validFeedURL(in.URL)
	if !ok {
		fe.Add("url", "must be the channel's calendar address, starting https://")
	}
	if in.IntervalMinutes == 0 {
		in.IntervalMinutes = DefaultFeedInterval
	}
	if in.IntervalMinutes < MinFeedInterval || in.IntervalMinutes > MaxFeedInterval {
		fe.Add("interval_minutes", "must be from %d to %d minutes", MinFeedInterval, MaxFeedInterval)
	}
	if err := fe.Err("The calendar feed is not valid."); err != nil {
		return Feed{}, err
	}
	cancel := in.CancelVanished == nil || *in.CancelVanished
	var f Feed
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		if err := checkTarget(tx, in.PropertyID, in.RoomID, in.RoomTypeID); err != nil {
			return err
		}
		f = Feed{ID: aura.NewID("icf"), PropertyID: in.PropertyID, RoomID: in.RoomID, RoomTypeID: in.RoomTypeID, Channel: in.Channel,
			URLHost: host, IntervalMinutes: in.IntervalMinutes, CancelVanished: cancel, Active: true, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		sealed := db.Seal("ical_feeds", "url", f.ID, []byte(in.URL))
		if _, err := tx.Exec(`INSERT INTO ical_feeds (id, property_id, room_id, room_type_id, channel, url, url_host, interval_minutes, cancel_vanished,
			active, etag, last_modified, last_status, last_error, events, failures, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '', '', '', '', 0, 0, 1, ?, ?)`, f.ID, f.PropertyID, nullable(f.RoomID), nullable(f.RoomTypeID),
			f.Channel, sealed, f.URLHost, f.IntervalMinutes, f.CancelVanished, tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "ical_feed.created", EntityType: "ical_feed", EntityID: f.ID, After: f})
	})
	return f, err
}

// SetFeedActive pauses or resumes polling a feed (its blocks stay as they
// are). It returns ENOTFOUND for an unknown feed.
func (db Store) SetFeedActive(ctx context.Context, id string, active bool) (Feed, error) {
	var f Feed
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := getFeed(tx, id)
		if err != nil {
			return err
		}
		f = before
		if before.Active == active {
			return nil
		}
		if _, err := tx.Exec(`UPDATE ical_feeds SET active = ?, version = version + 1, updated_at = ? WHERE id = ?`, active, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		f.Active, f.Version, f.UpdatedAt = active, before.Version+1, tx.Now
		return tx.Audit(audit.Entry{Action: "ical_feed.updated", EntityType: "ical_feed", EntityID: id, Before: before, After: f})
	})
	return f, err
}

// DeleteFeed deletes a feed from the channels page: it is no longer
// polled or listed, its sealed URL (the channel's secret) is wiped, and
// its blocks that start today or later are cancelled (each audited, as a
// vanished event's); blocks already begun stay, as the guest is in the
// house. The feed's row is kept, marked deleted, for its blocks' history.
// Audited ("ical_feed.deleted"). It returns ENOTFOUND for an unknown or
// already deleted feed, and the number of blocks cancelled.
func (db Store) DeleteFeed(ctx context.Context, id string) (int, error) {
	cancelled := 0
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var deleted sql.NullString
		if err := tx.QueryRow(`SELECT deleted_at FROM ical_feeds WHERE id = ?`, id).Scan(&deleted); err == sql.ErrNoRows || deleted.Valid {
			return tenant.NotFound("calendar feed", id)
		} else if err != nil {
			return err
		}
		before, err := getFeed(tx, id)
		if err != nil {
			return err
		}
		prop, err := inventory.GetProperty(tx, before.PropertyID)
		if err != nil {
			return err
		}
		today, err := prop.Today(tx)
		if err != nil {
			return err
		}
		now := tenant.FormatTime(tx.Now)
		rows, err := tx.Query(`SELECT id, feed_id, uid, room_type_id, coalesce(room_id, ''), start_date, end_date, status, overbooked, version
			FROM channel_blocks WHERE feed_id = ? AND status = 'active' AND start_date >= ? ORDER BY start_date, id`, id, today)
		if err != nil {
			return err
		}
		var blocks []ChannelBlock
		for rows.Next() {
			var b ChannelBlock
			if err := rows.Scan(&b.ID, &b.FeedID, &b.UID, &b.RoomTypeID, &b.RoomID, &b.Start, &b.End, &b.Status, &b.Overbooked, &b.Version); err != nil {
				rows.Close()
				return err
			}
			blocks = append(blocks, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range blocks {
			prev := b
			b.Status, b.Version = BlockCancelled, b.Version+1
			if _, err := tx.Exec(`UPDATE channel_blocks SET status = 'cancelled', version = ?, updated_at = ? WHERE id = ?`, b.Version, now, b.ID); err != nil {
				return err
			}
			if err := tx.Audit(audit.Entry{Action: "channel_block.cancelled", EntityType: "channel_block", EntityID: b.ID, Before: prev, After: b}); err != nil {
				return err
			}
		}
		cancelled = len(blocks)
		if _, err := tx.Exec(`UPDATE ical_feeds SET deleted_at = ?, active = 0, url = x'', version = version + 1, updated_at = ? WHERE id = ?`, now, now, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "ical_feed.deleted", EntityType: "ical_feed", EntityID: id, Before: before,
			After: map[string]any{"deleted_at": now, "blocks_cancelled": cancelled}})
	})
	return cancelled, err
}

// GetFeed returns one feed. It returns ENOTFOUND for an unknown one.
func (db Store) GetFeed(ctx context.Context, id string) (Feed, error) {
	var f Feed
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		f, err = getFeed(tx, id)
		return err
	})
	return f, err
}

// ListFeeds returns the feeds of a property ("" for every property),
// oldest first.
func (db Store) ListFeeds(ctx context.Context, propertyID string) ([]Feed, error) {
	out := []Feed{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+feedColumns+` FROM ical_feeds WHERE (? = '' OR property_id = ?) AND deleted_at IS NULL ORDER BY created_at, id`, propertyID, propertyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFeed(rows)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, err
}

// feedURL opens a feed's sealed URL.
func (db Store) feedURL(ctx context.Context, id string) (string, error) {
	var sealed []byte
	err := db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT url FROM ical_feeds WHERE id = ?`, id).Scan(&sealed)
	})
	if err != nil {
		return "", err
	}
	u, err := db.Unseal("ical_feeds", "url", id, sealed)
	return string(u), err
}

// NextFeedPoll is when the next active feed falls due (ok false: none).
func (db Store) NextFeedPoll(ctx context.Context) (time.Time, bool, error) {
	feeds, err := db.ListFeeds(ctx, "")
	if err != nil {
		return time.Time{}, false, err
	}
	var next time.Time
	ok := false
	for _, f := range feeds {
		if f.Active && (!ok || f.NextPoll().Before(next)) {
			next, ok = f.NextPoll(), true
		}
	}
	return next, ok, nil
}

// PollDueFeeds polls every active feed that is due by the file's clock
// and applies what it fetched. A feed that fails is recorded as failed
// and does not stop the others.
func (db Store) PollDueFeeds(ctx context.Context, fetcher *Fetcher) ([]ImportResult, error) {
	feeds, err := db.ListFeeds(ctx, "")
	if err != nil {
		return nil, err
	}
	var now time.Time
	if err := db.View(ctx, func(tx *tenant.Tx) error { now = tx.Now; return nil }); err != nil {
		return nil, err
	}
	var out []ImportResult
	for _, f := range feeds {
		if !f.Active || f.NextPoll().After(now) {
			continue
		}
		res, err := db.PollFeed(ctx, f.ID, fetcher)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// PollFeed fetches one feed now (with the validators of its last answer)
// and applies the answer.
func (db Store) PollFeed(ctx context.Context, id string, fetcher *Fetcher) (ImportResult, error) {
	f, err := db.GetFeed(ctx, id)
	if err != nil {
		return ImportResult{}, err
	}
	u, err := db.feedURL(ctx, id)
	if err != nil {
		return ImportResult{}, err
	}
	return db.ApplyFetch(ctx, id, fetcher.Fetch(ctx, u, f.etag, f.lastModified))
}
