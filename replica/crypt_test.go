package replica_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/benbjohnson/litestream/s3"
	"github.com/superfly/ltx"
)

const pageSize = 4096

// makeLTX returns a real LTX file of n pages of random (incompressible)
// data, as Litestream would ship it.
func makeLTX(tb testing.TB, n int, minTXID, maxTXID ltx.TXID) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc, err := ltx.NewEncoder(&buf)
	if err != nil {
		tb.Fatal(err)
	}
	if err := enc.EncodeHeader(ltx.Header{
		Version: ltx.Version, Flags: ltx.HeaderFlagNoChecksum, PageSize: pageSize, Commit: uint32(n),
		MinTXID: minTXID, MaxTXID: maxTXID, Timestamp: time.Now().UnixMilli(),
	}); err != nil {
		tb.Fatal(err)
	}
	page := make([]byte, pageSize)
	for pgno := 1; pgno <= n; pgno++ {
		rand.Read(page)
		if err := enc.EncodePage(ltx.PageHeader{Pgno: uint32(pgno)}, page); err != nil {
			tb.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// innerClients returns real Litestream clients for both kinds of storage.
func innerClients(tb testing.TB) map[string]litestream.ReplicaClient {
	st := startS3(tb)
	d := st.destination()
	c := s3.NewReplicaClient()
	c.Bucket, c.Region, c.Endpoint, c.ForcePathStyle = d.Bucket, d.Region, d.Endpoint, true
	c.AccessKeyID, c.SecretAccessKey, c.Path = d.AccessKeyID, d.SecretAccessKey, "crypt-test"
	return map[string]litestream.ReplicaClient{
		"File": file.NewReplicaClient(filepath.Join(tb.TempDir(), "replica")),
		"S3":   c,
	}
}

// countingClient counts the stored bytes read through it.
type countingClient struct {
	litestream.ReplicaClient
	read int64
}

func (c *countingClient) OpenLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, offset, size int64) (io.ReadCloser, error) {
	rc, err := c.ReplicaClient.OpenLTXFile(ctx, level, minTXID, maxTXID, offset, size)
	if err != nil {
		return nil, err
	}
	return &countingReader{rc, &c.read}, nil
}

type countingReader struct {
	io.ReadCloser
	n *int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	*r.n += int64(n)
	return n, err
}

func readRange(tb testing.TB, c litestream.ReplicaClient, level int, minTXID, maxTXID ltx.TXID, offset, size int64) ([]byte, error) {
	tb.Helper()
	rc, err := c.OpenLTXFile(context.Background(), level, minTXID, maxTXID, offset, size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestClientPartialReads(t *testing.T) {
	for name, inner := range innerClients(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			counter := &countingClient{ReplicaClient: inner}
			c, err := replica.NewClient(counter, newKey())
			if err != nil {
				t.Fatal(err)
			}
			plain := makeLTX(t, 60, 5, 9) // ~240 KiB: four chunks
			size := int64(len(plain))
			info, err := c.WriteLTXFile(ctx, 1, 5, 9, bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := info.Size, size; got != want {
				t.Fatalf("WriteLTXFile Size = %d, want plaintext size %d", got, want)
			}
			infos, err := litestream.FindLTXFiles(ctx, c, 1, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 || infos[0].Size != size {
				t.Fatalf("LTXFiles = %+v, want one file of %d bytes", infos, size)
			}
			raw, err := inner.LTXFiles(ctx, 1, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			raw.Next()
			if got, want := raw.Item().Size, replica.StoredSize(size); got != want {
				t.Fatalf("stored size %d, want %d", got, want)
			}
			raw.Close()

			C := int64(replica.ChunkSize)
			H := int64(ltx.HeaderSize)
			for _, r := range [][2]int64{
				{0, 0}, {0, H}, {0, 50}, {10, 30}, {H - 1, 2}, {H, 1}, {H, 0},
				{H + C - 1, 2}, {H + C, C}, {H + C - 5, C + 10}, {H + 2*C + 7, 0},
				{size - 1, 0}, {size - 1, 1}, {size - 200, 200}, {size - 32768, 0},
				{37, size - 37}, {0, size + 500}, {size, 0},
			} {
				counter.read = 0
				got, err := readRange(t, c, 1, 5, 9, r[0], r[1])
				if err != nil {
					t.Fatalf("range %v: %v", r, err)
				}
				end := size
				if r[1] > 0 {
					end = min(r[0]+r[1], size)
				}
				if want := plain[r[0]:end]; !bytes.Equal(got, want) {
					t.Fatalf("range %v: got %d bytes differing from the %d plaintext bytes", r, len(got), len(want))
				}
				// Only the chunks covering the range (and the 164-byte
				// prefix) are fetched, plus one look-ahead byte.
				chunks := (end-max(r[0], H)+C-1)/C + 1
				if limit := 2*replica.StoredSize(H) + chunks*(C+64); counter.read > limit {
					t.Fatalf("range %v read %d stored bytes, more than %d", r, counter.read, limit)
				}
			}

			hdr, err := litestream.FetchLTXHeader(ctx, c, infos[0])
			if err != nil {
				t.Fatal(err)
			}
			if hdr.MinTXID != 5 || hdr.MaxTXID != 9 || hdr.Commit != 60 {
				t.Fatalf("header %+v", hdr)
			}
			index, err := litestream.FetchPageIndex(ctx, c, infos[0])
			if err != nil {
				t.Fatal(err)
			}
			dec := ltx.NewDecoder(bytes.NewReader(plain))
			if err := dec.Verify(); err != nil {
				t.Fatal(err)
			}
			want := dec.PageIndex()
			if len(index) != 60 || len(index) != len(want) {
				t.Fatalf("page index has %d entries, want %d", len(index), len(want))
			}
			for _, pgno := range []uint32{1, 17, 33, 60} {
				elem := index[pgno]
				if w := want[pgno]; elem.Offset != w.Offset || elem.Size != w.Size || elem.Level != 1 || elem.MinTXID != 5 || elem.MaxTXID != 9 {
					t.Fatalf("page %d index %+v, want %+v", pgno, elem, want[pgno])
				}
				_, data, err := litestream.FetchPage(ctx, c, 1, 5, 9, elem.Offset, elem.Size)
				if err != nil {
					t.Fatal(err)
				}
				_, wantData, err := ltx.DecodePageData(plain[elem.Offset : elem.Offset+elem.Size])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, wantData) {
					t.Fatalf("page %d differs", pgno)
				}
			}
		})
	}
}

func TestClientSizes(t *testing.T) {
	C := int64(replica.ChunkSize)
	H := int64(ltx.HeaderSize)
	for _, p := range []int64{H, H + 1, H + 16, H + C - 1, H + C, H + C + 1, H + 2*C, H + 3*C + 5, H + 100*C + 77} {
		if got := replica.PlaintextSize(replica.StoredSize(p)); got != p {
			t.Fatalf("PlaintextSize(StoredSize(%d)) = %d", p, got)
		}
		if replica.StoredSize(p) <= p {
			t.Fatalf("StoredSize(%d) = %d is not larger", p, replica.StoredSize(p))
		}
	}
	t.Run("HeaderOnly", func(t *testing.T) {
		inner := file.NewReplicaClient(t.TempDir())
		c, _ := replica.NewClient(inner, newKey())
		plain := makeLTX(t, 1, 1, 1)[:ltx.HeaderSize]
		info, err := c.WriteLTXFile(context.Background(), 0, 1, 1, bytes.NewReader(plain))
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != H {
			t.Fatalf("Size = %d", info.Size)
		}
		got, err := readRange(t, c, 0, 1, 1, 0, 0)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("read back %d bytes, err %v", len(got), err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := replica.NewClient(file.NewReplicaClient(t.TempDir()), make([]byte, 16)); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("16-byte key: %v, want EINVALID", err)
		}
		c, _ := replica.NewClient(file.NewReplicaClient(t.TempDir()), newKey())
		if _, err := c.WriteLTXFile(context.Background(), 0, 1, 1, bytes.NewReader([]byte("not an LTX file at all, just words............................................................................................"))); err == nil {
			t.Fatal("a non-LTX stream was accepted")
		}
	})
}

// TestClientTampering changes a stored file in every way an attacker with
// write access to the bucket could, and expects each read to fail loudly.
func TestClientTampering(t *testing.T) {
	ctx := context.Background()
	key := newKey()
	root := t.TempDir()
	inner := file.NewReplicaClient(root)
	c, _ := replica.NewClient(inner, key)
	sealed := replica.StoredSize(ltx.HeaderSize+replica.ChunkSize) - replica.StoredSize(ltx.HeaderSize) // one full chunk on disk
	prefix := replica.StoredSize(ltx.HeaderSize+1) - (sealed - replica.ChunkSize) - 1

	write := func(t *testing.T, level int, minTXID, maxTXID ltx.TXID) string {
		t.Helper()
		if _, err := c.WriteLTXFile(ctx, level, minTXID, maxTXID, bytes.NewReader(makeLTX(t, 60, minTXID, maxTXID))); err != nil {
			t.Fatal(err)
		}
		return inner.LTXFilePath(level, minTXID, maxTXID)
	}
	edit := func(t *testing.T, path string, fn func([]byte) []byte) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fn(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// expect reads the whole file, and the header alone when the change
	// reaches chunk 0 (a partial read authenticates only what it reads).
	expect := func(t *testing.T, want error, level int, minTXID, maxTXID ltx.TXID, chunk0 bool) {
		t.Helper()
		ranges := [][2]int64{{0, 0}}
		if chunk0 {
			ranges = append(ranges, [2]int64{0, ltx.HeaderSize})
		}
		for _, r := range ranges {
			_, err := readRange(t, c, level, minTXID, maxTXID, r[0], r[1])
			if !errors.Is(err, want) {
				t.Fatalf("read %v: err = %v, want %v", r, err, want)
			}
		}
	}
	chunk := func(b []byte, i int64) []byte { return b[prefix+i*sealed : prefix+(i+1)*sealed] }

	t.Run("Untouched", func(t *testing.T) {
		write(t, 0, 1, 1)
		if _, err := readRange(t, c, 0, 1, 1, 0, 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("FlippedChunkByte", func(t *testing.T) {
		p := write(t, 0, 2, 2)
		edit(t, p, func(b []byte) []byte { b[prefix+10] ^= 1; return b })
		expect(t, replica.ErrTampered, 0, 2, 2, true)
	})
	t.Run("FlippedHeaderByte", func(t *testing.T) {
		p := write(t, 0, 3, 3)
		edit(t, p, func(b []byte) []byte { b[33] ^= 1; return b }) // the timestamp
		expect(t, replica.ErrTampered, 0, 3, 3, true)
	})
	t.Run("NewerFormat", func(t *testing.T) {
		// A replica file a newer Aura wrote is refused naming both
		// format versions, not reported as tampering.
		p := write(t, 0, 90, 90)
		edit(t, p, func(b []byte) []byte { b[ltx.HeaderSize+8] = replica.FormatVersion + 1; return b })
		_, err := readRange(t, c, 0, 90, 90, 0, 0)
		want := fmt.Sprintf("format version %d; this binary reads up to version %d", replica.FormatVersion+1, replica.FormatVersion)
		if err == nil || !strings.Contains(aura.ErrorMessage(err), want) || errors.Is(err, replica.ErrTampered) || !errors.Is(err, replica.ErrNewerFormat) {
			t.Fatalf("err = %v, want a newer-format error naming %q", err, want)
		}
	})
	t.Run("FlippedSalt", func(t *testing.T) {
		p := write(t, 0, 4, 4)
		edit(t, p, func(b []byte) []byte { b[ltx.HeaderSize+20] ^= 1; return b })
		expect(t, replica.ErrTampered, 0, 4, 4, true)
	})
	t.Run("SwappedChunks", func(t *testing.T) {
		p := write(t, 0, 5, 5)
		edit(t, p, func(b []byte) []byte {
			c0 := bytes.Clone(chunk(b, 0))
			copy(chunk(b, 0), chunk(b, 1))
			copy(chunk(b, 1), c0)
			return b
		})
		expect(t, replica.ErrTampered, 0, 5, 5, true)
	})
	t.Run("DroppedLastChunk", func(t *testing.T) {
		p := write(t, 0, 6, 6)
		edit(t, p, func(b []byte) []byte { return b[:prefix+3*sealed] })
		expect(t, replica.ErrTampered, 0, 6, 6, false)
	})
	t.Run("TruncatedMidChunk", func(t *testing.T) {
		p := write(t, 0, 7, 7)
		edit(t, p, func(b []byte) []byte { return b[:len(b)-10] })
		expect(t, replica.ErrTampered, 0, 7, 7, false)
	})
	t.Run("Appended", func(t *testing.T) {
		p := write(t, 0, 8, 8)
		edit(t, p, func(b []byte) []byte { return append(b, bytes.Clone(chunk(b, 1))...) })
		expect(t, replica.ErrTampered, 0, 8, 8, false)
	})
	t.Run("ChunkFromAnotherFile", func(t *testing.T) {
		p := write(t, 0, 9, 9)
		other := write(t, 0, 10, 10)
		ob, _ := os.ReadFile(other)
		edit(t, p, func(b []byte) []byte { copy(chunk(b, 1), chunk(ob, 1)); return b })
		expect(t, replica.ErrTampered, 0, 9, 9, false)
	})
	t.Run("RenamedToOtherTXIDs", func(t *testing.T) {
		p := write(t, 0, 11, 11)
		if err := os.Rename(p, inner.LTXFilePath(0, 12, 12)); err != nil {
			t.Fatal(err)
		}
		expect(t, replica.ErrTampered, 0, 12, 12, true)
	})
	t.Run("MovedToOtherLevel", func(t *testing.T) {
		p := write(t, 0, 13, 13)
		dst := inner.LTXFilePath(1, 13, 13)
		os.MkdirAll(filepath.Dir(dst), 0o700)
		if err := os.Rename(p, dst); err != nil {
			t.Fatal(err)
		}
		expect(t, replica.ErrTampered, 1, 13, 13, true)
	})
	t.Run("PlaintextFile", func(t *testing.T) {
		if _, err := inner.WriteLTXFile(ctx, 0, 14, 14, bytes.NewReader(makeLTX(t, 3, 14, 14))); err != nil {
			t.Fatal(err)
		}
		expect(t, replica.ErrTampered, 0, 14, 14, true)
	})
	t.Run("KeyCheckAltered", func(t *testing.T) {
		p := write(t, 0, 15, 15)
		edit(t, p, func(b []byte) []byte { b[ltx.HeaderSize+50] ^= 1; return b })
		expect(t, replica.ErrWrongKey, 0, 15, 15, true)
	})
	t.Run("WrongKey", func(t *testing.T) {
		write(t, 0, 16, 16)
		other, _ := replica.NewClient(inner, newKey())
		_, err := readRange(t, other, 0, 16, 16, 0, 0)
		if !errors.Is(err, replica.ErrWrongKey) || aura.ErrorCode(err) != aura.EUNAUTHORIZED {
			t.Fatalf("err = %v, want ErrWrongKey", err)
		}
	})
	t.Run("ErrNotExist", func(t *testing.T) {
		_, err := readRange(t, c, 0, 99, 99, 0, 0)
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v, want a not-exist error (Litestream relies on it)", err)
		}
	})
}

// TestRestoreTampered flips one byte of a replica and restores: the restore
// fails with ErrTampered and leaves no output file.
func TestRestoreTampered(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/t", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "row", 100, 2000)
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	// Damage one byte in the middle of every replica file (the snapshot
	// Unregister wrote and the per-sync files): whichever plan the restore
	// picks reads a damaged chunk.
	for p, b := range files(t, dest.Path) {
		b[len(b)/2] ^= 0x40
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "restored.db")
	_, err := r.Restore(ctx, "tenants/t", key, out, time.Time{})
	if !errors.Is(err, replica.ErrTampered) {
		t.Fatalf("err = %v, want ErrTampered", err)
	}
	if got, want := aura.ErrorCode(err), aura.EINVALID; got != want {
		t.Fatalf("code = %q, want %q", got, want)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed restore left %s behind", out)
	}
}

// TestReplicaFilesDecryptToLTX is the control for TestNoPlaintextInReplica:
// decrypted with the right key, every stored file is a valid LTX file and
// the marker is in their pages, so its absence from the stored bytes is the
// encryption's doing.
func TestReplicaFilesDecryptToLTX(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	marker := "MARKER-decrypted-control"
	if err := r.Register(ctx, path, "tenants/d", key); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO guests (name) VALUES (?)`, marker); err != nil {
		t.Fatal(err)
	}
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}
	inner := file.NewReplicaClient(filepath.Join(dest.Path, "tenants", "d"))
	c, _ := replica.NewClient(inner, key)
	found, n := false, 0
	for level := 0; level <= litestream.SnapshotLevel; level++ {
		infos, err := litestream.FindLTXFiles(ctx, c, level, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			n++
			plain, err := readRange(t, c, level, info.MinTXID, info.MaxTXID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			dec := ltx.NewDecoder(bytes.NewReader(plain))
			hdr := ltx.PageHeader{}
			if err := dec.DecodeHeader(); err != nil {
				t.Fatal(err)
			}
			page := make([]byte, dec.Header().PageSize)
			for {
				if err := dec.DecodePage(&hdr, page); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				found = found || bytes.Contains(page, []byte(marker))
			}
			if err := dec.Close(); err != nil {
				t.Fatalf("L%d %s: %v", level, ltx.FormatFilename(info.MinTXID, info.MaxTXID), err)
			}
		}
	}
	if n == 0 || !found {
		t.Fatalf("decrypted %d replica files, marker found: %v", n, found)
	}
}
