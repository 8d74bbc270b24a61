package guestmail

import (
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// Message statuses.
const (
	StatusQueued   = "queued"   // waiting for its (next) delivery attempt
	StatusSent     = "sent"     // the SMTP server took it
	StatusFailed   = "failed"   // given up after the last retry, or refused for good
	StatusWithheld = "withheld" // not sent: Reason says why
)

// Reasons a message is withheld.
const (
	ReasonNoEmail    = "the guest has no email address"
	ReasonRestricted = "the processing of the guest's data is restricted"
	ReasonErased     = "the guest was anonymised"
	ReasonCancelled  = "the stay was cancelled before it was sent"
)

// Backoff is the wait after each failed attempt; after the last one the
// message is given up (StatusFailed).
var Backoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// MaxAttempts is how often a message is tried before it is given up.
var MaxAttempts = len(Backoff) + 1

// lease is how long a claimed message is kept from other senders while
// its attempt runs.
const lease = 5 * time.Minute

// Message is one message to a guest, opened with the guest's key. Erased
// is set, and the personal fields empty, once the guest was anonymised.
type Message struct {
	ID            string     `json:"id"`
	GuestID       string     `json:"guest_id"`
	ReservationID string     `json:"reservation_id"`
	PropertyID    string     `json:"property_id"`
	Kind          string     `json:"kind"`
	Language      string     `json:"language"`
	Recipient     string     `json:"recipient"`
	Subject       string     `json:"subject"`
	Text          string     `json:"body_text"`
	HTML          string     `json:"body_html"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Erased        bool       `json:"erased,omitempty"`
}

// Mailer sends one email; mailer.SMTP is the real one.
type Mailer interface {
	Send(m mailer.Message) error
}

// sealed columns of guest_messages, in storage order.
var sealedColumns = []string{"recipient", "subject", "body_text", "body_html"}

// candidate is a message owed: a stay, the kind of message and the
// guest it goes to.
type candidate struct{ resID, kind, guestID string }

// Plan queues the messages that are due at every property that sends
// them: a confirmation for each stay booked since sending was turned on
// (confirmed, in house or checked out, not yet departed) to the guest who
// stays and, when someone else booked it, to the booker; the pre-arrival
// message for each confirmed stay arriving within the property's lead, to
// the guest who stays; and a cancellation for each such stay cancelled
// after messages about it were sent, to each of their recipients (see
// candidates). Each message is written from the property's template in
// the recipient's language and sealed under the recipient's key; a
// recipient without an email address or whose processing is restricted
// gets a withheld record instead. It returns how many messages it recorded.
func (s Store) Plan(ctx context.Context) (int, error) {
	n := 0
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT property_id, enabled_at, pre_arrival_days FROM message_settings WHERE enabled = 1 AND enabled_at IS NOT NULL
			ORDER BY property_id`)
		if err != nil {
			return err
		}
		type enabled struct {
			prop, since string
			days        int
		}
		var props []enabled
		for rows.Next() {
			var e enabled
			if err := rows.Scan(&e.prop, &e.since, &e.days); err != nil {
				rows.Close()
				return err
			}
			props = append(props, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range props {
			p, err := inventory.GetProperty(tx, e.prop)
			if err != nil {
				return err
			}
			loc, err := p.Location()
			if err != nil {
				return err
			}
			today := date.Of(tx.Now, loc)
			cands, err := candidates(tx, e.prop, e.since, today, e.days)
			if err != nil {
				return err
			}
			for _, c := range cands {
				if err := s.queueTx(tx, p, c); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// candidates lists the messages a property owes, one per stay, kind and
// recipient: the confirmation goes to the guest who stays and, when
// someone else booked the stay, to the booker too (the booker made the
// booking and may change or cancel it; the guest is the one who travels);
// the pre-arrival message goes to the guest who stays (it is about
// arriving); the cancellation goes to everyone a confirmation or
// pre-arrival message was sent to, so no one who was told about the stay
// turns up for it. Erased guests are left out.
func candidates(tx *tenant.Tx, propertyID, since string, today date.Date, days int) ([]candidate, error) {
	q := `SELECT r.id, 'confirmation', r.guest_id FROM reservations r JOIN guests g ON g.id = r.guest_id
		WHERE r.property_id = ?1 AND r.departure >= ?3 AND r.created_at >= ?2 AND r.status IN ('confirmed', 'in_house', 'checked_out')
		AND g.key_wrapped IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM guest_messages m WHERE m.reservation_id = r.id AND m.kind = 'confirmation' AND m.guest_id = r.guest_id)
	UNION ALL
	SELECT r.id, 'confirmation', b.booker_id FROM reservations r JOIN bookings b ON b.id = r.booking_id JOIN guests g ON g.id = b.booker_id
		WHERE r.property_id = ?1 AND r.departure >= ?3 AND r.created_at >= ?2 AND r.status IN ('confirmed', 'in_house', 'checked_out')
		AND b.booker_id != r.guest_id AND g.key_wrapped IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM guest_messages m WHERE m.reservation_id = r.id AND m.kind = 'confirmation' AND m.guest_id = b.booker_id)
	UNION
	SELECT r.id, 'cancellation', t.guest_id FROM reservations r JOIN guest_messages t ON t.reservation_id = r.id JOIN guests g ON g.id = t.guest_id
		WHERE r.property_id = ?1 AND r.departure >= ?3 AND r.status = 'cancelled' AND r.cancelled_at >= ?2
		AND t.kind IN ('confirmation', 'pre_arrival') AND t.status = 'sent' AND g.key_wrapped IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM guest_messages m WHERE m.reservation_id = r.id AND m.kind = 'cancellation' AND m.guest_id = t.guest_id)`
	args := []any{propertyID, since, today.String()}
	if days > 0 {
		q += `
	UNION ALL
	SELECT r.id, 'pre_arrival', r.guest_id FROM reservations r JOIN guests g ON g.id = r.guest_id
		WHERE r.property_id = ?1 AND r.arrival >= ?3 AND r.arrival <= ?4 AND r.status = 'confirmed' AND r.created_at >= ?2
		AND g.key_wrapped IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM guest_messages m WHERE m.reservation_id = r.id AND m.kind = 'pre_arrival' AND m.guest_id = r.guest_id)`
		args = append(args, today.AddDays(days).String())
	}
	rows, err := tx.Query(q+` ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.resID, &c.kind, &c.guestID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// queueTx writes one message for a stay to its recipient (c.guestID):
// rendered in the recipient's language, greeting the recipient and naming
// the guest who stays, sealed under the recipient's key and queued, or
// withheld with its reason. Audited ("guest.message_queued" or
// "guest.message_withheld" on the guest: ids, kind and status, no
// personal data).
func (s Store) queueTx(tx *tenant.Tx, p inventory.Property, c candidate) error {
	rs, err := stays.QueryReservations(tx, ` WHERE r.id = ?`, c.resID)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return tenant.NotFound("reservation", c.resID)
	}
	r := rs[0]
	g, key, err := stays.New(s.DB).GuestTx(tx, c.guestID)
	if err != nil {
		return err
	}
	staying := g
	if r.GuestID != g.ID {
		if staying, _, err = stays.New(s.DB).GuestTx(tx, r.GuestID); err != nil {
			return err
		}
	}
	id := aura.NewOrderedID("msg")
	now := tenant.FormatTime(tx.Now)
	status, reason := StatusQueued, ""
	switch {
	case g.Erased || key == nil:
		return nil // no one to write to; the candidates query leaves them out
	case g.RestrictedAt != nil:
		status, reason = StatusWithheld, ReasonRestricted
	case g.Email == "":
		status, reason = StatusWithheld, ReasonNoEmail
	}
	t, err := pickTemplate(tx, p.ID, c.kind, g.Language)
	if err != nil {
		return err
	}
	cols := make([]any, len(sealedColumns))
	var next any
	if status == StatusQueued {
		comp, fe := compile(t)
		if len(fe) > 0 {
			// A stored template always parsed when it was saved; fall back
			// to the built-in wording rather than not writing at all.
			t = builtin(c.kind, t.Language)
			comp, _ = compile(t)
		}
		rt, err := inventory.GetRoomType(tx, r.RoomTypeID)
		if err != nil {
			return err
		}
		data := dataOf(p, g, staying, r, rt)
		out, fe := comp.render(data)
		if len(fe) > 0 {
			t = builtin(c.kind, t.Language)
			comp, _ = compile(t)
			out, _ = comp.render(data)
		}
		for i, v := range []string{g.Email, out.Subject, out.Text, out.HTML} {
			cols[i] = key.Seal("guest_messages", sealedColumns[i], id, []byte(v))
		}
		next = now
	}
	if _, err := tx.Exec(`INSERT INTO guest_messages (id, guest_id, reservation_id, property_id, kind, language, recipient, subject, body_text,
		body_html, status, reason, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
		id, g.ID, r.ID, p.ID, c.kind, t.Language, cols[0], cols[1], cols[2], cols[3], status, reason, next, now, now); err != nil {
		return err
	}
	action := "guest.message_queued"
	if status == StatusWithheld {
		action = "guest.message_withheld"
	}
	return tx.Audit(audit.Entry{Action: action, EntityType: "guest", EntityID: g.ID,
		After: map[string]any{"message_id": id, "reservation_id": r.ID, "kind": c.kind, "language": t.Language, "status": status, "reason": reason}})
}

// dataOf is what a template sees of a stay written to recipient g;
// staying is the guest who stays (g itself, or the guest a booker booked
// for). The staying guest's name is left empty when that guest's
// processing is restricted or the guest was anonymised.
func dataOf(p inventory.Property, g, staying stays.Guest, r stays.Reservation, rt inventory.RoomType) Data {
	st := locale.Of(p.Address.Country)
	guestName := staying.Name()
	if staying.Erased || staying.RestrictedAt != nil {
		guestName = ""
	}
	return Data{
		Guest:    GuestData{Name: g.Name(), GivenName: g.GivenName, FamilyName: g.FamilyName},
		Property: propertyData(p),
		Stay: StayData{Reference: r.ID, Guest: guestName, Arrival: st.Day(r.Arrival), Departure: st.Day(r.Departure), Dates: p.Stay(r.Arrival, r.Departure),
			Nights: r.Departure.Sub(r.Arrival), Adults: r.Adults, Children: r.Children, RoomType: rt.Name, Total: p.Amount(r.Total.Amount)},
	}
}

// claimed is a message taken for one delivery attempt.
type claimed struct {
	id, guestID, kind, resID string
	attempts                 int
	mail                     mailer.Message
}

// Delivery counts what one Deliver run did.
type Delivery struct {
	Sent     int `json:"sent"`
	Retrying int `json:"retrying"`
	Failed   int `json:"failed"`
	Withheld int `json:"withheld"`
}

// Deliver tries every queued message that is due (at most 100 a run)
// through m: sent ones are marked sent; a refused or unreachable server
// puts the message back with the next wait of Backoff, or gives it up
// after MaxAttempts (the error is kept sealed under the guest's key). A
// message whose guest became restricted or was anonymised, or whose stay
// was cancelled before a confirmation or pre-arrival message went, is
// withheld instead. Each outcome is audited on the guest
// ("guest.message_sent", "guest.message_retry", "guest.message_failed",
// "guest.message_withheld").
func (s Store) Deliver(ctx context.Context, m Mailer) (Delivery, error) {
	var out Delivery
	var todo []claimed
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT m.id, m.guest_id, m.kind, m.reservation_id, m.attempts, m.recipient, m.subject, m.body_text, m.body_html,
			r.status FROM guest_messages m JOIN reservations r ON r.id = m.reservation_id
			WHERE m.status = 'queued' AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at, m.id LIMIT 100`, tenant.FormatTime(tx.Now))
		if err != nil {
			return err
		}
		type row struct {
			c         claimed
			sealed    [][]byte
			resStatus string
		}
		var due []row
		for rows.Next() {
			var x row
			x.sealed = make([][]byte, 4)
			if err := rows.Scan(&x.c.id, &x.c.guestID, &x.c.kind, &x.c.resID, &x.c.attempts, &x.sealed[0], &x.sealed[1], &x.sealed[2], &x.sealed[3],
				&x.resStatus); err != nil {
				rows.Close()
				return err
			}
			due = append(due, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range due {
			g, key, err := stays.New(s.DB).GuestTx(tx, x.c.guestID)
			if err != nil {
				return err
			}
			reason := ""
			switch {
			case g.Erased || key == nil:
				reason = ReasonErased
			case g.RestrictedAt != nil:
				reason = ReasonRestricted
			case x.c.kind != KindCancellation && (x.resStatus == stays.ReservationCancelled || x.resStatus == stays.ReservationNoShow):
				reason = ReasonCancelled
			}
			if reason != "" {
				if err := finishTx(tx, x.c, StatusWithheld, reason, nil, nil); err != nil {
					return err
				}
				out.Withheld++
				continue
			}
			pt := make([]string, 4)
			for i, col := range sealedColumns {
				b, err := key.Unseal("guest_messages", col, x.c.id, x.sealed[i])
				if err != nil {
					return err
				}
				pt[i] = string(b)
			}
			x.c.mail = mailer.Message{To: pt[0], Subject: pt[1], Text: pt[2], HTML: pt[3]}
			tx.Unaudited("a delivery attempt's lease; its outcome is audited")
			if _, err := tx.Exec(`UPDATE guest_messages SET next_attempt_at = ?, updated_at = ? WHERE id = ?`,
				tenant.FormatTime(tx.Now.Add(lease)), tenant.FormatTime(tx.Now), x.c.id); err != nil {
				return err
			}
			todo = append(todo, x.c)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, c := range todo {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		sendErr := m.Send(c.mail)
		err := s.Update(ctx, func(tx *tenant.Tx) error {
			c.attempts++
			if sendErr == nil {
				out.Sent++
				return finishTx(tx, c, StatusSent, "", nil, nil)
			}
			_, key, err := stays.New(s.DB).GuestTx(tx, c.guestID)
			if err != nil {
				return err
			}
			var sealedErr []byte
			if key != nil {
				sealedErr = key.Seal("guest_messages", "last_error", c.id, []byte(aura.ErrorMessage(sendErr)))
			}
			if c.attempts >= MaxAttempts || aura.ErrorCode(sendErr) == aura.EINVALID {
				out.Failed++
				return finishTx(tx, c, StatusFailed, "", sealedErr, nil)
			}
			out.Retrying++
			next := tx.Now.Add(Backoff[min(c.attempts, len(Backoff))-1])
			return finishTx(tx, c, StatusQueued, "", sealedErr, &next)
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// finishTx records the outcome of an attempt (or a withholding) and
// audits it.
func finishTx(tx *tenant.Tx, c claimed, status, reason string, sealedErr []byte, next *time.Time) error {
	now := tenant.FormatTime(tx.Now)
	var nextAt, sentAt, lastErr any
	if next != nil {
		nextAt = tenant.FormatTime(*next)
	}
	if status == StatusSent {
		sentAt = now
	}
	if sealedErr != nil {
		lastErr = sealedErr
	}
	if _, err := tx.Exec(`UPDATE guest_messages SET status = ?, reason = ?, attempts = ?, next_attempt_at = ?, sent_at = COALESCE(?, sent_at),
		last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?`, status, reason, c.attempts, nextAt, sentAt, lastErr, now, c.id); err != nil {
		return err
	}
	action := map[string]string{StatusSent: "guest.message_sent", StatusQueued: "guest.message_retry", StatusFailed: "guest.message_failed",
		StatusWithheld: "guest.message_withheld"}[status]
	after := map[string]any{"message_id": c.id, "reservation_id": c.resID, "kind": c.kind, "status": status, "attempts": c.attempts}
	if reason != "" {
		after["reason"] = reason
	}
	if nextAt != nil {
		after["next_attempt_at"] = nextAt
	}
	return tx.Audit(audit.Entry{Action: action, EntityType: "guest", EntityID: c.guestID, After: after})
}

// NextDue says when the job should next run for this tenant: in a minute
// while a property sends messages (new bookings are picked up within
// it), else at the earliest queued message's next attempt; ok is false
// when there is nothing to do.
func (s Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM message_settings WHERE enabled = 1`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			at, ok = tx.Now.Add(time.Minute), true
			return nil
		}
		var next sql.NullString
		if err := tx.QueryRow(`SELECT min(next_attempt_at) FROM guest_messages WHERE status = 'queued'`).Scan(&next); err != nil {
			return err
		}
		if next.Valid {
			at, ok = tenant.ParseTime(next.String), true
		}
		return nil
	})
	return at, ok, err
}

const messageSelect = `SELECT id, guest_id, reservation_id, property_id, kind, language, recipient, subject, body_text, body_html, status, reason,
	attempts, next_attempt_at, last_error, sent_at, created_at, updated_at FROM guest_messages`

// GuestMessages returns every message to a guest, newest first, opened
// with the guest's key. It returns ENOTFOUND for an unknown guest.
func (s Store) GuestMessages(ctx context.Context, guestID string) ([]Message, error) {
	var out []Message
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = s.GuestMessagesTx(tx, guestID)
		return err
	})
	return out, err
}

// GuestMessagesTx is GuestMessages inside the caller's transaction.
func (s Store) GuestMessagesTx(tx *tenant.Tx, guestID string) ([]Message, error) {
	_, key, err := stays.New(s.DB).GuestTx(tx, guestID)
	if err != nil {
		return nil, err
	}
	return scanMessages(tx, key, ` WHERE guest_id = ? ORDER BY created_at DESC, rowid DESC`, guestID)
}

// ReservationMessages returns the messages about a stay, newest first.
// Those to a restricted guest are left out unless ctx is marked by
// stays.WithRestricted (the read then noted for the audit).
func (s Store) ReservationMessages(ctx context.Context, reservationID string) ([]Message, error) {
	out := []Message{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var guestID string
		err := tx.QueryRow(`SELECT guest_id FROM reservations WHERE id = ?`, reservationID).Scan(&guestID)
		if err == sql.ErrNoRows {
			return tenant.NotFound("reservation", reservationID)
		} else if err != nil {
			return err
		}
		keys := map[string]*tenant.SubjectKey{}
		rows, err := tx.Query(`SELECT DISTINCT guest_id FROM guest_messages WHERE reservation_id = ?`, reservationID)
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
		sees := stays.SeesRestricted(ctx)
		shown := ids[:0]
		for _, id := range ids {
			g, k, err := stays.New(s.DB).GuestTx(tx, id)
			if err != nil {
				return err
			}
			if g.RestrictedAt != nil && !sees {
				// A restricted recipient's messages (the booker's, when
				// the guest who stays is not restricted) are left out.
				continue
			} else if g.RestrictedAt != nil {
				stays.NoteRestrictedRead(ctx, id)
			}
			keys[id] = k
			shown = append(shown, id)
		}
		for _, id := range shown {
			ms, err := scanMessages(tx, keys[id], ` WHERE reservation_id = ? AND guest_id = ? ORDER BY created_at DESC, rowid DESC`, reservationID, id)
			if err != nil {
				return err
			}
			out = append(out, ms...)
		}
		return nil
	})
	return out, err
}

// scanMessages reads messages and opens them with key (nil: erased).
func scanMessages(tx *tenant.Tx, key *tenant.SubjectKey, tail string, args ...any) ([]Message, error) {
	rows, err := tx.Query(messageSelect+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		sealed := make([][]byte, 4)
		var lastErr []byte
		var next, sent sql.NullString
		var created, updated string
		if err := rows.Scan(&m.ID, &m.GuestID, &m.ReservationID, &m.PropertyID, &m.Kind, &m.Language, &sealed[0], &sealed[1], &sealed[2], &sealed[3],
			&m.Status, &m.Reason, &m.Attempts, &next, &lastErr, &sent, &created, &updated); err != nil {
			return nil, err
		}
		m.NextAttemptAt, m.SentAt = tenant.ParseNullTime(next), tenant.ParseNullTime(sent)
		m.CreatedAt, m.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
		if key == nil {
			m.Erased = true
			out = append(out, m)
			continue
		}
		pt := make([]string, 4)
		for i, col := range sealedColumns {
			if sealed[i] == nil {
				continue
			}
			b, err := key.Unseal("guest_messages", col, m.ID, sealed[i])
			if err != nil {
				return nil, err
			}
			pt[i] = string(b)
		}
		m.Recipient, m.Subject, m.Text, m.HTML = pt[0], pt[1], pt[2], pt[3]
		if lastErr != nil {
			b, err := key.Unseal("guest_messages", "last_error", m.ID, lastErr)
			if err != nil {
				return nil, err
			}
			m.LastError = string(b)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EraseGuestMessagesTx blanks every sealed field of a guest's messages
// inside the caller's anonymisation transaction (secure_delete on there):
// recipient, subject, bodies and errors go, and a message still queued is
// withheld. Kind, status and times stay. It returns how many messages it
// blanked.
func EraseGuestMessagesTx(tx *tenant.Tx, guestID string) (int, error) {
	res, err := tx.Exec(`UPDATE guest_messages SET recipient = NULL, subject = NULL, body_text = NULL, body_html = NULL, last_error = NULL,
		status = CASE status WHEN 'queued' THEN 'withheld' ELSE status END,
		reason = CASE status WHEN 'queued' THEN ? ELSE reason END,
		next_attempt_at = NULL, updated_at = ? WHERE guest_id = ?`, ReasonErased, tenant.FormatTime(tx.Now), guestID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EraseStayMessagesTx blanks the subject and bodies of the messages sent
// to other people (a booker) about the stays of a guest being anonymised,
// inside the caller's transaction (secure_delete on there): they name the
// guest and are sealed under the recipient's key, which the anonymisation
// does not destroy. The recipient, kind, status and times stay, and a
// message still queued is withheld. It returns how many it blanked.
func EraseStayMessagesTx(tx *tenant.Tx, guestID string) (int, error) {
	res, err := tx.Exec(`UPDATE guest_messages SET subject = NULL, body_text = NULL, body_html = NULL,
		status = CASE status WHEN 'queued' THEN 'withheld' ELSE status END,
		reason = CASE status WHEN 'queued' THEN ?1 ELSE reason END,
		next_attempt_at = CASE status WHEN 'queued' THEN NULL ELSE next_attempt_at END, updated_at = ?2
		WHERE guest_id != ?3 AND reservation_id IN (SELECT id FROM reservations WHERE guest_id = ?3)
		AND (subject IS NOT NULL OR body_text IS NOT NULL OR body_html IS NOT NULL)`, ReasonErased, tenant.FormatTime(tx.Now), guestID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
