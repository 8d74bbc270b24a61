package pms

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/reports"
)

// The reports (issue 14): the performance report (occupancy, ADR, RevPAR
// and revenue from the report engine, tenant/reports) as a page with a
// chart, as CSV and as JSON.

// ReportRoutes are the rows of the report pages and API in the route table.
func (s Handlers) ReportRoutes() []web.Route {
	none := web.Iso()
	return []web.Route{
		{Method: "GET", Path: "/:tenant/reports", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports", Handle: s.reportsPage},
		{Method: "GET", Path: "/:tenant/reports/performance.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.reportCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/performance", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiReport},
		{Method: "GET", Path: "/:tenant/api/v1/reports/performance.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.reportCSV},
		{Method: "GET", Path: "/:tenant/reports/vat", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_vat", Handle: s.vatPage},
		{Method: "GET", Path: "/:tenant/reports/vat.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.vatCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/vat", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiVAT},
		{Method: "GET", Path: "/:tenant/api/v1/reports/vat.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.vatCSV},
		{Method: "GET", Path: "/:tenant/reports/payments", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_payments", Handle: s.paymentsPage},
		{Method: "GET", Path: "/:tenant/reports/payments.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.paymentsCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/payments", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiPaymentsReport},
		{Method: "GET", Path: "/:tenant/api/v1/reports/payments.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.paymentsCSV},
		{Method: "GET", Path: "/:tenant/reports/receivables", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_aging", Handle: s.agingPage},
		{Method: "GET", Path: "/:tenant/api/v1/reports/receivables", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiAging},
		{Method: "GET", Path: "/:tenant/reports/ledger.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.exportCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/ledger.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.exportCSV},
		{Method: "GET", Path: "/:tenant/reports/city-tax", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_citytax", Handle: s.cityTaxPage},
		{Method: "GET", Path: "/:tenant/reports/city-tax.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.cityTaxCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/city-tax", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiCityTax},
		{Method: "GET", Path: "/:tenant/api/v1/reports/city-tax.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.cityTaxCSV},
	}
}

var reportQueryDocs = []web.QueryParam{web.QProperty,
	web.Q("from", "date", "The first night (default: the first of the property's current month)."),
	web.Q("to", "date", "The day after the last night (default: the first of the next month); at most 366 nights."),
	web.Q("by", "string", "Rows per: day, month, room_type, rate_plan, channel or category (default day).")}

// ReportAPIDocs documents the report API in the OpenAPI document.
var ReportAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/reports/performance": {Summary: "Occupancy, ADR, RevPAR and revenue (net and gross, from posted folio lines) per day, month, room type, rate plan, channel or category", Tag: "Reports",
		Query: reportQueryDocs, Response: reports.Report{}},
	"GET /:tenant/api/v1/reports/performance.csv": {Summary: "The performance report as CSV (UTF-8, one header row, ISO dates, decimal amounts); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(reportQueryDocs, qBOM), ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/vat": {Summary: "VAT per category and rate of a period: invoiced, credited and due (from the invoices and credit notes issued in it, reconciling with their totals) and posted (folio lines by business date)", Tag: "Reports",
		Query: vatQueryDocs, Response: reports.VATReport{}},
	"GET /:tenant/api/v1/reports/vat.csv": {Summary: "The VAT report as CSV (UTF-8, one header row, decimal amounts); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(vatQueryDocs, qBOM), ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/payments": {Summary: "Payments and refunds that went through, by business date and method (the cashier's close over a period), with totals per method", Tag: "Reports",
		Query: vatQueryDocs, Response: reports.PaymentsReport{}},
	"GET /:tenant/api/v1/reports/payments.csv": {Summary: "The payments report as CSV (columns in reports.PaymentColumns); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(vatQueryDocs, qBOM), ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/receivables": {Summary: "Open balances (receivables) on a date per folio, aged 0–30, 31–60, 61–90 and over 90 days (credits settle the oldest charges first)", Tag: "Reports",
		Query: []web.QueryParam{web.QProperty, web.Q("as_of", "date", "The date of the balances (default: the property's business date).")}, Response: reports.AgingReport{}},
	"GET /:tenant/api/v1/reports/city-tax": {Summary: "The city tax of a period of nights per month, as a city's return asks: posted room- and guest-nights, taxable nights, exempt guest-nights by reason (children, length_of_stay, not_levied, other) and the amount posted less allowances", Tag: "Reports",
		Query: reportQueryDocs[:3], Response: reports.CityTaxReport{}},
	"GET /:tenant/api/v1/reports/city-tax.csv": {Summary: "The city-tax report as CSV (columns in reports.CityTaxColumns); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(append([]web.QueryParam{}, reportQueryDocs[:3]...), qBOM), ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/ledger.csv": {Summary: "The accounting export: every folio line posted in the period (by business date) with its accounting category, ledger account, tax code and invoice number; columns in reports.ExportColumns. format=datev gives the same lines as a DATEV Buchungsstapel (EXTF header, Windows-1252, semicolons, decimal commas; layout in docs/EXPORTS.md)", Tag: "Reports",
		Query: append(append([]web.QueryParam{}, vatQueryDocs...), qBOM,
			web.Q("format", "string", "datev: a DATEV Buchungsstapel instead of the plain CSV (the period must lie in one calendar year)."),
			web.Q("consultant", "integer", "DATEV only: the consultant number (Beraternummer, 1001–9999999) of the header; empty when left out."),
			web.Q("client", "integer", "DATEV only: the client number (Mandantennummer, 1–99999) of the header; empty when left out."),
			web.Q("account_length", "integer", "DATEV only: the length of the ledger accounts (Sachkontenlänge, 4–8; default 4)."),
			web.Q("accounts", "string", "DATEV only: accounts replacing the defaults, as key:number pairs separated by commas; keys debtor (default 10000), cash (1000), bank_transfer (1200), card_terminal (1360), stripe (1360), city_ledger (10001)."),
			web.Q("tax_keys", "string", "DATEV only: the BU-Schlüssel of tax codes, as code:key pairs separated by commas (none by default: automatic revenue accounts carry their rate).")),
		ResponseMedia: []string{"text/csv"}},
}

var qBOM = web.Q("bom", "boolean", "1: start with a UTF-8 byte order mark (for spreadsheet programs).")

var vatQueryDocs = []web.QueryParam{web.QProperty,
	web.Q("from", "date", "The first issue and business date (default: the first of the property's current month)."),
	web.Q("to", "date", "The day after the last (default: the first of the next month); at most 366 days.")}

// reportQuery reads ?from=, ?to= and ?by= of a report of property p whose
// business date is today.
func reportQuery(v url.Values, p inventory.Property, today date.Date) (reports.Query, error) {
	y, m, _ := today.YMD()
	first := date.New(y, m, 1)
	next := date.New(y, m+1, 1)
	if m == time.December {
		next = date.New(y+1, time.January, 1)
	}
	q := reports.Query{PropertyID: p.ID, By: strings.TrimSpace(v.Get("by"))}
	if q.By == "" {
		q.By = reports.ByDay
	}
	var err error
	if q.From, err = web.QueryDate(v, "from", first); err != nil {
		return q, err
	}
	if q.To, err = web.QueryDate(v, "to", next); err != nil {
		return q, err
	}
	return q, nil
}

// reportForm is the form of a report page: for each of keys the value the
// request typed, else the one q used, so a bad date shows as typed beside
// its error.
func reportForm(v url.Values, q reports.Query, keys ...string) url.Values {
	used := map[string]string{"from": q.From.String(), "to": q.To.String(), "by": q.By}
	form := url.Values{}
	for _, k := range keys {
		form.Set(k, used[k])
		if x := v.Get(k); x != "" {
			form.Set(k, x)
		}
	}
	return form
}

// queryOf reads the report query of an API or CSV request: the property of
// ?property_id= (or the only one) and ?from=, ?to= and ?by= against its
// business date.
func (s Handlers) queryOf(r *http.Request, c *web.Call) (reports.Query, error) {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return reports.Query{}, err
	}
	return reportQuery(r.URL.Query(), prop, today)
}

// periodOf reads the property and ?from=&to= of a period report (API and
// CSV).
func (s Handlers) periodOf(r *http.Request, c *web.Call) (reports.Period, error) {
	q, err := s.queryOf(r, c)
	return reports.Period{PropertyID: q.PropertyID, From: q.From, To: q.To}, err
}

// csvDownload sets the headers of a CSV file named filename, not to be
// cached, and tells whether the request asks for a byte order mark first
// (?bom=1 or ?bom=true).
func csvDownload(w http.ResponseWriter, r *http.Request, filename string) bool {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	w.Header().Set("Cache-Control", "private, no-store")
	return wantsBOM(r)
}

// wantsBOM reports whether the request asks for a byte order mark before a
// CSV download (bom=1 or bom=true).
func wantsBOM(r *http.Request) bool {
	bom := r.URL.Query().Get("bom")
	return bom == "1" || bom == "true"
}

// lazyDownload is a CSV download whose headers (csvDownload's) are set at
// its first byte, for a file streamed as it is read: until then the
// response is untouched, so an error is answered as one.
type lazyDownload struct {
	http.ResponseWriter
	r        *http.Request
	filename string
	started  bool
}

func (d *lazyDownload) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		csvDownload(d.ResponseWriter, d.r, d.filename)
	}
	return d.ResponseWriter.Write(p)
}

// reportsData is the performance report page.
type reportsData struct {
	Report   reports.Report
	By       []reportGrouping
	Chart    *reportChart
	Revenue  *revenueChart // room and other revenue per row (day or month)
	CSV      string        // the CSV link of the report shown
	Currency string
	style    locale.Style
}

type reportGrouping struct{ Key, Label string }

var groupingLabels = map[string]string{reports.ByDay: "Day", reports.ByMonth: "Month", reports.ByRoomType: "Room type",
	reports.ByRatePlan: "Rate plan", reports.ByChannel: "Channel", reports.ByCategory: "Category"}

// Pct shows basis points as a percentage with two decimals.
func (d *reportsData) Pct(bp int64) string { return d.style.Number(bp, 2) + " %" }

// reportChart is the occupancy chart of a date grouping, drawn as SVG on
// the server (no script): one bar per row, 0–100 %.
type reportChart struct {
	Width, Height int
	Bars          []reportBar
	Grid          []reportGrid
}

type reportBar struct {
	X, Y, W, H int
	Title      string
	Label      string // shown under some bars
	LabelX     int
}

type reportGrid struct {
	Y     int
	Label string
}

const chartHeight, chartTop, chartBottom, chartLeft = 180, 8, 22, 40

// chartLayout places n bars of 0–100 % (in basis points) side by side, as
// the occupancy and on-the-books charts draw them: slot is a bar's width
// with its gap (narrower for many bars), plot the height the bars grow in,
// and every how many bars one is labelled.
type chartLayout struct{ n, slot, plot, every int }

func layoutChart(n int) chartLayout {
	l := chartLayout{n: n, slot: 24, plot: chartHeight - chartTop - chartBottom, every: 1}
	if n > 40 {
		l.slot = 8
	}
	if n > 16 {
		l.every = 7
	}
	return l
}

// width is the chart's width.
func (l chartLayout) width() int { return chartLeft + l.slot*l.n + 8 }

// grid is the chart's lines at 0, 25, 50, 75 and 100 %.
func (l chartLayout) grid() []reportGrid {
	var g []reportGrid
	for _, bp := range []int64{0, 2500, 5000, 7500, 10000} {
		g = append(g, reportGrid{Y: l.y(bp), Label: fmt.Sprint(bp/100) + "%"})
	}
	return g
}

// y is the height of the chart where bp basis points stand.
func (l chartLayout) y(bp int64) int { return chartTop + l.plot - int(bp)*l.plot/10000 }

// bar is the i-th bar, of bp basis points (held to 0–100 %), titled
// title; a bar to label has its LabelX set, the caller gives its Label.
func (l chartLayout) bar(i int, bp int64, title string) reportBar {
	h := int(min(max(bp, 0), 10000)) * l.plot / 10000
	b := reportBar{X: chartLeft + i*l.slot + 2, W: l.slot - 4, Y: chartTop + l.plot - h, H: h, Title: title}
	if i%l.every == 0 {
		b.LabelX = chartLeft + i*l.slot
	}
	return b
}

// labelled tells whether the i-th bar carries a label.
func (l chartLayout) labelled(i int) bool { return i%l.every == 0 }

func occupancyChart(rep reports.Report, pct func(int64) string) *reportChart {
	if (rep.By != reports.ByDay && rep.By != reports.ByMonth) || len(rep.Rows) == 0 {
		return nil
	}
	l := layoutChart(len(rep.Rows))
	c := &reportChart{Width: l.width(), Height: chartHeight, Grid: l.grid()}
	for i, r := range rep.Rows {
		b := l.bar(i, r.Occupancy, r.Label+": "+pct(r.Occupancy))
		if l.labelled(i) {
			b.Label = r.Key
			if rep.By == reports.ByDay {
				b.Label = r.Key[8:]
			}
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

func reportCSVLink(slug string, q reports.Query) string {
	v := url.Values{"from": {q.From.String()}, "to": {q.To.String()}, "by": {q.By}, "property_id": {q.PropertyID}}
	return "/" + slug + "/reports/performance.csv?" + v.Encode()
}

func (s Handlers) reportsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Reports", "reports")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	d := &reportsData{Currency: prop.Currency, style: p.Style()}
	for _, g := range reports.Groupings {
		d.By = append(d.By, reportGrouping{g, groupingLabels[g]})
	}
	p.Data = d
	q, err := reportQuery(v, prop, s.Today(r, c, prop))
	p.Form = reportForm(v, q, "from", "to", "by")
	if err == nil {
		d.Report, err = reports.New(c.DB).Run(r.Context(), q)
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports", p)
		return nil
	}
	// People read dates as their country writes them; the keys stay ISO
	// (CSV, JSON, the chart's axis).
	for i, row := range d.Report.Rows {
		switch q.By {
		case reports.ByDay:
			if day, err := date.Parse(row.Key); err == nil {
				d.Report.Rows[i].Label = p.Day(day)
			}
		case reports.ByMonth:
			if day, err := date.Parse(row.Key + "-01"); err == nil {
				_, m, _ := day.YMD()
				d.Report.Rows[i].Label = m.String() + " " + row.Key[:4]
			}
		}
	}
	d.Chart = occupancyChart(d.Report, d.Pct)
	d.Revenue = revenueChartOf(d.Report, wholeUnits(p.Style(), d.Report.Currency))
	d.CSV = reportCSVLink(c.Tenant.Slug, q)
	s.RenderPage(w, r, http.StatusOK, "reports", p)
	return nil
}

// reportOf runs the report a request asks for (API and CSV): the
// property of ?property_id= (or the only one) and the query's range.
func (s Handlers) reportOf(r *http.Request, c *web.Call) (reports.Report, error) {
	q, err := s.queryOf(r, c)
	if err != nil {
		return reports.Report{}, err
	}
	return reports.New(c.DB).Run(r.Context(), q)
}

func (s Handlers) apiReport(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rep, err := s.reportOf(r, c)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) reportCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rep, err := s.reportOf(r, c)
	if err != nil {
		return err
	}
	return reports.WriteCSV(w, rep, csvDownload(w, r, fmt.Sprintf("performance-%s-%s-%s.csv", rep.By, rep.From, rep.To)))
}

// vatData is the VAT report page.
type vatData struct {
	Report reports.VATReport
	CSV    string
	Export string // the accounting export of the same period
	DATEV  string // its DATEV variant, when the period lies in one calendar year
	Pct    func(int) string
}

// vatOf runs the VAT report a request asks for (API and CSV).
func (s Handlers) vatOf(r *http.Request, c *web.Call) (reports.VATReport, error) {
	p, err := s.periodOf(r, c)
	if err != nil {
		return reports.VATReport{}, err
	}
	return reports.New(c.DB).VAT(r.Context(), p)
}

func (s Handlers) vatPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "VAT report", "reports")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	st := p.Style()
	d := &vatData{Pct: func(bp int) string { return st.Number(int64(bp), 2) + " %" }}
	p.Data = d
	q, err := reportQuery(v, prop, s.Today(r, c, prop))
	p.Form = reportForm(v, q, "from", "to")
	if err == nil {
		d.Report, err = reports.New(c.DB).VAT(r.Context(), reports.Period{PropertyID: prop.ID, From: q.From, To: q.To})
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_vat", p)
		return nil
	}
	period := url.Values{"from": {q.From.String()}, "to": {q.To.String()}, "property_id": {prop.ID}}.Encode()
	d.CSV = "/" + c.Tenant.Slug + "/reports/vat.csv?" + period
	d.Export = "/" + c.Tenant.Slug + "/reports/ledger.csv?" + period
	first, _, _ := q.From.YMD()
	if last, _, _ := q.To.AddDays(-1).YMD(); first == last {
		d.DATEV = d.Export + "&format=datev"
	}
	s.RenderPage(w, r, http.StatusOK, "reports_vat", p)
	return nil
}

func (s Handlers) apiVAT(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rep, err := s.vatOf(r, c)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) vatCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rep, err := s.vatOf(r, c)
	if err != nil {
		return err
	}
	return reports.WriteVATCSV(w, rep, csvDownload(w, r, fmt.Sprintf("vat-%s-%s.csv", rep.From, rep.To)))
}

func (s Handlers) exportCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, err := s.periodOf(r, c)
	if err != nil {
		return err
	}
	// Checked before the first byte, so a bad period is a clean 400.
	if err := (reports.Query{PropertyID: p.PropertyID, From: p.From, To: p.To, By: reports.ByDay}).Validate(); err != nil {
		return err
	}
	switch f := r.URL.Query().Get("format"); f {
	case "":
		// The download's headers go out with its first byte, which
		// WriteExport writes only once its query has run: an error before
		// it is a clean error answer, not a file.
		d := &lazyDownload{ResponseWriter: w, r: r, filename: fmt.Sprintf("ledger-%s-%s.csv", p.From, p.To)}
		return reports.New(c.DB).WriteExport(r.Context(), d, p, wantsBOM(r))
	case "datev":
		return exportDATEV(w, r, c, p)
	default:
		return aura.Invalid("The accounting export has no such format.", aura.FieldError{Field: "format", Message: "Leave it out for the plain CSV, or ask for datev."})
	}
}

// exportDATEV answers ?format=datev: the export as a DATEV Buchungsstapel
// (reports.WriteDATEV), Windows-1252, named EXTF_… as DATEV's import
// expects. The file is built in memory first, so a setting DATEV cannot
// take is a clean 400, never half a file.
func exportDATEV(w http.ResponseWriter, r *http.Request, c *web.Call, p reports.Period) error {
	v := r.URL.Query()
	var o reports.DATEVOptions
	var fields []aura.FieldError
	number := func(name string, dst *int) {
		if s := strings.TrimSpace(v.Get(name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				fields = append(fields, aura.FieldError{Field: name, Message: "Give a whole number."})
			}
			*dst = n
		}
	}
	pairs := func(name string) map[string]string {
		out := map[string]string{}
		for _, kv := range strings.Split(v.Get(name), ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, ":")
			if !ok {
				fields = append(fields, aura.FieldError{Field: name, Message: fmt.Sprintf("Write %q as key:value.", kv)})
				continue
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		return out
	}
	number("consultant", &o.Consultant)
	number("client", &o.Client)
	number("account_length", &o.AccountLength)
	o.Accounts, o.TaxKeys = pairs("accounts"), pairs("tax_keys")
	if len(fields) > 0 {
		return aura.Invalid("The DATEV export cannot run with these settings.", fields...)
	}
	var b bytes.Buffer
	if err := reports.New(c.DB).WriteDATEV(r.Context(), &b, p, o); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=windows-1252")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="EXTF_Buchungsstapel_%s_%s.csv"`,
		strings.ReplaceAll(p.From.String(), "-", ""), strings.ReplaceAll(p.To.AddDays(-1).String(), "-", "")))
	w.Header().Set("Cache-Control", "private, no-store")
	_, err := w.Write(b.Bytes())
	return err
}

func (s Handlers) apiPaymentsReport(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, err := s.periodOf(r, c)
	if err != nil {
		return err
	}
	rep, err := reports.New(c.DB).Payments(r.Context(), p)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) paymentsCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, err := s.periodOf(r, c)
	if err != nil {
		return err
	}
	rep, err := reports.New(c.DB).Payments(r.Context(), p)
	if err != nil {
		return err
	}
	return reports.WritePaymentsCSV(w, rep, csvDownload(w, r, fmt.Sprintf("payments-%s-%s.csv", rep.From, rep.To)))
}

// paymentsData is the payments report page.
type paymentsData struct {
	Report reports.PaymentsReport
	CSV    string
}

func (s Handlers) paymentsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Payments report", "reports")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	d := &paymentsData{}
	p.Data = d
	q, err := reportQuery(v, prop, s.Today(r, c, prop))
	p.Form = reportForm(v, q, "from", "to")
	if err == nil {
		d.Report, err = reports.New(c.DB).Payments(r.Context(), reports.Period{PropertyID: prop.ID, From: q.From, To: q.To})
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_payments", p)
		return nil
	}
	d.CSV = "/" + c.Tenant.Slug + "/reports/payments.csv?" + url.Values{"from": {q.From.String()}, "to": {q.To.String()}, "property_id": {prop.ID}}.Encode()
	s.RenderPage(w, r, http.StatusOK, "reports_payments", p)
	return nil
}

func (s Handlers) apiAging(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := agingOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

// agingData is the receivables page.
type agingData struct {
	Report  reports.AgingReport
	Buckets []string
	Shown   bool
}

func (s Handlers) agingPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Receivables", "reports")
	if err != nil {
		return err
	}
	d := &agingData{Buckets: reports.AgingBuckets}
	p.Data = d
	today := s.Today(r, c, prop)
	asOf, err := web.QueryDate(r.URL.Query(), "as_of", today)
	p.Form = url.Values{"as_of": {asOf.String()}}
	if x := r.URL.Query().Get("as_of"); x != "" {
		p.Form.Set("as_of", x)
	}
	if err == nil {
		d.Report, err = reports.New(c.DB).Aging(r.Context(), prop.ID, asOf)
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_aging", p)
		return nil
	}
	d.Shown = true
	s.RenderPage(w, r, http.StatusOK, "reports_aging", p)
	return nil
}
