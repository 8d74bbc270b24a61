package replica

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// An encrypted replica file is laid out as follows (sizes in bytes):
//
//	LTX header        100  plaintext, exactly as Litestream wrote it
//	preamble           64  "AURA-RPL", version, chunk size, salt, key fingerprint
//	chunk 0 .. n-1         each keys.AEAD.Seal(plaintext[i*C : (i+1)*C], AD_i)
//
// C is ChunkSize; every chunk but the last holds exactly C plaintext bytes
// and is C+chunkOverhead bytes on disk, so sizes and offsets convert in both
// directions without reading the file. Each chunk is sealed with a key
// derived from the replica key and the file's random salt, and its
// associated data binds the file identity (level, min and max TXID), the
// chunk index, whether it is the final chunk, the preamble and the plaintext
// LTX header. Swapping, dropping, truncating, moving or renaming anything
// therefore fails authentication.
const (
	// ChunkSize is the number of plaintext bytes sealed per chunk.
	ChunkSize = 64 << 10

	preambleSize  = 64
	prefixSize    = ltx.HeaderSize + preambleSize
	formatVersion = 1
	magic         = "AURA-RPL"
	adLabel       = "aura/replica/v1\x00"
)

// FormatVersion is the encrypted replica format this binary writes and the
// newest it reads (`aura version` prints it).
const FormatVersion = formatVersion

// chunkOverhead is what keys.AEAD adds to every chunk (version, nonce, tag).
var chunkOverhead = int64(keys.NewAEAD(make([]byte, keys.KeySize)).Overhead())

// sealedChunk is the on-disk size of a full chunk.
var sealedChunk = ChunkSize + chunkOverhead

// ErrWrongKey is returned (wrapped, with the file named) when a replica file
// was written with a different key than the one given. Its code is
// EUNAUTHORIZED.
var ErrWrongKey = &aura.Error{Code: aura.EUNAUTHORIZED, Message: "The replica was encrypted with a different key; it cannot be read with this one."}

// ErrTampered is returned (wrapped, with the file named) when a replica file
// fails authentication: a byte was changed, a chunk was swapped or removed,
// the file was truncated or renamed, or it is not an encrypted Aura replica
// file at all. Its code is EINVALID.
var ErrTampered = &aura.Error{Code: aura.EINVALID, Message: "A replica file is damaged or was tampered with; it failed authentication."}

// ErrNewerFormat marks a replica file whose format version is newer than
// this binary reads: written by a newer Aura, or damaged in its version
// byte (which cannot be told apart before the newer format is known). Its
// error also carries an *aura.Error naming both versions for the user.
var ErrNewerFormat = errors.New("replica file of a newer format")

// Client is a litestream.ReplicaClient that encrypts everything it writes to
// an inner client (a directory, an S3 bucket) and authenticates everything it
// reads back. Litestream sees plaintext LTX files of plaintext sizes; the
// inner storage sees only the LTX header and ciphertext.
type Client struct {
	inner litestream.ReplicaClient
	key   []byte
	fp    [8]byte // fingerprint of key, stored in every file
}

var _ litestream.ReplicaClient = (*Client)(nil)

// NewClient returns a Client that encrypts with key (32 bytes, for example
// tenantDB.DerivedKey("replica")) and stores through inner. It returns
// EINVALID for a key of the wrong size.
func NewClient(inner litestream.ReplicaClient, key []byte) (*Client, error) {
	if len(key) != keys.KeySize {
		return nil, aura.Errorf(aura.EINVALID, "A replica key must be %d bytes, got %d.", keys.KeySize, len(key))
	}
	c := &Client{inner: inner, key: bytes.Clone(key)}
	fp, _ := hex.DecodeString(keys.Fingerprint(key))
	copy(c.fp[:], fp)
	return c, nil
}

// Inner returns the client the encrypted files are stored through.
func (c *Client) Inner() litestream.ReplicaClient { return c.inner }

// Type returns the inner client's type prefixed with "aura-crypt+".
func (c *Client) Type() string { return "aura-crypt+" + c.inner.Type() }

// Init initialises the inner client.
func (c *Client) Init(ctx context.Context) error { return c.inner.Init(ctx) }

// SetLogger sets the inner client's logger.
func (c *Client) SetLogger(logger *slog.Logger) { c.inner.SetLogger(logger) }

// DeleteLTXFiles deletes files on the inner client.
func (c *Client) DeleteLTXFiles(ctx context.Context, a []*ltx.FileInfo) error {
	return c.inner.DeleteLTXFiles(ctx, a)
}

// DeleteAll deletes every file of this replica on the inner client.
func (c *Client) DeleteAll(ctx context.Context) error { return c.inner.DeleteAll(ctx) }

// LTXFiles lists the files of a level, reporting each file's plaintext size
// (computed from its stored size) so Litestream's offsets stay in plaintext.
func (c *Client) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	itr, err := c.inner.LTXFiles(ctx, level, seek, useMetadata)
	if err != nil {
		return nil, err
	}
	return &fileIterator{FileIterator: itr}, nil
}

type fileIterator struct {
	ltx.FileIterator
}

func (itr *fileIterator) Item() *ltx.FileInfo {
	in := itr.FileIterator.Item()
	if in == nil {
		return nil
	}
	info := *in
	info.Size = PlaintextSize(in.Size)
	return &info
}

// PlaintextSize returns the size of the LTX file that an encrypted replica
// file of size stored holds. A size no encrypted file can have (a damaged
// file) maps to a size whose reads fail authentication.
func PlaintextSize(stored int64) int64 {
	body := stored - prefixSize
	if body <= 0 {
		return min(stored, ltx.HeaderSize)
	}
	n := (body + sealedChunk - 1) / sealedChunk
	return max(ltx.HeaderSize+body-n*chunkOverhead, ltx.HeaderSize)
}

// StoredSize returns the size of the encrypted replica file that holds an LTX
// file of size plain.
func StoredSize(plain int64) int64 {
	body := max(plain-ltx.HeaderSize, 0)
	n := max((body+ChunkSize-1)/ChunkSize, 1)
	return prefixSize + body + n*chunkOverhead
}

// WriteLTXFile encrypts the LTX file read from r and writes it to the inner
// client. The returned FileInfo carries the plaintext size.
func (c *Client) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	s, err := c.newSealer(level, minTXID, maxTXID, r)
	if err != nil {
		return nil, err
	}
	info, err := c.inner.WriteLTXFile(ctx, level, minTXID, maxTXID, s)
	if err != nil {
		return nil, err
	}
	if !s.done {
		return nil, fmt.Errorf("replica: the inner client stopped reading %s before its end", fileName(level, minTXID, maxTXID))
	}
	out := *info
	out.Size = ltx.HeaderSize + s.plainBody
	if got, want := info.Size, StoredSize(out.Size); got != want {
		return nil, fmt.Errorf("replica: %s stored as %d bytes, want %d", fileName(level, minTXID, maxTXID), got, want)
	}
	return &out, nil
}

// fileKey returns the AEAD that seals the chunks of one file: a key derived
// from the replica key and the file's salt, so no two files share a key.
func (c *Client) fileKey(salt []byte) *keys.AEAD {
	return keys.NewAEAD(keys.Derive(c.key, "replica/v1/file/"+hex.EncodeToString(salt)))
}

// chunkAD returns the associated data of every chunk of one file, with the
// index and final flag left to be filled in by setChunk.
func chunkAD(level int, minTXID, maxTXID ltx.TXID, preamble, header []byte) []byte {
	ad := make([]byte, 0, len(adLabel)+4+8+8+8+1+len(preamble)+len(header))
	ad = append(ad, adLabel...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(level))
	ad = binary.BigEndian.AppendUint64(ad, uint64(minTXID))
	ad = binary.BigEndian.AppendUint64(ad, uint64(maxTXID))
	ad = binary.BigEndian.AppendUint64(ad, 0) // chunk index
	ad = append(ad, 0)                        // final flag
	ad = append(ad, preamble...)
	return append(ad, header...)
}

const adIndexAt = len(adLabel) + 4 + 8 + 8

func setChunk(ad []byte, index uint64, final bool) {
	binary.BigEndian.PutUint64(ad[adIndexAt:], index)
	ad[adIndexAt+8] = 0
	if final {
		ad[adIndexAt+8] = 1
	}
}

func fileName(level int, minTXID, maxTXID ltx.TXID) string {
	return fmt.Sprintf("replica file L%d/%s", level, ltx.FormatFilename(minTXID, maxTXID))
}

// sealer is the reader the inner client consumes: the plaintext header, the
// preamble, then sealed chunks, produced as the plaintext arrives. It reads
// one byte ahead to know which chunk is final.
type sealer struct {
	src  io.Reader
	aead *keys.AEAD
	ad   []byte

	out       []byte // produced, not yet read
	buf       []byte // plaintext of the next chunk (+1 look-ahead byte)
	have      int    // bytes in buf
	index     uint64
	plainBody int64
	done      bool
	err       error
}

func (c *Client) newSealer(level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*sealer, error) {
	header := make([]byte, ltx.HeaderSize)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("replica: read LTX header of %s: %w", fileName(level, minTXID, maxTXID), err)
	}
	var hdr ltx.Header
	if err := hdr.UnmarshalBinary(header); err != nil {
		return nil, fmt.Errorf("replica: %s does not start with an LTX header: %w", fileName(level, minTXID, maxTXID), err)
	}
	salt := keys.NewKey()
	preamble := make([]byte, preambleSize)
	copy(preamble, magic)
	preamble[8] = formatVersion
	binary.BigEndian.PutUint32(preamble[12:], ChunkSize)
	copy(preamble[16:48], salt)
	copy(preamble[48:56], c.fp[:])
	s := &sealer{
		src:  r,
		aead: c.fileKey(salt),
		ad:   chunkAD(level, minTXID, maxTXID, preamble, header),
		buf:  make([]byte, ChunkSize+1),
	}
	s.out = append(append(make([]byte, 0, prefixSize), header...), preamble...)
	return s, nil
}

func (s *sealer) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			return 0, io.EOF
		}
		s.err = s.sealNext()
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// sealNext seals the next chunk into s.out.
func (s *sealer) sealNext() error {
	n, err := io.ReadFull(s.src, s.buf[s.have:])
	s.have += n
	final := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		final = true
	case err != nil:
		return err
	}
	size := min(s.have, ChunkSize)
	setChunk(s.ad, s.index, final)
	s.out = s.aead.Seal(s.buf[:size], s.ad)
	s.plainBody += int64(size)
	s.index++
	if final {
		s.done = true
		return nil
	}
	// Keep the look-ahead byte as the start of the next chunk.
	s.buf[0] = s.buf[ChunkSize]
	s.have = 1
	return nil
}

// OpenLTXFile returns the plaintext of an LTX file from offset, size bytes
// long (to the end when size is 0), as Litestream asks for it: whole files
// for restores and compaction, the header alone, or a tail holding the page
// index. Only the chunks covering the range are fetched and every one is
// authenticated before a byte of it is returned. A wrong key returns
// ErrWrongKey and any tampering ErrTampered, both wrapped with the file name;
// a missing file returns the inner client's not-exist error.
func (c *Client) OpenLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, offset, size int64) (io.ReadCloser, error) {
	if offset < 0 || size < 0 {
		return nil, fmt.Errorf("replica: bad range offset=%d size=%d", offset, size)
	}
	name := fileName(level, minTXID, maxTXID)

	// The plaintext range [offset, end) maps to body chunks first..last; the
	// header is served from the stored copy once chunk `first` authenticates.
	bodyStart := max(offset-ltx.HeaderSize, 0)
	first := bodyStart / ChunkSize
	last := int64(-1) // to the end of the file
	if size > 0 {
		bodyEnd := max(offset+size-ltx.HeaderSize, 1)
		last = (bodyEnd - 1) / ChunkSize
	}
	chunkStart := prefixSize + first*sealedChunk
	var chunkLen int64 // 0: to the end
	if last >= 0 {
		// One byte past the last chunk tells whether that chunk is final.
		chunkLen = (last-first+1)*sealedChunk + 1
	}

	var prefix []byte
	var body io.ReadCloser
	if first == 0 {
		rc, err := c.inner.OpenLTXFile(ctx, level, minTXID, maxTXID, 0, prefixLen(chunkLen))
		if err != nil {
			return nil, err
		}
		prefix = make([]byte, prefixSize)
		if _, err := io.ReadFull(rc, prefix); err != nil {
			rc.Close()
			return nil, c.readErr(name, err)
		}
		body = rc
	} else {
		rc, err := c.inner.OpenLTXFile(ctx, level, minTXID, maxTXID, 0, prefixSize)
		if err != nil {
			return nil, err
		}
		prefix = make([]byte, prefixSize)
		_, err = io.ReadFull(rc, prefix)
		rc.Close()
		if err != nil {
			return nil, c.readErr(name, err)
		}
		if body, err = c.inner.OpenLTXFile(ctx, level, minTXID, maxTXID, chunkStart, chunkLen); err != nil {
			return nil, err
		}
	}
	header, preamble := prefix[:ltx.HeaderSize], prefix[ltx.HeaderSize:]
	aead, err := c.openPreamble(name, preamble)
	if err != nil {
		body.Close()
		return nil, err
	}
	o := &opener{
		name:      name,
		src:       body,
		aead:      aead,
		ad:        chunkAD(level, minTXID, maxTXID, preamble, header),
		index:     uint64(first),
		first:     uint64(first),
		last:      last,
		buf:       make([]byte, sealedChunk+1),
		remaining: -1,
	}
	if size > 0 {
		o.remaining = size
	}
	if first > 0 {
		// A range that starts past the end of the file reads nothing, but
		// only once the chunk before it authenticates as the final one: a
		// file truncated before the range reads the same way.
		o.endsBefore = func() error {
			rc, err := c.inner.OpenLTXFile(ctx, level, minTXID, maxTXID, chunkStart-sealedChunk, sealedChunk+1)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, sealedChunk+1))
			if err != nil {
				return err
			}
			ad := bytes.Clone(o.ad)
			setChunk(ad, uint64(first-1), true)
			if int64(len(b)) > sealedChunk {
				return fmt.Errorf("%s: chunk %d appeared while it was read: %w", name, first, ErrTampered)
			}
			if pt, err := aead.Open(b, ad); err != nil || len(pt) == 0 {
				return fmt.Errorf("%s: ends before chunk %d, but chunk %d does not authenticate as the final chunk (truncated): %w", name, first, first-1, ErrTampered)
			}
			return nil
		}
	}
	if offset < ltx.HeaderSize {
		o.header = header[offset:]
	} else {
		o.skip = int(bodyStart - first*ChunkSize)
	}
	return o, nil
}

func prefixLen(chunkLen int64) int64 {
	if chunkLen == 0 {
		return 0
	}
	return prefixSize + chunkLen
}

// readErr turns a short read of the prefix into ErrTampered.
func (c *Client) readErr(name string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: too short for an encrypted replica file: %w", name, ErrTampered)
	}
	return err
}

// openPreamble checks the preamble and returns the file's chunk AEAD.
func (c *Client) openPreamble(name string, p []byte) (*keys.AEAD, error) {
	if string(p[:8]) != magic {
		return nil, fmt.Errorf("%s: not an encrypted Aura replica file (a plaintext or foreign replica?): %w", name, ErrTampered)
	}
	if p[8] > formatVersion {
		return nil, fmt.Errorf("%s: %w (%w)", name, &aura.Error{Code: aura.EINVALID, Message: fmt.Sprintf(
			"The replica was written by a newer version of Aura (encrypted replica format version %d; this binary reads up to version %d): restore with that newer Aura.", p[8], formatVersion)}, ErrNewerFormat)
	}
	if p[8] != formatVersion || binary.BigEndian.Uint32(p[12:]) != ChunkSize || !allZero(p[9:12]) || !allZero(p[56:64]) {
		return nil, fmt.Errorf("%s: unknown encrypted replica format (version %d, chunk size %d): %w", name, p[8], binary.BigEndian.Uint32(p[12:]), ErrTampered)
	}
	if !bytes.Equal(p[48:56], c.fp[:]) {
		return nil, fmt.Errorf("%s: written with the key of fingerprint %x, given the key of fingerprint %x: %w", name, p[48:56], c.fp[:], ErrWrongKey)
	}
	return c.fileKey(p[16:48]), nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// opener decrypts the chunks of one range as they are read.
type opener struct {
	name string
	src  io.ReadCloser
	aead *keys.AEAD
	ad   []byte

	index     uint64 // next chunk to open
	first     uint64
	last      int64 // last chunk wanted, -1 for all
	buf       []byte
	have      int    // ciphertext bytes in buf
	header    []byte // header bytes still to return, once a chunk authenticated
	skip      int    // plaintext bytes to drop from the first chunk
	plain     []byte // opened, not yet returned
	remaining int64  // bytes still to return, -1 for all
	// endsBefore checks that the file ends before the first chunk of the
	// range (its previous chunk authenticates as the final one).
	endsBefore func() error
	opened     bool // at least one chunk authenticated
	eof        bool
	err        error
}

func (o *opener) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if o.remaining == 0 {
		return 0, io.EOF
	}
	for !o.opened || (len(o.header) == 0 && len(o.plain) == 0) {
		if o.eof {
			return 0, io.EOF
		}
		if err := o.openNext(); err != nil {
			o.err = err
			return 0, err
		}
	}
	var n int
	if len(o.header) > 0 {
		n = copy(p, o.header)
		o.header = o.header[n:]
	} else {
		n = copy(p, o.plain)
		o.plain = o.plain[n:]
	}
	if o.remaining > 0 {
		if int64(n) > o.remaining {
			n = int(o.remaining)
		}
		o.remaining -= int64(n)
	}
	return n, nil
}

// openNext reads and authenticates the next chunk.
func (o *opener) openNext() error {
	if o.last >= 0 && int64(o.index) > o.last {
		o.eof = true
		return nil
	}
	n, err := io.ReadFull(o.src, o.buf[o.have:])
	o.have += n
	final := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		final = true
	case err != nil:
		return err
	}
	size := min(o.have, int(sealedChunk))
	if final && size == 0 {
		if o.index == o.first && o.index > 0 {
			// The range starts past the end of the file, if the file
			// really ends there.
			if err := o.endsBefore(); err != nil {
				return err
			}
			o.opened, o.eof = true, true
			return nil
		}
		return fmt.Errorf("%s: chunk %d is missing (truncated file): %w", o.name, o.index, ErrTampered)
	}
	setChunk(o.ad, o.index, final)
	pt, err := o.aead.Open(o.buf[:size], o.ad)
	if err != nil || (len(pt) == 0 && o.index > 0) {
		what := "failed authentication"
		if final {
			what = "failed authentication as the final chunk (changed, moved or truncated)"
		}
		return fmt.Errorf("%s: chunk %d %s: %w", o.name, o.index, what, ErrTampered)
	}
	if o.skip > 0 {
		if o.skip > len(pt) {
			o.skip = len(pt)
		}
		pt = pt[o.skip:]
		o.skip = 0
	}
	o.plain = pt
	o.opened = true
	o.index++
	if final {
		o.eof = true
		return nil
	}
	o.buf[0] = o.buf[sealedChunk]
	o.have = 1
	return nil
}

func (o *opener) Close() error { return o.src.Close() }
