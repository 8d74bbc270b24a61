package pms

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/reports"
)

// The city-tax report (issue 14): taxable and exempt nights and the
// amount owed to the city per month of a period, as a page, CSV and JSON.

// cityTaxData is the city-tax report page.
type cityTaxData struct {
	Report  reports.CityTaxReport
	Reasons []cityTaxReason
	CSV     string
	Months  map[string]string // month key → "January 2027"
}

type cityTaxReason struct{ Key, Label string }

var cityTaxReasonLabels = []cityTaxReason{
	{reports.ExemptChildren, "Children"},
	{reports.ExemptLengthOfStay, "Length of stay"},
	{reports.ExemptNotLevied, "Not levied"},
	{reports.ExemptOther, "Other"},
}

func (s Handlers) cityTaxPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "City tax", "reports")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	d := &cityTaxData{Reasons: cityTaxReasonLabels, Months: map[string]string{}}
	p.Data = d
	q, err := reportQuery(v, prop, s.Today(r, c, prop))
	p.Form = reportForm(v, q, "from", "to")
	if err == nil {
		d.Report, err = reports.New(c.DB).CityTax(r.Context(), reports.Period{PropertyID: prop.ID, From: q.From, To: q.To})
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "reports_citytax", p)
		return nil
	}
	for _, row := range d.Report.Rows {
		d.Months[row.Key] = monthLabel(row.Key)
	}
	d.CSV = "/" + c.Tenant.Slug + "/reports/city-tax.csv?" + url.Values{"from": {q.From.String()}, "to": {q.To.String()}, "property_id": {prop.ID}}.Encode()
	s.RenderPage(w, r, http.StatusOK, "reports_citytax", p)
	return nil
}

// monthLabel turns a month key (YYYY-MM) into "January 2027".
func monthLabel(key string) string {
	var y, m int
	if _, err := fmt.Sscanf(key, "%4d-%2d", &y, &m); err != nil || m < 1 || m > 12 {
		return key
	}
	return fmt.Sprintf("%s %d", [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}[m-1], y)
}

func (s Handlers) apiCityTax(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, err := s.periodOf(r, c)
	if err != nil {
		return err
	}
	rep, err := reports.New(c.DB).CityTax(r.Context(), p)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, rep)
}

func (s Handlers) cityTaxCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, err := s.periodOf(r, c)
	if err != nil {
		return err
	}
	rep, err := reports.New(c.DB).CityTax(r.Context(), p)
	if err != nil {
		return err
	}
	return reports.WriteCityTaxCSV(w, rep, csvDownload(w, r, fmt.Sprintf("city-tax-%s-%s.csv", rep.From, rep.To)))
}
