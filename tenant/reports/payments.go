package reports

import (
	"context"
	"fmt"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// PaymentRow is what one payment method took on one business date (the
// cashier's close): payments and refunds that went through (succeeded,
// later refunded or disputed; pending and failed ones took no money), and
// Net = Payments − Refunds.
type PaymentRow struct {
	Day      date.Date `json:"day"`
	Method   string    `json:"method"`
	Count    int       `json:"count"`
	Payments int64     `json:"payments"`
	Refunds  int64     `json:"refunds"`
	Net      int64     `json:"net"`
}

// PaymentsReport is the payments of a period by business date and
// method, ordered by day then method, with the totals per method.
type PaymentsReport struct {
	Period
	Currency string       `json:"currency"`
	Rows     []PaymentRow `json:"rows"`
	ByMethod []PaymentRow `json:"by_method"` // Day is zero
	Total    PaymentRow   `json:"total"`
}

// Payments returns the payments report of a period. It returns EINVALID
// for a bad period and ENOTFOUND for an unknown property.
func (s Store) Payments(ctx context.Context, p Period) (PaymentsReport, error) {
	if err := p.check(); err != nil {
		return PaymentsReport{}, err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return PaymentsReport{}, err
	}
	rep := PaymentsReport{Period: p, Currency: prop.Currency, Rows: []PaymentRow{}, ByMethod: []PaymentRow{}}
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT y.business_date, y.method, y.kind, count(*), sum(y.amount)
		FROM ledger_payments y CROSS JOIN ledger_folios f ON f.id = y.folio_id
		WHERE f.property_id = ? AND y.business_date >= ? AND y.business_date < ? AND y.status IN (?, ?, ?)
		GROUP BY 1, 2, 3 ORDER BY 1, 2`, p.PropertyID, p.From, p.To, ledger.StatusSucceeded, ledger.StatusRefunded, ledger.StatusDisputed)
	if err != nil {
		return rep, fmt.Errorf("reports: payments: %w", err)
	}
	defer rows.Close()
	byMethod := map[string]*PaymentRow{}
	var order []string
	for rows.Next() {
		var day date.Date
		var method, kind string
		var n int
		var amount int64
		if err := rows.Scan(&day, &method, &kind, &n, &amount); err != nil {
			return rep, fmt.Errorf("reports: payments: %w", err)
		}
		if len(rep.Rows) == 0 || rep.Rows[len(rep.Rows)-1].Day != day || rep.Rows[len(rep.Rows)-1].Method != method {
			rep.Rows = append(rep.Rows, PaymentRow{Day: day, Method: method})
		}
		if byMethod[method] == nil {
			byMethod[method] = &PaymentRow{Method: method}
			order = append(order, method)
		}
		for _, r := range []*PaymentRow{&rep.Rows[len(rep.Rows)-1], byMethod[method], &rep.Total} {
			r.Count += n
			if kind == ledger.KindRefund {
				r.Refunds += amount
				r.Net -= amount
			} else {
				r.Payments += amount
				r.Net += amount
			}
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("reports: payments: %w", err)
	}
	for _, m := range []string{ledger.MethodCash, ledger.MethodCardTerminal, ledger.MethodBankTransfer, ledger.MethodCityLedger, ledger.MethodStripe} {
		if r := byMethod[m]; r != nil {
			rep.ByMethod = append(rep.ByMethod, *r)
			delete(byMethod, m)
		}
	}
	for _, m := range order { // a method added to the ledger later
		if r := byMethod[m]; r != nil {
			rep.ByMethod = append(rep.ByMethod, *r)
		}
	}
	return rep, nil
}
