package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
)

// Document kinds.
const (
	KindInvoice    = "invoice"
	KindCreditNote = "credit_note"
)

// Invoice statuses, derived when read (never stored, so never hashed).
const (
	InvoiceOpen          = "open"           // nothing paid against what is due
	InvoicePartiallyPaid = "partially_paid" // something paid, something still due
	InvoicePaid          = "paid"           // nothing due any more
	InvoiceCancelled     = "cancelled"      // cancelled in full by a credit note
	CreditNoteIssued     = "issued"         // a credit note's only status
)

// RetentionYears is how long issued documents and their recipient are
// kept: until the end of the eighth year after the year of issue.
const RetentionYears = 8

// Recipient is who an invoice is addressed to, frozen at issue: a name, an
// optional company, a postal address with at least its country, the
// recipient's VAT id for a business and a reference of theirs (an order
// number, a German Leitweg-ID). It is sealed under the document's own key,
// which the tenant's financial-records key wraps; a guest's own key plays
// no part, so erasing the guest leaves the invoice readable.
type Recipient struct {
	Name      string  `json:"name"`
	Company   string  `json:"company,omitempty"`
	Address   Address `json:"address"`
	VATID     string  `json:"vat_id,omitempty"`
	Reference string  `json:"reference,omitempty"`
}

func (r *Recipient) normalise() {
	r.Name = strings.TrimSpace(r.Name)
	r.Company = strings.TrimSpace(r.Company)
	r.VATID = strings.ToUpper(strings.ReplaceAll(r.VATID, " ", ""))
	r.Address.Country = strings.ToUpper(strings.TrimSpace(r.Address.Country))
}

func (r Recipient) validate(fe *fieldErrors) {
	fe.text("recipient.name", r.Name, 1, 200)
	fe.text("recipient.company", r.Company, 0, 200)
	r.Address.validate(fe, "recipient.address.")
	if r.VATID != "" && !validVATID(r.VATID) {
		fe.add("recipient.vat_id", "must start with a two-letter country code followed by 2 to 13 letters or digits")
	}
	fe.text("recipient.reference", r.Reference, 0, 100)
}

// DocumentLine is one frozen line of an invoice or credit note. Amounts are
// signed as the line counts in the document: an allowance on an invoice,
// or the re-debit of an allowance on a full credit note, is negative, with
// a negative quantity and the unit price kept positive.
type DocumentLine struct {
	No          int       `json:"no"`
	FolioLineID string    `json:"folio_line_id"`
	Kind        string    `json:"kind"`
	ServiceDate date.Date `json:"service_date"`
	Description string    `json:"description"`
	Quantity    int       `json:"quantity"`
	UnitPrice   int64     `json:"unit_price"`
	Amounts
	TaxCode         string `json:"tax_code"`
	TaxCategory     string `json:"tax_category"`
	TaxRate         int    `json:"tax_rate"`
	ExemptionReason string `json:"exemption_reason,omitempty"`
	Category        string `json:"category"`
	Account         string `json:"account"`
	// CorrectsLine is, on a credit note, the invoice line it credits.
	CorrectsLine int `json:"corrects_line,omitempty"`
}

// TaxTotal is one row of a document's tax breakdown: the lines of one VAT
// category and rate, summed.
type TaxTotal struct {
	Category        string `json:"category"`
	Rate            int    `json:"rate"`
	ExemptionReason string `json:"exemption_reason,omitempty"`
	Amounts
}

// Document is an issued invoice or credit note: everything frozen at issue,
// its hash, and (derived when read) its status and what was credited.
type Document struct {
	ID                string         `json:"id"`
	PropertyID        string         `json:"property_id"`
	Kind              string         `json:"kind"`
	Number            string         `json:"number"`
	Series            string         `json:"series"`
	Year              int            `json:"year"`
	Seq               int            `json:"seq"`
	FolioID           string         `json:"folio_id"`
	Corrects          string         `json:"corrects,omitempty"`
	CorrectsNumber    string         `json:"corrects_number,omitempty"`
	CorrectsIssueDate date.Date      `json:"corrects_issue_date"`
	Cancels           bool           `json:"cancels,omitempty"`
	IssueDate         date.Date      `json:"issue_date"`
	SupplyFrom        date.Date      `json:"supply_from"`
	SupplyTo          date.Date      `json:"supply_to"`
	Currency          string         `json:"currency"`
	PricesIncludeTax  bool           `json:"prices_include_tax"`
	Seller            Legal          `json:"seller"`
	Recipient         *Recipient     `json:"recipient"` // nil once its key was purged after the retention date
	Lines             []DocumentLine `json:"lines"`
	Taxes             []TaxTotal     `json:"taxes"`
	Totals            Amounts        `json:"totals"`
	Prepaid           int64          `json:"prepaid"` // payments on the folio counted against it at issue
	Due               int64          `json:"due"`     // Totals.Gross − Prepaid
	Note              string         `json:"note,omitempty"`
	RoundingRule      string         `json:"rounding_rule"`
	RetainUntil       date.Date      `json:"retain_until"`
	Hash              string         `json:"hash"` // hex SHA-256 of the canonical encoding
	IssuedAt          time.Time      `json:"issued_at"`
	// Derived when read.
	Status   string `json:"status"`
	Credited int64  `json:"credited,omitempty"` // gross of partial credit notes (invoices)
	Open     int64  `json:"open"`               // what is still to be paid (invoices)
	// Replayed marks a document returned again for a repeated Idempotency-Key.
	Replayed bool `json:"replayed,omitempty"`
}

// documentBody is the frozen part of a document not held in its own
// columns, stored as JSON in ledger_documents.body.
type documentBody struct {
	Seller            Legal          `json:"seller"`
	SupplyFrom        date.Date      `json:"supply_from"`
	SupplyTo          date.Date      `json:"supply_to"`
	PricesIncludeTax  bool           `json:"prices_include_tax"`
	CorrectsNumber    string         `json:"corrects_number,omitempty"`
	CorrectsIssueDate date.Date      `json:"corrects_issue_date"`
	Lines             []DocumentLine `json:"lines"`
	Taxes             []TaxTotal     `json:"taxes"`
	Note              string         `json:"note,omitempty"`
	RoundingRule      string         `json:"rounding_rule"`
}

// docRow is a ledger_documents row as stored: the input of the canonical hash.
type docRow struct {
	ID, PropertyID, Kind, Series string
	Year, Seq                    int
	Number, FolioID, Corrects    string
	Cancels                      bool
	IssueDate, Currency          string
	Net, Tax, Gross, Prepaid     int64
	Due                          int64
	Body                         string
	Recipient                    []byte
	RetainUntil, IssuedAt        string
	Hash                         []byte
}

// canonicalHash is the SHA-256 of a document's canonical encoding: a domain
// tag, then every stored column but the hash, each as a big-endian uint64
// length and its bytes, in a fixed order. The sealed recipient is hashed as
// stored, so the hash reveals nothing about who it is.
func (r docRow) canonicalHash() []byte {
	h := sha256.New()
	h.Write([]byte("aura-ledger-document-v1"))
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	str := func(s string) { field([]byte(s)) }
	num := func(i int64) { str(strconv.FormatInt(i, 10)) }
	cancels := int64(0)
	if r.Cancels {
		cancels = 1
	}
	str(r.ID)
	str(r.PropertyID)
	str(r.Kind)
	str(r.Series)
	num(int64(r.Year))
	num(int64(r.Seq))
	str(r.Number)
	str(r.FolioID)
	str(r.Corrects)
	num(cancels)
	str(r.IssueDate)
	str(r.Currency)
	num(r.Net)
	num(r.Tax)
	num(r.Gross)
	num(r.Prepaid)
	num(r.Due)
	str(r.Body)
	field(r.Recipient)
	str(r.RetainUntil)
	str(r.IssuedAt)
	return h.Sum(nil)
}

// sealAD binds a sealed value to the tenant, table, column and row, so a
// value copied elsewhere does not open.
func (s *Store) sealAD(table, column, rowID string) []byte {
	return []byte("aura/ledger/v1\x00" + s.db.ID + "\x00" + table + "\x00" + column + "\x00" + rowID)
}

// reconcile checks that a document adds up to the minor unit: every line's
// gross is its net plus its tax, the tax breakdown is the sum of the lines
// of each category and rate, the totals are the sum of the breakdown, and
// Due is the gross less Prepaid. It returns a description of the first
// mismatch, or "".
func reconcile(lines []DocumentLine, taxes []TaxTotal, totals Amounts, prepaid, due int64) string {
	type key struct {
		cat  string
		rate int
	}
	sums := map[key]Amounts{}
	var all Amounts
	for _, l := range lines {
		if l.Gross != l.Net+l.Tax {
			return fmt.Sprintf("line %d: gross %d is not net %d + tax %d", l.No, l.Gross, l.Net, l.Tax)
		}
		k := key{l.TaxCategory, l.TaxRate}
		sums[k] = sums[k].Add(l.Amounts)
		all = all.Add(l.Amounts)
	}
	var fromTaxes Amounts
	for _, t := range taxes {
		if sums[key{t.Category, t.Rate}] != t.Amounts {
			return fmt.Sprintf("tax breakdown %s %s%%: %+v, but its lines sum to %+v", t.Category, FormatRate(t.Rate), t.Amounts, sums[key{t.Category, t.Rate}])
		}
		delete(sums, key{t.Category, t.Rate})
		fromTaxes = fromTaxes.Add(t.Amounts)
	}
	if len(sums) > 0 {
		return "a category and rate of the lines is missing from the tax breakdown"
	}
	if fromTaxes != totals || all != totals {
		return fmt.Sprintf("totals %+v, but the breakdown sums to %+v and the lines to %+v", totals, fromTaxes, all)
	}
	if due != totals.Gross-prepaid {
		return fmt.Sprintf("due %d is not gross %d less prepaid %d", due, totals.Gross, prepaid)
	}
	return ""
}

// breakdown sums lines per VAT category and rate, ordered by category then
// rate (highest first).
func breakdown(lines []DocumentLine) ([]TaxTotal, Amounts) {
	type key struct {
		cat  string
		rate int
	}
	idx := map[key]int{}
	var taxes []TaxTotal
	var total Amounts
	for _, l := range lines {
		k := key{l.TaxCategory, l.TaxRate}
		i, ok := idx[k]
		if !ok {
			i = len(taxes)
			idx[k] = i
			taxes = append(taxes, TaxTotal{Category: l.TaxCategory, Rate: l.TaxRate, ExemptionReason: l.ExemptionReason})
		}
		taxes[i].Amounts = taxes[i].Amounts.Add(l.Amounts)
		total = total.Add(l.Amounts)
	}
	sort.SliceStable(taxes, func(i, j int) bool {
		if taxes[i].Category != taxes[j].Category {
			return taxes[i].Category < taxes[j].Category
		}
		return taxes[i].Rate > taxes[j].Rate
	})
	return taxes, total
}

// InvoiceInput issues an invoice from a folio: the issue date (the
// property's today; at most a day from the server's date, and not before
// the series' last document) and the recipient.
type InvoiceInput struct {
	FolioID   string    `json:"folio_id"`
	IssueDate date.Date `json:"issue_date"`
	Recipient Recipient `json:"recipient"`
	Note      string    `json:"note,omitempty"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// IssueInvoice issues an invoice of every line of a folio not yet on a live
// document, in ONE transaction: it takes the next gapless number of the
// property's invoice series for the issue date's year, freezes the lines
// (grouped by VAT rate), the seller's legal data and the recipient (sealed
// under the financial-records key), counts the folio's payments that no
// earlier invoice took (allocate) as prepaid, hashes the document and writes
// "invoice.issued" with the hash to the audit chain. Issued, it never
// changes: corrections are credit notes.
//
// Errors: EINVALID naming the fields (an issue date more than a day from
// the server's date is one); ENOTFOUND for an unknown folio;
// ECONFLICT when a payment of the folio is still pending, a line's service
// date is after the issue date (not yet delivered), nothing is left to
// invoice, the ledger settings lack the legal data an invoice needs, or
// the issue date is before the series' last document.
func (s *Store) IssueInvoice(ctx context.Context, in InvoiceInput) (Document, error) {
	in.Recipient.normalise()
	var fe fieldErrors
	if in.FolioID == "" {
		fe.add("folio_id", "is required")
	}
	s.validIssueDate(&fe, in.IssueDate)
	in.Recipient.validate(&fe)
	fe.text("note", in.Note, 0, 500)
	if err := fe.err("The invoice is not valid."); err != nil {
		return Document{}, err
	}
	var doc Document
	hash := s.idemHash(in.IdempotencyKey, in.RequestHash, in)
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		if id, err := s.replayed(tx, scopeInvoice, in.IdempotencyKey, hash); err != nil || id != "" {
			if err == nil {
				doc, err = s.document(tx, id)
				doc.Replayed = true
			}
			return err
		}
		if err := func() error {
			f, err := s.folio(tx, in.FolioID)
			if err != nil {
				return err
			}
			st, err := s.issuer(tx, f.PropertyID)
			if err != nil {
				return err
			}
			if err := s.checkIssueDate(tx, f.PropertyID, st.InvoiceSeries, in.IssueDate); err != nil {
				return err
			}
			lines, err := s.invoiceable(tx, f, in.IssueDate)
			if err != nil {
				return err
			}
			reasons, err := exemptionReasons(tx, f.PropertyID)
			if err != nil {
				return err
			}
			dls := make([]DocumentLine, len(lines))
			for i, l := range lines {
				dls[i] = documentLine(i+1, l, 1, reasons)
			}
			_, _, prepaid, err := s.allocate(tx, f.ID)
			if err != nil {
				return err
			}
			doc = Document{Kind: KindInvoice, FolioID: f.ID, IssueDate: in.IssueDate, Note: in.Note}
			return s.issue(tx, &doc, f, st, in.Recipient, dls, prepaid)
		}(); err != nil {
			return err
		}
		return s.remember(tx, scopeInvoice, in.IdempotencyKey, hash, doc.ID)
	})
	return doc, err
}

// documentLine freezes a folio line as a document line; sign is −1 to
// reverse it (a credit note's re-debit of an allowance).
func documentLine(no int, l Line, sign int64, reasons map[string]string) DocumentLine {
	s := l.Sign() * sign
	q := l.Quantity
	if s < 0 {
		q = -q
	}
	a := l.Amounts
	if s < 0 {
		a = a.Neg()
	}
	return DocumentLine{No: no, FolioLineID: l.ID, Kind: l.Kind, ServiceDate: l.ServiceDate, Description: l.Description,
		Quantity: q, UnitPrice: l.UnitPrice, Amounts: a, TaxCode: l.TaxCode, TaxCategory: l.TaxCategory, TaxRate: l.TaxRate,
		ExemptionReason: reasons[l.TaxCode], Category: l.Category, Account: l.Account}
}

// exemptionReasons returns the exemption reason of each tax code of a
// property that has one (printed per rate on the document).
func exemptionReasons(tx *tenant.Tx, propertyID string) (map[string]string, error) {
	rows, err := tx.Query(`SELECT code, exemption_reason FROM ledger_tax_codes WHERE property_id = ? AND exemption_reason != ''`, propertyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, reason string
		if err := rows.Scan(&code, &reason); err != nil {
			return nil, err
		}
		out[code] = reason
	}
	return out, rows.Err()
}

// validIssueDate checks that an issue date is given; checkIssueDate checks
// it against the clock and the series inside the transaction.
func (s *Store) validIssueDate(fe *fieldErrors, d date.Date) {
	if d.IsZero() {
		fe.add("issue_date", "is required (YYYY-MM-DD)")
	}
}

func (s *Store) checkIssueDate(tx *tenant.Tx, propertyID, series string, d date.Date) error {
	today := date.Of(tx.Now, time.UTC)
	if d.Sub(today) > 1 || today.Sub(d) > 1 {
		return aura.Invalid("The document is not valid.", aura.FieldError{Field: "issue_date",
			Message: "must be today's date where the property is (a document is dated when it is issued)"})
	}
	// The series' last document, through its numbering index.
	var last string
	err := tx.QueryRow(`SELECT issue_date FROM ledger_documents WHERE property_id = ? AND series = ? ORDER BY year DESC, seq DESC LIMIT 1`,
		propertyID, series).Scan(&last)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if last > d.String() {
		return aura.Errorf(aura.ECONFLICT, "The series %s already has a document dated %s; numbers and dates must run in the same order.", series, last)
	}
	return nil
}

// issuer returns a property's settings, refusing to issue without the
// legal data an invoice must carry.
func (s *Store) issuer(tx *tenant.Tx, propertyID string) (Settings, error) {
	st, err := s.settings(tx, propertyID)
	if err != nil {
		return st, err
	}
	l := st.Legal
	var missing []string
	if l.Address.Line1 == "" || l.Address.City == "" || l.Address.PostalCode == "" {
		missing = append(missing, "the full address")
	}
	if l.VATID == "" && l.TaxNumber == "" {
		missing = append(missing, "a VAT id or tax number")
	}
	if len(missing) > 0 {
		return st, aura.Errorf(aura.ECONFLICT, "Property %s cannot issue invoices yet: its ledger settings lack %s.", propertyID, strings.Join(missing, " and "))
	}
	return st, nil
}

// invoiceable returns the lines of a folio an invoice takes: every charge,
// allowance and moved-in charge not on a live document, except a charge
// moved away together with its allowances and its transfer_out (they net
// to zero here). It refuses while a payment is pending or a line is for a
// service after the issue date, and when nothing is left.
func (s *Store) invoiceable(tx *tenant.Tx, f Folio, issue date.Date) ([]Line, error) {
	var pending string
	err := tx.QueryRow(`SELECT id FROM ledger_payments WHERE folio_id = ? AND status = 'pending' LIMIT 1`, f.ID).Scan(&pending)
	if err == nil {
		return nil, aura.Errorf(aura.ECONFLICT, "The folio %s has a pending payment (%s): every line must be posted before it is invoiced.", f.ID, pending)
	} else if err != sql.ErrNoRows {
		return nil, err
	}
	all, err := s.lines(tx, f.ID)
	if err != nil {
		return nil, err
	}
	documented, err := s.documentedLines(tx, f.ID)
	if err != nil {
		return nil, err
	}
	moved := map[string]bool{}
	for _, l := range all {
		if l.Kind == LineTransferOut {
			moved[l.Corrects] = true
			moved[l.ID] = true
		}
	}
	var out []Line
	for _, l := range all {
		if !l.revenue() || documented[l.ID] || moved[l.ID] || (l.Kind == LineAllowance && moved[l.Corrects]) {
			continue
		}
		if l.ServiceDate.After(issue) {
			return nil, aura.Errorf(aura.ECONFLICT, "The line %s is for %s, after the issue date %s: it is not delivered yet.", l.ID, l.ServiceDate, issue)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, aura.Errorf(aura.ECONFLICT, "The folio %s has nothing left to invoice.", f.ID)
	}
	return out, nil
}

// documentedLines returns the folio's lines that are on a live document.
func (s *Store) documentedLines(tx *tenant.Tx, folioID string) (map[string]bool, error) {
	rows, err := tx.Query(`SELECT dl.folio_line_id FROM ledger_documents d JOIN ledger_document_lines dl ON dl.document_id = d.id
		WHERE d.folio_id = ? AND NOT EXISTS (SELECT 1 FROM ledger_documents c WHERE c.corrects = coalesce(d.corrects, d.id) AND c.cancels = 1)`, folioID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// allocate allots the folio's payments (less refunds) that no invoice
// counted as prepaid to its live invoices, oldest first, each up to what it
// still owes (due less partial credits). It returns what each invoice got,
// what each still owes, and what is left over for the next invoice.
func (s *Store) allocate(tx *tenant.Tx, folioID string) (paid, owes map[string]int64, left int64, err error) {
	var payments, prepaid int64
	if err := tx.QueryRow(`SELECT coalesce(sum(CASE kind WHEN 'payment' THEN gross ELSE -gross END), 0) FROM ledger_lines
		WHERE folio_id = ? AND kind IN ('payment', 'refund')`, folioID).Scan(&payments); err != nil {
		return nil, nil, 0, err
	}
	rows, err := tx.Query(`SELECT d.id, d.prepaid, d.due, (SELECT coalesce(sum(c.gross), 0) FROM ledger_documents c WHERE c.corrects = d.id)
		FROM ledger_documents d WHERE d.folio_id = ? AND d.kind = 'invoice'
		AND NOT EXISTS (SELECT 1 FROM ledger_documents c WHERE c.corrects = d.id AND c.cancels = 1) ORDER BY d.rowid`, folioID)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	type inv struct {
		id   string
		owed int64
	}
	var invs []inv
	for rows.Next() {
		var i inv
		var pre, due, credited int64
		if err := rows.Scan(&i.id, &pre, &due, &credited); err != nil {
			return nil, nil, 0, err
		}
		prepaid += pre
		i.owed = due - credited
		invs = append(invs, i)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, err
	}
	left = payments - prepaid
	paid, owes = map[string]int64{}, map[string]int64{}
	for _, i := range invs {
		pay := min(max(left, 0), max(i.owed, 0))
		left -= pay
		paid[i.id], owes[i.id] = pay, i.owed-pay
	}
	return paid, owes, left, nil
}

// nextNumber advances the counter of a property's series for a year inside
// the issuing transaction, so numbers are gapless: a transaction that
// fails rolls its number back with it.
func nextNumber(tx *tenant.Tx, propertyID, series string, year int) (int, error) {
	var seq int
	err := tx.QueryRow(`INSERT INTO ledger_counters (property_id, series, year, last) VALUES (?, ?, ?, 1)
		ON CONFLICT (property_id, series, year) DO UPDATE SET last = last + 1 RETURNING last`, propertyID, series, year).Scan(&seq)
	return seq, err
}

// issue numbers, seals, hashes, stores and audits a document whose kind,
// folio, dates, note and correction fields the caller set.
func (s *Store) issue(tx *tenant.Tx, doc *Document, f Folio, st Settings, rcpt Recipient, lines []DocumentLine, prepaid int64) error {
	taxes, totals := breakdown(lines)
	if prepaid < 0 || totals.Gross <= 0 {
		prepaid = 0
	}
	if prepaid > totals.Gross {
		prepaid = totals.Gross
	}
	doc.ID = aura.NewID(prefixInvoice)
	doc.Series = st.InvoiceSeries
	if doc.Kind == KindCreditNote {
		doc.ID, doc.Series, prepaid = aura.NewID(prefixCreditNote), st.CreditNoteSeries, 0
	}
	doc.PropertyID, doc.Currency, doc.PricesIncludeTax, doc.Seller = f.PropertyID, f.Currency, st.PricesIncludeTax, st.Legal
	doc.Lines, doc.Taxes, doc.Totals, doc.Prepaid, doc.Due = lines, taxes, totals, prepaid, totals.Gross-prepaid
	doc.RoundingRule = RoundingRule
	doc.RetainUntil = retainUntil(doc.IssueDate)
	doc.IssuedAt = tx.Now
	doc.SupplyFrom, doc.SupplyTo = lines[0].ServiceDate, lines[0].ServiceDate
	for _, l := range lines {
		if l.ServiceDate.Before(doc.SupplyFrom) {
			doc.SupplyFrom = l.ServiceDate
		}
		if l.ServiceDate.After(doc.SupplyTo) {
			doc.SupplyTo = l.ServiceDate
		}
	}
	if msg := reconcile(doc.Lines, doc.Taxes, doc.Totals, doc.Prepaid, doc.Due); msg != "" {
		return aura.Errorf(aura.EINTERNAL, "The document does not reconcile: %s.", msg)
	}
	y, _, _ := doc.IssueDate.YMD()
	seq, err := nextNumber(tx, f.PropertyID, doc.Series, y)
	if err != nil {
		return err
	}
	doc.Year, doc.Seq = y, seq
	doc.Number = fmt.Sprintf("%s-%d-%06d", doc.Series, y, seq)

	// The recipient is sealed under a key of this document alone, wrapped
	// by the financial-records key: deleting the wrapped key after the
	// retention date erases the recipient, and nothing else can.
	docKey := keys.NewKey()
	rcptJSON, _ := json.Marshal(rcpt)
	sealed := keys.NewAEAD(docKey).Seal(rcptJSON, s.sealAD("ledger_documents", "recipient", doc.ID))
	wrapped := s.fin.Seal(docKey, s.sealAD("ledger_document_keys", "wrapped", doc.ID))
	r := rcpt
	doc.Recipient = &r

	row := doc.row(sealed)
	hash := row.canonicalHash()
	doc.Hash = hex.EncodeToString(hash)
	var corrects any
	if doc.Corrects != "" {
		corrects = doc.Corrects
	}
	if _, err := tx.Exec(`INSERT INTO ledger_documents (id, property_id, kind, series, year, seq, number, folio_id, corrects, cancels,
		issue_date, currency, net, tax, gross, prepaid, due, body, recipient, retain_until, hash, issued_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.ID, row.PropertyID, row.Kind, row.Series, row.Year, row.Seq, row.Number, row.FolioID, corrects, row.Cancels,
		row.IssueDate, row.Currency, row.Net, row.Tax, row.Gross, row.Prepaid, row.Due, row.Body, row.Recipient,
		row.RetainUntil, hash, row.IssuedAt); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := tx.Exec(`INSERT INTO ledger_document_lines (document_id, line_no, folio_line_id) VALUES (?, ?, ?)`,
			doc.ID, l.No, l.FolioLineID); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`INSERT INTO ledger_document_keys (document_id, wrapped, retain_until) VALUES (?, ?, ?)`,
		doc.ID, wrapped, row.RetainUntil); err != nil {
		return err
	}
	if err := s.derive(tx, doc); err != nil {
		return err
	}
	// The audit row carries the hash and the totals, never the recipient:
	// personal data in the append-only chain would outlive the retention.
	after := map[string]any{"number": doc.Number, "folio": doc.FolioID, "issue_date": doc.IssueDate, "currency": doc.Currency,
		"totals": doc.Totals, "taxes": doc.Taxes, "prepaid": doc.Prepaid, "due": doc.Due, "lines": len(doc.Lines),
		"retain_until": doc.RetainUntil, "hash": doc.Hash}
	if doc.Corrects != "" {
		after["corrects"], after["corrects_number"], after["cancels"] = doc.Corrects, doc.CorrectsNumber, doc.Cancels
	}
	return tx.Audit(audit.Entry{Action: doc.Kind + ".issued", EntityType: doc.Kind, EntityID: doc.ID, After: after})
}

// row renders a document as its stored row (sealed recipient given).
func (doc *Document) row(sealedRecipient []byte) docRow {
	body := mustJSON(documentBody{Seller: doc.Seller, SupplyFrom: doc.SupplyFrom, SupplyTo: doc.SupplyTo,
		PricesIncludeTax: doc.PricesIncludeTax, CorrectsNumber: doc.CorrectsNumber, CorrectsIssueDate: doc.CorrectsIssueDate,
		Lines: doc.Lines, Taxes: doc.Taxes, Note: doc.Note, RoundingRule: doc.RoundingRule})
	return docRow{ID: doc.ID, PropertyID: doc.PropertyID, Kind: doc.Kind, Series: doc.Series, Year: doc.Year, Seq: doc.Seq,
		Number: doc.Number, FolioID: doc.FolioID, Corrects: doc.Corrects, Cancels: doc.Cancels, IssueDate: doc.IssueDate.String(),
		Currency: doc.Currency, Net: doc.Totals.Net, Tax: doc.Totals.Tax, Gross: doc.Totals.Gross, Prepaid: doc.Prepaid, Due: doc.Due,
		Body: body, Recipient: sealedRecipient, RetainUntil: doc.RetainUntil.String(), IssuedAt: formatTime(doc.IssuedAt)}
}

// CreditLine credits part of one invoice line: Amount on the property's
// pricing basis (gross or net), or all that is left of the line when 0.
type CreditLine struct {
	Line   int   `json:"line"`
	Amount int64 `json:"amount"`
}

// CreditNoteInput issues a credit note against an invoice: in full (no
// Lines: the invoice is cancelled and its folio lines can be corrected and
// invoiced again) or in part (Lines: each credited amount is posted as an
// allowance on the folio, and the invoice stays in force). Reason is
// printed on the credit note; BusinessDate dates the allowances a partial
// credit note posts.
type CreditNoteInput struct {
	InvoiceID    string       `json:"invoice_id"`
	IssueDate    date.Date    `json:"issue_date"`
	BusinessDate date.Date    `json:"business_date"`
	Lines        []CreditLine `json:"lines,omitempty"`
	Reason       string       `json:"reason"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// IssueCreditNote issues a credit note referencing an invoice, numbered in
// the property's credit-note series, in ONE transaction with its audit row
// ("credit_note.issued", with its hash). The recipient is the invoice's.
// A full credit note credits what is left of every line of the invoice
// (after earlier partial credit notes) and cancels it; a partial one
// credits the given lines, at most what is left of each, posting each
// credit as an allowance on the folio.
//
// Errors: EINVALID naming the fields or an amount above what is left;
// ENOTFOUND for an unknown invoice; ECONFLICT when the document is not an
// invoice, is already cancelled, the line is not a charge, or nothing is
// left to credit.
func (s *Store) IssueCreditNote(ctx context.Context, in CreditNoteInput) (Document, error) {
	var fe fieldErrors
	if in.InvoiceID == "" {
		fe.add("invoice_id", "is required")
	}
	s.validIssueDate(&fe, in.IssueDate)
	fe.text("reason", in.Reason, 1, 500)
	if len(in.Lines) > 0 && in.BusinessDate.IsZero() {
		fe.add("business_date", "is required for a partial credit note (its allowances are posted on it)")
	}
	seen := map[int]bool{}
	for i, cl := range in.Lines {
		if seen[cl.Line] {
			fe.add("lines["+itoa(i)+"].line", "line %d is named twice", cl.Line)
		}
		seen[cl.Line] = true
		if cl.Amount < 0 || cl.Amount > MaxAmount {
			fe.add("lines["+itoa(i)+"].amount", "must be 0 (all that is left) to %d minor units", int64(MaxAmount))
		}
	}
	if err := fe.err("The credit note is not valid."); err != nil {
		return Document{}, err
	}
	var doc Document
	hash := s.idemHash(in.IdempotencyKey, in.RequestHash, in)
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		if id, err := s.replayed(tx, scopeCreditNote, in.IdempotencyKey, hash); err != nil || id != "" {
			if err == nil {
				doc, err = s.document(tx, id)
				doc.Replayed = true
			}
			return err
		}
		if err := func() error {
			inv, err := s.document(tx, in.InvoiceID)
			if err != nil {
				return err
			}
			if inv.Kind != KindInvoice {
				return aura.Errorf(aura.ECONFLICT, "%s is a credit note; a credit note corrects an invoice.", inv.Number)
			}
			if inv.Status == InvoiceCancelled {
				return aura.Errorf(aura.ECONFLICT, "The invoice %s is already cancelled.", inv.Number)
			}
			if inv.Recipient == nil {
				return aura.Errorf(aura.ECONFLICT, "The invoice %s is past its retention date; its recipient is erased.", inv.Number)
			}
			f, err := s.folio(tx, inv.FolioID)
			if err != nil {
				return err
			}
			st, err := s.issuer(tx, f.PropertyID)
			if err != nil {
				return err
			}
			if err := s.checkIssueDate(tx, f.PropertyID, st.CreditNoteSeries, in.IssueDate); err != nil {
				return err
			}
			credited, err := s.creditedLines(tx, inv.ID)
			if err != nil {
				return err
			}
			var lines []DocumentLine
			if len(in.Lines) == 0 {
				for _, il := range inv.Lines {
					left := il.Amounts.Sub(credited[il.No])
					if left == (Amounts{}) {
						continue
					}
					cl := il
					cl.No, cl.CorrectsLine, cl.Amounts = len(lines)+1, il.No, left
					if left != il.Amounts { // what is left after partial credits, as one unit
						cl.Quantity, cl.UnitPrice = 1, left.Net
						if inv.PricesIncludeTax {
							cl.UnitPrice = left.Gross
						}
						if cl.UnitPrice < 0 {
							cl.Quantity, cl.UnitPrice = -1, -cl.UnitPrice
						}
					}
					lines = append(lines, cl)
				}
				if len(lines) == 0 {
					lines = nil
				}
			} else {
				cfg, err := s.config(tx, f.PropertyID)
				if err != nil {
					return err
				}
				reasons, err := exemptionReasons(tx, f.PropertyID)
				if err != nil {
					return err
				}
				for i, cl := range in.Lines {
					field := "lines[" + itoa(i) + "]"
					if cl.Line < 1 || cl.Line > len(inv.Lines) {
						return aura.Invalid("The credit note is not valid.", aura.FieldError{Field: field + ".line", Message: fmt.Sprintf("the invoice has lines 1 to %d", len(inv.Lines))})
					}
					il := inv.Lines[cl.Line-1]
					if il.Gross <= 0 || (il.Kind != LineCharge && il.Kind != LineTransferIn) {
						return aura.Errorf(aura.ECONFLICT, "Line %d of %s is not a charge; only charges can be credited in part.", il.No, inv.Number)
					}
					left := il.Amounts.Sub(credited[il.No])
					if left.Gross <= 0 {
						return aura.Errorf(aura.ECONFLICT, "Line %d of %s is already credited in full.", il.No, inv.Number)
					}
					basis := left.Net
					if cfg.PricesIncludeTax {
						basis = left.Gross
					}
					amount := cl.Amount
					if amount == 0 {
						amount = basis
					}
					if amount > basis {
						return aura.Invalid("The credit note is not valid.", aura.FieldError{Field: field + ".amount",
							Message: "must be at most " + FormatAmount(basis, f.Currency) + " (what is left of the line)"})
					}
					c, err := s.chargeState(tx, il.FolioLineID)
					if err != nil {
						return err
					}
					al, err := s.allowance(tx, f, c, amount, cfg.PricesIncludeTax, in.BusinessDate, "Credit note against "+inv.Number+": "+in.Reason)
					if err != nil {
						return err
					}
					if al.Net > left.Net || al.Tax > left.Tax || al.Gross > left.Gross {
						return aura.Invalid("The credit note is not valid.", aura.FieldError{Field: field + ".amount", Message: "is more than what is left of the line"})
					}
					dl := documentLine(len(lines)+1, al, -1, reasons) // an allowance, credited: positive on the credit note
					dl.CorrectsLine = il.No
					lines = append(lines, dl)
				}
			}
			if len(lines) == 0 {
				return aura.Errorf(aura.ECONFLICT, "Nothing is left to credit on %s.", inv.Number)
			}
			doc = Document{Kind: KindCreditNote, FolioID: f.ID, IssueDate: in.IssueDate, Note: in.Reason, Corrects: inv.ID,
				CorrectsNumber: inv.Number, CorrectsIssueDate: inv.IssueDate, Cancels: len(in.Lines) == 0}
			return s.issue(tx, &doc, f, st, *inv.Recipient, lines, 0)
		}(); err != nil {
			return err
		}
		return s.remember(tx, scopeCreditNote, in.IdempotencyKey, hash, doc.ID)
	})
	return doc, err
}

// creditedLines sums, per invoice line number, what credit notes have
// credited of it.
func (s *Store) creditedLines(tx *tenant.Tx, invoiceID string) (map[int]Amounts, error) {
	rows, err := tx.Query(`SELECT body FROM ledger_documents WHERE corrects = ?`, invoiceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]Amounts{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var b documentBody
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			return nil, err
		}
		for _, l := range b.Lines {
			out[l.CorrectsLine] = out[l.CorrectsLine].Add(l.Amounts)
		}
	}
	return out, rows.Err()
}

const docColumns = `id, property_id, kind, series, year, seq, number, folio_id, coalesce(corrects, ''), cancels, issue_date, currency,
	net, tax, gross, prepaid, due, body, recipient, retain_until, hash, issued_at`

func scanDocRow(r interface{ Scan(...any) error }) (docRow, error) {
	var d docRow
	err := r.Scan(&d.ID, &d.PropertyID, &d.Kind, &d.Series, &d.Year, &d.Seq, &d.Number, &d.FolioID, &d.Corrects, &d.Cancels,
		&d.IssueDate, &d.Currency, &d.Net, &d.Tax, &d.Gross, &d.Prepaid, &d.Due, &d.Body, &d.Recipient, &d.RetainUntil, &d.Hash, &d.IssuedAt)
	return d, err
}

// decode turns a stored row into a Document, unsealing the recipient
// while its key exists, and derives its status.
func (s *Store) decode(tx *tenant.Tx, r docRow) (Document, error) {
	var b documentBody
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
		return Document{}, err
	}
	doc := Document{ID: r.ID, PropertyID: r.PropertyID, Kind: r.Kind, Number: r.Number, Series: r.Series, Year: r.Year, Seq: r.Seq,
		FolioID: r.FolioID, Corrects: r.Corrects, CorrectsNumber: b.CorrectsNumber, CorrectsIssueDate: b.CorrectsIssueDate,
		Cancels: r.Cancels, SupplyFrom: b.SupplyFrom, SupplyTo: b.SupplyTo, Currency: r.Currency, PricesIncludeTax: b.PricesIncludeTax,
		Seller: b.Seller, Lines: b.Lines, Taxes: b.Taxes, Totals: Amounts{Net: r.Net, Tax: r.Tax, Gross: r.Gross},
		Prepaid: r.Prepaid, Due: r.Due, Note: b.Note, RoundingRule: b.RoundingRule, Hash: hex.EncodeToString(r.Hash),
		IssuedAt: parseTime(r.IssuedAt)}
	var err error
	if doc.IssueDate, err = date.Parse(r.IssueDate); err != nil {
		return doc, err
	}
	if doc.RetainUntil, err = date.Parse(r.RetainUntil); err != nil {
		return doc, err
	}
	var wrapped []byte
	switch err := tx.QueryRow(`SELECT wrapped FROM ledger_document_keys WHERE document_id = ?`, r.ID).Scan(&wrapped); {
	case err == sql.ErrNoRows: // purged after the retention date
	case err != nil:
		return doc, err
	default:
		docKey, err := s.fin.Open(wrapped, s.sealAD("ledger_document_keys", "wrapped", r.ID))
		if err != nil {
			return doc, aura.Errorf(aura.EINTERNAL, "The key of document %s cannot be opened.", r.Number)
		}
		pt, err := keys.NewAEAD(docKey).Open(r.Recipient, s.sealAD("ledger_documents", "recipient", r.ID))
		if err != nil {
			return doc, aura.Errorf(aura.EINTERNAL, "The recipient of document %s cannot be opened.", r.Number)
		}
		var rc Recipient
		if err := json.Unmarshal(pt, &rc); err != nil {
			return doc, err
		}
		doc.Recipient = &rc
	}
	return doc, s.derive(tx, &doc)
}

// derive sets an invoice's status: cancelled by a full credit note, or
// paid, partially paid or open by what is left of its due amount after its
// partial credit notes and the folio's later payments (allocate).
func (s *Store) derive(tx *tenant.Tx, doc *Document) error {
	if doc.Kind != KindInvoice {
		doc.Status = CreditNoteIssued
		return nil
	}
	var cancels bool
	if err := tx.QueryRow(`SELECT coalesce(sum(gross) FILTER (WHERE cancels = 0), 0), coalesce(max(cancels), 0) FROM ledger_documents WHERE corrects = ?`,
		doc.ID).Scan(&doc.Credited, &cancels); err != nil {
		return err
	}
	if cancels {
		doc.Status, doc.Open = InvoiceCancelled, 0
		return nil
	}
	paidTo, owes, _, err := s.allocate(tx, doc.FolioID)
	if err != nil {
		return err
	}
	paid := paidTo[doc.ID]
	doc.Open = owes[doc.ID]
	switch {
	case doc.Open <= 0:
		doc.Status, doc.Open = InvoicePaid, 0
	case doc.Prepaid > 0 || paid > 0:
		doc.Status = InvoicePartiallyPaid
	default:
		doc.Status = InvoiceOpen
	}
	return nil
}

func (s *Store) document(tx *tenant.Tx, id string) (Document, error) {
	r, err := scanDocRow(tx.QueryRow(`SELECT `+docColumns+` FROM ledger_documents WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Document{}, notFound("invoice or credit note", id)
	}
	if err != nil {
		return Document{}, err
	}
	return s.decode(tx, r)
}

// Document returns an issued invoice or credit note with its recipient
// (nil once erased after the retention date) and its derived status, or
// ENOTFOUND.
func (s *Store) Document(ctx context.Context, id string) (Document, error) {
	var doc Document
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		doc, err = s.document(tx, id)
		return err
	})
	return doc, err
}

// DocumentFilter selects issued documents of a property: by kind, folio,
// issue dates [From, To), a number (exact) and derived status; newest
// first, at most Limit (default 50, at most 200) after the cursor Before
// (a document id from the previous page).
type DocumentFilter struct {
	PropertyID string    `json:"property_id"`
	Kind       string    `json:"kind,omitempty"`
	FolioID    string    `json:"folio_id,omitempty"`
	From       date.Date `json:"from"`
	To         date.Date `json:"to"`
	Number     string    `json:"number,omitempty"`
	Status     string    `json:"status,omitempty"`
	Limit      int       `json:"limit,omitempty"`
	Before     string    `json:"before,omitempty"`
}

// ListInvoices returns a property's issued invoices and credit notes
// matching the filter, newest first, each with its recipient and derived
// status. Errors: EINVALID for a filter without a property or with a bad
// kind, status or limit.
func (s *Store) ListInvoices(ctx context.Context, f DocumentFilter) ([]Document, error) {
	var fe fieldErrors
	if f.PropertyID == "" {
		fe.add("property_id", "is required")
	}
	if f.Kind != "" && f.Kind != KindInvoice && f.Kind != KindCreditNote {
		fe.add("kind", "must be invoice or credit_note")
	}
	switch f.Status {
	case "", InvoiceOpen, InvoicePartiallyPaid, InvoicePaid, InvoiceCancelled, CreditNoteIssued:
	default:
		fe.add("status", "must be open, partially_paid, paid, cancelled or issued")
	}
	if f.Limit < 0 || f.Limit > 200 {
		fe.add("limit", "must be 1 to 200")
	}
	if err := fe.err("The invoice filter is not valid."); err != nil {
		return nil, err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	where := []string{"property_id = ?"}
	args := []any{f.PropertyID}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.FolioID != "" {
		add("folio_id = ?", f.FolioID)
	}
	if !f.From.IsZero() {
		add("issue_date >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("issue_date < ?", f.To)
	}
	if f.Number != "" {
		add("number = ?", f.Number)
	}
	if f.Before != "" {
		add("rowid < (SELECT rowid FROM ledger_documents WHERE id = ?)", f.Before)
	}
	var out []Document
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+docColumns+` FROM ledger_documents WHERE `+strings.Join(where, " AND ")+` ORDER BY rowid DESC`, args...)
		if err != nil {
			return err
		}
		var raws []docRow
		for rows.Next() {
			r, err := scanDocRow(rows)
			if err != nil {
				rows.Close()
				return err
			}
			raws = append(raws, r)
			if f.Status == "" && len(raws) == f.Limit {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range raws {
			doc, err := s.decode(tx, r)
			if err != nil {
				return err
			}
			if f.Status != "" && doc.Status != f.Status {
				continue
			}
			out = append(out, doc)
			if len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// DocumentProblem names an issued document that fails verification, and
// the seq of the audit row that recorded its issue (0 when there is none).
type DocumentProblem struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Problem  string `json:"problem"`
	AuditSeq int64  `json:"audit_seq,omitempty"`
}

func (p DocumentProblem) String() string { return p.Number + " (" + p.ID + "): " + p.Problem }

// DocumentsCheck is the outcome of VerifyDocuments.
type DocumentsCheck struct {
	Documents int               `json:"documents"`
	Problems  []DocumentProblem `json:"problems,omitempty"`
}

// OK reports whether every document verified.
func (c DocumentsCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyDocuments recomputes every issued document's canonical hash from
// its stored row and compares it with the hash stored beside it and with
// the hash its audit row recorded at issue (the audit chain itself is
// verified by audit.Verify), checks that it still reconciles (lines → tax
// breakdown → totals) and that its line links match its lines, and that
// every issue recorded in the audit chain still has its document. Each
// failure names the document. err is only for failing to read.
func (s *Store) VerifyDocuments(ctx context.Context) (DocumentsCheck, error) {
	var c DocumentsCheck
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		recorded := map[string]string{} // document id → hash recorded in the audit chain
		numbers := map[string]string{}
		seqs := map[string]int64{}
		rows, err := tx.Query(`SELECT seq, entity_id, after_json FROM audit_log WHERE entity_type IN ('invoice', 'credit_note') AND action IN ('invoice.issued', 'credit_note.issued')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var seq int64
			var after sql.NullString
			if err := rows.Scan(&seq, &id, &after); err != nil {
				rows.Close()
				return err
			}
			var a struct {
				Number string `json:"number"`
				Hash   string `json:"hash"`
			}
			_ = json.Unmarshal([]byte(after.String), &a)
			recorded[id], numbers[id], seqs[id] = a.Hash, a.Number, seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		links := map[string]map[int]string{}
		if rows, err = tx.Query(`SELECT document_id, line_no, folio_line_id FROM ledger_document_lines`); err != nil {
			return err
		}
		for rows.Next() {
			var id, line string
			var no int
			if err := rows.Scan(&id, &no, &line); err != nil {
				rows.Close()
				return err
			}
			if links[id] == nil {
				links[id] = map[int]string{}
			}
			links[id][no] = line
		}
		rows.Close()
		if rows, err = tx.Query(`SELECT ` + docColumns + ` FROM ledger_documents ORDER BY rowid`); err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanDocRow(rows)
			if err != nil {
				return err
			}
			c.Documents++
			bad := func(format string, args ...any) {
				c.Problems = append(c.Problems, DocumentProblem{ID: r.ID, Number: r.Number, Problem: fmt.Sprintf(format, args...), AuditSeq: seqs[r.ID]})
			}
			sum := hex.EncodeToString(r.canonicalHash())
			rec, ok := recorded[r.ID]
			delete(recorded, r.ID)
			switch {
			case !ok:
				bad("no audit row records its issue")
				continue
			case sum != rec:
				bad("its contents do not match the hash recorded in the audit chain when it was issued (%s…); the row was changed", rec[:min(16, len(rec))])
				continue
			case sum != hex.EncodeToString(r.Hash):
				bad("its stored hash was changed")
				continue
			case numbers[r.ID] != r.Number:
				bad("its number differs from the one recorded at issue (%s)", numbers[r.ID])
				continue
			}
			var b documentBody
			if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
				bad("its body is not readable: %v", err)
				continue
			}
			if msg := reconcile(b.Lines, b.Taxes, Amounts{Net: r.Net, Tax: r.Tax, Gross: r.Gross}, r.Prepaid, r.Due); msg != "" {
				bad("it does not reconcile: %s", msg)
			}
			got := links[r.ID]
			if len(got) != len(b.Lines) {
				bad("its line links were changed (%d links for %d lines)", len(got), len(b.Lines))
				continue
			}
			for _, l := range b.Lines {
				if got[l.No] != l.FolioLineID {
					bad("the link of its line %d was changed", l.No)
					break
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for id := range recorded {
			c.Problems = append(c.Problems, DocumentProblem{ID: id, Number: numbers[id], Problem: "the audit chain records its issue but the document is gone", AuditSeq: seqs[id]})
		}
		sort.Slice(c.Problems, func(i, j int) bool { return c.Problems[i].Number < c.Problems[j].Number })
		return nil
	})
	return c, err
}

// PurgeExpiredRecipients deletes the keys of documents whose retention date
// is before today (the UTC date when zero), so their recipient snapshots
// become unreadable for good while the documents, amounts and hashes stay.
// One audit row lists the documents. It returns how many were purged.
func (s *Store) PurgeExpiredRecipients(ctx context.Context, today date.Date) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		if today.IsZero() {
			today = date.Of(tx.Now, time.UTC)
		}
		rows, err := tx.Query(`SELECT k.document_id, d.number FROM ledger_document_keys k JOIN ledger_documents d ON d.id = k.document_id
			WHERE k.retain_until < ? ORDER BY d.rowid`, today)
		if err != nil {
			return err
		}
		var ids, numbers []string
		for rows.Next() {
			var id, number string
			if err := rows.Scan(&id, &number); err != nil {
				rows.Close()
				return err
			}
			ids, numbers = append(ids, id), append(numbers, number)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(`DELETE FROM ledger_document_keys WHERE document_id = ?`, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return tx.Audit(audit.Entry{Action: "ledger.recipients_purged", EntityType: "tenant", EntityID: s.db.ID,
			After: map[string]any{"documents": numbers, "before": today}})
	})
	return n, err
}

// RecipientExpiry is an issued document whose recipient snapshot still
// opens, with the last day of its retention; PurgeExpiredRecipients makes
// the recipient unreadable on the day after (PurgedOn).
type RecipientExpiry struct {
	DocumentID  string    `json:"document_id"`
	Number      string    `json:"number"`
	Kind        string    `json:"kind"`
	PropertyID  string    `json:"property_id"`
	RetainUntil date.Date `json:"retain_until"`
	PurgedOn    date.Date `json:"purged_on"`
}

// RecipientExpiries is the dry run of PurgeExpiredRecipients: every
// document whose recipient key is still stored, soonest first, with the
// day its recipient goes. It changes nothing.
func (s *Store) RecipientExpiries(ctx context.Context) ([]RecipientExpiry, error) {
	out := []RecipientExpiry{}
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT k.document_id, d.number, d.kind, d.property_id, k.retain_until FROM ledger_document_keys k
			JOIN ledger_documents d ON d.id = k.document_id ORDER BY k.retain_until, d.rowid`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e RecipientExpiry
			if err := rows.Scan(&e.DocumentID, &e.Number, &e.Kind, &e.PropertyID, &e.RetainUntil); err != nil {
				return err
			}
			e.PurgedOn = e.RetainUntil.AddDays(1)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
