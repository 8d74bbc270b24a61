package inventory_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// TestBulkRateEdit edits weekends over four weeks and checks the calendar,
// that the edit wrote ONE audit row whose before holds every previous value,
// and that repeating it changes and audits nothing.
func TestBulkRateEdit(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")           // a Tuesday
	from, to := date.MustParse("2025-06-16"), date.MustParse("2025-07-14") // Mondays, four weeks
	rows := f.AuditRows(t)
	two := 2
	res := pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: from, To: to, Weekdays: []string{"fri", "sat"},
		Price: &tenant.Money{Amount: 15000, Currency: "EUR"}, MinStay: &two}))(t)
	if got, want := res, (inventory.RateUpdateResult{Days: 8, Changed: 8}); got != want {
		t.Fatalf("result %+v, want %+v", got, want)
	}
	if got, want := f.AuditRows(t), rows+1; got != want {
		t.Fatalf("audit rows %d, want %d (one for the whole edit)", got, want)
	}
	var before struct {
		Runs []struct {
			From date.Date      `json:"from"`
			To   date.Date      `json:"to"`
			Was  map[string]any `json:"was"`
		} `json:"runs"`
	}
	var raw string
	if err := f.DB.SQL().Read.QueryRow(`SELECT before_json FROM audit_log WHERE action = 'rates.updated' ORDER BY seq DESC LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &before); err != nil {
		t.Fatal(err)
	}
	if got, want := len(before.Runs), 4; got != want { // each Fri–Sat pair is one run of equal previous values
		t.Fatalf("%d runs in the audit row, want %d: %s", got, want, raw)
	}
	if got, want := before.Runs[0].Was["price"], float64(pmstest.Nightly); got != want {
		t.Fatalf("previous price %v, want %v", got, want)
	}
	days := pmstest.Must(inventory.New(f.DB).Rates(f.Ctx, f.Plan.ID, from, to))(t)
	for _, d := range days {
		weekend := d.Date.Weekday() == time.Friday || d.Date.Weekday() == time.Saturday
		want := int64(pmstest.Nightly)
		if weekend {
			want = 15000
		}
		if d.Price == nil || d.Price.Amount != want {
			t.Fatalf("%s (%s): price %v, want %d", d.Date, d.Date.Weekday(), d.Price, want)
		}
		if weekend != (d.MinStay == 2) {
			t.Fatalf("%s: min stay %d", d.Date, d.MinStay)
		}
	}
	again := pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: from, To: to, Weekdays: []string{"fri", "sat"},
		Price: &tenant.Money{Amount: 15000, Currency: "EUR"}, MinStay: &two}))(t)
	if again.Changed != 0 || f.AuditRows(t) != rows+1 {
		t.Fatalf("repeating the edit changed %d days and wrote %d audit rows", again.Changed, f.AuditRows(t)-rows-1)
	}
	t.Run("RemovePrice", func(t *testing.T) {
		pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: from, To: from.AddDays(1), RemovePrice: true}))(t)
		if d := pmstest.Must(inventory.New(f.DB).Rates(f.Ctx, f.Plan.ID, from, from.AddDays(1)))(t); d[0].Price != nil {
			t.Fatalf("price %v after removing it", d[0].Price)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		five, three := 5, 3
		for _, u := range []inventory.RateUpdate{
			{RatePlanID: f.Plan.ID, From: from, To: to, Weekdays: []string{"funday"}, MinStay: &two},
			{RatePlanID: f.Plan.ID, From: to, To: from, MinStay: &two},
			{RatePlanID: f.Plan.ID, From: from, To: to},
			{RatePlanID: f.Plan.ID, From: from, To: to, MinStay: &five, MaxStay: &three},
			{RatePlanID: f.Plan.ID, From: from, To: to, Price: &tenant.Money{Amount: -1}},
			{RatePlanID: f.Plan.ID, From: from, To: to, Price: &tenant.Money{Amount: 1, Currency: "USD"}},
		} {
			_, err := inventory.New(f.DB).UpdateRates(f.Ctx, u)
			pmstest.WantCode(t, err, aura.EINVALID)
		}
		_, err := inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: "rpl_nope", From: from, To: to, MinStay: &two})
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	f.VerifyAudit(t)
}

func TestPropertyValidation(t *testing.T) {
	f := pmstest.NewFixture(t, "America/New_York", 1, "2025-06-10")
	for _, tc := range []struct {
		in    inventory.PropertyInput
		field string
	}{
		{inventory.PropertyInput{Name: "X", TimeZone: "Mars/Olympus", Currency: "EUR"}, "time_zone"},
		{inventory.PropertyInput{Name: "X", TimeZone: "Local", Currency: "EUR"}, "time_zone"},
		{inventory.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EURO"}, "currency"},
		{inventory.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "XXX"}, "currency"},
		{inventory.PropertyInput{Name: "", TimeZone: "Europe/Berlin", Currency: "EUR"}, "name"},
		{inventory.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EUR", CheckInTime: "25:00"}, "check_in_time"},
		{inventory.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EUR", Tax: inventory.TaxSettings{AccommodationVAT: "std"}}, "tax.accommodation_vat"},
	} {
		_, err := inventory.New(f.DB).CreateProperty(f.Ctx, tc.in)
		pmstest.WantCode(t, err, aura.EINVALID)
		if !pmstest.HasField(err, tc.field) {
			t.Fatalf("%+v: fields %v do not name %s", tc.in, aura.ErrorFields(err), tc.field)
		}
	}
	// Today follows the property's zone: noon in New York on the fixture day.
	if got, want := pmstest.Must(inventory.New(f.DB).PropertyToday(f.Ctx, f.Prop.ID))(t), f.Today; got != want {
		t.Fatalf("today %s, want %s", got, want)
	}
	f.Book(t, f.Day(1), f.Day(2))
	in := inventory.PropertyInput{Name: f.Prop.Name, TimeZone: f.Prop.TimeZone, Currency: "USD", Tax: f.Prop.Tax}
	_, err := inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, in)
	pmstest.WantCode(t, err, aura.EINVALID) // the city tax currency no longer matches
	in.Tax.CityTax.PerPersonPerNight.Currency = "USD"
	_, err = inventory.New(f.DB).UpdateProperty(f.Ctx, f.Prop.ID, in)
	pmstest.WantCode(t, err, aura.ECONFLICT) // bookings exist in EUR
}
