// Package locale writes dates, instants and money the way the country of a
// property writes them ("Fri 14 Mar 2026", "1.234,50 €"). It is a leaf: the
// pages and the store's messages for people share it, so a refusal names a
// date exactly as the page beside it does.
package locale

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura/date"
)

// Style is how a country writes numbers, money and dates.
type Style struct {
	Decimal, Group string
	SymbolAfter    bool // "12,50 €" rather than "€12.50"
	Spaced         bool // a space between symbol and number
	MonthFirst     bool // dates as "Mar 14" rather than "14 Mar"
}

// The styles countries use.
var (
	comma   = Style{Decimal: ",", Group: ".", SymbolAfter: true, Spaced: true}
	space   = Style{Decimal: ",", Group: "\u202f", SymbolAfter: true, Spaced: true}
	dot     = Style{Decimal: ".", Group: ","}
	swiss   = Style{Decimal: ".", Group: "’", Spaced: true}
	dutch   = Style{Decimal: ",", Group: ".", Spaced: true}
	america = Style{Decimal: ".", Group: ",", MonthFirst: true}
)

// Of returns the style of a country (ISO 3166 alpha-2; unknown or empty
// gives the international style: "14 Mar 2026", "€1,234.50").
func Of(country string) Style {
	switch country {
	case "DE", "AT", "IT", "ES", "PT", "GR", "HR", "SI", "RO", "TR", "ID", "DK", "IS", "BA", "RS", "AR", "CL", "CO", "BR", "VN":
		return comma
	case "FR", "SE", "NO", "FI", "CZ", "SK", "PL", "HU", "RU", "UA", "BG", "LT", "LV", "EE", "LU":
		return space
	case "CH", "LI":
		return swiss
	case "NL", "BE":
		return dutch
	case "US", "CA", "PH":
		return america
	}
	return dot
}

var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "SEK": "kr", "NOK": "kr",
	"DKK": "kr", "PLN": "zł", "CZK": "Kč", "HUF": "Ft", "INR": "₹", "AUD": "A$", "CAD": "CA$", "CNY": "CN¥", "TRY": "₺", "BRL": "R$"}

// Money writes minor units of a currency with exp decimals: "1.234,50 €"
// in Germany, "€1,234.50" in Ireland, "−12,00 €" for a negative amount.
func (s Style) Money(minor int64, currency string, exp int) string {
	num := s.Number(minor, exp)
	sym, ok := symbols[currency]
	if !ok {
		sym = currency
	}
	sep := ""
	if s.Spaced || len(sym) > 2 && !strings.ContainsAny(sym, "€$£¥₹₺") {
		sep = "\u00a0"
	}
	sign := ""
	if strings.HasPrefix(num, "-") {
		sign, num = "−", num[1:]
	}
	if s.SymbolAfter {
		return sign + num + sep + sym
	}
	return sign + sym + sep + num
}

// Number writes minor units with exp decimals, grouping thousands.
func (s Style) Number(minor int64, exp int) string { return Decimal(minor, exp, s.Decimal, s.Group) }

// Decimal writes minor units with exp decimals, the decimal separator dec
// and thousands grouped by group ("" for none).
func Decimal(minor int64, exp int, dec, group string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	whole := strconv.FormatInt(minor/div, 10)
	var b strings.Builder
	for i, ch := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(ch)
	}
	if exp > 0 {
		b.WriteString(dec)
		fmt.Fprintf(&b, "%0*d", exp, minor%div)
	}
	return sign + b.String()
}

// Day writes a date as "Fri 14 Mar 2026" ("Fri, Mar 14, 2026" month first);
// "—" for the zero date.
func (s Style) Day(d date.Date) string {
	if d.IsZero() {
		return "—"
	}
	if s.MonthFirst {
		return d.Midnight(time.UTC).Format("Mon, Jan 2, 2006")
	}
	return d.Midnight(time.UTC).Format("Mon 2 Jan 2006")
}

// DayShort writes a date as "14 Mar" ("Mar 14" month first).
func (s Style) DayShort(d date.Date) string {
	if d.IsZero() {
		return "—"
	}
	if s.MonthFirst {
		return d.Midnight(time.UTC).Format("Jan 2")
	}
	return d.Midnight(time.UTC).Format("2 Jan")
}

// When writes an instant in zone loc: "14 Mar 2026, 09:05" ("Mar 14,
// 2026, 9:05 AM" month first); "—" for the zero instant.
func (s Style) When(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	if s.MonthFirst {
		return t.In(loc).Format("Jan 2, 2006, 3:04 PM")
	}
	return t.In(loc).Format("2 Jan 2006, 15:04")
}

// Clock writes the time of day of an instant in zone loc: "09:05" ("9:05 AM").
func (s Style) Clock(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if s.MonthFirst {
		return t.In(loc).Format("3:04 PM")
	}
	return t.In(loc).Format("15:04")
}
