package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
)

// Property is one hotel, B&B or apartment house of a tenant. Its time zone
// decides what "today" is for its reservations; its currency is the
// currency of every amount booked there.
type Property struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Address      Address     `json:"address"`
	TimeZone     string      `json:"time_zone"`
	Currency     string      `json:"currency"`
	CheckInTime  string      `json:"check_in_time"`  // HH:MM local
	CheckOutTime string      `json:"check_out_time"` // HH:MM local
	Tax          TaxSettings `json:"tax"`
	// FrontDesk holds the ID-photo retention and night-audit settings.
	FrontDesk FrontDeskSettings `json:"front_desk"`
	Version   int               `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// FrontDeskSettings are a property's front-desk rules: how long ID photos
// (and, when PurgeDocumentNumbers is set, ID document numbers) of check-in
// records are kept, and when the business date rolls over.
type FrontDeskSettings struct {
	// IDPhotoRetentionDays is how many days after check-out (or after the
	// record was taken, for a stay never checked out) the purge job deletes
	// a record's ID photos: 0 to 3650, default 30.
	IDPhotoRetentionDays int `json:"id_photo_retention_days"`
	// PurgeDocumentNumbers blanks the ID document numbers too, at the same time.
	PurgeDocumentNumbers bool `json:"purge_document_numbers"`
	// NightAuditTime is the local time (HH:MM, before 12:00) at which the
	// night audit closes business date D, on the calendar day after D.
	// Default 03:00.
	NightAuditTime string `json:"night_audit_time"`
	// AutoAssignRooms gives each new reservation a free room of its type
	// when it is booked (a clean one first), if one is free every night.
	// Default off: rooms are then assigned by hand or at check-in.
	AutoAssignRooms bool `json:"auto_assign_rooms"`
	// RegistrationCard is the layout of the printed registration card:
	// one of RegistrationCardLayouts; "" (the default) takes the layout of
	// the property's country, or the generic one.
	RegistrationCard string `json:"registration_card"`
}

// RegistrationCardLayouts are the layouts of the printed registration
// card: "generic", and those the law of a country asks for (the Meldeschein
// of Germany, Austria and Switzerland, the schedina of Italy, the parte de
// viajeros of Spain, the fiche individuelle of France).
var RegistrationCardLayouts = []string{"generic", "de", "at", "ch", "it", "es", "fr"}

// DefaultFrontDeskSettings are the settings of a property created without any.
var DefaultFrontDeskSettings = FrontDeskSettings{IDPhotoRetentionDays: 30, NightAuditTime: "03:00"}

func (s FrontDeskSettings) validate(fe *tenant.FieldErrors) {
	if s.IDPhotoRetentionDays < 0 || s.IDPhotoRetentionDays > 3650 {
		fe.Add("front_desk.id_photo_retention_days", "must be 0 to 3650 days")
	}
	if !validClock(s.NightAuditTime) || s.NightAuditTime >= "12:00" {
		fe.Add("front_desk.night_audit_time", "must be a time HH:MM before 12:00 (the business day closes the next morning)")
	}
	if s.RegistrationCard != "" && !slices.Contains(RegistrationCardLayouts, s.RegistrationCard) {
		fe.Add("front_desk.registration_card", "must be empty (the country's layout) or one of %s", strings.Join(RegistrationCardLayouts, ", "))
	}
}

// Address is a postal address. A property's address is business data and
// stored plain; a guest's address is sealed under the guest's key.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
	Region     string `json:"region"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// TaxSettings are a property's VAT rates and city tax. Prices in the rate
// calendar include VAT when PricesIncludeVAT is set and exclude it otherwise.
type TaxSettings struct {
	PricesIncludeVAT bool      `json:"prices_include_vat"`
	VATRates         []VATRate `json:"vat_rates"`
	// AccommodationVAT is the code of the VAT rate applied to room nights ("" for none).
	AccommodationVAT string  `json:"accommodation_vat"`
	CityTax          CityTax `json:"city_tax"`
}

// VATRate is one named VAT rate in basis points (700 = 7%).
type VATRate struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	BasisPoints int    `json:"basis_points"`
}

// CityTax is a tax charged per person per night (zero amount: none).
type CityTax struct {
	PerPersonPerNight tenant.Money `json:"per_person_per_night"`
	Inclusive         bool         `json:"inclusive"`       // already contained in the room price
	ChildrenExempt    bool         `json:"children_exempt"` // children do not pay it
	MaxNights         int          `json:"max_nights"`      // charged for at most this many nights (0: every night)
}

// PropertyInput is what an operator sets on a property; CreateProperty and
// UpdateProperty take it whole. Version, when not zero, must match the
// stored version on update (If-Match).
type PropertyInput struct {
	Name         string      `json:"name"`
	Address      Address     `json:"address"`
	TimeZone     string      `json:"time_zone"`
	Currency     string      `json:"currency"`
	CheckInTime  string      `json:"check_in_time"`
	CheckOutTime string      `json:"check_out_time"`
	Tax          TaxSettings `json:"tax"`
	// FrontDesk, when nil, keeps the property's settings (the defaults on create).
	FrontDesk *FrontDeskSettings `json:"front_desk,omitempty"`
	Version   int                `json:"version,omitempty"`
}

func (in *PropertyInput) normalise() {
	if in.CheckInTime == "" {
		in.CheckInTime = "15:00"
	}
	if in.CheckOutTime == "" {
		in.CheckOutTime = "11:00"
	}
	if in.Tax.VATRates == nil {
		in.Tax.VATRates = []VATRate{}
	}
	if in.Tax.CityTax.PerPersonPerNight.Currency == "" {
		in.Tax.CityTax.PerPersonPerNight.Currency = in.Currency
	}
	if in.FrontDesk != nil {
		fd := *in.FrontDesk
		if fd.NightAuditTime == "" {
			fd.NightAuditTime = DefaultFrontDeskSettings.NightAuditTime
		}
		in.FrontDesk = &fd
	}
}

func (in PropertyInput) validate() error {
	var fe tenant.FieldErrors
	fe.Text("name", in.Name, 1, 200)
	fe.Text("address.line1", in.Address.Line1, 0, 200)
	fe.Text("address.line2", in.Address.Line2, 0, 200)
	fe.Text("address.postal_code", in.Address.PostalCode, 0, 20)
	fe.Text("address.city", in.Address.City, 0, 100)
	fe.Text("address.region", in.Address.Region, 0, 100)
	if c := in.Address.Country; c != "" && !IsCountryCode(c) {
		fe.Add("address.country", "must be a two-letter ISO 3166 country code such as DE")
	}
	if !tenant.ValidTimeZone(in.TimeZone) {
		fe.Add("time_zone", "must be an IANA time zone such as Europe/Berlin")
	}
	if !tenant.ValidCurrency(in.Currency) {
		fe.Add("currency", "must be an ISO 4217 currency code such as EUR")
	}
	if !validClock(in.CheckInTime) {
		fe.Add("check_in_time", "must be a time HH:MM")
	}
	if !validClock(in.CheckOutTime) {
		fe.Add("check_out_time", "must be a time HH:MM")
	}
	codes := map[string]bool{}
	for i, r := range in.Tax.VATRates {
		f := "tax.vat_rates[" + tenant.Itoa(i) + "]"
		if r.Code == "" || len(r.Code) > 20 || !isCode(r.Code) {
			fe.Add(f+".code", "must be 1 to 20 letters, digits, - or _")
		} else if codes[r.Code] {
			fe.Add(f+".code", "is used twice")
		}
		codes[r.Code] = true
		fe.Text(f+".name", r.Name, 0, 100)
		if r.BasisPoints < 0 || r.BasisPoints > 10000 {
			fe.Add(f+".basis_points", "must be 0 to 10000 (100%%)")
		}
	}
	if a := in.Tax.AccommodationVAT; a != "" && !codes[a] {
		fe.Add("tax.accommodation_vat", "must name one of the VAT rates")
	}
	ct := in.Tax.CityTax
	if ct.PerPersonPerNight.Amount < 0 {
		fe.Add("tax.city_tax.per_person_per_night.amount", "must not be negative")
	}
	if ct.PerPersonPerNight.Currency != in.Currency {
		fe.Add("tax.city_tax.per_person_per_night.currency", "must be the property's currency")
	}
	if ct.MaxNights < 0 {
		fe.Add("tax.city_tax.max_nights", "must not be negative")
	}
	if in.FrontDesk != nil {
		in.FrontDesk.validate(&fe)
	}
	return fe.Err("The property is not valid.")
}

// CreateProperty adds a property to the tenant. It returns EINVALID with
// field errors for bad input.
func (db Store) CreateProperty(ctx context.Context, in PropertyInput) (Property, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return Property{}, err
	}
	var p Property
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		p = Property{ID: aura.NewID("prp"), Name: in.Name, Address: in.Address, TimeZone: in.TimeZone, Currency: in.Currency,
			CheckInTime: in.CheckInTime, CheckOutTime: in.CheckOutTime, Tax: in.Tax, FrontDesk: DefaultFrontDeskSettings,
			Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if in.FrontDesk != nil {
			p.FrontDesk = *in.FrontDesk
		}
		fd := p.FrontDesk
		if _, err := tx.Exec(`INSERT INTO properties (id, name, address, time_zone, currency, check_in_time, check_out_time, tax,
			id_photo_retention_days, purge_document_numbers, night_audit_time, auto_assign_rooms, registration_card, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, tenant.MustJSON(p.Address), p.TimeZone, p.Currency, p.CheckInTime, p.CheckOutTime, tenant.MustJSON(p.Tax),
			fd.IDPhotoRetentionDays, fd.PurgeDocumentNumbers, fd.NightAuditTime, fd.AutoAssignRooms, fd.RegistrationCard, p.Version,
			tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "property.created", EntityType: "property", EntityID: p.ID, After: p})
	})
	return p, err
}

// UpdateProperty replaces a property's settings. The currency cannot change
// once the property has bookings (ECONFLICT). It returns ENOTFOUND,
// EPRECONDITION for a stale version, or EINVALID.
func (db Store) UpdateProperty(ctx context.Context, id string, in PropertyInput) (Property, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return Property{}, err
	}
	var p Property
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := GetProperty(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("property", id, before.Version, in.Version); err != nil {
			return err
		}
		if in.Currency != before.Currency {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM bookings WHERE property_id = ?`, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return aura.Errorf(aura.ECONFLICT, "The currency of %s cannot change: it already has %d bookings in %s.", before.Name, n, before.Currency)
			}
		}
		p = before
		p.Name, p.Address, p.TimeZone, p.Currency = in.Name, in.Address, in.TimeZone, in.Currency
		p.CheckInTime, p.CheckOutTime, p.Tax = in.CheckInTime, in.CheckOutTime, in.Tax
		if in.FrontDesk != nil {
			p.FrontDesk = *in.FrontDesk
		}
		p.Version++
		p.UpdatedAt = tx.Now
		fd := p.FrontDesk
		if _, err := tx.Exec(`UPDATE properties SET name = ?, address = ?, time_zone = ?, currency = ?, check_in_time = ?, check_out_time = ?,
			tax = ?, id_photo_retention_days = ?, purge_document_numbers = ?, night_audit_time = ?, auto_assign_rooms = ?, registration_card = ?,
			version = ?, updated_at = ? WHERE id = ?`,
			p.Name, tenant.MustJSON(p.Address), p.TimeZone, p.Currency, p.CheckInTime, p.CheckOutTime, tenant.MustJSON(p.Tax),
			fd.IDPhotoRetentionDays, fd.PurgeDocumentNumbers, fd.NightAuditTime, fd.AutoAssignRooms, fd.RegistrationCard, p.Version,
			tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "property.updated", EntityType: "property", EntityID: id, Before: before, After: p})
	})
	return p, err
}

// GetProperty returns one property, or ENOTFOUND.
func (db Store) GetProperty(ctx context.Context, id string) (Property, error) {
	var p Property
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		p, err = GetProperty(tx, id)
		return err
	})
	return p, err
}

// ListProperties returns every property of the tenant, by name.
func (db Store) ListProperties(ctx context.Context) ([]Property, error) {
	var ps []Property
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT ` + propertyColumns + ` FROM properties ORDER BY name, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanProperty(rows)
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		return rows.Err()
	})
	return ps, err
}

// PropertyToday returns the property's business date, the one "today"
// every rule and list uses (check-in, no-show, the front desk's lists,
// housekeeping, cancellation deadlines): the calendar date in the
// property's zone, except that a date stays open until the night audit
// closes it (after midnight until the roll, and while the audit is late).
// It returns ENOTFOUND for an unknown property.
func (db Store) PropertyToday(ctx context.Context, id string) (date.Date, error) {
	var d date.Date
	err := db.View(ctx, func(tx *tenant.Tx) error {
		p, err := GetProperty(tx, id)
		if err != nil {
			return err
		}
		d, err = p.Today(tx)
		return err
	})
	return d, err
}

// Location returns the property's time zone.
func (p Property) Location() (*time.Location, error) { return tenant.LoadZone(p.TimeZone) }

// Today is the property's business date at tx.Now: the date the clock
// gives (businessDateAt: the calendar date, or the day before until the
// night audit's roll time), held back to the day after the last date the
// night audit closed when the audit is late — a date is today until it is
// closed. Before the first audit the clock decides.
func (p Property) Today(tx *tenant.Tx) (date.Date, error) {
	loc, err := p.Location()
	if err != nil {
		return date.Date{}, err
	}
	d := p.BusinessDateAt(tx.Now, loc)
	var last date.Date
	err = tx.QueryRow(`SELECT business_date FROM business_dates WHERE property_id = ? ORDER BY business_date DESC LIMIT 1`, p.ID).Scan(&last)
	switch {
	case err == sql.ErrNoRows:
		return d, nil
	case err != nil:
		return d, err
	}
	if open := last.AddDays(1); open.Before(d) {
		return open, nil
	}
	return d, nil
}

func (p Property) Money(amount int64) tenant.Money {
	return tenant.Money{Amount: amount, Currency: p.Currency}
}

// Amount writes an amount of the property's currency as its country does.
func (p Property) Amount(minor int64) string {
	return p.style().Money(minor, p.Currency, tenant.MinorUnits(p.Currency))
}

// At returns the instant of local time hh:mm (clock) on date d at the
// property, or not, when that is later.
func (p Property) At(d date.Date, clock string, not time.Time) time.Time {
	loc, err := p.Location()
	if err != nil {
		return not
	}
	t, err := time.Parse("15:04", clock)
	if err != nil {
		return not
	}
	y, m, dd := d.YMD()
	at := time.Date(y, m, dd, t.Hour(), t.Minute(), 0, 0, loc)
	if at.After(not) {
		return not
	}
	return at
}

// style is the locale of the property's country: messages for people
// write dates and money the way the property's pages do.
func (p Property) style() locale.Style { return locale.Of(p.Address.Country) }

// Day writes a date for people ("Fri 14 Mar 2026").
func (p Property) Day(d date.Date) string { return p.style().Day(d) }

// Stay writes a stay for people ("14 Mar – Mon 16 Mar 2026").
func (p Property) Stay(arrival, departure date.Date) string {
	return p.style().DayShort(arrival) + " – " + p.style().Day(departure)
}

const propertyColumns = `id, name, address, time_zone, currency, check_in_time, check_out_time, tax,
	id_photo_retention_days, purge_document_numbers, night_audit_time, auto_assign_rooms, registration_card, version, created_at, updated_at`

func scanProperty(s interface{ Scan(...any) error }) (Property, error) {
	var p Property
	var addr, tax, created, updated string
	fd := &p.FrontDesk
	if err := s.Scan(&p.ID, &p.Name, &addr, &p.TimeZone, &p.Currency, &p.CheckInTime, &p.CheckOutTime, &tax,
		&fd.IDPhotoRetentionDays, &fd.PurgeDocumentNumbers, &fd.NightAuditTime, &fd.AutoAssignRooms, &fd.RegistrationCard, &p.Version, &created, &updated); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(addr), &p.Address); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(tax), &p.Tax); err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return p, nil
}

func GetProperty(tx *tenant.Tx, id string) (Property, error) {
	p, err := scanProperty(tx.QueryRow(`SELECT `+propertyColumns+` FROM properties WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return p, tenant.NotFound("property", id)
	}
	return p, err
}

func validClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

func IsCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// isCode reports whether s is a short code of letters, digits, - and _.
func isCode(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// rollClock returns the hour and minute of a property's night audit.
func (p Property) rollClock() (int, int) {
	t, err := time.Parse("15:04", p.FrontDesk.NightAuditTime)
	if err != nil {
		t, _ = time.Parse("15:04", DefaultFrontDeskSettings.NightAuditTime)
	}
	return t.Hour(), t.Minute()
}

// RollAt returns when business date d closes at the property.
func (p Property) RollAt(d date.Date, loc *time.Location) time.Time {
	h, m := p.rollClock()
	y, mo, dd := d.AddDays(1).YMD()
	return time.Date(y, mo, dd, h, m, 0, 0, loc)
}

// BusinessDateAt returns the business date the clock gives at t: the
// calendar date in the property's zone, or the day before it until the
// roll time.
func (p Property) BusinessDateAt(t time.Time, loc *time.Location) date.Date {
	d := date.Of(t, loc)
	if t.Before(p.RollAt(d.AddDays(-1), loc)) {
		return d.AddDays(-1)
	}
	return d
}
