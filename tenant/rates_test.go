package tenant_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// TestBulkRateEdit edits weekends over four weeks and checks the calendar,
// that the edit wrote ONE audit row whose before holds every previous value,
// and that repeating it changes and audits nothing.
func TestBulkRateEdit(t *testing.T) {
	f := newFixture(t, "Europe/Berlin", 1, "2025-06-10")                   // a Tuesday
	from, to := date.MustParse("2025-06-16"), date.MustParse("2025-07-14") // Mondays, four weeks
	rows := f.auditRows(t)
	two := 2
	res := must(f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: f.plan.ID, From: from, To: to, Weekdays: []string{"fri", "sat"},
		Price: &tenant.Money{Amount: 15000, Currency: "EUR"}, MinStay: &two}))(t)
	if got, want := res, (tenant.RateUpdateResult{Days: 8, Changed: 8}); got != want {
		t.Fatalf("result %+v, want %+v", got, want)
	}
	if got, want := f.auditRows(t), rows+1; got != want {
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
	if err := f.db.SQL().Read.QueryRow(`SELECT before_json FROM audit_log WHERE action = 'rates.updated' ORDER BY seq DESC LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &before); err != nil {
		t.Fatal(err)
	}
	if got, want := len(before.Runs), 4; got != want { // each Fri–Sat pair is one run of equal previous values
		t.Fatalf("%d runs in the audit row, want %d: %s", got, want, raw)
	}
	if got, want := before.Runs[0].Was["price"], float64(nightly); got != want {
		t.Fatalf("previous price %v, want %v", got, want)
	}
	days := must(f.db.Rates(f.ctx, f.plan.ID, from, to))(t)
	for _, d := range days {
		weekend := d.Date.Weekday() == time.Friday || d.Date.Weekday() == time.Saturday
		want := int64(nightly)
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
	again := must(f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: f.plan.ID, From: from, To: to, Weekdays: []string{"fri", "sat"},
		Price: &tenant.Money{Amount: 15000, Currency: "EUR"}, MinStay: &two}))(t)
	if again.Changed != 0 || f.auditRows(t) != rows+1 {
		t.Fatalf("repeating the edit changed %d days and wrote %d audit rows", again.Changed, f.auditRows(t)-rows-1)
	}
	t.Run("RemovePrice", func(t *testing.T) {
		must(f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: f.plan.ID, From: from, To: from.AddDays(1), RemovePrice: true}))(t)
		if d := must(f.db.Rates(f.ctx, f.plan.ID, from, from.AddDays(1)))(t); d[0].Price != nil {
			t.Fatalf("price %v after removing it", d[0].Price)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		five, three := 5, 3
		for _, u := range []tenant.RateUpdate{
			{RatePlanID: f.plan.ID, From: from, To: to, Weekdays: []string{"funday"}, MinStay: &two},
			{RatePlanID: f.plan.ID, From: to, To: from, MinStay: &two},
			{RatePlanID: f.plan.ID, From: from, To: to},
			{RatePlanID: f.plan.ID, From: from, To: to, MinStay: &five, MaxStay: &three},
			{RatePlanID: f.plan.ID, From: from, To: to, Price: &tenant.Money{Amount: -1}},
			{RatePlanID: f.plan.ID, From: from, To: to, Price: &tenant.Money{Amount: 1, Currency: "USD"}},
		} {
			_, err := f.db.UpdateRates(f.ctx, u)
			wantCode(t, err, aura.EINVALID)
		}
		_, err := f.db.UpdateRates(f.ctx, tenant.RateUpdate{RatePlanID: "rpl_nope", From: from, To: to, MinStay: &two})
		wantCode(t, err, aura.ENOTFOUND)
	})
	f.verifyAudit(t)
}

func TestPropertyValidation(t *testing.T) {
	f := newFixture(t, "America/New_York", 1, "2025-06-10")
	for _, tc := range []struct {
		in    tenant.PropertyInput
		field string
	}{
		{tenant.PropertyInput{Name: "X", TimeZone: "Mars/Olympus", Currency: "EUR"}, "time_zone"},
		{tenant.PropertyInput{Name: "X", TimeZone: "Local", Currency: "EUR"}, "time_zone"},
		{tenant.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EURO"}, "currency"},
		{tenant.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "XXX"}, "currency"},
		{tenant.PropertyInput{Name: "", TimeZone: "Europe/Berlin", Currency: "EUR"}, "name"},
		{tenant.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EUR", CheckInTime: "25:00"}, "check_in_time"},
		{tenant.PropertyInput{Name: "X", TimeZone: "Europe/Berlin", Currency: "EUR", Tax: tenant.TaxSettings{AccommodationVAT: "std"}}, "tax.accommodation_vat"},
	} {
		_, err := f.db.CreateProperty(f.ctx, tc.in)
		wantCode(t, err, aura.EINVALID)
		if !hasField(err, tc.field) {
			t.Fatalf("%+v: fields %v do not name %s", tc.in, aura.ErrorFields(err), tc.field)
		}
	}
	// Today follows the property's zone: noon in New York on the fixture day.
	if got, want := must(f.db.PropertyToday(f.ctx, f.prop.ID))(t), f.today; got != want {
		t.Fatalf("today %s, want %s", got, want)
	}
	f.book(t, f.day(1), f.day(2))
	in := tenant.PropertyInput{Name: f.prop.Name, TimeZone: f.prop.TimeZone, Currency: "USD", Tax: f.prop.Tax}
	_, err := f.db.UpdateProperty(f.ctx, f.prop.ID, in)
	wantCode(t, err, aura.EINVALID) // the city tax currency no longer matches
	in.Tax.CityTax.PerPersonPerNight.Currency = "USD"
	_, err = f.db.UpdateProperty(f.ctx, f.prop.ID, in)
	wantCode(t, err, aura.ECONFLICT) // bookings exist in EUR
}
