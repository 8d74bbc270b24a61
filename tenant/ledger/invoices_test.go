package ledger_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// invoicedStay is a folio with two nights (room 7%, city tax exempt,
// breakfast 19%), a parking charge, an allowance and a payment.
func invoicedStay(t testing.TB, f *fixture, res string) ledger.Folio {
	t.Helper()
	lines := f.stay(t, res, "2027-03-07", "2027-03-09", 10700, ledger.Party{Adults: 2}, ledger.Extra{Product: "BRK"})
	fol := f.guestFolio(t, res)
	must(f.s.PostProduct(f.ctx, ledger.ProductPosting{FolioID: fol.ID, Product: "PRK", ServiceDate: d("2027-03-08"), BusinessDate: d("2027-03-08")}))(t)
	must(f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: lines[2].ID, Amount: 1500, BusinessDate: d("2027-03-09"), Reason: "Breakfast missed"}))(t)
	must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCash, Amount: 10000, BusinessDate: d("2027-03-07")}))(t)
	return fol
}

// checkReconciles recomputes a document from its lines, independently of
// the ledger's own code: per-rate sums, document totals, due, and each
// line's gross = net + tax, all to the minor unit.
func checkReconciles(t testing.TB, doc ledger.Document) {
	t.Helper()
	type key struct {
		cat  string
		rate int
	}
	per := map[key][3]int64{}
	var net, tax, gross int64
	for _, l := range doc.Lines {
		if l.Gross != l.Net+l.Tax {
			t.Fatalf("%s line %d: %d != %d + %d", doc.Number, l.No, l.Gross, l.Net, l.Tax)
		}
		k := key{l.TaxCategory, l.TaxRate}
		v := per[k]
		per[k] = [3]int64{v[0] + l.Net, v[1] + l.Tax, v[2] + l.Gross}
		net, tax, gross = net+l.Net, tax+l.Tax, gross+l.Gross
	}
	if len(per) != len(doc.Taxes) {
		t.Fatalf("%s: %d rates in the lines, %d in the breakdown", doc.Number, len(per), len(doc.Taxes))
	}
	for _, tt := range doc.Taxes {
		v := per[key{tt.Category, tt.Rate}]
		if v != [3]int64{tt.Net, tt.Tax, tt.Gross} {
			t.Fatalf("%s breakdown %s %d: %+v, lines sum to %v", doc.Number, tt.Category, tt.Rate, tt.Amounts, v)
		}
	}
	if doc.Totals != (ledger.Amounts{Net: net, Tax: tax, Gross: gross}) || doc.Due != gross-doc.Prepaid {
		t.Fatalf("%s totals %+v due %d, lines sum to %d/%d/%d, prepaid %d", doc.Number, doc.Totals, doc.Due, net, tax, gross, doc.Prepaid)
	}
}

func TestIssueInvoice(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	bal := must(f.s.FolioBalance(f.ctx, fol.ID))(t)
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	checkReconciles(t, inv)
	if inv.Number != "RE-2027-000001" || inv.Kind != ledger.KindInvoice || inv.Seq != 1 || inv.Year != 2027 {
		t.Fatalf("number %s kind %s", inv.Number, inv.Kind)
	}
	// 2 × room 107.00 (100.00 + 7.00), 2 × city tax 7.50, 2 × breakfast 30.00 (25.21 + 4.79),
	// parking 20.00 (16.81 + 3.19), an allowance of 15.00 on breakfast (12.61 + 2.39).
	wantTaxes := []ledger.TaxTotal{
		{Category: "E", Rate: 0, ExemptionReason: "City tax (Übernachtungsteuer), not subject to VAT", Amounts: ledger.Amounts{Net: 1500, Gross: 1500}},
		{Category: "S", Rate: 1900, Amounts: ledger.Amounts{Net: 2*2521 + 1681 - 1261, Tax: 2*479 + 319 - 239, Gross: 6000 + 2000 - 1500}},
		{Category: "S", Rate: 700, Amounts: ledger.Amounts{Net: 20000, Tax: 1400, Gross: 21400}},
	}
	if fmt.Sprint(inv.Taxes) != fmt.Sprint(wantTaxes) {
		t.Fatalf("taxes = %+v\nwant    %+v", inv.Taxes, wantTaxes)
	}
	if inv.Totals.Gross != bal.Charges-bal.Allowances || inv.Prepaid != 10000 || inv.Due != inv.Totals.Gross-10000 {
		t.Fatalf("totals %+v prepaid %d due %d; folio %+v", inv.Totals, inv.Prepaid, inv.Due, bal)
	}
	if inv.Status != ledger.InvoicePartiallyPaid || inv.Open != inv.Due {
		t.Fatalf("status %s open %d", inv.Status, inv.Open)
	}
	if inv.SupplyFrom != d("2027-03-07") || inv.SupplyTo != d("2027-03-08") || inv.RetainUntil != d("2035-12-31") {
		t.Fatalf("supply %s–%s, retain until %s", inv.SupplyFrom, inv.SupplyTo, inv.RetainUntil)
	}
	if inv.Seller.Company != "Hotel Spree GmbH" || inv.Seller.VATID != "DE123456789" || inv.Recipient == nil || *inv.Recipient != guest {
		t.Fatalf("seller %+v recipient %+v", inv.Seller, inv.Recipient)
	}
	for _, l := range inv.Lines {
		if l.Kind == ledger.LineAllowance && (l.Quantity != -1 || l.Gross != -1500 || l.UnitPrice != 1500) {
			t.Fatalf("allowance line = %+v", l)
		}
	}
	got := must(f.s.Document(f.ctx, inv.ID))(t)
	if got.Hash != inv.Hash || got.Status != inv.Status || fmt.Sprint(got.Lines) != fmt.Sprint(inv.Lines) || *got.Recipient != guest {
		t.Fatalf("read back %+v", got)
	}
	// The audit row carries the document's hash and no personal data.
	var after string
	if err := f.db.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'invoice.issued' AND entity_id = ?`, inv.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after, `"hash":"`+inv.Hash+`"`) || strings.Contains(after, "Mustermann") {
		t.Fatalf("audit row: %s", after)
	}
	t.Run("PaidLater", func(t *testing.T) {
		must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCardTerminal, Amount: inv.Due, BusinessDate: d("2027-03-10")}))(t)
		if got := must(f.s.Document(f.ctx, inv.ID))(t); got.Status != ledger.InvoicePaid || got.Open != 0 {
			t.Fatalf("status after payment: %s open %d", got.Status, got.Open)
		}
	})
	t.Run("ErrNothingLeft", func(t *testing.T) {
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrInvoicedLineCannotChange", func(t *testing.T) {
		room := must(f.s.Folio(f.ctx, fol.ID))(t).Lines[0]
		_, err := f.s.PostAllowance(f.ctx, ledger.AllowanceInput{LineID: room.ID, Amount: 100, BusinessDate: d("2027-03-10"), Reason: "x"})
		wantCode(t, err, aura.ECONFLICT)
		other := must(f.s.OpenFolio(f.ctx, ledger.FolioInput{PropertyID: f.prop, Kind: ledger.FolioExternal}))(t)
		_, _, err = f.s.TransferLine(f.ctx, ledger.TransferInput{LineID: room.ID, ToFolioID: other.ID, BusinessDate: d("2027-03-10")})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("NewChargesGoOnTheNextInvoice", func(t *testing.T) {
		must(f.s.PostProduct(f.ctx, ledger.ProductPosting{FolioID: fol.ID, Product: "MINI", ServiceDate: d("2027-03-09"), BusinessDate: d("2027-03-09")}))(t)
		inv2 := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
		if inv2.Number != "RE-2027-000002" || len(inv2.Lines) != 1 || inv2.Totals.Gross != 450 || inv2.Prepaid != 0 {
			t.Fatalf("second invoice %s: %d lines, gross %d, prepaid %d", inv2.Number, len(inv2.Lines), inv2.Totals.Gross, inv2.Prepaid)
		}
	})
}

func TestIssueInvoiceRefused(t *testing.T) {
	f := newFixture(t)
	t.Run("ErrPendingPayment", func(t *testing.T) {
		fol := invoicedStay(t, f, "res_p")
		p := must(f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodStripe, Status: ledger.StatusPending, Amount: 100, ExternalRef: "pi_x1", BusinessDate: d("2027-03-10")}))(t)
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		wantCode(t, err, aura.ECONFLICT)
		must(f.s.SetPaymentStatus(f.ctx, p.ID, ledger.StatusFailed, "", d("2027-03-10"), 0))(t)
		must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	})
	t.Run("ErrNotDeliveredYet", func(t *testing.T) {
		fol := f.guestFolio(t, "res_future")
		must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-04-01"), BusinessDate: d("2027-03-10"), Description: "Deposit for April", UnitPrice: 5000, TaxCode: "DE-7", Category: "ACC"}))(t)
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrEmptyFolio", func(t *testing.T) {
		fol := f.guestFolio(t, "res_empty")
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrRecipient", func(t *testing.T) {
		fol := invoicedStay(t, f, "res_r")
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: ledger.Recipient{Name: "", Address: ledger.Address{Country: "Germany"}, VATID: "x"}})
		for _, field := range []string{"recipient.name", "recipient.address.country", "recipient.vat_id"} {
			wantField(t, err, field)
		}
	})
	t.Run("ErrBackdated", func(t *testing.T) {
		fol := invoicedStay(t, f, "res_b")
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: d("2027-03-01"), Recipient: guest})
		wantField(t, err, "issue_date")
	})
	t.Run("ErrLegalDataMissing", func(t *testing.T) {
		f.configure(t, "prp_bare")
		st := must(f.s.Settings(f.ctx, "prp_bare"))(t)
		st.Legal.VATID, st.Legal.TaxNumber = "", ""
		must(f.s.Configure(f.ctx, st))(t)
		fol := must(f.s.GuestFolio(f.ctx, "prp_bare", "res_x"))(t)
		must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-09"), BusinessDate: d("2027-03-09"), Description: "Room", UnitPrice: 5000, TaxCode: "DE-7", Category: "ACC"}))(t)
		_, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		wantCode(t, err, aura.ECONFLICT)
	})
}

// TestInvoiceNumbersGapless issues 50 invoices at once, from 50 folios, and
// 10 more requests for one folio at the same time: the numbers are 1 to 50
// plus exactly one more, with no gap and no repeat; a refused request
// leaves no hole. Each document reconciles to the minor unit.
func TestInvoiceNumbersGapless(t *testing.T) {
	f := newFixture(t)
	var folios []ledger.Folio
	for i := range 50 {
		res := fmt.Sprintf("res_%02d", i)
		f.stay(t, res, "2027-03-08", "2027-03-09", int64(9000+i*37), ledger.Party{Adults: 1 + i%3}, ledger.Extra{Product: "BRK"})
		folios = append(folios, f.guestFolio(t, res))
	}
	shared := invoicedStay(t, f, "res_shared")
	var mu sync.Mutex
	var docs []ledger.Document
	var refused int
	var wg sync.WaitGroup
	issue := func(fol ledger.Folio) {
		defer wg.Done()
		doc, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if aura.ErrorCode(err) != aura.ECONFLICT {
				t.Errorf("issue: %v", err)
			}
			refused++
			return
		}
		docs = append(docs, doc)
	}
	for _, fol := range folios {
		wg.Add(1)
		go issue(fol)
	}
	for range 10 {
		wg.Add(1)
		go issue(shared)
	}
	wg.Wait()
	if len(docs) != 51 || refused != 9 {
		t.Fatalf("%d issued, %d refused; want 51 and 9", len(docs), refused)
	}
	var numbers []string
	for _, doc := range docs {
		numbers = append(numbers, doc.Number)
		checkReconciles(t, doc)
	}
	sort.Strings(numbers)
	for i, n := range numbers {
		if want := fmt.Sprintf("RE-2027-%06d", i+1); n != want {
			t.Fatalf("numbers[%d] = %s, want %s (all: %v)", i, n, want, numbers)
		}
	}
	t.Run("NewYearNewSequence", func(t *testing.T) {
		f.clock.Set(time.Date(2028, 1, 2, 9, 0, 0, 0, time.UTC))
		fol := f.guestFolio(t, "res_2028")
		must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2028-01-01"), BusinessDate: d("2028-01-01"), Description: "Room", UnitPrice: 5000, TaxCode: "DE-7", Category: "ACC"}))(t)
		doc := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
		if doc.Number != "RE-2028-000001" {
			t.Fatalf("first number of 2028 = %s", doc.Number)
		}
	})
}

// TestCreditNotes corrects an invoice in part, then cancels it, then
// invoices the corrected folio again; every document references what it
// corrects and reconciles, and the sum of all documents equals the folio.
func TestCreditNotes(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	t.Run("Partial", func(t *testing.T) {
		cn := must(f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), BusinessDate: d("2027-03-10"),
			Lines: []ledger.CreditLine{{Line: 1, Amount: 2000}}, Reason: "Air conditioning broken"}))(t)
		checkReconciles(t, cn)
		if cn.Number != "GS-2027-000001" || cn.Kind != ledger.KindCreditNote || cn.Corrects != inv.ID || cn.CorrectsNumber != inv.Number || cn.Cancels {
			t.Fatalf("credit note %+v", cn)
		}
		// 20.00 gross of the 7% room: net 18.69, tax 1.31, positive on the credit note.
		if len(cn.Lines) != 1 || cn.Lines[0].Amounts != (ledger.Amounts{Net: 1869, Tax: 131, Gross: 2000}) || cn.Lines[0].CorrectsLine != 1 {
			t.Fatalf("credit note lines %+v", cn.Lines)
		}
		if *cn.Recipient != guest || cn.Due != 2000 || cn.Status != ledger.CreditNoteIssued {
			t.Fatalf("recipient %+v due %d", cn.Recipient, cn.Due)
		}
		got := must(f.s.Document(f.ctx, inv.ID))(t)
		if got.Credited != 2000 || got.Open != inv.Due-2000 || got.Status != ledger.InvoicePartiallyPaid {
			t.Fatalf("invoice after the partial credit: %s credited %d open %d", got.Status, got.Credited, got.Open)
		}
		if b := must(f.s.FolioBalance(f.ctx, fol.ID))(t); b.Balance != inv.Due-2000 {
			t.Fatalf("folio balance %d, want %d", b.Balance, inv.Due-2000)
		}
	})
	t.Run("ErrAboveWhatIsLeft", func(t *testing.T) {
		_, err := f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), BusinessDate: d("2027-03-10"),
			Lines: []ledger.CreditLine{{Line: 1, Amount: 8701}}, Reason: "x"})
		wantField(t, err, "lines[0].amount")
	})
	t.Run("ErrNotACharge", func(t *testing.T) {
		var allowance int
		for _, l := range inv.Lines {
			if l.Kind == ledger.LineAllowance {
				allowance = l.No
			}
		}
		_, err := f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), BusinessDate: d("2027-03-10"),
			Lines: []ledger.CreditLine{{Line: allowance}}, Reason: "x"})
		wantCode(t, err, aura.ECONFLICT)
	})
	var full ledger.Document
	t.Run("Full", func(t *testing.T) {
		full = must(f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), Reason: "Wrong recipient"}))(t)
		checkReconciles(t, full)
		if full.Number != "GS-2027-000002" || !full.Cancels || full.Corrects != inv.ID {
			t.Fatalf("full credit note %+v", full)
		}
		if full.Totals.Gross != inv.Totals.Gross-2000 {
			t.Fatalf("full credit %d, want the invoice %d less the partial 2000", full.Totals.Gross, inv.Totals.Gross)
		}
		if got := must(f.s.Document(f.ctx, inv.ID))(t); got.Status != ledger.InvoiceCancelled {
			t.Fatalf("invoice status %s", got.Status)
		}
		_, err := f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), Reason: "again"})
		wantCode(t, err, aura.ECONFLICT)
		_, err = f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: full.ID, IssueDate: f.today(), Reason: "of a credit note"})
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("Reinvoice", func(t *testing.T) {
		company := ledger.Recipient{Name: "Acme AG", Company: "Acme AG", VATID: "DE999999999", Address: ledger.Address{Line1: "Hauptstr. 1", PostalCode: "80331", City: "München", Country: "DE"}}
		inv2 := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: company}))(t)
		checkReconciles(t, inv2)
		b := must(f.s.FolioBalance(f.ctx, fol.ID))(t)
		if inv2.Number != "RE-2027-000002" || inv2.Totals.Gross != b.Charges-b.Allowances || inv2.Prepaid != 10000 {
			t.Fatalf("new invoice %s gross %d prepaid %d; folio %+v", inv2.Number, inv2.Totals.Gross, inv2.Prepaid, b)
		}
		// Everything issued adds up to what the folio holds: +invoice −credit −credit +invoice.
		if sum := inv.Totals.Gross - 2000 - full.Totals.Gross + inv2.Totals.Gross; sum != b.Charges-b.Allowances {
			t.Fatalf("documents sum to %d, folio charges less allowances %d", sum, b.Charges-b.Allowances)
		}
		list := must(f.s.ListInvoices(f.ctx, ledger.DocumentFilter{PropertyID: f.prop}))(t)
		if len(list) != 4 || list[0].Number != "RE-2027-000002" || list[3].Number != "RE-2027-000001" {
			t.Fatalf("list = %v", numbersOf(list))
		}
		cns := must(f.s.ListInvoices(f.ctx, ledger.DocumentFilter{PropertyID: f.prop, Kind: ledger.KindCreditNote}))(t)
		if len(cns) != 2 || cns[0].Corrects != inv.ID || cns[1].Corrects != inv.ID {
			t.Fatalf("credit notes = %v", numbersOf(cns))
		}
		cancelled := must(f.s.ListInvoices(f.ctx, ledger.DocumentFilter{PropertyID: f.prop, Status: ledger.InvoiceCancelled}))(t)
		if len(cancelled) != 1 || cancelled[0].ID != inv.ID {
			t.Fatalf("cancelled = %v", numbersOf(cancelled))
		}
		page := must(f.s.ListInvoices(f.ctx, ledger.DocumentFilter{PropertyID: f.prop, Limit: 2, Before: list[1].ID}))(t)
		if len(page) != 2 || page[0].ID != list[2].ID {
			t.Fatalf("page = %v", numbersOf(page))
		}
	})
}

func numbersOf(ds []ledger.Document) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Number)
	}
	return out
}

// TestIssuedImmutable: no route changes an issued document; SQL is refused
// by the triggers.
func TestIssuedImmutable(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	w := f.db.SQL().Write
	for _, q := range []string{
		`UPDATE ledger_documents SET gross = gross + 100 WHERE id = ?`,
		`DELETE FROM ledger_documents WHERE id = ?`,
		`UPDATE ledger_document_lines SET folio_line_id = folio_line_id WHERE document_id = ?`,
		`DELETE FROM ledger_document_lines WHERE document_id = ?`,
		`UPDATE ledger_document_keys SET retain_until = '2099-12-31' WHERE document_id = ?`,
	} {
		if _, err := w.Exec(q, inv.ID); err == nil || !strings.Contains(err.Error(), "never change") && !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("%s: err = %v", q, err)
		}
	}
	if got := must(f.s.Document(f.ctx, inv.ID))(t); got.Hash != inv.Hash || got.Totals != inv.Totals {
		t.Fatalf("document changed: %+v", got)
	}
	if c := must(f.s.VerifyDocuments(f.ctx))(t); !c.OK() || c.Documents != 1 {
		t.Fatalf("verify = %+v", c)
	}
}

// TestVerifyDocumentsCatchesTampering changes issued documents the way
// someone with sqlite3 and the file would (dropping the triggers first):
// the check names each tampered document, while the audit chain itself
// still verifies (it was not touched).
func TestVerifyDocumentsCatchesTampering(t *testing.T) {
	f := newFixture(t)
	var docs []ledger.Document
	for i := range 4 {
		fol := invoicedStay(t, f, fmt.Sprintf("res_%d", i))
		docs = append(docs, must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t))
	}
	if c := must(f.s.VerifyDocuments(f.ctx))(t); !c.OK() || c.Documents != 4 {
		t.Fatalf("before tampering: %+v", c)
	}
	raw := f.raw(t)
	for _, q := range []string{`DROP TRIGGER ledger_documents_no_update`, `DROP TRIGGER ledger_documents_no_delete`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// 1: the total lowered; 2: the total lowered and the stored hash recomputed to match
	// (the audit chain still holds the original); 3: deleted.
	if _, err := raw.Exec(`UPDATE ledger_documents SET gross = gross - 1000, due = due - 1000 WHERE id = ?`, docs[1].ID); err != nil {
		t.Fatal(err)
	}
	var row struct{ body string }
	if err := raw.QueryRow(`SELECT body FROM ledger_documents WHERE id = ?`, docs[2].ID).Scan(&row.body); err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(row.body, `"description":"Parking"`, `"description":"Parking (free)"`, 1)
	if forged == row.body {
		t.Fatal("the forged body is unchanged: the test would prove nothing")
	}
	if _, err := raw.Exec(`UPDATE ledger_documents SET body = ?, hash = randomblob(32) WHERE id = ?`, forged, docs[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`PRAGMA foreign_keys = OFF`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM ledger_documents WHERE id = ?`, docs[3].ID); err != nil {
		t.Fatal(err)
	}
	c := must(f.s.VerifyDocuments(f.ctx))(t)
	if c.OK() || len(c.Problems) != 3 {
		t.Fatalf("problems = %v", c.Problems)
	}
	for i, p := range c.Problems {
		if want := docs[i+1].Number; p.Number != want || p.ID != docs[i+1].ID {
			t.Fatalf("problem %d names %s, want %s: %v", i, p.Number, want, c.Problems)
		}
	}
	if !strings.Contains(c.Problems[2].Problem, "gone") {
		t.Fatalf("the deleted document: %s", c.Problems[2])
	}
	res := must(f.db.VerifyAudit(f.ctx, nil))(t)
	if !res.OK() {
		t.Fatalf("the audit chain itself was not touched but fails: %v", res.Break)
	}
}

// TestGuestErasureLeavesInvoiceReadable issues an invoice to a real guest
// profile, then destroys the guest's key as erasure will: the guest is
// unreadable, the invoice's recipient is not (it is sealed under the
// financial-records key), and no byte of the tenant file or its WAL holds
// the recipient in plaintext.
func TestGuestErasureLeavesInvoiceReadable(t *testing.T) {
	f := newFixture(t)
	g := must(stays.New(f.db).CreateGuest(f.ctx, stays.GuestInput{GivenName: "Quirinus", FamilyName: "Zwetschgenbaum",
		Address: inventory.Address{Line1: "Kastanienallee 77", PostalCode: "10435", City: "Berlin", Country: "DE"}}))(t)
	fol := invoicedStay(t, f, "res_g")
	rcpt := ledger.Recipient{Name: g.Name(), Address: ledger.Address{Line1: g.Address.Line1, PostalCode: g.Address.PostalCode, City: g.Address.City, Country: g.Address.Country}}
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: rcpt}))(t)

	if _, err := f.db.SQL().Write.Exec(`UPDATE guests SET key_wrapped = NULL WHERE id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	if got := must(stays.New(f.db).GetGuest(f.ctx, g.ID))(t); !got.Erased || got.FamilyName != "" {
		t.Fatalf("the guest is still readable: %+v", got)
	}
	doc := must(f.s.Document(f.ctx, inv.ID))(t)
	if doc.Recipient == nil || doc.Recipient.Name != "Quirinus Zwetschgenbaum" || doc.Recipient.Address.Line1 != "Kastanienallee 77" {
		t.Fatalf("recipient after erasing the guest: %+v", doc.Recipient)
	}
	raw := readFiles(t, f.db.Path)
	if !bytes.Contains(raw, []byte(inv.Number)) {
		t.Fatal("the raw read did not find the invoice number: the check would prove nothing")
	}
	for _, s := range []string{"Zwetschgenbaum", "Kastanienallee"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q appears in plaintext in the tenant file or its WAL", s)
		}
	}
}

func readFiles(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestPurgeExpiredRecipients: the dry run lists the document with the day
// its recipient goes; after the retention date the recipient's key
// is deleted, the recipient is gone for good, and the document (amounts,
// number, hash) still verifies.
func TestPurgeExpiredRecipients(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	t.Run("DryRun", func(t *testing.T) {
		got := must(f.s.RecipientExpiries(f.ctx))(t)
		if len(got) != 1 || got[0].DocumentID != inv.ID || got[0].Number != inv.Number || got[0].RetainUntil != inv.RetainUntil ||
			got[0].PurgedOn != d("2036-01-01") {
			t.Fatalf("dry run %+v (document retained until %s)", got, inv.RetainUntil)
		}
	})
	t.Run("NotBeforeRetention", func(t *testing.T) {
		if n := must(f.s.PurgeExpiredRecipients(f.ctx, d("2035-12-31")))(t); n != 0 {
			t.Fatalf("purged %d on the last day of retention", n)
		}
		if must(f.s.Document(f.ctx, inv.ID))(t).Recipient == nil {
			t.Fatal("recipient gone before the retention date")
		}
	})
	t.Run("OK", func(t *testing.T) {
		if n := must(f.s.PurgeExpiredRecipients(f.ctx, d("2036-01-01")))(t); n != 1 {
			t.Fatalf("purged %d", n)
		}
		doc := must(f.s.Document(f.ctx, inv.ID))(t)
		if doc.Recipient != nil || doc.Number != inv.Number || doc.Totals != inv.Totals || doc.Hash != inv.Hash {
			t.Fatalf("after purge: %+v", doc)
		}
		if c := must(f.s.VerifyDocuments(f.ctx))(t); !c.OK() {
			t.Fatalf("verify after purge: %v", c.Problems)
		}
		if f.auditCount(t, "ledger.recipients_purged") != 1 {
			t.Fatal("no audit row for the purge")
		}
		if got := must(f.s.RecipientExpiries(f.ctx))(t); len(got) != 0 {
			t.Fatalf("the dry run still lists a purged recipient: %+v", got)
		}
	})
}

func TestDocumentHashIsHex(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	if b, err := hex.DecodeString(inv.Hash); err != nil || len(b) != 32 {
		t.Fatalf("hash %q", inv.Hash)
	}
}
