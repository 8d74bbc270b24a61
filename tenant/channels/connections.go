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
)

// Connection is a property's connection to a channel manager. The API key
// is sealed at rest and never leaves the store but as a ChannelManager.
type Connection struct {
	PropertyID         string     `json:"property_id"`
	Provider           string     `json:"provider"`
	BaseURL            string     `json:"base_url"`
	ExternalPropertyID string     `json:"external_property_id"`
	Active             bool       `json:"active"`
	PerMinute          int        `json:"per_minute"`
	LastSyncAt         *time.Time `json:"last_sync_at,omitempty"`
	LastError          string     `json:"last_error,omitempty"`
	Version            int        `json:"version"`
}

// ConnectionInput sets a property's connection. PerMinute is the ARI
// request limit the channel manager documents (default 10).
type ConnectionInput struct {
	PropertyID         string `json:"property_id"`
	Provider           string `json:"provider"`
	BaseURL            string `json:"base_url"`
	ExternalPropertyID string `json:"external_property_id"`
	APIKey             string `json:"api_key"`
	PerMinute          int    `json:"per_minute,omitempty"`
}

// SetConnection stores a property's channel-manager connection (the API
// key sealed) and connects the property's ARI to the outbox with a full
// resync, in one transaction. It returns EINVALID for bad input and
// ENOTFOUND for an unknown property.
func (db Store) SetConnection(ctx context.Context, in ConnectionInput) (Connection, error) {
	var fe tenant.FieldErrors
	if in.Provider != "channex" {
		fe.Add("provider", "must be channex")
	}
	if u, err := url.Parse(in.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		fe.Add("base_url", "must be the channel manager's API address, e.g. https://app.channex.io")
	}
	fe.Text("external_property_id", in.ExternalPropertyID, 1, 100)
	fe.Text("api_key", in.APIKey, 8, 500)
	if in.PerMinute == 0 {
		in.PerMinute = 10
	}
	if in.PerMinute < 1 || in.PerMinute > 600 {
		fe.Add("per_minute", "must be from 1 to 600")
	}
	if err := fe.Err("The channel-manager connection is not valid."); err != nil {
		return Connection{}, err
	}
	c := Connection{PropertyID: in.PropertyID, Provider: in.Provider, BaseURL: strings.TrimRight(in.BaseURL, "/"), ExternalPropertyID: in.ExternalPropertyID,
		Active: true, PerMinute: in.PerMinute}
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var version int
		if err := tx.QueryRow(`SELECT version FROM cm_connections WHERE property_id = ?`, in.PropertyID).Scan(&version); err != nil && err != sql.ErrNoRows {
			return err
		}
		c.Version = version + 1
		sealed := db.Seal("cm_connections", "api_key", in.PropertyID, []byte(in.APIKey))
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO cm_connections (property_id, provider, base_url, external_property_id, api_key, active, per_minute, last_error, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 1, ?, '', ?, ?, ?)
			ON CONFLICT (property_id) DO UPDATE SET provider = excluded.provider, base_url = excluded.base_url, external_property_id = excluded.external_property_id,
			api_key = excluded.api_key, active = 1, per_minute = excluded.per_minute, version = excluded.version, updated_at = excluded.updated_at`,
			c.PropertyID, c.Provider, c.BaseURL, c.ExternalPropertyID, sealed, c.PerMinute, c.Version, now, now); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO ari_properties (property_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING`, c.PropertyID, now); err != nil {
			return err
		}
		if err := queueAll(tx, c.PropertyID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "cm_connection.set", EntityType: "property", EntityID: c.PropertyID, After: c})
	})
	if aura.ErrorCode(err) == aura.ECONFLICT || err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return Connection{}, tenant.NotFound("property", in.PropertyID)
	}
	return c, err
}

// Connections returns the active channel-manager connections with their
// channel managers, ready to sync.
func (db Store) Connections(ctx context.Context) ([]Connection, []ChannelManager, error) {
	var conns []Connection
	var keys [][]byte
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT property_id, provider, base_url, external_property_id, api_key, per_minute, last_sync_at, last_error, version
			FROM cm_connections WHERE active = 1 ORDER BY property_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Connection
			var key []byte
			var last sql.NullString
			if err := rows.Scan(&c.PropertyID, &c.Provider, &c.BaseURL, &c.ExternalPropertyID, &key, &c.PerMinute, &last, &c.LastError, &c.Version); err != nil {
				return err
			}
			c.Active, c.LastSyncAt = true, tenant.ParseNullTime(last)
			conns, keys = append(conns, c), append(keys, key)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	cms := make([]ChannelManager, len(conns))
	for i, c := range conns {
		key, err := db.Unseal("cm_connections", "api_key", c.PropertyID, keys[i])
		if err != nil {
			return nil, nil, err
		}
		external := map[string]string{}
		err = db.View(ctx, func(tx *tenant.Tx) error {
			rows, err := tx.Query(`SELECT local_id, external_id FROM cm_mappings WHERE property_id = ?`, c.PropertyID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var l, e string
				if err := rows.Scan(&l, &e); err != nil {
					return err
				}
				external[l] = e
			}
			return rows.Err()
		})
		if err != nil {
			return nil, nil, err
		}
		cms[i] = &Channex{BaseURL: c.BaseURL, APIKey: string(key), PropertyID: c.ExternalPropertyID, External: external}
	}
	return conns, cms, nil
}

// NoteSync records the outcome of a sync of a connection (bookkeeping).
func (db Store) NoteSync(ctx context.Context, propertyID string, syncErr error) error {
	msg := ""
	if syncErr != nil {
		msg = syncErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		tx.Unaudited("channel-manager sync status")
		_, err := tx.Exec(`UPDATE cm_connections SET last_sync_at = ?, last_error = ? WHERE property_id = ?`, tenant.FormatTime(tx.Now), msg, propertyID)
		return err
	})
}

// Connection returns a property's channel-manager connection (without
// its key), or nil when it has none.
func (db Store) Connection(ctx context.Context, propertyID string) (*Connection, error) {
	var c Connection
	var last sql.NullString
	err := db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT property_id, provider, base_url, external_property_id, active, per_minute, last_sync_at, last_error, version
			FROM cm_connections WHERE property_id = ?`, propertyID).Scan(&c.PropertyID, &c.Provider, &c.BaseURL, &c.ExternalPropertyID, &c.Active,
			&c.PerMinute, &last, &c.LastError, &c.Version)
	})
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c.LastSyncAt = tenant.ParseNullTime(last)
	return &c, nil
}

// Mapping maps a channel manager's room type or rate plan to the
// property's.
type Mapping struct {
	Kind       string `json:"kind"`
	ExternalID string `json:"external_id"`
	LocalID    string `json:"local_id"`
}

// Mappings returns a property's mappings.
func (db Store) Mappings(ctx context.Context, propertyID string) ([]Mapping, error) {
	out := []Mapping{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT kind, external_id, local_id FROM cm_mappings WHERE property_id = ? ORDER BY kind, external_id`, propertyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Mapping
			if err := rows.Scan(&m.Kind, &m.ExternalID, &m.LocalID); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// RevisionRecord is a booking revision as received and recorded.
type RevisionRecord struct {
	RevisionID string    `json:"revision_id"`
	BookingKey string    `json:"booking_key"`
	Status     string    `json:"status"`
	RevisedAt  time.Time `json:"revised_at"`
	Outcome    string    `json:"outcome"`
	BookingID  string    `json:"booking_id,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	AppliedAt  time.Time `json:"applied_at"`
}

// Revisions returns the revision log of a property, newest first: every
// revision of one booking when bookingID is set, else the latest limit.
func (db Store) Revisions(ctx context.Context, propertyID, bookingID string, limit int) ([]RevisionRecord, error) {
	out := []RevisionRecord{}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT revision_id, booking_key, status, revised_at, outcome, coalesce(booking_id, ''), detail, applied_at FROM cm_revisions
			WHERE property_id = ? AND (? = '' OR booking_id = ?) ORDER BY applied_at DESC, revised_at DESC LIMIT ?`, propertyID, bookingID, bookingID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r RevisionRecord
			var revised, applied string
			if err := rows.Scan(&r.RevisionID, &r.BookingKey, &r.Status, &revised, &r.Outcome, &r.BookingID, &r.Detail, &applied); err != nil {
				return err
			}
			r.RevisedAt, _ = time.Parse(time.RFC3339Nano, revised)
			r.AppliedAt = tenant.ParseTime(applied)
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}
