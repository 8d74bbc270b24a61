package channels

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"sort"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// DefaultExportDays is how far ahead an exported calendar reaches unless
// its export says otherwise.
const DefaultExportDays = 365

// TokenLength is the number of base62 characters of an export token (about
// 256 bits).
const TokenLength = 43

// Export is a calendar exported by a secret URL for one room or one room
// type. The token itself is shown once, when the export is created or
// rotated; only its hash is stored.
type Export struct {
	ID         string     `json:"id"`
	PropertyID string     `json:"property_id"`
	RoomID     string     `json:"room_id,omitempty"`
	RoomTypeID string     `json:"room_type_id,omitempty"`
	Channel    string     `json:"channel"`
	Days       int        `json:"days"`
	Active     bool       `json:"active"`
	ChangedAt  *time.Time `json:"changed_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ExportInput creates an export: exactly one of RoomID and RoomTypeID.
// Channel names who polls the URL (lower-case letters, digits, '.', '-',
// '_'; e.g. airbnb): bookings and blocks that came from that channel are
// not sent back to it. Days defaults to DefaultExportDays (30 to 730).
type ExportInput struct {
	PropertyID string `json:"property_id"`
	RoomID     string `json:"room_id,omitempty"`
	RoomTypeID string `json:"room_type_id,omitempty"`
	Channel    string `json:"channel"`
	Days       int    `json:"days,omitempty"`
}

// TokenHash returns what is stored of an export token (SHA-256).
func TokenHash(token string) []byte { return credential.HashSecret(token) }

// ValidToken reports whether s has the form of an export token, so a
// malformed one is refused before any lookup.
func ValidToken(s string) bool {
	if len(s) != TokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ValidChannel reports whether s is a channel code: 1 to 40 lower-case
// letters, digits, '.', '-' or '_' (the form of a booking's source).
func ValidChannel(s string) bool {
	if len(s) < 1 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

const exportColumns = `id, property_id, room_id, room_type_id, channel, token_hash IS NOT NULL, days, changed_at, revoked_at, version, created_at, updated_at`

func scanExport(s interface{ Scan(...any) error }) (Export, error) {
	var e Export
	var room, rtype, changed, revoked sql.NullString
	var created, updated string
	if err := s.Scan(&e.ID, &e.PropertyID, &room, &rtype, &e.Channel, &e.Active, &e.Days, &changed, &revoked, &e.Version, &created, &updated); err != nil {
		return Export{}, err
	}
	e.RoomID, e.RoomTypeID = room.String, rtype.String
	e.ChangedAt, e.RevokedAt = tenant.ParseNullTime(changed), tenant.ParseNullTime(revoked)
	e.CreatedAt, e.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return e, nil
}

func getExport(tx *tenant.Tx, id string) (Export, error) {
	e, err := scanExport(tx.QueryRow(`SELECT `+exportColumns+` FROM ical_exports WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Export{}, tenant.NotFound("calendar export", id)
	}
	return e, err
}

// exportAudit is how an export appears in audit rows: never its token.
type exportAudit struct {
	Export
	TokenFingerprint string `json:"token_fingerprint,omitempty"`
}

func auditOf(e Export, hash []byte) exportAudit {
	a := exportAudit{Export: e}
	if hash != nil {
		a.TokenFingerprint = hex.EncodeToString(hash[:4])
	}
	return a
}

// CreateExport creates a calendar export and returns it with its token,
// which is not stored and cannot be shown again. It returns EINVALID for
// bad input (a room or room type of another property included) and
// ENOTFOUND for an unknown property.
func (db Store) CreateExport(ctx context.Context, in ExportInput) (Export, string, error) {
	var fe tenant.FieldErrors
	if (in.RoomID == "") == (in.RoomTypeID == "") {
		fe.Add("room_id", "give a room or a room type, not both")
	}
	if !ValidChannel(in.Channel) {
		fe.Add("channel", "must be a channel code of lower-case letters, digits, '.', '-' or '_' (e.g. airbnb)")
	}
	if in.Days == 0 {
		in.Days = DefaultExportDays
	}
	if in.Days < 30 || in.Days > 730 {
		fe.Add("days", "must be from 30 to 730")
	}
	if err := fe.Err("The calendar export is not valid."); err != nil {
		return Export{}, "", err
	}
	token := credential.RandomString(TokenLength)
	hash := TokenHash(token)
	var e Export
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, in.PropertyID); err != nil {
			return err
		}
		if err := checkTarget(tx, in.PropertyID, in.RoomID, in.RoomTypeID); err != nil {
			return err
		}
		e = Export{ID: aura.NewID("icx"), PropertyID: in.PropertyID, RoomID: in.RoomID, RoomTypeID: in.RoomTypeID, Channel: in.Channel,
			Days: in.Days, Active: true, Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.Exec(`INSERT INTO ical_exports (id, property_id, room_id, room_type_id, channel, token_hash, days, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, e.ID, e.PropertyID, nullable(e.RoomID), nullable(e.RoomTypeID), e.Channel, hash, e.Days,
			tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "ical_export.created", EntityType: "ical_export", EntityID: e.ID, After: auditOf(e, hash)})
	})
	if err != nil {
		return Export{}, "", err
	}
	return e, token, nil
}

// checkTarget checks that a room or room type exists and belongs to the
// property.
func checkTarget(tx *tenant.Tx, propertyID, roomID, roomTypeID string) error {
	if roomID != "" {
		r, err := inventory.GetRoom(tx, roomID)
		if aura.ErrorCode(err) == aura.ENOTFOUND || err == nil && r.PropertyID != propertyID {
			return aura.Invalid("The calendar is not valid.", aura.FieldError{Field: "room_id", Message: "no such room at this property"})
		}
		return err
	}
	t, err := inventory.GetRoomType(tx, roomTypeID)
	if aura.ErrorCode(err) == aura.ENOTFOUND || err == nil && t.PropertyID != propertyID {
		return aura.Invalid("The calendar is not valid.", aura.FieldError{Field: "room_type_id", Message: "no such room type at this property"})
	}
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RotateExport gives an export a new token: the old URL stops working at
// once, the calendar (and its event UIDs) stay the same. It returns the
// export, the new token and the hash of the token it replaced (nil when
// the export was revoked), which the platform index forgets. It returns
// ENOTFOUND for an unknown export and EPRECONDITION for a stale version.
func (db Store) RotateExport(ctx context.Context, id string, version int) (Export, string, []byte, error) {
	token := credential.RandomString(TokenLength)
	hash := TokenHash(token)
	var e Export
	var old []byte
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := getExport(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("calendar export", id, before.Version, version); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT token_hash FROM ical_exports WHERE id = ?`, id).Scan(&old); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE ical_exports SET token_hash = ?, revoked_at = NULL, version = version + 1, updated_at = ? WHERE id = ?`,
			hash, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		e = before
		e.Active, e.RevokedAt, e.Version, e.UpdatedAt = true, nil, before.Version+1, tx.Now
		return tx.Audit(audit.Entry{Action: "ical_export.rotated", EntityType: "ical_export", EntityID: id, Before: auditOf(before, old), After: auditOf(e, hash)})
	})
	if err != nil {
		return Export{}, "", nil, err
	}
	return e, token, old, nil
}

// RevokeExport ends an export's URL: it answers 404 from then on. It
// returns the export and the hash of the token revoked (nil when it was
// already revoked). It returns ENOTFOUND for an unknown export.
func (db Store) RevokeExport(ctx context.Context, id string) (Export, []byte, error) {
	var e Export
	var old []byte
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := getExport(tx, id)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT token_hash FROM ical_exports WHERE id = ?`, id).Scan(&old); err != nil {
			return err
		}
		e = before
		if !before.Active {
			return nil
		}
		if _, err := tx.Exec(`UPDATE ical_exports SET token_hash = NULL, revoked_at = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		now := tx.Now
		e.Active, e.RevokedAt, e.Version, e.UpdatedAt = false, &now, before.Version+1, tx.Now
		return tx.Audit(audit.Entry{Action: "ical_export.revoked", EntityType: "ical_export", EntityID: id, Before: auditOf(before, old), After: auditOf(e, nil)})
	})
	return e, old, err
}

// GetExport returns one export. It returns ENOTFOUND for an unknown one.
func (db Store) GetExport(ctx context.Context, id string) (Export, error) {
	var e Export
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		e, err = getExport(tx, id)
		return err
	})
	return e, err
}

// ListExports returns the exports of a property, newest first.
func (db Store) ListExports(ctx context.Context, propertyID string) ([]Export, error) {
	out := []Export{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+exportColumns+` FROM ical_exports WHERE property_id = ? ORDER BY created_at DESC, id`, propertyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanExport(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// Calendar is an exported calendar as served: the body and its
// validators.
type Calendar struct {
	Body         []byte
	ETag         string    // a strong entity tag, quoted
	LastModified time.Time // when the content last changed (whole seconds)
}

// CalendarByToken renders the calendar whose token has hash tokenHash. It
// returns ENOTFOUND when no active export has that hash (never saying
// whether one existed). The first render after the content changed records
// its fingerprint and time (an unaudited bookkeeping write), which give the
// ETag and Last-Modified and the DTSTAMP of every event.
func (db Store) CalendarByToken(ctx context.Context, tokenHash []byte) (Calendar, error) {
	var e Export
	var events []event
	var stored []byte
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var id string
		err := tx.QueryRow(`SELECT id, body_hash FROM ical_exports WHERE token_hash = ?`, tokenHash).Scan(&id, &stored)
		if err == sql.ErrNoRows {
			return aura.Errorf(aura.ENOTFOUND, "No such calendar.")
		} else if err != nil {
			return err
		}
		if e, err = getExport(tx, id); err != nil {
			return err
		}
		events, err = exportEvents(tx, e)
		return err
	})
	if err != nil {
		return Calendar{}, err
	}
	content := writeCalendar(time.Time{}, events)
	sum := sha256.Sum256(content)
	if !bytes.Equal(sum[:], stored) || e.ChangedAt == nil {
		err := db.Update(ctx, func(tx *tenant.Tx) error {
			tx.Unaudited("calendar export fingerprint")
			now := tx.Now.Truncate(time.Second)
			e.ChangedAt = &now
			_, err := tx.Exec(`UPDATE ical_exports SET body_hash = ?, changed_at = ? WHERE id = ?`, sum[:], tenant.FormatTime(now), e.ID)
			return err
		})
		if err != nil {
			return Calendar{}, err
		}
	}
	changed := e.ChangedAt.UTC().Truncate(time.Second)
	return Calendar{Body: writeCalendar(changed, events), ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, LastModified: changed}, nil
}

// exportUID is the stable UID of an exported event: a digest of the
// export and what the event shows, so it names neither the tenant nor the
// stay, and stays the same when the token is rotated.
func exportUID(exportID, kind, key string) string {
	sum := sha256.Sum256([]byte(exportID + "\x00" + kind + "\x00" + key))
	return hex.EncodeToString(sum[:16]) + "@aura"
}

// exportEvents computes the events of an export from today (the
// property's date) for e.Days days.
//
// A room's calendar shows each stay given to the room ("Reserved"), the
// room's out-of-order and out-of-service blocks, the channel blocks on the
// room, and the nights its room type has no unit left ("Not available"),
// so an unassigned reservation cannot be sold twice. A room type's
// calendar shows the nights the type has no unit left. What came from the
// export's own channel (bookings whose source is the channel, blocks
// imported from its feeds) is not sent back to it.
func exportEvents(tx *tenant.Tx, e Export) ([]event, error) {
	prop, err := inventory.GetProperty(tx, e.PropertyID)
	if err != nil {
		return nil, err
	}
	today, err := prop.Today(tx)
	if err != nil {
		return nil, err
	}
	end := today.AddDays(e.Days)
	typeID := e.RoomTypeID
	var events []event
	covered := make([]bool, e.Days) // nights of the room already shown by an event
	cover := func(s, t date.Date) {
		for i := max(s.Sub(today), 0); i < min(t.Sub(today), e.Days); i++ {
			covered[i] = true
		}
	}
	if e.RoomID != "" {
		room, err := inventory.GetRoom(tx, e.RoomID)
		if err != nil {
			return nil, err
		}
		typeID = room.RoomTypeID
		// Stays given to the room: every night each one holds the room
		// (unclipped, so an event keeps its dates as the window moves).
		rows, err := tx.Query(`SELECT n.reservation_id, min(n.date), max(n.date), b.source
			FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id JOIN bookings b ON b.id = r.booking_id
			WHERE n.room_id = ? AND n.holds = 1 AND n.reservation_id IN
				(SELECT reservation_id FROM reservation_nights WHERE room_id = ? AND holds = 1 AND date >= ? AND date < ?)
			GROUP BY n.reservation_id`, e.RoomID, e.RoomID, today, end)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, source string
			var first, last date.Date
			if err := rows.Scan(&id, &first, &last, &source); err != nil {
				rows.Close()
				return nil, err
			}
			if source == e.Channel {
				continue
			}
			events = append(events, event{uid: exportUID(e.ID, "stay", id), summary: summaryReserved, start: first, end: last.AddDays(1)})
			cover(first, last.AddDays(1))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rows, err = tx.Query(`SELECT id, start_date, end_date FROM room_blocks WHERE room_id = ? AND start_date < ? AND end_date > ?`, e.RoomID, end, today)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var s, t date.Date
			if err := rows.Scan(&id, &s, &t); err != nil {
				rows.Close()
				return nil, err
			}
			events = append(events, event{uid: exportUID(e.ID, "block", id), summary: summaryNotAvailable, start: s, end: t})
			cover(s, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rows, err = tx.Query(`SELECT c.id, c.start_date, c.end_date FROM channel_blocks c JOIN ical_feeds f ON f.id = c.feed_id
			WHERE c.room_id = ? AND c.status = 'active' AND f.channel <> ? AND c.start_date < ? AND c.end_date > ?`, e.RoomID, e.Channel, end, today)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var s, t date.Date
			if err := rows.Scan(&id, &s, &t); err != nil {
				rows.Close()
				return nil, err
			}
			events = append(events, event{uid: exportUID(e.ID, "channel", id), summary: summaryNotAvailable, start: s, end: t})
			cover(s, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}

	// Nights the room type has no unit left for this channel: what the
	// channel itself holds is given back first.
	counts, err := inventory.AvailabilityOf(tx, []string{typeID}, today, end)
	if err != nil {
		return nil, err
	}
	own := make([]int, e.Days)
	rows, err := tx.Query(`SELECT n.date, count(*) FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id JOIN bookings b ON b.id = r.booking_id
		WHERE n.room_type_id = ? AND n.holds = 1 AND n.date >= ? AND n.date < ? AND b.source = ? GROUP BY n.date`, typeID, today, end, e.Channel)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var d date.Date
		var k int
		if err := rows.Scan(&d, &k); err != nil {
			rows.Close()
			return nil, err
		}
		own[d.Sub(today)] += k
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(`SELECT c.start_date, c.end_date FROM channel_blocks c JOIN ical_feeds f ON f.id = c.feed_id
		WHERE c.room_type_id = ? AND c.status = 'active' AND f.channel = ? AND c.start_date < ? AND c.end_date > ?`, typeID, e.Channel, end, today)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s, t date.Date
		if err := rows.Scan(&s, &t); err != nil {
			rows.Close()
			return nil, err
		}
		for i := max(s.Sub(today), 0); i < min(t.Sub(today), e.Days); i++ {
			own[i]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	nights := counts[typeID]
	for i := 0; i < e.Days; {
		if covered[i] || nights[i].Available()+own[i] >= 1 {
			i++
			continue
		}
		j := i
		for j < e.Days && !covered[j] && nights[j].Available()+own[j] < 1 {
			j++
		}
		start := today.AddDays(i)
		events = append(events, event{uid: exportUID(e.ID, "full", start.String()), summary: summaryNotAvailable, start: start, end: today.AddDays(j)})
		i = j
	}
	sort.SliceStable(events, func(i, j int) bool {
		if c := events[i].start.Compare(events[j].start); c != 0 {
			return c < 0
		}
		return events[i].uid < events[j].uid
	})
	return events, nil
}
