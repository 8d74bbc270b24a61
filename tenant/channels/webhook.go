package channels

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"strings"
	"sync"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
)

// WebhookHeader is the header a channel manager's webhook sends the
// connection's webhook secret in (set as a custom header of the webhook
// at the channel manager).
const WebhookHeader = "X-Aura-Webhook-Secret"

// webhookSecretLength is the length of a webhook secret (base62, ~256 bits).
const webhookSecretLength = 43

// propertyLocks serialise the booking revisions of one property of one
// tenant file in this process.
var propertyLocks sync.Map // tenant id + "/" + property id → *sync.Mutex

func lockProperty(tenantID, propertyID string) func() {
	m, _ := propertyLocks.LoadOrStore(tenantID+"/"+propertyID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// NewWebhookSecret makes a new webhook secret for a property's
// channel-manager connection and returns it: it is shown this once, and
// only its SHA-256 is stored (a new one replaces the old at once).
// Audited ("cm_connection.webhook_secret"). It returns ENOTFOUND when the
// property has no connection.
func (db Store) NewWebhookSecret(ctx context.Context, propertyID string) (string, error) {
	secret := credential.RandomString(webhookSecretLength)
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		res, err := tx.Exec(`UPDATE cm_connections SET webhook_hash = ?, updated_at = ? WHERE property_id = ?`,
			credential.HashSecret(secret), tenant.FormatTime(tx.Now), propertyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tenant.NotFound("channel-manager connection", propertyID)
		}
		return tx.Audit(audit.Entry{Action: "cm_connection.webhook_secret", EntityType: "property", EntityID: propertyID,
			After: map[string]string{"webhook": "new secret made (not recorded)"}})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// errWebhookAuth is the one answer to a webhook that is not let in: no
// connection, no secret set, or the wrong secret.
var errWebhookAuth = aura.Errorf(aura.EUNAUTHORIZED, "The webhook secret is missing or wrong.")

// WebhookManager checks a webhook's secret against the property's active
// connection and returns the connection and its channel manager. Every
// refusal is the same EUNAUTHORIZED, so a caller learns nothing of the
// property or its connection. The secrets are compared in constant time.
func (db Store) WebhookManager(ctx context.Context, propertyID, secret string) (Connection, ChannelManager, error) {
	if secret == "" || len(secret) > 200 {
		return Connection{}, nil, errWebhookAuth
	}
	var hash []byte
	var active bool
	err := db.View(ctx, func(tx *tenant.Tx) error {
		return tx.QueryRow(`SELECT webhook_hash, active FROM cm_connections WHERE property_id = ?`, propertyID).Scan(&hash, &active)
	})
	if err == sql.ErrNoRows {
		return Connection{}, nil, errWebhookAuth
	} else if err != nil {
		return Connection{}, nil, err
	}
	if len(hash) == 0 || !active || subtle.ConstantTimeCompare(hash, credential.HashSecret(secret)) != 1 {
		return Connection{}, nil, errWebhookAuth
	}
	conns, cms, err := db.Connections(ctx)
	if err != nil {
		return Connection{}, nil, err
	}
	for i, c := range conns {
		if c.PropertyID == propertyID {
			return c, cms[i], nil
		}
	}
	return Connection{}, nil, errWebhookAuth
}

// WebhookEvent is what a channel manager's webhook delivery names.
type WebhookEvent struct {
	Event      string // e.g. booking_new, booking_modification, booking_cancellation, booking, ari
	PropertyID string // the channel manager's property id
	RevisionID string
	BookingID  string
}

// IsBooking reports whether the event announces a booking revision.
func (e WebhookEvent) IsBooking() bool {
	switch e.Event {
	case "booking", "booking_new", "booking_modification", "booking_cancellation", "non_acked_booking":
		return e.RevisionID != ""
	}
	return false
}

// ParseChannexWebhook reads a Channex webhook delivery: {"event": …,
// "property_id": …, "payload": {"revision_id": …, "booking_id": …,
// "property_id": …}}. Booking data the payload may carry is ignored: the
// revision is read back from the channel manager. It returns EINVALID for
// a body that is not such an object.
func ParseChannexWebhook(body []byte) (WebhookEvent, error) {
	var in struct {
		Event      string `json:"event"`
		PropertyID string `json:"property_id"`
		Payload    struct {
			RevisionID string `json:"revision_id"`
			BookingID  string `json:"booking_id"`
			PropertyID string `json:"property_id"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return WebhookEvent{}, aura.Invalid("The webhook body is not a channel-manager event.", aura.FieldError{Field: "body", Message: "must be a JSON object with event and payload"})
	}
	ev := WebhookEvent{Event: strings.TrimSpace(in.Event), PropertyID: in.PropertyID, RevisionID: strings.TrimSpace(in.Payload.RevisionID), BookingID: in.Payload.BookingID}
	if ev.PropertyID == "" {
		ev.PropertyID = in.Payload.PropertyID
	}
	var fe tenant.FieldErrors
	if ev.Event == "" || len(ev.Event) > 60 {
		fe.Add("event", "is required")
	}
	if len(ev.RevisionID) > 100 || strings.ContainsAny(ev.RevisionID, "/?#") {
		fe.Add("payload.revision_id", "is not a revision id")
	}
	if err := fe.Err("The webhook body is not a channel-manager event."); err != nil {
		return WebhookEvent{}, err
	}
	return ev, nil
}

// ReceiveRevision handles a webhook's booking revision: it reads the
// revision from the channel manager, applies it exactly once
// (ApplyRevision: a revision already recorded changes nothing), and
// acknowledges it to the channel manager only after its record committed.
// An error before the record leaves nothing acknowledged (the channel
// manager delivers again, and the minute's pull brings it too); an error
// of the acknowledgement leaves the revision recorded and unacknowledged,
// so it comes again as a repeat and is acknowledged then.
func (db Store) ReceiveRevision(ctx context.Context, propertyID string, cm ChannelManager, revisionID string) (RevisionResult, error) {
	rev, err := cm.FetchRevision(ctx, revisionID)
	if err != nil {
		return RevisionResult{RevisionID: revisionID}, aura.Errorf(aura.EUNAVAILABLE, "The channel manager could not be asked for revision %s: %v", revisionID, err)
	}
	res, err := db.ApplyRevision(ctx, propertyID, rev)
	if err != nil {
		return res, err
	}
	if err := cm.Ack(ctx, rev.ID); err != nil {
		return res, aura.Errorf(aura.EUNAVAILABLE, "Revision %s is recorded; the channel manager did not take its acknowledgement: %v", rev.ID, err)
	}
	return res, nil
}
