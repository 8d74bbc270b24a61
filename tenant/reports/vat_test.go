package reports_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
)

// TestVATReconciles issues invoices and credit notes on the New Year
// hotel through the ledger and checks the VAT report per rate against
// hand-computed figures and against the documents' own totals:
//
//	A's invoice (1 Jan): 7%: 2 nights 200.00 − 10.00 allowed = 177.57 + 12.43 = 190.00
//	  cancelled in full by a credit note (2 Jan) and issued again (2 Jan)
//	B's invoice (2 Jan): 7%: 2 nights 186.92 + 13.08 = 200.00; 19%: minibar 10.00 + 1.90 = 11.90
//	  the minibar credited in part (2 Jan): 19% 10.00 + 1.90
//
// Due per rate: 7% 364.49 + 25.51 = 390.00, 19% 0. Posted by business
// date: 7% six charges (4 nights, 2 fees) 560.76 + 39.24 less the
// allowance 9.35 + 0.65; 19% the minibar less the credit's allowance: 0.
func TestVATReconciles(t *testing.T) {
	f := newYear(t)
	led := ledger.New(f.DB)
	st := pmstest.Must(led.Settings(f.Ctx, f.Prop.ID))(t)
	st.Legal = ledger.Legal{Company: "Hotel Test GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
		VATID: "DE123456789", TaxNumber: "27/123/45678"}
	pmstest.Must(led.Configure(f.Ctx, st))(t)
	pmstest.Must(led.SetTaxCode(f.Ctx, f.Prop.ID, ledger.TaxCode{Code: "standard", Name: "Standard 19%", Category: ledger.CategoryStandard,
		Rates: []ledger.Rate{{ValidFrom: pmsledger.Since, BasisPoints: 1900}}}))(t)
	jan1, jan2 := f.Day(2), f.Day(3)
	folioOf := func(i int) ledger.Folio {
		var res string
		if err := f.DB.SQL().Read.QueryRow(`SELECT id FROM reservations ORDER BY created_at, id LIMIT 1 OFFSET ?`, i).Scan(&res); err != nil {
			t.Fatal(err)
		}
		return pmstest.Must(led.GuestFolio(f.Ctx, f.Prop.ID, res))(t)
	}
	var folA, folB ledger.Folio
	for i := 0; i < 4; i++ {
		fo := folioOf(i)
		v := pmstest.Must(led.Folio(f.Ctx, fo.ID))(t)
		rooms := 0
		for _, l := range v.Lines {
			if l.Item == ledger.ItemRoom {
				rooms++
			}
		}
		switch {
		case rooms == 2 && len(v.Lines) > 2: // A: two nights, an allowance, a payment
			folA = fo
		case rooms == 2:
			folB = fo
		}
	}
	if folA.ID == "" || folB.ID == "" {
		t.Fatal("A's and B's folios not found")
	}
	minibar := pmstest.Must(led.PostCharge(f.Ctx, ledger.ChargeInput{FolioID: folB.ID, ServiceDate: jan1, BusinessDate: jan1, Description: "Minibar",
		Quantity: 1, UnitPrice: 1190, TaxCode: "standard", Category: pmsledger.CategoryExtras}))(t)
	to := ledger.Recipient{Name: "Ada Lovelace", Address: ledger.Address{Line1: "Uferweg 2", PostalCode: "10117", City: "Berlin", Country: "DE"}}
	a1 := pmstest.Must(led.IssueInvoice(f.Ctx, ledger.InvoiceInput{FolioID: folA.ID, IssueDate: jan1, Recipient: to}))(t)
	cnA := pmstest.Must(led.IssueCreditNote(f.Ctx, ledger.CreditNoteInput{InvoiceID: a1.ID, IssueDate: jan2, BusinessDate: jan2, Reason: "Wrong recipient"}))(t)
	a2 := pmstest.Must(led.IssueInvoice(f.Ctx, ledger.InvoiceInput{FolioID: folA.ID, IssueDate: jan2, Recipient: to}))(t)
	b1 := pmstest.Must(led.IssueInvoice(f.Ctx, ledger.InvoiceInput{FolioID: folB.ID, IssueDate: jan2, Recipient: to}))(t)
	line := 0
	for _, l := range b1.Lines {
		if l.FolioLineID == minibar.ID {
			line = l.No
		}
	}
	cnB := pmstest.Must(led.IssueCreditNote(f.Ctx, ledger.CreditNoteInput{InvoiceID: b1.ID, IssueDate: jan2, BusinessDate: jan2, Reason: "Minibar not taken",
		Lines: []ledger.CreditLine{{Line: line, Amount: 1190}}}))(t)

	rep := pmstest.Must(reports.New(f.DB).VAT(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(4)}))(t)
	am := func(n, tx int64) ledger.Amounts { return ledger.Amounts{Net: n, Tax: tx, Gross: n + tx} }
	want := []reports.VATRow{
		{Category: "S", Rate: 700, Invoiced: am(17757*2+18692, 1243*2+1308), Credited: am(17757, 1243), Due: am(36449, 2551), Posted: am(6*9346-935, 6*654-65)},
		{Category: "S", Rate: 1900, Invoiced: am(1000, 190), Credited: am(1000, 190), Due: am(0, 0), Posted: am(0, 0)},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("rows %+v", rep.Rows)
	}
	for i, w := range want {
		if rep.Rows[i] != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, rep.Rows[i], w)
		}
	}
	// The documents' own totals, as the ledger answers them.
	var docs ledger.Amounts
	for _, d := range []ledger.Document{a1, a2, b1} {
		docs = docs.Add(d.Totals)
	}
	for _, d := range []ledger.Document{cnA, cnB} {
		docs = docs.Add(ledger.Amounts{Net: -d.Totals.Net, Tax: -d.Totals.Tax, Gross: -d.Totals.Gross})
	}
	if rep.Documents != docs || rep.Total.Due != docs || rep.Invoices != 3 || rep.CreditNotes != 2 {
		t.Fatalf("documents %+v, due %+v, ledger totals %+v, %d invoices, %d credit notes", rep.Documents, rep.Total.Due, docs, rep.Invoices, rep.CreditNotes)
	}
	// A period of only 1 January holds A's first invoice and the nights'
	// lines posted that business date.
	one := pmstest.Must(reports.New(f.DB).VAT(f.Ctx, reports.Period{PropertyID: f.Prop.ID, From: jan1, To: jan2}))(t)
	if one.Invoices != 1 || one.CreditNotes != 0 || one.Total.Due != am(17757, 1243) {
		t.Fatalf("1 January: %+v", one)
	}

	// The accounting export of the whole period: every line, A's lines
	// naming the invoice issued again (a2), the minibar its invoice and
	// the allowance the partial credit note posted that credit note.
	var lines int
	if err := f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM ledger_lines`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	invoiceOf := map[string]string{minibar.ID: b1.Number}
	for _, l := range a2.Lines {
		invoiceOf[l.FolioLineID] = a2.Number
	}
	exportCheck(t, reports.New(f.DB), reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(4)}, rep, lines, invoiceOf)
	var b strings.Builder
	if err := reports.New(f.DB).WriteExport(f.Ctx, &b, reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(4)}, true); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), reports.BOM+"business_date,") || !strings.Contains(b.String(), ",allowance,Allowance: Minibar,1,11.90,-10.00,-1.90,-11.90,standard,S,19.00,EXTRA,8400,,"+cnB.Number+",,EUR") {
		t.Fatalf("export with BOM: %.300q", b.String())
	}
}

func TestVATCSV(t *testing.T) {
	rep := reports.VATReport{Currency: "EUR", Rows: []reports.VATRow{{Category: "S", Rate: 700, Invoiced: ledger.Amounts{Net: 9346, Tax: 654, Gross: 10000},
		Due: ledger.Amounts{Net: 9346, Tax: 654, Gross: 10000}}, {Category: "E", ExemptionReason: "City tax, not subject to VAT", Posted: ledger.Amounts{Net: 300, Gross: 300}}}}
	rep.Total = reports.VATRow{Invoiced: rep.Rows[0].Invoiced, Due: rep.Rows[0].Due, Posted: rep.Rows[1].Posted}
	recs := csvWritten(t, true, func(w io.Writer, bom bool) error { return reports.WriteVATCSV(w, rep, bom) })
	want := [][]string{reports.VATColumns,
		{"S", "7.00", "", "93.46", "6.54", "100.00", "0.00", "0.00", "0.00", "93.46", "6.54", "100.00", "0.00", "0.00", "0.00", "EUR"},
		{"E", "0.00", "City tax, not subject to VAT", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "3.00", "0.00", "3.00", "EUR"},
		{"total", "", "", "93.46", "6.54", "100.00", "0.00", "0.00", "0.00", "93.46", "6.54", "100.00", "3.00", "0.00", "3.00", "EUR"}}
	sameRecords(t, recs, want)
}

// exportCheck parses the accounting export of a period back and checks it
// against the VAT report of the same period: every line once, charges
// less allowances per rate equal to Posted, each invoiced line naming its
// standing invoice.
func exportCheck(t *testing.T, s reports.Store, p reports.Period, vat reports.VATReport, lines int, invoiceOf map[string]string) {
	t.Helper()
	var b strings.Builder
	if err := s.WriteExport(context.Background(), &b, p, false); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], reports.ExportColumns) || len(recs)-1 != lines {
		t.Fatalf("header %v, %d rows, want %d lines", recs[0], len(recs)-1, lines)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	cents := map[string]int64{}
	for _, r := range recs[1:] {
		if k := r[col["kind"]]; k == "charge" || k == "allowance" {
			v, err := strconv.ParseFloat(r[col["gross"]], 64)
			if err != nil {
				t.Fatal(err)
			}
			cents[r[col["tax_rate_percent"]]] += int64(math.Round(v * 100))
		}
		if want, ok := invoiceOf[r[col["line_id"]]]; ok && r[col["invoice_number"]] != want {
			t.Errorf("line %s names invoice %q, want %q", r[col["line_id"]], r[col["invoice_number"]], want)
		}
	}
	for _, row := range vat.Rows {
		k := fmt.Sprintf("%d.%02d", row.Rate/100, row.Rate%100)
		if cents[k] != row.Posted.Gross {
			t.Errorf("rate %s: the export sums %d, the VAT report posted %d", k, cents[k], row.Posted.Gross)
		}
	}
}
