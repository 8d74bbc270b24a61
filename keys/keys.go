// Package keys owns Aura's key material and its primitives: the master key read
// from a file outside the data directory, per-tenant data keys wrapped by it,
// keys derived for one purpose each (sealing, search, replicas), AES-256-GCM
// sealing with associated data, and the Ed25519 key that signs audit
// checkpoints. Nothing here ever logs or prints key bytes.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aurapms/aura"
)

// KeySize is the size in bytes of every symmetric key: 256 bits.
const KeySize = 32

// sealVersion prefixes every sealed value so the format can evolve.
const sealVersion = 1

// SigningKeyName is the file name of the audit signing key, kept in the same
// directory as the master key unless a path is given explicitly.
const SigningKeyName = "audit-signing.key"

// NewKey returns a fresh random 256-bit key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("keys: the system random source failed: " + err.Error())
	}
	return k
}

// Derive returns a 256-bit key for one purpose, derived from key with
// HKDF-SHA256. Different purposes give independent keys, so the key that
// seals fields never also encrypts replicas.
func Derive(key []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, key, nil, "aura/"+purpose, KeySize)
	if err != nil {
		panic("keys: hkdf: " + err.Error())
	}
	return k
}

// Fingerprint returns a short public identifier of a key (hex of the first 8
// bytes of a derived hash); it reveals nothing usable about the key.
func Fingerprint(key []byte) string {
	sum := sha256.Sum256(Derive(key, "fingerprint"))
	return hex.EncodeToString(sum[:8])
}

// AEAD seals and opens values with AES-256-GCM. The zero value is not usable;
// build one with NewAEAD. It is safe for concurrent use.
type AEAD struct {
	gcm cipher.AEAD
}

// NewAEAD returns an AEAD for a 256-bit key.
func NewAEAD(key []byte) *AEAD {
	if len(key) != KeySize {
		panic(fmt.Sprintf("keys: AEAD key must be %d bytes, got %d", KeySize, len(key)))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("keys: " + err.Error())
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("keys: " + err.Error())
	}
	return &AEAD{gcm: gcm}
}

// Overhead is the number of bytes Seal adds to a plaintext.
func (a *AEAD) Overhead() int { return 1 + a.gcm.NonceSize() + a.gcm.Overhead() }

// Seal encrypts plaintext with a random nonce, binding ad as associated data.
// The result is version byte, nonce, ciphertext and tag.
func (a *AEAD) Seal(plaintext, ad []byte) []byte {
	ns := a.gcm.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+a.gcm.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		panic("keys: the system random source failed: " + err.Error())
	}
	return a.gcm.Seal(out, out[1:1+ns], plaintext, ad)
}

// ErrOpen is returned when a sealed value cannot be opened: wrong key, wrong
// associated data (a value moved to another row or column), or tampering.
var ErrOpen = errors.New("keys: sealed value cannot be opened (wrong key, moved or tampered)")

// Open decrypts a value made by Seal with the same key and associated data.
// It returns ErrOpen on any mismatch.
func (a *AEAD) Open(sealed, ad []byte) ([]byte, error) {
	ns := a.gcm.NonceSize()
	if len(sealed) < 1+ns+a.gcm.Overhead() || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	pt, err := a.gcm.Open(nil, sealed[1:1+ns], sealed[1+ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// MasterKey is the 256-bit key that wraps every tenant data key. It lives in a
// file outside the data directory and is never stored in a database.
type MasterKey struct {
	aead *AEAD
	id   string
	root []byte // derivation root for DerivedKey, itself derived (never the raw key)
}

// ID returns the master key's public fingerprint.
func (m *MasterKey) ID() string { return m.id }

// NewMasterKey returns a MasterKey for raw key bytes.
func NewMasterKey(raw []byte) (*MasterKey, error) {
	if len(raw) != KeySize {
		return nil, aura.Errorf(aura.EINVALID, "A master key must be %d bytes.", KeySize)
	}
	return &MasterKey{aead: NewAEAD(raw), id: Fingerprint(raw), root: Derive(raw, "master-derived")}, nil
}

// DerivedKey returns a 256-bit key derived from the master key for one
// purpose (for example "platform-replica", the key of the platform DB's
// encrypted replica). It changes when the master key is rotated.
func (m *MasterKey) DerivedKey(purpose string) []byte { return Derive(m.root, purpose) }

// Wrap encrypts a data key, binding label (for example the tenant id) so a
// wrapped key cannot be moved to another tenant.
func (m *MasterKey) Wrap(dataKey []byte, label string) []byte {
	return m.aead.Seal(dataKey, []byte("aura/wrap/v1/"+label))
}

// Unwrap decrypts a data key wrapped with the same label. A wrong master key
// returns ErrOpen.
func (m *MasterKey) Unwrap(wrapped []byte, label string) ([]byte, error) {
	return m.aead.Open(wrapped, []byte("aura/wrap/v1/"+label))
}

// GenerateMasterKeyFile writes a new random master key to path as 64 hex
// characters with mode 0600. It refuses to overwrite an existing file.
func GenerateMasterKeyFile(path string) error {
	return writeSecretFile(path, hex.EncodeToString(NewKey())+"\n")
}

// GenerateSigningKeyFile writes a new Ed25519 signing key seed to path as hex
// with mode 0600. It refuses to overwrite an existing file.
func GenerateSigningKeyFile(path string) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	return writeSecretFile(path, hex.EncodeToString(seed)+"\n")
}

func writeSecretFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return aura.Errorf(aura.EINVALID, "Cannot create the directory for %s: %v", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return aura.Errorf(aura.ECONFLICT, "%s already exists; refusing to overwrite a key.", path)
	} else if err != nil {
		return aura.Errorf(aura.EINVALID, "Cannot create %s: %v", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadMasterKey reads the master key from path. It refuses a file readable by
// group or others, a file inside dataDir (a key stored beside the data it
// protects protects nothing), and a file that is not 64 hex characters.
func LoadMasterKey(path, dataDir string) (*MasterKey, error) {
	raw, err := readSecretFile(path, dataDir, "master key", KeySize)
	if err != nil {
		return nil, err
	}
	return NewMasterKey(raw)
}

// SigningKey signs audit checkpoints with Ed25519.
type SigningKey struct {
	priv ed25519.PrivateKey
	id   string
}

// LoadSigningKey reads an Ed25519 seed from path under the same rules as
// LoadMasterKey.
func LoadSigningKey(path, dataDir string) (*SigningKey, error) {
	seed, err := readSecretFile(path, dataDir, "audit signing key", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &SigningKey{priv: priv, id: hex.EncodeToString(sum[:8])}, nil
}

// ID returns the fingerprint of the public key, stored beside each signature.
func (k *SigningKey) ID() string { return k.id }

// Sign returns the Ed25519 signature of msg.
func (k *SigningKey) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// Verify reports whether sig is this key's signature of msg.
func (k *SigningKey) Verify(msg, sig []byte) bool {
	return ed25519.Verify(k.priv.Public().(ed25519.PublicKey), msg, sig)
}

// DefaultSigningKeyPath returns where the signing key lives when no path is
// given: beside the master key file.
func DefaultSigningKeyPath(masterKeyPath string) string {
	return filepath.Join(filepath.Dir(masterKeyPath), SigningKeyName)
}

func readSecretFile(path, dataDir, what string, size int) ([]byte, error) {
	if path == "" {
		return nil, aura.Errorf(aura.EINVALID, "No %s file given (use --master-key-file or AURA_MASTER_KEY_FILE).", what)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, aura.Errorf(aura.EINVALID, "Bad %s path %s: %v", what, path, err)
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, aura.Errorf(aura.ENOTFOUND, "The %s file %s does not exist (create one with `aura keys generate FILE`).", what, path)
	} else if err != nil {
		return nil, aura.Errorf(aura.EINVALID, "Cannot read the %s file %s: %v", what, path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, aura.Errorf(aura.EINVALID, "The %s file %s is readable by group or others (mode %04o); run chmod 600 on it.", what, path, fi.Mode().Perm())
	}
	if dataDir != "" && Inside(abs, dataDir) {
		return nil, aura.Errorf(aura.EINVALID, "The %s file %s is inside the data directory %s; keep keys outside it, or a copy of the data directory carries its own key.", what, path, dataDir)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, aura.Errorf(aura.EINVALID, "Cannot read the %s file %s: %v", what, path, err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != size {
		return nil, aura.Errorf(aura.EINVALID, "The %s file %s must hold %d hex characters.", what, path, 2*size)
	}
	return raw, nil
}

// Inside reports whether path lies inside dir, after resolving symbolic
// links where the paths exist.
func Inside(path, dir string) bool {
	resolve := func(p string) string {
		p, _ = filepath.Abs(p)
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		return p
	}
	p, d := resolve(path), resolve(dir)
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
