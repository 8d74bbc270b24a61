package reports

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/encoding/charmap"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// The DATEV variant of the accounting export: the same posted lines as
// WriteExport, as a DATEV "Buchungsstapel" (posting batch) file an
// accountant imports into DATEV Rechnungswesen. The layout is documented
// in docs/EXPORTS.md; in short:
//
//   - Windows-1252, fields separated by semicolons, lines ended by CR LF,
//     text fields in double quotes (doubled inside), amounts with a
//     decimal comma and no grouping, dates as digits.
//   - Line 1: the EXTF header (header version 700, format category 21
//     "Buchungsstapel", format version 13, 31 fields).
//   - Line 2: the column headings; then one booking per line: the first
//     14 of the format's columns (Umsatz, Soll/Haben-Kennzeichen, WKZ
//     Umsatz, Kurs, Basis-Umsatz, WKZ Basis-Umsatz, Konto, Gegenkonto, BU-
//     Schlüssel, Belegdatum, Belegfeld 1, Belegfeld 2, Skonto,
//     Buchungstext); the rest are optional and left off.
//
// Each folio line becomes one booking of its gross amount (VAT included;
// the revenue account or the BU-Schlüssel tells DATEV the rate):
//
//   - charge: Konto the guests' debtor account, Gegenkonto the line's
//     ledger account (its accounting category's), S; allowance: the same, H;
//   - payment: Konto the account of its payment method, Gegenkonto the
//     debtor account, S; refund: the same, H;
//   - transfers between folios move a balance from one guest folio to
//     another, both on the debtor account, and lines of zero are nothing
//     to book: both are left out.
//
// So the bookings reconcile with WriteExport: the debtor account moves by
// the sum of the export's signed gross amounts, each revenue account by
// its charges less allowances, each payment account by its payments less
// refunds (TestDATEVExport parses the file back and checks all three).

// DATEVColumns are the column headings of a DATEV booking line, as the
// format names them (the first 14 of Buchungsstapel format version 13).
var DATEVColumns = []string{"Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz", "WKZ Basis-Umsatz",
	"Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext"}

// DATEVDebtor is the key of the guests' debtor account in
// DATEVOptions.Accounts; the other keys are payment methods.
const DATEVDebtor = "debtor"

// DATEVDefaultAccounts are the accounts of a DATEV export unless the
// options name others: a collective debtor for the guests (a personal
// account, one digit longer than the ledger accounts), another for the
// city ledger, and SKR03's cash, bank and money-in-transit accounts for
// the payment methods. The revenue accounts are the accounting
// categories' own (pmsledger's defaults are SKR03's).
var DATEVDefaultAccounts = map[string]string{
	DATEVDebtor:               "10000",
	ledger.MethodCityLedger:   "10001",
	ledger.MethodCash:         "1000",
	ledger.MethodBankTransfer: "1200",
	ledger.MethodCardTerminal: "1360",
	ledger.MethodStripe:       "1360",
}

// DATEVOptions are what a DATEV file needs beyond the ledger: the
// consultant's and client's numbers of the header (0 leaves them empty,
// for the accountant's import to fill in), the length of the ledger
// accounts (default 4), account numbers replacing DATEVDefaultAccounts,
// and the BU-Schlüssel (DATEV tax key, 1 to 4 digits, written as four:
// 9 as "0009") of each tax code; without one the
// field stays empty, right for DATEV's automatic revenue accounts (such as
// SKR03's 8300 and 8400) that carry their own VAT rate.
type DATEVOptions struct {
	Consultant    int               `json:"consultant"`
	Client        int               `json:"client"`
	AccountLength int               `json:"account_length"`
	Accounts      map[string]string `json:"accounts"`
	TaxKeys       map[string]string `json:"tax_keys"`
}

var (
	datevAccount = regexp.MustCompile(`^[0-9]{1,9}$`)
	datevTaxKey  = regexp.MustCompile(`^[0-9]{1,4}$`)
	datevBeleg   = regexp.MustCompile(`[^0-9A-Za-z$&%*+\-/]`)
)

// datevBooking is one booking line of a DATEV file.
type datevBooking struct {
	amount                   int64
	side                     string // S or H
	account, counter, taxKey string
	day                      date.Date
	beleg, text              string
}

// WriteDATEV writes the accounting export of a period as a DATEV
// Buchungsstapel (see above). Everything is checked before the first
// byte: it returns EINVALID for a bad period, a period across two
// calendar years (a DATEV batch holds one fiscal year, taken to be the
// calendar year), a currency without two decimals, bad options, or a
// ledger account that is not a number, and ENOTFOUND for an unknown
// property.
func (s Store) WriteDATEV(ctx context.Context, w io.Writer, p Period, o DATEVOptions) error {
	if err := p.check(); err != nil {
		return err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return err
	}
	last := p.To.AddDays(-1)
	fy, _, _ := p.From.YMD()
	if y, _, _ := last.YMD(); y != fy {
		return aura.Invalid("A DATEV file holds one fiscal year.", aura.FieldError{Field: "to", Message: "Export each calendar year on its own."})
	}
	if n := tenant.MinorUnits(prop.Currency); n != 2 {
		return aura.Invalid("DATEV amounts have two decimals.", aura.FieldError{Field: "property_id", Message: fmt.Sprintf("The property's currency %s has %d.", prop.Currency, n)})
	}
	accounts := map[string]string{}
	for k, v := range DATEVDefaultAccounts {
		accounts[k] = v
	}
	var fields []aura.FieldError
	for k, v := range o.Accounts {
		if _, ok := DATEVDefaultAccounts[k]; !ok {
			fields = append(fields, aura.FieldError{Field: "accounts", Message: fmt.Sprintf("%q is neither %q nor a payment method.", k, DATEVDebtor)})
		} else if !datevAccount.MatchString(v) {
			fields = append(fields, aura.FieldError{Field: "accounts", Message: fmt.Sprintf("The account of %s must be 1 to 9 digits.", k)})
		}
		accounts[k] = v
	}
	for k, v := range o.TaxKeys {
		if !datevTaxKey.MatchString(v) {
			fields = append(fields, aura.FieldError{Field: "tax_keys", Message: fmt.Sprintf("The BU-Schlüssel of %s must be 1 to 4 digits.", k)})
		}
	}
	if o.Consultant != 0 && (o.Consultant < 1001 || o.Consultant > 9999999) {
		fields = append(fields, aura.FieldError{Field: "consultant", Message: "A consultant number is 1001 to 9999999."})
	}
	if o.Client < 0 || o.Client > 99999 {
		fields = append(fields, aura.FieldError{Field: "client", Message: "A client number is 1 to 99999."})
	}
	if o.AccountLength == 0 {
		o.AccountLength = 4
	}
	if o.AccountLength < 4 || o.AccountLength > 8 {
		fields = append(fields, aura.FieldError{Field: "account_length", Message: "The account length is 4 to 8 digits."})
	}
	if len(fields) > 0 {
		return aura.Invalid("The DATEV export cannot run with these settings.", fields...)
	}
	debtor := accounts[DATEVDebtor]
	var out []datevBooking
	if err := s.eachExportLine(ctx, p, func(l exportLine) error {
		if l.Gross == 0 || l.Kind == ledger.LineTransferOut || l.Kind == ledger.LineTransferIn {
			return nil
		}
		b := datevBooking{amount: l.Gross, side: "S", beleg: l.Invoice, text: l.Description}
		if err := b.day.UnmarshalText([]byte(l.BusinessDate)); err != nil {
			return fmt.Errorf("reports: datev: %w", err)
		}
		switch l.Kind {
		case ledger.LineCharge, ledger.LineAllowance:
			if !datevAccount.MatchString(l.Account) {
				return aura.Invalid(fmt.Sprintf("DATEV needs account numbers, and the category %s books to %q.", l.Category, l.Account), aura.FieldError{Field: "account",
					Message: fmt.Sprintf("The ledger account %q of the category %s is not a number of 1 to 9 digits: change it in the ledger settings.", l.Account, l.Category)})
			}
			b.account, b.counter, b.taxKey = debtor, l.Account, o.TaxKeys[l.TaxCode]
			if l.Kind == ledger.LineAllowance {
				b.side = "H"
			}
		default: // payments and refunds
			b.account, b.counter = accounts[l.Method], debtor
			if b.account == "" {
				return fmt.Errorf("reports: datev: payment line %s has no known method %q", l.ID, l.Method)
			}
			if l.Kind == ledger.LineRefund {
				b.side = "H"
			}
		}
		out = append(out, b)
		return nil
	}); err != nil {
		return err
	}
	var now time.Time
	if err := s.View(ctx, func(tx *tenant.Tx) error { now = tx.Now; return nil }); err != nil {
		return err
	}
	loc, err := prop.Location()
	if err != nil {
		return err
	}
	ymd := func(d date.Date) string { return strings.ReplaceAll(d.String(), "-", "") }
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	header := []string{q("EXTF"), "700", "21", q("Buchungsstapel"), "13", now.In(loc).Format("20060102150405000"), "", q("RE"), q("Aura"), q(""),
		num(o.Consultant), num(o.Client), ymd(date.New(fy, time.January, 1)), strconv.Itoa(o.AccountLength), ymd(p.From), ymd(last),
		q(datevText("Aura "+ymd(p.From)+"-"+ymd(last), 30)), q(""), "1", "0", "0", q(prop.Currency), "", q(""), "", "", q(""), "", "", q(""), q("")}
	var b strings.Builder
	b.WriteString(strings.Join(header, ";") + "\r\n")
	b.WriteString(strings.Join(DATEVColumns, ";") + "\r\n")
	for _, e := range out {
		_, m, d := e.day.YMD()
		taxKey := ""
		if e.taxKey != "" {
			// Four digits, as the format's description gives the field.
			taxKey = q(strings.Repeat("0", 4-len(e.taxKey)) + e.taxKey)
		}
		beleg := datevBeleg.ReplaceAllString(e.beleg, "-")
		if len(beleg) > 36 {
			beleg = beleg[:36]
		}
		b.WriteString(strings.Join([]string{locale.Decimal(e.amount, 2, ",", ""), q(e.side), q(prop.Currency), "", "", "",
			e.account, e.counter, taxKey, fmt.Sprintf("%02d%02d", d, int(m)), q(beleg), q(""), "", q(datevText(e.text, 60))}, ";") + "\r\n")
	}
	enc, err := charmap.Windows1252.NewEncoder().String(b.String())
	if err != nil {
		return fmt.Errorf("reports: datev: %w", err)
	}
	_, err = io.WriteString(w, enc)
	return err
}

// q quotes a DATEV text field, doubling the quotes inside.
func q(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// datevText makes s fit a DATEV text field of at most n characters:
// control characters become spaces and characters Windows-1252 lacks a
// question mark.
func datevText(s string, n int) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if len(out) == n {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		} else if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
			r = '?'
		}
		out = append(out, r)
	}
	return string(out)
}
