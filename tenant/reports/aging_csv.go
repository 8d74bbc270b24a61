package reports

import "io"

// AgingColumns is the header row of the receivables CSV file: one row per
// folio with an open balance, then the total keyed "total"; oldest is the
// business date (ISO) of its oldest open charge, amounts as in
// ReportColumns.
var AgingColumns = []string{"folio_id", "label", "kind", "oldest", "days_0_30", "days_31_60", "days_61_90", "days_over_90", "open", "as_of", "currency"}

// WriteAgingCSV writes rep as CSV (see AgingColumns), with a byte order
// mark first when bom is set.
func WriteAgingCSV(w io.Writer, rep AgingReport, bom bool) error {
	cw, money, err := csvOut(w, bom, rep.Currency, AgingColumns)
	if err != nil {
		return err
	}
	for _, r := range append(append([]AgingRow{}, rep.Rows...), rep.Total) {
		id, oldest := r.FolioID, ""
		if !r.Oldest.IsZero() {
			oldest = r.Oldest.String()
		}
		if id == "" {
			id = "total"
		}
		if err := cw.Write([]string{id, r.Label, r.Kind, oldest, money(r.Buckets[0]), money(r.Buckets[1]), money(r.Buckets[2]), money(r.Buckets[3]),
			money(r.Open), rep.AsOf.String(), rep.Currency}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
