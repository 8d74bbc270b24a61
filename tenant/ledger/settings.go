package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Address is a postal address on an invoice (the seller's or the
// recipient's). Country is ISO 3166-1 alpha-2.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	Country    string `json:"country"`
}

// Bank is the account an invoice asks to be paid to.
type Bank struct {
	AccountHolder string `json:"account_holder,omitempty"`
	IBAN          string `json:"iban,omitempty"`
	BIC           string `json:"bic,omitempty"`
	Name          string `json:"name,omitempty"`
}

// Legal is the seller's legal data printed on every invoice (EU VAT
// Directive art. 226, UStG §14): the company, its address, its VAT id or
// tax number, its register entry, its managing directors, its bank and its
// payment terms. It is business data, stored plain.
type Legal struct {
	Company      string  `json:"company"`
	Address      Address `json:"address"`
	VATID        string  `json:"vat_id,omitempty"`
	TaxNumber    string  `json:"tax_number,omitempty"`
	Register     string  `json:"register,omitempty"`  // e.g. "Amtsgericht Charlottenburg, HRB 123456"
	Directors    string  `json:"directors,omitempty"` // managing directors, as printed
	Email        string  `json:"email,omitempty"`
	Phone        string  `json:"phone,omitempty"`
	Bank         Bank    `json:"bank"`
	PaymentTerms string  `json:"payment_terms,omitempty"` // e.g. "Payable on receipt without deduction."
}

// Settings are a property's ledger settings: its currency, whether its
// prices include tax, the tax code and category of room nights, the legal
// data of its invoices and the prefixes of its two number series.
type Settings struct {
	PropertyID            string    `json:"property_id"`
	Currency              string    `json:"currency"`
	PricesIncludeTax      bool      `json:"prices_include_tax"`
	AccommodationTaxCode  string    `json:"accommodation_tax_code"`
	AccommodationCategory string    `json:"accommodation_category"`
	Legal                 Legal     `json:"legal"`
	InvoiceSeries         string    `json:"invoice_series"`     // default RE
	CreditNoteSeries      string    `json:"credit_note_series"` // default GS
	Version               int       `json:"version"`
	UpdatedAt             time.Time `json:"updated_at"`
}

type accommodation struct {
	TaxCode  string `json:"tax_code"`
	Category string `json:"category"`
}

func (in *Settings) normalise() {
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if in.InvoiceSeries == "" {
		in.InvoiceSeries = "RE"
	}
	if in.CreditNoteSeries == "" {
		in.CreditNoteSeries = "GS"
	}
	l := &in.Legal
	l.Company = strings.TrimSpace(l.Company)
	l.VATID = strings.ToUpper(strings.ReplaceAll(l.VATID, " ", ""))
	l.Bank.IBAN = strings.ToUpper(strings.ReplaceAll(l.Bank.IBAN, " ", ""))
	l.Bank.BIC = strings.ToUpper(strings.TrimSpace(l.Bank.BIC))
	l.Address.Country = strings.ToUpper(strings.TrimSpace(l.Address.Country))
}

func (in Settings) validate() error {
	var fe fieldErrors
	if in.PropertyID == "" {
		fe.add("property_id", "is required")
	}
	if !tenant.ValidCurrency(in.Currency) {
		fe.add("currency", "must be an ISO 4217 code such as EUR")
	}
	fe.code("accommodation_tax_code", in.AccommodationTaxCode)
	fe.code("accommodation_category", in.AccommodationCategory)
	for _, s := range []struct{ field, v string }{{"invoice_series", in.InvoiceSeries}, {"credit_note_series", in.CreditNoteSeries}} {
		if !validSeries(s.v) {
			fe.add(s.field, "must be 1 to 10 capital letters or digits")
		}
	}
	if in.InvoiceSeries == in.CreditNoteSeries {
		fe.add("credit_note_series", "must differ from the invoice series (each document type has its own numbers)")
	}
	in.Legal.validate(&fe, "legal.")
	return fe.err("The ledger settings are not valid.")
}

func validSeries(s string) bool {
	if len(s) < 1 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

func (l Legal) validate(fe *fieldErrors, p string) {
	fe.text(p+"company", l.Company, 1, 200)
	l.Address.validate(fe, p+"address.")
	if l.VATID != "" && !validVATID(l.VATID) {
		fe.add(p+"vat_id", "must start with a two-letter country code followed by 2 to 13 letters or digits")
	}
	fe.text(p+"tax_number", l.TaxNumber, 0, 40)
	fe.text(p+"register", l.Register, 0, 200)
	fe.text(p+"directors", l.Directors, 0, 200)
	fe.text(p+"email", l.Email, 0, 254)
	fe.text(p+"phone", l.Phone, 0, 40)
	fe.text(p+"bank.account_holder", l.Bank.AccountHolder, 0, 200)
	fe.text(p+"bank.name", l.Bank.Name, 0, 200)
	if l.Bank.IBAN != "" && !validIBAN(l.Bank.IBAN) {
		fe.add(p+"bank.iban", "is not a valid IBAN (its check digits do not match)")
	}
	if b := l.Bank.BIC; b != "" && (len(b) != 8 && len(b) != 11 || !alnum(b)) {
		fe.add(p+"bank.bic", "must be 8 or 11 letters or digits")
	}
	fe.text(p+"payment_terms", l.PaymentTerms, 0, 500)
}

func (a Address) validate(fe *fieldErrors, p string) {
	fe.text(p+"line1", a.Line1, 0, 200)
	fe.text(p+"line2", a.Line2, 0, 200)
	fe.text(p+"postal_code", a.PostalCode, 0, 20)
	fe.text(p+"city", a.City, 0, 100)
	fe.text(p+"region", a.Region, 0, 100)
	if len(a.Country) != 2 || !upper(a.Country) {
		fe.add(p+"country", "must be a two-letter ISO 3166 country code such as DE")
	}
}

func upper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validVATID(v string) bool {
	return len(v) >= 4 && len(v) <= 15 && upper(v[:2]) && alnum(v[2:])
}

// validIBAN checks an IBAN's form and its ISO 7064 mod-97 check digits.
func validIBAN(iban string) bool {
	if len(iban) < 15 || len(iban) > 34 || !upper(iban[:2]) || !alnum(iban) {
		return false
	}
	var digits strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(strconv.Itoa(int(c - 'A' + 10)))
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// Configure creates or replaces a property's ledger settings (If-Match with
// Version on a replace) and audits before and after. The currency cannot
// change once the property has a folio (ECONFLICT). Other errors: EINVALID
// naming the fields, EPRECONDITION for a stale version.
func (s *Store) Configure(ctx context.Context, in Settings) (Settings, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		return s.configureTx(tx, in, &out)
	})
	return out, err
}

func (s *Store) configureTx(tx *tenant.Tx, in Settings, out *Settings) error {
	before, err := s.settings(tx, in.PropertyID)
	exists := err == nil
	if err != nil && aura.ErrorCode(err) != aura.ENOTFOUND {
		return err
	}
	if exists {
		if err := checkVersion("ledger settings of", in.PropertyID, before.Version, in.Version); err != nil {
			return err
		}
		if before.Currency != in.Currency {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM ledger_folios WHERE property_id = ?`, in.PropertyID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return aura.Errorf(aura.ECONFLICT, "The currency of property %s cannot change: it has folios in %s.", in.PropertyID, before.Currency)
			}
		}
	}
	*out = in
	out.UpdatedAt = tx.Now
	acc := mustJSON(accommodation{TaxCode: in.AccommodationTaxCode, Category: in.AccommodationCategory})
	if exists {
		out.Version = before.Version + 1
		_, err = tx.Exec(`UPDATE ledger_settings SET currency = ?, prices_include_tax = ?, accommodation = ?, legal = ?,
			invoice_series = ?, credit_note_series = ?, version = ?, updated_at = ? WHERE property_id = ?`,
			out.Currency, out.PricesIncludeTax, acc, mustJSON(out.Legal), out.InvoiceSeries, out.CreditNoteSeries,
			out.Version, formatTime(tx.Now), out.PropertyID)
	} else {
		out.Version = 1
		_, err = tx.Exec(`INSERT INTO ledger_settings (property_id, currency, prices_include_tax, accommodation, legal,
			invoice_series, credit_note_series, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.PropertyID, out.Currency, out.PricesIncludeTax, acc, mustJSON(out.Legal), out.InvoiceSeries,
			out.CreditNoteSeries, out.Version, formatTime(tx.Now), formatTime(tx.Now))
	}
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "ledger.configured", EntityType: "property", EntityID: out.PropertyID, After: out}
	if exists {
		e.Before = before
	}
	return tx.Audit(e)
}

// Settings returns a property's ledger settings, or ENOTFOUND when the
// ledger of that property is not configured.
func (s *Store) Settings(ctx context.Context, propertyID string) (Settings, error) {
	var out Settings
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = s.settings(tx, propertyID)
		return err
	})
	return out, err
}

func (s *Store) settings(tx *tenant.Tx, propertyID string) (Settings, error) {
	out := Settings{PropertyID: propertyID}
	var acc, legal, updated string
	err := tx.QueryRow(`SELECT currency, prices_include_tax, accommodation, legal, invoice_series, credit_note_series, version, updated_at
		FROM ledger_settings WHERE property_id = ?`, propertyID).Scan(&out.Currency, &out.PricesIncludeTax, &acc, &legal,
		&out.InvoiceSeries, &out.CreditNoteSeries, &out.Version, &updated)
	if err == sql.ErrNoRows {
		return out, aura.Errorf(aura.ENOTFOUND, "The ledger of property %q is not configured.", propertyID)
	}
	if err != nil {
		return out, err
	}
	var a accommodation
	if err := json.Unmarshal([]byte(acc), &a); err != nil {
		return out, err
	}
	out.AccommodationTaxCode, out.AccommodationCategory = a.TaxCode, a.Category
	if err := json.Unmarshal([]byte(legal), &out.Legal); err != nil {
		return out, err
	}
	out.UpdatedAt = parseTime(updated)
	return out, nil
}

func (c *TaxCode) normalise() {
	c.Category = strings.ToUpper(strings.TrimSpace(c.Category))
	sortRates(c.Rates)
}

func (c TaxCode) validate() error {
	var fe fieldErrors
	fe.code("code", c.Code)
	fe.text("name", c.Name, 0, 100)
	fe.text("exemption_reason", c.ExemptionReason, 0, 200)
	switch c.Category {
	case CategoryStandard, CategoryZero:
	case CategoryExempt, CategoryOutOfScope:
		if c.ExemptionReason == "" {
			fe.add("exemption_reason", "is required for category %s (it is printed on the invoice)", c.Category)
		}
	default:
		fe.add("category", "must be S (standard or reduced rate), Z (zero rated), E (exempt) or O (not subject to VAT)")
	}
	if len(c.Rates) == 0 || len(c.Rates) > 100 {
		fe.add("rates", "must hold 1 to 100 dated rates")
	}
	for i, r := range c.Rates {
		f := "rates[" + itoa(i) + "]"
		switch {
		case r.ValidFrom.IsZero():
			fe.add(f+".valid_from", "is required (YYYY-MM-DD)")
		case i > 0 && r.ValidFrom == c.Rates[i-1].ValidFrom:
			fe.add(f+".valid_from", "two rates start on %s", r.ValidFrom)
		}
		switch {
		case r.BasisPoints < 0 || r.BasisPoints > MaxRate:
			fe.add(f+".basis_points", "must be 0 to %d (100%%)", MaxRate)
		case c.Category == CategoryStandard && r.BasisPoints == 0:
			fe.add(f+".basis_points", "must be above 0 for category S (use Z, E or O for no VAT)")
		case c.Category != CategoryStandard && r.BasisPoints != 0:
			fe.add(f+".basis_points", "must be 0 for category %s", c.Category)
		}
	}
	return fe.err("The tax code is not valid.")
}

// SetTaxCode creates or replaces a tax code of a property with all its
// dated rates (If-Match with Version on a replace). Lines already posted
// keep the rate they froze; the new rates apply to lines posted from now
// on, by their service date. Errors: EINVALID naming the fields,
// EPRECONDITION for a stale version.
func (s *Store) SetTaxCode(ctx context.Context, propertyID string, in TaxCode) (TaxCode, error) {
	in.Rates = append([]Rate(nil), in.Rates...)
	in.normalise()
	if err := in.validate(); err != nil {
		return TaxCode{}, err
	}
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		return s.setTaxCodeTx(tx, propertyID, &in)
	})
	return in, err
}

func (s *Store) setTaxCodeTx(tx *tenant.Tx, propertyID string, in *TaxCode) error {
	var before TaxCode
	var rates string
	err := tx.QueryRow(`SELECT name, category, exemption_reason, rates, version FROM ledger_tax_codes WHERE property_id = ? AND code = ?`,
		propertyID, in.Code).Scan(&before.Name, &before.Category, &before.ExemptionReason, &rates, &before.Version)
	exists := err == nil
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if exists {
		before.Code = in.Code
		if err := json.Unmarshal([]byte(rates), &before.Rates); err != nil {
			return err
		}
		if err := checkVersion("tax code", in.Code, before.Version, in.Version); err != nil {
			return err
		}
	}
	in.Version = before.Version + 1
	if _, err := tx.Exec(`INSERT INTO ledger_tax_codes (property_id, code, name, category, exemption_reason, rates, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, code) DO UPDATE SET name = excluded.name, category = excluded.category,
		exemption_reason = excluded.exemption_reason, rates = excluded.rates, version = excluded.version, updated_at = excluded.updated_at`,
		propertyID, in.Code, in.Name, in.Category, in.ExemptionReason, mustJSON(in.Rates), in.Version, formatTime(tx.Now)); err != nil {
		return err
	}
	e := audit.Entry{Action: "ledger.tax_code_set", EntityType: "property", EntityID: propertyID, After: in}
	if exists {
		e.Before = before
	}
	return tx.Audit(e)
}

// SetCategory creates or replaces an accounting category of a property
// (code, name, ledger account). Lines already posted keep the account they
// froze. Errors: EINVALID naming the fields, EPRECONDITION for a stale
// version.
func (s *Store) SetCategory(ctx context.Context, propertyID string, in Category, version int) (Category, error) {
	var fe fieldErrors
	fe.code("code", in.Code)
	fe.text("name", in.Name, 0, 100)
	fe.text("account", in.Account, 1, 40)
	if err := fe.err("The accounting category is not valid."); err != nil {
		return Category{}, err
	}
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		return s.setCategoryTx(tx, propertyID, in, version)
	})
	return in, err
}

func (s *Store) setCategoryTx(tx *tenant.Tx, propertyID string, in Category, version int) error {
	var before Category
	var stored int
	err := tx.QueryRow(`SELECT name, account, version FROM ledger_categories WHERE property_id = ? AND code = ?`, propertyID, in.Code).
		Scan(&before.Name, &before.Account, &stored)
	exists := err == nil
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if exists {
		before.Code = in.Code
		if err := checkVersion("category", in.Code, stored, version); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`INSERT INTO ledger_categories (property_id, code, name, account, version, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (property_id, code) DO UPDATE SET name = excluded.name, account = excluded.account, version = excluded.version,
		updated_at = excluded.updated_at`, propertyID, in.Code, in.Name, in.Account, stored+1, formatTime(tx.Now)); err != nil {
		return err
	}
	e := audit.Entry{Action: "ledger.category_set", EntityType: "property", EntityID: propertyID, After: in}
	if exists {
		e.Before = before
	}
	return tx.Audit(e)
}

func (r CityTaxRule) validate(fe *fieldErrors, p string, prev *CityTaxRule) {
	switch {
	case r.ValidFrom.IsZero():
		fe.add(p+"valid_from", "is required (YYYY-MM-DD)")
	case prev != nil && prev.ValidFrom == r.ValidFrom:
		fe.add(p+"valid_from", "two versions start on %s", r.ValidFrom)
	}
	fe.text(p+"description", r.Description, 0, 100)
	if r.MaxNights < 0 || r.MaxNights > 3650 {
		fe.add(p+"max_nights", "must be 0 (no cap) to 3650")
	}
	switch r.Kind {
	case CityTaxNone:
		return
	case CityTaxPerPersonNight:
		if r.Amount <= 0 || r.Amount > MaxAmount/MaxQuantity {
			fe.add(p+"amount", "must be above 0 (minor units per person per night)")
		}
		if r.BasisPoints != 0 {
			fe.add(p+"basis_points", "is only for percent_of_net")
		}
		if r.ChildExemptBelowAge < 0 || r.ChildExemptBelowAge > 18 {
			fe.add(p+"child_exempt_below_age", "must be 0 (none) to 18")
		}
	case CityTaxPercentOfNet:
		if r.BasisPoints <= 0 || r.BasisPoints > MaxRate {
			fe.add(p+"basis_points", "must be 1 to %d", MaxRate)
		}
		if r.Amount != 0 {
			fe.add(p+"amount", "is only for per_person_night")
		}
		if r.ChildExemptBelowAge != 0 {
			fe.add(p+"child_exempt_below_age", "applies to per-person rules only (a percentage is charged on the room)")
		}
	default:
		fe.add(p+"kind", "must be none, per_person_night or percent_of_net")
		return
	}
	fe.code(p+"tax_code", r.TaxCode)
	fe.code(p+"category", r.Category)
}

// SetCityTax replaces every dated version of a property's city tax
// (If-Match with version). The version in force on a night's date applies
// to it; nights already posted keep what they were charged. The tax code
// and category of each version must exist (EINVALID otherwise). Errors:
// EINVALID naming the fields, EPRECONDITION for a stale version.
func (s *Store) SetCityTax(ctx context.Context, propertyID string, versions []CityTaxRule, version int) ([]CityTaxRule, error) {
	versions = append([]CityTaxRule(nil), versions...)
	sortCityTax(versions)
	var fe fieldErrors
	if len(versions) > 100 {
		fe.add("versions", "at most 100 versions")
	}
	for i := range versions {
		var prev *CityTaxRule
		if i > 0 {
			prev = &versions[i-1]
		}
		versions[i].validate(&fe, "versions["+itoa(i)+"].", prev)
	}
	if err := fe.err("The city tax is not valid."); err != nil {
		return nil, err
	}
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		return s.setCityTaxTx(tx, propertyID, versions, version)
	})
	return versions, err
}

func (s *Store) setCityTaxTx(tx *tenant.Tx, propertyID string, versions []CityTaxRule, version int) error {
	var before []CityTaxRule
	var raw string
	var stored int
	err := tx.QueryRow(`SELECT versions, version FROM ledger_city_tax WHERE property_id = ?`, propertyID).Scan(&raw, &stored)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if err == nil {
		if err := json.Unmarshal([]byte(raw), &before); err != nil {
			return err
		}
		if err := checkVersion("city tax of", propertyID, stored, version); err != nil {
			return err
		}
	}
	var fe fieldErrors
	for i, v := range versions {
		if v.Kind == CityTaxNone {
			continue
		}
		if !rowExists(tx, `SELECT 1 FROM ledger_tax_codes WHERE property_id = ? AND code = ?`, propertyID, v.TaxCode) {
			fe.add("versions["+itoa(i)+"].tax_code", "no tax code %q", v.TaxCode)
		}
		if !rowExists(tx, `SELECT 1 FROM ledger_categories WHERE property_id = ? AND code = ?`, propertyID, v.Category) {
			fe.add("versions["+itoa(i)+"].category", "no accounting category %q", v.Category)
		}
	}
	if err := fe.err("The city tax is not valid."); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO ledger_city_tax (property_id, versions, version, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (property_id) DO UPDATE SET versions = excluded.versions, version = excluded.version, updated_at = excluded.updated_at`,
		propertyID, mustJSON(versions), stored+1, formatTime(tx.Now)); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{Action: "ledger.city_tax_set", EntityType: "property", EntityID: propertyID, Before: before, After: versions})
}

// SetProduct creates or replaces a product of a property (If-Match with
// Version on a replace). Its tax code and category must exist. Lines
// already posted keep their price. Errors: EINVALID naming the fields,
// EPRECONDITION for a stale version.
func (s *Store) SetProduct(ctx context.Context, propertyID string, in Product) (Product, error) {
	var fe fieldErrors
	fe.code("code", in.Code)
	fe.text("name", in.Name, 1, 100)
	if in.Price < 0 || in.Price > MaxAmount/MaxQuantity {
		fe.add("price", "must be 0 to %d minor units", int64(MaxAmount/MaxQuantity))
	}
	fe.code("tax_code", in.TaxCode)
	fe.code("category", in.Category)
	switch in.Rhythm {
	case RhythmOnce, RhythmPerNight, RhythmPerPersonPerNight:
	default:
		fe.add("rhythm", "must be once, per_night or per_person_per_night")
	}
	if err := fe.err("The product is not valid."); err != nil {
		return Product{}, err
	}
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		var before Product
		err := tx.QueryRow(`SELECT code, name, price, tax_code, category, rhythm, active, version FROM ledger_products WHERE property_id = ? AND code = ?`,
			propertyID, in.Code).Scan(&before.Code, &before.Name, &before.Price, &before.TaxCode, &before.Category, &before.Rhythm, &before.Active, &before.Version)
		exists := err == nil
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if exists {
			if err := checkVersion("product", in.Code, before.Version, in.Version); err != nil {
				return err
			}
		}
		var fe fieldErrors
		if !rowExists(tx, `SELECT 1 FROM ledger_tax_codes WHERE property_id = ? AND code = ?`, propertyID, in.TaxCode) {
			fe.add("tax_code", "no tax code %q", in.TaxCode)
		}
		if !rowExists(tx, `SELECT 1 FROM ledger_categories WHERE property_id = ? AND code = ?`, propertyID, in.Category) {
			fe.add("category", "no accounting category %q", in.Category)
		}
		if err := fe.err("The product is not valid."); err != nil {
			return err
		}
		in.Version = before.Version + 1
		if _, err := tx.Exec(`INSERT INTO ledger_products (property_id, code, name, price, tax_code, category, rhythm, active, version, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, code) DO UPDATE SET name = excluded.name, price = excluded.price,
			tax_code = excluded.tax_code, category = excluded.category, rhythm = excluded.rhythm, active = excluded.active,
			version = excluded.version, updated_at = excluded.updated_at`,
			propertyID, in.Code, in.Name, in.Price, in.TaxCode, in.Category, in.Rhythm, in.Active, in.Version, formatTime(tx.Now)); err != nil {
			return err
		}
		e := audit.Entry{Action: "ledger.product_set", EntityType: "property", EntityID: propertyID, After: in}
		if exists {
			e.Before = before
		}
		return tx.Audit(e)
	})
	return in, err
}

func rowExists(tx *tenant.Tx, query string, args ...any) bool {
	var one int
	return tx.QueryRow(query, args...).Scan(&one) == nil
}

// Config returns a property's whole tax and pricing configuration (the
// input of NightLines and ProductLine), or ENOTFOUND when its ledger is
// not configured.
func (s *Store) Config(ctx context.Context, propertyID string) (*Config, error) {
	var c *Config
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		c, err = s.config(tx, propertyID)
		return err
	})
	return c, err
}

func (s *Store) config(tx *tenant.Tx, propertyID string) (*Config, error) {
	st, err := s.settings(tx, propertyID)
	if err != nil {
		return nil, err
	}
	c := &Config{
		PropertyID: propertyID, Currency: st.Currency, PricesIncludeTax: st.PricesIncludeTax,
		AccommodationTaxCode: st.AccommodationTaxCode, AccommodationCategory: st.AccommodationCategory,
		TaxCodes: map[string]TaxCode{}, Categories: map[string]Category{}, Products: map[string]Product{},
	}
	rows, err := tx.Query(`SELECT code, name, category, exemption_reason, rates, version FROM ledger_tax_codes WHERE property_id = ?`, propertyID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tc TaxCode
		var rates string
		if err := rows.Scan(&tc.Code, &tc.Name, &tc.Category, &tc.ExemptionReason, &rates, &tc.Version); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(rates), &tc.Rates); err != nil {
			rows.Close()
			return nil, err
		}
		c.TaxCodes[tc.Code] = tc
	}
	rows.Close()
	if rows, err = tx.Query(`SELECT code, name, account FROM ledger_categories WHERE property_id = ?`, propertyID); err != nil {
		return nil, err
	}
	for rows.Next() {
		var cat Category
		if err := rows.Scan(&cat.Code, &cat.Name, &cat.Account); err != nil {
			rows.Close()
			return nil, err
		}
		c.Categories[cat.Code] = cat
	}
	rows.Close()
	if rows, err = tx.Query(`SELECT code, name, price, tax_code, category, rhythm, active, version FROM ledger_products WHERE property_id = ?`, propertyID); err != nil {
		return nil, err
	}
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.Code, &p.Name, &p.Price, &p.TaxCode, &p.Category, &p.Rhythm, &p.Active, &p.Version); err != nil {
			rows.Close()
			return nil, err
		}
		c.Products[p.Code] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var raw string
	switch err := tx.QueryRow(`SELECT versions FROM ledger_city_tax WHERE property_id = ?`, propertyID).Scan(&raw); {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal([]byte(raw), &c.CityTax); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// retainUntil is the last day an issued document must be kept: the end of
// the eighth calendar year after the year of issue (Germany's period for
// invoices since 2025, counted from the end of the year of issue).
func retainUntil(issued date.Date) date.Date {
	y, _, _ := issued.YMD()
	return date.New(y+8, time.December, 31)
}
