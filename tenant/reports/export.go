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

// WriteExport writes the accounting export of a period (see
// ExportColumns) as CSV, with a byte order mark first when bom is set. It
// returns EINVALID for a bad period and ENOTFOUND for an unknown property
// before writing anything.
func (s Store) WriteExport(ctx context.Context, w io.Writer, p Period, bom bool) error {
	if err := p.check(); err != nil {
		return err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return err
	}
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT l.business_date, l.service_date, l.id, l.folio_id, l.kind, l.description, l.quantity, l.unit_price,
			l.net, l.tax, l.gross, l.tax_code, l.tax_category, l.tax_rate, l.category, l.account, l.ref_kind, l.ref_id, l.currency,
			coalesce((SELECT d.number FROM ledger_document_lines dl JOIN ledger_documents d ON d.id = dl.document_id
				WHERE dl.folio_line_id = l.id AND d.kind = 'invoice' ORDER BY d.issued_at DESC, d.seq DESC LIMIT 1), ''),
			coalesce((SELECT d.number FROM ledger_document_lines dl JOIN ledger_documents d ON d.id = dl.document_id
				WHERE dl.folio_line_id = l.id AND d.kind = 'credit_note' ORDER BY d.issued_at DESC, d.seq DESC LIMIT 1), '')
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		WHERE f.property_id = ? AND l.business_date >= ? AND l.business_date < ?
		ORDER BY l.business_date, l.created_at, l.id`, p.PropertyID, p.From, p.To)
	if err != nil {
		return fmt.Errorf("reports: export: %w", err)
	}
	defer rows.Close()
	if bom {
		if _, err := io.WriteString(w, BOM); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	exp := tenant.MinorUnits(prop.Currency)
	money := func(v int64) string { return locale.Decimal(v, exp, ".", "") }
	for rows.Next() {
		var bd, sd, id, folio, kind, desc, taxCode, taxCat, cat, account, refKind, refID, cur, inv, cn string
		var qty, rate int64
		var unit, net, tax, gross int64
		if err := rows.Scan(&bd, &sd, &id, &folio, &kind, &desc, &qty, &unit, &net, &tax, &gross, &taxCode, &taxCat, &rate, &cat, &account,
			&refKind, &refID, &cur, &inv, &cn); err != nil {
			return fmt.Errorf("reports: export: %w", err)
		}
		sign := lineSign[kind]
		ref := ""
		if refKind != "" {
			ref = refKind + ":" + refID
		}
		if err := cw.Write([]string{bd, sd, id, folio, kind, desc, strconv.FormatInt(qty, 10), money(unit),
			money(sign * net), money(sign * tax), money(sign * gross), taxCode, taxCat, locale.Decimal(rate, 2, ".", ""), cat, account, inv, cn, ref, cur}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: export: %w", err)
	}
	cw.Flush()
	return cw.Error()
}
