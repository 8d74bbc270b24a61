package pms

import (
	"net/http"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/reports"
)

// The report settings (issue 14): which rate plans are complimentary or
// house use, and whether the reports exclude them (reports.Exclusions).

// ReportSettingsRoutes are the rows of the report settings in the route
// table.
func (s Handlers) ReportSettingsRoutes() []web.Route {
	none := web.Iso()
	return []web.Route{
		{Method: "GET", Path: "/:tenant/reports/settings", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "reports_settings", Handle: s.reportSettingsPage},
		{Method: "POST", Path: "/:tenant/reports/settings", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "reports_settings", Handle: s.reportSettingsSave},
		{Method: "GET", Path: "/:tenant/api/v1/reports/settings", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiReportSettings},
		{Method: "PUT", Path: "/:tenant/api/v1/reports/settings", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: s.apiReportSettingsSet},
	}
}

// ReportSettingsAPIDocs documents the report settings API.
var ReportSettingsAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/reports/settings": {Summary: "How the reports treat complimentary and house-use rooms: the rate plans (by code) of each kind and whether each is excluded", Tag: "Reports",
		Query: []web.QueryParam{web.QProperty}, Response: reports.Exclusions{}},
	"PUT /:tenant/api/v1/reports/settings": {Summary: "Set how the reports treat complimentary rooms (excluded: not sold, still available) and house-use rooms (excluded: neither sold nor available); audited as a setting change", Tag: "Reports",
		Body: reports.Exclusions{}, Response: reports.Exclusions{}},
}

func (s Handlers) apiReportSettings(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, err := apiPropertyOf(r, c)
	if err != nil {
		return err
	}
	ex, err := reports.New(c.DB).GetExclusions(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ex)
}

func (s Handlers) apiReportSettingsSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in reports.Exclusions
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	pid, err := bodyPropertyID(r, c, in.PropertyID)
	if err != nil {
		return err
	}
	in.PropertyID = pid
	ex, err := reports.New(c.DB).SetExclusions(r.Context(), in)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ex)
}

// reportSettingsData is the report settings page.
type reportSettingsData struct {
	Plans    []inventory.RatePlan
	Ex       reports.Exclusions
	Class    map[string]string // plan code → "", "complimentary" or "house_use"
	CanWrite bool
}

func (s Handlers) renderReportSettings(w http.ResponseWriter, r *http.Request, c *web.Call, status int, ex *reports.Exclusions, ferr error) error {
	p, prop, err := s.PmsPage(w, r, c, "Report settings", "reports")
	if err != nil {
		return err
	}
	plans, err := inventory.New(c.DB).ListRatePlans(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	if ex == nil {
		got, err := reports.New(c.DB).GetExclusions(r.Context(), prop.ID)
		if err != nil {
			return err
		}
		ex = &got
	}
	d := &reportSettingsData{Plans: plans, Ex: *ex, Class: map[string]string{}, CanWrite: c.Can(identity.PermPropertiesWrite)}
	for _, code := range ex.ComplimentaryPlans {
		d.Class[code] = "complimentary"
	}
	for _, code := range ex.HouseUsePlans {
		d.Class[code] = "house_use"
	}
	p.Data = d
	if ferr != nil {
		p.FormFieldErrors(ferr, nil)
	}
	s.RenderPage(w, r, status, "reports_settings", p)
	return nil
}

func (s Handlers) reportSettingsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderReportSettings(w, r, c, http.StatusOK, nil, nil)
}

// reportSettingsSave reads one choice per rate plan (plan.CODE = "",
// "complimentary" or "house_use") and the two exclusion boxes.
func (s Handlers) reportSettingsSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	ex := reports.Exclusions{PropertyID: s.currentPropertyID(w, r, c), ComplimentaryPlans: []string{}, HouseUsePlans: []string{},
		ExcludeComplimentary: v.Get("exclude_complimentary") == "1", ExcludeHouseUse: v.Get("exclude_house_use") == "1"}
	var fe web.FormErrors
	for key := range v {
		code, ok := cutPrefix(key, "plan.")
		if !ok {
			continue
		}
		switch v.Get(key) {
		case "":
		case "complimentary":
			ex.ComplimentaryPlans = append(ex.ComplimentaryPlans, code)
		case "house_use":
			ex.HouseUsePlans = append(ex.HouseUsePlans, code)
		default:
			fe.Add(key, "Choose paying, complimentary or house use.")
		}
	}
	err := fe.Err("The report settings are not valid.")
	if err == nil {
		_, err = reports.New(c.DB).SetExclusions(r.Context(), ex)
	}
	if aura.ErrorCode(err) == aura.EINVALID {
		return s.renderReportSettings(w, r, c, http.StatusBadRequest, &ex, err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The report settings are saved.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/reports/settings", http.StatusSeeOther)
	return nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
