// Package pmsledger is where the PMS and the ledger meet: it posts what
// the PMS books (nights at the night audit, cancellation and no-show fees,
// a balance left on the city ledger at check-out) to tenant/ledger inside
// the PMS's own transactions, and reads balances back. It registers
// itself with stays.RegisterPoster when it is linked in (the server and
// the command link it), so the PMS domains never import the ledger.
//
// It also holds the one decision about taxes: the ledger's configuration
// (tax codes with dated rates, categories, city-tax versions, products,
// legal data) is the only one that posts and invoices. A property whose
// ledger is not configured yet gets one derived from its older
// inventory.TaxSettings (Derive) the first time it is needed — the first
// posting, or the ledger settings page — after which the property's tax
// fields are for display only and changing them changes nothing posted.
package pmsledger

import (
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

func init() { stays.RegisterPoster(poster{}) }

// Default accounting categories of a derived configuration (SKR03-style
// revenue accounts; the operator changes them in the ledger settings).
const (
	CategoryAccommodation = "ACC"
	CategoryExtras        = "EXTRA"
	CategoryCityTax       = "CITYTAX"
	// TaxCodeCityTax is the code of the city tax: a levy collected for the
	// municipality, exempt from VAT (category E with its reason, which
	// EN 16931 accepts beside standard-rated lines, unlike O).
	TaxCodeCityTax = "CITYTAX"
	// TaxCodeNone is the accommodation code of a property that named no VAT rate.
	TaxCodeNone = "NOVAT"
)

// Since is the first date of every rate and city-tax version Derive makes:
// the older settings carry no dates, so they apply to every night.
var Since = date.MustParse("2000-01-01")

// Derive turns a property's older tax settings into a whole ledger
// configuration: each VAT rate becomes a tax code (S above zero, Z at
// zero) in force since 2000, the accommodation rate the accommodation
// code (a VAT-exempt NOVAT code when none was named), the per-person city
// tax a per_person_night version (children exempt below 18 when the
// setting exempted children; a city tax already inclusive in the room
// price is not posted, as the ledger does not model it), and the legal
// data starts as the property's name and address (country ZZ when the
// property has none). Invoices need the VAT id and full address, which the
// ledger settings page asks for.
func Derive(p inventory.Property) ledger.Setup {
	country := p.Address.Country
	if country == "" {
		country = "ZZ"
	}
	st := ledger.Settings{
		PropertyID: p.ID, Currency: p.Currency, PricesIncludeTax: p.Tax.PricesIncludeVAT,
		AccommodationTaxCode: p.Tax.AccommodationVAT, AccommodationCategory: CategoryAccommodation,
		Legal: ledger.Legal{Company: p.Name, Address: ledger.Address{Line1: p.Address.Line1, Line2: p.Address.Line2,
			PostalCode: p.Address.PostalCode, City: p.Address.City, Region: p.Address.Region, Country: country}},
	}
	out := ledger.Setup{Categories: []ledger.Category{
		{Code: CategoryAccommodation, Name: "Accommodation", Account: "8300"},
		{Code: CategoryExtras, Name: "Extras", Account: "8400"},
		{Code: CategoryCityTax, Name: "City tax", Account: "1740"},
	}}
	for _, r := range p.Tax.VATRates {
		c := ledger.TaxCode{Code: r.Code, Name: r.Name, Category: ledger.CategoryStandard, Rates: []ledger.Rate{{ValidFrom: Since, BasisPoints: r.BasisPoints}}}
		if r.BasisPoints == 0 {
			c.Category = ledger.CategoryZero
		}
		out.TaxCodes = append(out.TaxCodes, c)
	}
	if st.AccommodationTaxCode == "" {
		st.AccommodationTaxCode = TaxCodeNone
		out.TaxCodes = append(out.TaxCodes, ledger.TaxCode{Code: TaxCodeNone, Name: "No VAT", Category: ledger.CategoryExempt,
			ExemptionReason: "Exempt from VAT", Rates: []ledger.Rate{{ValidFrom: Since}}})
	}
	out.TaxCodes = append(out.TaxCodes, ledger.TaxCode{Code: TaxCodeCityTax, Name: "City tax (no VAT)", Category: ledger.CategoryExempt,
		ExemptionReason: "City tax: a levy collected for the municipality, not subject to VAT", Rates: []ledger.Rate{{ValidFrom: Since}}})
	if ct := p.Tax.CityTax; ct.PerPersonPerNight.Amount > 0 && !ct.Inclusive {
		rule := ledger.CityTaxRule{ValidFrom: Since, Kind: ledger.CityTaxPerPersonNight, Amount: ct.PerPersonPerNight.Amount,
			MaxNights: ct.MaxNights, TaxCode: TaxCodeCityTax, Category: CategoryCityTax, Description: "City tax"}
		if ct.ChildrenExempt {
			rule.ChildExemptBelowAge = 18
		}
		out.CityTax = []ledger.CityTaxRule{rule}
	}
	out.Settings = st
	return out
}

// Ensure configures a property's ledger from Derive when it is not
// configured yet, in the caller's transaction, and reports whether it did.
func Ensure(tx *tenant.Tx, db *tenant.DB, p inventory.Property) (bool, error) {
	l := ledger.New(db)
	ok, err := l.Configured(tx, p.ID)
	if err != nil || ok {
		return false, err
	}
	return true, l.SetupTx(tx, Derive(p))
}

type poster struct{}

// PostNights posts a business date's nights. The PMS records children
// without their ages, so each child counts as younger than any exemption
// age of a per-person city tax.
func (poster) PostNights(tx *tenant.Tx, db *tenant.DB, p inventory.Property, d date.Date, nights []stays.StayNight) error {
	if _, err := Ensure(tx, db, p); err != nil {
		return err
	}
	b := ledger.NightBatch{PropertyID: p.ID, BusinessDate: d}
	for _, n := range nights {
		b.Nights = append(b.Nights, ledger.NightPosting{Reservation: n.ReservationID, Night: ledger.Night{
			Date: n.Date, Price: n.Price, NightsBefore: n.NightsBefore,
			Party: ledger.Party{Adults: n.Adults, ChildAges: make([]int, n.Children)},
		}})
	}
	_, err := ledger.New(db).PostNightTx(tx, b)
	return err
}

func (poster) PostFee(tx *tenant.Tx, db *tenant.DB, p inventory.Property, f stays.FeeCharge) error {
	if _, err := Ensure(tx, db, p); err != nil {
		return err
	}
	desc := map[string]string{"cancellation": "Cancellation fee", "no_show": "No-show fee"}[f.Kind]
	_, _, err := ledger.New(db).PostFeeTx(tx, ledger.Fee{PropertyID: p.ID, Reservation: f.ReservationID, Item: "fee:" + f.Kind,
		Description: desc, Amount: f.Amount, Night: f.Arrival, BusinessDate: f.BusinessDate})
	return err
}

func (poster) Balance(tx *tenant.Tx, db *tenant.DB, _ inventory.Property, reservationID string) (int64, error) {
	return ledger.New(db).RefBalanceTx(tx, ledger.Ref{Kind: ledger.RefReservation, ID: reservationID})
}

func (poster) LeaveOnCityLedger(tx *tenant.Tx, db *tenant.DB, _ inventory.Property, reservationID, reason string, d date.Date) error {
	_, err := ledger.New(db).LeaveOnCityLedgerTx(tx, ledger.Ref{Kind: ledger.RefReservation, ID: reservationID}, reason, d)
	return err
}
