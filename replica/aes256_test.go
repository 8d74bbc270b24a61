package replica_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/replica"
	"github.com/superfly/ltx"
)

// TestReplicaIsAES256GCM: the security page says backups are encrypted with
// AES-256. A tenant file is replicated; the test then reads the stored
// replica files straight from disk and opens their chunks itself, with the
// standard library's AES-GCM under a 32-byte key (the replica key derived
// per file from its salt), following the documented layout — not through
// the replica client. The decrypted LTX holds the row written, and the
// same chunk refuses to open under the first 16 bytes of that key (AES-128).
func TestReplicaIsAES256GCM(t *testing.T) {
	ctx := context.Background()
	dest := replica.Destination{Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")}
	r := mustReplicator(t, fastConfig(dest))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	const marker = "MARKER-aes256-Nora-Berg"
	if err := r.Register(ctx, path, "tenants/a", key); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO guests (name) VALUES (?)`, marker); err != nil {
		t.Fatal(err)
	}
	if err := r.Unregister(ctx, path); err != nil {
		t.Fatal(err)
	}

	const (
		headerSize   = ltx.HeaderSize
		preambleSize = 64
		label        = "aura/replica/v1\x00"
	)
	opened, found := 0, false
	for name, raw := range files(t, dest.Path) {
		if !strings.HasSuffix(name, ".ltx") {
			continue
		}
		minTXID, maxTXID, err := ltx.ParseFilename(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		level, err := strconv.Atoi(filepath.Base(filepath.Dir(name)))
		if err != nil {
			t.Fatalf("%s: level directory: %v", name, err)
		}
		if len(raw) < headerSize+preambleSize {
			t.Fatalf("%s: %d bytes", name, len(raw))
		}
		header, preamble, body := raw[:headerSize], raw[headerSize:headerSize+preambleSize], raw[headerSize+preambleSize:]
		if string(preamble[:8]) != "AURA-RPL" {
			t.Fatalf("%s: preamble %q", name, preamble[:8])
		}
		chunk := int(binary.BigEndian.Uint32(preamble[12:16]))
		fileKey := keys.Derive(key, "replica/v1/file/"+hex.EncodeToString(preamble[16:48]))
		if len(fileKey) != 32 {
			t.Fatalf("the file key is %d bytes, not 256 bits", len(fileKey))
		}
		gcm := newGCM(t, fileKey)
		short := newGCM(t, fileKey[:16])
		sealedChunk := 1 + gcm.NonceSize() + chunk + gcm.Overhead()
		plain := append([]byte(nil), header...)
		for i := 0; len(body) > 0; i++ {
			n := min(sealedChunk, len(body))
			sealed := body[:n]
			body = body[n:]
			ad := []byte(label)
			ad = binary.BigEndian.AppendUint32(ad, uint32(level))
			ad = binary.BigEndian.AppendUint64(ad, uint64(minTXID))
			ad = binary.BigEndian.AppendUint64(ad, uint64(maxTXID))
			ad = binary.BigEndian.AppendUint64(ad, uint64(i))
			if len(body) == 0 {
				ad = append(ad, 1)
			} else {
				ad = append(ad, 0)
			}
			ad = append(append(ad, preamble...), header...)
			nonce, ct := sealed[1:1+gcm.NonceSize()], sealed[1+gcm.NonceSize():]
			pt, err := gcm.Open(nil, nonce, ct, ad)
			if err != nil {
				t.Fatalf("%s chunk %d does not open with AES-256-GCM: %v", name, i, err)
			}
			if _, err := short.Open(nil, nonce, ct, ad); err == nil {
				t.Fatalf("%s chunk %d opens under a 128-bit key", name, i)
			}
			plain = append(plain, pt...)
			opened++
		}
		found = found || ltxHolds(t, plain, marker)
	}
	if opened == 0 || !found {
		t.Fatalf("opened %d chunks, marker found: %v", opened, found)
	}
}

func newGCM(t *testing.T, key []byte) cipher.AEAD {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return gcm
}

// ltxHolds decodes an LTX file and reports whether a page holds s.
func ltxHolds(t *testing.T, file []byte, s string) bool {
	t.Helper()
	dec := ltx.NewDecoder(bytes.NewReader(file))
	if err := dec.DecodeHeader(); err != nil {
		t.Fatal(err)
	}
	page, hdr, found := make([]byte, dec.Header().PageSize), ltx.PageHeader{}, false
	for {
		if err := dec.DecodePage(&hdr, page); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		found = found || bytes.Contains(page, []byte(s))
	}
	if err := dec.Close(); err != nil {
		t.Fatal(err)
	}
	return found
}
