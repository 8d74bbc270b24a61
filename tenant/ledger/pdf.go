package ledger

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
)

// InvoicePDF renders an issued invoice or credit note as an A4 PDF: the
// seller, the recipient, number and dates, every line, the tax breakdown
// per rate, the totals, what was paid and what is due, the rounding rule,
// and the seller's legal data and bank in the footer. When the document
// can be written as EN 16931 XML (InvoiceXML), the XML is attached to the
// PDF as an embedded file.
//
// The PDF is not PDF/A-3, so it is not a Factur-X/ZUGFeRD hybrid: the PDF
// library writes the embedded file but not the /AF relationship, the XMP
// identification or the embedded fonts PDF/A-3 requires. The XML is
// therefore also offered on its own, beside the PDF, as the e-invoice.
// It fails with ECONFLICT when the recipient was erased after the
// retention date.
func InvoicePDF(doc Document) ([]byte, error) {
	if doc.Recipient == nil {
		return nil, aura.Errorf(aura.ECONFLICT, "%s is past its retention date; its recipient is erased.", doc.Number)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: the core fonts' encoding (€, umlauts)
	cur := doc.Currency
	amt := func(a int64) string { return FormatAmount(a, cur) }
	title := "Invoice"
	if doc.Kind == KindCreditNote {
		title = "Credit note"
	}
	s := doc.Seller
	pdf.SetTitle(title+" "+doc.Number, true)
	pdf.SetAuthor(s.Company, true)
	pdf.SetCreator("Aura", true)
	pdf.SetCreationDate(doc.IssuedAt)
	pdf.SetModificationDate(doc.IssuedAt)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 32)
	pdf.AliasNbPages("{nb}")
	footer := footerLines(s)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-28)
		pdf.SetFont("Helvetica", "", 7)
		pdf.SetTextColor(90, 90, 90)
		for _, l := range footer {
			pdf.CellFormat(0, 3.5, tr(l), "", 1, "C", false, 0, "")
		}
		pdf.CellFormat(0, 3.5, tr(fmt.Sprintf("%s %s · page %d of {nb}", title, doc.Number, pdf.PageNo())), "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Seller and document header.
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(110, 7, tr(s.Company), "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 7, tr(title), "", 1, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	head := []string{joinNonEmpty(", ", s.Address.Line1, s.Address.Line2), joinNonEmpty(" ", s.Address.PostalCode, s.Address.City) + " · " + s.Address.Country,
		joinNonEmpty(" · ", s.Phone, s.Email)}
	meta := [][2]string{{"Number", doc.Number}, {"Issue date", longDate(doc.IssueDate)}, {"Supply", period(doc.SupplyFrom, doc.SupplyTo)}}
	if doc.Kind == KindCreditNote {
		meta = append(meta, [2]string{"Corrects invoice", doc.CorrectsNumber + " of " + longDate(doc.CorrectsIssueDate)})
	}
	for i := 0; i < max(len(head), len(meta)); i++ {
		left := ""
		if i < len(head) {
			left = head[i]
		}
		pdf.CellFormat(110, 5, tr(left), "", 0, "L", false, 0, "")
		if i < len(meta) {
			pdf.SetFont("Helvetica", "", 9)
			pdf.CellFormat(30, 5, tr(meta[i][0]), "", 0, "L", false, 0, "")
			pdf.SetFont("Helvetica", "B", 9)
			pdf.CellFormat(0, 5, tr(meta[i][1]), "", 0, "R", false, 0, "")
			pdf.SetFont("Helvetica", "", 9)
		}
		pdf.Ln(5)
	}

	// Recipient.
	pdf.Ln(6)
	r := doc.Recipient
	pdf.SetFont("Helvetica", "", 8)
	pdf.CellFormat(0, 4, tr("To"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, l := range []string{r.Company, r.Name, r.Address.Line1, r.Address.Line2, joinNonEmpty(" ", r.Address.PostalCode, r.Address.City), r.Address.Country} {
		if l != "" && !(l == r.Name && r.Name == r.Company) {
			pdf.CellFormat(0, 5, tr(l), "", 1, "L", false, 0, "")
		}
	}
	if r.VATID != "" {
		pdf.CellFormat(0, 5, tr("VAT id: "+r.VATID), "", 1, "L", false, 0, "")
	}
	if r.Reference != "" {
		pdf.CellFormat(0, 5, tr("Your reference: "+r.Reference), "", 1, "L", false, 0, "")
	}

	// Lines.
	pdf.Ln(6)
	basis := "net"
	if doc.PricesIncludeTax {
		basis = "gross"
	}
	widths := []float64{22, 80, 12, 24, 14, 28}
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(235, 235, 235)
	for i, h := range []string{"Date", "Description", "Qty", "Unit (" + basis + ")", "VAT", "Amount (" + basis + ")"} {
		align := "R"
		if i < 2 {
			align = "L"
		}
		pdf.CellFormat(widths[i], 6, tr(h), "B", 0, align, true, 0, "")
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range doc.Lines {
		desc := pdf.SplitText(tr(l.Description), widths[1]-1)
		if len(desc) == 0 {
			desc = []string{""}
		}
		h := 5 * float64(len(desc))
		if pdf.GetY()+h > 297-32 {
			pdf.AddPage()
		}
		shown := l.Net
		if doc.PricesIncludeTax {
			shown = l.Gross
		}
		y := pdf.GetY()
		x := pdf.GetX()
		pdf.CellFormat(widths[0], 5, tr(l.ServiceDate.String()), "", 0, "L", false, 0, "")
		for i, d := range desc {
			pdf.SetXY(x+widths[0], y+5*float64(i))
			pdf.CellFormat(widths[1], 5, d, "", 0, "L", false, 0, "")
		}
		pdf.SetXY(x+widths[0]+widths[1], y)
		pdf.CellFormat(widths[2], 5, fmt.Sprint(l.Quantity), "", 0, "R", false, 0, "")
		pdf.CellFormat(widths[3], 5, amt(l.UnitPrice), "", 0, "R", false, 0, "")
		pdf.CellFormat(widths[4], 5, rateLabel(l.TaxCategory, l.TaxRate), "", 0, "R", false, 0, "")
		pdf.CellFormat(widths[5], 5, amt(shown), "", 0, "R", false, 0, "")
		pdf.SetXY(x, y+h)
	}
	pdf.Line(15, pdf.GetY(), 195, pdf.GetY())

	// Tax breakdown and totals.
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 9)
	for i, h := range []string{"VAT", "Net", "VAT amount", "Gross"} {
		w := 30.0
		if i == 0 {
			w = 90
		}
		pdf.CellFormat(w, 6, tr(h), "B", 0, map[bool]string{true: "L", false: "R"}[i == 0], true, 0, "")
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	for _, t := range doc.Taxes {
		label := rateLabel(t.Category, t.Rate)
		if t.ExemptionReason != "" {
			label += " – " + t.ExemptionReason
		}
		pdf.CellFormat(90, 5, tr(label), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 5, amt(t.Net), "", 0, "R", false, 0, "")
		pdf.CellFormat(30, 5, amt(t.Tax), "", 0, "R", false, 0, "")
		pdf.CellFormat(30, 5, amt(t.Gross), "", 1, "R", false, 0, "")
	}
	pdf.Ln(2)
	totals := [][2]string{{"Total net", amt(doc.Totals.Net)}, {"Total VAT", amt(doc.Totals.Tax)}, {"Total gross", amt(doc.Totals.Gross) + " " + cur}}
	if doc.Kind == KindInvoice {
		totals = append(totals, [2]string{"Paid", amt(doc.Prepaid)}, [2]string{"Amount due", amt(doc.Due) + " " + cur})
	} else {
		totals = append(totals, [2]string{"Amount credited", amt(doc.Due) + " " + cur})
	}
	for i, t := range totals {
		style := ""
		if i == 2 || i == len(totals)-1 {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(150, 6, tr(t[0]), "", 0, "R", false, 0, "")
		pdf.CellFormat(30, 6, tr(t[1]), "", 1, "R", false, 0, "")
	}

	// Notes.
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 8)
	var notes []string
	if doc.Note != "" {
		label := "Note: "
		if doc.Kind == KindCreditNote {
			label = "Reason: "
		}
		notes = append(notes, label+doc.Note)
	}
	if s.PaymentTerms != "" && doc.Kind == KindInvoice {
		notes = append(notes, s.PaymentTerms)
	}
	notes = append(notes, "Service dates are given per line; the supply period is "+period(doc.SupplyFrom, doc.SupplyTo)+".", doc.RoundingRule)
	for _, n := range notes {
		pdf.MultiCell(0, 4, tr(n), "", "L", false)
	}

	if x, err := InvoiceXML(doc); err == nil {
		pdf.SetAttachments([]fpdf.Attachment{{Content: x, Filename: doc.Number + ".xml", Description: "EN 16931 invoice (UN/CEFACT CII)"}})
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("ledger: render %s: %w", doc.Number, err)
	}
	return buf.Bytes(), nil
}

func footerLines(s Legal) []string {
	var ids []string
	if s.VATID != "" {
		ids = append(ids, "VAT id "+s.VATID)
	}
	if s.TaxNumber != "" {
		ids = append(ids, "Tax number "+s.TaxNumber)
	}
	directors := ""
	if s.Directors != "" {
		directors = "Managing directors: " + s.Directors
	}
	bank := ""
	if s.Bank.IBAN != "" {
		bank = joinNonEmpty(" · ", s.Bank.Name, "IBAN "+s.Bank.IBAN, map[bool]string{true: "BIC " + s.Bank.BIC}[s.Bank.BIC != ""], s.Bank.AccountHolder)
	}
	return []string{
		joinNonEmpty(" · ", s.Company, joinNonEmpty(", ", s.Address.Line1, joinNonEmpty(" ", s.Address.PostalCode, s.Address.City))),
		joinNonEmpty(" · ", s.Register, directors, strings.Join(ids, " · ")),
		bank,
	}
}

func rateLabel(category string, bp int) string {
	if category == CategoryStandard {
		return FormatRate(bp) + "%"
	}
	return map[string]string{CategoryZero: "0%", CategoryExempt: "exempt", CategoryOutOfScope: "not subject"}[category]
}

func longDate(d date.Date) string {
	y, m, day := d.YMD()
	return fmt.Sprintf("%d %s %d", day, m, y)
}

func period(from, to date.Date) string {
	if from == to {
		return longDate(from)
	}
	return longDate(from) + " – " + longDate(to)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
