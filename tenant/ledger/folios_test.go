package ledger_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/ledger"
)

func TestSettings(t *testing.T) {
	f := newFixture(t)
	t.Run("OK", func(t *testing.T) {
		st := must(f.s.Settings(f.ctx, f.prop))(t)
		if st.Currency != "EUR" || !st.PricesIncludeTax || st.InvoiceSeries != "RE" || st.CreditNoteSeries != "GS" || st.Version != 1 {
			t.Fatalf("settings = %+v", st)
		}
		st.Legal.PaymentTerms = "Within 14 days."
		st2 := must(f.s.Configure(f.ctx, st))(t)
		if st2.Version != 2 || f.auditCount(t, "ledger.configured") != 2 {
			t.Fatalf("version %d, audit rows %d", st2.Version, f.auditCount(t, "ledger.configured"))
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		st := must(f.s.Settings(f.ctx, f.prop))(t)
		st.Version = 1
		_, err := f.s.Configure(f.ctx, st)
		wantCode(t, err, aura.EPRECONDITION)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		st := must(f.s.Settings(f.ctx, f.prop))(t)
		st.Version = 0
		st.Legal.Bank.IBAN = "DE89370400440532013001" // one digit off
		st.Legal.VATID = "123"
		st.CreditNoteSeries = "RE"
		st.Currency = "EURO"
		_, err := f.s.Configure(f.ctx, st)
		for _, field := range []string{"legal.bank.iban", "legal.vat_id", "credit_note_series", "currency"} {
			wantField(t, err, field)
		}
	})
	t.Run("ErrCurrencyWithFolios", func(t *testing.T) {
		f.guestFolio(t, "res_1")
		st := must(f.s.Settings(f.ctx, f.prop))(t)
		st.Currency = "CHF"
		_, err := f.s.Configure(f.ctx, st)
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		_, err := f.s.GuestFolio(f.ctx, "prp_other", "res_1")
		wantCode(t, err, aura.ENOTFOUND)
	})
	t.Run("ErrTaxCode", func(t *testing.T) {
		_, err := f.s.SetTaxCode(f.ctx, f.prop, ledger.TaxCode{Code: "X", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2020-01-01")}}})
		wantField(t, err, "rates[0].basis_points")
		_, err = f.s.SetTaxCode(f.ctx, f.prop, ledger.TaxCode{Code: "Y", Category: "E", Rates: []ledger.Rate{{ValidFrom: d("2020-01-01")}}})
		wantField(t, err, "exemption_reason")
	})
	t.Run("ErrCityTax", func(t *testing.T) {
		_, err := f.s.SetCityTax(f.ctx, f.prop, []ledger.CityTaxRule{{ValidFrom: d("2026-01-01"), Kind: ledger.CityTaxPerPersonNight, Amount: 300, TaxCode: "NOPE", Category: "CT"}}, 0)
		wantField(t, err, "versions[0].tax_code")
		_, err = f.s.SetCityTax(f.ctx, f.prop, []ledger.CityTaxRule{{ValidFrom: d("2026-01-01"), Kind: ledger.CityTaxPercentOfNet, BasisPoints: 500, ChildExemptBelowAge: 12, TaxCode: "NV", Category: "CT"}}, 0)
		wantField(t, err, "versions[0].child_exempt_below_age")
	})
}

// TestPostNight posts a stay across New Year through the store as the
// night audit would: each night is its own line with its own service date
// (its own year) and business date, the city tax follows the rule, and
// running a night again posts nothing twice.
func TestPostNight(t *testing.T) {
	f := newFixture(t)
	party := ledger.Party{Adults: 2}
	lines := f.stay(t, "res_ny", "2026-12-30", "2027-01-02", 12840, party, ledger.Extra{Product: "BRK"})
	// Each night: room 128.40 gross at 7% (tax 8.40, net 120.00), city tax 7.5% of 120.00 = 9.00,
	// breakfast 2 × 15.00 = 30.00 gross at 19% (tax 4.79, net 25.21).
	if len(lines) != 9 {
		t.Fatalf("posted %d lines, want 9", len(lines))
	}
	years := map[int]int64{}
	for i, l := range lines {
		night := d("2026-12-30").AddDays(i / 3)
		if l.ServiceDate != night || l.BusinessDate != night || l.Night != night || l.Ref != (ledger.Ref{Kind: "reservation", ID: "res_ny"}) {
			t.Fatalf("line %d: service %s business %s night %s ref %v, want night %s", i, l.ServiceDate, l.BusinessDate, l.Night, l.Ref, night)
		}
		if l.Actor.ID != "usr_test" {
			t.Fatalf("line actor = %+v", l.Actor)
		}
		y, _, _ := l.ServiceDate.YMD()
		years[y] += l.Gross
		want := map[string]ledger.Amounts{"room": {Net: 12000, Tax: 840, Gross: 12840}, "city_tax": {Net: 900, Gross: 900}, "product:BRK": {Net: 2521, Tax: 479, Gross: 3000}}[l.Item]
		if l.Amounts != want {
			t.Fatalf("line %s = %+v, want %+v", l.Item, l.Amounts, want)
		}
	}
	// Revenue is recognised per night: two nights in 2026, one in 2027.
	if years[2026] != 2*(12840+900+3000) || years[2027] != 12840+900+3000 {
		t.Fatalf("revenue by year = %v", years)
	}
	fol := f.guestFolio(t, "res_ny")
	bal := must(f.s.FolioBalance(f.ctx, fol.ID))(t)
	if bal.Balance != 3*(12840+900+3000) || bal.Charges != bal.Balance {
		t.Fatalf("balance = %+v", bal)
	}
	if n := f.auditCount(t, "folio.night_posted"); n != 3 {
		t.Fatalf("%d night_posted audit rows, want 3", n)
	}

	t.Run("Idempotent", func(t *testing.T) {
		r := must(f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: d("2027-01-02"), Nights: []ledger.NightPosting{
			{Reservation: "res_ny", Night: ledger.Night{Date: d("2027-01-01"), Price: 12840, Party: party, NightsBefore: 2, Extras: []ledger.Extra{{Product: "BRK"}}}}}}))(t)
		if len(r.Posted) != 0 || len(r.Skipped) != 3 {
			t.Fatalf("re-run posted %d, skipped %d", len(r.Posted), len(r.Skipped))
		}
		if got := must(f.s.FolioBalance(f.ctx, fol.ID))(t); got != bal {
			t.Fatalf("balance changed on a re-run: %+v", got)
		}
	})
	t.Run("ErrOneBadNightPostsNothing", func(t *testing.T) {
		_, err := f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: d("2027-03-10"), Nights: []ledger.NightPosting{
			{Reservation: "res_a", Night: ledger.Night{Date: d("2027-03-10"), Price: 10000, Party: party}},
			{Reservation: "res_b", Night: ledger.Night{Date: d("2027-03-10"), Price: 10000, Party: party, Extras: []ledger.Extra{{Product: "SPA"}}}},
		}})
		wantField(t, err, "nights[1]")
		if fs := must(f.s.Folios(f.ctx, ledger.Ref{Kind: "reservation", ID: "res_a"}))(t); len(fs) != 0 {
			t.Fatalf("a failed batch left folios: %+v", fs)
		}
	})
	t.Run("ToNamedFolio", func(t *testing.T) {
		company := must(f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioGuest, Ref: ledger.Ref{Kind: "reservation", ID: "res_co"}, Label: "Company"}))(t)
		r := must(f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: d("2027-03-10"), Nights: []ledger.NightPosting{
			{Reservation: "res_co", FolioID: company.ID, Night: ledger.Night{Date: d("2027-03-10"), Price: 10700, Party: party}}}}))(t)
		if len(r.Posted) != 2 || r.Posted[0].FolioID != company.ID {
			t.Fatalf("posted = %+v", r.Posted)
		}
		if fs := must(f.s.Folios(f.ctx, ledger.Ref{Kind: "reservation", ID: "res_co"}))(t); len(fs) != 1 {
			t.Fatalf("a default folio was opened beside the named one: %+v", fs)
		}
	})
}

// TestPostNightAcrossVATChange posts a stay across Germany's reduction of
// 1 July 2020 through the store and invoices it: each night freezes the
// rate of its own date and the invoice shows one breakdown row per rate.
func TestPostNightAcrossVATChange(t *testing.T) {
	f := newFixture(t)
	lines := f.stay(t, "res_2020", "2020-06-29", "2020-07-02", 10700, ledger.Party{Adults: 1})
	var rates []int
	for _, l := range lines {
		if l.Item == "room" {
			rates = append(rates, l.TaxRate)
		}
	}
	if fmt.Sprint(rates) != "[700 700 500]" {
		t.Fatalf("room rates = %v", rates)
	}
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: f.guestFolio(t, "res_2020").ID, IssueDate: f.today(), Recipient: guest}))(t)
	checkReconciles(t, inv)
	// 2 × 107.00 at 7% (net 100.00, tax 7.00); 107.00 at 5% (net 101.90, tax 5.10); city tax 5% of each net.
	var got []string
	for _, tt := range inv.Taxes {
		got = append(got, fmt.Sprintf("%s %d: %d/%d/%d", tt.Category, tt.Rate, tt.Net, tt.Tax, tt.Gross))
	}
	want := []string{"E 0: 1510/0/1510", "S 700: 20000/1400/21400", "S 500: 10190/510/10700"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("breakdown = %v, want %v", got, want)
	}
}

func TestAllowance(t *testing.T) {
	f := newFixture(t)
	lines := f.stay(t, "res_1", "2027-03-08", "2027-03-09", 10700, ledger.Party{Adults: 1})
	room := lines[0]
	t.Run("OK", func(t *testing.T) {
		a := must(f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: room.ID, Amount: 2000, BusinessDate: d("2027-03-10"), Reason: "Noisy room"}))(t)
		// 20.00 gross at the charge's frozen 7%: tax 1.31 (130.84), net 18.69.
		if a.Kind != ledger.LineAllowance || a.Corrects != room.ID || a.TaxRate != 700 || a.Amounts != (ledger.Amounts{Net: 1869, Tax: 131, Gross: 2000}) {
			t.Fatalf("allowance = %+v", a)
		}
	})
	t.Run("ErrAboveWhatRemains", func(t *testing.T) {
		_, err := f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: room.ID, Amount: 8701, BusinessDate: d("2027-03-10"), Reason: "x"})
		wantField(t, err, "amount")
	})
	t.Run("RestTakesExactRemainder", func(t *testing.T) {
		a := must(f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: room.ID, BusinessDate: d("2027-03-10"), Reason: "Waived"}))(t)
		// What remains of 100.00 net / 7.00 tax after 18.69 / 1.31: exactly 81.31 / 5.69.
		if a.Amounts != (ledger.Amounts{Net: 8131, Tax: 569, Gross: 8700}) {
			t.Fatalf("last allowance = %+v", a.Amounts)
		}
	})
	t.Run("ErrNothingLeft", func(t *testing.T) {
		_, err := f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: room.ID, BusinessDate: d("2027-03-10"), Reason: "again"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrNotACharge", func(t *testing.T) {
		fol := f.guestFolio(t, "res_1")
		p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 500, BusinessDate: d("2027-03-10")}))(t)
		v := must(f.s.Folio(f.ctx, fol.ID))(t)
		var payLine string
		for _, l := range v.Lines {
			if l.PaymentID == p.ID {
				payLine = l.ID
			}
		}
		_, err := f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: payLine, BusinessDate: d("2027-03-10"), Reason: "x"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrUnknownLine", func(t *testing.T) {
		_, err := f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: "fln_nope", BusinessDate: d("2027-03-10"), Reason: "x"})
		wantCode(t, err, aura.ENOTFOUND)
	})
}

// TestBalance checks balance = charges − allowances − payments + refunds
// on a folio that has each.
func TestBalance(t *testing.T) {
	f := newFixture(t)
	lines := f.stay(t, "res_1", "2027-03-08", "2027-03-10", 10700, ledger.Party{Adults: 1}) // 2 × (107.00 + 7.50)
	fol := f.guestFolio(t, "res_1")
	must(f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: lines[0].ID, Amount: 1000, BusinessDate: d("2027-03-10"), Reason: "Late room"}))(t)
	p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCardTerminal, Amount: 20000, ExternalRef: "T-42", BusinessDate: d("2027-03-10")}))(t)
	must(f.s.RecordRefund(f.ctx, ledger.RefundInput{PaymentID: p.ID, Amount: 500, BusinessDate: d("2027-03-10")}))(t)
	b := must(f.s.FolioBalance(f.ctx, fol.ID))(t)
	want := ledger.Balance{Currency: "EUR", Charges: 22900, Allowances: 1000, Payments: 20000, Refunds: 500, Balance: 22900 - 1000 - 20000 + 500}
	if b != want {
		t.Fatalf("balance = %+v, want %+v", b, want)
	}
	v := must(f.s.Folio(f.ctx, fol.ID))(t)
	if v.Balance != want || len(v.Lines) != 7 || len(v.Payments) != 2 {
		t.Fatalf("folio view: balance %+v, %d lines, %d payments", v.Balance, len(v.Lines), len(v.Payments))
	}
	bs := must(f.s.Balances(f.ctx, "reservation", []string{"res_1", "res_none"}))(t)
	if len(bs) != 1 || bs["res_1"] != want.Balance {
		t.Fatalf("balances = %v", bs)
	}
}

func TestTransferLine(t *testing.T) {
	f := newFixture(t)
	lines := f.stay(t, "res_1", "2027-03-08", "2027-03-09", 10700, ledger.Party{Adults: 1})
	src := f.guestFolio(t, "res_1")
	dst := must(f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioGuest, Ref: ledger.Ref{Kind: "reservation", ID: "res_1"}, Label: "Company"}))(t)
	must(f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: lines[0].ID, Amount: 700, BusinessDate: d("2027-03-10"), Reason: "Discount"}))(t)
	t.Run("OK", func(t *testing.T) {
		out, in := must2(f.s.TransferLine(f.ctx, ledger.TransferInput{LineID: lines[0].ID, ToFolioID: dst.ID, BusinessDate: d("2027-03-10"), Reason: "Company pays the room"}))(t)
		// 107.00 less a 7.00 allowance (6.54 net, 0.46 tax) moves: 100.00 gross, 93.46 net, 6.54 tax.
		want := ledger.Amounts{Net: 9346, Tax: 654, Gross: 10000}
		if out.Kind != ledger.LineTransferOut || out.FolioID != src.ID || out.Corrects != lines[0].ID || out.Amounts != want {
			t.Fatalf("out = %+v", out)
		}
		if in.Kind != ledger.LineTransferIn || in.FolioID != dst.ID || in.Corrects != out.ID || in.Amounts != want || in.TaxRate != 700 || in.ServiceDate != lines[0].ServiceDate {
			t.Fatalf("in = %+v", in)
		}
		if b := must(f.s.FolioBalance(f.ctx, src.ID))(t); b.Balance != 750 { // only the city tax stays
			t.Fatalf("source balance = %+v", b)
		}
		if b := must(f.s.FolioBalance(f.ctx, dst.ID))(t); b.Balance != 10000 || b.TransfersIn != 10000 {
			t.Fatalf("target balance = %+v", b)
		}
	})
	t.Run("ErrAlreadyMoved", func(t *testing.T) {
		_, _, err := f.s.TransferLine(f.ctx, ledger.TransferInput{LineID: lines[0].ID, ToFolioID: dst.ID, BusinessDate: d("2027-03-10")})
		wantCode(t, err, aura.ECONFLICT)
		_, err = f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: lines[0].ID, BusinessDate: d("2027-03-10"), Reason: "x"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrSameFolio", func(t *testing.T) {
		_, _, err := f.s.TransferLine(f.ctx, ledger.TransferInput{LineID: lines[1].ID, ToFolioID: src.ID, BusinessDate: d("2027-03-10")})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("InvoicesSplit", func(t *testing.T) {
		a := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: src.ID, IssueDate: f.today(), Recipient: guest}))(t)
		b := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: dst.ID, IssueDate: f.today(), Recipient: ledger.Recipient{Name: "Acme AG", Company: "Acme AG", VATID: "DE999999999", Address: ledger.Address{Country: "DE"}}}))(t)
		if len(a.Lines) != 1 || a.Lines[0].Kind != ledger.LineCharge || a.Totals.Gross != 750 {
			t.Fatalf("source invoice lines %+v, total %d", a.Lines, a.Totals.Gross)
		}
		if len(b.Lines) != 1 || b.Lines[0].Kind != ledger.LineTransferIn || b.Totals != (ledger.Amounts{Net: 9346, Tax: 654, Gross: 10000}) {
			t.Fatalf("target invoice lines %+v, totals %+v", b.Lines, b.Totals)
		}
	})
}

func TestPostChargeAndProduct(t *testing.T) {
	f := newFixture(t)
	fol := f.guestFolio(t, "res_1")
	t.Run("OK", func(t *testing.T) {
		l := must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10"),
			Description: "Laundry", Quantity: 3, UnitPrice: 499, TaxCode: "DE-19", Category: "MISC"}))(t)
		// 3 × 4.99 = 14.97 gross at 19%: tax 2.39 (239.02), net 12.58.
		if l.Amounts != (ledger.Amounts{Net: 1258, Tax: 239, Gross: 1497}) || l.Account != "8900" || l.Quantity != 3 {
			t.Fatalf("charge = %+v", l)
		}
		// A product posted by hand twice on one day is two lines.
		for range 2 {
			p := must(f.s.PostProduct(f.ctx, ledger.ProductPosting{FolioID: fol.ID, Product: "MINI", Quantity: 2, ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10")}))(t)
			if p.Gross != 900 || p.Category != "FB" || p.Description != "Minibar" {
				t.Fatalf("product = %+v", p)
			}
		}
		if b := must(f.s.FolioBalance(f.ctx, fol.ID))(t); b.Balance != 1497+1800 {
			t.Fatalf("balance = %+v", b)
		}
	})
	t.Run("ErrCardNumberInDescription", func(t *testing.T) {
		_, err := f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10"),
			Description: "paid with 4111 1111 1111 1111", UnitPrice: 100, TaxCode: "DE-19", Category: "MISC"})
		wantField(t, err, "description")
	})
	t.Run("ErrUnknownTaxCode", func(t *testing.T) {
		_, err := f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10"),
			Description: "x", UnitPrice: 100, TaxCode: "DE-99", Category: "MISC"})
		wantCode(t, err, aura.EINVALID)
	})
	t.Run("ErrInactiveProduct", func(t *testing.T) {
		must(f.s.SetProduct(f.ctx, f.prop, ledger.Product{Code: "OLD", Name: "Old", Price: 100, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmOnce}))(t)
		_, err := f.s.PostProduct(f.ctx, ledger.ProductPosting{FolioID: fol.ID, Product: "OLD", ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10")})
		wantCode(t, err, aura.EINVALID)
	})
	t.Run("ErrUnknownFolio", func(t *testing.T) {
		_, err := f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: "fol_nope", ServiceDate: d("2027-03-10"), BusinessDate: d("2027-03-10"),
			Description: "x", UnitPrice: 100, TaxCode: "DE-19", Category: "MISC"})
		wantCode(t, err, aura.ENOTFOUND)
	})
}

func TestFolioKinds(t *testing.T) {
	f := newFixture(t)
	t.Run("OK", func(t *testing.T) {
		h1 := must(f.s.HouseFolio(f.ctx, f.prop))(t)
		h2 := must(f.s.HouseFolio(f.ctx, f.prop))(t)
		if h1.ID != h2.ID || h1.Kind != ledger.FolioHouse || !h1.Default {
			t.Fatalf("house folios %+v %+v", h1, h2)
		}
		bar := must(f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioExternal, Label: "Bar"}))(t)
		if bar.Currency != "EUR" || bar.Default {
			t.Fatalf("external folio %+v", bar)
		}
		bk := must(f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioBooking, Ref: ledger.Ref{Kind: "booking", ID: "bkg_1"}}))(t)
		if bk.Ref.ID != "bkg_1" {
			t.Fatalf("booking folio %+v", bk)
		}
	})
	t.Run("ErrGuestWithoutRef", func(t *testing.T) {
		_, err := f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioGuest})
		wantField(t, err, "ref")
	})
	t.Run("ErrKind", func(t *testing.T) {
		_, err := f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: "company"})
		wantField(t, err, "kind")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := f.s.Folio(f.ctx, "fol_nope")
		wantCode(t, err, aura.ENOTFOUND)
	})
}

// TestLinesImmutable tries to change and delete a posted line directly in
// SQL, as a bug or a careless script would: the triggers refuse both.
func TestLinesImmutable(t *testing.T) {
	f := newFixture(t)
	lines := f.stay(t, "res_1", "2027-03-08", "2027-03-09", 10700, ledger.Party{Adults: 1})
	w := f.db.SQL().Write
	for _, q := range []string{`UPDATE ledger_lines SET gross = 1, net = 1, tax = 0 WHERE id = ?`, `DELETE FROM ledger_lines WHERE id = ?`} {
		_, err := w.Exec(q, lines[0].ID)
		if err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("%s: err = %v", q, err)
		}
	}
	fol := f.guestFolio(t, "res_1")
	p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 100, BusinessDate: d("2027-03-10")}))(t)
	if _, err := w.Exec(`UPDATE ledger_payments SET amount = 1 WHERE id = ?`, p.ID); err == nil {
		t.Fatal("a payment's amount changed")
	}
	if _, err := w.Exec(`DELETE FROM ledger_payments WHERE id = ?`, p.ID); err == nil {
		t.Fatal("a payment was deleted")
	}
	if l := must(f.s.Folio(f.ctx, fol.ID))(t).Lines[0]; l.Gross != 10700 {
		t.Fatalf("line changed: %+v", l)
	}
}

func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(tb testing.TB) (A, B) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v (%s)", err, aura.ErrorMessage(err))
		}
		return a, b
	}
}
