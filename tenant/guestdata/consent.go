package guestdata

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
)

// Consent kinds.
const (
	ConsentMarketingEmail = "marketing_email" // newsletters and offers by email
)

// ConsentKinds are the consents a guest can give, in page order.
var ConsentKinds = []string{ConsentMarketingEmail}

// ConsentSources are how a consent can be given or withdrawn.
var ConsentSources = []string{"front_desk", "phone", "email", "web", "registration_card", "other"}

// Consent is a guest's latest answer to one kind of consent: given or
// withdrawn, when, and how (Source).
type Consent struct {
	Kind    string    `json:"kind"`
	Granted bool      `json:"granted"`
	Source  string    `json:"source"`
	At      time.Time `json:"at"`
	Version int       `json:"version"`
}

// ConsentName names a consent kind for people.
func ConsentName(kind string) string {
	if kind == ConsentMarketingEmail {
		return "Marketing emails (newsletters and offers)"
	}
	return kind
}

// SourceName names a consent source for people.
func SourceName(source string) string {
	switch source {
	case "front_desk":
		return "at the front desk"
	case "phone":
		return "by phone"
	case "email":
		return "by email"
	case "web":
		return "on the web"
	case "registration_card":
		return "on the registration card"
	}
	return "other"
}

// Consents returns the guest's consents (none given yet: an empty list).
// It returns ENOTFOUND for an unknown guest.
func (s Store) Consents(ctx context.Context, guestID string) ([]Consent, error) {
	var out []Consent
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = consentsTx(tx, guestID)
		return err
	})
	return out, err
}

func consentsTx(tx *tenant.Tx, guestID string) ([]Consent, error) {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM guests WHERE id = ?`, guestID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, tenant.NotFound("guest", guestID)
	}
	rows, err := tx.Query(`SELECT kind, granted, source, at, version FROM guest_consents WHERE guest_id = ? ORDER BY kind`, guestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		var c Consent
		var at string
		if err := rows.Scan(&c.Kind, &c.Granted, &c.Source, &at, &c.Version); err != nil {
			return nil, err
		}
		c.At = tenant.ParseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetConsent records a guest's answer to one kind of consent, now, with
// its source. Audited ("guest.consent_changed": the old and new answer,
// source and time, no personal data). It returns EINVALID for an unknown
// kind or source, ENOTFOUND for an unknown guest, ECONFLICT for an
// anonymised guest or an answer that is already recorded, and
// EPRECONDITION when c.Version (when not zero) is not the stored one.
func (s Store) SetConsent(ctx context.Context, guestID string, c Consent) (Consent, error) {
	var fe tenant.FieldErrors
	if !contains(ConsentKinds, c.Kind) {
		fe.Add("kind", "must be marketing_email")
	}
	if !contains(ConsentSources, c.Source) {
		fe.Add("source", "must say how the answer was given: front desk, phone, email, web, registration card or other")
	}
	if err := fe.Err("The consent is not valid."); err != nil {
		return Consent{}, err
	}
	var out Consent
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		var wrapped []byte
		err := tx.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, guestID).Scan(&wrapped)
		if err == sql.ErrNoRows {
			return tenant.NotFound("guest", guestID)
		} else if err != nil {
			return err
		}
		if wrapped == nil {
			return aura.Errorf(aura.ECONFLICT, "This guest was anonymised; no consent can be recorded.")
		}
		var cur Consent
		var at string
		err = tx.QueryRow(`SELECT kind, granted, source, at, version FROM guest_consents WHERE guest_id = ? AND kind = ?`, guestID, c.Kind).
			Scan(&cur.Kind, &cur.Granted, &cur.Source, &at, &cur.Version)
		exists := err == nil
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		cur.At = tenant.ParseTime(at)
		if err := tenant.CheckVersion("consent", guestID+"/"+c.Kind, cur.Version, c.Version); err != nil {
			return err
		}
		if exists && cur.Granted == c.Granted {
			if c.Granted {
				return aura.Errorf(aura.ECONFLICT, "The guest already agreed to this, on %s.", cur.At.UTC().Format("2 Jan 2006"))
			}
			return aura.Errorf(aura.ECONFLICT, "The guest's refusal is already recorded, on %s.", cur.At.UTC().Format("2 Jan 2006"))
		}
		// No answer yet counts as no; a first "no" is still recorded, with
		// its time and source.
		out = Consent{Kind: c.Kind, Granted: c.Granted, Source: c.Source, At: tx.Now.UTC().Truncate(time.Second), Version: cur.Version + 1}
		if _, err := tx.Exec(`INSERT INTO guest_consents (guest_id, kind, granted, source, at, version) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (guest_id, kind) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at, version = excluded.version`,
			guestID, out.Kind, out.Granted, out.Source, tenant.FormatTime(tx.Now), out.Version); err != nil {
			return err
		}
		var before any
		if exists {
			before = cur
		}
		return tx.Audit(audit.Entry{Action: "guest.consent_changed", EntityType: "guest", EntityID: guestID, Before: before, After: out})
	})
	return out, err
}

// eraseConsentsTx deletes a guest's consents inside the anonymisation.
func eraseConsentsTx(tx *tenant.Tx, guestID string) (int, error) {
	res, err := tx.Exec(`DELETE FROM guest_consents WHERE guest_id = ?`, guestID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
