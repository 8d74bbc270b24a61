package reports

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// Reasons a guest-night owes no city tax, in the order the city-tax
// report lists them.
const (
	// ExemptChildren: children younger than the exemption age of a
	// per-person city tax (the PMS records children without their ages,
	// so every child counts as younger than any exemption age).
	ExemptChildren = "children"
	// ExemptLengthOfStay: nights after the first MaxNights of a stay.
	ExemptLengthOfStay = "length_of_stay"
	// ExemptNotLevied: nights on which no city tax was in force (or one
	// that came to zero).
	ExemptNotLevied = "not_levied"
	// ExemptOther: nights posted without a city tax that none of the
	// reasons above explains (the city tax was changed afterwards, or the
	// night was posted before the property charged one).
	ExemptOther = "other"
)

// ExemptReasons lists the exemption reasons in report order.
var ExemptReasons = []string{ExemptChildren, ExemptLengthOfStay, ExemptNotLevied, ExemptOther}

// CityTaxExempt counts exempt guest-nights by reason.
type CityTaxExempt struct {
	Children     int64 `json:"children"`
	LengthOfStay int64 `json:"length_of_stay"`
	NotLevied    int64 `json:"not_levied"`
	Other        int64 `json:"other"`
}

// Total returns the exempt guest-nights of every reason.
func (e CityTaxExempt) Total() int64 { return e.Children + e.LengthOfStay + e.NotLevied + e.Other }

// Of returns the exempt guest-nights of one of ExemptReasons.
func (e CityTaxExempt) Of(reason string) int64 {
	switch reason {
	case ExemptChildren:
		return e.Children
	case ExemptLengthOfStay:
		return e.LengthOfStay
	case ExemptNotLevied:
		return e.NotLevied
	default:
		return e.Other
	}
}

func (e *CityTaxExempt) add(reason string, n int64) {
	switch reason {
	case ExemptChildren:
		e.Children += n
	case ExemptLengthOfStay:
		e.LengthOfStay += n
	case ExemptNotLevied:
		e.NotLevied += n
	default:
		e.Other += n
	}
}

// CityTaxRow is one month (YYYY-MM, clipped to the period) of a city-tax
// report, or its total. The definitions:
//
//   - RoomNights: room-nights posted by the night audit (a room line of a
//     reservation's night); GuestNights: those nights times the persons
//     (adults and children) stored on the reservation.
//   - TaxableRoomNights: posted room-nights that posted a city-tax line;
//     TaxableGuestNights: the liable persons of those lines (the line's
//     quantity for a per-person city tax, every person of the night for a
//     percentage of the room price).
//   - Exempt: GuestNights − TaxableGuestNights by reason, so that
//     TaxableGuestNights + Exempt.Total() = GuestNights.
//   - Charged: the posted city-tax lines of the month's nights (by the
//     night they are for); Allowed: allowances posted against them;
//     Amount: Charged − Allowed, what the city is owed.
type CityTaxRow struct {
	Key                string         `json:"key"`
	RoomNights         int64          `json:"room_nights"`
	GuestNights        int64          `json:"guest_nights"`
	TaxableRoomNights  int64          `json:"taxable_room_nights"`
	TaxableGuestNights int64          `json:"taxable_guest_nights"`
	Exempt             CityTaxExempt  `json:"exempt_guest_nights"`
	Charged            ledger.Amounts `json:"charged"`
	Allowed            ledger.Amounts `json:"allowed"`
	Amount             ledger.Amounts `json:"amount"`
}

func (r *CityTaxRow) add(o CityTaxRow) {
	r.RoomNights += o.RoomNights
	r.GuestNights += o.GuestNights
	r.TaxableRoomNights += o.TaxableRoomNights
	r.TaxableGuestNights += o.TaxableGuestNights
	r.Exempt.Children += o.Exempt.Children
	r.Exempt.LengthOfStay += o.Exempt.LengthOfStay
	r.Exempt.NotLevied += o.Exempt.NotLevied
	r.Exempt.Other += o.Exempt.Other
	r.Charged = addAmounts(r.Charged, o.Charged)
	r.Allowed = addAmounts(r.Allowed, o.Allowed)
}

func addAmounts(a, b ledger.Amounts) ledger.Amounts {
	return ledger.Amounts{Net: a.Net + b.Net, Tax: a.Tax + b.Tax, Gross: a.Gross + b.Gross}
}

func subAmounts(a, b ledger.Amounts) ledger.Amounts {
	return ledger.Amounts{Net: a.Net - b.Net, Tax: a.Tax - b.Tax, Gross: a.Gross - b.Gross}
}

// CityTaxReport is the city tax of a period of nights [From, To) in the
// shape a city's return asks for: per month, the taxable nights, the
// exempt nights by reason and the amount, with the city-tax versions in
// force during the period.
type CityTaxReport struct {
	Period
	Currency string               `json:"currency"`
	Rules    []ledger.CityTaxRule `json:"rules"` // the versions in force on some night of the period
	Rows     []CityTaxRow         `json:"rows"`
	Total    CityTaxRow           `json:"total"`
}

// CityTax returns the city-tax report of a period of nights. Every figure
// comes from posted folio lines and the stored reservation: the nights are
// the room-night lines the night audit posted, the taxable persons and
// amounts the city-tax lines posted for them. Only the reason of an
// exemption is read from the city-tax version in force on the night (the
// one that posted it). It returns EINVALID for a bad period and ENOTFOUND
// for an unknown property.
func (s Store) CityTax(ctx context.Context, p Period) (CityTaxReport, error) {
	if err := p.check(); err != nil {
		return CityTaxReport{}, err
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, p.PropertyID)
	if err != nil {
		return CityTaxReport{}, err
	}
	rep := CityTaxReport{Period: p, Currency: prop.Currency, Rules: []ledger.CityTaxRule{}, Rows: []CityTaxRow{}}
	cfg, err := ledger.New(s.DB).Config(ctx, p.PropertyID)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		cfg, err = &ledger.Config{}, nil
	}
	if err != nil {
		return rep, err
	}
	for _, v := range cfg.CityTax {
		if v.ValidFrom.Before(p.To) {
			if len(rep.Rules) > 0 && !v.ValidFrom.After(p.From) {
				rep.Rules = rep.Rules[:0]
			}
			rep.Rules = append(rep.Rules, v)
		}
	}
	q := Query{From: p.From, To: p.To, By: ByMonth}
	rows := map[string]*CityTaxRow{}
	var keys []string
	for _, d := range date.Range(p.From, p.To) {
		k := q.dateKey(d)
		if rows[k] == nil {
			rows[k] = &CityTaxRow{Key: k}
			keys = append(keys, k)
		}
	}
	// The posted room-nights, each with the city-tax line posted for the
	// same night of the same reservation (the unique index on night and
	// item finds it). The unary + keeps SQLite on the service-date index
	// for the room lines: on ref_kind and item alone it would read every
	// room line of the file.
	nights, err := s.SQL().Read.QueryContext(ctx, `SELECT l.service_date, r.adults + r.children, r.children,
			(SELECT count(*) FROM reservation_nights b WHERE b.reservation_id = r.id AND b.date < l.night),
			coalesce(c.quantity, 0), c.id IS NOT NULL
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		JOIN reservations r ON r.id = l.ref_id
		LEFT JOIN ledger_lines c ON c.ref_kind = l.ref_kind AND c.ref_id = l.ref_id AND c.night = l.night AND c.item = ? AND c.kind = 'charge'
		WHERE f.property_id = ? AND l.kind IN ('charge', 'allowance') AND +l.kind = 'charge' AND +l.item = ? AND +l.ref_kind = ?
			AND l.service_date >= ? AND l.service_date < ?`,
		ledger.ItemCityTax, p.PropertyID, ledger.ItemRoom, ledger.RefReservation, p.From, p.To)
	if err != nil {
		return rep, fmt.Errorf("reports: city-tax nights: %w", err)
	}
	defer nights.Close()
	for nights.Next() {
		var night date.Date
		var persons, children, before, liable int64
		var taxed bool
		if err := nights.Scan(&night, &persons, &children, &before, &liable, &taxed); err != nil {
			return rep, fmt.Errorf("reports: city-tax nights: %w", err)
		}
		row := rows[q.dateKey(night)]
		row.RoomNights++
		row.GuestNights += persons
		rule := cfg.CityTaxOn(night)
		if taxed {
			if rule.Kind != ledger.CityTaxPerPersonNight {
				liable = persons
			}
			liable = min(liable, persons)
			row.TaxableRoomNights++
			row.TaxableGuestNights += liable
			if persons > liable {
				reason := ExemptOther
				if rule.Kind == ledger.CityTaxPerPersonNight && rule.ChildExemptBelowAge > 0 && persons-liable <= children {
					reason = ExemptChildren
				}
				row.Exempt.add(reason, persons-liable)
			}
			continue
		}
		reason := ExemptOther
		switch {
		case rule.Kind == ledger.CityTaxNone:
			reason = ExemptNotLevied
		case rule.MaxNights > 0 && before >= int64(rule.MaxNights):
			reason = ExemptLengthOfStay
		case rule.Kind == ledger.CityTaxPerPersonNight && rule.ChildExemptBelowAge > 0 && persons == children:
			reason = ExemptChildren
		case rule.Kind == ledger.CityTaxPerPersonNight && rule.Amount == 0:
			reason = ExemptNotLevied
		}
		row.Exempt.add(reason, persons)
	}
	if err := nights.Err(); err != nil {
		return rep, fmt.Errorf("reports: city-tax nights: %w", err)
	}
	// The amounts: every city-tax line by the night it is for, less the
	// allowances posted against them (by the night of the line they
	// correct).
	amounts, err := s.SQL().Read.QueryContext(ctx, `SELECT coalesce(c.service_date, l.service_date), l.kind, sum(l.net), sum(l.tax), sum(l.gross)
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		LEFT JOIN ledger_lines c ON c.id = l.corrects
		WHERE f.property_id = ? AND l.kind IN ('charge', 'allowance') AND coalesce(nullif(l.item, ''), c.item, '') = ?
			AND l.service_date >= ? AND l.service_date < ?
		GROUP BY 1, 2`, p.PropertyID, ledger.ItemCityTax, p.From, p.To)
	if err != nil {
		return rep, fmt.Errorf("reports: city-tax lines: %w", err)
	}
	defer amounts.Close()
	for amounts.Next() {
		var day date.Date
		var kind string
		var a ledger.Amounts
		if err := amounts.Scan(&day, &kind, &a.Net, &a.Tax, &a.Gross); err != nil {
			return rep, fmt.Errorf("reports: city-tax lines: %w", err)
		}
		row := rows[q.dateKey(day)]
		if row == nil { // an allowance in the period against a night outside it
			continue
		}
		if kind == ledger.LineAllowance {
			row.Allowed = addAmounts(row.Allowed, a)
		} else {
			row.Charged = addAmounts(row.Charged, a)
		}
	}
	if err := amounts.Err(); err != nil {
		return rep, fmt.Errorf("reports: city-tax lines: %w", err)
	}
	for _, k := range keys {
		r := rows[k]
		r.Amount = subAmounts(r.Charged, r.Allowed)
		rep.Rows = append(rep.Rows, *r)
		rep.Total.add(*r)
	}
	rep.Total.Key = "total"
	rep.Total.Amount = subAmounts(rep.Total.Charged, rep.Total.Allowed)
	return rep, nil
}

// CityTaxColumns is the header row of the city-tax report's CSV file: one
// row per month (YYYY-MM), then the total keyed "total"; counts are
// whole nights, amounts as in ReportColumns.
var CityTaxColumns = []string{"month", "room_nights", "guest_nights", "taxable_room_nights", "taxable_guest_nights",
	"exempt_children", "exempt_length_of_stay", "exempt_not_levied", "exempt_other", "exempt_total",
	"charged_net", "charged_gross", "allowed_net", "allowed_gross", "amount_net", "amount_tax", "amount_gross", "currency"}

// WriteCityTaxCSV writes rep as CSV (see CityTaxColumns), with a byte
// order mark first when bom is set.
func WriteCityTaxCSV(w io.Writer, rep CityTaxReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, CityTaxColumns)
	if err != nil {
		return err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, r := range append(append([]CityTaxRow{}, rep.Rows...), rep.Total) {
		if err := cw.Write([]string{r.Key, n(r.RoomNights), n(r.GuestNights), n(r.TaxableRoomNights), n(r.TaxableGuestNights),
			n(r.Exempt.Children), n(r.Exempt.LengthOfStay), n(r.Exempt.NotLevied), n(r.Exempt.Other), n(r.Exempt.Total()),
			money(r.Charged.Net), money(r.Charged.Gross), money(r.Allowed.Net), money(r.Allowed.Gross),
			money(r.Amount.Net), money(r.Amount.Tax), money(r.Amount.Gross), rep.Currency}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
