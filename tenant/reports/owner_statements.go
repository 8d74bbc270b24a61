package reports

import (
	"fmt"
	"sort"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/owners"
)

// Owner statements (issue 14): what an owner of managed units earned over
// a period of nights [From, To), generated through GenerateStatement
// (Kind "owner") as an immutable numbered document of the series OS.
//
// The definitions, all in integer minor units of the property's currency:
//
//   - A night belongs to an owner when the room the reservation held that
//     night (reservation_nights.room_id) is under one of the owner's
//     contracts on that night (Start ≤ night < End). A unit that changes
//     owner mid-month splits at the contract's boundary; a stay across a
//     month end splits by its nights.
//   - Revenue: the posted room-night lines (item "room") of those nights
//     less the allowances posted against them, net and gross, from the
//     ledger; never recomputed from rates. Nights: the posted room-night
//     charges. Cancellation and no-show fees are not room revenue and stay
//     with the manager.
//   - One line per reservation and contract. Its commission is the
//     contract's CommissionBP of the line's net revenue, rounded half away
//     from zero per line (the totals are the sums of the lines). Its stay
//     fee is the contract's StayFee when the reservation's last night
//     (departure − 1) is among the line's nights: a stay is charged once,
//     on the statement holding its last night, by the unit it ended in.
//   - Monthly fees: for each contract and each calendar month meeting the
//     period, MonthlyFee × the nights of the month both the period and the
//     contract cover ÷ the nights of the month, rounded half up (a whole
//     month is exactly MonthlyFee).
//   - Payout = net revenue − commission − stay fees − monthly fees; it is
//     negative when the fees exceed what the units earned.
//
// The owner's name and address are not part of the stored body (they are
// personal data, sealed under the owner's key); pages read them from the
// owner when they show a statement.

// OwnerLine is one reservation's nights in one of the owner's units.
type OwnerLine struct {
	ReservationID string    `json:"reservation_id"`
	ContractID    string    `json:"contract_id"`
	Room          string    `json:"room"` // the room's number
	FirstNight    date.Date `json:"first_night"`
	LastNight     date.Date `json:"last_night"`
	Nights        int       `json:"nights"`
	Revenue       Amount    `json:"room_revenue"`
	CommissionBP  int64     `json:"commission_bp"`
	Commission    int64     `json:"commission"`
	StayFee       int64     `json:"stay_fee"`
	Payout        int64     `json:"payout"` // Revenue.Net − Commission − StayFee
}

// OwnerFee is the monthly fee of one contract for one calendar month.
type OwnerFee struct {
	ContractID  string `json:"contract_id"`
	Room        string `json:"room"`
	Month       string `json:"month"`        // YYYY-MM
	Nights      int    `json:"nights"`       // nights of the month the period and contract cover
	MonthNights int    `json:"month_nights"` // nights of the month
	MonthlyFee  int64  `json:"monthly_fee"`  // the contract's fee for a whole month
	Amount      int64  `json:"amount"`
}

// OwnerTotals sums an owner statement.
type OwnerTotals struct {
	Stays       int    `json:"stays"` // lines
	Nights      int    `json:"nights"`
	Revenue     Amount `json:"room_revenue"`
	Commission  int64  `json:"commission"`
	StayFees    int64  `json:"stay_fees"`
	MonthlyFees int64  `json:"monthly_fees"`
	Fees        int64  `json:"fees"` // StayFees + MonthlyFees
	Payout      int64  `json:"payout"`
}

// OwnerFigures are the lines, fees and totals of an owner statement.
type OwnerFigures struct {
	Lines  []OwnerLine `json:"lines,omitempty"`
	Fees   []OwnerFee  `json:"fees,omitempty"`
	Totals OwnerTotals `json:"totals"`
}

// ownerFigures computes an owner's statement of the nights [from, to) in
// one property inside tx. It returns EINVALID (field owner_id) for an
// unknown owner or one without a contract in the property.
func ownerFigures(tx *tenant.Tx, propertyID, ownerID string, from, to date.Date) (OwnerFigures, error) {
	var fig OwnerFigures
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM owners WHERE id = ?`, ownerID).Scan(&n); err != nil {
		return fig, fmt.Errorf("reports: owner: %w", err)
	} else if n == 0 {
		return fig, aura.Invalid("No such owner.", aura.FieldError{Field: "owner_id", Message: "no such owner"})
	}
	contracts, err := owners.ContractsTx(tx, ownerID, propertyID)
	if err != nil {
		return fig, fmt.Errorf("reports: owner contracts: %w", err)
	}
	if len(contracts) == 0 {
		return fig, aura.Invalid("This owner has no unit in this property.", aura.FieldError{Field: "owner_id", Message: "has no contract for a unit of this property"})
	}
	byID := map[string]owners.Contract{}
	for _, c := range contracts {
		byID[c.ID] = c
	}

	// The posted room lines (and allowances against them) of the period's
	// nights in the owner's units, by the contract holding the unit that
	// night.
	rows, err := tx.Query(`SELECT k.id, l.ref_id, l.service_date, l.kind, l.net, l.gross, r.departure
		FROM ledger_lines l CROSS JOIN ledger_folios f ON f.id = l.folio_id
		LEFT JOIN ledger_lines c ON c.id = l.corrects
		JOIN reservation_nights n ON n.reservation_id = l.ref_id AND n.date = l.service_date
		JOIN reservations r ON r.id = l.ref_id
		JOIN owner_contracts k ON k.room_id = n.room_id AND k.start_date <= n.date AND (k.end_date IS NULL OR n.date < k.end_date)
		WHERE f.property_id = ? AND l.kind IN ('charge', 'allowance') AND l.service_date >= ? AND l.service_date < ?
			AND l.ref_kind = ? AND coalesce(nullif(l.item, ''), c.item, '') = ? AND k.owner_id = ?
		ORDER BY l.service_date, l.id`, propertyID, from, to, ledger.RefReservation, ledger.ItemRoom, ownerID)
	if err != nil {
		return fig, fmt.Errorf("reports: owner lines: %w", err)
	}
	type key struct{ res, contract string }
	lines := map[key]*OwnerLine{}
	lastNight := map[key]date.Date{}
	for rows.Next() {
		var k key
		var night, departure date.Date
		var kind string
		var a Amount
		if err := rows.Scan(&k.contract, &k.res, &night, &kind, &a.Net, &a.Gross, &departure); err != nil {
			rows.Close()
			return fig, fmt.Errorf("reports: owner lines: %w", err)
		}
		l := lines[k]
		if l == nil {
			c := byID[k.contract]
			l = &OwnerLine{ReservationID: k.res, ContractID: k.contract, Room: c.RoomNumber, FirstNight: night, LastNight: night, CommissionBP: c.CommissionBP}
			lines[k] = l
			lastNight[k] = departure.AddDays(-1)
		}
		if night.Before(l.FirstNight) {
			l.FirstNight = night
		}
		if night.After(l.LastNight) {
			l.LastNight = night
		}
		if kind == ledger.LineAllowance {
			a = Amount{-a.Net, -a.Gross}
		} else {
			l.Nights++
		}
		l.Revenue = l.Revenue.add(a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fig, fmt.Errorf("reports: owner lines: %w", err)
	}
	for k, l := range lines {
		l.Commission = ratio(l.Revenue.Net*l.CommissionBP, 10000)
		if l.LastNight == lastNight[k] {
			l.StayFee = byID[k.contract].StayFee
		}
		l.Payout = l.Revenue.Net - l.Commission - l.StayFee
		fig.Lines = append(fig.Lines, *l)
	}
	sort.Slice(fig.Lines, func(i, j int) bool {
		a, b := fig.Lines[i], fig.Lines[j]
		if a.FirstNight != b.FirstNight {
			return a.FirstNight.Before(b.FirstNight)
		}
		if a.Room != b.Room {
			return a.Room < b.Room
		}
		return a.ReservationID < b.ReservationID
	})

	// Monthly fees, prorated by the nights each contract covers.
	for _, c := range contracts {
		if c.MonthlyFee == 0 {
			continue
		}
		for m := monthOf(from); m.Before(to); m = nextMonth(m) {
			lo, hi := latest(m, from, c.Start), earliest(nextMonth(m), to, c.End)
			if !lo.Before(hi) {
				continue
			}
			n, days := hi.Sub(lo), nextMonth(m).Sub(m)
			y, mm, _ := m.YMD()
			fig.Fees = append(fig.Fees, OwnerFee{ContractID: c.ID, Room: c.RoomNumber, Month: fmt.Sprintf("%04d-%02d", y, mm), Nights: n,
				MonthNights: days, MonthlyFee: c.MonthlyFee, Amount: ratio(c.MonthlyFee*int64(n), int64(days))})
		}
	}
	sort.SliceStable(fig.Fees, func(i, j int) bool {
		if fig.Fees[i].Month != fig.Fees[j].Month {
			return fig.Fees[i].Month < fig.Fees[j].Month
		}
		return fig.Fees[i].Room < fig.Fees[j].Room
	})

	t := &fig.Totals
	for _, l := range fig.Lines {
		t.Stays++
		t.Nights += l.Nights
		t.Revenue = t.Revenue.add(l.Revenue)
		t.Commission += l.Commission
		t.StayFees += l.StayFee
	}
	for _, f := range fig.Fees {
		t.MonthlyFees += f.Amount
	}
	t.Fees = t.StayFees + t.MonthlyFees
	t.Payout = t.Revenue.Net - t.Commission - t.Fees
	return fig, nil
}

func monthOf(d date.Date) date.Date {
	y, m, _ := d.YMD()
	return date.New(y, m, 1)
}

func nextMonth(d date.Date) date.Date {
	y, m, _ := d.YMD()
	return date.New(y, m+1, 1)
}

// latest returns the latest of dates (a zero date is ignored).
func latest(ds ...date.Date) date.Date {
	var out date.Date
	for _, d := range ds {
		if !d.IsZero() && (out.IsZero() || d.After(out)) {
			out = d
		}
	}
	return out
}

// earliest returns the earliest of dates (a zero date, an open end, is
// ignored).
func earliest(ds ...date.Date) date.Date {
	var out date.Date
	for _, d := range ds {
		if !d.IsZero() && (out.IsZero() || d.Before(out)) {
			out = d
		}
	}
	return out
}
