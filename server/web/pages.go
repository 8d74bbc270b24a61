package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds every page template, each parsed with the one layout at
// start-up, and the versions of the static files.
type pages struct {
	tmpl    map[string]*template.Template
	static  map[string][]byte
	version map[string]string
}

func (p *pages) has(name string) bool { _, ok := p.tmpl[name]; return ok }

// LoadPages parses templates/layout.html with each other template; it
// fails on any template that does not parse, so a broken page stops the
// server at start-up, not at the first click.
func LoadPages() (*pages, error) {
	p := &pages{tmpl: map[string]*template.Template{}, static: map[string][]byte{}, version: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "static/")
		sum := sha256.Sum256(b)
		p.static[rel], p.version[rel] = b, hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"static": func(name string) (string, error) {
			v, ok := p.version[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return "/static/" + name + "?v=" + v, nil
		},
		"when":      fmtWhen,
		"lag":       lagWords,
		"date":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"roleLabel": identity.RoleLabel,
		"roles":     func() []string { return identity.Roles },
		"perms":     func() []identity.PermissionRow { return identity.PermissionTable },
		"rolePerms": identity.RolePermissions,
		"lower":     strings.ToLower,
		"join":      func(sep string, v any) string { return joinAny(sep, v) },
		"contains":  func(list []identity.Permission, p identity.Permission) bool { return containsPerm(list, p) },
		"add":       func(a, b int) int { return a + b },
		"delta":     func(from, to int64) string { return fmt.Sprintf("%+d", to-from) },
		"chosen": func(list []string, p identity.Permission) bool {
			for _, v := range list {
				if v == string(p) {
					return true
				}
			}
			return false
		},
		"field": func(p *Page, name, label, typ, auto, hint string) fieldSpec {
			return fieldSpec{P: p, Name: name, Label: label, Type: typ, Auto: auto, Hint: hint}
		},
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}
	// Files named _*.html hold shared partials ({{define}} blocks only),
	// parsed with the layout into every page.
	for k, f := range extraFuncs {
		funcs[k] = f
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("server: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("server: parse page %s: %w", n, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("server: page %s defines no \"content\" template", n)
		}
		p.tmpl[base] = t
	}
	for _, need := range []string{"error", "home"} {
		if !p.has(need) {
			return nil, fmt.Errorf("server: the %q page template is missing", need)
		}
	}
	return p, nil
}

func joinAny(sep string, v any) string {
	switch l := v.(type) {
	case []identity.Permission:
		s := make([]string, len(l))
		for i, p := range l {
			s[i] = string(p)
		}
		return strings.Join(s, sep)
	case []string:
		return strings.Join(l, sep)
	}
	return fmt.Sprint(v)
}

func containsPerm(list []identity.Permission, p identity.Permission) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

// fmtWhen shows an instant for operators: "2 May 2026, 09:05 UTC"; zero is "—".
func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// fieldSpec describes one labelled input for the "input" template.
type fieldSpec struct {
	P                             *Page
	Name, Label, Type, Auto, Hint string
}

// navItem is one entry of the left navigation.
type navItem struct {
	Key   string
	Label string
	Href  string
	Group string
}

// Page is everything a page template sees.
type Page struct {
	Title        string
	Chrome       bool // the app layout (top bar and navigation) rather than a bare card
	Print        bool // a document for paper (registration card, printed lists): no chrome
	CanSearch    bool // the top bar's search (reservations.read)
	Platform     bool // the /platform staff area
	Slug         string
	TenantName   string
	User         *identity.User
	Staff        *platform.Staff
	Imp          *platform.Impersonation
	StaffEmail   string
	Nav          []navItem
	Active       string
	Flash        *Flash
	Error        string
	Errors       map[string]string
	Form         url.Values
	IdemKey      string
	BusinessDate string               // the business date of the page's property, in words
	CalendarDate string               // the calendar date there, when it differs from the business date
	Property     *inventory.Property  // the property the page is about (nil before the first is set up)
	Properties   []inventory.Property // the tenant's properties, for the switcher
	RequestID    string
	Data         any
}

// Err returns the inline error of a form field.
func (p *Page) Err(field string) string { return p.Errors[field] }

// Val returns the submitted value of a form field, to fill the form again.
func (p *Page) Val(field string) string { return p.Form.Get(field) }

// Who is how the top bar names the signed-in person.
func (p *Page) Who() string {
	switch {
	case p.Imp != nil:
		return p.StaffEmail + " (Aura staff)"
	case p.User != nil && p.User.Name != "":
		return p.User.Name
	case p.User != nil:
		return p.User.Email
	case p.Staff != nil:
		return p.Staff.Email
	}
	return ""
}

// WithFormError puts err on the page: field errors inline, the message on
// top. Errors other than EINVALID are returned for the error page.
func (p *Page) WithFormError(err error) error {
	p.Error = aura.ErrorMessage(err)
	p.Errors = map[string]string{}
	for _, f := range aura.ErrorFields(err) {
		p.Errors[f.Field] = f.Message
	}
	return nil
}

// TenantPage starts a page of the tenant area for the call, with the
// navigation the caller's permissions allow.
func (s *Server) TenantPage(w http.ResponseWriter, r *http.Request, c *Call, title, active string) *Page {
	p := &Page{Title: title, Chrome: true, Slug: c.Tenant.Slug, TenantName: c.Tenant.Name, Active: active,
		Flash: s.takeFlash(w, r), IdemKey: credential.RandomString(22), Form: url.Values{}, Errors: map[string]string{},
		BusinessDate: s.Cfg.Now().UTC().Format("Mon 2 Jan 2006")}
	if c.User.ID != "" {
		u := c.User
		p.User = &u
	}
	if c.Imp != nil {
		p.Imp, p.StaffEmail = c.Imp, c.Staff.Email
	}
	p.Property, p.Properties = s.PropertyContext(w, r, c)
	p.CanSearch = c.Can(identity.PermReservationsRead)
	if p.Property != nil {
		if bd, err := frontdesk.New(c.DB).BusinessDate(r.Context(), p.Property.ID); err == nil {
			p.BusinessDate = p.Day(bd.Date)
			if bd.CalendarDate != bd.Date {
				p.CalendarDate = p.Day(bd.CalendarDate)
			}
		}
	}
	base := TenantPath(c.Tenant.Slug)
	if !HousekeepingOnly(c) {
		p.Nav = append(p.Nav, navItem{Key: "dashboard", Label: "Dashboard", Href: base})
	}
	// Reports join the PMS items as they land.
	p.Nav = append(p.Nav, pmsNav(c, base)...)
	if c.Can(identity.PermUsersRead) {
		p.Nav = append(p.Nav, navItem{Key: "users", Label: "Users", Href: base + "users", Group: "Settings"})
	}
	if c.Can(identity.PermTokensRead) {
		p.Nav = append(p.Nav, navItem{Key: "tokens", Label: "API tokens", Href: base + "tokens", Group: "Settings"})
	}
	if c.Can(identity.PermAuditRead) {
		p.Nav = append(p.Nav, navItem{Key: "audit", Label: "Audit log", Href: base + "audit", Group: "Settings"})
	}
	p.Nav = withSettingsFirst(p.Nav, pmsSettingsNav(c, base))
	return p
}

// PlatformPage starts a page of the staff area.
func (s *Server) PlatformPage(w http.ResponseWriter, r *http.Request, c *Call, title, active string) *Page {
	p := &Page{Title: title, Chrome: true, Platform: true, TenantName: "Aura platform", Active: active,
		Flash: s.takeFlash(w, r), IdemKey: credential.RandomString(22), Form: url.Values{}, Errors: map[string]string{}}
	if c.Staff.ID != "" {
		st := c.Staff
		p.Staff = &st
	}
	p.Nav = []navItem{{Key: "tenants", Label: "Tenants", Href: "/platform/tenants"}, {Key: "backups", Label: "Backups", Href: "/platform/backups"}, {Key: "audit", Label: "Audit", Href: "/platform/audit"}}
	return p
}

// BarePage starts a page without the app chrome (sign-in, errors).
func (s *Server) BarePage(w http.ResponseWriter, r *http.Request, title string) *Page {
	return &Page{Title: title, Flash: s.takeFlash(w, r), IdemKey: credential.RandomString(22), Form: url.Values{}, Errors: map[string]string{}}
}

// RenderPage executes a page into a buffer and writes it with status, so
// a template failure becomes a clean error page, never half a page.
func (s *Server) RenderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := s.Pages.tmpl[name]
	if !ok {
		s.Logger(r).Error("missing page template", "page", name)
		t, status = s.Pages.tmpl["error"], http.StatusInternalServerError
		p = &Page{Title: "Something went wrong", Data: errorPage{Status: status, Title: "Something went wrong", Message: "An internal error occurred."}}
	}
	p.RequestID = state(r).id
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.Logger(r).Error("render page", "page", name, "err", err)
		buf.Reset()
		status = http.StatusInternalServerError
		s.Pages.tmpl["error"].ExecuteTemplate(&buf, "layout.html", &Page{Title: "Something went wrong", RequestID: p.RequestID,
			Data: errorPage{Status: status, Title: "Something went wrong", Message: "An internal error occurred. Quote reference " + p.RequestID + "."}})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// static serves the embedded assets; versioned URLs are cached for a year.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	b, ok := s.Pages.static[name]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		s.RenderError(w, r, false, ErrNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	if r.URL.Query().Get("v") == s.Pages.version[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(b)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.RenderError(w, r, false, ErrNotFound)
		return
	}
	s.RenderPage(w, r, http.StatusOK, "home", s.BarePage(w, r, "Aura"))
}

type Option struct {
	Value string
	Label string
}

// extraFuncs are template functions the handler packages add (see
// addTemplateFuncs), so page code need not know their types.
var extraFuncs = map[string]any{}

// AddTemplateFuncs adds template functions to every page; handler packages
// call it from init, before any server parses its templates.
func AddTemplateFuncs(m map[string]any) {
	for k, f := range m {
		extraFuncs[k] = f
	}
}

// ActorLabel names an actor for people.
func ActorLabel(kind, id, name string, users, staff map[string]string) string {
	switch kind {
	case aura.ActorUser:
		if id == "anonymous" {
			return "Not signed in"
		}
		if l, ok := users[id]; ok {
			return l
		}
	case aura.ActorToken:
		owner := users[name]
		if owner == "" {
			owner = name
		}
		return "API token " + id + " of " + owner
	case aura.ActorStaff:
		if l, ok := staff[id]; ok {
			return "Aura staff " + l
		}
		return "Aura staff " + id
	case aura.ActorSystem:
		return "System (" + id + ")"
	}
	return kind + ":" + id
}

func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Itoa(n) + " " + many
}

func Itoa(n int) string { return strconv.Itoa(n) }
