package channels

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Attention is what of a property's channels needs a person: booking
// revisions that could not be applied as sent (an unmapped room type or
// rate plan, a change of the number of rooms, a stay the OTA revives) and
// not yet marked dealt with; channel bookings stored overbooked; imported
// calendar blocks on nights already taken; feeds gone stale; the channel
// manager's last failed sync or ARI push; virtual cards that could not be
// attached or still wait.
type Attention struct {
	Revisions        []RevisionRecord `json:"revisions"`
	Overbooked       []OverbookedStay `json:"overbooked"`
	OverbookedBlocks []ChannelBlock   `json:"overbooked_blocks"`
	StaleFeeds       []Feed           `json:"stale_feeds"`
	ManagerError     string           `json:"manager_error,omitempty"`
	ManagerErrorAt   *time.Time       `json:"manager_error_at,omitempty"`
	Cards            []VirtualCard    `json:"cards"`
}

// Count is the number of things listed.
func (a Attention) Count() int {
	n := len(a.Revisions) + len(a.Overbooked) + len(a.OverbookedBlocks) + len(a.StaleFeeds) + len(a.Cards)
	if a.ManagerError != "" {
		n++
	}
	return n
}

// OverbookedStay is a channel booking's stay stored overbooked (it came
// into a full house and was kept), not yet departed.
type OverbookedStay struct {
	ReservationID string    `json:"reservation_id"`
	BookingID     string    `json:"booking_id"`
	Source        string    `json:"source"`
	OTACode       string    `json:"ota_code,omitempty"`
	RoomTypeID    string    `json:"room_type_id"`
	Arrival       date.Date `json:"arrival"`
	Departure     date.Date `json:"departure"`
}

// AttentionOf returns what of a property's channels needs a person at now.
func (db Store) AttentionOf(ctx context.Context, propertyID string, now time.Time) (Attention, error) {
	a := Attention{Revisions: []RevisionRecord{}, Overbooked: []OverbookedStay{}, OverbookedBlocks: []ChannelBlock{}, StaleFeeds: []Feed{}}
	feeds, err := db.ListFeeds(ctx, propertyID)
	if err != nil {
		return a, err
	}
	for _, f := range feeds {
		if f.Stale(now) {
			a.StaleFeeds = append(a.StaleFeeds, f)
		}
	}
	if a.Cards, err = db.VirtualCards(ctx, propertyID, "", CardFailed, CardPending); err != nil {
		return a, err
	}
	keep := a.Cards[:0]
	for _, c := range a.Cards {
		if c.Status == CardFailed || c.Error != "" { // a pending card without a note is merely not attached yet
			keep = append(keep, c)
		}
	}
	a.Cards = keep
	err = db.View(ctx, func(tx *tenant.Tx) error {
		prop, err := inventory.GetProperty(tx, propertyID)
		if err != nil {
			return err
		}
		today, err := prop.Today(tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT revision_id, booking_key, status, revised_at, outcome, coalesce(booking_id, ''), detail, applied_at FROM cm_revisions
			WHERE property_id = ? AND outcome = 'attention' AND resolved_at IS NULL ORDER BY applied_at, revision_id LIMIT 500`, propertyID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r RevisionRecord
			var revised, applied string
			if err := rows.Scan(&r.RevisionID, &r.BookingKey, &r.Status, &revised, &r.Outcome, &r.BookingID, &r.Detail, &applied); err != nil {
				rows.Close()
				return err
			}
			r.RevisedAt, _ = time.Parse(time.RFC3339Nano, revised)
			r.AppliedAt = tenant.ParseTime(applied)
			a.Revisions = append(a.Revisions, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT r.id, b.id, b.source, coalesce(b.ota_code, ''), r.room_type_id, r.arrival, r.departure
			FROM reservations r JOIN bookings b ON b.id = r.booking_id
			WHERE r.property_id = ? AND r.overbooked = 1 AND r.status IN ('tentative', 'confirmed', 'in_house') AND r.departure > ?
			AND b.source <> 'direct' ORDER BY r.arrival, r.id LIMIT 500`, propertyID, today)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o OverbookedStay
			if err := rows.Scan(&o.ReservationID, &o.BookingID, &o.Source, &o.OTACode, &o.RoomTypeID, &o.Arrival, &o.Departure); err != nil {
				rows.Close()
				return err
			}
			a.Overbooked = append(a.Overbooked, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT c.id, c.feed_id, c.uid, c.room_type_id, coalesce(c.room_id, ''), c.start_date, c.end_date, c.status, c.overbooked, c.version
			FROM channel_blocks c JOIN ical_feeds f ON f.id = c.feed_id
			WHERE f.property_id = ? AND c.status = 'active' AND c.overbooked = 1 AND c.end_date > ? ORDER BY c.start_date, c.id LIMIT 500`, propertyID, today)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b ChannelBlock
			if err := rows.Scan(&b.ID, &b.FeedID, &b.UID, &b.RoomTypeID, &b.RoomID, &b.Start, &b.End, &b.Status, &b.Overbooked, &b.Version); err != nil {
				rows.Close()
				return err
			}
			a.OverbookedBlocks = append(a.OverbookedBlocks, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var last sql.NullString
		err = tx.QueryRow(`SELECT last_error, last_sync_at FROM cm_connections WHERE property_id = ? AND active = 1`, propertyID).Scan(&a.ManagerError, &last)
		if err == sql.ErrNoRows {
			return nil
		}
		if a.ManagerError != "" {
			a.ManagerErrorAt = tenant.ParseNullTime(last)
		}
		return err
	})
	return a, err
}

// ResolveRevision marks a revision that needed attention as dealt with
// (the booking was put right by hand): it leaves the attention list.
// Audited ("channel_revision.resolved"). It returns ENOTFOUND for a
// revision of another property, one that needs no attention, or one
// already resolved.
func (db Store) ResolveRevision(ctx context.Context, propertyID, revisionID string) error {
	return db.Update(ctx, func(tx *tenant.Tx) error {
		res, err := tx.Exec(`UPDATE cm_revisions SET resolved_at = ? WHERE revision_id = ? AND property_id = ? AND outcome = 'attention' AND resolved_at IS NULL`,
			tenant.FormatTime(tx.Now), revisionID, propertyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tenant.NotFound("booking revision needing attention", revisionID)
		}
		return tx.Audit(audit.Entry{Action: "channel_revision.resolved", EntityType: "booking_revision", EntityID: revisionID,
			After: map[string]string{"property_id": propertyID, "resolved_at": tenant.FormatTime(tx.Now)}})
	})
}
