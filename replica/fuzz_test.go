package replica_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
	"github.com/benbjohnson/litestream/file"
	"github.com/superfly/ltx"
)

// FuzzReplicaFile: reading any stored bytes as an encrypted replica file,
// whole or any range of it, never panics: it fails with an error (ErrTampered
// or ErrWrongKey for what is not the file as written), or returns exactly the
// plaintext of the range — never bytes that did not authenticate.
func FuzzReplicaFile(f *testing.F) {
	ctx := context.Background()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	inner := file.NewReplicaClient(filepath.Join(f.TempDir(), "replica"))
	c, err := replica.NewClient(inner, key)
	if err != nil {
		f.Fatal(err)
	}
	// A real file of two chunks: 20 pages of 4 KiB, the same in every fuzz
	// worker (each runs this set-up; the seeds come from the first).
	plain := fixedLTX(f, 20)
	if _, err := c.WriteLTXFile(ctx, 0, 1, 1, bytes.NewReader(plain)); err != nil {
		f.Fatal(err)
	}
	path := inner.LTXFilePath(0, 1, 1)
	stored, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stored, int64(0), int64(0))
	f.Add(stored, int64(0), int64(ltx.HeaderSize))
	f.Add(stored, int64(70_000), int64(100))
	f.Add(stored, int64(len(plain)), int64(0))
	f.Add(stored[:len(stored)/2], int64(0), int64(0))
	f.Add(stored[:200], int64(0), int64(ltx.HeaderSize))
	flipped := bytes.Clone(stored)
	flipped[len(flipped)-1] ^= 1
	f.Add(flipped, int64(0), int64(0))
	f.Add(plain, int64(0), int64(0)) // a plaintext Litestream file
	f.Add([]byte{}, int64(0), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, offset, size int64) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// Any range Litestream could ask for, within and past the file.
		span := int64(len(plain)) + 2*replica.ChunkSize
		offset, size = abs(offset)%span, abs(size)%span
		rc, err := c.OpenLTXFile(ctx, 0, 1, 1, offset, size)
		if err != nil {
			checkReadErr(t, err)
			return
		}
		got, err := io.ReadAll(io.LimitReader(rc, span))
		rc.Close()
		if err != nil {
			checkReadErr(t, err)
			return
		}
		end := int64(len(plain))
		if size > 0 {
			end = min(offset+size, end)
		}
		var want []byte
		if offset < end {
			want = plain[offset:end]
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read [%d, +%d) of %d stored bytes returned %d bytes that are not the plaintext's %d", offset, size, len(b), len(got), len(want))
		}
	})
}

// checkReadErr fails unless err says what is wrong with the file: a
// tampered or foreign file, or one encrypted under another key.
func checkReadErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, replica.ErrTampered) && !errors.Is(err, replica.ErrWrongKey) && !errors.Is(err, replica.ErrNewerFormat) {
		t.Fatalf("error %v (%s) is neither ErrTampered, ErrWrongKey nor ErrNewerFormat", err, aura.ErrorCode(err))
	}
}

func abs(n int64) int64 {
	if n < 0 {
		if n == -n { // the most negative int64
			return 0
		}
		return -n
	}
	return n
}

// fixedLTX is makeLTX with fixed contents: n pages of seeded pseudo-random
// bytes and a fixed timestamp.
func fixedLTX(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc, err := ltx.NewEncoder(&buf)
	if err != nil {
		tb.Fatal(err)
	}
	if err := enc.EncodeHeader(ltx.Header{Version: ltx.Version, Flags: ltx.HeaderFlagNoChecksum, PageSize: pageSize, Commit: uint32(n),
		MinTXID: 1, MaxTXID: 1, Timestamp: 1_780_000_000_000}); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	page := make([]byte, pageSize)
	for pgno := 1; pgno <= n; pgno++ {
		for i := range page {
			page[i] = byte(rng.Uint32())
		}
		if err := enc.EncodePage(ltx.PageHeader{Pgno: uint32(pgno)}, page); err != nil {
			tb.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
