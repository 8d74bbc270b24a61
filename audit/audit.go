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
	"slices"
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
	// Witnessed names the witnesses whose newest checkpoint the log holds.
	Witnessed []string
	Break     *Break
}

// OK reports whether the chain verified.
func (r Result) OK() bool { return r.Break == nil }

// Verify walks the whole live chain in seq order and checks that seqs are
// contiguous from 1, that each row's prev_hash is its predecessor's hash,
// that each hash matches the row, that epochs never decrease and change
// only at a row a signed restore checkpoint names, and that every current
// checkpoint of the log (see Current) is present with its hash, the newest
// included (a shorter chain was truncated). The log must have passed
// CheckLog. It returns a Result whose Break names the first bad seq; err is
// only for failing to read.
func Verify(ctx context.Context, q Querier, chainID string, log []Checkpoint) (Result, error) {
	cps := Current(log)
	restores := map[int64]Checkpoint{}
	for _, c := range cps {
		if c.Kind == KindRestore {
			restores[c.Seq] = c
		}
	}
	res := Result{Head: Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}}
	ci := 0
	err := walk(ctx, q, func(r *Row) bool {
		res.Rows++
		if res.Break = checkRow(r, res.Head); res.Break == nil && r.Epoch > res.Head.Epoch {
			// An epoch starts only at a signed restore record. History
			// before the first current checkpoint is vouched for by that
			// checkpoint's hash, which was signed only after it verified.
			rc, ok := restores[r.Seq]
			vouched := len(cps) > 0 && r.Seq < cps[0].Seq
			if !vouched && (!ok || rc.Epoch != r.Epoch) {
				res.Break = &Break{Seq: r.Seq, Reason: fmt.Sprintf("it starts epoch %d without a signed restore record: only a restore may start an epoch", r.Epoch)}
			}
		}
		if res.Break != nil {
			return false
		}
		res.Head = Head{Seq: r.Seq, Epoch: r.Epoch, Hash: r.Hash}
		for ci < len(cps) && cps[ci].Seq == r.Seq {
			if !bytes.Equal(cps[ci].Hash, r.Hash) || cps[ci].Epoch != r.Epoch {
				res.Break = &Break{Seq: firstAfter(cps, ci), Reason: fmt.Sprintf("the chain no longer matches the signed checkpoint %s: rows up to it were rewritten", cps[ci].String())}
				return false
			}
			res.Checkpoints++
			ci++
		}
		return true
	})
	if err != nil || res.Break != nil {
		return res, err
	}
	if ci < len(cps) {
		res.Break = &Break{Seq: res.Head.Seq + 1, Reason: fmt.Sprintf("the chain ends at seq %d but the signed checkpoint %s records seq %d: the chain was truncated", res.Head.Seq, cps[ci].String(), cps[ci].Seq)}
	}
	return res, nil
}

// VerifyCopy verifies a chain restored from a replica: an earlier state of
// the live chain, possibly of a line of history a later restore replaced.
// Rows must chain and hash correctly; every checkpoint of the log that
// signs one of its positions (the same epoch and seq) must match it; and
// every epoch it starts must be named by a signed restore checkpoint, or be
// vouched for by a matching checkpoint further on (signed only after the
// history before it verified). Checkpoints of later history are not
// required. The log must have passed CheckLog.
func VerifyCopy(ctx context.Context, q Querier, chainID string, log []Checkpoint) (Result, error) {
	type pos struct{ epoch, seq int64 }
	signed := map[pos][]Checkpoint{}
	restores := map[pos]bool{}
	for _, c := range log {
		p := pos{c.Epoch, c.Seq}
		signed[p] = append(signed[p], c)
		if c.Kind == KindRestore {
			restores[p] = true
		}
	}
	res := Result{Head: Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}}
	var unvouched []int64 // seqs of epoch starts without a restore record
	matched := int64(0)   // the highest seq a checkpoint matched
	err := walk(ctx, q, func(r *Row) bool {
		res.Rows++
		if res.Break = checkRow(r, res.Head); res.Break != nil {
			return false
		}
		if r.Epoch > res.Head.Epoch && !restores[pos{r.Epoch, r.Seq}] {
			unvouched = append(unvouched, r.Seq)
		}
		for _, c := range signed[pos{r.Epoch, r.Seq}] {
			if !bytes.Equal(c.Hash, r.Hash) {
				res.Break = &Break{Seq: r.Seq, Reason: fmt.Sprintf("it does not match the signed checkpoint %s: the copy holds rewritten history", c.String())}
				return false
			}
			res.Checkpoints++
			matched = r.Seq
		}
		res.Head = Head{Seq: r.Seq, Epoch: r.Epoch, Hash: r.Hash}
		return true
	})
	if err != nil || res.Break != nil {
		return res, err
	}
	for _, seq := range unvouched {
		if seq > matched {
			res.Break = &Break{Seq: seq, Reason: "it starts an epoch that no signed restore record or later checkpoint vouches for"}
			break
		}
	}
	return res, nil
}

// walk calls fn with every row of the chain in seq order until fn returns
// false.
func walk(ctx context.Context, q Querier, fn func(r *Row) bool) error {
	rows, err := q.QueryContext(ctx, `SELECT `+Columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := Scan(rows)
		if err != nil {
			return err
		}
		if !fn(&r) {
			return nil
		}
	}
	return rows.Err()
}

// checkRow checks one row against the head before it: the next seq, linked
// to it, hashed correctly, in an epoch no earlier.
func checkRow(r *Row, head Head) *Break {
	want := head.Seq + 1
	switch {
	case r.Seq != want:
		return &Break{Seq: want, Reason: fmt.Sprintf("row %d is missing (the next row present is %d): rows were deleted", want, r.Seq)}
	case !bytes.Equal(r.PrevHash, head.Hash):
		return &Break{Seq: r.Seq, Reason: "its prev_hash does not match the row before it: rows were reordered, inserted or removed"}
	case !bytes.Equal(r.ComputeHash(), r.Hash):
		return &Break{Seq: r.Seq, Reason: "its contents do not match its hash: the row was edited"}
	case r.Epoch < head.Epoch:
		return &Break{Seq: r.Seq, Reason: "its epoch goes backwards"}
	}
	return nil
}

// VerifySince checks the rows from the checkpoint from (nil: from the
// chain's start) to the head: the row at from's seq still has the signed
// hash, every later row follows it (contiguous, linked, hashed correctly)
// in the same epoch, and the chain does not end before from. This is what
// must hold before a head may be signed onto from. It returns the head
// reached, or a Break; err is only for failing to read.
func VerifySince(ctx context.Context, q Querier, chainID string, from *Checkpoint) (Head, *Break, error) {
	head := Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}
	if from != nil {
		r, err := Scan(q.QueryRowContext(ctx, `SELECT `+Columns+` FROM audit_log WHERE seq = ?`, from.Seq))
		switch {
		case err == sql.ErrNoRows:
			return head, &Break{Seq: from.Seq, Reason: fmt.Sprintf("row %d, which the signed checkpoint %s records, is missing: the chain was truncated", from.Seq, from.String())}, nil
		case err != nil:
			return head, nil, err
		case !bytes.Equal(r.Hash, from.Hash) || r.Epoch != from.Epoch || !bytes.Equal(r.ComputeHash(), r.Hash):
			return head, &Break{Seq: from.Seq, Reason: fmt.Sprintf("row %d no longer matches the signed checkpoint %s: the chain was rewritten", from.Seq, from.String())}, nil
		}
		head = from.Head()
	}
	rows, err := q.QueryContext(ctx, `SELECT `+Columns+` FROM audit_log WHERE seq > ? ORDER BY seq`, head.Seq)
	if err != nil {
		return head, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := Scan(rows)
		if err != nil {
			return head, nil, err
		}
		if b := checkRow(&r, head); b != nil {
			return head, b, nil
		}
		if r.Epoch != head.Epoch {
			return head, &Break{Seq: r.Seq, Reason: fmt.Sprintf("it starts epoch %d without a signed restore record: only a restore may start an epoch", r.Epoch)}, nil
		}
		head = Head{Seq: r.Seq, Epoch: r.Epoch, Hash: r.Hash}
	}
	return head, nil, rows.Err()
}

// VerifyBootstrap checks a whole chain whose checkpoint log is about to be
// started (a chain signed before logs existed): rows chain and hash
// correctly from the genesis, and an epoch changes only at a row recording
// a restore (one of the given actions, which is how restores were recorded
// before restore checkpoints existed). It returns the head, or a Break.
func VerifyBootstrap(ctx context.Context, q Querier, chainID string, restoreActions ...string) (Head, *Break, error) {
	head := Head{Seq: 0, Epoch: 1, Hash: Genesis(chainID)}
	var brk *Break
	err := walk(ctx, q, func(r *Row) bool {
		if brk = checkRow(r, head); brk != nil {
			return false
		}
		if r.Epoch > head.Epoch && !slices.Contains(restoreActions, r.Action) {
			brk = &Break{Seq: r.Seq, Reason: fmt.Sprintf("it starts epoch %d but records no restore (%s)", r.Epoch, r.Action)}
			return false
		}
		head = Head{Seq: r.Seq, Epoch: r.Epoch, Hash: r.Hash}
		return true
	})
	return head, brk, err
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
