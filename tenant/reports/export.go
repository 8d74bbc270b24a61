package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// ExportColumns is the header row of the accounting export: one row per
// posted folio line of the period (by business date), oldest first.
//
//   - business_date, service_date: ISO dates (the day it was booked, the
//     night or day it is for).
//   - line_id, folio_id, kind: the line (charge, allowance, payment,
//     refund, transfer_out, transfer_in).
//   - description, quantity, unit_price.
//   - net, tax, gross: decimals with the currency's minor units, signed as
//     the line counts in its folio's balance: charges, refunds and
//     transfers in positive; allowances, payments and transfers out
//     negative.
//   - tax_code, tax_category (S, Z, E, O), tax_rate_percent: frozen at
//     posting.
//   - category, account: the accounting category and its ledger account.
//   - invoice_number: the latest invoice that documents the line ("" when
//     none); credit_note_number: the latest credit note that credits it.
//   - reference: what the line belongs to, e.g. reservation:res_….
//   - currency: ISO 4217.
var ExportColumns = []string{"business_date", "service_date", "line_id", "folio_id", "kind", "description", "quantity", "unit_price",
	"net", "tax", "gross", "tax_code", "tax_category", "tax_rate_percent", "category", "account", "invoice_number", "credit_note_number",
	"reference", "currency"}

// lineSign is the sign of each line kind in a folio's balance.
var lineSign = map[string]int64{"charge": 1, "transfer_in": 1, "refund": 1, "allowance": -1, "payment": -1, "transfer_out": -1}

// exportLine is one posted folio line of the accounting export.
type exportLine struct {
	BusinessDate, ServiceDate, ID, Folio, Kind, Description string
	Quantity, UnitPrice, Net, Tax, Gross, Rate              int64
	TaxCode, TaxCategory, Category, Account, Currency       string
	RefKind, RefID, Invoice, CreditNote, Method             string
}

// eachExportLine calls fn with every folio line of a property posted on a
// business date of the period, oldest first (amounts unsigned, as stored;
// Method is the payment method of a payment or refund line).
func (s Store) eachExportLine(ctx context.Context, p Period, fn func(exportLine) error) error {
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT l.business_date, l.service_date, l.id, l.folio_id, l.kind, l.description, l.quantity, l.unit_price,
			l.net, l.tax, l.gross, l.tax_code, l.tax_category, l.tax_rate, l.category, l.account, l.ref_kind, l.ref_id, l.currency,
			coalesce((SELECT d.number FROM ledger_document_lines dl JOIN ledger_documents d ON d.id = dl.document_id
				WHERE dl.folio_line_id = l.id AND d.kind = 'invoice' ORDER BY d.issued_at DESC, d.seq DESC LIMIT 1), ''),
			coalesce((SELECT d.number FROM ledger_document_lines dl JOIN ledger_documents d ON d.id = dl.document_id
				WHERE dl.folio_line_id = l.id AND d.kind = 'credit_note' ORDER BY d.issued_at DESC, d.seq DESC LIMIT 1), ''),
			coalesce((SELECT pm.method FROM ledger_payments pm WHERE pm.id = l.payment_id), '')
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		WHERE f.property_id = ? AND l.business_date >= ? AND l.business_date < ?
		ORDER BY l.business_date, l.created_at, l.id`, p.PropertyID, p.From, p.To)
	if err != nil {
		return fmt.Errorf("reports: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l exportLine
		if err := rows.Scan(&l.BusinessDate, &l.ServiceDate, &l.ID, &l.Folio, &l.Kind, &l.Description, &l.Quantity, &l.UnitPrice, &l.Net, &l.Tax, &l.Gross,
			&l.TaxCode, &l.TaxCategory, &l.Rate, &l.Category, &l.Account, &l.RefKind, &l.RefID, &l.Currency, &l.Invoice, &l.CreditNote, &l.Method); err != nil {
			return fmt.Errorf("reports: export: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: export: %w", err)
	}
	return nil
}

// WriteExport writes the accounting export of a period (see
// ExportColumns) as CSV, with a byte order mark first when bom is set. It
// returns EINVALID for a bad period and ENOTFOUND for an unknown property
// before writing anything, and writes its first byte only once the query
// of the lines has run and its first row has been read: a database error
// there is an error with nothing written, never a file cut short after its
// header.
func (s Store) WriteExport(ctx context.Context, w io.Writer, p Period, bom bool) error {
	if err := p.check(); err != nil {
		return err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	started := false
	start := func() error {
		started = true
		if bom {
			if _, err := io.WriteString(w, BOM); err != nil {
				return err
			}
		}
		return cw.Write(ExportColumns)
	}
	exp := tenant.MinorUnits(prop.Currency)
	money := func(v int64) string { return locale.Decimal(v, exp, ".", "") }
	if err := s.eachExportLine(ctx, p, func(l exportLine) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		sign := lineSign[l.Kind]
		ref := ""
		if l.RefKind != "" {
			ref = l.RefKind + ":" + l.RefID
		}
		return cw.Write([]string{l.BusinessDate, l.ServiceDate, l.ID, l.Folio, l.Kind, l.Description, strconv.FormatInt(l.Quantity, 10), money(l.UnitPrice),
			money(sign * l.Net), money(sign * l.Tax), money(sign * l.Gross), l.TaxCode, l.TaxCategory, locale.Decimal(l.Rate, 2, ".", ""),
			l.Category, l.Account, l.Invoice, l.CreditNote, ref, l.Currency})
	}); err != nil {
		return err
	}
	if !started {
		// A period without lines: the header alone.
		if err := start(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
