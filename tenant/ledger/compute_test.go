package ledger_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/ledger"
)

func d(s string) date.Date { return date.MustParse(s) }

func TestRound(t *testing.T) {
	cases := []struct{ n, d, want int64 }{
		{5, 10, 1}, {-5, 10, -1}, {14, 10, 1}, {-14, 10, -1}, {15, 10, 2}, {-15, 10, -2},
		{25, 10, 3}, {-25, 10, -3}, // away from zero, not to even
		{0, 7, 0}, {1, 3, 0}, {2, 3, 1}, {-2, 3, -1}, {10700 * 700, 10700, 700}, {9999 * 700, 10700, 654},
	}
	for _, c := range cases {
		if got := ledger.Round(c.n, c.d); got != c.want {
			t.Errorf("Round(%d, %d) = %d, want %d", c.n, c.d, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	cases := []struct {
		name   string
		amount int64
		bp     int
		gross  bool
		want   ledger.Amounts
	}{
		{"gross 107.00 at 7%", 10700, 700, true, ledger.Amounts{Net: 10000, Tax: 700, Gross: 10700}},
		{"gross 107.00 at 5%", 10700, 500, true, ledger.Amounts{Net: 10190, Tax: 510, Gross: 10700}}, // 509.52 → 510
		{"gross 30.00 at 19%", 3000, 1900, true, ledger.Amounts{Net: 2521, Tax: 479, Gross: 3000}},   // 478.99 → 479
		{"net 7.50 at 7%", 750, 700, false, ledger.Amounts{Net: 750, Tax: 53, Gross: 803}},           // 52.5 → 53, half away from zero
		{"net 200.00 at 10%", 20000, 1000, false, ledger.Amounts{Net: 20000, Tax: 2000, Gross: 22000}},
		{"zero rate", 1234, 0, true, ledger.Amounts{Net: 1234, Tax: 0, Gross: 1234}},
	}
	for _, c := range cases {
		if got := ledger.Split(c.amount, c.bp, c.gross); got != c.want {
			t.Errorf("%s: Split = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		a    int64
		cur  string
		want string
	}{{12345, "EUR", "123.45"}, {-5, "EUR", "-0.05"}, {500, "JPY", "500"}, {1, "KWD", "0.001"}, {0, "EUR", "0.00"}} {
		if got := ledger.FormatAmount(c.a, c.cur); got != c.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", c.a, c.cur, got, c.want)
		}
	}
	if got := ledger.FormatRate(750); got != "7.50" {
		t.Errorf("FormatRate(750) = %q", got)
	}
	if got := ledger.FormatRate(1900); got != "19.00" {
		t.Errorf("FormatRate(1900) = %q", got)
	}
}

// berlin is a gross-priced German hotel: accommodation at DE-7 and
// breakfast at DE-19 with the real 2020 reduction (5% and 16% from 1 July
// to 31 December 2020), and Berlin's city tax: 5% of the net room price,
// 7.5% from 2025, at most 21 nights, not subject to VAT.
func berlin() *ledger.Config {
	return &ledger.Config{
		PropertyID: "prp_berlin", Currency: "EUR", PricesIncludeTax: true,
		AccommodationTaxCode: "DE-7", AccommodationCategory: "ACC",
		TaxCodes: map[string]ledger.TaxCode{
			"DE-7":  {Code: "DE-7", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2010-01-01"), BasisPoints: 700}, {ValidFrom: d("2020-07-01"), BasisPoints: 500}, {ValidFrom: d("2021-01-01"), BasisPoints: 700}}},
			"DE-19": {Code: "DE-19", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2007-01-01"), BasisPoints: 1900}, {ValidFrom: d("2020-07-01"), BasisPoints: 1600}, {ValidFrom: d("2021-01-01"), BasisPoints: 1900}}},
			"NV":    {Code: "NV", Category: "E", ExemptionReason: "City tax, not subject to VAT", Rates: []ledger.Rate{{ValidFrom: d("2000-01-01")}}},
		},
		Categories: map[string]ledger.Category{
			"ACC": {Code: "ACC", Account: "8300"}, "FB": {Code: "FB", Account: "8400"}, "CT": {Code: "CT", Account: "1370"},
		},
		CityTax: []ledger.CityTaxRule{
			{ValidFrom: d("2014-01-01"), Kind: ledger.CityTaxPercentOfNet, BasisPoints: 500, MaxNights: 21, BusinessExempt: true, TaxCode: "NV", Category: "CT", Description: "City tax"},
			{ValidFrom: d("2025-01-01"), Kind: ledger.CityTaxPercentOfNet, BasisPoints: 750, MaxNights: 21, BusinessExempt: true, TaxCode: "NV", Category: "CT", Description: "City tax"},
		},
		Products: map[string]ledger.Product{
			"BRK": {Code: "BRK", Name: "Breakfast", Price: 1500, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmPerPersonPerNight, Active: true},
			"PRK": {Code: "PRK", Name: "Parking", Price: 2000, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmPerNight, Active: true},
			"WEL": {Code: "WEL", Name: "Welcome drink", Price: 900, TaxCode: "DE-19", Category: "FB", Rhythm: ledger.RhythmOnce, Active: true},
		},
	}
}

// barcelona is a net-priced hotel with a Barcelona-style tourist tax: a
// per-person-per-night amount (5.50, 6.00 from 1 May 2025), under-16s
// exempt, at most 7 nights.
func barcelona() *ledger.Config {
	return &ledger.Config{
		PropertyID: "prp_bcn", Currency: "EUR", PricesIncludeTax: false,
		AccommodationTaxCode: "ES-10", AccommodationCategory: "ACC",
		TaxCodes: map[string]ledger.TaxCode{
			"ES-10": {Code: "ES-10", Category: "S", Rates: []ledger.Rate{{ValidFrom: d("2012-09-01"), BasisPoints: 1000}}},
			"ES-0":  {Code: "ES-0", Category: "E", ExemptionReason: "Tourist tax, not subject to VAT", Rates: []ledger.Rate{{ValidFrom: d("2000-01-01")}}},
		},
		Categories: map[string]ledger.Category{"ACC": {Code: "ACC", Account: "700"}, "CT": {Code: "CT", Account: "475"}},
		CityTax: []ledger.CityTaxRule{
			{ValidFrom: d("2024-01-01"), Kind: ledger.CityTaxPerPersonNight, Amount: 550, ChildExemptBelowAge: 16, MaxNights: 7, TaxCode: "ES-0", Category: "CT", Description: "Tourist tax"},
			{ValidFrom: d("2025-05-01"), Kind: ledger.CityTaxPerPersonNight, Amount: 600, ChildExemptBelowAge: 16, MaxNights: 7, TaxCode: "ES-0", Category: "CT", Description: "Tourist tax"},
		},
	}
}

type want struct {
	item  string
	qty   int
	unit  int64
	rate  int
	net   int64
	tax   int64
	gross int64
}

func check(t *testing.T, got []ledger.Draft, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d lines %+v, want %d", len(got), got, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Item != w.item || g.Quantity != w.qty || g.UnitPrice != w.unit || g.TaxRate != w.rate || g.Net != w.net || g.Tax != w.tax || g.Gross != w.gross {
			t.Errorf("line %d = %s qty %d unit %d rate %d net %d tax %d gross %d; want %+v", i, g.Item, g.Quantity, g.UnitPrice, g.TaxRate, g.Net, g.Tax, g.Gross, w)
		}
		if g.Gross != g.Net+g.Tax {
			t.Errorf("line %d: gross %d != net %d + tax %d", i, g.Gross, g.Net, g.Tax)
		}
	}
}

// TestNightLinesBerlin checks Berlin's percentage city tax (7.5% of the net
// room price, 21-night cap, business exemption) against hand-computed
// values.
func TestNightLinesBerlin(t *testing.T) {
	two := ledger.Party{Adults: 2}
	cases := []struct {
		name  string
		night ledger.Night
		want  []want
	}{
		// 107.00 gross at 7%: tax 7.00, net 100.00; city tax 7.5% of 100.00 = 7.50.
		{"first night", ledger.Night{Date: d("2025-03-01"), Price: 10700, Party: two},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 750, 0, 750, 0, 750}}},
		// 99.99 gross: tax 9999×7/107 = 654.14 → 6.54, net 93.45; city tax 93.45 × 7.5% = 7.00875 → 7.01.
		{"rounding per line", ledger.Night{Date: d("2025-03-01"), Price: 9999, Party: two},
			[]want{{"room", 1, 9999, 700, 9345, 654, 9999}, {"city_tax", 1, 701, 0, 701, 0, 701}}},
		{"21st night is taxed", ledger.Night{Date: d("2025-03-21"), Price: 10700, Party: two, NightsBefore: 20},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 750, 0, 750, 0, 750}}},
		{"22nd night is not", ledger.Night{Date: d("2025-03-22"), Price: 10700, Party: two, NightsBefore: 21},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}}},
		{"business stay is exempt", ledger.Night{Date: d("2025-03-01"), Price: 10700, Party: ledger.Party{Adults: 1, BusinessStay: true}},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}}},
		// The 2024 rule: 5% of 100.00 = 5.00.
		{"before the 2025 rate", ledger.Night{Date: d("2024-12-31"), Price: 10700, Party: two},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 500, 0, 500, 0, 500}}},
		// Breakfast 15.00 per person: 30.00 gross at 19% = tax 4.79, net 25.21; parking 20.00 per night:
		// tax 2000×19/119 = 319.33 → 3.19, net 16.81; the welcome drink (once) only on the first night.
		{"extras", ledger.Night{Date: d("2025-03-02"), Price: 10700, Party: two, NightsBefore: 1, Extras: []ledger.Extra{{Product: "BRK", Quantity: 1}, {Product: "PRK"}, {Product: "WEL"}}},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 750, 0, 750, 0, 750}, {"product:BRK", 2, 1500, 1900, 2521, 479, 3000}, {"product:PRK", 1, 2000, 1900, 1681, 319, 2000}}},
		{"once on the first night", ledger.Night{Date: d("2025-03-01"), Price: 10700, Party: two, Extras: []ledger.Extra{{Product: "WEL"}}},
			[]want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 750, 0, 750, 0, 750}, {"product:WEL", 1, 900, 1900, 756, 144, 900}}},
	}
	cfg := berlin()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cfg.NightLines(c.night)
			if err != nil {
				t.Fatal(err)
			}
			check(t, got, c.want)
		})
	}
	t.Run("VAT on the city tax", func(t *testing.T) {
		cfg := berlin()
		cfg.CityTax[1].TaxCode = "DE-7"
		got, err := cfg.NightLines(ledger.Night{Date: d("2025-03-01"), Price: 10700, Party: two})
		if err != nil {
			t.Fatal(err)
		}
		// 7.50 net + 7% = 0.525 → 0.53 (half away from zero), gross 8.03.
		check(t, got, []want{{"room", 1, 10700, 700, 10000, 700, 10700}, {"city_tax", 1, 750, 700, 750, 53, 803}})
	})
}

// TestNightLinesBarcelona checks a per-person-per-night tax with under-16s
// exempt and a 7-night cap, across a change of the amount.
func TestNightLinesBarcelona(t *testing.T) {
	family := ledger.Party{Adults: 2, ChildAges: []int{15, 16}} // the 16-year-old pays
	cases := []struct {
		name  string
		night ledger.Night
		want  []want
	}{
		// Net 200.00 + 10% = 220.00; 3 liable persons × 5.50 = 16.50.
		{"family", ledger.Night{Date: d("2025-04-01"), Price: 20000, Party: family},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}, {"city_tax", 3, 550, 0, 1650, 0, 1650}}},
		{"small child exempt", ledger.Night{Date: d("2025-04-01"), Price: 20000, Party: ledger.Party{Adults: 2, ChildAges: []int{4}}},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}, {"city_tax", 2, 550, 0, 1100, 0, 1100}}},
		{"7th night is taxed", ledger.Night{Date: d("2025-04-07"), Price: 20000, Party: family, NightsBefore: 6},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}, {"city_tax", 3, 550, 0, 1650, 0, 1650}}},
		{"8th night is not", ledger.Night{Date: d("2025-04-08"), Price: 20000, Party: family, NightsBefore: 7},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}}},
		// A stay from 26 April: its 6th night (1 May) falls under the new amount, 3 × 6.00.
		{"rule changed mid-stay", ledger.Night{Date: d("2025-05-01"), Price: 20000, Party: family, NightsBefore: 5},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}, {"city_tax", 3, 600, 0, 1800, 0, 1800}}},
		{"the same stay's 8th night is still capped", ledger.Night{Date: d("2025-05-03"), Price: 20000, Party: family, NightsBefore: 7},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}}},
		{"only exempt children", ledger.Night{Date: d("2025-04-01"), Price: 20000, Party: ledger.Party{ChildAges: []int{10}}},
			[]want{{"room", 1, 20000, 1000, 20000, 2000, 22000}}},
	}
	cfg := barcelona()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cfg.NightLines(c.night)
			if err != nil {
				t.Fatal(err)
			}
			check(t, got, c.want)
		})
	}
}

// TestNightLinesAcrossVATChange posts a stay across Germany's reduction of
// 1 July 2020: each night freezes the rate in force on its date.
func TestNightLinesAcrossVATChange(t *testing.T) {
	cfg := berlin()
	cfg.CityTax = nil
	party := ledger.Party{Adults: 2}
	brk := []ledger.Extra{{Product: "BRK"}}
	var nets, taxes []int64
	for i, night := range date.Range(d("2020-06-29"), d("2020-07-02")) {
		lines, err := cfg.NightLines(ledger.Night{Date: night, Price: 10700, Party: party, NightsBefore: i, Extras: brk})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.ServiceDate != night {
				t.Errorf("line %s has service date %s, want %s", l.Item, l.ServiceDate, night)
			}
			nets = append(nets, l.Net)
			taxes = append(taxes, l.Tax)
		}
	}
	// Room 107.00: 7.00 tax at 7%, 5.10 at 5% (509.52 rounded); breakfast 30.00: 4.79 at 19%, 4.14 at 16% (413.79).
	wantNet := []int64{10000, 2521, 10000, 2521, 10190, 2586}
	wantTax := []int64{700, 479, 700, 479, 510, 414}
	for i := range wantNet {
		if nets[i] != wantNet[i] || taxes[i] != wantTax[i] {
			t.Fatalf("net %v tax %v, want net %v tax %v", nets, taxes, wantNet, wantTax)
		}
	}
}

// TestNightLinesAcrossNewYear posts a Berlin stay across New Year 2024/25:
// each night carries its own date (its own year and period) and the city
// tax in force that night (5%, then 7.5%).
func TestNightLinesAcrossNewYear(t *testing.T) {
	cfg := berlin()
	type got struct {
		date string
		city int64
	}
	var gots []got
	for i, night := range date.Range(d("2024-12-30"), d("2025-01-02")) {
		lines, err := cfg.NightLines(ledger.Night{Date: night, Price: 10700, Party: ledger.Party{Adults: 1}, NightsBefore: i})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 {
			t.Fatalf("%s: %d lines", night, len(lines))
		}
		for _, l := range lines {
			if l.ServiceDate != night {
				t.Fatalf("%s line on %s", l.Item, l.ServiceDate)
			}
		}
		gots = append(gots, got{night.String(), lines[1].Net})
	}
	wants := []got{{"2024-12-30", 500}, {"2024-12-31", 500}, {"2025-01-01", 750}}
	for i := range wants {
		if gots[i] != wants[i] {
			t.Fatalf("nights = %v, want %v", gots, wants)
		}
	}
}

func TestNightLinesErrors(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*ledger.Config)
		night ledger.Night
	}{
		{"ErrNoRate", nil, ledger.Night{Date: d("2005-01-01"), Price: 100, Party: ledger.Party{Adults: 1}}},
		{"ErrUnknownProduct", nil, ledger.Night{Date: d("2025-01-01"), Price: 100, Party: ledger.Party{Adults: 1}, Extras: []ledger.Extra{{Product: "SPA"}}}},
		{"ErrNoParty", nil, ledger.Night{Date: d("2025-01-01"), Price: 100}},
		{"ErrNegativePrice", nil, ledger.Night{Date: d("2025-01-01"), Price: -1, Party: ledger.Party{Adults: 1}}},
		{"ErrChildAge", nil, ledger.Night{Date: d("2025-01-01"), Price: 100, Party: ledger.Party{Adults: 1, ChildAges: []int{19}}}},
		{"ErrUnknownCategory", func(c *ledger.Config) { c.AccommodationCategory = "X" }, ledger.Night{Date: d("2025-01-01"), Price: 100, Party: ledger.Party{Adults: 1}}},
		{"ErrUnknownTaxCode", func(c *ledger.Config) { c.AccommodationTaxCode = "X" }, ledger.Night{Date: d("2025-01-01"), Price: 100, Party: ledger.Party{Adults: 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := berlin()
			if c.cfg != nil {
				c.cfg(cfg)
			}
			_, err := cfg.NightLines(c.night)
			if aura.ErrorCode(err) != aura.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}
