package ledger

import (
	"strconv"
	"strings"

	"github.com/aurapms/aura/tenant"
)

// RoundingRule is how the ledger rounds, in the words printed on every
// invoice and credit note.
const RoundingRule = "Tax is computed per line and rounded half away from zero to the minor unit; totals are sums of the lines."

// MaxAmount bounds every amount (10^12 minor units, ten billion euros), so
// no product of an amount and a rate in basis points can overflow int64.
const MaxAmount = 1_000_000_000_000

// MaxQuantity bounds the quantity of one line.
const MaxQuantity = 10_000

// MaxRate is the highest rate in basis points (100%).
const MaxRate = 10_000

// Round returns n/d rounded half away from zero: the ledger's one rounding
// rule. Every tax amount, percentage and proportional share in the ledger
// is computed through it, once per line. d must be positive.
func Round(n, d int64) int64 {
	if d <= 0 {
		panic("ledger: Round by a non-positive divisor")
	}
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// Amounts are the net, tax and gross of a line or a total, in minor units;
// Gross is always Net + Tax.
type Amounts struct {
	Net   int64 `json:"net"`
	Tax   int64 `json:"tax"`
	Gross int64 `json:"gross"`
}

// Add returns a + b column by column.
func (a Amounts) Add(b Amounts) Amounts {
	return Amounts{Net: a.Net + b.Net, Tax: a.Tax + b.Tax, Gross: a.Gross + b.Gross}
}

// Sub returns a − b column by column.
func (a Amounts) Sub(b Amounts) Amounts {
	return Amounts{Net: a.Net - b.Net, Tax: a.Tax - b.Tax, Gross: a.Gross - b.Gross}
}

// Neg returns −a.
func (a Amounts) Neg() Amounts { return Amounts{Net: -a.Net, Tax: -a.Tax, Gross: -a.Gross} }

// Split returns the net, tax and gross of amount at a rate in basis points
// (700 = 7%). When includesTax is set the amount is gross and the tax is
// the part of it the rate accounts for (amount × rate / (10000 + rate));
// otherwise the amount is net and the tax is added (amount × rate / 10000).
// The tax is rounded once, with Round.
func Split(amount int64, rateBP int, includesTax bool) Amounts {
	r := int64(rateBP)
	if includesTax {
		tax := Round(amount*r, 10_000+r)
		return Amounts{Net: amount - tax, Tax: tax, Gross: amount}
	}
	tax := Round(amount*r, 10_000)
	return Amounts{Net: amount, Tax: tax, Gross: amount + tax}
}

// Percent returns rateBP basis points of amount, rounded with Round.
func Percent(amount int64, rateBP int) int64 { return Round(amount*int64(rateBP), 10_000) }

// FormatAmount renders an amount of minor units as a plain decimal with the
// currency's number of digits: 12345 EUR is "123.45", -5 EUR "-0.05", 500
// JPY "500". It is the form of amounts in the XML and the PDF.
func FormatAmount(amount int64, currency string) string {
	exp := tenant.MinorUnits(currency)
	sign := ""
	a := amount
	if a < 0 {
		sign, a = "-", -a
	}
	if exp == 0 {
		return sign + strconv.FormatInt(a, 10)
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	frac := strconv.FormatInt(a%div, 10)
	return sign + strconv.FormatInt(a/div, 10) + "." + strings.Repeat("0", exp-len(frac)) + frac
}

// FormatRate renders basis points as a percentage with two decimals: 700 is
// "7.00", 750 "7.50".
func FormatRate(bp int) string {
	return strconv.Itoa(bp/100) + "." + strconv.Itoa(bp%100/10) + strconv.Itoa(bp%10)
}

// hasCardNumber reports whether s contains a number of 13 to 19 digits
// (spaces or dashes between digits allowed) that passes the Luhn check:
// what a payment card number looks like. The ledger refuses such text
// anywhere it stores free text, so no card number lands in the file by
// accident. Longer digit runs (an IBAN's, a bank reference) are not cards.
func hasCardNumber(s string) bool {
	var digits []byte
	card := func() bool {
		ok := len(digits) >= 13 && len(digits) <= 19 && luhn(digits)
		digits = digits[:0]
		return ok
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case (c == ' ' || c == '-') && len(digits) > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// a separator inside a number
		default:
			if card() {
				return true
			}
		}
	}
	return card()
}

func luhn(d []byte) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}
