package ledger

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// EN16931 is the specification identifier (BT-24) of the XML: the
// EN 16931 core, which is also the Factur-X / ZUGFeRD "EN 16931" profile.
const EN16931 = "urn:cen.eu:en16931:2017"

// UN/CEFACT Cross Industry Invoice (D16B) namespaces.
const (
	nsRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
	nsQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
)

// The element names below carry their namespace prefix, which the root
// binds; encoding/xml writes them as given. Field order is the schema's.
type ciiInvoice struct {
	XMLName     xml.Name       `xml:"rsm:CrossIndustryInvoice"`
	RSM         string         `xml:"xmlns:rsm,attr"`
	RAM         string         `xml:"xmlns:ram,attr"`
	UDT         string         `xml:"xmlns:udt,attr"`
	QDT         string         `xml:"xmlns:qdt,attr"`
	Context     ciiContext     `xml:"rsm:ExchangedDocumentContext"`
	Document    ciiDocument    `xml:"rsm:ExchangedDocument"`
	Transaction ciiTransaction `xml:"rsm:SupplyChainTradeTransaction"`
}

type ciiContext struct {
	Guideline ciiID `xml:"ram:GuidelineSpecifiedDocumentContextParameter"`
}

type ciiID struct {
	ID string `xml:"ram:ID"`
}

type ciiDocument struct {
	ID       string    `xml:"ram:ID"`
	TypeCode string    `xml:"ram:TypeCode"`
	Issued   ciiDate   `xml:"ram:IssueDateTime"`
	Notes    []ciiNote `xml:"ram:IncludedNote"`
}

type ciiDate struct {
	S ciiDateString `xml:"udt:DateTimeString"`
}

type ciiQDate struct {
	S ciiDateString `xml:"qdt:DateTimeString"`
}

type ciiDateString struct {
	Format string `xml:"format,attr"`
	Value  string `xml:",chardata"`
}

func cdate(d date.Date) ciiDate {
	return ciiDate{ciiDateString{"102", strings.ReplaceAll(d.String(), "-", "")}}
}

type ciiNote struct {
	Content     string `xml:"ram:Content"`
	SubjectCode string `xml:"ram:SubjectCode,omitempty"`
}

type ciiTransaction struct {
	Lines      []ciiLine     `xml:"ram:IncludedSupplyChainTradeLineItem"`
	Agreement  ciiAgreement  `xml:"ram:ApplicableHeaderTradeAgreement"`
	Delivery   struct{}      `xml:"ram:ApplicableHeaderTradeDelivery"`
	Settlement ciiSettlement `xml:"ram:ApplicableHeaderTradeSettlement"`
}

type ciiLine struct {
	Doc        ciiLineDoc        `xml:"ram:AssociatedDocumentLineDocument"`
	Product    ciiProduct        `xml:"ram:SpecifiedTradeProduct"`
	Agreement  ciiLineAgreement  `xml:"ram:SpecifiedLineTradeAgreement"`
	Delivery   ciiLineDelivery   `xml:"ram:SpecifiedLineTradeDelivery"`
	Settlement ciiLineSettlement `xml:"ram:SpecifiedLineTradeSettlement"`
}

type ciiLineDoc struct {
	LineID string `xml:"ram:LineID"`
}

type ciiProduct struct {
	Name string `xml:"ram:Name"`
}

type ciiLineAgreement struct {
	NetPrice ciiPrice `xml:"ram:NetPriceProductTradePrice"`
}

type ciiPrice struct {
	Amount string  `xml:"ram:ChargeAmount"`
	Basis  *ciiQty `xml:"ram:BasisQuantity,omitempty"`
}

type ciiQty struct {
	Unit  string `xml:"unitCode,attr"`
	Value string `xml:",chardata"`
}

type ciiLineDelivery struct {
	Quantity ciiQty `xml:"ram:BilledQuantity"`
}

type ciiLineSettlement struct {
	Tax    ciiLineTax `xml:"ram:ApplicableTradeTax"`
	Period *ciiPeriod `xml:"ram:BillingSpecifiedPeriod,omitempty"`
	Sum    ciiLineSum `xml:"ram:SpecifiedTradeSettlementLineMonetarySummation"`
}

type ciiLineTax struct {
	TypeCode string `xml:"ram:TypeCode"`
	Category string `xml:"ram:CategoryCode"`
	Rate     string `xml:"ram:RateApplicablePercent,omitempty"`
}

type ciiPeriod struct {
	Start ciiDate `xml:"ram:StartDateTime"`
	End   ciiDate `xml:"ram:EndDateTime"`
}

type ciiLineSum struct {
	Total string `xml:"ram:LineTotalAmount"`
}

type ciiAgreement struct {
	BuyerReference string   `xml:"ram:BuyerReference,omitempty"`
	Seller         ciiParty `xml:"ram:SellerTradeParty"`
	Buyer          ciiParty `xml:"ram:BuyerTradeParty"`
}

type ciiParty struct {
	Name        string        `xml:"ram:Name"`
	Description string        `xml:"ram:Description,omitempty"`
	Legal       *ciiLegalOrg  `xml:"ram:SpecifiedLegalOrganization,omitempty"`
	Contact     *ciiContact   `xml:"ram:DefinedTradeContact,omitempty"`
	Address     ciiAddress    `xml:"ram:PostalTradeAddress"`
	Tax         []ciiTaxRegID `xml:"ram:SpecifiedTaxRegistration"`
}

type ciiLegalOrg struct {
	ID          string `xml:"ram:ID,omitempty"`
	TradingName string `xml:"ram:TradingBusinessName,omitempty"`
}

type ciiContact struct {
	Person string     `xml:"ram:PersonName,omitempty"`
	Phone  *ciiNumber `xml:"ram:TelephoneUniversalCommunication,omitempty"`
	Email  *ciiURI    `xml:"ram:EmailURIUniversalCommunication,omitempty"`
}

type ciiNumber struct {
	Number string `xml:"ram:CompleteNumber"`
}

type ciiURI struct {
	URI string `xml:"ram:URIID"`
}

type ciiAddress struct {
	Postcode string `xml:"ram:PostcodeCode,omitempty"`
	Line1    string `xml:"ram:LineOne,omitempty"`
	Line2    string `xml:"ram:LineTwo,omitempty"`
	City     string `xml:"ram:CityName,omitempty"`
	Country  string `xml:"ram:CountryID"`
	Region   string `xml:"ram:CountrySubDivisionName,omitempty"`
}

type ciiTaxRegID struct {
	ID ciiSchemeID `xml:"ram:ID"`
}

type ciiSchemeID struct {
	Scheme string `xml:"schemeID,attr"`
	Value  string `xml:",chardata"`
}

type ciiSettlement struct {
	PaymentReference string            `xml:"ram:PaymentReference,omitempty"`
	Currency         string            `xml:"ram:InvoiceCurrencyCode"`
	PaymentMeans     []ciiPaymentMeans `xml:"ram:SpecifiedTradeSettlementPaymentMeans"`
	Taxes            []ciiTax          `xml:"ram:ApplicableTradeTax"`
	Period           *ciiPeriod        `xml:"ram:BillingSpecifiedPeriod,omitempty"`
	Terms            *ciiTerms         `xml:"ram:SpecifiedTradePaymentTerms,omitempty"`
	Sum              ciiSum            `xml:"ram:SpecifiedTradeSettlementHeaderMonetarySummation"`
	Preceding        *ciiRefDoc        `xml:"ram:InvoiceReferencedDocument,omitempty"`
}

type ciiPaymentMeans struct {
	TypeCode    string          `xml:"ram:TypeCode"`
	Account     *ciiAccount     `xml:"ram:PayeePartyCreditorFinancialAccount,omitempty"`
	Institution *ciiInstitution `xml:"ram:PayeeSpecifiedCreditorFinancialInstitution,omitempty"`
}

type ciiAccount struct {
	IBAN string `xml:"ram:IBANID"`
	Name string `xml:"ram:AccountName,omitempty"`
}

type ciiInstitution struct {
	BIC string `xml:"ram:BICID"`
}

type ciiTax struct {
	Calculated      string `xml:"ram:CalculatedAmount"`
	TypeCode        string `xml:"ram:TypeCode"`
	ExemptionReason string `xml:"ram:ExemptionReason,omitempty"`
	Basis           string `xml:"ram:BasisAmount"`
	Category        string `xml:"ram:CategoryCode"`
	Rate            string `xml:"ram:RateApplicablePercent,omitempty"`
}

type ciiTerms struct {
	Description string `xml:"ram:Description"`
}

type ciiSum struct {
	LineTotal    string    `xml:"ram:LineTotalAmount"`
	TaxBasis     string    `xml:"ram:TaxBasisTotalAmount"`
	TaxTotal     ciiAmount `xml:"ram:TaxTotalAmount"`
	GrandTotal   string    `xml:"ram:GrandTotalAmount"`
	TotalPrepaid string    `xml:"ram:TotalPrepaidAmount"`
	Due          string    `xml:"ram:DuePayableAmount"`
}

type ciiAmount struct {
	Currency string `xml:"currencyID,attr"`
	Value    string `xml:",chardata"`
}

type ciiRefDoc struct {
	ID     string    `xml:"ram:IssuerAssignedID"`
	Issued *ciiQDate `xml:"ram:FormattedIssueDateTime,omitempty"`
}

// Type codes of the document (UNTDID 1001).
const (
	typeInvoice    = "380"
	typeCreditNote = "381"
)

// InvoiceXML writes an issued invoice or credit note as an EN 16931
// invoice in the UN/CEFACT Cross Industry Invoice syntax (the XML of
// Factur-X / ZUGFeRD's EN 16931 profile), with encoding/xml. Amounts are
// the document's own, so the XML's sums agree with it to the minor unit.
//
// It fails with ECONFLICT when the document cannot be an EN 16931 invoice:
// its recipient was erased after the retention date, its currency has
// more than two decimals, it mixes "not subject to VAT" (O) with other VAT
// categories (BR-O-11), the seller has neither a VAT id nor a register
// entry (BR-CO-26), or the per-line rounding of a category's tax strays
// a whole currency unit or more from the category's taxable amount × rate
// (BR-S-09, which tolerates less than one unit; split such a bill into
// interim invoices).
func InvoiceXML(doc Document) ([]byte, error) {
	if doc.Recipient == nil {
		return nil, aura.Errorf(aura.ECONFLICT, "%s is past its retention date; its recipient is erased, so no e-invoice can be written.", doc.Number)
	}
	if tenant.MinorUnits(doc.Currency) > 2 {
		return nil, aura.Errorf(aura.ECONFLICT, "EN 16931 allows at most two decimals; %s has %d.", doc.Currency, tenant.MinorUnits(doc.Currency))
	}
	if doc.Seller.VATID == "" && doc.Seller.Register == "" {
		return nil, aura.Errorf(aura.ECONFLICT, "EN 16931 (BR-CO-26) needs the seller's VAT id or register entry; the ledger settings have neither.")
	}
	cur := doc.Currency
	amt := func(a int64) string { return FormatAmount(a, cur) }
	unit := int64(1)
	for range tenant.MinorUnits(cur) {
		unit *= 10
	}
	hasO := false
	for _, t := range doc.Taxes {
		if t.Category == CategoryOutOfScope {
			hasO = true
		}
		if t.Category == CategoryStandard {
			// BR-S-09: |tax − basis × rate| below one currency unit.
			exact := Round(t.Net*int64(t.Rate), 10_000)
			if diff := t.Tax - exact; diff >= unit || diff <= -unit {
				return nil, aura.Errorf(aura.ECONFLICT, "The VAT at %s%% of %s (%s, rounded per line) differs from its taxable amount × rate (%s) by a whole unit or more, which EN 16931 (BR-S-09) refuses: issue interim invoices for long stays.",
					FormatRate(t.Rate), doc.Number, amt(t.Tax), amt(exact))
			}
		}
	}
	if hasO && len(doc.Taxes) > 1 {
		return nil, aura.Errorf(aura.ECONFLICT, "EN 16931 (BR-O-11) does not allow lines not subject to VAT (category O) beside taxed lines on one invoice; code such lines as exempt (E) with their reason.")
	}

	x := ciiInvoice{RSM: nsRSM, RAM: nsRAM, UDT: nsUDT, QDT: nsQDT}
	x.Context.Guideline.ID = EN16931
	x.Document = ciiDocument{ID: doc.Number, TypeCode: typeInvoice, Issued: cdate(doc.IssueDate)}
	if doc.Kind == KindCreditNote {
		x.Document.TypeCode = typeCreditNote
	}
	if doc.Note != "" {
		x.Document.Notes = append(x.Document.Notes, ciiNote{Content: doc.Note})
	}
	x.Document.Notes = append(x.Document.Notes, ciiNote{Content: doc.RoundingRule})
	var reg []string
	for _, s := range []string{doc.Seller.Register, doc.Seller.Directors} {
		if s != "" {
			reg = append(reg, s)
		}
	}
	if len(reg) > 0 {
		x.Document.Notes = append(x.Document.Notes, ciiNote{Content: strings.Join(reg, "; "), SubjectCode: "REG"})
	}

	for _, l := range doc.Lines {
		net := l.Net
		if net < 0 {
			net = -net
		}
		q := int64(l.Quantity)
		if q < 0 {
			q = -q
		}
		price := ciiPrice{Amount: amt(net / q)}
		if net%q != 0 { // keep quantity × price exact: the price of the whole quantity
			price = ciiPrice{Amount: amt(net), Basis: &ciiQty{Unit: "C62", Value: strconv.FormatInt(q, 10)}}
		}
		tax := ciiLineTax{TypeCode: "VAT", Category: l.TaxCategory}
		if l.TaxCategory != CategoryOutOfScope {
			tax.Rate = FormatRate(l.TaxRate)
		}
		x.Transaction.Lines = append(x.Transaction.Lines, ciiLine{
			Doc:        ciiLineDoc{LineID: strconv.Itoa(l.No)},
			Product:    ciiProduct{Name: l.Description},
			Agreement:  ciiLineAgreement{NetPrice: price},
			Delivery:   ciiLineDelivery{Quantity: ciiQty{Unit: "C62", Value: strconv.Itoa(l.Quantity)}},
			Settlement: ciiLineSettlement{Tax: tax, Period: &ciiPeriod{Start: cdate(l.ServiceDate), End: cdate(l.ServiceDate)}, Sum: ciiLineSum{Total: amt(l.Net)}},
		})
	}

	s := doc.Seller
	seller := ciiParty{Name: s.Company, Description: s.Register,
		Address: ciiAddress{Postcode: s.Address.PostalCode, Line1: s.Address.Line1, Line2: s.Address.Line2, City: s.Address.City, Country: s.Address.Country, Region: s.Address.Region}}
	if s.VATID == "" {
		seller.Legal = &ciiLegalOrg{ID: s.Register}
	}
	if s.Email != "" || s.Phone != "" {
		seller.Contact = &ciiContact{Person: s.Directors}
		if s.Phone != "" {
			seller.Contact.Phone = &ciiNumber{s.Phone}
		}
		if s.Email != "" {
			seller.Contact.Email = &ciiURI{s.Email}
		}
	}
	if s.VATID != "" {
		seller.Tax = append(seller.Tax, ciiTaxRegID{ciiSchemeID{"VA", s.VATID}})
	}
	if s.TaxNumber != "" {
		seller.Tax = append(seller.Tax, ciiTaxRegID{ciiSchemeID{"FC", s.TaxNumber}})
	}
	r := doc.Recipient
	buyer := ciiParty{Name: r.Name,
		Address: ciiAddress{Postcode: r.Address.PostalCode, Line1: r.Address.Line1, Line2: r.Address.Line2, City: r.Address.City, Country: r.Address.Country, Region: r.Address.Region}}
	if r.Company != "" {
		buyer.Name = r.Company
		if r.Name != r.Company {
			buyer.Contact = &ciiContact{Person: r.Name}
		}
	}
	if r.VATID != "" {
		buyer.Tax = append(buyer.Tax, ciiTaxRegID{ciiSchemeID{"VA", r.VATID}})
	}
	x.Transaction.Agreement = ciiAgreement{BuyerReference: r.Reference, Seller: seller, Buyer: buyer}

	st := ciiSettlement{PaymentReference: doc.Number, Currency: cur, Period: &ciiPeriod{Start: cdate(doc.SupplyFrom), End: cdate(doc.SupplyTo)}}
	if s.Bank.IBAN != "" {
		pm := ciiPaymentMeans{TypeCode: "58", Account: &ciiAccount{IBAN: s.Bank.IBAN, Name: s.Bank.AccountHolder}}
		if s.Bank.BIC != "" {
			pm.Institution = &ciiInstitution{BIC: s.Bank.BIC}
		}
		st.PaymentMeans = []ciiPaymentMeans{pm}
	}
	for _, t := range doc.Taxes {
		ct := ciiTax{Calculated: amt(t.Tax), TypeCode: "VAT", Basis: amt(t.Net), Category: t.Category}
		if t.Category != CategoryOutOfScope {
			ct.Rate = FormatRate(t.Rate)
		}
		if t.Category == CategoryExempt || t.Category == CategoryOutOfScope {
			ct.ExemptionReason = t.ExemptionReason
		}
		st.Taxes = append(st.Taxes, ct)
	}
	if terms := s.PaymentTerms; terms != "" {
		st.Terms = &ciiTerms{Description: terms}
	} else if doc.Due > 0 {
		st.Terms = &ciiTerms{Description: "Payable on receipt."} // BR-CO-25: an amount due needs terms or a due date
	}
	st.Sum = ciiSum{LineTotal: amt(doc.Totals.Net), TaxBasis: amt(doc.Totals.Net), TaxTotal: ciiAmount{cur, amt(doc.Totals.Tax)},
		GrandTotal: amt(doc.Totals.Gross), TotalPrepaid: amt(doc.Prepaid), Due: amt(doc.Due)}
	if doc.Kind == KindCreditNote {
		st.Preceding = &ciiRefDoc{ID: doc.CorrectsNumber}
		if !doc.CorrectsIssueDate.IsZero() {
			st.Preceding.Issued = &ciiQDate{ciiDateString{"102", strings.ReplaceAll(doc.CorrectsIssueDate.String(), "-", "")}}
		}
	}
	x.Transaction.Settlement = st

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
