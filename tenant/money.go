package tenant

import "fmt"

// Money is an amount in minor units (cents) of a currency, as the API shows
// it: {"amount": 12345, "currency": "EUR"}. Amounts are never floats.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// String renders m for logs and messages, e.g. "123.45 EUR".
func (m Money) String() string {
	exp := MinorUnits(m.Currency)
	if exp == 0 {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, a/div, exp, a%div, m.Currency)
}

// PercentOf returns p percent of amount, rounded half away from zero: the
// one rounding rule of percentage fees.
func PercentOf(amount int64, p int) int64 {
	v := amount * int64(p)
	if v >= 0 {
		return (v + 50) / 100
	}
	return (v - 50) / 100
}

// currencies maps every active ISO 4217 code to its number of minor-unit digits.
var currencies = func() map[string]int {
	m := map[string]int{}
	for _, c := range []string{
		"AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
		"BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC",
		"CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
		"GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD",
		"KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA",
		"MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO",
		"NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR",
		"SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
		"THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UZS", "VED", "VES", "XCD",
		"XCG", "YER", "ZAR", "ZMW", "ZWG",
	} {
		m[c] = 2
	}
	for _, c := range []string{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"} {
		m[c] = 0
	}
	for _, c := range []string{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"} {
		m[c] = 3
	}
	return m
}()

// ValidCurrency reports whether code is an active ISO 4217 currency code.
func ValidCurrency(code string) bool {
	_, ok := currencies[code]
	return ok
}

// MinorUnits returns the number of decimal digits of a currency's minor
// unit (2 for EUR, 0 for JPY, 3 for KWD); 2 for an unknown code.
func MinorUnits(code string) int {
	if n, ok := currencies[code]; ok {
		return n
	}
	return 2
}
