package reports

import (
	"context"
	"fmt"
	"sort"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/inventory"
)

// AgingBuckets names the age ranges of open balances, in days since the
// business date of the charge still open: 0–30, 31–60, 61–90, over 90.
var AgingBuckets = []string{"0-30", "31-60", "61-90", "90+"}

// AgingRow is one folio with an open balance on the as-of date, split by
// the age of what is still open.
type AgingRow struct {
	FolioID string    `json:"folio_id"`
	Label   string    `json:"label"`
	Kind    string    `json:"kind"` // guest, booking, external (city ledger), house
	Buckets [4]int64  `json:"buckets"`
	Open    int64     `json:"open"`
	Oldest  date.Date `json:"oldest"` // business date of the oldest open charge
}

// AgingReport is the receivables of a property on a date: every folio
// whose balance is owed to the property, oldest debt first, and the sums
// per bucket.
type AgingReport struct {
	PropertyID string     `json:"property_id"`
	AsOf       date.Date  `json:"as_of"`
	Currency   string     `json:"currency"`
	Rows       []AgingRow `json:"rows"`
	Total      AgingRow   `json:"total"`
}

// Aging returns the open balances of a property as of a date (lines with
// a business date after it are left out). What a folio owes is aged first
// in, first out: its credits (payments, allowances, transfers out) settle
// its oldest debits (charges, transfers in, refunds) first, and what is
// left of each debit is as old as the days from its business date to the
// as-of date. Folios in credit or settled are not listed. It returns
// EINVALID without a date and ENOTFOUND for an unknown property.
func (s Store) Aging(ctx context.Context, propertyID string, asOf date.Date) (AgingReport, error) {
	if asOf.IsZero() {
		return AgingReport{}, aura.Invalid("Give the date of the balances.", aura.FieldError{Field: "as_of", Message: "Give a date, as YYYY-MM-DD."})
	}
	prop, err := inventory.New(s.DB).GetProperty(ctx, propertyID)
	if err != nil {
		return AgingReport{}, err
	}
	rep := AgingReport{PropertyID: prop.ID, AsOf: asOf, Currency: prop.Currency, Rows: []AgingRow{}}
	rows, err := s.SQL().Read.QueryContext(ctx, `SELECT f.id, f.label, f.kind, l.kind, l.business_date, l.gross
		FROM ledger_folios f JOIN ledger_lines l ON l.folio_id = f.id
		WHERE f.property_id = ? AND l.business_date <= ?
		ORDER BY f.id, l.business_date, l.created_at, l.id`, prop.ID, asOf)
	if err != nil {
		return rep, fmt.Errorf("reports: aging: %w", err)
	}
	defer rows.Close()
	type debit struct {
		day    date.Date
		amount int64
	}
	var cur AgingRow
	var debits []debit
	var credit int64
	flush := func() {
		if cur.FolioID == "" {
			return
		}
		for _, d := range debits {
			take := min(d.amount, credit)
			credit -= take
			left := d.amount - take
			if left == 0 {
				continue
			}
			if cur.Oldest.IsZero() {
				cur.Oldest = d.day
			}
			age := asOf.Sub(d.day)
			b := 3
			switch {
			case age <= 30:
				b = 0
			case age <= 60:
				b = 1
			case age <= 90:
				b = 2
			}
			cur.Buckets[b] += left
			cur.Open += left
		}
		if cur.Open > 0 {
			rep.Rows = append(rep.Rows, cur)
			for i := range cur.Buckets {
				rep.Total.Buckets[i] += cur.Buckets[i]
			}
			rep.Total.Open += cur.Open
		}
	}
	for rows.Next() {
		var id, label, kind, lineKind string
		var day date.Date
		var gross int64
		if err := rows.Scan(&id, &label, &kind, &lineKind, &day, &gross); err != nil {
			return rep, fmt.Errorf("reports: aging: %w", err)
		}
		if id != cur.FolioID {
			flush()
			cur, debits, credit = AgingRow{FolioID: id, Label: label, Kind: kind}, nil, 0
		}
		if lineSign[lineKind] > 0 {
			debits = append(debits, debit{day, gross})
		} else {
			credit += gross
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("reports: aging: %w", err)
	}
	flush()
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].Oldest.Before(rep.Rows[j].Oldest) })
	return rep, nil
}
