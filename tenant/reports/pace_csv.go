package reports

import (
	"io"
	"strconv"

	"github.com/aurapms/aura/locale"
)

// PaceColumns is the header row of the on-the-books CSV file: one row per
// night (YYYY-MM-DD) or month (YYYY-MM), then the total keyed "total";
// revenue on the property's pricing basis, amounts as in ReportColumns.
var PaceColumns = []string{"key", "available", "on_books", "occupancy_percent", "revenue_on_books",
	"last_year_on_books", "last_year_final", "last_year_room_revenue", "currency"}

// WritePaceCSV writes rep as CSV (see PaceColumns), with a byte order
// mark first when bom is set.
func WritePaceCSV(w io.Writer, rep PaceReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, PaceColumns)
	if err != nil {
		return err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, r := range append(append([]PaceRow{}, rep.Rows...), PaceRow{Key: "total", PaceFigures: rep.Total, LastYear: rep.TotalLastYear}) {
		if err := cw.Write([]string{r.Key, n(r.Available), n(r.OnBooks), locale.Decimal(r.Occupancy, 2, ".", ""), money(r.Revenue),
			n(r.LastYear.OnBooks), n(r.LastYear.Final), money(r.LastYear.Revenue), rep.Currency}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// DailyColumns is the header row of the daily manager report's CSV file:
// one row per measure (sold, available, occupancy_percent, room revenue
// net and gross, ADR, RevPAR, total revenue net and gross), with the day,
// the same weekday last year, the month to date and the same dates last
// year as columns. The first row, "date", names the day of each column
// (the first night of the month-to-date columns).
var DailyColumns = []string{"measure", "day", "day_last_year", "month_to_date", "month_to_date_last_year", "currency"}

// WriteDailyCSV writes rep as CSV (see DailyColumns), with a byte order
// mark first when bom is set.
func WriteDailyCSV(w io.Writer, rep DailyReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, DailyColumns)
	if err != nil {
		return err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	pct := func(v int64) string { return locale.Decimal(v, 2, ".", "") }
	cols := []Figures{rep.Day, rep.DayLastYear, rep.MonthToDate, rep.MonthToDateLY}
	for _, m := range []struct {
		name string
		of   func(Figures) string
	}{
		{"date", nil},
		{"sold", func(f Figures) string { return n(f.Sold) }},
		{"available", func(f Figures) string { return n(f.Available) }},
		{"occupancy_percent", func(f Figures) string { return pct(f.Occupancy) }},
		{"room_revenue_net", func(f Figures) string { return money(f.Room.Net) }},
		{"room_revenue_gross", func(f Figures) string { return money(f.Room.Gross) }},
		{"adr_net", func(f Figures) string { return money(f.ADR.Net) }},
		{"revpar_net", func(f Figures) string { return money(f.RevPAR.Net) }},
		{"total_revenue_net", func(f Figures) string { return money(f.Total.Net) }},
		{"total_revenue_gross", func(f Figures) string { return money(f.Total.Gross) }},
	} {
		rec := []string{m.name}
		if m.of == nil {
			rec = append(rec, rep.Date.String(), rep.LastYearDate.String(), rep.MonthFrom.String(), rep.LastYearFrom.String())
		} else {
			for _, f := range cols {
				rec = append(rec, m.of(f))
			}
		}
		if err := cw.Write(append(rec, rep.Currency)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
