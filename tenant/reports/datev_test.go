package reports_test

import (
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
)

// cents parses a decimal amount ("12.50" or "12,50") to minor units.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	whole, frac, ok := strings.Cut(strings.TrimPrefix(strings.ReplaceAll(s, ",", "."), "-"), ".")
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || len(frac) != 2 || err1 != nil || err2 != nil {
		t.Fatalf("amount %q", s)
	}
	if neg {
		return -(100*w + f)
	}
	return 100*w + f
}

// TestDATEVExport writes the DATEV variant of the accounting export of
// 1–3 January on the New Year hotel, with a minibar charge moved to the
// house folio, an invoice, a card payment and a partial refund added on
// 2 January, parses it back (Windows-1252, semicolons, decimal commas)
// and reconciles it with the plain export of the same period: the debtor
// account moves by the sum of its signed gross amounts, each revenue
// account by its charges less allowances, the payment accounts by the
// payments less refunds, and every booking names its line's invoice.
func TestDATEVExport(t *testing.T) {
	f := newYear(t)
	led := ledger.New(f.DB)
	jan1, jan2, jan4 := f.Day(2), f.Day(3), f.Day(5)
	pmstest.Must(led.SetTaxCode(f.Ctx, f.Prop.ID, ledger.TaxCode{Code: "standard", Name: "Standard 19%", Category: ledger.CategoryStandard,
		Rates: []ledger.Rate{{ValidFrom: pmsledger.Since, BasisPoints: 1900}}}))(t)
	var resB string
	if err := f.DB.SQL().Read.QueryRow(`SELECT id FROM reservations WHERE arrival = ? AND status = 'in_house'`, f.Day(1)).Scan(&resB); err != nil {
		t.Fatal(err)
	}
	folB := pmstest.Must(led.GuestFolio(f.Ctx, f.Prop.ID, resB))(t)
	house := pmstest.Must(led.HouseFolio(f.Ctx, f.Prop.ID))(t)
	desc := `Minibar "Spezial": Bier für Zimmer 102 ✓`
	minibar := pmstest.Must(led.PostCharge(f.Ctx, ledger.ChargeInput{FolioID: folB.ID, ServiceDate: jan2, BusinessDate: jan2, Description: desc,
		Quantity: 1, UnitPrice: 1190, TaxCode: "standard", Category: pmsledger.CategoryExtras}))(t)
	pmstest.Must2(led.TransferLine(f.Ctx, ledger.TransferInput{LineID: minibar.ID, ToFolioID: house.ID, BusinessDate: jan2, Reason: "On the house"}))(t)
	st := pmstest.Must(led.Settings(f.Ctx, f.Prop.ID))(t)
	st.Legal = ledger.Legal{Company: "Hotel Test GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
		VATID: "DE123456789", TaxNumber: "27/123/45678"}
	pmstest.Must(led.Configure(f.Ctx, st))(t)
	inv := pmstest.Must(led.IssueInvoice(f.Ctx, ledger.InvoiceInput{FolioID: folB.ID, IssueDate: jan2,
		Recipient: ledger.Recipient{Name: "Ada Lovelace", Address: ledger.Address{Line1: "Uferweg 2", PostalCode: "10117", City: "Berlin", Country: "DE"}}}))(t)
	bal := pmstest.Must(led.FolioBalance(f.Ctx, folB.ID))(t)
	pay := pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: folB.ID, Method: ledger.MethodCardTerminal, Amount: bal.Balance, BusinessDate: jan2}))(t)
	pmstest.Must(led.RecordRefund(f.Ctx, ledger.RefundInput{PaymentID: pay.ID, Amount: 500, BusinessDate: jan2}))(t)

	p := reports.Period{PropertyID: f.Prop.ID, From: jan1, To: f.Day(4)}
	rs := reports.New(f.DB)
	var plain strings.Builder
	if err := rs.WriteExport(f.Ctx, &plain, p, false); err != nil {
		t.Fatal(err)
	}
	lrecs, err := csv.NewReader(strings.NewReader(plain.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range lrecs[0] {
		col[c] = i
	}
	var raw strings.Builder
	if err := rs.WriteDATEV(f.Ctx, &raw, p, reports.DATEVOptions{Consultant: 29098, Client: 55003, TaxKeys: map[string]string{"standard": "9"}}); err != nil {
		t.Fatal(err)
	}
	text, err := charmap.Windows1252.NewDecoder().String(raw.String())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "\ufffd") || !strings.Contains(raw.String(), "\xfc") || strings.Count(text, "\r\n") != strings.Count(text, "\n") {
		t.Fatalf("not Windows-1252 text with CR LF line ends: %q", raw.String())
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.FieldsPerRecord = ';', -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if len(head) != 31 || head[0] != "EXTF" || head[1] != "700" || head[2] != "21" || head[3] != "Buchungsstapel" || head[4] != "13" ||
		head[10] != "29098" || head[11] != "55003" || head[12] != "20270101" || head[13] != "4" || head[14] != "20270101" || head[15] != "20270102" ||
		head[18] != "1" || head[20] != "0" || head[21] != "EUR" || !regexp.MustCompile(`^\d{17}$`).MatchString(head[5]) {
		t.Fatalf("header %q", head)
	}
	if !strings.HasPrefix(text, `"EXTF";700;21;"Buchungsstapel";13;`) {
		t.Errorf("the header's text fields are not quoted: %q", text[:40])
	}
	if strings.Join(recs[1], "|") != strings.Join(reports.DATEVColumns, "|") {
		t.Fatalf("columns %q", recs[1])
	}
	// The plain export's lines that become bookings, in the same order.
	var lines [][]string
	var debtorWant int64
	revenueWant, paidWant := map[string]int64{}, int64(0)
	kinds := map[string]int{}
	for _, l := range lrecs[1:] {
		g := cents(t, l[col["gross"]])
		debtorWant += g
		kinds[l[col["kind"]]]++
		switch l[col["kind"]] {
		case "charge", "allowance":
			revenueWant[l[col["account"]]] += g
		case "payment", "refund":
			paidWant -= g
		}
		if k := l[col["kind"]]; g != 0 && k != "transfer_out" && k != "transfer_in" {
			lines = append(lines, l)
		}
	}
	if kinds["transfer_out"] != 1 || kinds["transfer_in"] != 1 || kinds["refund"] != 1 || kinds["payment"] != 2 || kinds["allowance"] != 1 {
		t.Fatalf("the period's lines are not what the test set up: %v", kinds)
	}
	books := recs[2:]
	if len(books) != len(lines) {
		t.Fatalf("%d bookings for %d lines", len(books), len(lines))
	}
	amount := regexp.MustCompile(`^\d{1,10},\d{2}$`)
	var debtor, paid int64
	revenue := map[string]int64{}
	perAccount := map[string]int64{}
	for i, b := range books {
		l := lines[i]
		if len(b) != len(reports.DATEVColumns) || !amount.MatchString(b[0]) || (b[1] != "S" && b[1] != "H") || b[2] != "EUR" {
			t.Fatalf("booking %d: %q", i, b)
		}
		v := cents(t, b[0])
		if b[1] == "H" {
			v = -v
		}
		// Konto is debited by v, Gegenkonto credited.
		perAccount[b[6]] += v
		perAccount[b[7]] -= v
		switch b[6] {
		case "10000":
			debtor += v
			revenue[b[7]] += v
			if want := map[string]string{"standard": "0009"}[l[col["tax_code"]]]; b[8] != want {
				t.Errorf("booking %d: BU-Schlüssel %q, want %q", i, b[8], want)
			}
		default:
			debtor -= v
			paid += v
			if b[7] != "10000" {
				t.Errorf("booking %d: Gegenkonto %s, want the debtor", i, b[7])
			}
		}
		bd := date.MustParse(l[col["business_date"]])
		_, m, d := bd.YMD()
		if want := strconv.Itoa(d/10) + strconv.Itoa(d%10) + "0" + strconv.Itoa(int(m)); b[9] != want {
			t.Errorf("booking %d: Belegdatum %q, want %q", i, b[9], want)
		}
		if b[10] != l[col["invoice_number"]] || utf8Len(b[13]) > 60 {
			t.Errorf("booking %d: Belegfeld 1 %q, want %q; text %q", i, b[10], l[col["invoice_number"]], b[13])
		}
	}
	if debtor != debtorWant || paid != paidWant {
		t.Errorf("debtor moves %d, the export's lines %d; payment accounts %d, payments less refunds %d", debtor, debtorWant, paid, paidWant)
	}
	for acct, w := range revenueWant {
		if revenue[acct] != w {
			t.Errorf("revenue account %s: DATEV %d, the export %d", acct, revenue[acct], w)
		}
	}
	// By hand: the card payment of B's balance less the 5.00 refund on
	// the money-in-transit account, A's cash payment on the cash account.
	if perAccount["1360"] != bal.Balance-500 || perAccount["1000"] <= 0 || perAccount["1000"]+perAccount["1360"] != paid {
		t.Errorf("payment accounts %v (B's balance %d)", perAccount, bal.Balance)
	}
	if !strings.Contains(text, `"Minibar ""Spezial"": Bier für Zimmer 102 ?"`) || !strings.Contains(text, `"`+inv.Number+`"`) {
		t.Errorf("the minibar's text or the invoice number is missing:\n%s", text)
	}

	// Refused before the first byte.
	for _, tc := range []struct {
		name  string
		p     reports.Period
		o     reports.DATEVOptions
		field string
	}{
		{"AcrossNewYear", reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: jan4}, reports.DATEVOptions{}, "to"},
		{"UnknownAccountKey", p, reports.DATEVOptions{Accounts: map[string]string{"paypal": "1361"}}, "accounts"},
		{"AccountNotDigits", p, reports.DATEVOptions{Accounts: map[string]string{"cash": "Kasse"}}, "accounts"},
		{"TaxKey", p, reports.DATEVOptions{TaxKeys: map[string]string{"standard": "19%"}}, "tax_keys"},
		{"Consultant", p, reports.DATEVOptions{Consultant: 12}, "consultant"},
		{"AccountLength", p, reports.DATEVOptions{AccountLength: 12}, "account_length"},
	} {
		var b strings.Builder
		err := rs.WriteDATEV(f.Ctx, &b, tc.p, tc.o)
		pmstest.WantCode(t, err, "invalid")
		if !pmstest.HasField(err, tc.field) || b.Len() != 0 {
			t.Errorf("%s: %v, %d bytes written", tc.name, err, b.Len())
		}
	}
	pmstest.Must(led.SetCategory(f.Ctx, f.Prop.ID, ledger.Category{Code: "MISC", Name: "Sonstiges", Account: "Erlöse"}, 0))(t)
	pmstest.Must(led.PostCharge(f.Ctx, ledger.ChargeInput{FolioID: house.ID, ServiceDate: jan2, BusinessDate: jan2, Description: "Parking",
		Quantity: 1, UnitPrice: 500, TaxCode: "standard", Category: "MISC"}))(t)
	var b strings.Builder
	err = rs.WriteDATEV(f.Ctx, &b, p, reports.DATEVOptions{})
	pmstest.WantCode(t, err, "invalid")
	if !pmstest.HasField(err, "account") || !strings.Contains(err.Error(), "MISC") || b.Len() != 0 {
		t.Errorf("a category account that is no number: %v, %d bytes written", err, b.Len())
	}
}

func utf8Len(s string) int { return len([]rune(s)) }
