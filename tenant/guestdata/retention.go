package guestdata

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// MaxAnonymiseAfterYears bounds a property's retention schedule.
const MaxAnonymiseAfterYears = 30

// SetRetention sets how many years after a guest's last stay at the
// property the retention job anonymises the guest (0: never, the
// default). A guest with stays at several properties is anonymised only
// once every one of them has a schedule and each has run out. Audited
// ("guest_retention.set"). It returns EINVALID for years out of 0–30 and
// ENOTFOUND for an unknown property.
func (s Store) SetRetention(ctx context.Context, propertyID string, years int) error {
	if years < 0 || years > MaxAnonymiseAfterYears {
		return aura.Invalid("Anonymise after 0 (never) to 30 years.", aura.FieldError{Field: "anonymise_after_years", Message: "must be 0 to 30"})
	}
	return s.Update(ctx, func(tx *tenant.Tx) error {
		return setRetention(tx, "anonymise_after_years", propertyID, years, "guest_retention.set")
	})
}

// setRetention sets one column of a property's retention schedule
// (anonymise_after_years or registration_months, the other kept, 0 on a
// new row) and writes the audit row action with the column's earlier and
// new value. It returns ENOTFOUND for an unknown property; the callers
// check the value's range.
func setRetention(tx *tenant.Tx, column, propertyID string, value int, action string) error {
	var years, months int
	switch column {
	case "anonymise_after_years":
		years = value
	case "registration_months":
		months = value
	default:
		return aura.Errorf(aura.EINTERNAL, "guestdata: no retention column %q", column)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM properties WHERE id = ?`, propertyID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return tenant.NotFound("property", propertyID)
	}
	var before sql.NullInt64
	if err := tx.QueryRow(`SELECT `+column+` FROM guest_retention WHERE property_id = ?`, propertyID).Scan(&before); err != nil && err != sql.ErrNoRows {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO guest_retention (property_id, anonymise_after_years, registration_months, version, updated_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (property_id) DO UPDATE SET `+column+` = excluded.`+column+`, version = version + 1, updated_at = excluded.updated_at`,
		propertyID, years, months, tenant.FormatTime(tx.Now)); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: action, EntityType: "property", EntityID: propertyID,
		Before: map[string]any{column: before.Int64}, After: map[string]any{column: value}})
}

// Retention returns each property's schedule (years; absent: 0, off).
func (s Store) Retention(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT property_id, anonymise_after_years FROM guest_retention`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			out[id] = n
		}
		return rows.Err()
	})
	return out, err
}

// DueGuest is a guest the retention schedules anonymise: the end of the
// guest's last stay and the day the guest falls due.
type DueGuest struct {
	GuestID       string    `json:"guest_id"`
	LastDeparture date.Date `json:"last_departure"`
	DueOn         date.Date `json:"due_on"`
}

// RetentionDryRun lists every guest not yet anonymised that the
// schedules will anonymise, soonest first, with when: those due on or
// before today first (the next run takes them, unless a stay is in house
// or a folio open then). It unseals nothing and writes nothing: one
// query over the stays of every guest (as staying guest or booker).
func (s Store) RetentionDryRun(ctx context.Context) ([]DueGuest, error) {
	out, _, err := s.dueGuests(ctx)
	return out, err
}

// dueGuests is RetentionDryRun, with today's UTC date on the store's clock
// read in the same transaction.
func (s Store) dueGuests(ctx context.Context) ([]DueGuest, date.Date, error) {
	out := []DueGuest{}
	var today date.Date
	err := s.View(ctx, func(tx *tenant.Tx) error {
		today = date.Of(tx.Now, time.UTC)
		rows, err := tx.Query(`WITH stays (guest, property, departure) AS (
				SELECT guest_id, property_id, departure FROM reservations
				UNION ALL SELECT b.booker_id, r.property_id, r.departure FROM bookings b JOIN reservations r ON r.booking_id = b.id WHERE r.guest_id != b.booker_id),
			last (guest, property, departure) AS (SELECT guest, property, max(departure) FROM stays GROUP BY guest, property)
			SELECT l.guest, max(l.departure), max(date(l.departure, '+' || coalesce(gr.anonymise_after_years, 0) || ' years')),
				min(coalesce(gr.anonymise_after_years, 0))
			FROM last l JOIN guests g ON g.id = l.guest AND g.key_wrapped IS NOT NULL
			LEFT JOIN guest_retention gr ON gr.property_id = l.property
			GROUP BY l.guest HAVING min(coalesce(gr.anonymise_after_years, 0)) > 0
			ORDER BY 3, 1`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DueGuest
			var last, due string
			var years int
			if err := rows.Scan(&d.GuestID, &last, &due, &years); err != nil {
				return err
			}
			var err error
			if d.LastDeparture, err = date.Parse(last); err != nil {
				return err
			}
			if d.DueOn, err = date.Parse(due); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, today, err
}

// RetentionResult is what one retention run did.
type RetentionResult struct {
	Anonymised int               `json:"anonymised"`
	Refused    map[string]string `json:"refused"` // guest id → why (a stay in house, an open balance)
}

// RunRetention anonymises every guest due on or before today, a UTC day
// (when zero, today's UTC date on the store's clock, the clock its
// transactions are stamped with; see RetentionDryRun), each in its own
// transaction (Erase), and audits the run ("guest_retention.run": the day,
// counts and the refused guests). A guest refused now (in house, open
// balance) is tried again at the next run.
func (s Store) RunRetention(ctx context.Context, today date.Date) (RetentionResult, error) {
	if aura.ActorFrom(ctx).ID == "unknown" {
		ctx = aura.WithActor(ctx, aura.SystemActor("guest-retention"))
	}
	res := RetentionResult{Refused: map[string]string{}}
	due, storeToday, err := s.dueGuests(ctx)
	if err != nil {
		return res, err
	}
	if today.IsZero() {
		today = storeToday
	}
	ran := false
	for _, d := range due {
		if d.DueOn.After(today) {
			break
		}
		ran = true
		if _, err := s.Erase(ctx, d.GuestID, 0); aura.ErrorCode(err) == aura.ECONFLICT {
			res.Refused[d.GuestID] = aura.ErrorMessage(err)
		} else if err != nil {
			return res, err
		} else {
			res.Anonymised++
		}
	}
	if !ran {
		return res, nil
	}
	err = s.Update(ctx, func(tx *tenant.Tx) error {
		return tx.Audit(audit.Entry{Action: "guest_retention.run", EntityType: "tenant", EntityID: s.ID,
			After: map[string]any{"today": today, "anonymised": res.Anonymised, "refused": res.Refused}})
	})
	return res, err
}
