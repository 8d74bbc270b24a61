package pms

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// The property settings page: name, address, zone, currency, check-in and
// check-out times and taxes of the current property, and a form to add
// another property.

// vatRows is how many VAT rates the settings form offers.
const vatRows = 4

type propertyData struct {
	New        bool   // the form adds a property
	ID         string // the property edited
	Version    int
	HasOthers  bool
	Zones      []string
	Currencies []string
	VATRows    []int
	VATCodes   []string
}

// commonZones are offered as suggestions; any IANA zone is accepted.
var commonZones = []string{"Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Paris", "Europe/Amsterdam", "Europe/Brussels",
	"Europe/Madrid", "Europe/Lisbon", "Europe/Rome", "Europe/London", "Europe/Dublin", "Europe/Copenhagen", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest", "Europe/Athens", "Europe/Istanbul",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto", "America/Mexico_City",
	"America/Sao_Paulo", "Asia/Tokyo", "Asia/Singapore", "Asia/Dubai", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland", "UTC"}

var commonCurrencies = []string{"EUR", "CHF", "GBP", "USD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY", "AUD", "CAD"}

func (s Handlers) PropertyPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Property", "property")
	d := &propertyData{Zones: commonZones, Currencies: commonCurrencies, VATRows: seq(vatRows)}
	if p.Property == nil || r.URL.Query().Get("new") != "" {
		d.New = true
		p.Title = "Add a property"
		p.Form = url.Values{"time_zone": {"Europe/Berlin"}, "currency": {"EUR"}, "check_in_time": {"15:00"}, "check_out_time": {"11:00"},
			"prices_include_vat": {"on"}, "night_audit_time": {inventory.DefaultFrontDeskSettings.NightAuditTime},
			"id_photo_retention_days": {strconv.Itoa(inventory.DefaultFrontDeskSettings.IDPhotoRetentionDays)}}
	} else {
		d.ID, d.Version = p.Property.ID, p.Property.Version
		p.Form = propertyForm(*p.Property, p)
	}
	d.HasOthers = len(p.Properties) > 1
	d.VATCodes = vatCodes(p.Form)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "property", p)
	return nil
}

// PropertySave updates the property named by the form (not the switcher:
// a switch in another tab must not redirect a save).
func (s Handlers) PropertySave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PostForm.Get("property_id")
	cur, err := inventory.New(c.DB).GetProperty(r.Context(), id)
	if err != nil {
		return err
	}
	in, ferr := propertyInput(r.PostForm, cur.Currency)
	in.Version = web.FormVersion(r.PostForm)
	var saved inventory.Property
	if ferr == nil {
		saved, err = inventory.New(c.DB).UpdateProperty(r.Context(), id, in)
	} else {
		err = ferr
	}
	if err != nil {
		return s.propertyFormError(w, r, c, err, &propertyData{ID: id, Version: in.Version})
	}
	msg := "The settings of " + saved.Name + " are saved."
	if saved.FrontDesk.IDPhotoRetentionDays != cur.FrontDesk.IDPhotoRetentionDays || saved.FrontDesk.PurgeDocumentNumbers != cur.FrontDesk.PurgeDocumentNumbers {
		// A changed retention window applies at once, not at the job's next hour.
		res, err := s.purgeIDPhotos(r.Context(), c)
		if err != nil {
			return err
		}
		if res.Records > 0 {
			msg += " " + purgeWords(res)
		}
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/property?property="+url.QueryEscape(saved.ID), http.StatusSeeOther)
	return nil
}

func (s Handlers) PropertyCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in, err := propertyInput(r.PostForm, strings.TrimSpace(r.PostForm.Get("currency")))
	var created inventory.Property
	if err == nil {
		created, err = inventory.New(c.DB).CreateProperty(r.Context(), in)
	}
	if err != nil {
		return s.propertyFormError(w, r, c, err, &propertyData{New: true})
	}
	s.SetFlash(w, "ok", created.Name+" is added. Next, add its room types and rooms.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms?property="+url.QueryEscape(created.ID), http.StatusSeeOther)
	return nil
}

// propertyFormError shows the form again with the errors next to the fields.
func (s Handlers) propertyFormError(w http.ResponseWriter, r *http.Request, c *web.Call, err error, d *propertyData) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
		return err
	}
	p := s.TenantPage(w, r, c, "Property", "property")
	if d.New {
		p.Title = "Add a property"
	}
	d.Zones, d.Currencies, d.VATRows = commonZones, commonCurrencies, seq(vatRows)
	d.HasOthers = len(p.Properties) > 1
	p.Form = r.PostForm
	d.VATCodes = vatCodes(p.Form)
	p.FormFieldErrors(err, propertyField)
	p.Data = d
	s.RenderPage(w, r, web.StatusOf(err), "property", p)
	return nil
}

// propertyField maps a store field name to the form's.
func propertyField(f string) string {
	switch {
	case strings.HasPrefix(f, "address."):
		return "address_" + strings.TrimPrefix(f, "address.")
	case strings.HasPrefix(f, "tax.vat_rates["):
		rest := strings.TrimPrefix(f, "tax.vat_rates[")
		i, field, _ := strings.Cut(rest, "].")
		if field == "basis_points" {
			field = "percent"
		}
		return "vat_" + field + "_" + i
	case strings.HasPrefix(f, "tax.city_tax.max_nights"):
		return "city_tax_max_nights"
	case strings.HasPrefix(f, "tax.city_tax"):
		return "city_tax"
	case strings.HasPrefix(f, "tax."):
		return strings.TrimPrefix(f, "tax.")
	case strings.HasPrefix(f, "front_desk."):
		return strings.TrimPrefix(f, "front_desk.")
	}
	return f
}

func propertyForm(pr inventory.Property, p *web.Page) url.Values {
	v := url.Values{}
	v.Set("name", pr.Name)
	a := pr.Address
	v.Set("address_line1", a.Line1)
	v.Set("address_line2", a.Line2)
	v.Set("address_postal_code", a.PostalCode)
	v.Set("address_city", a.City)
	v.Set("address_region", a.Region)
	v.Set("address_country", a.Country)
	v.Set("time_zone", pr.TimeZone)
	v.Set("currency", pr.Currency)
	v.Set("check_in_time", pr.CheckInTime)
	v.Set("check_out_time", pr.CheckOutTime)
	if pr.Tax.PricesIncludeVAT {
		v.Set("prices_include_vat", "on")
	}
	for i, rate := range pr.Tax.VATRates {
		if i >= vatRows {
			break
		}
		is := strconv.Itoa(i)
		v.Set("vat_code_"+is, rate.Code)
		v.Set("vat_name_"+is, rate.Name)
		pct := locale.Decimal(int64(rate.BasisPoints), 2, p.Style().Decimal, "")
		v.Set("vat_percent_"+is, strings.TrimSuffix(pct, p.Style().Decimal+"00"))
	}
	v.Set("accommodation_vat", pr.Tax.AccommodationVAT)
	ct := pr.Tax.CityTax
	if ct.PerPersonPerNight.Amount > 0 {
		v.Set("city_tax", p.AmountInput(ct.PerPersonPerNight))
	}
	if ct.Inclusive {
		v.Set("city_tax_inclusive", "on")
	}
	if ct.ChildrenExempt {
		v.Set("city_tax_children_exempt", "on")
	}
	if ct.MaxNights > 0 {
		v.Set("city_tax_max_nights", strconv.Itoa(ct.MaxNights))
	}
	fd := pr.FrontDesk
	v.Set("night_audit_time", fd.NightAuditTime)
	v.Set("id_photo_retention_days", strconv.Itoa(fd.IDPhotoRetentionDays))
	if fd.PurgeDocumentNumbers {
		v.Set("purge_document_numbers", "on")
	}
	if fd.AutoAssignRooms {
		v.Set("auto_assign_rooms", "on")
	}
	v.Set("registration_card", fd.RegistrationCard)
	return v
}

// propertyInput reads the settings form; currency is the one amounts are read in.
func propertyInput(v url.Values, currency string) (inventory.PropertyInput, error) {
	var fe web.FormErrors
	t := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	in := inventory.PropertyInput{Name: t("name"), TimeZone: t("time_zone"), Currency: strings.ToUpper(t("currency")),
		CheckInTime: t("check_in_time"), CheckOutTime: t("check_out_time"),
		Address: inventory.Address{Line1: t("address_line1"), Line2: t("address_line2"), PostalCode: t("address_postal_code"),
			City: t("address_city"), Region: t("address_region"), Country: strings.ToUpper(t("address_country"))}}
	if tenant.ValidCurrency(in.Currency) {
		currency = in.Currency
	}
	in.Tax.PricesIncludeVAT = v.Get("prices_include_vat") == "on"
	in.Tax.VATRates = []inventory.VATRate{}
	for i := range vatRows {
		is := strconv.Itoa(i)
		code, name, pct := t("vat_code_"+is), t("vat_name_"+is), t("vat_percent_"+is)
		if code == "" && name == "" && pct == "" {
			continue
		}
		bp, ok := web.ParseAmount(pct, "EUR") // two decimals: 7,5 % is 750 basis points
		if !ok {
			fe.Add("vat_percent_"+is, "must be a percentage such as 7 or 19")
		}
		in.Tax.VATRates = append(in.Tax.VATRates, inventory.VATRate{Code: code, Name: name, BasisPoints: int(bp)})
	}
	in.Tax.AccommodationVAT = t("accommodation_vat")
	if amount, ok := fe.Amount(v, "city_tax", currency); ok {
		in.Tax.CityTax.PerPersonPerNight = tenant.Money{Amount: amount, Currency: in.Currency}
	}
	in.Tax.CityTax.Inclusive = v.Get("city_tax_inclusive") == "on"
	in.Tax.CityTax.ChildrenExempt = v.Get("city_tax_children_exempt") == "on"
	in.Tax.CityTax.MaxNights = fe.Int(v, "city_tax_max_nights", 0)
	fd := inventory.FrontDeskSettings{NightAuditTime: t("night_audit_time"), PurgeDocumentNumbers: v.Get("purge_document_numbers") == "on",
		IDPhotoRetentionDays: fe.Int(v, "id_photo_retention_days", inventory.DefaultFrontDeskSettings.IDPhotoRetentionDays),
		AutoAssignRooms:      v.Get("auto_assign_rooms") == "on", RegistrationCard: t("registration_card")}
	if fd.NightAuditTime == "" {
		fd.NightAuditTime = inventory.DefaultFrontDeskSettings.NightAuditTime
	}
	in.FrontDesk = &fd
	return in, fe.Err("The property is not valid.")
}

// vatCodes lists the VAT codes typed in the form, for the accommodation VAT choice.
func vatCodes(v url.Values) []string {
	var out []string
	for i := range vatRows {
		if c := strings.TrimSpace(v.Get("vat_code_" + strconv.Itoa(i))); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
