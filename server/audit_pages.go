package server

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
)

// auditView is one audit row as the audit pages show it.
type auditView struct {
	Seq           int64
	At            time.Time
	Source        string // the tenant slug, or "platform" (platform audit page)
	ActorKind     string
	Actor         string
	ActorRaw      bool // the actor is shown by id (no name known here), as code
	Impersonation string
	Action        string
	EntityType    string
	EntityID      string
	Changes       []change
	RequestID     string
	IP            string
}

type change struct {
	Field  string
	Before string
	After  string
}

// auditFilter is a filter read from the query string of an audit page.
type auditFilter struct {
	audit.Filter
	Query url.Values // the filter as given, to fill the form and build links
}

const auditPageSize = 50

// parseAuditFilter reads actor, action, from, to (dates, inclusive) and a
// cursor from q. It returns EINVALID naming a bad field.
func parseAuditFilter(q url.Values) (auditFilter, error) {
	f := auditFilter{Query: url.Values{}}
	for _, k := range []string{"actor", "action", "from", "to", "source"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			f.Query.Set(k, v)
		}
	}
	f.ActorID, f.Action = f.Query.Get("actor"), f.Query.Get("action")
	if len(f.Action) > 100 || len(f.ActorID) > 100 {
		return f, aura.Invalid("The filter is too long.", aura.FieldError{Field: "action", Message: "at most 100 characters"})
	}
	for _, k := range []string{"from", "to"} {
		v := f.Query.Get(k)
		if v == "" {
			continue
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return f, aura.Invalid("Dates are written YYYY-MM-DD.", aura.FieldError{Field: k, Message: "use YYYY-MM-DD"})
		}
		if k == "from" {
			f.From = d.Format(audit.TimeFormat)
		} else {
			f.To = d.AddDate(0, 0, 1).Format(audit.TimeFormat)
		}
	}
	if c := q.Get("cursor"); c != "" {
		at, seq, ok := strings.Cut(c, "|")
		n, err := strconv.ParseInt(strings.SplitN(seq, "|", 2)[0], 10, 64)
		if !ok || err != nil || len(at) != len(audit.TimeFormat) {
			return f, aura.Invalid("The page cursor is not valid; start from the first page.", aura.FieldError{Field: "cursor", Message: "not valid"})
		}
		f.BeforeAt, f.BeforeSeq = at, n
		f.Query.Set("cursor", c)
	}
	f.Limit = auditPageSize
	return f, nil
}

// changesOf compares the before and after JSON of a row field by field.
func changesOf(before, after string) []change {
	var b, a map[string]any
	json.Unmarshal([]byte(before), &b)
	json.Unmarshal([]byte(after), &a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []change
	for _, k := range names {
		bv, bok := b[k]
		av, aok := a[k]
		bs, as := showValue(bv, bok), showValue(av, aok)
		if bok && aok && bs == as {
			continue
		}
		out = append(out, change{Field: k, Before: bs, After: as})
	}
	return out
}

func showValue(v any, ok bool) string {
	if !ok || v == nil {
		return ""
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
		if strings.HasPrefix(s, "sealed:v1:") {
			s = "(sealed)"
		}
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if len(s) > 160 {
		s = s[:157] + "…"
	}
	return s
}

func viewOf(r audit.Row, source string, users, staff map[string]string) auditView {
	at, _ := time.Parse(audit.TimeFormat, r.At)
	_, known := users[r.ActorID]
	raw := r.ActorKind == aura.ActorUser && !known && r.ActorID != "anonymous" || r.ActorKind == aura.ActorToken
	return auditView{Seq: r.Seq, At: at, Source: source, ActorKind: r.ActorKind, Actor: web.ActorLabel(r.ActorKind, r.ActorID, r.ActorName, users, staff), ActorRaw: raw,
		Impersonation: r.Impersonation, Action: r.Action, EntityType: r.EntityType, EntityID: r.EntityID,
		Changes: changesOf(r.Before.String, r.After.String), RequestID: r.RequestID, IP: r.IP}
}

func (s handlers) tenantAuditViews(r *http.Request, c *web.Call, rows []audit.Row) ([]auditView, error) {
	users, err := identity.New(c.DB).UserLabels(r.Context())
	if err != nil {
		return nil, err
	}
	staff, err := s.Cfg.Platform.StaffLabels(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]auditView, len(rows))
	for i, row := range rows {
		out[i] = viewOf(row, c.Tenant.Slug, users, staff)
	}
	return out, nil
}

type auditData struct {
	Rows    []auditView
	History []pms.HistoryItem // the rows of the page, told for people
	Actors  []web.Option
	Sources []web.Option
	Next    string
	First   string
	// Export is the filter the export form posts (hidden fields): an
	// export writes an audit row, so it is a POST, never a link.
	Export []hiddenField
}

// hiddenField is a name and value a form carries unseen.
type hiddenField struct{ Name, Value string }

func cursorOf(v auditView, source string) string {
	c := v.At.UTC().Format(audit.TimeFormat) + "|" + strconv.FormatInt(v.Seq, 10)
	if source != "" {
		c += "|" + source
	}
	return c
}

func (s handlers) auditPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Audit log", "audit")
	d := &auditData{}
	p.Data = d
	base := web.TenantPath(c.Tenant.Slug) + "audit"
	d.First = base
	users, err := identity.New(c.DB).Users(r.Context())
	if err != nil {
		return err
	}
	for _, u := range users {
		d.Actors = append(d.Actors, web.Option{Value: u.ID, Label: u.Label()})
	}
	f, err := parseAuditFilter(r.URL.Query())
	p.Form = f.Query
	if err != nil {
		p.WithFormError(err)
		s.RenderPage(w, r, http.StatusBadRequest, "audit", p)
		return nil
	}
	f.Limit = auditPageSize + 1
	f.BySeq = true
	rows, err := c.DB.AuditLog(r.Context(), f.Filter)
	if err != nil {
		return err
	}
	if d.Rows, err = s.tenantAuditViews(r, c, rows); err != nil {
		return err
	}
	if d.History, err = pms.New(s.Server).History(r, c, p, rows[:min(len(rows), auditPageSize)]); err != nil {
		return err
	}
	if len(d.Rows) > auditPageSize {
		d.Rows = d.Rows[:auditPageSize]
		q := cloneValues(f.Query)
		q.Set("cursor", cursorOf(d.Rows[len(d.Rows)-1], ""))
		d.Next = base + "?" + q.Encode()
	}
	for _, k := range []string{"actor", "action", "from", "to"} {
		if v := f.Query.Get(k); v != "" {
			d.Export = append(d.Export, hiddenField{Name: k, Value: v})
		}
	}
	s.RenderPage(w, r, http.StatusOK, "audit", p)
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// auditExportMax bounds one CSV export.
const auditExportMax = 100_000

// csvSafe stops a spreadsheet from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditExport answers the export form (a POST: it writes an audit row,
// audit.exported) with the CSV of the rows its filter selects.
func (s handlers) auditExport(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f, err := parseAuditFilter(r.PostForm)
	if err != nil {
		return err
	}
	f.BeforeAt, f.BeforeSeq, f.BySeq = "", 0, true
	users, err := identity.New(c.DB).UserLabels(ctx)
	if err != nil {
		return err
	}
	staff, err := s.Cfg.Platform.StaffLabels(ctx)
	if err != nil {
		return err
	}
	var all []audit.Row
	for len(all) < auditExportMax {
		f.Limit = 1000
		rows, err := c.DB.AuditLog(ctx, f.Filter)
		if err != nil {
			return err
		}
		all = append(all, rows...)
		if len(rows) < f.Limit {
			break
		}
		f.BeforeSeq = rows[len(rows)-1].Seq
	}
	if err := c.DB.RecordAuditExport(ctx, f.Filter, len(all)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s-%s.csv"`, c.Tenant.Slug, s.Cfg.Now().UTC().Format("20060102-150405")))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "epoch", "at", "actor_kind", "actor_id", "actor", "impersonation", "action", "entity_type", "entity_id",
		"before", "after", "request_id", "ip", "user_agent", "hash"})
	for _, row := range all {
		rec := []string{strconv.FormatInt(row.Seq, 10), strconv.FormatInt(row.Epoch, 10), row.At, row.ActorKind, row.ActorID,
			web.ActorLabel(row.ActorKind, row.ActorID, row.ActorName, users, staff), row.Impersonation, row.Action, row.EntityType, row.EntityID,
			row.Before.String, row.After.String, row.RequestID, row.IP, row.UserAgent, hex.EncodeToString(row.Hash)}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
