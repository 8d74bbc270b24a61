package ledger_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant/ledger"
)

// The checker below reads the produced XML on its own (namespace-aware,
// with exact decimals) and applies the EN 16931 business rules that apply
// to what Aura writes. It shares no code with the writer.

const (
	nsRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
	nsQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
)

type node struct {
	name  xml.Name
	attrs map[string]string
	text  string
	kids  []*node
}

func parseXML(t *testing.T, b []byte) *node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the XML does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tk)
		}
	}
	if len(root.kids) != 1 {
		t.Fatalf("%d root elements", len(root.kids))
	}
	return root.kids[0]
}

// all returns the descendants along a path of "prefix:Local" steps, with
// the prefixes standing for the CII namespaces.
func (n *node) all(path ...string) []*node {
	cur := []*node{n}
	for _, step := range path {
		pfx, local, _ := strings.Cut(step, ":")
		space := map[string]string{"rsm": nsRSM, "ram": nsRAM, "udt": nsUDT, "qdt": nsQDT}[pfx]
		var next []*node
		for _, c := range cur {
			for _, k := range c.kids {
				if k.name.Space == space && k.name.Local == local {
					next = append(next, k)
				}
			}
		}
		cur = next
	}
	return cur
}

func (n *node) one(path ...string) *node {
	if all := n.all(path...); len(all) > 0 {
		return all[0]
	}
	return nil
}

func (n *node) str(path ...string) string {
	if m := n.one(path...); m != nil {
		return strings.TrimSpace(m.text)
	}
	return ""
}

// dec parses a decimal amount exactly; ok is false for a malformed one.
func dec(s string) (*big.Rat, bool) {
	if s == "" {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

type violations []string

func (v *violations) check(ok bool, rule, format string, args ...any) {
	if !ok {
		*v = append(*v, rule+": "+fmt.Sprintf(format, args...))
	}
}

// en16931 applies the business rules to a CII document and returns the
// violations (empty when it conforms to those rules).
func en16931(t *testing.T, b []byte) violations {
	t.Helper()
	var v violations
	root := parseXML(t, b)
	v.check(root.name.Space == nsRSM && root.name.Local == "CrossIndustryInvoice", "SYNTAX", "root %v", root.name)
	tx := root.one("rsm:SupplyChainTradeTransaction")
	if tx == nil {
		return append(v, "SYNTAX: no SupplyChainTradeTransaction")
	}
	hdr := tx.one("ram:ApplicableHeaderTradeSettlement")
	agr := tx.one("ram:ApplicableHeaderTradeAgreement")
	if hdr == nil || agr == nil {
		return append(v, "SYNTAX: no header agreement or settlement")
	}
	sum := hdr.one("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	if sum == nil {
		return append(v, "BR-12: no monetary summation")
	}
	amount := func(rule string, n *node, path ...string) *big.Rat {
		s := ""
		if n != nil {
			s = n.str(path...)
		}
		r, ok := dec(s)
		v.check(ok, rule, "%s is %q, not an amount", strings.Join(path, "/"), s)
		if !ok {
			return new(big.Rat)
		}
		// BR-DEC: amounts have at most two decimals.
		if i := strings.IndexByte(s, '.'); i >= 0 {
			v.check(len(s)-i-1 <= 2, "BR-DEC", "%s has more than two decimals: %s", strings.Join(path, "/"), s)
		}
		return r
	}
	date := func(rule string, n *node, path ...string) string {
		s := ""
		var f string
		if n != nil {
			if m := n.one(path...); m != nil {
				s, f = strings.TrimSpace(m.text), m.attrs["format"]
			}
		}
		_, err := time.Parse("20060102", s)
		v.check(err == nil && f == "102", rule, "%s is %q (format %q), not a date", strings.Join(path, "/"), s, f)
		return s
	}

	v.check(root.str("rsm:ExchangedDocumentContext", "ram:GuidelineSpecifiedDocumentContextParameter", "ram:ID") == "urn:cen.eu:en16931:2017", "BR-01", "specification identifier")
	doc := root.one("rsm:ExchangedDocument")
	v.check(doc.str("ram:ID") != "", "BR-02", "no invoice number")
	date("BR-03", doc, "ram:IssueDateTime", "udt:DateTimeString")
	typeCode := doc.str("ram:TypeCode")
	v.check(typeCode == "380" || typeCode == "381", "BR-04", "type code %q", typeCode)
	v.check(len(hdr.str("ram:InvoiceCurrencyCode")) == 3, "BR-05", "currency code")
	seller, buyer := agr.one("ram:SellerTradeParty"), agr.one("ram:BuyerTradeParty")
	v.check(seller != nil && seller.str("ram:Name") != "", "BR-06", "no seller name")
	v.check(buyer != nil && buyer.str("ram:Name") != "", "BR-07", "no buyer name")
	v.check(seller != nil && seller.one("ram:PostalTradeAddress") != nil, "BR-08", "no seller address")
	v.check(seller != nil && len(seller.str("ram:PostalTradeAddress", "ram:CountryID")) == 2, "BR-09", "no seller country")
	v.check(buyer != nil && buyer.one("ram:PostalTradeAddress") != nil, "BR-10", "no buyer address")
	v.check(buyer != nil && len(buyer.str("ram:PostalTradeAddress", "ram:CountryID")) == 2, "BR-11", "no buyer country")
	lineTotal := amount("BR-12", sum, "ram:LineTotalAmount")
	taxBasis := amount("BR-13", sum, "ram:TaxBasisTotalAmount")
	grand := amount("BR-14", sum, "ram:GrandTotalAmount")
	due := amount("BR-15", sum, "ram:DuePayableAmount")
	lines := tx.all("ram:IncludedSupplyChainTradeLineItem")
	v.check(len(lines) > 0, "BR-16", "no invoice line")

	// Lines: BR-21..BR-27, BR-CO-4, BR-30; sums per VAT category and rate.
	type key struct{ cat, rate string }
	perRate := map[key]*big.Rat{}
	sumLines := new(big.Rat)
	ids := map[string]bool{}
	hasS := false
	for i, l := range lines {
		id := l.str("ram:AssociatedDocumentLineDocument", "ram:LineID")
		v.check(id != "" && !ids[id], "BR-21", "line %d id %q missing or repeated", i+1, id)
		ids[id] = true
		q := l.one("ram:SpecifiedLineTradeDelivery", "ram:BilledQuantity")
		v.check(q != nil && strings.TrimSpace(q.text) != "", "BR-22", "line %s has no quantity", id)
		v.check(q != nil && q.attrs["unitCode"] != "", "BR-23", "line %s has no unit code", id)
		net := amount("BR-24", l, "ram:SpecifiedLineTradeSettlement", "ram:SpecifiedTradeSettlementLineMonetarySummation", "ram:LineTotalAmount")
		v.check(l.str("ram:SpecifiedTradeProduct", "ram:Name") != "", "BR-25", "line %s has no item name", id)
		price := amount("BR-26", l, "ram:SpecifiedLineTradeAgreement", "ram:NetPriceProductTradePrice", "ram:ChargeAmount")
		v.check(price.Sign() >= 0, "BR-27", "line %s has a negative price", id)
		// Quantity × price / base quantity is the line's net amount (exact, no rounding needed).
		if q != nil {
			qty, ok := dec(strings.TrimSpace(q.text))
			base := big.NewRat(1, 1)
			if b := l.one("ram:SpecifiedLineTradeAgreement", "ram:NetPriceProductTradePrice", "ram:BasisQuantity"); b != nil {
				base, _ = dec(strings.TrimSpace(b.text))
			}
			if ok && base != nil && base.Sign() > 0 {
				calc := new(big.Rat).Quo(new(big.Rat).Mul(qty, price), base)
				v.check(calc.Cmp(net) == 0, "LINE", "line %s: %s × %s / %s = %s, not the net %s", id, qty.FloatString(2), price.FloatString(2), base.FloatString(0), calc.FloatString(4), net.FloatString(2))
			}
		}
		cat := l.str("ram:SpecifiedLineTradeSettlement", "ram:ApplicableTradeTax", "ram:CategoryCode")
		rate := l.str("ram:SpecifiedLineTradeSettlement", "ram:ApplicableTradeTax", "ram:RateApplicablePercent")
		v.check(cat != "", "BR-CO-4", "line %s has no VAT category", id)
		if cat == "S" {
			hasS = true
			r, ok := dec(rate)
			v.check(ok && r.Sign() > 0, "BR-S-05", "line %s: a standard-rated line needs a rate above zero", id)
		}
		if cat == "E" || cat == "Z" {
			r, ok := dec(rate)
			v.check(ok && r.Sign() == 0, "BR-"+cat+"-05", "line %s: rate must be 0", id)
		}
		if p := l.one("ram:SpecifiedLineTradeSettlement", "ram:BillingSpecifiedPeriod"); p != nil {
			s, e := date("BR-30", p, "ram:StartDateTime", "udt:DateTimeString"), date("BR-30", p, "ram:EndDateTime", "udt:DateTimeString")
			v.check(s <= e, "BR-30", "line %s period ends before it starts", id)
		}
		k := key{cat, normRate(rate)}
		if perRate[k] == nil {
			perRate[k] = new(big.Rat)
		}
		perRate[k].Add(perRate[k], net)
		sumLines.Add(sumLines, net)
	}
	v.check(sumLines.Cmp(lineTotal) == 0, "BR-CO-10", "lines sum to %s, LineTotalAmount is %s", sumLines.FloatString(2), lineTotal.FloatString(2))
	// No document-level allowances or charges: the tax basis is the line total.
	v.check(len(hdr.all("ram:SpecifiedTradeAllowanceCharge")) > 0 || taxBasis.Cmp(lineTotal) == 0, "BR-CO-13", "tax basis %s, line total %s", taxBasis.FloatString(2), lineTotal.FloatString(2))

	// VAT breakdown: BR-CO-14, BR-CO-18, BR-S-08/09/10, BR-E-08/09/10, BR-Z-08/09, BR-O-11.
	taxes := hdr.all("ram:ApplicableTradeTax")
	v.check(len(taxes) > 0, "BR-CO-18", "no VAT breakdown")
	sumTax := new(big.Rat)
	hasO := false
	for _, tt := range taxes {
		cat, rate := tt.str("ram:CategoryCode"), tt.str("ram:RateApplicablePercent")
		basis := amount("BR-45", tt, "ram:BasisAmount")
		calc := amount("BR-46", tt, "ram:CalculatedAmount")
		sumTax.Add(sumTax, calc)
		lineSum := perRate[key{cat, normRate(rate)}]
		delete(perRate, key{cat, normRate(rate)})
		v.check(lineSum != nil && lineSum.Cmp(basis) == 0, "BR-"+cat+"-08", "category %s %s%%: basis %s, its lines sum to %v", cat, rate, basis.FloatString(2), lineSum)
		switch cat {
		case "S":
			r, _ := dec(rate)
			if r == nil {
				r = new(big.Rat)
			}
			// round(basis × rate) / 100 to the cent, and the schematron's tolerance of less than one unit.
			exact := new(big.Rat).Quo(new(big.Rat).Mul(basis, r), big.NewRat(100, 1))
			cents := roundHalfUp(new(big.Rat).Mul(exact, big.NewRat(100, 1)))
			want := new(big.Rat).SetFrac(cents, big.NewInt(100))
			diff := new(big.Rat).Sub(calc, want)
			v.check(diff.Abs(diff).Cmp(big.NewRat(1, 1)) < 0, "BR-S-09", "tax %s, basis × rate %s", calc.FloatString(2), want.FloatString(2))
			v.check(tt.str("ram:ExemptionReason") == "", "BR-S-10", "a standard-rated breakdown has an exemption reason")
		case "E":
			v.check(calc.Sign() == 0, "BR-E-09", "exempt tax amount %s", calc.FloatString(2))
			v.check(tt.str("ram:ExemptionReason") != "" || tt.str("ram:ExemptionReasonCode") != "", "BR-E-10", "no exemption reason")
		case "Z":
			v.check(calc.Sign() == 0, "BR-Z-09", "zero-rated tax amount %s", calc.FloatString(2))
		case "O":
			hasO = true
			v.check(calc.Sign() == 0, "BR-O-09", "tax amount %s", calc.FloatString(2))
		}
	}
	v.check(len(perRate) == 0, "BR-CO-18", "a category and rate of the lines has no breakdown: %v", perRate)
	v.check(!hasO || len(taxes) == 1, "BR-O-11", "category O beside other categories")
	taxTotal := amount("BR-CO-14", sum, "ram:TaxTotalAmount")
	v.check(sum.one("ram:TaxTotalAmount") != nil && sum.one("ram:TaxTotalAmount").attrs["currencyID"] == hdr.str("ram:InvoiceCurrencyCode"), "BR-CO-14", "TaxTotalAmount's currencyID")
	v.check(sumTax.Cmp(taxTotal) == 0, "BR-CO-14", "breakdown sums to %s, TaxTotalAmount %s", sumTax.FloatString(2), taxTotal.FloatString(2))
	v.check(new(big.Rat).Add(taxBasis, taxTotal).Cmp(grand) == 0, "BR-CO-15", "%s + %s != %s", taxBasis.FloatString(2), taxTotal.FloatString(2), grand.FloatString(2))
	prepaid := new(big.Rat)
	if sum.one("ram:TotalPrepaidAmount") != nil {
		prepaid = amount("BR-CO-16", sum, "ram:TotalPrepaidAmount")
	}
	v.check(new(big.Rat).Sub(grand, prepaid).Cmp(due) == 0, "BR-CO-16", "%s − %s != %s", grand.FloatString(2), prepaid.FloatString(2), due.FloatString(2))
	v.check(due.Sign() <= 0 || hdr.str("ram:SpecifiedTradePaymentTerms", "ram:Description") != "" || hdr.one("ram:SpecifiedTradePaymentTerms", "ram:DueDateDateTime") != nil,
		"BR-CO-25", "an amount is due without payment terms or a due date")
	// The seller: BR-S-02 (a VAT id or tax registration when standard-rated), BR-CO-26, BR-CO-9.
	var vatIDs []string
	hasTaxReg := false
	for _, p := range []*node{seller, buyer} {
		if p == nil {
			continue
		}
		for _, r := range p.all("ram:SpecifiedTaxRegistration", "ram:ID") {
			if r.attrs["schemeID"] == "VA" {
				vatIDs = append(vatIDs, strings.TrimSpace(r.text))
			}
			if p == seller {
				hasTaxReg = true
			}
		}
	}
	v.check(!hasS || hasTaxReg, "BR-S-02", "standard-rated lines without the seller's VAT id or tax registration")
	v.check(seller != nil && (hasTaxReg || seller.str("ram:SpecifiedLegalOrganization", "ram:ID") != ""), "BR-CO-26", "no seller identifier")
	for _, id := range vatIDs {
		v.check(len(id) > 2 && strings.ToUpper(id[:2]) == id[:2] && id[0] >= 'A' && id[0] <= 'Z', "BR-CO-9", "VAT id %q has no country prefix", id)
	}
	if p := hdr.one("ram:BillingSpecifiedPeriod"); p != nil {
		s, e := date("BR-29", p, "ram:StartDateTime", "udt:DateTimeString"), date("BR-29", p, "ram:EndDateTime", "udt:DateTimeString")
		v.check(s <= e, "BR-29", "the invoicing period ends before it starts")
	}
	for _, pm := range hdr.all("ram:SpecifiedTradeSettlementPaymentMeans") {
		code := pm.str("ram:TypeCode")
		v.check(code != "", "BR-49", "payment means without a type code")
		if code == "30" || code == "58" {
			v.check(pm.str("ram:PayeePartyCreditorFinancialAccount", "ram:IBANID") != "", "BR-61", "credit transfer without an account")
		}
	}
	if typeCode == "381" {
		ref := hdr.one("ram:InvoiceReferencedDocument")
		v.check(ref != nil && ref.str("ram:IssuerAssignedID") != "", "BR-55", "a credit note without its preceding invoice")
	}
	return v
}

func normRate(s string) string {
	r, ok := dec(s)
	if !ok {
		return ""
	}
	return r.FloatString(2)
}

// roundHalfUp rounds a non-negative rational to an integer, halves up (as
// the schematron's XPath round does).
func roundHalfUp(r *big.Rat) *big.Int {
	n := new(big.Rat).Add(r, big.NewRat(1, 2))
	return new(big.Int).Div(n.Num(), n.Denom())
}

func TestInvoiceXML(t *testing.T) {
	f := newFixture(t)
	fol := invoicedStay(t, f, "res_1")
	must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-08"), BusinessDate: d("2027-03-08"),
		Description: "Laundry", Quantity: 3, UnitPrice: 499, TaxCode: "DE-19", Category: "MISC"}))(t) // 3 × net 4.19333…: priced per 3
	inv := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(),
		Recipient: ledger.Recipient{Name: "Max Muster", Company: "Acme GmbH", VATID: "DE999999999", Reference: "PO-4711",
			Address: ledger.Address{Line1: "Hauptstr. 1", PostalCode: "80331", City: "München", Country: "DE"}}}))(t)
	cn := must(f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), BusinessDate: d("2027-03-10"),
		Lines: []ledger.CreditLine{{Line: 1, Amount: 2000}}, Reason: "Goodwill"}))(t)
	full := must(f.s.IssueCreditNote(f.ctx, ledger.CreditNoteInput{InvoiceID: inv.ID, IssueDate: f.today(), Reason: "Cancelled"}))(t)
	for _, doc := range []ledger.Document{inv, cn, full} {
		t.Run(doc.Number, func(t *testing.T) {
			b := must(ledger.InvoiceXML(doc))(t)
			if v := en16931(t, b); len(v) > 0 {
				t.Fatalf("%s breaks EN 16931:\n%s\n%s", doc.Number, strings.Join(v, "\n"), b)
			}
			root := parseXML(t, b)
			tx := root.one("rsm:SupplyChainTradeTransaction")
			hdr := tx.one("ram:ApplicableHeaderTradeSettlement")
			if got := root.str("rsm:ExchangedDocument", "ram:ID"); got != doc.Number {
				t.Fatalf("number %s", got)
			}
			if got := hdr.str("ram:SpecifiedTradeSettlementHeaderMonetarySummation", "ram:GrandTotalAmount"); got != ledger.FormatAmount(doc.Totals.Gross, "EUR") {
				t.Fatalf("grand total %s, document %d", got, doc.Totals.Gross)
			}
			if len(tx.all("ram:IncludedSupplyChainTradeLineItem")) != len(doc.Lines) || len(hdr.all("ram:ApplicableTradeTax")) != len(doc.Taxes) {
				t.Fatal("lines or breakdown missing")
			}
			if doc.Kind == ledger.KindCreditNote {
				if root.str("rsm:ExchangedDocument", "ram:TypeCode") != "381" || hdr.str("ram:InvoiceReferencedDocument", "ram:IssuerAssignedID") != inv.Number {
					t.Fatal("the credit note does not reference its invoice")
				}
			}
		})
	}
	t.Run("CheckerCatchesBrokenSums", func(t *testing.T) {
		// The checker must fail on a broken document, or the tests above prove nothing.
		b := must(ledger.InvoiceXML(inv))(t)
		total := ledger.FormatAmount(inv.Totals.Net, "EUR")
		for rule, broken := range map[string][]byte{
			"BR-CO-10": bytes.Replace(b, []byte("<ram:LineTotalAmount>"+total+"<"), []byte("<ram:LineTotalAmount>"+ledger.FormatAmount(inv.Totals.Net+1, "EUR")+"<"), 1),
			"BR-CO-14": bytes.Replace(b, []byte(`currencyID="EUR">`+ledger.FormatAmount(inv.Totals.Tax, "EUR")), []byte(`currencyID="EUR">`+ledger.FormatAmount(inv.Totals.Tax+1, "EUR")), 1),
			"BR-02":    bytes.Replace(b, []byte("<ram:ID>"+inv.Number+"</ram:ID>"), []byte("<ram:ID></ram:ID>"), 1),
			"BR-E-10":  bytes.Replace(bytes.Replace(b, []byte("<ram:ExemptionReason>"), []byte("<ram:Dropped>"), 1), []byte("</ram:ExemptionReason>"), []byte("</ram:Dropped>"), 1),
		} {
			if bytes.Equal(broken, b) {
				t.Fatalf("%s: the mutation did not apply", rule)
			}
			v := en16931(t, broken)
			found := false
			for _, s := range v {
				found = found || strings.HasPrefix(s, rule)
			}
			if !found {
				t.Errorf("%s not reported for a broken document: %v", rule, v)
			}
		}
	})
	t.Run("ErrOutOfScopeMixed", func(t *testing.T) {
		must(f.s.SetTaxCode(f.ctx, f.prop, ledger.TaxCode{Code: "OOS", Category: "O", ExemptionReason: "Not subject to VAT", Rates: []ledger.Rate{{ValidFrom: d("2000-01-01")}}}))(t)
		fol := f.guestFolio(t, "res_o")
		must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-09"), BusinessDate: d("2027-03-09"), Description: "Room", UnitPrice: 10700, TaxCode: "DE-7", Category: "ACC"}))(t)
		must(f.s.PostCharge(f.ctx, ledger.ChargeInput{FolioID: fol.ID, ServiceDate: d("2027-03-09"), BusinessDate: d("2027-03-09"), Description: "Fee", UnitPrice: 500, TaxCode: "OOS", Category: "MISC"}))(t)
		doc := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
		_, err := ledger.InvoiceXML(doc)
		wantCode(t, err, aura.ECONFLICT)
	})
	t.Run("ErrRoundingBeyondTolerance", func(t *testing.T) {
		// 400 nights of a 10.00 breakfast at 19%: each line rounds 8.40 + 1.60 (1.5966…), so the
		// tax is 400 × 1.60 = 640.00 against 3360.00 × 19% = 638.40: 1.60 apart.
		fol := f.guestFolio(t, "res_long")
		must(f.s.SetProduct(f.ctx, f.prop, ledger.Product{Code: "B10", Name: "Breakfast", Price: 1000, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmPerNight, Active: true}))(t)
		for i := range 400 {
			day := d("2026-01-01").AddDays(i)
			must(f.s.PostProduct(f.ctx, ledger.ProductPosting{FolioID: fol.ID, Product: "B10", ServiceDate: day, BusinessDate: day}))(t)
		}
		doc := must(f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest}))(t)
		checkReconciles(t, doc)
		if doc.Totals.Tax != 64000 {
			t.Fatalf("tax %d", doc.Totals.Tax)
		}
		_, err := ledger.InvoiceXML(doc)
		wantCode(t, err, aura.ECONFLICT)
	})
}
