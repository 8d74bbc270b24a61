// Package audit is the tamper-evident log mechanism shared by every tenant
// file and the platform DB. A chain is an append-only table (audit_log) in
// which every row carries the hash of the row before it and a SHA-256 hash of
// its own canonical encoding; the first row's predecessor is a genesis hash
// bound to the chain's id, so a chain cannot be moved to another tenant.
// Triggers in the schema abort UPDATE and DELETE; this package detects what
// someone who drops the triggers does anyway: an edited, deleted or reordered
// row, and, given signed checkpoints kept outside the file, truncation or a
// wholesale rewrite.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aurapms/aura"
)

// TimeFormat is the layout of the at column: UTC, fixed nanosecond precision,
// so rows sort as text.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Entry is what a caller records: the change, with actor and request taken
// from the context by Append.
type Entry struct {
	Action     string // verb in dotted form, e.g. "tenant.created", "reservation.cancelled"
	EntityType string // e.g. "tenant", "reservation"
	EntityID   string
	Before     any // marshalled to JSON; nil for none. Personal data must already be sealed.
	After      any
}

// Row is one stored audit row.
type Row struct {
	Seq           int64
	Epoch         int64
	At            string
	ActorKind     string
	ActorID       string
	ActorName     string
	Impersonation string
	Action        string
	EntityType    string
	EntityID      string
	Before        sql.NullString
	After         sql.NullString
	RequestID     string
	IP            string
	UserAgent     string
	PrevHash      []byte
	Hash          []byte
}

// Genesis returns the predecessor hash of a chain's first row.
func Genesis(chainID string) []byte {
	h := sha256.Sum256([]byte("aura-audit-genesis-v1\x00" + chainID))
	return h[:]
}

// ComputeHash returns the SHA-256 of the row's canonical encoding: a domain
// tag, then every column except hash, each as a big-endian uint64 length
// followed by its bytes (NULL and "" are distinguished).
func (r *Row) ComputeHash() []byte {
	h := sha256.New()
	h.Write([]byte("aura-audit-row-v1"))
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	nullable := func(s sql.NullString) {
		if !s.Valid {
			h.Write([]byte{0})
			return
		}
		h.Write([]byte{1})
		field([]byte(s.String))
	}
	field([]byte(strconv.FormatInt(r.Seq, 10)))
	field([]byte(strconv.FormatInt(r.Epoch, 10)))
	field([]byte(r.At))
	field([]byte(r.ActorKind))
	field([]byte(r.ActorID))
	field([]byte(r.ActorName))
	field([]byte(r.Impersonation))
	field([]byte(r.Action))
	field([]byte(r.EntityType))
	field([]byte(r.EntityID))
	nullable(r.Before)
	nullable(r.After)
	field([]byte(r.RequestID))
	field([]byte(r.IP))
	field([]byte(r.UserAgent))
	field(r.PrevHash)
	return h.Sum(nil)
}

// Head is the position of a chain's newest row.
type Head struct {
	Seq   int64
	Epoch int64
	Hash  []byte
}

// String renders a head for humans: "seq 42 (epoch 1) hash 1a2b…".
func (h Head) String() string {
	return fmt.Sprintf("seq %d (epoch %d) hash %s", h.Seq, h.Epoch, hex.EncodeToString(h.Hash))
}

// Querier is what both *sql.DB and *sql.Tx provide for reading.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Execer is a Querier that can also write: a transaction.
type Execer interface {
	Querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ReadHead returns the newest row's position, or the genesis position (seq 0,
// epoch 1) for an empty chain.
func ReadHead(ctx context.Context, q Querier, chainID string) (Head, error) {
	var h Head
	err := q.QueryRowContext(ctx, `SELECT seq, epoch, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.Epoch, &h.Hash)
	if err == sql.ErrNoRows {
		return Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}, nil
	}
	return h, err
}

// Append writes one row inside tx, chained to the current head, with the
// actor and request information carried by ctx. It must run in the same
// transaction as the change it records, so both commit or neither does.
func Append(ctx context.Context, tx Execer, chainID string, now time.Time, e Entry) (Row, error) {
	head, err := ReadHead(ctx, tx, chainID)
	if err != nil {
		return Row{}, fmt.Errorf("audit: read head: %w", err)
	}
	return AppendAt(ctx, tx, head, now, head.Epoch, e)
}

// AppendAt writes one row after a head the caller already read in tx, in the
// given epoch (a restore starts epoch head.Epoch+1).
func AppendAt(ctx context.Context, tx Execer, head Head, now time.Time, epoch int64, e Entry) (Row, error) {
	actor := aura.ActorFrom(ctx)
	req := aura.RequestFrom(ctx)
	r := Row{
		Seq:           head.Seq + 1,
		Epoch:         epoch,
		At:            now.UTC().Format(TimeFormat),
		ActorKind:     actor.Kind,
		ActorID:       actor.ID,
		ActorName:     actor.Name,
		Impersonation: actor.Impersonation,
		Action:        e.Action,
		EntityType:    e.EntityType,
		EntityID:      e.EntityID,
		RequestID:     req.RequestID,
		IP:            req.IP,
		UserAgent:     truncate(req.UserAgent, 512),
		PrevHash:      head.Hash,
	}
	var err error
	if r.Before, err = marshal(e.Before); err != nil {
		return Row{}, err
	}
	if r.After, err = marshal(e.After); err != nil {
		return Row{}, err
	}
	r.Hash = r.ComputeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, epoch, at, actor_kind, actor_id, actor_name, impersonation, action, entity_type, entity_id,
		 before_json, after_json, request_id, ip, user_agent, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.Epoch, r.At, r.ActorKind, r.ActorID, r.ActorName, r.Impersonation, r.Action, r.EntityType, r.EntityID,
		r.Before, r.After, r.RequestID, r.IP, r.UserAgent, r.PrevHash, r.Hash)
	if err != nil {
		return Row{}, fmt.Errorf("audit: append: %w", err)
	}
	return r, nil
}

func marshal(v any) (sql.NullString, error) {
	if v == nil {
		return sql.NullString{}, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if raw == nil {
			return sql.NullString{}, nil
		}
		return sql.NullString{String: string(raw), Valid: true}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("audit: marshal: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Columns is the column list in the order Scan expects.
const Columns = `seq, epoch, at, actor_kind, actor_id, actor_name, impersonation, action, entity_type, entity_id,
	before_json, after_json, request_id, ip, user_agent, prev_hash, hash`

// Scan reads one row selected with Columns.
func Scan(s interface{ Scan(...any) error }) (Row, error) {
	var r Row
	err := s.Scan(&r.Seq, &r.Epoch, &r.At, &r.ActorKind, &r.ActorID, &r.ActorName, &r.Impersonation, &r.Action,
		&r.EntityType, &r.EntityID, &r.Before, &r.After, &r.RequestID, &r.IP, &r.UserAgent, &r.PrevHash, &r.Hash)
	return r, err
}

// Checkpoint is a chain position that was signed outside the chain's file.
// Verification requires the chain to still contain it.
type Checkpoint struct {
	Epoch int64
	Seq   int64
	Hash  []byte
}

// Break describes the first place a chain fails verification.
type Break struct {
	Seq    int64  // the first bad seq
	Reason string // what is wrong there, in words
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Result is the outcome of Verify.
type Result struct {
	Rows        int64 // rows read
	Head        Head  // the last row that verified
	Checkpoints int   // checkpoints that matched
	Break       *Break
}

// OK reports whether the chain verified.
func (r Result) OK() bool { return r.Break == nil }

// Verify walks the whole chain in seq order and checks that seqs are
// contiguous from 1, that each row's prev_hash is its predecessor's hash, that
// each hash matches the row, that epochs never decrease, and that every given
// checkpoint (sorted by seq) is present with its hash. It returns a Result
// whose Break names the first bad seq; err is only for failing to read.
//
// A restore starts a new epoch: the restored file's chain continues from the
// restore point with a row of epoch e+1, which is signed at once. Checkpoints
// of earlier epochs at or beyond that row's seq describe the discarded
// history and are superseded; all others must still match.
func Verify(ctx context.Context, q Querier, chainID string, cps []Checkpoint) (Result, error) {
	cps = Current(cps)
	res := Result{Head: Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}}
	rows, err := q.QueryContext(ctx, `SELECT `+Columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	ci := 0
	for rows.Next() {
		r, err := Scan(rows)
		if err != nil {
			return res, err
		}
		res.Rows++
		want := res.Head.Seq + 1
		switch {
		case r.Seq != want:
			res.Break = &Break{Seq: want, Reason: fmt.Sprintf("row %d is missing (the next row present is %d): rows were deleted", want, r.Seq)}
		case !bytes.Equal(r.PrevHash, res.Head.Hash):
			res.Break = &Break{Seq: r.Seq, Reason: "its prev_hash does not match the row before it: rows were reordered, inserted or removed"}
		case !bytes.Equal(r.ComputeHash(), r.Hash):
			res.Break = &Break{Seq: r.Seq, Reason: "its contents do not match its hash: the row was edited"}
		case r.Epoch < res.Head.Epoch:
			res.Break = &Break{Seq: r.Seq, Reason: "its epoch goes backwards"}
		}
		if res.Break != nil {
			return res, nil
		}
		res.Head = Head{Seq: r.Seq, Epoch: r.Epoch, Hash: r.Hash}
		for ci < len(cps) && cps[ci].Seq == r.Seq {
			if !bytes.Equal(cps[ci].Hash, r.Hash) {
				res.Break = &Break{Seq: firstAfter(cps, ci), Reason: fmt.Sprintf("the chain no longer matches the signed checkpoint at seq %d: rows up to it were rewritten", r.Seq)}
				return res, nil
			}
			res.Checkpoints++
			ci++
		}
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	if ci < len(cps) {
		res.Break = &Break{Seq: res.Head.Seq + 1, Reason: fmt.Sprintf("the chain ends at seq %d but a signed checkpoint records seq %d: the chain was truncated", res.Head.Seq, cps[ci].Seq)}
	}
	return res, nil
}

// Current returns the checkpoints that describe the chain's present history,
// sorted by seq: those not superseded by a later epoch that starts (its
// first signed checkpoint) at or before their seq.
func Current(cps []Checkpoint) []Checkpoint {
	start := map[int64]int64{} // epoch -> lowest signed seq
	for _, c := range cps {
		if s, ok := start[c.Epoch]; !ok || c.Seq < s {
			start[c.Epoch] = c.Seq
		}
	}
	var out []Checkpoint
	for _, c := range cps {
		superseded := false
		for e, s := range start {
			if e > c.Epoch && s <= c.Seq {
				superseded = true
				break
			}
		}
		if !superseded {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// firstAfter returns the first seq not covered by a matching checkpoint
// before cps[i]: a rewrite is known to start after the last checkpoint that
// still matched.
func firstAfter(cps []Checkpoint, i int) int64 {
	if i == 0 {
		return 1
	}
	return cps[i-1].Seq + 1
}

// SignedMessage is the exact byte string signed for a checkpoint of chainID.
func SignedMessage(chainID string, cp Checkpoint, signedAt string) []byte {
	return fmt.Appendf(nil, "aura-checkpoint-v1\x00%s\x00%d\x00%d\x00%s\x00%s", chainID, cp.Epoch, cp.Seq, hex.EncodeToString(cp.Hash), signedAt)
}
