package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Kinds of checkpoint in a chain's checkpoint log.
const (
	// KindHead signs a head that verified onto the checkpoint before it:
	// same epoch, every row since chained and hashed correctly.
	KindHead = "head"
	// KindRestore signs the first row of a new epoch, written by a
	// restore in its own procedure. It names the head it discards. It is
	// the only way an epoch may change.
	KindRestore = "restore"
	// KindResume continues a log after the platform DB (which stores the
	// logs) was itself restored and lost its newest checkpoints: it
	// follows the newest checkpoint the witness held and names the last
	// one the restored log kept, so the gap between them is signed.
	KindResume = "resume"
)

// Signer signs and verifies checkpoint messages; *keys.SigningKey is one.
type Signer interface {
	ID() string
	Sign(msg []byte) []byte
	Verify(msg, sig []byte) bool
}

// Checkpoint is one signed entry of a chain's checkpoint log, in the manner
// of a transparency log's signed tree heads: entry N signs a position of the
// chain (epoch, seq and the hash of the row there) and the digest of entry
// N-1, so entries cannot be removed, reordered or replaced without a
// signature failing or a link breaking. Logs live in the platform DB; the
// newest entry of each is also kept by witnesses outside the data directory.
type Checkpoint struct {
	Chain string `json:"chain"` // the chain id: a tenant id, or "platform"
	N     int64  `json:"n"`     // position in the log, from 1
	Kind  string `json:"kind"`
	Epoch int64  `json:"epoch"`
	Seq   int64  `json:"seq"`
	Hash  []byte `json:"hash"`           // the hash of the chain's row at Seq
	Prev  []byte `json:"prev,omitempty"` // Digest of entry N-1; empty for N = 1

	// BaseEpoch is the epoch of the restored head the new epoch's first
	// row follows (KindRestore only): the history the restore kept is
	// the lineage of that head up to Seq-1.
	BaseEpoch int64 `json:"base_epoch,omitempty"`
	// DiscardedSeq and DiscardedHash name the head a restore replaced
	// (KindRestore only; seq 0 when the replaced file had no chain).
	DiscardedSeq  int64  `json:"discarded_seq,omitempty"`
	DiscardedHash []byte `json:"discarded_hash,omitempty"`
	// GapAfter and GapDigest name the last entry a restored platform DB
	// kept when this entry follows one taken from a witness (KindRestore
	// and KindResume only; 0 and empty when the log kept nothing).
	GapAfter  int64  `json:"gap_after,omitempty"`
	GapDigest []byte `json:"gap_digest,omitempty"`

	SignedAt  string `json:"signed_at"` // RFC 3339, UTC
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// Head returns the chain position the checkpoint signs.
func (c *Checkpoint) Head() Head { return Head{Seq: c.Seq, Epoch: c.Epoch, Hash: c.Hash} }

// String renders a checkpoint for messages: "#12 (seq 340, epoch 1)".
func (c *Checkpoint) String() string {
	return fmt.Sprintf("#%d (seq %d, epoch %d)", c.N, c.Seq, c.Epoch)
}

// Message returns the exact bytes signed: a domain tag and every field but
// the signature, each length-prefixed.
func (c *Checkpoint) Message() []byte {
	var b bytes.Buffer
	b.WriteString("aura-checkpoint-v2")
	field := func(p []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		b.Write(n[:])
		b.Write(p)
	}
	num := func(i int64) { field([]byte(strconv.FormatInt(i, 10))) }
	field([]byte(c.Chain))
	num(c.N)
	field([]byte(c.Kind))
	num(c.Epoch)
	num(c.Seq)
	field(c.Hash)
	field(c.Prev)
	num(c.BaseEpoch)
	num(c.DiscardedSeq)
	field(c.DiscardedHash)
	num(c.GapAfter)
	field(c.GapDigest)
	field([]byte(c.SignedAt))
	field([]byte(c.KeyID))
	return b.Bytes()
}

// Digest returns the SHA-256 of the checkpoint's message: what the next
// entry of the log links to.
func (c *Checkpoint) Digest() []byte {
	h := sha256.New()
	h.Write([]byte("aura-checkpoint-digest-v2"))
	h.Write(c.Message())
	return h.Sum(nil)
}

// Sign fills in the time, key id and signature.
func (c *Checkpoint) Sign(s Signer, at time.Time) {
	c.SignedAt = at.UTC().Format(time.RFC3339)
	c.KeyID = s.ID()
	c.Signature = s.Sign(c.Message())
}

// Verified reports whether the checkpoint carries a valid signature of s.
func (c *Checkpoint) Verified(s Signer) bool {
	return c.KeyID == s.ID() && s.Verify(c.Message(), c.Signature)
}

// Same reports whether two checkpoints are the same signed entry.
func (c *Checkpoint) Same(o *Checkpoint) bool {
	return c.Chain == o.Chain && c.N == o.N && bytes.Equal(c.Digest(), o.Digest())
}

// Next returns the unsigned entry that follows last (nil for a chain's first
// entry) and signs head with the given kind.
func Next(chain string, last *Checkpoint, kind string, head Head) Checkpoint {
	c := Checkpoint{Chain: chain, N: 1, Kind: kind, Epoch: head.Epoch, Seq: head.Seq, Hash: head.Hash}
	if last != nil {
		c.N = last.N + 1
		c.Prev = last.Digest()
	}
	return c
}

// CheckLog checks a chain's checkpoint log, sorted by N, on its own: every
// signature is the signer's, every entry links to the one before it, no
// entry is missing (a gap is allowed only where a restored platform DB lost
// entries and a signed resume or restore entry names both ends of it),
// epochs never decrease and change only at a restore entry, and within an
// epoch the signed seq only grows. It returns the first problem as a Break
// whose Seq is the first chain row the log no longer vouches for.
func CheckLog(chain string, log []Checkpoint, s Signer) *Break {
	var prev *Checkpoint // the previous entry present
	maxEpoch := int64(0)
	vouched := int64(0) // the highest seq covered by the entries checked so far
	bad := func(format string, a ...any) *Break {
		return &Break{Seq: vouched + 1, Reason: fmt.Sprintf(format, a...)}
	}
	for i := range log {
		c := &log[i]
		switch {
		case c.Chain != chain:
			return bad("checkpoint #%d belongs to chain %s, not %s: the checkpoint log was tampered with", c.N, c.Chain, chain)
		case c.KeyID != s.ID():
			return bad("checkpoint #%d was signed by key %s, not by the signing key in use (%s)", c.N, c.KeyID, s.ID())
		case !s.Verify(c.Message(), c.Signature):
			return bad("the signature of checkpoint #%d is invalid: the checkpoint log was tampered with", c.N)
		case c.Kind != KindHead && c.Kind != KindRestore && c.Kind != KindResume:
			return bad("checkpoint #%d has an unknown kind %q", c.N, c.Kind)
		}
		want := int64(1)
		if prev != nil {
			want = prev.N + 1
		}
		switch {
		case c.N < want:
			return bad("checkpoint #%d appears twice or out of order in the checkpoint log", c.N)
		case c.N > want:
			// Entries want..c.N-1 are missing. Only a signed entry right
			// after c that names prev as the last one kept may excuse it.
			if i+1 >= len(log) || !Bridges(&log[i+1], c, prev) {
				return bad("checkpoint #%d is missing from the checkpoint log: checkpoints were deleted", want)
			}
		case prev != nil && !bytes.Equal(c.Prev, prev.Digest()):
			return bad("checkpoint #%d does not link to checkpoint #%d: the checkpoint log was rewritten", c.N, prev.N)
		case prev == nil && len(c.Prev) != 0 && c.N == 1:
			return bad("checkpoint #1 links to a predecessor: the checkpoint log was rewritten")
		}
		switch c.Kind {
		case KindRestore:
			if c.Epoch <= maxEpoch {
				return bad("restore checkpoint #%d starts epoch %d, which is not after epoch %d", c.N, c.Epoch, maxEpoch)
			}
			if c.Seq < 1 || c.BaseEpoch < 1 || c.BaseEpoch >= c.Epoch {
				return bad("restore checkpoint #%d does not name the row it signs and the epoch it follows", c.N)
			}
		case KindHead, KindResume:
			switch {
			case prev != nil && c.Epoch != prev.Epoch:
				return bad("checkpoint #%d changes the epoch from %d to %d without a restore record", c.N, prev.Epoch, c.Epoch)
			case prev != nil && c.Kind == KindHead && c.Seq <= prev.Seq:
				return bad("checkpoint #%d signs seq %d, not after seq %d of checkpoint #%d", c.N, c.Seq, prev.Seq, prev.N)
			case prev != nil && c.Kind == KindResume && c.Seq < prev.Seq:
				return bad("resume checkpoint #%d signs seq %d, before seq %d of checkpoint #%d", c.N, c.Seq, prev.Seq, prev.N)
			}
		}
		maxEpoch = max(maxEpoch, c.Epoch)
		if c.Kind == KindRestore {
			vouched = c.Seq - 1
		}
		vouched = max(vouched, c.Seq)
		prev = c
	}
	return nil
}

// Bridges reports whether next, the entry after w, signs the gap between
// kept (the last entry a restored log held, nil for none) and w (the
// entry taken from a witness, further ahead).
func Bridges(next, w, kept *Checkpoint) bool {
	if next.N != w.N+1 || (next.Kind != KindResume && next.Kind != KindRestore) || !bytes.Equal(next.Prev, w.Digest()) {
		return false
	}
	if kept == nil {
		return next.GapAfter == 0 && len(next.GapDigest) == 0
	}
	return next.GapAfter == kept.N && bytes.Equal(next.GapDigest, kept.Digest())
}

// Current returns the entries of a checked log that describe the chain's
// present history, in seq order. A restore entry at seq s, whose restored
// head was in epoch b, keeps only the earlier entries below s in epochs up
// to b: the others describe history it discarded (seq s and beyond) or
// another line of history (a later epoch, when the restore went back to
// before an earlier restore). An entry after a signed gap (one taken from a witness when the
// platform DB was restored) starts the list afresh: it vouches, through the
// hash chain, for everything up to its seq, and the entries the restored
// log kept from before the gap may describe history a tenant restore inside
// the gap discarded.
func Current(log []Checkpoint) []Checkpoint {
	var out []Checkpoint
	var prevN int64
	for _, c := range log {
		if c.N != prevN+1 {
			out = out[:0]
		}
		prevN = c.N
		if c.Kind == KindRestore {
			kept := out[:0:0]
			for _, o := range out {
				if o.Seq < c.Seq && o.Epoch <= c.BaseEpoch {
					kept = append(kept, o)
				}
			}
			out = kept
		}
		// A resume entry may sign the same head as the witness entry
		// before it; keep one per seq.
		if n := len(out); n > 0 && out[n-1].Seq == c.Seq && out[n-1].Epoch == c.Epoch && bytes.Equal(out[n-1].Hash, c.Hash) {
			continue
		}
		out = append(out, c)
	}
	// Entries are appended in log order, in which seqs grow within the
	// surviving history, so out is already in seq order.
	return out
}

// Last returns the newest entry of a log, or nil for an empty one.
func Last(log []Checkpoint) *Checkpoint {
	if len(log) == 0 {
		return nil
	}
	return &log[len(log)-1]
}

// CheckWitness compares the checkpoint a witness holds (its newest for the
// chain) with a checked log. The witness's entry must carry a valid
// signature and be in the log, unchanged; an entry newer than the log's
// newest means checkpoints were deleted from the platform DB. An entry the
// log skips over in a signed gap was discarded by a platform restore and is
// accepted. name says which witness, for the message.
func CheckWitness(log []Checkpoint, w *Checkpoint, name string, s Signer) *Break {
	if w == nil {
		return nil
	}
	last := Last(log)
	vouched := int64(0)
	if last != nil {
		vouched = last.Seq
	}
	if !w.Verified(s) {
		return &Break{Seq: vouched + 1, Reason: fmt.Sprintf("%s holds a checkpoint #%d with an invalid signature", name, w.N)}
	}
	for i := range log {
		c := &log[i]
		if c.N == w.N {
			if c.Same(w) {
				return nil
			}
			return &Break{Seq: min(c.Seq, w.Seq), Reason: fmt.Sprintf("checkpoint #%d in the platform DB (seq %d) differs from the one %s holds (seq %d, signed %s): the platform DB's checkpoint log was rewritten",
				c.N, c.Seq, name, w.Seq, w.SignedAt)}
		}
		before := int64(0)
		if i > 0 {
			before = log[i-1].N
		}
		if before < w.N && w.N < c.N {
			// w falls in a gap of the log, which CheckLog accepted only
			// where a restore of the platform DB signed it: w was part of
			// the history that restore discarded.
			return nil
		}
	}
	if last == nil || w.N > last.N {
		ends := "holds no checkpoint"
		if last != nil {
			ends = "ends at checkpoint " + last.String()
		}
		return &Break{Seq: vouched + 1, Reason: fmt.Sprintf("the platform DB's checkpoint log %s, but %s holds checkpoint %s signed %s: checkpoints were deleted from the platform DB",
			ends, name, w.String(), w.SignedAt)}
	}
	return &Break{Seq: vouched + 1, Reason: fmt.Sprintf("checkpoint #%d, which %s holds, is missing from the platform DB: checkpoints were deleted", w.N, name)}
}

// HashString renders a hash for messages.
func HashString(b []byte) string { return hex.EncodeToString(b) }
