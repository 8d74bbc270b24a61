package guestmail

import (
	"bytes"
	"context"
	"database/sql"
	htmltemplate "html/template"
	"sort"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Kinds of message.
const (
	KindConfirmation = "confirmation" // when a stay is booked
	KindPreArrival   = "pre_arrival"  // some days before arrival
	KindCancellation = "cancellation" // when a confirmed stay is cancelled
)

// Kinds lists the kinds of message in the order pages show them.
var Kinds = []string{KindConfirmation, KindPreArrival, KindCancellation}

// KindName names a kind of message for people.
func KindName(kind string) string {
	switch kind {
	case KindConfirmation:
		return "Booking confirmation"
	case KindPreArrival:
		return "Before arrival"
	case KindCancellation:
		return "Cancellation"
	}
	return kind
}

// Languages are the languages with built-in wording; a property may add
// templates in any other language tag.
var Languages = []string{"en", "de"}

// Data is what a template sees: the recipient's name (Guest: the guest who
// stays, or the booker who booked the stay for them), the property's
// details and the stay (with the name of the guest who stays). It has no field for card data or anything else of the
// folio but the stay's total.
type Data struct {
	Guest    GuestData
	Property PropertyData
	Stay     StayData
}

// GuestData is the guest as a template sees it.
type GuestData struct{ Name, GivenName, FamilyName string }

// PropertyData is the property as a template sees it.
type PropertyData struct {
	Name         string
	Address      string // on one line: "Seestraße 1, 82319 Starnberg, DE"
	CheckInTime  string // HH:MM
	CheckOutTime string
}

// StayData is the stay as a template sees it; dates and money are
// written as the property's country writes them.
type StayData struct {
	Reference string // the reservation's id
	Guest     string // the name of the guest who stays (the recipient may be the booker)
	Arrival   string
	Departure string
	Dates     string // "14 Mar – Mon 16 Mar 2026"
	Nights    int
	Adults    int
	Children  int
	RoomType  string
	Total     string
}

// Template is the wording of one kind of message in one language:
// Subject and Text are Go text templates, HTML is a Go HTML template
// (values are escaped). Custom is false for the built-in wording.
type Template struct {
	PropertyID string `json:"property_id"`
	Kind       string `json:"kind"`
	Language   string `json:"language"`
	Subject    string `json:"subject"`
	Text       string `json:"body_text"`
	HTML       string `json:"body_html"`
	Custom     bool   `json:"custom"`
	Version    int    `json:"version,omitempty"`
}

// Rendered is a message written from a template.
type Rendered struct {
	Subject string `json:"subject"`
	Text    string `json:"body_text"`
	HTML    string `json:"body_html"`
}

// compiled holds a template's three parts parsed.
type compiled struct {
	subject, text *template.Template
	html          *htmltemplate.Template
}

// compile parses a template, naming each part's error as a field error.
func compile(t Template) (compiled, tenant.FieldErrors) {
	var c compiled
	var fe tenant.FieldErrors
	var err error
	if c.subject, err = template.New("subject").Option("missingkey=error").Parse(t.Subject); err != nil {
		fe.Add("subject", "%s", templateError(err))
	}
	if c.text, err = template.New("body_text").Option("missingkey=error").Parse(t.Text); err != nil {
		fe.Add("body_text", "%s", templateError(err))
	}
	if c.html, err = htmltemplate.New("body_html").Option("missingkey=error").Parse(t.HTML); err != nil {
		fe.Add("body_html", "%s", templateError(err))
	}
	return c, fe
}

// templateError shortens Go's template error for people: "line 3: …".
func templateError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	for _, name := range []string{"subject:", "body_text:", "body_html:"} {
		if strings.HasPrefix(msg, name) {
			msg = "line " + strings.TrimPrefix(msg, name)
		}
	}
	msg = strings.ReplaceAll(msg, `executing "subject" at `, "")
	msg = strings.ReplaceAll(msg, `executing "body_text" at `, "")
	msg = strings.ReplaceAll(msg, `executing "body_html" at `, "")
	return msg
}

// render executes a compiled template on d.
func (c compiled) render(d Data) (Rendered, tenant.FieldErrors) {
	var out Rendered
	var fe tenant.FieldErrors
	var b bytes.Buffer
	if err := c.subject.Execute(&b, d); err != nil {
		fe.Add("subject", "%s", templateError(err))
	}
	out.Subject = strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ").Replace(b.String()))
	b.Reset()
	if err := c.text.Execute(&b, d); err != nil {
		fe.Add("body_text", "%s", templateError(err))
	}
	out.Text = b.String()
	b.Reset()
	if err := c.html.Execute(&b, d); err != nil {
		fe.Add("body_html", "%s", templateError(err))
	}
	out.HTML = b.String()
	return out, fe
}

// validate checks a template's fields and that it renders on sample data.
func (t Template) validate() (compiled, error) {
	var fe tenant.FieldErrors
	if !isKind(t.Kind) {
		fe.Add("kind", "must be one of confirmation, pre_arrival, cancellation")
	}
	if !isLanguage(t.Language) {
		fe.Add("language", "must be a language tag such as de or en-GB")
	}
	if strings.TrimSpace(t.Subject) == "" || utf8.RuneCountInString(t.Subject) > 300 || strings.ContainsAny(t.Subject, "\r\n") {
		fe.Add("subject", "is required, one line of at most 300 characters")
	}
	if strings.TrimSpace(t.Text) == "" || len(t.Text) > 20000 || !utf8.ValidString(t.Text) {
		fe.Add("body_text", "is required, at most 20000 characters")
	}
	if len(t.HTML) > 50000 || !utf8.ValidString(t.HTML) {
		fe.Add("body_html", "must be at most 50000 characters")
	}
	if err := fe.Err("The template is not valid."); err != nil {
		return compiled{}, err
	}
	c, fe := compile(t)
	if err := fe.Err("The template does not parse."); err != nil {
		return c, err
	}
	if _, fe := c.render(SampleData()); len(fe) > 0 {
		return c, fe.Err("The template names something a message does not have; the fields are listed on the page.")
	}
	return c, nil
}

func isKind(k string) bool {
	return k == KindConfirmation || k == KindPreArrival || k == KindCancellation
}

// isLanguage accepts a BCP 47 tag of letters and digits: de, en-GB.
func isLanguage(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for i, part := range strings.Split(s, "-") {
		if len(part) < 2 || len(part) > 8 {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// normLanguage lower-cases a language tag: templates are keyed by it.
func normLanguage(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SampleData is the stay a template is previewed and checked on.
func SampleData() Data {
	return Data{
		Guest:    GuestData{Name: "Ana Example", GivenName: "Ana", FamilyName: "Example"},
		Property: PropertyData{Name: "Hotel Example", Address: "Seestraße 1, 82319 Starnberg, DE", CheckInTime: "15:00", CheckOutTime: "11:00"},
		Stay: StayData{Reference: "res_example", Guest: "Ana Example", Arrival: "Sat 14 Mar 2026", Departure: "Mon 16 Mar 2026", Dates: "14 Mar – Mon 16 Mar 2026",
			Nights: 2, Adults: 2, RoomType: "Double room", Total: "€ 240.00"},
	}
}

// Preview renders a template (saved or not) on the sample stay, or on
// the property's details when propertyID is set. It returns EINVALID
// naming the part that does not parse or render.
func (s Store) Preview(ctx context.Context, t Template) (Rendered, error) {
	c, err := t.validate()
	if err != nil {
		return Rendered{}, err
	}
	d := SampleData()
	if t.PropertyID != "" {
		p, err := inventory.New(s.DB).GetProperty(ctx, t.PropertyID)
		if err != nil {
			return Rendered{}, err
		}
		d.Property = propertyData(p)
	}
	out, fe := c.render(d)
	return out, fe.Err("The template does not render.")
}

// propertyData is a property as templates see it.
func propertyData(p inventory.Property) PropertyData {
	a := p.Address
	var parts []string
	for _, s := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.Region, a.Country} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return PropertyData{Name: p.Name, Address: strings.Join(parts, ", "), CheckInTime: p.CheckInTime, CheckOutTime: p.CheckOutTime}
}

// Settings is whether a property sends guest emails, and when.
type Settings struct {
	PropertyID string `json:"property_id"`
	Enabled    bool   `json:"enabled"`
	// EnabledAt is when sending was last turned on: only stays booked or
	// cancelled after it get messages.
	EnabledAt      string `json:"enabled_at,omitempty"`
	PreArrivalDays int    `json:"pre_arrival_days"` // 0: no pre-arrival message
	Version        int    `json:"version"`
}

// DefaultPreArrivalDays is the pre-arrival lead of a property that never
// set one.
const DefaultPreArrivalDays = 3

// GetSettings returns a property's settings (sending off until set). It
// returns ENOTFOUND for an unknown property.
func (s Store) GetSettings(ctx context.Context, propertyID string) (Settings, error) {
	var out Settings
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = settingsTx(tx, propertyID)
		return err
	})
	return out, err
}

func settingsTx(tx *tenant.Tx, propertyID string) (Settings, error) {
	out := Settings{PropertyID: propertyID, PreArrivalDays: DefaultPreArrivalDays}
	if _, err := inventory.GetProperty(tx, propertyID); err != nil {
		return out, err
	}
	var at sql.NullString
	err := tx.QueryRow(`SELECT enabled, enabled_at, pre_arrival_days, version FROM message_settings WHERE property_id = ?`, propertyID).
		Scan(&out.Enabled, &at, &out.PreArrivalDays, &out.Version)
	if err == sql.ErrNoRows {
		return out, nil
	}
	out.EnabledAt = at.String
	return out, err
}

// SetSettings turns sending on or off and sets the pre-arrival lead (0 to
// 60 days). Turning it on stamps EnabledAt. Audited
// ("guest_mail.settings_changed"). It returns EINVALID, ENOTFOUND, or
// EPRECONDITION when in.Version (when not zero) is not the stored one.
func (s Store) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	if in.PreArrivalDays < 0 || in.PreArrivalDays > 60 {
		return Settings{}, aura.Invalid("The settings are not valid.", aura.FieldError{Field: "pre_arrival_days", Message: "must be 0 to 60 days"})
	}
	var out Settings
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		cur, err := settingsTx(tx, in.PropertyID)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("message settings", in.PropertyID, cur.Version, in.Version); err != nil {
			return err
		}
		out = Settings{PropertyID: in.PropertyID, Enabled: in.Enabled, PreArrivalDays: in.PreArrivalDays, Version: cur.Version + 1}
		if in.Enabled {
			out.EnabledAt = cur.EnabledAt
			if !cur.Enabled || cur.EnabledAt == "" {
				out.EnabledAt = tenant.FormatTime(tx.Now)
			}
		}
		var at any
		if out.EnabledAt != "" {
			at = out.EnabledAt
		}
		if _, err := tx.Exec(`INSERT INTO message_settings (property_id, enabled, enabled_at, pre_arrival_days, version, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (property_id) DO UPDATE SET enabled = excluded.enabled, enabled_at = excluded.enabled_at,
			pre_arrival_days = excluded.pre_arrival_days, version = excluded.version, updated_at = excluded.updated_at`,
			out.PropertyID, out.Enabled, at, out.PreArrivalDays, out.Version, tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "guest_mail.settings_changed", EntityType: "property", EntityID: in.PropertyID, Before: cur, After: out})
	})
	return out, err
}

// Templates returns the wording of every kind in every language the
// property has (its own, and the built-in ones it has not replaced),
// sorted by kind and language.
func (s Store) Templates(ctx context.Context, propertyID string) ([]Template, error) {
	var out []Template
	err := s.View(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, propertyID); err != nil {
			return err
		}
		own, err := customTemplates(tx, propertyID)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, t := range own {
			seen[t.Kind+"/"+t.Language] = true
			out = append(out, t)
		}
		for _, k := range Kinds {
			for _, l := range Languages {
				if !seen[k+"/"+l] {
					t := builtin(k, l)
					t.PropertyID = propertyID
					out = append(out, t)
				}
			}
		}
		return nil
	})
	order := map[string]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return order[out[i].Kind] < order[out[j].Kind]
		}
		return out[i].Language < out[j].Language
	})
	return out, err
}

func customTemplates(tx *tenant.Tx, propertyID string) ([]Template, error) {
	rows, err := tx.Query(`SELECT kind, language, subject, body_text, body_html, version FROM message_templates WHERE property_id = ?
		ORDER BY kind, language`, propertyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Template
	for rows.Next() {
		t := Template{PropertyID: propertyID, Custom: true}
		if err := rows.Scan(&t.Kind, &t.Language, &t.Subject, &t.Text, &t.HTML, &t.Version); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetTemplate returns the wording a property uses for kind in language:
// its own, or the built-in one (Custom false). It returns EINVALID for an
// unknown kind or a bad language tag, ENOTFOUND for an unknown property.
func (s Store) GetTemplate(ctx context.Context, propertyID, kind, language string) (Template, error) {
	language = normLanguage(language)
	if !isKind(kind) || !isLanguage(language) {
		return Template{}, aura.Errorf(aura.EINVALID, "A template is named by a kind (confirmation, pre_arrival, cancellation) and a language tag such as de.")
	}
	var out Template
	err := s.View(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, propertyID); err != nil {
			return err
		}
		t, ok, err := templateTx(tx, propertyID, kind, language)
		out = t
		if err == nil && !ok {
			out = builtin(kind, language) // English wording for a language without built-in text, to start from
			out.PropertyID, out.Language = propertyID, language
		}
		return err
	})
	return out, err
}

// templateTx reads a property's own template of kind in language exactly.
func templateTx(tx *tenant.Tx, propertyID, kind, language string) (Template, bool, error) {
	t := Template{PropertyID: propertyID, Kind: kind, Language: language, Custom: true}
	err := tx.QueryRow(`SELECT subject, body_text, body_html, version FROM message_templates WHERE property_id = ? AND kind = ? AND language = ?`,
		propertyID, kind, language).Scan(&t.Subject, &t.Text, &t.HTML, &t.Version)
	if err == sql.ErrNoRows {
		return Template{}, false, nil
	}
	return t, err == nil, err
}

// SaveTemplate stores a property's own wording of a kind in a language,
// after checking that it parses and renders on the sample stay. Audited
// ("guest_mail.template_saved", with the template: business text, no
// personal data). It returns EINVALID naming the parts (subject,
// body_text, body_html) that fail, ENOTFOUND for an unknown property, and
// EPRECONDITION when t.Version (when not zero) is not the stored one.
func (s Store) SaveTemplate(ctx context.Context, t Template) (Template, error) {
	t.Language = normLanguage(t.Language)
	t.Subject = strings.TrimSpace(t.Subject)
	t.Text = strings.ReplaceAll(t.Text, "\r\n", "\n")
	t.HTML = strings.ReplaceAll(t.HTML, "\r\n", "\n")
	if _, err := t.validate(); err != nil {
		return Template{}, err
	}
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := inventory.GetProperty(tx, t.PropertyID); err != nil {
			return err
		}
		cur, ok, err := templateTx(tx, t.PropertyID, t.Kind, t.Language)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("template", t.PropertyID+"/"+t.Kind+"/"+t.Language, cur.Version, t.Version); err != nil {
			return err
		}
		t.Version, t.Custom = cur.Version+1, true
		if _, err := tx.Exec(`INSERT INTO message_templates (property_id, kind, language, subject, body_text, body_html, version, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, kind, language) DO UPDATE SET subject = excluded.subject,
			body_text = excluded.body_text, body_html = excluded.body_html, version = excluded.version, updated_at = excluded.updated_at`,
			t.PropertyID, t.Kind, t.Language, t.Subject, t.Text, t.HTML, t.Version, tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		var before any
		if ok {
			before = cur
		}
		return tx.Audit(audit.Entry{Action: "guest_mail.template_saved", EntityType: "property", EntityID: t.PropertyID, Before: before, After: t})
	})
	return t, err
}

// ResetTemplate removes a property's own wording of kind in language, so
// the built-in one applies again. Audited ("guest_mail.template_reset").
// It returns ENOTFOUND when the property has no such template.
func (s Store) ResetTemplate(ctx context.Context, propertyID, kind, language string) error {
	language = normLanguage(language)
	return s.Update(ctx, func(tx *tenant.Tx) error {
		cur, ok, err := templateTx(tx, propertyID, kind, language)
		if err != nil {
			return err
		}
		if !ok {
			return tenant.NotFound("template", propertyID+"/"+kind+"/"+language)
		}
		if _, err := tx.Exec(`DELETE FROM message_templates WHERE property_id = ? AND kind = ? AND language = ?`, propertyID, kind, language); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "guest_mail.template_reset", EntityType: "property", EntityID: propertyID, Before: cur})
	})
}

// pickTemplate returns the template for a guest's language: the
// property's own in the exact tag, then in its primary language, then the
// built-in wording of those, then English.
func pickTemplate(tx *tenant.Tx, propertyID, kind, guestLanguage string) (Template, error) {
	lang := normLanguage(guestLanguage)
	var tries []string
	if isLanguage(lang) {
		tries = append(tries, lang)
		if primary, _, ok := strings.Cut(lang, "-"); ok {
			tries = append(tries, primary)
		}
	}
	tries = append(tries, "en")
	for _, l := range tries {
		t, ok, err := templateTx(tx, propertyID, kind, l)
		if err != nil || ok {
			return t, err
		}
	}
	for _, l := range tries {
		for _, b := range Languages {
			if b == l {
				t := builtin(kind, l)
				t.PropertyID = propertyID
				return t, nil
			}
		}
	}
	return builtin(kind, "en"), nil
}
