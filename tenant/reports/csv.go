package reports

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
)

// BOM is the UTF-8 byte order mark some spreadsheet programs need before
// they read a CSV file as UTF-8.
const BOM = "\ufeff"

// csvOut starts a report's CSV file on w: the byte order mark first when
// bom is set, then the header row. It returns the writer for the rows and
// the formatter of the currency's amounts (decimals with its minor units
// and a point, never grouped).
func csvOut(w io.Writer, bom bool, currency string, header []string) (*csv.Writer, func(int64) string, error) {
	if bom {
		if _, err := io.WriteString(w, BOM); err != nil {
			return nil, nil, err
		}
	}
	exp := tenant.MinorUnits(currency)
	money := func(v int64) string { return locale.Decimal(v, exp, ".", "") }
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return nil, nil, err
	}
	return cw, money, nil
}

// ReportColumns is the header row of a report's CSV file. Amounts are
// decimals with the currency's minor units and a point ("1234.50"), never
// grouped; occupancy is a percentage with two decimals ("66.67"); the key
// of a date grouping is an ISO date (YYYY-MM-DD) or month (YYYY-MM). The
// last row is the total, keyed "total". The last three columns count the
// complimentary and house-use nights and the house-use room-nights
// withheld from availability (see Exclusions).
var ReportColumns = []string{"key", "label", "room_nights", "out_of_order", "available", "sold", "occupancy_percent",
	"room_revenue_net", "room_revenue_gross", "adr_net", "adr_gross", "revpar_net", "revpar_gross",
	"fees_net", "fees_gross", "cancellations", "no_shows", "other_revenue_net", "other_revenue_gross",
	"total_revenue_net", "total_revenue_gross", "currency", "complimentary", "house_use", "withheld"}

// WriteCSV writes rep as CSV (RFC 4180, UTF-8, one header row, see
// ReportColumns), with a byte order mark first when bom is set.
func WriteCSV(w io.Writer, rep Report, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, ReportColumns)
	if err != nil {
		return err
	}
	row := func(key, label string, f Figures) error {
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		return cw.Write([]string{key, label, n(f.RoomNights), n(f.OutOfOrder), n(f.Available), n(f.Sold), locale.Decimal(f.Occupancy, 2, ".", ""),
			money(f.Room.Net), money(f.Room.Gross), money(f.ADR.Net), money(f.ADR.Gross), money(f.RevPAR.Net), money(f.RevPAR.Gross),
			money(f.Fees.Net), money(f.Fees.Gross), n(f.Cancellations), n(f.NoShows), money(f.Other.Net), money(f.Other.Gross),
			money(f.Total.Net), money(f.Total.Gross), rep.Currency, n(f.Complimentary), n(f.HouseUse), n(f.Withheld)})
	}
	for _, r := range rep.Rows {
		if err := row(r.Key, r.Label, r.Figures); err != nil {
			return err
		}
	}
	if err := row("total", "Total", rep.Total); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// VATColumns is the header row of a VAT report's CSV file: one row per
// VAT category and rate (rate as a percentage with two decimals), then
// the total keyed "total"; amounts as in ReportColumns.
var VATColumns = []string{"category", "rate_percent", "exemption_reason",
	"invoiced_net", "invoiced_tax", "invoiced_gross", "credited_net", "credited_tax", "credited_gross",
	"due_net", "due_tax", "due_gross", "posted_net", "posted_tax", "posted_gross", "currency"}

// WriteVATCSV writes rep as CSV (see VATColumns), with a byte order mark
// first when bom is set.
func WriteVATCSV(w io.Writer, rep VATReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, VATColumns)
	if err != nil {
		return err
	}
	rows := append(append([]VATRow{}, rep.Rows...), rep.Total)
	for i, r := range rows {
		cat, rate := r.Category, locale.Decimal(int64(r.Rate), 2, ".", "")
		if i == len(rows)-1 {
			cat, rate = "total", ""
		}
		rec := []string{cat, rate, r.ExemptionReason}
		for _, a := range []ledger.Amounts{r.Invoiced, r.Credited, r.Due, r.Posted} {
			rec = append(rec, money(a.Net), money(a.Tax), money(a.Gross))
		}
		if err := cw.Write(append(rec, rep.Currency)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// StatementColumns is the header row of a statement's CSV file: one row
// per booking, then the total keyed "total"; check_out an ISO date,
// amounts as in ReportColumns.
var StatementColumns = []string{"statement_number", "channel", "booking_id", "ota_code", "check_out", "reservations", "nights",
	"room_revenue_net", "room_revenue_gross", "fees_net", "fees_gross", "commission", "currency"}

// WriteStatementCSV writes st as CSV (see StatementColumns, or
// OwnerStatementColumns for an owner's statement), with a byte order mark
// first when bom is set.
func WriteStatementCSV(w io.Writer, st Statement, bom bool) error {
	if st.Kind == StatementKindOwner {
		return writeOwnerStatementCSV(w, st, bom)
	}
	cw, money, err := csvOut(w, bom, st.Currency, StatementColumns)
	if err != nil {
		return err
	}
	for _, l := range st.Lines {
		if err := cw.Write([]string{st.Number, st.Channel, l.BookingID, l.OTACode, l.CheckOut.String(), strconv.Itoa(l.Reservations), strconv.Itoa(l.Nights),
			money(l.Room.Net), money(l.Room.Gross), money(l.Fees.Net), money(l.Fees.Gross), money(l.Commission), st.Currency}); err != nil {
			return err
		}
	}
	t := st.Totals
	if err := cw.Write([]string{st.Number, st.Channel, "total", "", "", "", strconv.Itoa(t.Nights),
		money(t.Room.Net), money(t.Room.Gross), money(t.Fees.Net), money(t.Fees.Gross), money(t.Commission), st.Currency}); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// OwnerStatementColumns is the header row of an owner statement's CSV
// file: one row per stay (row "stay": a reservation's nights in one unit,
// fees its stay fee), then one per monthly fee (row "monthly_fee": month
// YYYY-MM, nights the nights of the month covered, fees the amount,
// payout its negative), then the total (row "total"); dates ISO, amounts
// as in ReportColumns, commission_bp in basis points.
var OwnerStatementColumns = []string{"statement_number", "owner_id", "row", "reservation_id", "room", "first_night", "last_night", "month",
	"nights", "room_revenue_net", "room_revenue_gross", "commission_bp", "commission", "fees", "payout", "currency"}

func writeOwnerStatementCSV(w io.Writer, st Statement, bom bool) error {
	cw, money, err := csvOut(w, bom, st.Currency, OwnerStatementColumns)
	if err != nil {
		return err
	}
	var fig OwnerFigures
	if st.Owner != nil {
		fig = *st.Owner
	}
	for _, l := range fig.Lines {
		if err := cw.Write([]string{st.Number, st.OwnerID, "stay", l.ReservationID, l.Room, l.FirstNight.String(), l.LastNight.String(), "",
			strconv.Itoa(l.Nights), money(l.Revenue.Net), money(l.Revenue.Gross), strconv.FormatInt(l.CommissionBP, 10), money(l.Commission),
			money(l.StayFee), money(l.Payout), st.Currency}); err != nil {
			return err
		}
	}
	for _, f := range fig.Fees {
		if err := cw.Write([]string{st.Number, st.OwnerID, "monthly_fee", "", f.Room, "", "", f.Month, strconv.Itoa(f.Nights), "", "", "", "",
			money(f.Amount), money(-f.Amount), st.Currency}); err != nil {
			return err
		}
	}
	t := fig.Totals
	if err := cw.Write([]string{st.Number, st.OwnerID, "total", "", "", "", "", "", strconv.Itoa(t.Nights), money(t.Revenue.Net), money(t.Revenue.Gross),
		"", money(t.Commission), money(t.Fees), money(t.Payout), st.Currency}); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// PaymentColumns is the header row of the payments report's CSV file: one
// row per business date (ISO) and method, then one per method keyed
// "total", then the total keyed "total" with method "all".
var PaymentColumns = []string{"business_date", "method", "count", "payments", "refunds", "net", "currency"}

// WritePaymentsCSV writes rep as CSV (see PaymentColumns), with a byte
// order mark first when bom is set.
func WritePaymentsCSV(w io.Writer, rep PaymentsReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, PaymentColumns)
	if err != nil {
		return err
	}
	row := func(day, method string, r PaymentRow) error {
		return cw.Write([]string{day, method, strconv.Itoa(r.Count), money(r.Payments), money(r.Refunds), money(r.Net), rep.Currency})
	}
	for _, r := range rep.Rows {
		if err := row(r.Day.String(), r.Method, r); err != nil {
			return err
		}
	}
	for _, r := range rep.ByMethod {
		if err := row("total", r.Method, r); err != nil {
			return err
		}
	}
	if err := row("total", "all", rep.Total); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
