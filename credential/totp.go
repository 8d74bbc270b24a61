package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 with its defaults, which every authenticator
// app supports): HMAC-SHA-1, 30-second steps, 6 digits; a code of the step
// before or after the current one is accepted for clock drift.
const (
	TOTPPeriod     = 30
	TOTPDigits     = 6
	TOTPSecretSize = 20
	TOTPSkew       = 1
)

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a fresh 160-bit TOTP secret.
func NewTOTPSecret() []byte {
	b := make([]byte, TOTPSecretSize)
	if _, err := rand.Read(b); err != nil {
		panic("credential: the system random source failed: " + err.Error())
	}
	return b
}

// EncodeTOTPSecret returns the secret in the base32 form authenticator apps
// accept for manual entry.
func EncodeTOTPSecret(secret []byte) string { return secretEncoding.EncodeToString(secret) }

// TOTPURI returns the otpauth:// URI of a secret, which authenticator apps
// read from a QR code or a link.
func TOTPURI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", EncodeTOTPSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(TOTPDigits))
	q.Set("period", fmt.Sprint(TOTPPeriod))
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// TOTPStep returns the time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// HOTP returns the RFC 4226 one-time password of secret at counter with the
// given number of digits (dynamic truncation of HMAC-SHA-1).
func HOTP(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < digits; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPCode returns the 6-digit code of secret at time t.
func TOTPCode(secret []byte, t time.Time) string {
	return HOTP(secret, uint64(TOTPStep(t)), TOTPDigits)
}

// NormalizeCode removes the spaces and hyphens people type inside codes.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
}

// VerifyTOTP checks code against secret at now, accepting the steps from
// one before to one after now that are later than lastStep (the step of the
// last code accepted for this secret). It returns the step that matched, so
// the caller records it and the same code can never be used again.
func VerifyTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = NormalizeCode(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		if s <= lastStep || s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(HOTP(secret, uint64(s), TOTPDigits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes a user gets when enabling
// two-factor authentication.
const RecoveryCodeCount = 10

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryCodes returns n fresh single-use recovery codes, each 80
// random bits written as four groups of four lowercase characters
// ("k5q3-ce2l-dy4m-frqq").
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			panic("credential: the system random source failed: " + err.Error())
		}
		s := strings.ToLower(recoveryEncoding.EncodeToString(b))
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	}
	return codes
}

// LooksLikeRecoveryCode reports whether s, once normalised, has the shape of
// a recovery code rather than a TOTP code.
func LooksLikeRecoveryCode(s string) bool { return len(NormalizeCode(s)) == 16 }

// HashRecoveryCode returns the stored form of a recovery code: SHA-256 of
// its normalised text (lowercase, without spaces or hyphens).
func HashRecoveryCode(code string) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(NormalizeCode(code))))
	return sum[:]
}
