package audit_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
)

// signer is a real Ed25519 key, as keys.SigningKey holds.
type signer struct {
	priv ed25519.PrivateKey
	id   string
}

func newSigner(seed byte) *signer {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return &signer{priv: ed25519.NewKeyFromSeed(s), id: string([]byte{'k', seed + '0'})}
}

func (s *signer) ID() string             { return s.id }
func (s *signer) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }
func (s *signer) Verify(msg, sig []byte) bool {
	return ed25519.Verify(s.priv.Public().(ed25519.PublicKey), msg, sig)
}

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// logBuilder appends signed entries the way control does.
type logBuilder struct {
	s   *signer
	log []audit.Checkpoint
}

func (b *logBuilder) add(kind string, epoch, seq int64, mod ...func(*audit.Checkpoint)) *audit.Checkpoint {
	c := audit.Next("tnt_x", audit.Last(b.log), kind, audit.Head{Seq: seq, Epoch: epoch, Hash: hashOf(string(rune(epoch)) + "/" + string(rune(seq)))})
	for _, m := range mod {
		m(&c)
	}
	c.Sign(b.s, time.Unix(1_800_000_000, 0))
	b.log = append(b.log, c)
	return &b.log[len(b.log)-1]
}

func TestCheckLog(t *testing.T) {
	s := newSigner(1)
	heads := func() *logBuilder {
		b := &logBuilder{s: s}
		b.add(audit.KindHead, 1, 1)
		b.add(audit.KindHead, 1, 5)
		b.add(audit.KindHead, 1, 9)
		return b
	}
	t.Run("OK", func(t *testing.T) {
		if brk := audit.CheckLog("tnt_x", heads().log, s); brk != nil {
			t.Fatal(brk)
		}
	})
	cases := []struct {
		name   string
		edit   func(b *logBuilder)
		seq    int64
		reason string
	}{
		{"ErrMissing", func(b *logBuilder) { b.log = append(b.log[:1], b.log[2:]...) }, 2, "checkpoint #2 is missing"},
		{"ErrForged", func(b *logBuilder) { b.log[1].Seq = 6 }, 2, "signature of checkpoint #2 is invalid"},
		{"ErrOtherKey", func(b *logBuilder) { b.log[2].Sign(newSigner(2), time.Now()) }, 6, "signed by key k2"},
		{"ErrSeqGoesBack", func(b *logBuilder) { b.add(audit.KindHead, 1, 7) }, 10, "not after seq 9"},
		{"ErrEpochWithoutRestore", func(b *logBuilder) { b.add(audit.KindHead, 2, 12) }, 10, "without a restore record"},
		{"ErrRestoreNotAfter", func(b *logBuilder) {
			b.add(audit.KindRestore, 1, 7, func(c *audit.Checkpoint) { c.BaseEpoch = 1 })
		}, 10, "not after epoch 1"},
		{"ErrRelinked", func(b *logBuilder) {
			// Entry #3 re-signed (by whoever holds the key, out of scope)
			// but linking to nothing: the link check still fails.
			b.log[2].Prev = hashOf("elsewhere")
			b.log[2].Sign(s, time.Now())
		}, 6, "does not link to checkpoint #2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := heads()
			c.edit(b)
			brk := audit.CheckLog("tnt_x", b.log, s)
			if brk == nil || brk.Seq != c.seq || !strings.Contains(brk.Reason, c.reason) {
				t.Fatalf("break = %v, want seq %d and %q", brk, c.seq, c.reason)
			}
		})
	}
	t.Run("OKRestore", func(t *testing.T) {
		b := heads()
		b.add(audit.KindRestore, 2, 7, func(c *audit.Checkpoint) { c.BaseEpoch, c.DiscardedSeq = 1, 9 })
		b.add(audit.KindHead, 2, 8)
		if brk := audit.CheckLog("tnt_x", b.log, s); brk != nil {
			t.Fatal(brk)
		}
		cur := audit.Current(b.log)
		if len(cur) != 4 || cur[2].Kind != audit.KindRestore || cur[1].Seq != 5 {
			t.Fatalf("current = %+v; want seq 1, 5, the restore at 7, 8 (9 was discarded)", cur)
		}
	})
	t.Run("OKRestoreToAnotherLine", func(t *testing.T) {
		// Epoch 2 started at seq 7; a later restore goes back to a point
		// of epoch 1 at seq 6 and starts epoch 3 at seq 7: only the epoch 1
		// entries below 7 still describe the present history.
		b := heads()
		b.add(audit.KindRestore, 2, 7, func(c *audit.Checkpoint) { c.BaseEpoch = 1 })
		b.add(audit.KindHead, 2, 8)
		b.add(audit.KindRestore, 3, 7, func(c *audit.Checkpoint) { c.BaseEpoch = 1 })
		if brk := audit.CheckLog("tnt_x", b.log, s); brk != nil {
			t.Fatal(brk)
		}
		cur := audit.Current(b.log)
		if len(cur) != 3 || cur[2].Epoch != 3 {
			t.Fatalf("current = %+v", cur)
		}
	})
	t.Run("OKBridgedGap", func(t *testing.T) {
		// The platform DB was restored: the log kept #1..#2, a witness held
		// #4, and a resume entry signs the gap.
		b := heads()
		kept := b.log[1]
		b.add(audit.KindHead, 1, 12)
		w := b.log[3]
		b.log = append(b.log[:2:2], w)
		b.add(audit.KindResume, 1, 14, func(c *audit.Checkpoint) { c.GapAfter, c.GapDigest = kept.N, kept.Digest() })
		if brk := audit.CheckLog("tnt_x", b.log, s); brk != nil {
			t.Fatal(brk)
		}
		if cur := audit.Current(b.log); len(cur) != 2 || cur[0].N != 4 {
			t.Fatalf("current after a gap = %+v; want the witnessed entry and the resume", cur)
		}
		// A witness older than the gap's end is accepted; one at the gap is too.
		if brk := audit.CheckWitness(b.log, &heads().log[2], "the witness", s); brk != nil {
			t.Fatalf("a witness inside the signed gap: %v", brk)
		}
		// Without the resume entry, the gap is deletion.
		if brk := audit.CheckLog("tnt_x", b.log[:3], s); brk == nil || !strings.Contains(brk.Reason, "#3 is missing") {
			t.Fatalf("unbridged gap: %v", brk)
		}
	})
}

func TestCheckWitness(t *testing.T) {
	s := newSigner(1)
	b := &logBuilder{s: s}
	b.add(audit.KindHead, 1, 1)
	b.add(audit.KindHead, 1, 5)
	newer := *b.add(audit.KindHead, 1, 9)
	log := b.log[:2]
	if brk := audit.CheckWitness(log, &log[1], "w", s); brk != nil {
		t.Fatalf("same entry: %v", brk)
	}
	if brk := audit.CheckWitness(log, &log[0], "w", s); brk != nil {
		t.Fatalf("lagging witness: %v", brk)
	}
	brk := audit.CheckWitness(log, &newer, "the witness file /x", s)
	if brk == nil || brk.Seq != 6 || !strings.Contains(brk.Reason, "the witness file /x holds checkpoint #3 (seq 9") {
		t.Fatalf("deleted tail: %v", brk)
	}
	forged := newer
	forged.Seq = 10
	if brk := audit.CheckWitness(b.log, &forged, "w", s); brk == nil || !strings.Contains(brk.Reason, "invalid signature") {
		t.Fatalf("forged witness: %v", brk)
	}
	other := log[1]
	other.Hash = hashOf("rewritten")
	other.Sign(s, time.Now())
	if brk := audit.CheckWitness(log, &other, "w", s); brk == nil || !strings.Contains(brk.Reason, "differs") {
		t.Fatalf("rewritten entry: %v", brk)
	}
}
