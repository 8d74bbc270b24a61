package pms

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/reports"
)

// The daily manager report and the on-the-books (pace) report (issue 14),
// each as a page, CSV and JSON.

// DailyRoutes are the rows of the daily and on-the-books reports and of
// the report settings in the route table.
func (s Handlers) DailyRoutes() []web.Route {
	none := web.Iso()
	return append([]web.Route{
		{Method: "GET", Path: "/:tenant/reports/daily", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_daily", Handle: s.dailyPage},
		{Method: "GET", Path: "/:tenant/reports/daily.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.dailyCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/daily", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiDaily},
		{Method: "GET", Path: "/:tenant/api/v1/reports/daily.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.dailyCSV},
		{Method: "GET", Path: "/:tenant/reports/pace", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_pace", Handle: s.pacePage},
		{Method: "GET", Path: "/:tenant/reports/pace.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.paceCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/pace", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiPace},
		{Method: "GET", Path: "/:tenant/api/v1/reports/pace.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.paceCSV},
		{Method: "GET", Path: "/:tenant/reports/receivables.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Handle: s.agingCSV},
		{Method: "GET", Path: "/:tenant/api/v1/reports/receivables.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.agingCSV},
	}, s.ReportSettingsRoutes()...)
}

var dailyQueryDocs = []web.QueryParam{web.QProperty,
	web.Q("date", "date", "The day (default: the last business date the night audit closed, whose nights are posted).")}

var paceQueryDocs = []web.QueryParam{web.QProperty,
	web.Q("from", "date", "The first night (default: the property's business date)."),
	web.Q("days", "integer", "How many nights ahead (default 365, at most 366)."),
	web.Q("by", "string", "Rows per day or month (default month).")}

// DailyAPIDocs documents the daily and on-the-books API in the OpenAPI
// document.
var DailyAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/reports/daily": {Summary: "The daily manager report: a day's occupancy, ADR, RevPAR and revenue against the same weekday last year (364 days earlier), the month to date against the same dates a year earlier, arrivals, departures, and the month's budget-less forecast (posted closed nights plus the frozen prices of the nights on the books)", Tag: "Reports",
		Query: dailyQueryDocs, Response: reports.DailyReport{}},
	"GET /:tenant/api/v1/reports/daily.csv": {Summary: "The daily manager report as CSV (columns in reports.DailyColumns); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(append([]web.QueryParam{}, dailyQueryDocs...), qBOM), ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/pace": {Summary: "On the books (pace): the nights ahead held by reservations and their frozen prices per day or month, with last year's same weekdays (on the books at the same lead time, finally sold, posted room revenue)", Tag: "Reports",
		Query: paceQueryDocs, Response: reports.PaceReport{}},
	"GET /:tenant/api/v1/reports/receivables.csv": {Summary: "The receivables (open balances aged 0–30, 31–60, 61–90 and over 90 days) as CSV (columns in reports.AgingColumns); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: []web.QueryParam{web.QProperty, web.Q("as_of", "date", "The date of the balances (default: the property's business date)."), qBOM}, ResponseMedia: []string{"text/csv"}},
	"GET /:tenant/api/v1/reports/pace.csv": {Summary: "The on-the-books report as CSV (columns in reports.PaceColumns); bom=1 puts a byte order mark first", Tag: "Reports",
		Query: append(append([]web.QueryParam{}, paceQueryDocs...), qBOM), ResponseMedia: []string{"text/csv"}},
}

// dailyOf runs the daily report of a request's ?date= for property p
// whose business date is today.
func dailyOf(r *http.Request, c *web.Call, p inventory.Property, today date.Date) (reports.DailyReport, error) {
	d, err := web.QueryDate(r.URL.Query(), "date", today.AddDays(-1))
	if err != nil {
		return reports.DailyReport{}, err
	}
	return reports.New(c.DB).Daily(r.Context(), p.ID, d, today)
}

func (s Handlers) apiDaily(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := dailyOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) dailyCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := dailyOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return reports.WriteDailyCSV(w, rep, csvDownload(w, r, fmt.Sprintf("daily-%s.csv", rep.Date)))
}

// dailyData is the daily manager report page.
type dailyData struct {
	Report   reports.DailyReport
	Measures []dailyMeasure
	CSV      string
	Month    string
	// Occupancy of the day, of last year's and of the month's forecast.
	Occupancy, OccupancyLY, ForecastOcc string
}

// dailyMeasure is one row of the daily page: a measure in the four
// columns, and the change of the day against last year.
type dailyMeasure struct {
	Label  string
	Values [4]string
	Change string // "+12,5 %" or ""
}

func (s Handlers) dailyPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Daily report", "reports")
	if err != nil {
		return err
	}
	d := &dailyData{}
	p.Data = d
	today := s.Today(r, c, prop)
	rep, err := dailyOf(r, c, prop, today)
	p.Form = url.Values{"date": {rep.Date.String()}}
	if x := r.URL.Query().Get("date"); x != "" {
		p.Form.Set("date", x)
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_daily", p)
		return nil
	}
	d.Report = rep
	st := p.Style()
	pct := func(bp int64) string { return st.Number(bp, 2) + " %" }
	change := func(now, then int64) string {
		if then == 0 {
			return ""
		}
		ch := (now - then) * 10000 / then
		sign := "+"
		if ch < 0 {
			sign = "−"
			ch = -ch
		}
		return sign + st.Number(ch, 2) + " %"
	}
	cols := [4]reports.Figures{rep.Day, rep.DayLastYear, rep.MonthToDate, rep.MonthToDateLY}
	for _, m := range []struct {
		label string
		of    func(reports.Figures) int64
		show  func(int64) string
	}{
		{"Rooms sold", func(f reports.Figures) int64 { return f.Sold }, func(v int64) string { return strconv.FormatInt(v, 10) }},
		{"Rooms available", func(f reports.Figures) int64 { return f.Available }, func(v int64) string { return strconv.FormatInt(v, 10) }},
		{"Occupancy", func(f reports.Figures) int64 { return f.Occupancy }, pct},
		{"ADR (net)", func(f reports.Figures) int64 { return f.ADR.Net }, p.Amount},
		{"RevPAR (net)", func(f reports.Figures) int64 { return f.RevPAR.Net }, p.Amount},
		{"Room revenue (net)", func(f reports.Figures) int64 { return f.Room.Net }, p.Amount},
		{"Total revenue (net)", func(f reports.Figures) int64 { return f.Total.Net }, p.Amount},
		{"Total revenue (gross)", func(f reports.Figures) int64 { return f.Total.Gross }, p.Amount},
	} {
		row := dailyMeasure{Label: m.label, Change: change(m.of(cols[0]), m.of(cols[1]))}
		for i, f := range cols {
			row.Values[i] = m.show(m.of(f))
		}
		d.Measures = append(d.Measures, row)
	}
	d.Month = monthLabel(rep.Date.String()[:7])
	d.Occupancy, d.OccupancyLY, d.ForecastOcc = pct(rep.Day.Occupancy), pct(rep.DayLastYear.Occupancy), pct(rep.Forecast.Occupancy)
	d.CSV = "/" + c.Tenant.Slug + "/reports/daily.csv?" + url.Values{"date": {rep.Date.String()}, "property_id": {prop.ID}}.Encode()
	s.RenderPage(w, r, http.StatusOK, "reports_daily", p)
	return nil
}

// paceOf runs the on-the-books report a request asks for.
func paceOf(r *http.Request, c *web.Call, p inventory.Property, today date.Date) (reports.PaceReport, error) {
	v := r.URL.Query()
	q := reports.PaceQuery{PropertyID: p.ID, By: strings.TrimSpace(v.Get("by"))}
	var err error
	if q.From, err = web.QueryDate(v, "from", today); err != nil {
		return reports.PaceReport{}, err
	}
	if x := strings.TrimSpace(v.Get("days")); x != "" {
		if q.Days, err = strconv.Atoi(x); err != nil || q.Days < 1 {
			return reports.PaceReport{}, aura.Invalid("The number of nights is not valid.", aura.FieldError{Field: "days", Message: "Give a whole number of nights, 1 to 366."})
		}
	}
	return reports.New(c.DB).Pace(r.Context(), q, today)
}

func (s Handlers) apiPace(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := paceOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) paceCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := paceOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return reports.WritePaceCSV(w, rep, csvDownload(w, r, fmt.Sprintf("pace-%s-%s-%d.csv", rep.By, rep.From, rep.Days)))
}

// paceData is the on-the-books page.
type paceData struct {
	Report reports.PaceReport
	Labels map[string]string
	Chart  *paceChartData
	CSV    string
	Pct    func(int64) string
}

// paceChartData is the on-the-books chart: a bar per row (occupancy on
// the books) with a tick at last year's final occupancy.
type paceChartData struct {
	Width, Height int
	Bars          []paceBar
	Grid          []reportGrid
}

type paceBar struct {
	reportBar
	TickY, TickX2 int
}

func (s Handlers) pacePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "On the books", "reports")
	if err != nil {
		return err
	}
	st := p.Style()
	d := &paceData{Labels: map[string]string{}, Pct: func(bp int64) string { return st.Number(bp, 2) + " %" }}
	p.Data = d
	today := s.Today(r, c, prop)
	rep, err := paceOf(r, c, prop, today)
	v := r.URL.Query()
	p.Form = url.Values{"from": {rep.From.String()}, "days": {strconv.Itoa(rep.Days)}, "by": {rep.By}}
	for _, k := range []string{"from", "days", "by"} {
		if x := v.Get(k); x != "" {
			p.Form.Set(k, x)
		}
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_pace", p)
		return nil
	}
	d.Report = rep
	for _, row := range rep.Rows {
		if rep.By == reports.ByMonth {
			d.Labels[row.Key] = monthLabel(row.Key)
		} else if day, err := date.Parse(row.Key); err == nil {
			d.Labels[row.Key] = p.Day(day)
		}
	}
	d.Chart = paceChart(rep, d.Labels, d.Pct)
	d.CSV = "/" + c.Tenant.Slug + "/reports/pace.csv?" + url.Values{"from": {rep.From.String()}, "days": {strconv.Itoa(rep.Days)}, "by": {rep.By}, "property_id": {prop.ID}}.Encode()
	s.RenderPage(w, r, http.StatusOK, "reports_pace", p)
	return nil
}

// paceChart draws the occupancy on the books per row as bars and last
// year's final occupancy of the same nights as a tick on each bar.
func paceChart(rep reports.PaceReport, labels map[string]string, pct func(int64) string) *paceChartData {
	if len(rep.Rows) == 0 {
		return nil
	}
	l := layoutChart(len(rep.Rows))
	c := &paceChartData{Width: l.width(), Height: chartHeight, Grid: l.grid()}
	for i, r := range rep.Rows {
		ly := int64(0)
		if r.Available > 0 {
			ly = min(10000, 10000*r.LastYear.Final/r.Available)
		}
		b := paceBar{reportBar: l.bar(i, r.Occupancy, fmt.Sprintf("%s: %s on the books, last year %s", labels[r.Key], pct(r.Occupancy), pct(ly)))}
		b.TickY, b.TickX2 = l.y(ly), b.X+b.W
		if l.labelled(i) {
			b.Label = r.Key[5:]
			if rep.By == reports.ByMonth {
				b.Label = labels[r.Key][:3]
			}
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// agingOf runs the receivables report of a request's ?as_of= (by default
// today, the business date) for property p.
func agingOf(r *http.Request, c *web.Call, p inventory.Property, today date.Date) (reports.AgingReport, error) {
	asOf, err := web.QueryDate(r.URL.Query(), "as_of", today)
	if err != nil {
		return reports.AgingReport{}, err
	}
	return reports.New(c.DB).Aging(r.Context(), p.ID, asOf)
}

func (s Handlers) agingCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	rep, err := agingOf(r, c, prop, today)
	if err != nil {
		return err
	}
	return reports.WriteAgingCSV(w, rep, csvDownload(w, r, fmt.Sprintf("receivables-%s.csv", rep.AsOf)))
}
