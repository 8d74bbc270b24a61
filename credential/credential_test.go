package credential_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"golang.org/x/crypto/bcrypt"
)

func mustHasher(tb testing.TB) credential.Hasher {
	tb.Helper()
	h, err := credential.NewHasher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestHasher(t *testing.T) {
	h := mustHasher(t)
	t.Run("OK", func(t *testing.T) {
		hash, err := h.Hash("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 12 {
			t.Fatalf("bcrypt cost = %d, %v; want 12", cost, err)
		}
		if !h.Verify(hash, "correct horse battery staple") {
			t.Fatal("the right password does not verify")
		}
		if h.Verify(hash, "correct horse battery stapl") {
			t.Fatal("a wrong password verifies")
		}
	})
	t.Run("BytesPast72Count", func(t *testing.T) {
		a := strings.Repeat("a", 99) + "b"
		b := strings.Repeat("a", 99) + "c"
		if got, want := len(a), 100; got != want {
			t.Fatalf("len = %d, want %d", got, want)
		}
		hash, err := h.Hash(a)
		if err != nil {
			t.Fatal(err)
		}
		if h.Verify(hash, b) {
			t.Fatal("a password differing only after byte 72 verifies")
		}
		// Plain bcrypt would have accepted it: the pre-hash is what makes the difference.
		plain, _ := bcrypt.GenerateFromPassword([]byte(a[:72]), bcrypt.MinCost)
		if bcrypt.CompareHashAndPassword(plain, []byte(b[:72])) != nil {
			t.Fatal("control: bcrypt alone should ignore bytes past 72")
		}
	})
	t.Run("PepperMatters", func(t *testing.T) {
		hash, _ := h.Hash("correct horse battery staple")
		other, _ := credential.NewHasher(bytes.Repeat([]byte{8}, 32))
		if other.Verify(hash, "correct horse battery staple") {
			t.Fatal("a hash verifies under another pepper")
		}
	})
	t.Run("ErrBadPepper", func(t *testing.T) {
		if _, err := credential.NewHasher([]byte("short")); aura.ErrorCode(err) != aura.EINTERNAL {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("VerifyNothing", func(t *testing.T) {
		if h.VerifyNothing("anything at all here") {
			t.Fatal("VerifyNothing returned true")
		}
	})
}

func TestValidatePassword(t *testing.T) {
	if n := credential.CommonPasswords(); n < 5000 {
		t.Fatalf("the common-password list has %d entries, want thousands", n)
	}
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"OK", "tangerine ladder violet", true},
		{"OKUnicode", "Ünïcödé pässwörd ok", true},
		{"TooShort", "elevenchars", false},
		{"TooLong", strings.Repeat("x1", 65), false},
		{"Common", "password1234", false},
		{"CommonCaseInsensitive", "PassWord1234", false},
		{"Repeated", "zzzzzzzzzzzzzz", false},
		{"IsEmail", "ana@example.com", false},
		{"NoCompositionRules", "alllowercaseletters", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := credential.ValidatePassword(tc.pw, "ana@example.com")
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				if got, want := aura.ErrorCode(err), aura.EINVALID; got != want {
					t.Fatalf("code = %q, want %q", got, want)
				}
				if f := aura.ErrorFields(err); len(f) != 1 || f[0].Field != "password" || f[0].Message == "" {
					t.Fatalf("fields = %+v", f)
				}
			}
		})
	}
}

func TestToken(t *testing.T) {
	const tenantID = "tnt_k5q3ce2ldy4mfrqq"
	tok := credential.NewToken(tenantID)
	t.Run("OK", func(t *testing.T) {
		if !strings.HasPrefix(tok.Text, "aura_k5q3ce2ldy4mfrqq_") {
			t.Fatalf("token %q does not name its tenant", tok.Text)
		}
		got, err := credential.ParseToken(tok.Text)
		if err != nil {
			t.Fatal(err)
		}
		if got.TenantTag != "k5q3ce2ldy4mfrqq" || !bytes.Equal(got.Hash, tok.Hash) || len(got.Hash) != 32 {
			t.Fatalf("parsed %+v", got)
		}
	})
	t.Run("Random", func(t *testing.T) {
		if other := credential.NewToken(tenantID); other.Text == tok.Text {
			t.Fatal("two tokens are equal")
		}
	})
	t.Run("ErrTypo", func(t *testing.T) {
		// Change each character of the secret and checksum in turn: every
		// single-character typo is caught by the checksum.
		start := len("aura_k5q3ce2ldy4mfrqq_")
		for i := start; i < len(tok.Text); i++ {
			if tok.Text[i] == '_' {
				continue
			}
			b := []byte(tok.Text)
			if b[i] == 'x' {
				b[i] = 'y'
			} else {
				b[i] = 'x'
			}
			_, err := credential.ParseToken(string(b))
			if aura.ErrorCode(err) != aura.EUNAUTHORIZED || !strings.Contains(aura.ErrorMessage(err), "checksum") {
				t.Fatalf("typo at %d: err = %v", i, err)
			}
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, s := range []string{"", "aura_", tok.Text[:len(tok.Text)-1], "Bearer " + tok.Text, strings.Replace(tok.Text, "aura_", "auro_", 1), tok.Text + "_x"} {
			if _, err := credential.ParseToken(s); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
				t.Fatalf("%q: err = %v", s, err)
			}
		}
	})
	t.Run("Entropy", func(t *testing.T) {
		secret := strings.Split(tok.Text, "_")[2]
		// 22 base62 characters carry 22*log2(62) ≈ 131 bits.
		if got, want := len(secret), 22; got != want {
			t.Fatalf("secret length = %d, want %d", got, want)
		}
	})
}

func TestRandomString(t *testing.T) {
	seen := map[byte]int{}
	for i := 0; i < 200; i++ {
		s := credential.RandomString(31)
		if len(s) != 31 {
			t.Fatalf("len = %d", len(s))
		}
		for j := 0; j < len(s); j++ {
			seen[s[j]]++
		}
	}
	if got, want := len(seen), 62; got != want {
		t.Fatalf("saw %d distinct characters, want %d", got, want)
	}
}

// TestTOTPVectors checks the RFC 6238 appendix B test vectors for SHA-1.
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		step := credential.TOTPStep(time.Unix(v.unix, 0))
		if got := credential.HOTP(secret, uint64(step), 8); got != v.code {
			t.Fatalf("T=%d: code %s, want %s", v.unix, got, v.code)
		}
		if got, want := credential.TOTPCode(secret, time.Unix(v.unix, 0)), v.code[2:]; got != want {
			t.Fatalf("T=%d: 6-digit code %s, want %s", v.unix, got, want)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := credential.NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	code := credential.TOTPCode(secret, now)
	t.Run("OK", func(t *testing.T) {
		step, ok := credential.VerifyTOTP(secret, code, now, 0)
		if !ok || step != credential.TOTPStep(now) {
			t.Fatalf("ok=%v step=%d", ok, step)
		}
	})
	t.Run("Skew", func(t *testing.T) {
		if _, ok := credential.VerifyTOTP(secret, code, now.Add(30*time.Second), 0); !ok {
			t.Fatal("a code from the previous step is refused")
		}
		if _, ok := credential.VerifyTOTP(secret, code, now.Add(-30*time.Second), 0); !ok {
			t.Fatal("a code from the next step is refused")
		}
		if _, ok := credential.VerifyTOTP(secret, code, now.Add(90*time.Second), 0); ok {
			t.Fatal("a code three steps old is accepted")
		}
	})
	t.Run("ErrReplay", func(t *testing.T) {
		step, _ := credential.VerifyTOTP(secret, code, now, 0)
		if _, ok := credential.VerifyTOTP(secret, code, now, step); ok {
			t.Fatal("a replayed code is accepted")
		}
		if _, ok := credential.VerifyTOTP(secret, code, now.Add(10*time.Second), step); ok {
			t.Fatal("a replayed code is accepted later in the same step")
		}
	})
	t.Run("Spaces", func(t *testing.T) {
		if _, ok := credential.VerifyTOTP(secret, code[:3]+" "+code[3:], now, 0); !ok {
			t.Fatal("a code typed with a space is refused")
		}
	})
	t.Run("URI", func(t *testing.T) {
		uri := credential.TOTPURI("Aura demo", "ana@example.com", secret)
		if !strings.HasPrefix(uri, "otpauth://totp/Aura%20demo:ana@example.com?") || !strings.Contains(uri, "secret="+credential.EncodeTOTPSecret(secret)) {
			t.Fatalf("uri = %s", uri)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	codes := credential.NewRecoveryCodes(10)
	if len(codes) != 10 || codes[0] == codes[1] || len(codes[0]) != 19 {
		t.Fatalf("codes = %v", codes)
	}
	if !bytes.Equal(credential.HashRecoveryCode(codes[0]), credential.HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(codes[0], "-", " ")))) {
		t.Fatal("a recovery code typed in capitals with spaces does not match")
	}
	if !credential.LooksLikeRecoveryCode(codes[0]) || credential.LooksLikeRecoveryCode("123456") {
		t.Fatal("LooksLikeRecoveryCode")
	}
}
