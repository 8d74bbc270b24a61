package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
	_ "modernc.org/sqlite"
)

// fixture is a real tenant file (through the real router, keys and
// platform DB) with a Berlin hotel's ledger configured through the Store:
// gross prices, DE-7 and DE-19 with the 2020 reduction, a city tax of 7.5%
// of the net room price (21 nights), breakfast and parking products.
type fixture struct {
	env   *auratest.Env
	db    *tenant.DB
	s     *ledger.Store
	clock *auratest.Clock
	ctx   context.Context
	prop  string
}

// march10 is the fixture's "now": business date 2027-03-10 in Berlin.
var march10 = time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	clock := auratest.NewClock(march10)
	env := auratest.New(tb, auratest.Options{Now: clock.Now})
	env.CreateTenant(tb, "hotel")
	db := env.Acquire(tb, "hotel")
	f := &fixture{env: env, db: db, s: ledger.New(db), clock: clock, ctx: auratest.Ctx(), prop: "prp_berlin"}
	f.configure(tb, f.prop)
	return f
}

func (f *fixture) configure(tb testing.TB, prop string) {
	tb.Helper()
	must(f.s.Configure(f.ctx, ledger.Settings{
		PropertyID: prop, Currency: "EUR", PricesIncludeTax: true,
		AccommodationTaxCode: "DE-7", AccommodationCategory: "ACC",
		Legal: ledger.Legal{
			Company: "Hotel Spree GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
			VATID: "DE123456789", TaxNumber: "27/123/45678", Register: "Amtsgericht Charlottenburg, HRB 123456 B",
			Directors: "Ada Spree", Email: "rechnung@hotel-spree.example", Phone: "+49 30 1234567",
			Bank:         ledger.Bank{AccountHolder: "Hotel Spree GmbH", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX", Name: "Commerzbank"},
			PaymentTerms: "Payable on receipt without deduction.",
		},
	}))(tb)
	for _, tc := range []ledger.TaxCode{
		{Code: "DE-7", Name: "Reduced rate", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2010-01-01"), BasisPoints: 700}, {ValidFrom: d("2020-07-01"), BasisPoints: 500}, {ValidFrom: d("2021-01-01"), BasisPoints: 700}}},
		{Code: "DE-19", Name: "Standard rate", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2007-01-01"), BasisPoints: 1900}, {ValidFrom: d("2020-07-01"), BasisPoints: 1600}, {ValidFrom: d("2021-01-01"), BasisPoints: 1900}}},
		{Code: "NV", Name: "City tax", Category: "E", ExemptionReason: "City tax (Übernachtungsteuer), not subject to VAT", Rates: []ledger.Rate{{ValidFrom: d("2000-01-01")}}},
	} {
		must(f.s.SetTaxCode(f.ctx, prop, tc))(tb)
	}
	for _, c := range []ledger.Category{{Code: "ACC", Name: "Accommodation", Account: "8300"}, {Code: "FB", Name: "Food and beverage", Account: "8400"},
		{Code: "CT", Name: "City tax", Account: "1370"}, {Code: "MISC", Name: "Other", Account: "8900"}} {
		must(f.s.SetCategory(f.ctx, prop, c, 0))(tb)
	}
	must(f.s.SetCityTax(f.ctx, prop, []ledger.CityTaxRule{
		{ValidFrom: d("2014-01-01"), Kind: ledger.CityTaxPercentOfNet, BasisPoints: 500, MaxNights: 21, TaxCode: "NV", Category: "CT", Description: "City tax"},
		{ValidFrom: d("2025-01-01"), Kind: ledger.CityTaxPercentOfNet, BasisPoints: 750, MaxNights: 21, TaxCode: "NV", Category: "CT", Description: "City tax"},
	}, 0))(tb)
	for _, p := range []ledger.Product{
		{Code: "BRK", Name: "Breakfast", Price: 1500, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmPerPersonPerNight, Active: true},
		{Code: "PRK", Name: "Parking", Price: 2000, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmPerNight, Active: true},
		{Code: "MINI", Name: "Minibar", Price: 450, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmOnce, Active: true},
	} {
		must(f.s.SetProduct(f.ctx, prop, p))(tb)
	}
}

// stay posts the nights [from, to) of a reservation, each on its own
// business date (the night itself), as the night audit does.
func (f *fixture) stay(tb testing.TB, res string, from, to string, price int64, party ledger.Party, extras ...ledger.Extra) []ledger.Line {
	tb.Helper()
	var lines []ledger.Line
	for i, n := range date.Range(d(from), d(to)) {
		r := must(f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: n, Nights: []ledger.NightPosting{
			{Reservation: res, Night: ledger.Night{Date: n, Price: price, Party: party, NightsBefore: i, Extras: extras}}}}))(tb)
		lines = append(lines, r.Posted...)
	}
	return lines
}

func (f *fixture) guestFolio(tb testing.TB, res string) ledger.Folio {
	tb.Helper()
	return must(f.s.GuestFolio(f.ctx, f.prop, res))(tb)
}

func (f *fixture) today() date.Date { return date.Of(f.clock.Now(), time.UTC) }

var guest = ledger.Recipient{Name: "Erika Mustermann", Address: ledger.Address{Line1: "Heidestraße 17", PostalCode: "51147", City: "Köln", Country: "DE"}}

// raw opens a second connection to the tenant file, as someone with
// sqlite3 and the file would.
func (f *fixture) raw(tb testing.TB) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+f.db.Path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// auditCount counts the audit rows of an action.
func (f *fixture) auditCount(tb testing.TB, action string) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v (%s)", err, aura.ErrorMessage(err))
		}
		return v
	}
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if aura.ErrorCode(err) != code {
		tb.Fatalf("err = %v (%s), want %s", err, aura.ErrorMessage(err), code)
	}
}

func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	wantCode(tb, err, aura.EINVALID)
	var e *aura.Error
	errors.As(err, &e)
	for _, fe := range e.Fields {
		if fe.Field == field {
			return
		}
	}
	tb.Fatalf("EINVALID without field %s: %+v", field, e.Fields)
}
