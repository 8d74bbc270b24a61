package pms

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
)

// The rates pages: the rate calendar of every plan of the current property
// (prices and restrictions by day) with a bulk edit over a date range and
// chosen weekdays, and the rate plans with their policies.

type ratesData struct {
	From, To   date.Date
	Days       int
	Dates      []web.DayHead
	Prev, Next string
	Today      string
	Plans      []planCalendar
	All        []inventory.RatePlan
	DayOptions []int
	CanWrite   bool
	Viewing    string        // the plan the page was opened on (?plan=)
	Summary    []bulkSummary // the change to confirm, before it is applied
}

// bulkSummary is what a bulk edit will do to one plan: the days chosen,
// how many change, and each field's values now → the new value.
type bulkSummary struct {
	Plan    string
	Days    int
	Changed int
	Fields  []bulkField
}

type bulkField struct {
	Label string
	Now   string // "100,00 € (10 days), no price (4 days)"
	New   string
}

type planCalendar struct {
	Plan     inventory.RatePlan
	TypeName string
	Days     []inventory.DayRate
}

type weekdayOption struct {
	Code, Label string
	Checked     bool
}

var weekdayCodes = []struct{ code, label string }{{"mon", "Mon"}, {"tue", "Tue"}, {"wed", "Wed"}, {"thu", "Thu"}, {"fri", "Fri"}, {"sat", "Sat"}, {"sun", "Sun"}}

func (s Handlers) RatesPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Rates", "rates")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	today := s.Today(r, c, prop)
	from, days, err := web.RangeParams(r, today, 14, 30)
	if err != nil {
		return err
	}
	d, err := s.ratesData(r, c, p, prop, from, days)
	if err != nil {
		return err
	}
	// The bulk edit starts on the plan being viewed (?plan=, the "Change"
	// link of a plan's row), or the only plan; never on every plan, so one
	// price cannot overwrite them all by default.
	p.Form = url.Values{"first": {from.String()}, "last": {from.AddDays(days - 1).String()}}
	want := r.URL.Query().Get("plan")
	for _, pl := range d.All {
		if pl.ID == want || len(d.All) == 1 {
			p.Form.Add("plans", pl.ID)
			d.Viewing = pl.ID
		}
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "rates", p)
	return nil
}

func (s Handlers) ratesData(r *http.Request, c *web.Call, p *web.Page, prop inventory.Property, from date.Date, days int) (*ratesData, error) {
	ctx := r.Context()
	today := s.Today(r, c, prop)
	d := &ratesData{From: from, To: from.AddDays(days), Days: days, Dates: web.DayHeads(from, days, today), CanWrite: c.Can(identity.PermRatesWrite),
		DayOptions: []int{14, 30},
		Prev:       p.Link("rates", "from", from.AddDays(-days).String(), "days", strconv.Itoa(days)),
		Next:       p.Link("rates", "from", from.AddDays(days).String(), "days", strconv.Itoa(days)),
		Today:      p.Link("rates", "days", strconv.Itoa(days))}
	plans, err := inventory.New(c.DB).ListRatePlans(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	types, err := inventory.New(c.DB).ListRoomTypes(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	d.All = plans
	for _, pl := range plans {
		rates, err := inventory.New(c.DB).Rates(ctx, pl.ID, d.From, d.To)
		if err != nil {
			return nil, err
		}
		d.Plans = append(d.Plans, planCalendar{Plan: pl, TypeName: names[pl.RoomTypeID], Days: rates})
	}
	return d, nil
}

// RatesUpdate applies the bulk edit form to each chosen plan.
func (s Handlers) RatesUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, "Rates", "rates")
	if err != nil {
		return err
	}
	v := r.PostForm
	var fe web.FormErrors
	u := inventory.RateUpdate{Weekdays: v["weekdays"], RemovePrice: v.Get("remove_price") == "on"}
	u.From = fe.Date(v, "first")
	last := fe.Date(v, "last")
	if !last.IsZero() {
		u.To = last.AddDays(1)
	}
	if amount, ok := fe.Amount(v, "price", prop.Currency); ok {
		u.Price = &tenant.Money{Amount: amount, Currency: prop.Currency}
	}
	if u.Price != nil && u.RemovePrice {
		fe.Add("price", "give a price or remove it, not both")
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"min_stay", &u.MinStay}, {"max_stay", &u.MaxStay}} {
		if strings.TrimSpace(v.Get(f.name)) != "" {
			n := fe.Int(v, f.name, 0)
			*f.dst = &n
		}
	}
	for _, f := range []struct {
		name string
		dst  **bool
	}{{"closed_to_arrival", &u.ClosedToArrival}, {"closed_to_departure", &u.ClosedToDeparture}, {"stop_sell", &u.StopSell}} {
		switch v.Get(f.name) {
		case "on":
			yes := true
			*f.dst = &yes
		case "off":
			no := false
			*f.dst = &no
		}
	}
	ids := v["plans"]
	if len(ids) == 0 {
		fe.Add("plans", "choose at least one rate plan")
	}
	if u.Price == nil && !u.RemovePrice && u.MinStay == nil && u.MaxStay == nil && u.ClosedToArrival == nil && u.ClosedToDeparture == nil && u.StopSell == nil {
		fe.Add("price", "set a price or at least one restriction to change")
	}
	err = fe.Err("The change is not valid.")
	if err == nil && v.Get("intent") != "apply" {
		// First the summary to confirm; nothing is written.
		from := u.From
		d, derr := s.ratesData(r, c, p, prop, from, 14)
		if derr != nil {
			return derr
		}
		if d.Summary, err = s.bulkSummary(r, c, prop, ids, u); err == nil {
			p.Form = v
			p.Data = d
			s.RenderPage(w, r, http.StatusOK, "rates", p)
			return nil
		}
	}
	changed, plans := 0, 0
	if err == nil {
		for _, id := range ids {
			rp, gerr := inventory.New(c.DB).GetRatePlan(r.Context(), id)
			if gerr != nil || rp.PropertyID != prop.ID {
				err = aura.Invalid("The change is not valid.", aura.FieldError{Field: "plans", Message: "choose plans of this property"})
				break
			}
			u.RatePlanID = id
			res, uerr := inventory.New(c.DB).UpdateRates(r.Context(), u)
			if uerr != nil {
				err = uerr
				break
			}
			changed += res.Changed
			plans++
		}
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		from := u.From
		if from.IsZero() {
			from = s.Today(r, c, prop)
		}
		d, derr := s.ratesData(r, c, p, prop, from, 14)
		if derr != nil {
			return derr
		}
		p.Form = v
		p.FormFieldErrors(renameField(renameField(renameField(err, "to", "last"), "from", "first"), "rate_plan_id", "plans"), nil)
		if plans > 0 {
			p.Error = "The first " + strconv.Itoa(plans) + " plan(s) were changed; then: " + p.Error
		}
		p.Data = d
		s.RenderPage(w, r, http.StatusBadRequest, "rates", p)
		return nil
	}
	msg := "Nothing changed: the days already had these values."
	if changed > 0 {
		msg = strconv.Itoa(changed) + " day(s) changed across " + strconv.Itoa(plans) + " rate plan(s)."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, p.Link("rates", "from", u.From.String(), "days", "30"), http.StatusSeeOther)
	return nil
}

// bulkSummary reads what a bulk edit would change on each plan: the days
// of [u.From, u.To) on the chosen weekdays, their values now grouped, and
// how many would change. It writes nothing. Errors: EINVALID for a plan of
// another property.
func (s Handlers) bulkSummary(r *http.Request, c *web.Call, prop inventory.Property, ids []string, u inventory.RateUpdate) ([]bulkSummary, error) {
	p := &web.Page{Property: &prop}
	onDay := map[string]bool{}
	for _, w := range u.Weekdays {
		onDay[w] = true
	}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	stay := func(n int) string {
		if n == 0 {
			return "none"
		}
		return web.Plural(n, "night", "nights")
	}
	type field struct {
		label string
		set   bool
		now   func(inventory.DayRate) string
		new   string
	}
	var out []bulkSummary
	for _, id := range ids {
		rp, err := inventory.New(c.DB).GetRatePlan(r.Context(), id)
		if err != nil || rp.PropertyID != prop.ID {
			return nil, aura.Invalid("The change is not valid.", aura.FieldError{Field: "plans", Message: "choose plans of this property"})
		}
		var days []inventory.DayRate
		for from := u.From; from.Before(u.To); from = from.AddDays(tenant.MaxRange) {
			to := from.AddDays(tenant.MaxRange)
			if to.After(u.To) {
				to = u.To
			}
			part, err := inventory.New(c.DB).Rates(r.Context(), id, from, to)
			if err != nil {
				return nil, err
			}
			days = append(days, part...)
		}
		price := ""
		if u.Price != nil {
			price = p.Money(*u.Price)
		} else if u.RemovePrice {
			price = "no price"
		}
		intOf := func(x *int) string {
			if x == nil {
				return ""
			}
			return stay(*x)
		}
		boolOf := func(x *bool) string {
			if x == nil {
				return ""
			}
			return yesNo(*x)
		}
		fields := []field{
			{"Price", price != "", func(d inventory.DayRate) string {
				if d.Price == nil {
					return "no price"
				}
				return p.Money(*d.Price)
			}, price},
			{"Min stay", u.MinStay != nil, func(d inventory.DayRate) string { return stay(d.MinStay) }, intOf(u.MinStay)},
			{"Max stay", u.MaxStay != nil, func(d inventory.DayRate) string { return stay(d.MaxStay) }, intOf(u.MaxStay)},
			{"Closed to arrival", u.ClosedToArrival != nil, func(d inventory.DayRate) string { return yesNo(d.ClosedToArrival) }, boolOf(u.ClosedToArrival)},
			{"Closed to departure", u.ClosedToDeparture != nil, func(d inventory.DayRate) string { return yesNo(d.ClosedToDeparture) }, boolOf(u.ClosedToDeparture)},
			{"Stop-sell", u.StopSell != nil, func(d inventory.DayRate) string { return yesNo(d.StopSell) }, boolOf(u.StopSell)},
		}
		sum := bulkSummary{Plan: rp.Name}
		counts := make([]map[string]int, len(fields))
		order := make([][]string, len(fields))
		for _, d := range days {
			if len(onDay) > 0 && !onDay[strings.ToLower(d.Date.Weekday().String()[:3])] {
				continue
			}
			sum.Days++
			changes := false
			for i, f := range fields {
				if !f.set {
					continue
				}
				now := f.now(d)
				if counts[i] == nil {
					counts[i] = map[string]int{}
				}
				if counts[i][now] == 0 {
					order[i] = append(order[i], now)
				}
				counts[i][now]++
				changes = changes || now != f.new
			}
			if changes {
				sum.Changed++
			}
		}
		for i, f := range fields {
			if !f.set {
				continue
			}
			var parts []string
			for _, v := range order[i] {
				parts = append(parts, v+" ("+web.Plural(counts[i][v], "day", "days")+")")
			}
			sum.Fields = append(sum.Fields, bulkField{Label: f.label, Now: strings.Join(parts, ", "), New: f.new})
		}
		out = append(out, sum)
	}
	return out, nil
}

// WeekdayOptions are the weekday checkboxes of the bulk edit form.
func (d *ratesData) WeekdayOptions(chosen []string) []weekdayOption {
	out := make([]weekdayOption, len(weekdayCodes))
	for i, w := range weekdayCodes {
		out[i] = weekdayOption{Code: w.code, Label: w.label}
		for _, c := range chosen {
			out[i].Checked = out[i].Checked || c == w.code
		}
	}
	return out
}

// The rate plans list, create form and edit page.

type ratePlansData struct {
	Plans    []ratePlanRow
	Types    []inventory.RoomType
	CanWrite bool
	Edit     *inventory.RatePlan
	FeeTypes []web.Option
}

type ratePlanRow struct {
	inventory.RatePlan
	TypeName     string
	Cancellation string
	NoShow       string
}

func (s Handlers) RatePlansPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Rate plans", "rates")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	d, err := s.ratePlansData(r, c, p, prop)
	if err != nil {
		return err
	}
	p.Form = url.Values{"active": {"on"}, "cancel_free_days": {"2"}, "cancel_fee_type": {inventory.FeeFirstNight}, "noshow_fee_type": {inventory.FeeFirstNight}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "rate_plans", p)
	return nil
}

func (s Handlers) ratePlansData(r *http.Request, c *web.Call, p *web.Page, prop inventory.Property) (*ratePlansData, error) {
	plans, err := inventory.New(c.DB).ListRatePlans(r.Context(), prop.ID)
	if err != nil {
		return nil, err
	}
	types, err := inventory.New(c.DB).ListRoomTypes(r.Context(), prop.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	d := &ratePlansData{Types: types, CanWrite: c.Can(identity.PermRatesWrite), FeeTypes: web.FeeTypes}
	for _, pl := range plans {
		d.Plans = append(d.Plans, ratePlanRow{RatePlan: pl, TypeName: names[pl.RoomTypeID],
			Cancellation: p.CancellationText(pl.Cancellation), NoShow: "No-show: " + p.FeeText(pl.NoShow.Fee) + "."})
	}
	return d, nil
}

func (s Handlers) RatePlanCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, "Rate plans", "rates")
	if err != nil {
		return err
	}
	in, err := ratePlanInput(r.PostForm, prop.Currency)
	in.PropertyID, in.RoomTypeID = prop.ID, r.PostForm.Get("room_type_id")
	var rp inventory.RatePlan
	if err == nil {
		rp, err = inventory.New(c.DB).CreateRatePlan(r.Context(), in)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT {
			return err
		}
		d, derr := s.ratePlansData(r, c, p, prop)
		if derr != nil {
			return derr
		}
		p.Form = r.PostForm
		p.FormFieldErrors(err, ratePlanField)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "rate_plans", p)
		return nil
	}
	s.SetFlash(w, "ok", "Rate plan "+rp.Name+" is added. Set its prices in the rate calendar.")
	http.Redirect(w, r, p.Link("rates", "days", "30"), http.StatusSeeOther)
	return nil
}

func (s Handlers) RatePlanPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rp, err := inventory.New(c.DB).GetRatePlan(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, rp.Name, "rates")
	p.Form = ratePlanForm(rp, p)
	p.Data = &ratePlansData{Edit: &rp, FeeTypes: web.FeeTypes, CanWrite: c.Can(identity.PermRatesWrite)}
	s.RenderPage(w, r, http.StatusOK, "rate_plan", p)
	return nil
}

func (s Handlers) RatePlanSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	before, err := inventory.New(c.DB).GetRatePlan(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := ratePlanInput(r.PostForm, before.ExtraPerson.Currency)
	in.Version = web.FormVersion(r.PostForm)
	var rp inventory.RatePlan
	if err == nil {
		rp, err = inventory.New(c.DB).UpdateRatePlan(r.Context(), id, in)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
			return err
		}
		p := s.TenantPage(w, r, c, before.Name, "rates")
		p.Form = r.PostForm
		p.FormFieldErrors(err, ratePlanField)
		p.Data = &ratePlansData{Edit: &before, FeeTypes: web.FeeTypes, CanWrite: true}
		s.RenderPage(w, r, web.StatusOf(err), "rate_plan", p)
		return nil
	}
	s.SetFlash(w, "ok", "Rate plan "+rp.Name+" is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"rates/plans", http.StatusSeeOther)
	return nil
}

// ratePlanField maps a store field to the plan form's.
func ratePlanField(f string) string {
	r := strings.NewReplacer("cancellation_policy.free_until_days_before", "cancel_free_days",
		"cancellation_policy.fee.amount.currency", "cancel_fee_amount", "cancellation_policy.fee.", "cancel_fee_",
		"no_show_policy.fee.amount.currency", "noshow_fee_amount", "no_show_policy.fee.", "noshow_fee_",
		"extra_person.amount", "extra_person", "extra_person.currency", "extra_person")
	return r.Replace(f)
}

func ratePlanForm(rp inventory.RatePlan, p *web.Page) url.Values {
	v := url.Values{"code": {rp.Code}, "name": {rp.Name}, "room_type_id": {rp.RoomTypeID}}
	if rp.ExtraPerson.Amount > 0 {
		v.Set("extra_person", p.AmountInput(rp.ExtraPerson))
	}
	if rp.Active {
		v.Set("active", "on")
	}
	if d := rp.Cancellation.FreeUntilDaysBefore; d != nil {
		v.Set("cancel_free_days", strconv.Itoa(*d))
	}
	fee := func(prefix string, f inventory.Fee) {
		v.Set(prefix+"type", f.Type)
		if f.Nights > 0 {
			v.Set(prefix+"nights", strconv.Itoa(f.Nights))
		}
		if f.Percent > 0 {
			v.Set(prefix+"percent", strconv.Itoa(f.Percent))
		}
		if f.Amount != nil {
			v.Set(prefix+"amount", p.AmountInput(*f.Amount))
		}
	}
	fee("cancel_fee_", rp.Cancellation.Fee)
	fee("noshow_fee_", rp.NoShow.Fee)
	return v
}

func ratePlanInput(v url.Values, currency string) (inventory.RatePlanInput, error) {
	var fe web.FormErrors
	in := inventory.RatePlanInput{Code: strings.TrimSpace(v.Get("code")), Name: strings.TrimSpace(v.Get("name")), Active: v.Get("active") == "on"}
	if amount, ok := fe.Amount(v, "extra_person", currency); ok {
		in.ExtraPerson = tenant.Money{Amount: amount, Currency: currency}
	}
	if strings.TrimSpace(v.Get("cancel_free_days")) != "" {
		n := fe.Int(v, "cancel_free_days", 0)
		in.Cancellation.FreeUntilDaysBefore = &n
	}
	fee := func(prefix string) inventory.Fee {
		f := inventory.Fee{Type: v.Get(prefix + "type")}
		switch f.Type {
		case inventory.FeeNights:
			f.Nights = fe.Int(v, prefix+"nights", 0)
		case inventory.FeePercent:
			f.Percent = fe.Int(v, prefix+"percent", 0)
		case inventory.FeeFixed:
			amount, ok := fe.Amount(v, prefix+"amount", currency)
			if !ok {
				fe.Add(prefix+"amount", "is required for a fixed fee")
			}
			f.Amount = &tenant.Money{Amount: amount, Currency: currency}
		}
		return f
	}
	in.Cancellation.Fee = fee("cancel_fee_")
	in.NoShow.Fee = fee("noshow_fee_")
	return in, fe.Err("The rate plan is not valid.")
}
