package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/internal/auratest"
)

// Every field of a checkpoint survives the platform DB, so what was signed
// is what is read back.
func TestCheckpointLogStorage(t *testing.T) {
	ctx := context.Background()
	env := auratest.New(t, auratest.Options{})
	first := audit.Next("tnt_q", nil, audit.KindHead, audit.Head{Seq: 3, Epoch: 1, Hash: []byte("h3")})
	first.Sign(env.Signer, time.Now())
	second := audit.Next("tnt_q", &first, audit.KindRestore, audit.Head{Seq: 2, Epoch: 4, Hash: []byte("h2")})
	second.BaseEpoch, second.DiscardedSeq, second.DiscardedHash = 1, 3, []byte("h3")
	second.GapAfter, second.GapDigest = 7, []byte("gap")
	second.Sign(env.Signer, time.Now())
	t.Run("OK", func(t *testing.T) {
		if err := env.Platform.AppendCheckpoints(ctx, first, second); err != nil {
			t.Fatal(err)
		}
		log, err := env.Platform.CheckpointLog(ctx, "tnt_q")
		if err != nil || len(log) != 2 {
			t.Fatalf("log = %+v %v", log, err)
		}
		for i, want := range []audit.Checkpoint{first, second} {
			if !log[i].Same(&want) || !log[i].Verified(env.Signer) {
				t.Fatalf("entry %d read back differs from what was signed: %+v", i+1, log[i])
			}
		}
		if last, _ := env.Platform.LastCheckpoint(ctx, "tnt_q"); last == nil || last.N != 2 {
			t.Fatalf("last = %+v", last)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		again := audit.Next("tnt_q", &first, audit.KindHead, audit.Head{Seq: 9, Epoch: 1, Hash: []byte("h9")})
		again.Sign(env.Signer, time.Now())
		if err := env.Platform.AppendCheckpoints(ctx, again); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("a stale append = %v, want ECONFLICT", err)
		}
	})
	t.Run("ErrNotLinked", func(t *testing.T) {
		stray := audit.Next("tnt_q", &first, audit.KindHead, audit.Head{Seq: 9, Epoch: 1, Hash: []byte("h9")})
		stray.N = 3
		stray.Sign(env.Signer, time.Now())
		if err := env.Platform.AppendCheckpoints(ctx, stray); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("an unlinked append = %v, want EINVALID", err)
		}
	})
}
