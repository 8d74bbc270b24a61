package frontdesk

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The night audit.
//
// A property's business date D closes at its NightAuditTime (local, before
// noon) on the calendar day after D, in the property's zone: with the
// default 03:00, a guest arriving at 01:30 still checks in on D. Closing D:
//
//   - every confirmed reservation due to arrive on D or earlier and not
//     checked in becomes a no-show with its rate plan's no-show fee (one
//     "reservation.no_show" audit row each), its nights back in stock;
//   - every tentative reservation due to arrive on D or earlier is
//     cancelled, free of charge as any tentative cancellation: a hold the
//     guest never confirmed lapses at its arrival date and stops blocking
//     stock (one "reservation.cancelled" row each);
//   - guests still in house after their departure date are counted
//     (Overdue) for the desk, never checked out automatically;
//   - the nights then on the books for the year ahead are recorded per
//     rate plan for the pace report (writeOnBooks; not when closing late);
//   - a business_dates row and one "night_audit.closed" audit row record it.
//
// RunNightAudit closes, in order and one transaction each, every date
// whose roll time has passed since the last one it closed, so a server
// that was down over the roll hour catches up (several days if need be).
// Each transaction re-reads the last date closed under the write lock, so
// a second run, or two runs at once, never close a date twice. The first
// run at a property starts at the business date of its creation, or 31
// days back at most.

// firstRunLookBack bounds how far back the first night audit of a property
// starts (no-shows before that are still caught: closing a date handles
// every earlier arrival too).
const firstRunLookBack = 31

// BusinessDay is the business date of a property as the top bar shows it.
type BusinessDay struct {
	PropertyID string `json:"property_id"`
	// Date is the business date open now, the "today" of every rule and
	// list (PropertyToday): the date the clock gives (the calendar date,
	// or the day before until the roll time), held back to the day after
	// the last date closed while the night audit is late.
	Date date.Date `json:"date"`
	// CalendarDate is the calendar date in the property's zone now; it
	// differs from Date after midnight until the night audit closes Date.
	CalendarDate date.Date `json:"calendar_date"`
	// LastClosed is the last business date the night audit closed and
	// LastClosedAt when it did (both null before the first run).
	LastClosed   *date.Date `json:"last_closed"`
	LastClosedAt *time.Time `json:"last_closed_at"`
	// NextRollAt is when Date is due to close.
	NextRollAt time.Time `json:"next_roll_at"`
	// Behind counts the business dates due to close that are not closed
	// yet: more than zero means the night audit is late (the server was
	// down, or the audit has not run since the roll time).
	Behind int `json:"behind"`
}

// ClosedBusinessDate is one business date closed by the night audit.
type ClosedBusinessDate struct {
	PropertyID string    `json:"property_id"`
	Date       date.Date `json:"date"`
	RollAt     time.Time `json:"roll_at"`   // when it was due to close
	ClosedAt   time.Time `json:"closed_at"` // when it closed
	NoShows    []string  `json:"no_shows"`  // reservations marked no-show
	Cancelled  []string  `json:"cancelled"` // tentative reservations cancelled
	Overdue    int       `json:"overdue"`   // guests in house past their departure at closing
	Posted     int       `json:"posted"`    // nights posted to the folios (see Poster)
}

// NightAuditResult is what one run of the night audit did at a property.
type NightAuditResult struct {
	PropertyID   string               `json:"property_id"`
	Closed       []ClosedBusinessDate `json:"closed"`
	BusinessDate date.Date            `json:"business_date"` // open after the run
}

// auditState is where the night audit of a property stands.
type auditState struct {
	prop         inventory.Property
	loc          *time.Location
	last         date.Date // zero before the first run
	lastClosedAt *time.Time
	next         date.Date // the next date to close
}

func loadAuditState(tx *tenant.Tx, propertyID string) (auditState, error) {
	var st auditState
	var err error
	if st.prop, err = inventory.GetProperty(tx, propertyID); err != nil {
		return st, err
	}
	if st.loc, err = st.prop.Location(); err != nil {
		return st, err
	}
	var closedAt string
	err = tx.QueryRow(`SELECT business_date, closed_at FROM business_dates WHERE property_id = ? ORDER BY business_date DESC LIMIT 1`,
		propertyID).Scan(&st.last, &closedAt)
	switch {
	case err == nil:
		t := tenant.ParseTime(closedAt)
		st.lastClosedAt = &t
		st.next = st.last.AddDays(1)
	case err == sql.ErrNoRows:
		st.next = st.prop.BusinessDateAt(st.prop.CreatedAt, st.loc)
		if floor := st.prop.BusinessDateAt(tx.Now, st.loc).AddDays(-firstRunLookBack); st.next.Before(floor) {
			st.next = floor
		}
	default:
		return st, err
	}
	return st, nil
}

// due reports whether the next date's roll time has passed at now.
func (st auditState) due(now time.Time) bool { return !now.Before(st.prop.RollAt(st.next, st.loc)) }

// BusinessDate returns the business date of a property, when it next rolls
// over, and whether the night audit is behind. It returns ENOTFOUND for an
// unknown property.
func (db Store) BusinessDate(ctx context.Context, propertyID string) (BusinessDay, error) {
	var bd BusinessDay
	err := db.View(ctx, func(tx *tenant.Tx) error {
		st, err := loadAuditState(tx, propertyID)
		if err != nil {
			return err
		}
		bd = BusinessDay{PropertyID: propertyID, LastClosedAt: st.lastClosedAt, CalendarDate: date.Of(tx.Now, st.loc)}
		if !st.last.IsZero() {
			last := st.last
			bd.LastClosed = &last
		}
		if bd.Date, err = st.prop.Today(tx); err != nil {
			return err
		}
		// Due and not closed: every date from the next one to close up to
		// the one the clock has opened (before the first run, from the
		// date the first run will start at).
		if clock := st.prop.BusinessDateAt(tx.Now, st.loc); clock.After(st.next) {
			bd.Behind = clock.Sub(st.next)
		}
		bd.NextRollAt = st.prop.RollAt(bd.Date, st.loc)
		return nil
	})
	return bd, err
}

// RunNightAudit closes every business date of a property whose roll time
// has passed (see the rules above), one transaction per date, and returns
// what it closed (nothing when nothing was due). It is idempotent and safe
// to run concurrently. Run it every few minutes per tenant and on start
// (RunNightAudits does every property; NextNightAudit says when the next
// date falls due). It returns ENOTFOUND for an unknown property.
func (db Store) RunNightAudit(ctx context.Context, propertyID string) (NightAuditResult, error) {
	ctx = jobContext(ctx, "night-audit")
	res := NightAuditResult{PropertyID: propertyID, Closed: []ClosedBusinessDate{}}
	for {
		var st auditState
		var due bool
		// A read first, so a property with nothing due never takes the write lock.
		if err := db.View(ctx, func(tx *tenant.Tx) error {
			var err error
			st, err = loadAuditState(tx, propertyID)
			due = err == nil && st.due(tx.Now)
			return err
		}); err != nil {
			return res, err
		}
		res.BusinessDate = st.next
		if !due {
			return res, nil
		}
		var closed *ClosedBusinessDate
		err := db.Update(ctx, func(tx *tenant.Tx) error {
			st, err := loadAuditState(tx, propertyID)
			if err != nil || !st.due(tx.Now) {
				return err
			}
			c, err := db.closeBusinessDate(tx, st)
			closed = &c
			return err
		})
		if err != nil {
			return res, err
		}
		if closed == nil {
			continue // another run closed it meanwhile; look again
		}
		res.Closed = append(res.Closed, *closed)
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
}

// closeBusinessDate closes st.next (its roll time has passed).
func (db Store) closeBusinessDate(tx *tenant.Tx, st auditState) (ClosedBusinessDate, error) {
	d := st.next
	c := ClosedBusinessDate{PropertyID: st.prop.ID, Date: d, RollAt: st.prop.RollAt(d, st.loc), ClosedAt: tx.Now,
		NoShows: []string{}, Cancelled: []string{}}
	ids := func(status string) ([]string, error) {
		rows, err := tx.Query(`SELECT id FROM reservations INDEXED BY reservations_status
			WHERE property_id = ? AND status = ? AND arrival <= ? ORDER BY arrival, id`,
			st.prop.ID, status, d)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	why := map[string]any{"night_audit": map[string]any{"business_date": d}}
	confirmed, err := ids(stays.ReservationConfirmed)
	if err != nil {
		return c, err
	}
	for _, id := range confirmed {
		rc, err := stays.New(db.DB).LoadResCtx(tx, id, 0)
		if err != nil {
			return c, err
		}
		if err := stays.MarkNoShow(tx, &rc, stays.NoShowInput{}, copyMap(why)); err != nil {
			return c, err
		}
		c.NoShows = append(c.NoShows, id)
	}
	tentative, err := ids(stays.ReservationTentative)
	if err != nil {
		return c, err
	}
	for _, id := range tentative {
		rc, err := stays.New(db.DB).LoadResCtx(tx, id, 0)
		if err != nil {
			return c, err
		}
		if err := stays.Cancel(tx, &rc, stays.CancelInput{}, copyMap(why)); err != nil {
			return c, err
		}
		c.Cancelled = append(c.Cancelled, id)
	}
	if err := tx.QueryRow(`SELECT count(*) FROM reservations INDEXED BY reservations_status
		WHERE property_id = ? AND status = 'in_house' AND departure <= ?`,
		st.prop.ID, d).Scan(&c.Overdue); err != nil {
		return c, err
	}
	if c.Posted, err = stays.New(db.DB).PostNights(tx, st.prop, d); err != nil {
		return c, err
	}
	if err := writeOnBooks(tx, st); err != nil {
		return c, err
	}
	if _, err := tx.Exec(`INSERT INTO business_dates (property_id, business_date, roll_at, closed_at, no_shows, cancelled, overdue)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, st.prop.ID, d, tenant.FormatTime(c.RollAt), tenant.FormatTime(tx.Now), tenant.MustJSON(c.NoShows), tenant.MustJSON(c.Cancelled),
		c.Overdue); err != nil {
		return c, err
	}
	return c, tx.Audit(audit.Entry{Action: "night_audit.closed", EntityType: "property", EntityID: st.prop.ID,
		Before: map[string]any{"business_date": d}, After: map[string]any{"business_date": d.AddDays(1), "closed": c}})
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RunNightAudits runs the night audit of every property of the tenant and
// returns what it did at each. It stops at the first error (internal).
func (db Store) RunNightAudits(ctx context.Context) ([]NightAuditResult, error) {
	props, err := inventory.New(db.DB).ListProperties(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NightAuditResult, 0, len(props))
	for _, p := range props {
		r, err := db.RunNightAudit(ctx, p.ID)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// NextNightAudit returns the earliest time a business date of one of the
// tenant's properties is due to close (in the past when the night audit is
// late; ok false when the tenant has no property), so a scheduler can
// sleep until then without opening the file. Errors are internal.
func (db Store) NextNightAudit(ctx context.Context) (next time.Time, ok bool, err error) {
	err = db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT id FROM properties ORDER BY id`)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			st, err := loadAuditState(tx, id)
			if err != nil {
				return err
			}
			if at := st.prop.RollAt(st.next, st.loc); !ok || at.Before(next) {
				next, ok = at, true
			}
		}
		return nil
	})
	return next, ok, err
}

// NightAuditHistory returns the last business dates the night audit closed
// at a property, newest first (limit: default 30, at most 366). It
// returns ENOTFOUND for an unknown property.
func (db Store) NightAuditHistory(ctx context.Context, propertyID string, limit int) ([]ClosedBusinessDate, error) {
	if limit <= 0 {
		limit = 30
	}
	limit = min(limit, tenant.MaxRange)
	out := []ClosedBusinessDate{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, propertyID); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT business_date, roll_at, closed_at, no_shows, cancelled, overdue FROM business_dates
			WHERE property_id = ? ORDER BY business_date DESC LIMIT ?`, propertyID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := ClosedBusinessDate{PropertyID: propertyID}
			var roll, closed, noShows, cancelled string
			if err := rows.Scan(&c.Date, &roll, &closed, &noShows, &cancelled, &c.Overdue); err != nil {
				return err
			}
			c.RollAt, c.ClosedAt = tenant.ParseTime(roll), tenant.ParseTime(closed)
			if err := json.Unmarshal([]byte(noShows), &c.NoShows); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(cancelled), &c.Cancelled); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}
