package auratest

import (
	"os"
	"regexp"
	"testing"
)

// isoDate is a date written as SQLite stores it ("2026-12-06"). A run of
// digits holding one is dates glued to their neighbours (a stay's arrival
// and departure columns side by side, or a service and a business date
// after a column ending in a digit, "22026-12-062026-12-06"), not a card
// number: nobody writes a card number in 4-2-2 groups, and since a run
// reported is at most 19 digits, the 11 digits left beside a date cannot
// hold a card number (13 at least) either.
var isoDate = regexp.MustCompile(`(19|20)\d\d-[01]\d-[0-3]\d`)

// FindCardNumbers returns every run of 13 to 19 ASCII digits in b that
// passes the Luhn check — what a payment card number (PAN) looks like —
// with single spaces or dashes allowed between digits, as people write
// them ("4242 4242 4242 4242"). Letters around a run do not hide it: in a
// SQLite record the columns' bytes are contiguous, so a number stored in a
// note sits right after the previous column's text (an id such as
// "fol_ab12…"). A run of more than 19 digits is something else (an IBAN's
// digits, a nanosecond counter) and is not reported; this is the one blind
// spot: a number glued to other digits. A run starting with 0 is not a
// card number either (no card network's numbers begin with 0; Litestream's
// zero-padded transaction ids do), nor is a run holding an ISO date
// (dates glued together, see isoDate). Tests use it on tenant files, WALs,
// replicas, audit rows and logs: a card number Aura stored would be found
// however it got there.
func FindCardNumbers(b []byte) []string {
	var found []string
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(b); i++ {
		if !isDigit(b[i]) {
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
		if len(digits) >= 13 && len(digits) <= 19 && digits[0] != '0' && luhn(digits) && !isoDate.Match(b[i:j]) {
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
