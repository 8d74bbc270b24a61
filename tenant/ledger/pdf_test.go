package ledger_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aurapms/aura/tenant/ledger"
)

// poppler returns the path of a poppler-utils tool (pdftotext, pdfdetach),
// installed by scripts/test-deps.
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run scripts/test-deps (make test does): %v", name, err)
	}
	return p
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(poppler(t, "pdftotext"), "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

func TestInvoicePDF(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
	t.Run("OK", func(t *testing.T) {
		pdf := must(ledger.InvoicePDF(inv))(t)
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
		}
		text := pdfText(t, pdf)
		for _, want := range []string{"Invoice", "RE-2027-000001", "Hotel Spree GmbH", "Erika Mustermann", "Heidestraße 17", "51147 Köln",
			"Accommodation", "City tax", "Breakfast", "7.00%", "19.00%", "exempt – City tax (Übernachtungsteuer), not subject to VAT",
			ledger.FormatAmount(inv.Totals.Gross, "EUR") + " EUR", "Amount due", ledger.FormatAmount(inv.Due, "EUR") + " EUR",
			"VAT id DE123456789", "IBAN DE89370400440532013000", "Amtsgericht Charlottenburg, HRB 123456 B", "half away from zero",
			"10 March 2027", "page 1 of 1"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF text lacks %q:\n%s", want, text)
			}
		}
		// The EN 16931 XML rides along as an embedded file, byte for byte.
		dir := t.TempDir()
		path := filepath.Join(dir, "inv.pdf")
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		list, err := exec.Command(poppler(t, "pdfdetach"), "-list", path).CombinedOutput()
		if err != nil || !strings.Contains(string(list), "RE-2027-000001.xml") {
			t.Fatalf("pdfdetach -list: %v: %s", err, list)
		}
		out := filepath.Join(dir, "out.xml")
		if b, err := exec.Command(poppler(t, "pdfdetach"), "-save", "1", "-o", out, path).CombinedOutput(); err != nil {
			t.Fatalf("pdfdetach -save: %v: %s", err, b)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if want := must(ledger.InvoiceXML(inv))(t); !bytes.Equal(got, want) {
			t.Fatal("the embedded XML differs from InvoiceXML")
		}
	})
	t.Run("CreditNote", func(t *testing.T) {
		cn := must(f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), Reason: "Booked twice"}))(t)
		text := pdfText(t, must(ledger.InvoicePDF(cn))(t))
		for _, want := range []string{"Credit note", "GS-2027-000001", "Corrects invoice", "RE-2027-000001 of 10 March 2027", "Reason: Booked twice", "Amount credited"} {
			if !strings.Contains(text, want) {
				t.Errorf("the credit note's text lacks %q:\n%s", want, text)
			}
		}
	})
	t.Run("ManyLinesManyPages", func(t *testing.T) {
		f.stay(t, "res_long", "2027-01-01", "2027-03-01", 9900, ledger.Party{Adults: 2}, ledger.Extra{Product: "BRK"})
		doc := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: f.guestFolio(t, "res_long").ID, IssueDate: f.today(), Recipient: guest}))(t)
		checkReconciles(t, doc)
		text := pdfText(t, must(ledger.InvoicePDF(doc))(t))
		if !strings.Contains(text, "page 2 of") || !strings.Contains(text, ledger.FormatAmount(doc.Totals.Gross, "EUR")+" EUR") || !strings.Contains(text, "2027-02-28") {
			t.Fatalf("a %d-line invoice did not render across pages with its total:\n%s", len(doc.Lines), text)
		}
	})
}
