package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash/crc32"
	"strings"

	"github.com/aurapms/aura"
)

// API token format:
//
//	aura_<tenant tag>_<secret>_<checksum>
//
// The prefix makes a leaked token easy to recognise (secret scanners,
// logs); the tenant tag (the tenant id without its "tnt_" prefix) lets the
// server refuse a token presented to another tenant before it opens that
// tenant's file; the secret is 22 base62 characters (about 131 random
// bits); the checksum is CRC-32 (IEEE) of everything before it, in 6 base62
// characters, so a mistyped or truncated token is refused before any
// database look-up. Only SHA-256 of the whole text is stored.
const (
	TokenPrefix      = "aura"
	tokenSecretLen   = 22
	tokenChecksumLen = 6
	tokenTagLen      = 16
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomString returns n characters drawn uniformly from the 62 letters
// and digits with the system's cryptographic random source (about 5.95 bits
// each).
func RandomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("credential: the system random source failed: " + err.Error())
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting 248..255 keeps every letter equally likely.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

// HashSecret returns the SHA-256 of a secret (a session id, an invitation
// token, an API token). Secrets are stored only in this form.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Token is an API token: the text shown once to its creator, the tenant tag
// it names, and the hash that is stored.
type Token struct {
	Text      string
	TenantTag string
	Hash      []byte
}

// TenantTag returns the tag of a tenant id as tokens carry it: the part
// after the kind prefix ("k5q3ce2ldy4mfrqq" for "tnt_k5q3ce2ldy4mfrqq").
func TenantTag(tenantID string) string {
	if i := strings.LastIndexByte(tenantID, '_'); i >= 0 {
		return tenantID[i+1:]
	}
	return tenantID
}

// NewToken returns a fresh API token for the tenant with the given id.
func NewToken(tenantID string) Token {
	body := TokenPrefix + "_" + TenantTag(tenantID) + "_" + RandomString(tokenSecretLen)
	text := body + "_" + checksum(body)
	return Token{Text: text, TenantTag: TenantTag(tenantID), Hash: HashSecret(text)}
}

func checksum(body string) string {
	v := uint64(crc32.ChecksumIEEE([]byte(body)))
	out := make([]byte, tokenChecksumLen)
	for i := tokenChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out)
}

// LooksLikeToken reports whether s has the shape of an Aura API token (its
// prefix), whatever its checksum; used to tell a mistyped token from some
// other kind of credential.
func LooksLikeToken(s string) bool { return strings.HasPrefix(s, TokenPrefix+"_") }

// ParseToken checks a presented token's shape and checksum without any
// database look-up and returns it with its tenant tag and hash. A malformed
// or mistyped token is EUNAUTHORIZED with a message saying which.
func ParseToken(text string) (Token, error) {
	parts := strings.Split(text, "_")
	if len(parts) != 4 || parts[0] != TokenPrefix || len(parts[1]) != tokenTagLen ||
		len(parts[2]) != tokenSecretLen || len(parts[3]) != tokenChecksumLen {
		return Token{}, aura.Errorf(aura.EUNAUTHORIZED, "The API token is malformed: an Aura token looks like aura_<tenant>_<secret>_<checksum>.")
	}
	for _, p := range parts[1:] {
		for i := 0; i < len(p); i++ {
			if strings.IndexByte(base62, p[i]) < 0 {
				return Token{}, aura.Errorf(aura.EUNAUTHORIZED, "The API token is malformed: it contains characters no Aura token has.")
			}
		}
	}
	body := text[:len(text)-tokenChecksumLen-1]
	if subtle.ConstantTimeCompare([]byte(checksum(body)), []byte(parts[3])) != 1 {
		return Token{}, aura.Errorf(aura.EUNAUTHORIZED, "The API token's checksum does not match: it was mistyped or truncated. Copy it again.")
	}
	return Token{Text: text, TenantTag: parts[1], Hash: HashSecret(text)}, nil
}
