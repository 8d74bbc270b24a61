package pms

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/reports"
)

// Statements (issue 14): a channel's statement of a period, generated as
// an immutable numbered document (tenant/reports), listed, shown for
// print, as CSV and over the API.

// StatementRoutes are the rows of the statement pages and API in the route table.
func (s Handlers) StatementRoutes() []web.Route {
	none, stm := web.Iso(), web.Iso("id", "stm_aaaaaaaaaaaaaaaa")
	return []web.Route{
		{Method: "GET", Path: "/:tenant/reports/statements", Access: web.Session, Perm: identity.PermReportsRead, Isolation: none, Page: "statements", Handle: s.statementsPage},
		{Method: "POST", Path: "/:tenant/reports/statements", Access: web.Session, Perm: identity.PermStatementsWrite, Isolation: none, Page: "statements", Handle: s.statementGenerate},
		{Method: "GET", Path: "/:tenant/reports/statements/:id", Access: web.Session, Perm: identity.PermReportsRead, Isolation: stm, Page: "statement", Handle: s.statementPage},
		{Method: "GET", Path: "/:tenant/reports/statements/:id/statement.csv", Access: web.Session, Perm: identity.PermReportsRead, Isolation: stm, Handle: s.statementCSV},
		{Method: "GET", Path: "/:tenant/api/v1/statements", Access: web.Token, Perm: identity.PermReportsRead, Isolation: none, Handle: s.apiStatements},
		{Method: "POST", Path: "/:tenant/api/v1/statements", Access: web.Token, Perm: identity.PermStatementsWrite, Isolation: none, Handle: s.apiStatementGenerate},
		{Method: "GET", Path: "/:tenant/api/v1/statements/:id", Access: web.Token, Perm: identity.PermReportsRead, Isolation: stm, Handle: s.apiStatement},
		{Method: "GET", Path: "/:tenant/api/v1/statements/:id/statement.csv", Access: web.Token, Perm: identity.PermReportsRead, Isolation: stm, Handle: s.statementCSV},
	}
}

// StatementAPIDocs documents the statement API in the OpenAPI document.
var StatementAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/statements": {Summary: "A property's generated statements, newest first (without their lines)", Tag: "Reports",
		Query: []web.QueryParam{web.QProperty}, Response: ApiData[reports.Statement]{}},
	"POST /:tenant/api/v1/statements": {Summary: "Generate a statement: kind ota (default), a channel's over a period of check-out dates (ST-YYYY-NNNNNN), or kind owner, an owner's over a period of nights (OS-YYYY-NNNNNN: revenue, commission, fees, payout); numbered per series, immutable, audited (statement.generated); the same statement again (same channel or owner, period and figures) answers 200 with the stored document and its number", Tag: "Reports",
		Body: reports.StatementInput{}, Response: reports.Statement{}, Status: 201},
	"GET /:tenant/api/v1/statements/:id":               {Summary: "A generated statement, as it was generated", Tag: "Reports", Response: reports.Statement{}},
	"GET /:tenant/api/v1/statements/:id/statement.csv": {Summary: "A statement as CSV (columns in reports.StatementColumns); bom=1 puts a byte order mark first", Tag: "Reports", Query: []web.QueryParam{qBOM}, ResponseMedia: []string{"text/csv"}},
}

// statementsData is the statements page: the generate form and the list.
type statementsData struct {
	Statements []reports.Statement
	Channels   []string
	Owners     []owners.Owner
	OwnerNames map[string]string
	CanWrite   bool
	// CanOwners: the caller may open the owners' pages (owners.read), so
	// the page links them.
	CanOwners bool
}

func (s Handlers) renderStatements(w http.ResponseWriter, r *http.Request, c *web.Call, status int, form url.Values, ferr error) error {
	p, prop, err := s.PmsPage(w, r, c, "Statements", "reports")
	if err != nil {
		return err
	}
	list, err := reports.New(c.DB).ListStatements(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	var channels []string
	rows, err := c.DB.SQL().Read.QueryContext(r.Context(), `SELECT DISTINCT source FROM bookings WHERE property_id = ? AND source != 'direct' ORDER BY source`, prop.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err == nil {
			channels = append(channels, ch)
		}
	}
	rows.Close()
	os, err := owners.New(c.DB).ListOwners(r.Context())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for i, o := range os {
		names[o.ID] = o.Name
		os[i] = owners.Owner{ID: o.ID, Name: o.Name} // the form needs no more of them
	}
	// The forms' defaults (last month, the first channel and owner), under
	// what a failed form sent.
	today := s.Today(r, c, prop)
	y, m, _ := today.YMD()
	ly, lm, _ := date.New(y, m, 1).AddDays(-1).YMD()
	from, to := date.New(ly, lm, 1).String(), date.New(y, m, 1).String()
	defaults := url.Values{"from": {from}, "to": {to}, "o_from": {from}, "o_to": {to}}
	if len(channels) > 0 {
		defaults.Set("channel", channels[0])
	}
	if o := r.URL.Query().Get("owner_id"); o != "" {
		defaults.Set("owner_id", o)
	} else if len(os) > 0 {
		defaults.Set("owner_id", os[0].ID)
	}
	if form == nil {
		form = url.Values{}
	}
	for k, v := range defaults {
		if _, sent := form[k]; !sent {
			form[k] = v
		}
	}
	p.Form = form
	if ferr != nil {
		rename := (func(string) string)(nil)
		if form.Get("kind") == reports.StatementKindOwner {
			// The owner form's period fields are o_from and o_to.
			rename = func(f string) string {
				if f == "from" || f == "to" {
					return "o_" + f
				}
				return f
			}
		}
		p.FormFieldErrors(ferr, rename)
	}
	p.Data = &statementsData{Statements: list, Channels: channels, Owners: os, OwnerNames: names, CanWrite: c.Can(identity.PermStatementsWrite),
		CanOwners: c.Can(identity.PermOwnersRead)}
	s.RenderPage(w, r, status, "statements", p)
	return nil
}

func (s Handlers) statementsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderStatements(w, r, c, http.StatusOK, nil, nil)
}

func (s Handlers) statementGenerate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	in := reports.StatementInput{PropertyID: s.currentPropertyID(w, r, c), Kind: v.Get("kind"), Channel: strings.TrimSpace(v.Get("channel"))}
	from, to := "from", "to"
	if in.Kind == reports.StatementKindOwner {
		// The owner form (on this page and on an owner's page).
		in.Channel, in.OwnerID, from, to = "", v.Get("owner_id"), "o_from", "o_to"
	}
	var fe web.FormErrors
	var err error
	if in.From, err = web.QueryDate(v, from, date.Date{}); err != nil {
		fe.Add("from", web.DateMessage(err))
	}
	if in.To, err = web.QueryDate(v, to, date.Date{}); err != nil {
		fe.Add("to", web.DateMessage(err))
	}
	err = fe.Err("The statement cannot be generated.")
	var st reports.Statement
	if err == nil {
		st, err = reports.New(c.DB).GenerateStatement(r.Context(), in)
	}
	if aura.ErrorCode(err) == aura.EINVALID {
		return s.renderStatements(w, r, c, http.StatusBadRequest, v, err)
	} else if err != nil {
		return err
	}
	if st.Existing {
		s.SetFlash(w, "ok", "Statement "+st.Number+" already has these figures; here it is.")
	} else {
		s.SetFlash(w, "ok", "Statement "+st.Number+" is generated.")
	}
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/reports/statements/"+st.ID, http.StatusSeeOther)
	return nil
}

// statementData is one statement's page.
type statementData struct {
	Statement reports.Statement
	Property  inventory.Property
	// Owner is the owner of an owner statement, read (unsealed) when the
	// page is shown: the stored statement holds only the owner's id.
	// Without owners.read its payout details are left out (an
	// accountant's statement shows the figures, not the owner's IBAN).
	Owner *owners.Owner
	// CanOwners: the caller may open the owner's page (owners.read).
	CanOwners bool
}

func (s Handlers) statementPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	st, err := reports.New(c.DB).GetStatement(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	prop, err := inventory.New(c.DB).GetProperty(r.Context(), st.PropertyID)
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Statement "+st.Number, "reports")
	p.Property = &prop
	d := &statementData{Statement: st, Property: prop, CanOwners: c.Can(identity.PermOwnersRead)}
	if st.OwnerID != "" {
		o, err := owners.New(c.DB).GetOwner(r.Context(), st.OwnerID)
		if err != nil {
			return err
		}
		if !d.CanOwners {
			o.Payout = ""
		}
		d.Owner = &o
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "statement", p)
	return nil
}

func (s Handlers) statementCSV(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	st, err := reports.New(c.DB).GetStatement(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, st.Number))
	w.Header().Set("Cache-Control", "private, no-store")
	bom := r.URL.Query().Get("bom")
	return reports.WriteStatementCSV(w, st, bom == "1" || bom == "true")
}

func (s Handlers) apiStatements(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, err := apiPropertyOf(r, c)
	if err != nil {
		return err
	}
	list, err := reports.New(c.DB).ListStatements(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ApiData[reports.Statement]{Data: list})
}

func (s Handlers) apiStatementGenerate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in reports.StatementInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	pid, err := bodyPropertyID(r, c, in.PropertyID)
	if err != nil {
		return err
	}
	in.PropertyID = pid
	st, err := reports.New(c.DB).GenerateStatement(r.Context(), in)
	if err != nil {
		return err
	}
	if st.Existing { // the same statement again: the stored document
		return writeAPI(w, http.StatusOK, st)
	}
	return writeAPI(w, http.StatusCreated, st)
}

func (s Handlers) apiStatement(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	st, err := reports.New(c.DB).GetStatement(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, st)
}
