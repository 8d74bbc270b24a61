package reports

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// Kinds of statements. Each kind is one numbering series, gapless per
// property and year: a channel's statements are ST-YYYY-NNNNNN, an
// owner's OS-YYYY-NNNNNN.
const (
	StatementKindOTA   = "ota"
	StatementKindOwner = "owner"
)

// statementSeries maps a kind to the prefix of its numbers.
var statementSeries = map[string]string{StatementKindOTA: "ST", StatementKindOwner: "OS"}

// StatementInput asks for a statement over [From, To): with Kind "ota"
// (the default) the statement of one channel (a booking source, e.g.
// booking_com) over check-out dates; with Kind "owner" the statement of
// one owner (OwnerID) over the nights of the period (see
// OwnerStatement).
type StatementInput struct {
	PropertyID string    `json:"property_id"`
	Kind       string    `json:"kind,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	OwnerID    string    `json:"owner_id,omitempty"`
	From       date.Date `json:"from"`
	To         date.Date `json:"to"`
}

// StatementLine is one booking of a statement: a booking of the channel
// whose last check-out (the latest departure of its reservations) falls
// in the period. Lines are ordered by check-out, then by the channel's code.
//
//   - Room: its posted room-night lines less allowances; Fees: its posted
//     cancellation and no-show fees less allowances (cancelled and no-show
//     reservations count only by these).
//   - Commission: the commission stored on the booking (the amount the
//     channel states), owed when the booking has posted room revenue or a
//     fee; a booking cancelled without a fee owes none and is listed with
//     zero.
type StatementLine struct {
	BookingID    string    `json:"booking_id"`
	OTACode      string    `json:"ota_code,omitempty"`
	CheckOut     date.Date `json:"check_out"`
	Reservations int       `json:"reservations"`
	Nights       int       `json:"nights"` // posted room nights
	Room         Amount    `json:"room_revenue"`
	Fees         Amount    `json:"fees"`
	Commission   int64     `json:"commission"`
}

// StatementTotals sums a statement's lines.
type StatementTotals struct {
	Bookings   int    `json:"bookings"`
	Nights     int    `json:"nights"`
	Room       Amount `json:"room_revenue"`
	Fees       Amount `json:"fees"`
	Commission int64  `json:"commission"`
}

// Statement is a generated statement: immutable once stored, numbered
// gapless per property, series and year (ST-YYYY-NNNNNN for a channel,
// OS-YYYY-NNNNNN for an owner), its body hashed and the hash recorded in
// the audit row "statement.generated". A channel's statement has Channel,
// Lines and Totals; an owner's has OwnerID and Owner (its Lines are
// empty).
type Statement struct {
	ID          string          `json:"id"`
	PropertyID  string          `json:"property_id"`
	Kind        string          `json:"kind"`
	Number      string          `json:"number"`
	Channel     string          `json:"channel"`
	OwnerID     string          `json:"owner_id,omitempty"`
	From        date.Date       `json:"from"`
	To          date.Date       `json:"to"`
	Currency    string          `json:"currency"`
	Lines       []StatementLine `json:"lines"`
	Totals      StatementTotals `json:"totals"`
	Owner       *OwnerFigures   `json:"owner_statement,omitempty"`
	GeneratedAt time.Time       `json:"generated_at"`
	GeneratedBy string          `json:"generated_by"`
	Hash        string          `json:"hash"` // hex SHA-256 of the stored body
	// Existing is set when GenerateStatement found the same statement
	// (channel, period, lines and totals) already generated and returned
	// it instead of a new number; it is not stored.
	Existing bool `json:"existing,omitempty"`
}

// statementBody is the frozen part of a statement stored as JSON.
type statementBody struct {
	Lines       []StatementLine `json:"lines"`
	Totals      StatementTotals `json:"totals"`
	Owner       *OwnerFigures   `json:"owner,omitempty"`
	GeneratedBy string          `json:"generated_by"`
}

// GenerateStatement computes a statement (a channel's, or with Kind
// "owner" an owner's: see OwnerStatement) from the stored bookings, nights
// and posted lines, stores it with the next number of its series and
// writes the audit row "statement.generated" (with its number, period and
// hash) in the same transaction. Generating it again while its figures
// are the same returns the stored statement (Existing set, no new number,
// no audit row); once a posting changed them, it is a new statement.
// Errors: EINVALID for an unknown kind, a missing channel or owner or a
// bad period, ENOTFOUND for an unknown property.
func (s Store) GenerateStatement(ctx context.Context, in StatementInput) (Statement, error) {
	in.Channel, in.OwnerID = strings.TrimSpace(in.Channel), strings.TrimSpace(in.OwnerID)
	if in.Kind == "" {
		in.Kind = StatementKindOTA
	}
	if _, ok := statementSeries[in.Kind]; !ok {
		return Statement{}, aura.Invalid("Choose the kind of statement.", aura.FieldError{Field: "kind", Message: "Choose ota (a channel's) or owner (an owner's)."})
	}
	if err := (Query{PropertyID: in.PropertyID, From: in.From, To: in.To, By: ByDay}).check(); err != nil {
		return Statement{}, err
	}
	if in.Kind == StatementKindOTA && (in.Channel == "" || len(in.Channel) > 64) {
		return Statement{}, aura.Invalid("Name the channel of the statement.", aura.FieldError{Field: "channel", Message: "Choose a channel (the booking source, e.g. booking_com)."})
	}
	if in.Kind == StatementKindOwner && (in.OwnerID == "" || len(in.OwnerID) > 64) {
		return Statement{}, aura.Invalid("Name the owner of the statement.", aura.FieldError{Field: "owner_id", Message: "Choose an owner."})
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, in.PropertyID)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{ID: aura.NewID("stm"), PropertyID: prop.ID, Kind: in.Kind, From: in.From, To: in.To,
		Currency: prop.Currency, GeneratedBy: aura.ActorFrom(ctx).String(), Lines: []StatementLine{}}
	if in.Kind == StatementKindOTA {
		st.Channel = in.Channel
	} else {
		st.OwnerID = in.OwnerID
	}
	err = s.Update(ctx, func(tx *tenant.Tx) error {
		now := tx.Now.UTC()
		st.GeneratedAt = now
		if st.Kind == StatementKindOwner {
			fig, err := ownerFigures(tx, st.PropertyID, st.OwnerID, st.From, st.To)
			if err != nil {
				return err
			}
			st.Owner = &fig
		} else if err := statementLines(tx, &st); err != nil {
			return err
		}
		// The same statement generated again (same channel or owner,
		// period and figures) is the document already generated, not a
		// new number.
		if id, err := sameStatement(tx, st); err != nil {
			return err
		} else if id != "" {
			st = Statement{ID: id, Existing: true}
			return nil
		}
		body, err := json.Marshal(statementBody{Lines: st.Lines, Totals: st.Totals, Owner: st.Owner, GeneratedBy: st.GeneratedBy})
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		st.Hash = hex.EncodeToString(sum[:])
		year, series := now.Year(), statementSeries[st.Kind]
		var seq int
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) + 1 FROM report_statements WHERE property_id = ? AND series = ? AND year = ?`,
			prop.ID, series, year).Scan(&seq); err != nil {
			return err
		}
		st.Number = fmt.Sprintf("%s-%d-%06d", series, year, seq)
		var owner any
		if st.OwnerID != "" {
			owner = st.OwnerID
		}
		if _, err := tx.Exec(`INSERT INTO report_statements (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number,
			currency, body, hash, generated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.ID, st.PropertyID, st.Kind, series, st.Channel,
			owner, st.From, st.To, year, seq, st.Number, st.Currency, string(body), sum[:], now.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		after := map[string]any{"number": st.Number, "kind": st.Kind, "from": st.From, "to": st.To, "hash": st.Hash, "currency": st.Currency}
		if st.Owner != nil {
			after["owner_id"], after["stays"], after["commission"], after["fees"], after["payout"] = st.OwnerID, st.Owner.Totals.Stays,
				st.Owner.Totals.Commission, st.Owner.Totals.Fees, st.Owner.Totals.Payout
		} else {
			after["channel"], after["bookings"], after["commission"] = st.Channel, st.Totals.Bookings, st.Totals.Commission
		}
		return tx.Audit(audit.Entry{Action: "statement.generated", EntityType: "statement", EntityID: st.ID, After: after})
	})
	if err == nil && st.Existing {
		st, err = s.GetStatement(ctx, st.ID)
		st.Existing = true
	}
	return st, err
}

// sameStatement returns the id of the latest statement of st's property,
// kind, channel or owner and period whose figures are st's, or "".
func sameStatement(tx *tenant.Tx, st Statement) (string, error) {
	var id, body string
	err := tx.QueryRow(`SELECT id, body FROM report_statements WHERE property_id = ? AND kind = ? AND channel = ? AND coalesce(owner_id, '') = ?
		AND period_from = ? AND period_to = ? ORDER BY year DESC, seq DESC LIMIT 1`, st.PropertyID, st.Kind, st.Channel, st.OwnerID, st.From, st.To).Scan(&id, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reports: statements: %w", err)
	}
	var old statementBody
	if err := json.Unmarshal([]byte(body), &old); err != nil {
		return "", fmt.Errorf("reports: statement body: %w", err)
	}
	a, err := json.Marshal(statementBody{Lines: old.Lines, Totals: old.Totals, Owner: old.Owner})
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(statementBody{Lines: st.Lines, Totals: st.Totals, Owner: st.Owner})
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", nil
	}
	return id, nil
}

// statementLines fills st's lines and totals inside the generating
// transaction.
func statementLines(tx *tenant.Tx, st *Statement) error {
	rows, err := tx.Query(`SELECT b.id, coalesce(b.ota_code, ''), b.commission, max(r.departure), count(*)
		FROM bookings b JOIN reservations r ON r.booking_id = b.id
		WHERE b.property_id = ? AND b.source = ?
		GROUP BY b.id HAVING max(r.departure) >= ? AND max(r.departure) < ?
		ORDER BY max(r.departure), coalesce(b.ota_code, ''), b.id`, st.PropertyID, st.Channel, st.From, st.To)
	if err != nil {
		return fmt.Errorf("reports: statement bookings: %w", err)
	}
	var lines []StatementLine
	var commission []int64
	for rows.Next() {
		var l StatementLine
		var c int64
		if err := rows.Scan(&l.BookingID, &l.OTACode, &c, &l.CheckOut, &l.Reservations); err != nil {
			rows.Close()
			return fmt.Errorf("reports: statement bookings: %w", err)
		}
		lines = append(lines, l)
		commission = append(commission, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: statement bookings: %w", err)
	}
	for i := range lines {
		l := &lines[i]
		lr, err := tx.Query(`SELECT coalesce(nullif(l.item, ''), c.item, ''), l.kind, sum(l.net), sum(l.gross), count(*)
			FROM reservations r JOIN ledger_lines l ON l.ref_kind = ? AND l.ref_id = r.id
			LEFT JOIN ledger_lines c ON c.id = l.corrects
			WHERE r.booking_id = ? AND l.kind IN (?, ?)
			GROUP BY 1, 2`, ledger.RefReservation, l.BookingID, ledger.LineCharge, ledger.LineAllowance)
		if err != nil {
			return fmt.Errorf("reports: statement lines: %w", err)
		}
		for lr.Next() {
			var item, kind string
			var a Amount
			var n int
			if err := lr.Scan(&item, &kind, &a.Net, &a.Gross, &n); err != nil {
				lr.Close()
				return fmt.Errorf("reports: statement lines: %w", err)
			}
			if kind == ledger.LineAllowance {
				a, n = Amount{-a.Net, -a.Gross}, 0
			}
			switch item {
			case ledger.ItemRoom:
				l.Room, l.Nights = l.Room.add(a), l.Nights+n
			case ItemCancellationFee, ItemNoShowFee:
				l.Fees = l.Fees.add(a)
			}
		}
		lr.Close()
		if err := lr.Err(); err != nil {
			return fmt.Errorf("reports: statement lines: %w", err)
		}
		if l.Room.Gross > 0 || l.Fees.Gross > 0 {
			l.Commission = commission[i]
		}
		st.Totals.Bookings++
		st.Totals.Nights += l.Nights
		st.Totals.Room = st.Totals.Room.add(l.Room)
		st.Totals.Fees = st.Totals.Fees.add(l.Fees)
		st.Totals.Commission += l.Commission
	}
	if lines != nil {
		st.Lines = lines
	}
	return nil
}

// GetStatement returns a stored statement as it was generated. It returns
// ENOTFOUND for an unknown id.
func (s Store) GetStatement(ctx context.Context, id string) (Statement, error) {
	var st Statement
	var body, at string
	var hash []byte
	err := s.SQL().Read.QueryRowContext(ctx, `SELECT id, property_id, kind, number, channel, coalesce(owner_id, ''), period_from, period_to, currency, body,
		hash, generated_at FROM report_statements WHERE id = ?`, id).Scan(&st.ID, &st.PropertyID, &st.Kind, &st.Number, &st.Channel, &st.OwnerID,
		&st.From, &st.To, &st.Currency, &body, &hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return st, aura.Errorf(aura.ENOTFOUND, "No such statement.")
	}
	if err != nil {
		return st, fmt.Errorf("reports: statement: %w", err)
	}
	var b statementBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return st, fmt.Errorf("reports: statement body: %w", err)
	}
	st.Lines, st.Totals, st.Owner, st.GeneratedBy, st.Hash = b.Lines, b.Totals, b.Owner, b.GeneratedBy, hex.EncodeToString(hash)
	if st.Lines == nil {
		st.Lines = []StatementLine{}
	}
	st.GeneratedAt, _ = time.Parse(time.RFC3339Nano, at)
	return st, nil
}

// ListStatements returns a property's statements, newest first, without
// their lines.
func (s Store) ListStatements(ctx context.Context, propertyID string) ([]Statement, error) {
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT id FROM report_statements WHERE property_id = ? ORDER BY generated_at DESC, seq DESC LIMIT 500`, propertyID)
	if err != nil {
		return nil, fmt.Errorf("reports: statements: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reports: statements: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []Statement{}
	for _, id := range ids {
		st, err := s.GetStatement(ctx, id)
		if err != nil {
			return nil, err
		}
		st.Lines = nil
		if st.Owner != nil {
			st.Owner = &OwnerFigures{Totals: st.Owner.Totals}
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
