package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/aurapms/aura/tenant/stays"
)

// This file holds what the PMS pages (issue 4) share: their navigation,
// the current property, and how money, dates and form values are shown
// and read.

// pmsNav is the PMS part of the main navigation, by permission, in the
// order of the UI brief: calendar, tape chart, reservations, front desk,
// guests, housekeeping, rates, then the night audit.
func pmsNav(c *Call, base string) []navItem {
	var out []navItem
	if c.Can(identity.PermReservationsRead) {
		out = append(out,
			navItem{Key: "calendar", Label: "Calendar", Href: base + "calendar"},
			navItem{Key: "tapechart", Label: "Tape chart", Href: base + "tapechart"},
			navItem{Key: "reservations", Label: "Reservations", Href: base + "reservations"},
			navItem{Key: "frontdesk", Label: "Front desk", Href: base + "frontdesk"})
	}
	if c.Can(identity.PermGuestsRead) {
		out = append(out, navItem{Key: "guests", Label: "Guests", Href: base + "guests"})
	}
	if c.Can(identity.PermHousekeepingRead) {
		out = append(out, navItem{Key: "housekeeping", Label: "Housekeeping", Href: base + "housekeeping"})
	}
	if c.Can(identity.PermRatesRead) {
		out = append(out, navItem{Key: "rates", Label: "Rates", Href: base + "rates"})
	}
	if c.Can(identity.PermFoliosRead) {
		out = append(out, navItem{Key: "invoices", Label: "Invoices", Href: base + "invoices"},
			navItem{Key: "cashier", Label: "Cashier", Href: base + "cashier"})
	}
	if c.Can(identity.PermReportsRead) {
		out = append(out, navItem{Key: "reports", Label: "Reports", Href: base + "reports"})
	}
	if c.Can(identity.PermOwnersRead) {
		out = append(out, navItem{Key: "owners", Label: "Owners", Href: base + "owners"})
	}
	if c.Can(identity.PermNightAuditRun) {
		out = append(out, navItem{Key: "nightaudit", Label: "Night audit", Href: base + "night-audit"})
	}
	return out
}

// HousekeepingOnly reports whether the caller's work is the housekeeping
// board alone (the housekeeping role): their home is the board, and the
// navigation shows nothing else.
func HousekeepingOnly(c *Call) bool {
	return c.Can(identity.PermHousekeepingRead) && !c.Can(identity.PermReservationsRead)
}

// pmsSettingsNav is the PMS part of the Settings group.
func pmsSettingsNav(c *Call, base string) []navItem {
	var out []navItem
	if c.Can(identity.PermPropertiesWrite) {
		out = append(out, navItem{Key: "property", Label: "Property", Href: base + "settings/property", Group: "Settings"},
			navItem{Key: "rooms", Label: "Rooms", Href: base + "settings/rooms", Group: "Settings"},
			navItem{Key: "guest-emails", Label: "Guest emails", Href: base + "settings/guest-emails", Group: "Settings"})
	}
	if c.Can(identity.PermChannelsManage) {
		out = append(out, navItem{Key: "channels", Label: "Channels", Href: base + "settings/channels", Group: "Settings"})
	}
	if c.Can(identity.PermLedgerWrite) {
		out = append(out, navItem{Key: "ledger", Label: "Ledger", Href: base + "settings/ledger", Group: "Settings"})
	}
	if c.Can(identity.PermStripeWrite) {
		out = append(out, navItem{Key: "stripe", Label: "Stripe", Href: base + "settings/stripe", Group: "Settings"})
	}
	if c.Can(identity.PermGuestsExport) {
		out = append(out, navItem{Key: "privacy", Label: "Guest data", Href: base + "settings/records-of-processing", Group: "Settings"})
	}
	return out
}

// withSettingsFirst inserts items at the start of the Settings group
// (Property and Rooms come before Users, as operators look for them first).
func withSettingsFirst(nav, items []navItem) []navItem {
	for i, n := range nav {
		if n.Group == "Settings" {
			return append(nav[:i], append(items, nav[i:]...)...)
		}
	}
	return append(nav, items...)
}

// ErrNoProperty is the answer of a PMS page before any property exists.
var ErrNoProperty = aura.Errorf(aura.ENOTFOUND, "This account has no property yet. An owner or manager adds one under Settings › Property.")

// PmsPage starts a PMS page: the tenant page with its current property
// (from ?property=, the cookie, or the first). A tenant without a property
// sends those who may create one to the property settings.
func (s *Server) PmsPage(w http.ResponseWriter, r *http.Request, c *Call, title, active string) (*Page, inventory.Property, error) {
	p := s.TenantPage(w, r, c, title, active)
	if p.Property == nil {
		return p, inventory.Property{}, ErrNoProperty
	}
	return p, *p.Property, nil
}

// NoProperty answers a page of a tenant without a property.
func (s *Server) NoProperty(w http.ResponseWriter, r *http.Request, c *Call) error {
	if c.Can(identity.PermPropertiesWrite) {
		s.SetFlash(w, "ok", "Start by adding your property: its name, time zone and currency.")
		http.Redirect(w, r, TenantPath(c.Tenant.Slug)+"settings/property?new=1", http.StatusSeeOther)
		return nil
	}
	return ErrNoProperty
}

// Today is the business date of property p (tenant.DB.PropertyToday),
// the one "today" of every page and list: after midnight and until the
// night audit closes it, still the day before the calendar's.
func (s *Server) Today(r *http.Request, c *Call, p inventory.Property) date.Date {
	d, err := inventory.New(c.DB).PropertyToday(r.Context(), p.ID)
	if err != nil {
		// The property was just read; should the read fail, the clock's
		// date in its zone is the best answer a page can give.
		loc, lerr := p.Location()
		if lerr != nil {
			loc = time.UTC
		}
		return date.Of(s.Cfg.Now(), loc)
	}
	return d
}

// Style is the number and date style of the page's property.
func (p *Page) Style() locale.Style {
	if p.Property == nil {
		return locale.Of("")
	}
	return locale.Of(p.Property.Address.Country)
}

// Money shows an amount in its currency as the property's locale writes
// it: "1.234,50 €" in Germany, "€1,234.50" in Ireland.
func (p *Page) Money(m tenant.Money) string { return FormatMoney(m, p.Style()) }

// MoneyPtr shows an optional amount ("—" when absent).
func (p *Page) MoneyPtr(m *tenant.Money) string {
	if m == nil {
		return "—"
	}
	return p.Money(*m)
}

// Amount shows minor units of the property's currency.
func (p *Page) Amount(minor int64) string {
	cur := "EUR"
	if p.Property != nil {
		cur = p.Property.Currency
	}
	return p.Money(tenant.Money{Amount: minor, Currency: cur})
}

func FormatMoney(m tenant.Money, st locale.Style) string {
	return st.Money(m.Amount, m.Currency, tenant.MinorUnits(m.Currency))
}

// AmountInput writes minor units for an input field: no grouping, the
// locale's decimal separator ("119,00").
func (p *Page) AmountInput(m tenant.Money) string {
	return locale.Decimal(m.Amount, tenant.MinorUnits(m.Currency), p.Style().Decimal, "")
}

// ParseAmount reads an amount typed by an operator ("119", "119.5",
// "119,50", "1.234,50", "1,234.50") into minor units of currency.
func ParseAmount(s, currency string) (int64, bool) {
	s = strings.TrimSpace(s)
	for _, sym := range []string{"€", "$", "£", "¥", currency, "\u00a0", "\u202f", " ", "’", "'"} {
		s = strings.ReplaceAll(s, sym, "")
	}
	if s == "" {
		return 0, false
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	exp := tenant.MinorUnits(currency)
	// The last separator is the decimal one when digits up to the
	// currency's exponent follow it; any other separator groups thousands.
	whole, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 {
		after := s[i+1:]
		if len(after) >= 1 && len(after) <= exp && !(len(after) == 3 && strings.Count(s, string(s[i])) > 1) {
			whole, frac = s[:i], after
		}
	}
	whole = strings.NewReplacer(".", "", ",", "").Replace(whole)
	if whole == "" {
		whole = "0"
	}
	if len(whole) > 12 {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	for len(frac) < exp {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// Day shows a date as "Fri 14 Mar 2026" ("Fri, Mar 14, 2026" in the US).
func (p *Page) Day(d date.Date) string { return p.Style().Day(d) }

// DayShort shows a date as "14 Mar" ("Mar 14" in the US).
func (p *Page) DayShort(d date.Date) string { return p.Style().DayShort(d) }

// Weekday shows a date's weekday as "Fri".
func (p *Page) Weekday(d date.Date) string { return d.Midnight(time.UTC).Format("Mon") }

// Stay shows a stay as "14–16 Mar 2026 · 2 nights".
func (p *Page) Stay(arrival, departure date.Date) string {
	n := departure.Sub(arrival)
	nights := "1 night"
	if n != 1 {
		nights = strconv.Itoa(n) + " nights"
	}
	return p.DayShort(arrival) + " – " + p.DayShort(departure) + " · " + nights
}

// When shows an instant in the property's zone: "14 Mar 2026, 09:05".
func (p *Page) When(t time.Time) string { return p.Style().When(t, p.zone()) }

// zone is the page property's time zone (UTC without a property).
func (p *Page) zone() *time.Location {
	if p.Property != nil {
		if l, err := p.Property.Location(); err == nil {
			return l
		}
	}
	return time.UTC
}

// WhenPtr is When of an optional instant.
func (p *Page) WhenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.When(*t)
}

// statusLabels are the reservation statuses in the operator's words.
var statusLabels = map[string]string{
	stays.ReservationTentative: "Tentative", stays.ReservationConfirmed: "Confirmed", stays.ReservationInHouse: "In house",
	stays.ReservationCheckedOut: "Checked out", stays.ReservationCancelled: "Cancelled", stays.ReservationNoShow: "No-show",
}

// StatusLabel names a reservation status.
func (p *Page) StatusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return s
}

// SourceLabel names a booking source.
func (p *Page) SourceLabel(s string) string {
	if s == stays.SourceDirect {
		return "Direct"
	}
	return s
}

// Link returns a tenant path with query parameters, for templates.
func (p *Page) Link(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	u := "/" + p.Slug + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// QueryDate reads a YYYY-MM-DD query or form value; def when empty.
func QueryDate(v url.Values, name string, def date.Date) (date.Date, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return def, nil
	}
	d, err := date.Parse(s)
	if err != nil {
		msg := DateMessage(err)
		return def, aura.Invalid("The date "+name+" "+msg+".", aura.FieldError{Field: name, Message: msg})
	}
	return d, nil
}

// DateMessage is what is wrong with a date date.Parse refused, in words
// that follow the field's name.
func DateMessage(err error) string {
	var pe *date.ParseError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "must be a date YYYY-MM-DD"
}

// FormErrors collects the problems of a submitted form, by field.
type FormErrors []aura.FieldError

func (fe *FormErrors) Add(field, msg string) {
	*fe = append(*fe, aura.FieldError{Field: field, Message: msg})
}

func (fe FormErrors) Err(msg string) error {
	if len(fe) == 0 {
		return nil
	}
	return aura.Invalid(msg, fe...)
}

// Date reads a required date field.
func (fe *FormErrors) Date(v url.Values, name string) date.Date {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		fe.Add(name, "is required")
		return date.Date{}
	}
	d, err := date.Parse(s)
	if err != nil {
		fe.Add(name, DateMessage(err))
	}
	return d
}

// OptDate reads an optional date field.
func (fe *FormErrors) OptDate(v url.Values, name string) date.Date {
	if strings.TrimSpace(v.Get(name)) == "" {
		return date.Date{}
	}
	return fe.Date(v, name)
}

// Int reads a whole-number field; def when empty.
func (fe *FormErrors) Int(v url.Values, name string, def int) int {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		fe.Add(name, "must be a whole number")
	}
	return n
}

// Amount reads a money field in currency; ok false when empty.
func (fe *FormErrors) Amount(v url.Values, name, currency string) (int64, bool) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return 0, false
	}
	n, ok := ParseAmount(s, currency)
	if !ok {
		fe.Add(name, "must be an amount such as 119.00")
		return 0, false
	}
	if n < 0 {
		fe.Add(name, "must not be negative")
	}
	return n, true
}

// FormFieldErrors puts a store error's fields on the page under the form's
// field names (rename maps a store field or prefix to a form field). Each
// message becomes a sentence naming its field ("Departure must be after
// the arrival"), so it reads right next to its input and wherever a form
// shows it apart; for invalid input the banner lists them too, so it says
// what to fix.
func (p *Page) FormFieldErrors(err error, rename func(string) string) {
	p.Error = aura.ErrorMessage(err)
	p.Errors = map[string]string{}
	var fix []string
	for _, f := range aura.ErrorFields(err) {
		name := f.Field
		if rename != nil {
			name = rename(name)
		}
		msg := fieldSentence(f.Field, f.Message)
		fix = append(fix, msg)
		if _, ok := p.Errors[name]; !ok {
			p.Errors[name] = msg
		} else {
			p.Errors[name] += "; " + msg
		}
	}
	if len(fix) > 0 && aura.ErrorCode(err) == aura.EINVALID {
		p.Error = strings.TrimSuffix(p.Error, ".") + ": " + strings.Join(fix, "; ") + "."
	}
}

// FieldLabel names a store field for people: "reservations[0].rate_plan_id"
// is "Rate plan", "guests[1].document.number" "Document number".
func FieldLabel(field string) string {
	if i := strings.LastIndex(field, "]."); i >= 0 {
		field = field[i+2:]
	}
	for _, pre := range []string{"front_desk.", "booker.new.", "new.", "tax.", "address."} {
		field = strings.TrimPrefix(field, pre)
	}
	if l, ok := formLabels[field]; ok {
		return l
	}
	field = strings.TrimSuffix(field, "_id")
	field = strings.NewReplacer(".", " ", "_", " ").Replace(field)
	if field == "" {
		return "This field"
	}
	return strings.ToUpper(field[:1]) + field[1:]
}

// formLabels name the form fields whose names say little on their own.
var formLabels = map[string]string{"first": "First day", "last": "Last day", "plans": "Rate plans", "room_id": "Room",
	"guest_id": "Guest", "check_out_occupant": "The guest to check out"}

// fieldSentence makes a field's message a sentence: a bare predicate
// ("is required", "must be …") gets the field's label before it, anything
// else a capital letter.
func fieldSentence(field, msg string) string {
	for _, verb := range []string{"is ", "are ", "must ", "cannot ", "may ", "needs ", "has ", "names ", "a ", "an ", "at most ", "no such ", "not "} {
		if strings.HasPrefix(msg, verb) {
			return FieldLabel(field) + " " + msg
		}
	}
	if msg == "" {
		return FieldLabel(field) + " is not valid"
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// DayHead is one column heading of a calendar or tape chart.
type DayHead struct {
	Date    date.Date
	Weekday string
	Day     string // "14"
	Month   string // "Mar", on the first column and the 1st of a month
	Today   bool
	Weekend bool
}

func DayHeads(from date.Date, days int, today date.Date) []DayHead {
	out := make([]DayHead, days)
	for i := range out {
		d := from.AddDays(i)
		t := d.Midnight(time.UTC)
		h := DayHead{Date: d, Weekday: t.Format("Mon"), Day: strconv.Itoa(t.Day()), Today: d == today,
			Weekend: t.Weekday() == time.Saturday || t.Weekday() == time.Sunday}
		if i == 0 || t.Day() == 1 {
			h.Month = t.Format("Jan")
		}
		out[i] = h
	}
	return out
}

// RangeParams reads ?from= (default today) and ?days= (one of allowed, the
// first by default) of a calendar-like page.
func RangeParams(r *http.Request, today date.Date, allowed ...int) (date.Date, int, error) {
	q := r.URL.Query()
	from, err := QueryDate(q, "from", today)
	if err != nil {
		return today, allowed[0], err
	}
	days := allowed[0]
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		ok := false
		for _, a := range allowed {
			ok = ok || n == a
		}
		if err != nil || !ok {
			return from, days, aura.Invalid("The number of days is not one this page shows.", aura.FieldError{Field: "days", Message: "not offered"})
		}
		days = n
	}
	return from, days, nil
}

// IfMatch reads an If-Match header ("3", "\"3\"" or W/"3") as a version;
// 0 when absent. A header that is not a version is EINVALID.
func IfMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.Atoi(h)
	if err != nil || n < 1 {
		return 0, aura.Invalid("If-Match must be the resource's version, as its ETag gives it (for example \"3\").",
			aura.FieldError{Field: "If-Match", Message: "not a version"})
	}
	return n, nil
}

// FormVersion reads the hidden version field of an edit form.
func FormVersion(v url.Values) int {
	n, _ := strconv.Atoi(v.Get("version"))
	return n
}

// CheckInPath and checkOutPath are the front-desk pages (issue 6) the
// reservation page links to for checking a guest in or out.
func CheckInPath(slug, id string) string  { return "/" + slug + "/reservations/" + id + "/check-in" }
func CheckOutPath(slug, id string) string { return "/" + slug + "/reservations/" + id + "/check-out" }

// StatusBadge is a reservation's status as a badge in the fixed colours
// (overbooked, when set, as a red badge beside it).
func (p *Page) StatusBadge(status string, overbooked bool) template.HTML {
	out := `<span class="badge st-badge st-` + template.HTMLEscapeString(status) + `">` + template.HTMLEscapeString(p.StatusLabel(status)) + `</span>`
	if overbooked {
		out += ` <span class="badge st-badge st-overbooked">Overbooked</span>`
	}
	return template.HTML(out) // built from escaped fixed words
}

// resTable is what the "restable" partial needs.
type resTable struct {
	P       *Page
	Rows    []ResRow
	NoGuest bool
}

// ResTable returns the view of a table of reservations.
func (p *Page) ResTable(rows []ResRow) resTable { return resTable{P: p, Rows: rows} }

// ResTableNoGuest is ResTable without the guest column (the guest page).
func (p *Page) ResTableNoGuest(rows []ResRow) resTable {
	return resTable{P: p, Rows: rows, NoGuest: true}
}

// StripeStatus names a Stripe status for people.
func (p *Page) StripeStatus(s string) string {
	if l, ok := stripeStatusLabels[s]; ok {
		return l
	}
	return strings.ToUpper(s[:min(1, len(s))]) + strings.ReplaceAll(s[min(1, len(s)):], "_", " ")
}

// StripeBadge is the badge colour of a Stripe payment status.
func (p *Page) StripeBadge(s string) string {
	switch s {
	case payments.StatusSucceeded:
		return "badge-green"
	case payments.StatusRequiresCapture:
		return "badge-blue"
	case payments.StatusFailed:
		return "badge-red-outline"
	}
	return "badge-grey"
}

// ReservationRows adds guest names (only if the caller may see guests),
// room type names and room numbers to reservations.
func (s *Server) ReservationRows(r *http.Request, c *Call, prop inventory.Property, rs []stays.Reservation) ([]ResRow, error) {
	ctx := r.Context()
	types, err := inventory.New(c.DB).ListRoomTypes(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	rooms, err := inventory.New(c.DB).ListRooms(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	tn, rn := map[string]string{}, map[string]string{}
	for _, t := range types {
		tn[t.ID] = t.Name
	}
	for _, rm := range rooms {
		rn[rm.ID] = rm.Number
	}
	names := map[string]string{}
	if c.Can(identity.PermGuestsRead) && len(rs) > 0 {
		ids := make([]string, 0, len(rs))
		for _, x := range rs {
			ids = append(ids, x.GuestID)
		}
		if names, err = stays.New(c.DB).GuestNames(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]ResRow, len(rs))
	for i, x := range rs {
		out[i] = ResRow{Reservation: x, GuestName: names[x.GuestID], TypeName: tn[x.RoomTypeID], RoomNo: rn[x.RoomID]}
		if out[i].GuestName == "" {
			out[i].GuestName = "Guest"
		}
	}
	return out, nil
}

// ResRow is a reservation in a list, with the names a list shows.
type ResRow struct {
	stays.Reservation
	GuestName string
	TypeName  string
	RoomNo    string
}

var ActiveStatuses = []string{stays.ReservationTentative, stays.ReservationConfirmed, stays.ReservationInHouse}

// stripeStatusLabels are Stripe's payment, refund and card statuses in the
// operator's words.
var stripeStatusLabels = map[string]string{
	payments.StatusCreating: "Sending to Stripe", payments.StatusRequiresPaymentMethod: "Waiting for the card",
	payments.StatusRequiresConfirmation: "Waiting for the card", payments.StatusRequiresAction: "Waiting for the cardholder",
	payments.StatusProcessing: "Processing", payments.StatusRequiresCapture: "Held", payments.StatusSucceeded: "Succeeded",
	payments.StatusCanceled: "Released", payments.StatusFailed: "Failed", "pending": "Pending", "disputed": "Disputed",
	payments.CardActive: "Active", "refunded": "Refunded",
}
