package keys_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/aurapms/aura/keys"
)

// TestAEADIsAES256GCM: every sealed column, wrapped key and replica chunk is
// made by keys.AEAD, which the security page's "AES-256" rests on. A value
// it seals opens with the standard library's AES-GCM under the same 32-byte
// key (version byte, nonce, ciphertext and tag, as documented), not under
// the key's first 16 bytes (AES-128), and a key of another length is
// refused.
func TestAEADIsAES256GCM(t *testing.T) {
	k := keys.NewKey()
	if len(k) != 32 {
		t.Fatalf("NewKey gives %d bytes, not 256 bits", len(k))
	}
	pt, ad := []byte("Nora Berg, passport C01X00T47"), []byte("guests/name/gst_1")
	sealed := keys.NewAEAD(k).Seal(pt, ad)
	open := func(key []byte) ([]byte, error) {
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
		ns := gcm.NonceSize()
		return gcm.Open(nil, sealed[1:1+ns], sealed[1+ns:], ad)
	}
	if got, err := open(k); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("the standard library's AES-256-GCM does not open the sealed value: %q %v", got, err)
	}
	if _, err := open(k[:16]); err == nil {
		t.Fatal("the sealed value opens under a 128-bit key")
	}
	for _, n := range []int{16, 24} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewAEAD accepted a %d-byte key", n)
				}
			}()
			keys.NewAEAD(make([]byte, n))
		}()
	}
}
