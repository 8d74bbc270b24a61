package audit

import (
	"context"
	"strings"
)

// Filter selects audit rows for reading, newest first. Zero fields do not
// filter.
type Filter struct {
	ActorID string // exact actor id
	Action  string // an action, or a prefix ending in "." ("user." for every user action)
	Entity  string // exact entity id
	From    string // rows at or after this instant (TimeFormat or a prefix of it, e.g. "2026-05-02")
	To      string // rows before this instant (same forms)
	// Cursor: only rows strictly older than (BeforeAt, BeforeSeq) in
	// (at, seq) order; BeforeAt "" starts from the newest row.
	BeforeAt  string
	BeforeSeq int64
	// AtOrBefore relaxes the cursor to rows at BeforeAt with any seq, for
	// merging several chains (see Query).
	AtOrBefore bool
	// BySeq orders one chain by seq alone (its true order, even if the
	// clock went backwards); the cursor is then BeforeSeq alone.
	BySeq bool
	Limit int // default 50, at most 1000
}

// Query returns the rows of the chain in q matching f, newest first.
func Query(ctx context.Context, q Querier, f Filter) ([]Row, error) {
	var where []string
	var args []any
	if f.ActorID != "" {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.Entity != "" {
		where, args = append(where, "entity_id = ?"), append(args, f.Entity)
	}
	if f.From != "" {
		where, args = append(where, "at >= ?"), append(args, f.From)
	}
	if f.To != "" {
		where, args = append(where, "at < ?"), append(args, f.To)
	}
	if f.BySeq && f.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, f.BeforeSeq)
	} else if f.BeforeAt != "" && !f.BySeq {
		switch {
		case f.AtOrBefore:
			where, args = append(where, "at <= ?"), append(args, f.BeforeAt)
		default:
			where, args = append(where, "(at < ? OR (at = ? AND seq < ?))"), append(args, f.BeforeAt, f.BeforeAt, f.BeforeSeq)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	query := `SELECT ` + Columns + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.BySeq {
		query += ` ORDER BY seq DESC LIMIT ?`
	} else {
		query += ` ORDER BY at DESC, seq DESC LIMIT ?`
	}
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
