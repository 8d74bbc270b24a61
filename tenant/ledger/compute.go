package ledger

import (
	"fmt"
	"sort"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
)

// VAT categories of a tax code, as EN 16931 names them (UNCL 5305).
const (
	CategoryStandard   = "S" // standard or reduced rate: the rate is above zero
	CategoryZero       = "Z" // zero rated
	CategoryExempt     = "E" // exempt from VAT; needs an exemption reason
	CategoryOutOfScope = "O" // not subject to VAT; needs an exemption reason
)

// Rate is a tax code's rate from a date on, in basis points (700 = 7%). A
// code's rate on a date is the one with the latest ValidFrom on or before it.
type Rate struct {
	ValidFrom   date.Date `json:"valid_from"`
	BasisPoints int       `json:"basis_points"`
}

// TaxCode is a property's VAT code (for example DE-7 or DE-19) with its
// dated rates. A line freezes the rate in force on its service date.
type TaxCode struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Category is the EN 16931 VAT category: S (rate above zero), Z, E or O
	// (rate zero; E and O need an ExemptionReason).
	Category        string `json:"category"`
	ExemptionReason string `json:"exemption_reason,omitempty"`
	Rates           []Rate `json:"rates"`
	Version         int    `json:"version,omitempty"`
}

// RateOn returns the code's rate in force on d and whether one is.
func (c TaxCode) RateOn(d date.Date) (int, bool) {
	bp, ok := 0, false
	for _, r := range c.Rates { // sorted by ValidFrom
		if r.ValidFrom.After(d) {
			break
		}
		bp, ok = r.BasisPoints, true
	}
	return bp, ok
}

// Category is an accounting category of a property: what a line is in the
// books (accommodation, food, city tax…) and the ledger account it is
// booked to. A line freezes both.
type Category struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Account string `json:"account"`
}

// City-tax rule kinds.
const (
	CityTaxNone           = "none"             // no city tax from ValidFrom on
	CityTaxPerPersonNight = "per_person_night" // Amount per liable person per night
	CityTaxPercentOfNet   = "percent_of_net"   // BasisPoints of the night's net accommodation
)

// CityTaxRule is one dated version of a property's city tax. The version in
// force on a night's date applies to that night, so a change applies to the
// nights after it without splitting a stay, and a stay's count of nights
// (for MaxNights) runs on across the change.
//
// The computed city tax is a net amount: when TaxCode carries VAT, VAT is
// added on top of it, whatever the property's pricing.
type CityTaxRule struct {
	ValidFrom date.Date `json:"valid_from"`
	Kind      string    `json:"kind"`
	// Amount is the tax per liable person per night (per_person_night).
	Amount int64 `json:"amount,omitempty"`
	// BasisPoints is the percentage of the night's net accommodation
	// (percent_of_net; 750 = 7.5%).
	BasisPoints int `json:"basis_points,omitempty"`
	// ChildExemptBelowAge exempts children younger than this (per_person_night; 0: none).
	ChildExemptBelowAge int `json:"child_exempt_below_age,omitempty"`
	// MaxNights taxes only the first MaxNights nights of a stay (0: every night).
	MaxNights int `json:"max_nights,omitempty"`
	// BusinessExempt exempts stays the guest declares as business travel.
	BusinessExempt bool `json:"business_exempt,omitempty"`
	// TaxCode is the VAT code applied to the city tax (a zero-rate code when
	// VAT does not apply); Category is its accounting category.
	TaxCode     string `json:"tax_code"`
	Category    string `json:"category"`
	Description string `json:"description"`
}

// Product rhythms: how often an extra is posted.
const (
	RhythmOnce              = "once"                 // once per stay (on its first night), or when posted by hand
	RhythmPerNight          = "per_night"            // each night, the ordered quantity
	RhythmPerPersonPerNight = "per_person_per_night" // each night, the quantity times the party's persons
)

// Product is an extra a property sells (breakfast, parking, late
// check-out…): its price on the property's pricing basis (gross or net),
// tax code, accounting category and posting rhythm.
type Product struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Price    int64  `json:"price"`
	TaxCode  string `json:"tax_code"`
	Category string `json:"category"`
	Rhythm   string `json:"rhythm"`
	Active   bool   `json:"active"`
	Version  int    `json:"version"`
}

// Party is who stays a night: adults, the ages of the children, and
// whether the stay is business travel (for city-tax exemptions).
type Party struct {
	Adults       int   `json:"adults"`
	ChildAges    []int `json:"child_ages,omitempty"`
	BusinessStay bool  `json:"business_stay,omitempty"`
}

// Persons returns the number of people in the party.
func (p Party) Persons() int { return p.Adults + len(p.ChildAges) }

// Extra is a product ordered for a stay and the quantity ordered.
type Extra struct {
	Product  string `json:"product"`
	Quantity int    `json:"quantity"`
}

// Night is one night of a stay to be charged: its date (the service date),
// the frozen nightly price on the property's pricing basis, the party,
// how many nights of the same stay came before it (0 for the first; the
// city tax's cap counts them) and the extras ordered for the stay.
type Night struct {
	Date         date.Date `json:"date"`
	Price        int64     `json:"price"`
	Party        Party     `json:"party"`
	NightsBefore int       `json:"nights_before"`
	// Description of the room line; "Accommodation" when empty.
	Description string  `json:"description,omitempty"`
	Extras      []Extra `json:"extras,omitempty"`
}

// Draft is a charge line computed but not yet posted.
type Draft struct {
	ServiceDate date.Date `json:"service_date"`
	Description string    `json:"description"`
	Quantity    int       `json:"quantity"`
	UnitPrice   int64     `json:"unit_price"`
	Amounts
	TaxCode     string `json:"tax_code"`
	TaxCategory string `json:"tax_category"`
	TaxRate     int    `json:"tax_rate"` // basis points, frozen
	Category    string `json:"category"`
	Account     string `json:"account"`
	// Item names what was posted for a night ("room", "city_tax",
	// "product:BRK"); a night cannot be posted twice for the same item.
	Item string `json:"item,omitempty"`
}

// Items posted by a night.
const (
	ItemRoom    = "room"
	ItemCityTax = "city_tax"
)

// Config is a property's tax and pricing configuration, everything the
// pure functions NightLines and ProductLine need. Store.Config loads it.
type Config struct {
	PropertyID string `json:"property_id"`
	Currency   string `json:"currency"`
	// PricesIncludeTax: prices (nightly prices, product prices, allowance
	// amounts) are gross when set, net otherwise.
	PricesIncludeTax      bool                `json:"prices_include_tax"`
	AccommodationTaxCode  string              `json:"accommodation_tax_code"`
	AccommodationCategory string              `json:"accommodation_category"`
	TaxCodes              map[string]TaxCode  `json:"tax_codes"`
	Categories            map[string]Category `json:"categories"`
	CityTax               []CityTaxRule       `json:"city_tax"` // sorted by ValidFrom
	Products              map[string]Product  `json:"products"`
}

// CityTaxOn returns the city-tax version in force on d (Kind "none" when no
// version is).
func (c *Config) CityTaxOn(d date.Date) CityTaxRule {
	r := CityTaxRule{Kind: CityTaxNone}
	for _, v := range c.CityTax {
		if v.ValidFrom.After(d) {
			break
		}
		r = v
	}
	return r
}

// Charge computes one charge line: quantity × unit price on the given basis
// (gross when includesTax), split at the rate the tax code has on the
// service date, with the category's account frozen. It fails with EINVALID
// naming an unknown tax code or category, or a tax code without a rate on
// that date.
func (c *Config) Charge(serviceDate date.Date, description string, quantity int, unitPrice int64, taxCode, category string, includesTax bool) (Draft, error) {
	tc, ok := c.TaxCodes[taxCode]
	if !ok {
		return Draft{}, aura.Errorf(aura.EINVALID, "Property %s has no tax code %q.", c.PropertyID, taxCode)
	}
	rate, ok := tc.RateOn(serviceDate)
	if !ok {
		return Draft{}, aura.Errorf(aura.EINVALID, "The tax code %s has no rate on %s.", taxCode, serviceDate)
	}
	cat, ok := c.Categories[category]
	if !ok {
		return Draft{}, aura.Errorf(aura.EINVALID, "Property %s has no accounting category %q.", c.PropertyID, category)
	}
	if quantity < 1 || quantity > MaxQuantity {
		return Draft{}, aura.Errorf(aura.EINVALID, "A quantity must be 1 to %d.", MaxQuantity)
	}
	if unitPrice < 0 || unitPrice > MaxAmount || int64(quantity)*unitPrice > MaxAmount {
		return Draft{}, aura.Errorf(aura.EINVALID, "An amount must be 0 to %d minor units.", int64(MaxAmount))
	}
	return Draft{
		ServiceDate: serviceDate, Description: description, Quantity: quantity, UnitPrice: unitPrice,
		Amounts: Split(int64(quantity)*unitPrice, rate, includesTax),
		TaxCode: taxCode, TaxCategory: tc.Category, TaxRate: rate, Category: category, Account: cat.Account,
	}, nil
}

// NightLines computes the charge lines of one night: the room at the
// frozen nightly price, its city tax under the version in force that night
// (exemptions, cap on nights, VAT on the city tax), and the extras whose
// rhythm falls on that night (per night; per person per night; once on the
// first night). It is pure: the same config and night give the same lines,
// so the night audit and a preview agree. Errors are EINVALID: a missing
// tax code, rate, category or product, or a price or party out of range.
func (c *Config) NightLines(n Night) ([]Draft, error) {
	if n.Date.IsZero() {
		return nil, aura.Errorf(aura.EINVALID, "A night needs its date.")
	}
	if n.Party.Adults < 0 || n.Party.Persons() < 1 || n.Party.Persons() > 100 || n.NightsBefore < 0 {
		return nil, aura.Errorf(aura.EINVALID, "The night of %s needs a party of 1 to 100 persons and nights_before of 0 or more.", n.Date)
	}
	for _, a := range n.Party.ChildAges {
		if a < 0 || a > 17 {
			return nil, aura.Errorf(aura.EINVALID, "A child's age must be 0 to 17 (the night of %s has %d).", n.Date, a)
		}
	}
	desc := n.Description
	if desc == "" {
		desc = "Accommodation"
	}
	room, err := c.Charge(n.Date, desc, 1, n.Price, c.AccommodationTaxCode, c.AccommodationCategory, c.PricesIncludeTax)
	if err != nil {
		return nil, err
	}
	room.Item = ItemRoom
	lines := []Draft{room}
	if ct, ok, err := c.cityTax(n, room); err != nil {
		return nil, err
	} else if ok {
		lines = append(lines, ct)
	}
	for _, e := range n.Extras {
		p, ok := c.Products[e.Product]
		if !ok || !p.Active {
			return nil, aura.Errorf(aura.EINVALID, "Property %s has no active product %q.", c.PropertyID, e.Product)
		}
		if p.Rhythm == RhythmOnce && n.NightsBefore > 0 {
			continue
		}
		d, err := c.ProductLine(p.Code, e.Quantity, n.Date, n.Party)
		if err != nil {
			return nil, err
		}
		lines = append(lines, d)
	}
	return lines, nil
}

// cityTax computes the city-tax line of a night, if the version in force
// charges one.
func (c *Config) cityTax(n Night, room Draft) (Draft, bool, error) {
	r := c.CityTaxOn(n.Date)
	if r.Kind == CityTaxNone || (r.MaxNights > 0 && n.NightsBefore >= r.MaxNights) || (r.BusinessExempt && n.Party.BusinessStay) {
		return Draft{}, false, nil
	}
	desc := r.Description
	if desc == "" {
		desc = "City tax"
	}
	var d Draft
	var err error
	switch r.Kind {
	case CityTaxPerPersonNight:
		liable := n.Party.Adults
		for _, a := range n.Party.ChildAges {
			if r.ChildExemptBelowAge == 0 || a >= r.ChildExemptBelowAge {
				liable++
			}
		}
		if liable == 0 || r.Amount == 0 {
			return Draft{}, false, nil
		}
		d, err = c.Charge(n.Date, desc, liable, r.Amount, r.TaxCode, r.Category, false)
	case CityTaxPercentOfNet:
		amount := Percent(room.Net, r.BasisPoints)
		if amount == 0 {
			return Draft{}, false, nil
		}
		d, err = c.Charge(n.Date, fmt.Sprintf("%s (%s%% of %s)", desc, FormatRate(r.BasisPoints), FormatAmount(room.Net, c.Currency)), 1, amount, r.TaxCode, r.Category, false)
	default:
		return Draft{}, false, aura.Errorf(aura.EINVALID, "Unknown city-tax kind %q.", r.Kind)
	}
	if err != nil {
		return Draft{}, false, err
	}
	d.Item = ItemCityTax
	return d, true, nil
}

// ProductLine computes the line of a product for a service date: the
// ordered quantity (at least 1), times the party's persons for a
// per-person-per-night product, at the product's price on the property's
// pricing basis. It fails with EINVALID for an unknown or inactive product.
func (c *Config) ProductLine(code string, quantity int, serviceDate date.Date, party Party) (Draft, error) {
	p, ok := c.Products[code]
	if !ok || !p.Active {
		return Draft{}, aura.Errorf(aura.EINVALID, "Property %s has no active product %q.", c.PropertyID, code)
	}
	if quantity == 0 {
		quantity = 1
	}
	if quantity < 1 || quantity > MaxQuantity {
		return Draft{}, aura.Errorf(aura.EINVALID, "The quantity of %s must be 1 to %d.", code, MaxQuantity)
	}
	if p.Rhythm == RhythmPerPersonPerNight {
		if party.Persons() < 1 {
			return Draft{}, aura.Errorf(aura.EINVALID, "The product %s is charged per person: the party is needed.", code)
		}
		quantity *= party.Persons()
	}
	d, err := c.Charge(serviceDate, p.Name, quantity, p.Price, p.TaxCode, p.Category, c.PricesIncludeTax)
	if err != nil {
		return Draft{}, err
	}
	d.Item = "product:" + p.Code
	return d, nil
}

// sortRates orders a tax code's rates by date.
func sortRates(rs []Rate) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ValidFrom.Before(rs[j].ValidFrom) })
}

// sortCityTax orders city-tax versions by date.
func sortCityTax(vs []CityTaxRule) {
	sort.Slice(vs, func(i, j int) bool { return vs[i].ValidFrom.Before(vs[j].ValidFrom) })
}
