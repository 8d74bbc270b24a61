package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// Period is a property and a range of dates [From, To) of at most
// tenant.MaxRange days: issue dates for documents, business dates for
// posted lines.
type Period struct {
	PropertyID string    `json:"property_id"`
	From       date.Date `json:"from"`
	To         date.Date `json:"to"`
}

func (p Period) check() error {
	q := Query{PropertyID: p.PropertyID, From: p.From, To: p.To, By: ByDay}
	return q.check()
}

// VATRow is one VAT category and rate of a VAT report.
//
//   - Invoiced: the tax breakdown rows of this category and rate of every
//     invoice issued in the period, summed, as frozen in the invoices.
//   - Credited: the same of every credit note issued in the period.
//   - Due: Invoiced − Credited, what the period's documents owe.
//   - Posted: the folio lines of this category and rate posted on a
//     business date of the period: charges less allowances (transfers
//     between folios cancel out and are left out). It differs from Due by
//     what was posted but not yet invoiced, or invoiced in another period.
type VATRow struct {
	Category        string         `json:"category"` // S, Z, E or O (EN 16931)
	Rate            int            `json:"rate"`     // basis points
	ExemptionReason string         `json:"exemption_reason,omitempty"`
	Invoiced        ledger.Amounts `json:"invoiced"`
	Credited        ledger.Amounts `json:"credited"`
	Due             ledger.Amounts `json:"due"`
	Posted          ledger.Amounts `json:"posted"`
}

// VATReport is the VAT of a period per category and rate, with the
// documents it sums. Rows are ordered by category, then rate.
type VATReport struct {
	Period
	Currency    string         `json:"currency"`
	Rows        []VATRow       `json:"rows"`
	Total       VATRow         `json:"total"`
	Invoices    int            `json:"invoices"`
	CreditNotes int            `json:"credit_notes"`
	Documents   ledger.Amounts `json:"documents"` // Σ invoice totals − Σ credit-note totals, from the documents' own totals
}

// VAT returns the VAT report of a period. Its rows' Due sums to the
// documents' totals (Documents): the report reconciles with the issued
// invoices and credit notes by construction, and its tests check it
// against documents issued through the ledger. It returns EINVALID for a
// bad period and ENOTFOUND for an unknown property.
func (s Store) VAT(ctx context.Context, p Period) (VATReport, error) {
	if err := p.check(); err != nil {
		return VATReport{}, err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return VATReport{}, err
	}
	rep := VATReport{Period: p, Currency: prop.Currency, Rows: []VATRow{}}
	rows := map[[2]any]*VATRow{}
	get := func(cat string, rate int) *VATRow {
		k := [2]any{cat, rate}
		if rows[k] == nil {
			rows[k] = &VATRow{Category: cat, Rate: rate}
		}
		return rows[k]
	}
	docs, err := s.SQL().Read.QueryContext(ctx, `SELECT kind, net, tax, gross, body FROM ledger_documents
		WHERE property_id = ? AND issue_date >= ? AND issue_date < ?`, p.PropertyID, p.From, p.To)
	if err != nil {
		return rep, fmt.Errorf("reports: documents: %w", err)
	}
	defer docs.Close()
	for docs.Next() {
		var kind, body string
		var tot ledger.Amounts
		if err := docs.Scan(&kind, &tot.Net, &tot.Tax, &tot.Gross, &body); err != nil {
			return rep, fmt.Errorf("reports: documents: %w", err)
		}
		var b struct {
			Taxes []ledger.TaxTotal `json:"taxes"`
		}
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return rep, aura.Errorf(aura.EINTERNAL, "reports: a document's body: %v", err)
		}
		for _, t := range b.Taxes {
			r := get(t.Category, t.Rate)
			if t.ExemptionReason != "" {
				r.ExemptionReason = t.ExemptionReason
			}
			if kind == "credit_note" {
				r.Credited = r.Credited.Add(t.Amounts)
			} else {
				r.Invoiced = r.Invoiced.Add(t.Amounts)
			}
		}
		if kind == "credit_note" {
			rep.CreditNotes++
			rep.Documents = rep.Documents.Add(ledger.Amounts{Net: -tot.Net, Tax: -tot.Tax, Gross: -tot.Gross})
		} else {
			rep.Invoices++
			rep.Documents = rep.Documents.Add(tot)
		}
	}
	if err := docs.Err(); err != nil {
		return rep, fmt.Errorf("reports: documents: %w", err)
	}
	lines, err := s.SQL().Read.QueryContext(ctx, `SELECT l.tax_category, l.tax_rate, l.kind, sum(l.net), sum(l.tax), sum(l.gross)
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		WHERE f.property_id = ? AND l.kind IN (?, ?) AND l.business_date >= ? AND l.business_date < ?
		GROUP BY 1, 2, 3`, p.PropertyID, ledger.LineCharge, ledger.LineAllowance, p.From, p.To)
	if err != nil {
		return rep, fmt.Errorf("reports: lines: %w", err)
	}
	defer lines.Close()
	for lines.Next() {
		var cat, kind string
		var rate int
		var a ledger.Amounts
		if err := lines.Scan(&cat, &rate, &kind, &a.Net, &a.Tax, &a.Gross); err != nil {
			return rep, fmt.Errorf("reports: lines: %w", err)
		}
		if kind == ledger.LineAllowance {
			a = ledger.Amounts{Net: -a.Net, Tax: -a.Tax, Gross: -a.Gross}
		}
		r := get(cat, rate)
		r.Posted = r.Posted.Add(a)
	}
	if err := lines.Err(); err != nil {
		return rep, fmt.Errorf("reports: lines: %w", err)
	}
	for _, r := range rows {
		r.Due = r.Invoiced.Add(ledger.Amounts{Net: -r.Credited.Net, Tax: -r.Credited.Tax, Gross: -r.Credited.Gross})
		rep.Total.Invoiced = rep.Total.Invoiced.Add(r.Invoiced)
		rep.Total.Credited = rep.Total.Credited.Add(r.Credited)
		rep.Total.Due = rep.Total.Due.Add(r.Due)
		rep.Total.Posted = rep.Total.Posted.Add(r.Posted)
		rep.Rows = append(rep.Rows, *r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Rate < b.Rate
	})
	return rep, nil
}
