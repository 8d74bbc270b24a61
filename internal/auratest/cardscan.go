package auratest

import (
	"os"
	"testing"
)

// FindCardNumbers returns every run of 13 to 19 ASCII digits in b that
// passes the Luhn check — what a payment card number (PAN) looks like —
// with single spaces or dashes allowed between digits, as people write
// them ("4242 4242 4242 4242"). A run counts only as a whole token: one
// that touches a letter or another digit on either side is part of
// something else (a hex hash, a base32 id, a longer number such as an
// IBAN's), which keeps the scan of a whole SQLite file free of false
// alarms. Tests use it on tenant files, WALs, replicas, audit rows and
// logs: a card number Aura stored would be found however it got there.
func FindCardNumbers(b []byte) []string {
	var found []string
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isAlnum := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for i := 0; i < len(b); i++ {
		if !isDigit(b[i]) || (i > 0 && isAlnum(b[i-1])) {
			continue
		}
		var digits []byte
		j := i
		for j < len(b) {
			switch {
			case isDigit(b[j]):
				digits = append(digits, b[j])
				j++
				continue
			case (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && isDigit(b[j+1]):
				j++
				continue
			}
			break
		}
		if (j == len(b) || !isAlnum(b[j])) && len(digits) >= 13 && len(digits) <= 19 && luhn(digits) {
			found = append(found, string(digits))
		}
		i = j
	}
	return found
}

func luhn(d []byte) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// NoCardNumbers fails the test when b (named what, for the message) holds
// a card number by FindCardNumbers.
func NoCardNumbers(tb testing.TB, what string, b []byte) {
	tb.Helper()
	if found := FindCardNumbers(b); len(found) > 0 {
		tb.Errorf("%s holds %d card number(s), e.g. %s", what, len(found), found[0])
	}
}

// NoCardNumbersInFiles scans files (missing ones are skipped: a WAL
// checkpointed away) with NoCardNumbers and returns how many it read.
func NoCardNumbersInFiles(tb testing.TB, paths ...string) int {
	tb.Helper()
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			tb.Fatal(err)
		}
		n++
		NoCardNumbers(tb, p, b)
	}
	return n
}
