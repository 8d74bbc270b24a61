package pms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// The folio pages (issue 13): a folio with its lines, balance and every
// action (post a charge or a product, an allowance, move a line, record a
// payment or refund, issue an invoice), shown on the reservation page and
// on its own page; the invoices list and an invoice; the cashier's day;
// the ledger settings. Each form posts to /folios/{id}/…; a refusal shows
// the folio page again with the message at the form's fields (named
// "form.field"), a success goes back where the form was (back=).

// folioData is one folio as a page shows it.
type folioData struct {
	V          apiFolioView
	Prop       inventory.Property
	Today      date.Date
	Res        *stays.Reservation
	GuestName  string
	Others     []ledger.Folio // where a line can move
	TaxCodes   []ledger.TaxCode
	Categories []ledger.Category
	Products   []ledger.Product
	Charges    []ledger.Line    // charges that can take an allowance or move
	Refundable []ledger.Payment // succeeded payments
	CanPost    bool
	CanPay     bool
	CanInvoice bool
	Back       string // where a form returns after a success
	Methods    []string
	Stripe     *stripeFolio // the folio page's Stripe part (stripe_folio.go); nil without Stripe
}

// Methods of a payment recorded by hand (Stripe's are Stripe's).
var handMethods = []string{ledger.MethodCash, ledger.MethodCardTerminal, ledger.MethodBankTransfer, ledger.MethodCityLedger}

func (s Handlers) folioData(ctx context.Context, c *web.Call, folioID string) (*folioData, error) {
	v, err := s.folioView(ctx, c, folioID)
	if err != nil {
		return nil, err
	}
	l := ledger.New(c.DB)
	d := &folioData{V: v, CanPost: c.Can(identity.PermFoliosWrite), CanPay: c.Can(identity.PermPaymentsWrite),
		CanInvoice: c.Can(identity.PermInvoicesIssue), Methods: handMethods}
	if d.Prop, err = inventory.New(c.DB).GetProperty(ctx, v.Folio.PropertyID); err != nil {
		return nil, err
	}
	if d.Today, err = inventory.New(c.DB).PropertyToday(ctx, d.Prop.ID); err != nil {
		return nil, err
	}
	if v.Folio.Ref.Kind == ledger.RefReservation {
		if res, err := stays.New(c.DB).GetReservation(ctx, v.Folio.Ref.ID); err == nil {
			d.Res = &res
			d.GuestName = "Guest"
			if c.Can(identity.PermGuestsRead) {
				if names, err := stays.New(c.DB).GuestNames(ctx, []string{res.GuestID}); err == nil && names[res.GuestID] != "" {
					d.GuestName = names[res.GuestID]
				}
			}
		}
	}
	cfg, err := l.Config(ctx, d.Prop.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range cfg.TaxCodes {
		d.TaxCodes = append(d.TaxCodes, t)
	}
	sort.Slice(d.TaxCodes, func(i, j int) bool { return d.TaxCodes[i].Code < d.TaxCodes[j].Code })
	for _, cat := range cfg.Categories {
		d.Categories = append(d.Categories, cat)
	}
	sort.Slice(d.Categories, func(i, j int) bool { return d.Categories[i].Code < d.Categories[j].Code })
	for _, pr := range cfg.Products {
		if pr.Active {
			d.Products = append(d.Products, pr)
		}
	}
	sort.Slice(d.Products, func(i, j int) bool { return d.Products[i].Name < d.Products[j].Name })
	for _, ln := range v.Lines {
		if ln.Kind == ledger.LineCharge || ln.Kind == ledger.LineTransferIn {
			d.Charges = append(d.Charges, ln)
		}
	}
	for _, py := range v.Payments {
		if py.Kind == ledger.KindPayment && py.Status == ledger.StatusSucceeded {
			d.Refundable = append(d.Refundable, py)
		}
	}
	// A line moves to another folio of the same stay, or the house folio.
	if v.Folio.Ref.ID != "" {
		fs, err := l.Folios(ctx, v.Folio.Ref)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.ID != v.Folio.ID {
				d.Others = append(d.Others, f)
			}
		}
	}
	// The house folio, when the property has one (a page view opens nothing).
	if v.Folio.Kind != ledger.FolioHouse && d.CanPost {
		fs, err := l.Folios(ctx, ledger.Ref{})
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.Kind == ledger.FolioHouse && f.PropertyID == d.Prop.ID && f.Default {
				d.Others = append(d.Others, f)
			}
		}
	}
	return d, nil
}

// folioPage shows one folio.
func (s Handlers) folioPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	d, err := s.folioData(r.Context(), c, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := s.withStripe(w, r, c, d); err != nil {
		return err
	}
	p := s.folioPageOf(w, r, c, d)
	s.RenderPage(w, r, http.StatusOK, "folio", p)
	return nil
}

func (s Handlers) folioPageOf(w http.ResponseWriter, r *http.Request, c *web.Call, d *folioData) *web.Page {
	p := s.TenantPage(w, r, c, "Folio", "reservations")
	p.Property = &d.Prop
	p.Title = d.V.Folio.Label + " folio"
	if d.Res != nil {
		p.Title = d.GuestName + " · " + p.Title
	}
	if d.Back == "" {
		d.Back = "/" + c.Tenant.Slug + "/folios/" + d.V.Folio.ID
	}
	p.Data = d
	return p
}

// folioOpen opens a reservation's folio (the default one, or another with
// a label) and returns to the reservation.
func (s Handlers) folioOpen(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	f, err := s.openFolio(r.Context(), c, id, r.PostForm.Get("label"))
	if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The "+strings.ToLower(f.Label)+" folio is open.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/reservations/"+url.PathEscape(id)+"#folios", http.StatusSeeOther)
	return nil
}

// safeBack keeps a form's return path inside the tenant.
func safeBack(slug, back, def string) string {
	if strings.HasPrefix(back, "/"+slug+"/") && !strings.ContainsAny(back, "\\\r\n") && !strings.HasPrefix(back, "//") {
		return back
	}
	return def
}

// folioForm handles one form of the folio: it reads the form into the
// ledger's input and runs the same action as the API.
func (s Handlers) folioForm(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		if err := web.ParseForm(r); err != nil {
			return err
		}
		ctx := r.Context()
		v := r.PostForm
		fc, err := s.folioContext(ctx, c, c.Params.ByName("id"))
		if err != nil {
			return err
		}
		in, fe := folioFormInput(action, v, fc.prop.Currency)
		err = fe.Err("The form is not valid.")
		var msg string
		if err == nil {
			decode, key, hash := formBody(v, in)
			var out any
			out, _, err = s.folioAction(ctx, c, fc, action, decode, key, hash)
			msg = folioMessage(action, out)
		}
		if err != nil {
			code := aura.ErrorCode(err)
			if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION && code != aura.ENOTFOUND {
				return err
			}
			d, derr := s.folioData(ctx, c, fc.folio.ID)
			if derr != nil {
				return derr
			}
			d.Back = safeBack(c.Tenant.Slug, v.Get("back"), "")
			p := s.folioPageOf(w, r, c, d)
			p.Form = v
			p.IdemKey = credential.RandomString(22)
			p.FormFieldErrors(err, func(f string) string {
				if strings.HasPrefix(f, action+".") {
					return f
				}
				return action + "." + formField(action, f)
			})
			s.RenderPage(w, r, web.StatusOf(err), "folio", p)
			return nil
		}
		s.SetFlash(w, "ok", msg)
		http.Redirect(w, r, safeBack(c.Tenant.Slug, v.Get("back"), "/"+c.Tenant.Slug+"/folios/"+fc.folio.ID), http.StatusSeeOther)
		return nil
	}
}

// formField maps a ledger field to the folio form's field.
func formField(action, f string) string {
	f = strings.TrimPrefix(f, "recipient.")
	f = strings.TrimPrefix(f, "address.")
	if action == "charge" && f == "quantity" {
		return "quantity"
	}
	return f
}

// folioFormInput reads one folio form into the ledger's input.
func folioFormInput(action string, v url.Values, currency string) (any, web.FormErrors) {
	var fe web.FormErrors
	get := func(name string) string { return strings.TrimSpace(v.Get(action + "." + name)) }
	amount := func(name string) int64 {
		n, ok := fe.Amount(url.Values{action + "." + name: {get(name)}}, action+"."+name, currency)
		if !ok && len(fe) == 0 {
			fe.Add(action+"."+name, "is required")
		}
		return n
	}
	qty := func() int {
		n := fe.Int(url.Values{"q": {get("quantity")}}, "q", 1)
		if len(fe) > 0 && fe[len(fe)-1].Field == "q" {
			fe[len(fe)-1].Field = action + ".quantity"
		}
		return n
	}
	switch action {
	case "charge":
		in := ledger.ChargeInput{Description: get("description"), TaxCode: get("tax_code"), Category: get("category")}
		in.Quantity = qty()
		in.UnitPrice = amount("unit_price")
		in.ServiceDate = fe.OptDate(url.Values{action + ".service_date": {get("service_date")}}, action+".service_date")
		return in, fe
	case "product":
		return ledger.ProductPosting{Product: get("product"), Quantity: qty()}, fe
	case "allowance":
		in := ledger.AllowanceInput{LineID: get("line_id"), Reason: get("reason")}
		in.Amount = amount("amount")
		return in, fe
	case "transfer":
		return ledger.TransferInput{LineID: get("line_id"), ToFolioID: get("to_folio_id"), Reason: get("reason")}, fe
	case "payment":
		in := ledger.PaymentInput{Method: get("method"), Note: get("note"), ExternalRef: get("external_ref")}
		in.Amount = amount("amount")
		return in, fe
	case "refund":
		in := ledger.RefundInput{PaymentID: get("payment_id"), Note: get("note")}
		in.Amount = amount("amount")
		return in, fe
	case "invoice":
		return ledger.InvoiceInput{Recipient: ledger.Recipient{Name: get("name"), Company: get("company"), VATID: get("vat_id"),
			Reference: get("reference"), Address: ledger.Address{Line1: get("line1"), PostalCode: get("postal_code"),
				City: get("city"), Country: strings.ToUpper(get("country"))}}, Note: get("note")}, fe
	}
	return nil, fe
}

func folioMessage(action string, out any) string {
	switch action {
	case "charge", "product":
		return "The charge is posted."
	case "allowance":
		return "The allowance is posted."
	case "transfer":
		return "The line is moved."
	case "payment":
		return "The payment is recorded."
	case "refund":
		return "The refund is recorded."
	case "invoice":
		if doc, ok := out.(ledger.Document); ok {
			return "Invoice " + doc.Number + " is issued."
		}
	}
	return "Done."
}

// invoicesData is the invoices list.
type invoicesData struct {
	Docs   []ledger.Document
	Kind   string
	Status string
	Number string
	From   string
	To     string
	Next   string
}

func (s Handlers) invoicesPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Invoices", "invoices")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &invoicesData{Kind: q.Get("kind"), Status: q.Get("status"), Number: q.Get("number"), From: q.Get("from"), To: q.Get("to")}
	p.Form = q
	p.Data = d
	f, err := invoiceFilter(q, prop.ID)
	if err == nil {
		d.Docs, err = ledger.New(c.DB).ListInvoices(r.Context(), f)
	}
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "invoices", p)
		return nil
	}
	if len(d.Docs) == f.Limit {
		d.Next = d.Docs[len(d.Docs)-1].ID
	}
	s.RenderPage(w, r, http.StatusOK, "invoices", p)
	return nil
}

// invoiceData is one issued document.
type invoiceData struct {
	Doc       ledger.Document
	Prop      inventory.Property
	CanCredit bool
	Today     date.Date
}

func (s Handlers) invoiceData(w http.ResponseWriter, r *http.Request, c *web.Call) (*web.Page, *invoiceData, error) {
	doc, err := ledger.New(c.DB).Document(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return nil, nil, err
	}
	prop, err := inventory.New(c.DB).GetProperty(r.Context(), doc.PropertyID)
	if err != nil {
		return nil, nil, err
	}
	p := s.TenantPage(w, r, c, "Invoice "+doc.Number, "invoices")
	if doc.Kind != "invoice" {
		p.Title = "Credit note " + doc.Number
	}
	p.Property = &prop
	d := &invoiceData{Doc: doc, Prop: prop, CanCredit: c.Can(identity.PermCreditNotes) && doc.Kind == "invoice" && doc.Status != "cancelled",
		Today: s.Today(r, c, prop)}
	p.Data = d
	return p, d, nil
}

func (s Handlers) invoicePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, _, err := s.invoiceData(w, r, c)
	if err != nil {
		return err
	}
	s.RenderPage(w, r, http.StatusOK, "invoice", p)
	return nil
}

// creditNoteSubmit issues a credit note of the invoice with the reason
// given: in full (cancel, correct, re-invoice), or, with mode=partial, for
// the lines and amounts of the partial form (credit_note_pages.go).
func (s Handlers) creditNoteSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	in := ledger.CreditNoteInput{Reason: strings.TrimSpace(v.Get("reason"))}
	var err error
	if v.Get("mode") == "partial" {
		// Partial: the lines and amounts of credit_note_pages.go's form.
		var inv ledger.Document
		if inv, err = ledger.New(c.DB).Document(r.Context(), c.Params.ByName("id")); err != nil {
			return err
		}
		var fe web.FormErrors
		in.Reason = strings.TrimSpace(v.Get("partial_reason"))
		in.Lines, fe = creditNoteLines(v, inv)
		err = fe.Err("The credit note is not valid.")
	}
	var doc ledger.Document
	if err == nil {
		body, _ := json.Marshal(in)
		doc, err = s.issueCreditNote(r.Context(), c, c.Params.ByName("id"), in, v.Get("idempotency_key"), body)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT {
			return err
		}
		p, _, derr := s.invoiceData(w, r, c)
		if derr != nil {
			return derr
		}
		p.Form = v
		p.FormFieldErrors(err, creditNoteField(v.Get("mode")))
		s.RenderPage(w, r, web.StatusOf(err), "invoice", p)
		return nil
	}
	s.SetFlash(w, "ok", "Credit note "+doc.Number+" is issued.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/invoices/"+doc.ID, http.StatusSeeOther)
	return nil
}

// cashierData is the day's payments per method.
type cashierData struct {
	Day      date.Date
	Methods  []cashierMethod
	Total    int64
	Payments []ledger.Payment
}

type cashierMethod struct {
	Method   string
	Count    int
	Payments int64
	Refunds  int64
	Net      int64
}

func (s Handlers) cashierPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Cashier", "cashier")
	if err != nil {
		return err
	}
	today := s.Today(r, c, prop)
	day, err := web.QueryDate(r.URL.Query(), "date", today)
	if err != nil {
		return err
	}
	ps, err := ledger.New(c.DB).Payments(r.Context(), ledger.PaymentFilter{PropertyID: prop.ID, BusinessDate: day})
	if err != nil {
		return err
	}
	d := &cashierData{Day: day, Payments: ps}
	by := map[string]*cashierMethod{}
	for _, py := range ps {
		if py.Status == ledger.StatusFailed || py.Status == ledger.StatusPending {
			continue
		}
		m := by[py.Method]
		if m == nil {
			m = &cashierMethod{Method: py.Method}
			by[py.Method] = m
		}
		m.Count++
		if py.Kind == ledger.KindPayment {
			m.Payments += py.Amount
			m.Net += py.Amount
			d.Total += py.Amount
		} else {
			m.Refunds += py.Amount
			m.Net -= py.Amount
			d.Total -= py.Amount
		}
	}
	for _, m := range append(handMethods, ledger.MethodStripe) {
		if x := by[m]; x != nil {
			d.Methods = append(d.Methods, *x)
		}
	}
	p.Form = url.Values{"date": {day.String()}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "cashier", p)
	return nil
}

// ledgerSettingsData is the ledger settings page.
type ledgerSettingsData struct {
	Settings   ledger.Settings
	Config     *ledger.Config
	TaxCodes   []ledger.TaxCode
	Categories []ledger.Category
	Products   []ledger.Product
}

func (s Handlers) ledgerSettingsData(ctx context.Context, c *web.Call, prop inventory.Property) (*ledgerSettingsData, error) {
	if err := ensureLedger(ctx, c.DB, prop); err != nil {
		return nil, err
	}
	l := ledger.New(c.DB)
	st, err := l.Settings(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	cfg, err := l.Config(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	d := &ledgerSettingsData{Settings: st, Config: cfg}
	for _, t := range cfg.TaxCodes {
		d.TaxCodes = append(d.TaxCodes, t)
	}
	sort.Slice(d.TaxCodes, func(i, j int) bool { return d.TaxCodes[i].Code < d.TaxCodes[j].Code })
	for _, x := range cfg.Categories {
		d.Categories = append(d.Categories, x)
	}
	sort.Slice(d.Categories, func(i, j int) bool { return d.Categories[i].Code < d.Categories[j].Code })
	for _, x := range cfg.Products {
		d.Products = append(d.Products, x)
	}
	sort.Slice(d.Products, func(i, j int) bool { return d.Products[i].Code < d.Products[j].Code })
	return d, nil
}

func legalForm(st ledger.Settings) url.Values {
	l := st.Legal
	v := url.Values{"company": {l.Company}, "line1": {l.Address.Line1}, "line2": {l.Address.Line2}, "postal_code": {l.Address.PostalCode},
		"city": {l.Address.City}, "country": {l.Address.Country}, "vat_id": {l.VATID}, "tax_number": {l.TaxNumber}, "register": {l.Register},
		"directors": {l.Directors}, "email": {l.Email}, "phone": {l.Phone}, "iban": {l.Bank.IBAN}, "bic": {l.Bank.BIC}, "bank_name": {l.Bank.Name},
		"account_holder": {l.Bank.AccountHolder}, "payment_terms": {l.PaymentTerms}, "invoice_series": {st.InvoiceSeries},
		"credit_note_series": {st.CreditNoteSeries}, "accommodation_tax_code": {st.AccommodationTaxCode},
		"accommodation_category": {st.AccommodationCategory}, "version": {strconv.Itoa(st.Version)}}
	if st.PricesIncludeTax {
		v.Set("prices_include_tax", "on")
	}
	return v
}

func (s Handlers) ledgerSettingsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Ledger settings", "ledger")
	if err != nil {
		return err
	}
	d, err := s.ledgerSettingsData(r.Context(), c, prop)
	if err != nil {
		return err
	}
	p.Form = legalForm(d.Settings)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "ledger_settings", p)
	return nil
}

// ledgerSettingsSave saves one of the settings page's forms (intent):
// legal data and numbering, a tax code, a category, the city tax or a product.
func (s Handlers) ledgerSettingsSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, "Ledger settings", "ledger")
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.ledgerSettingsData(ctx, c, prop)
	if err != nil {
		return err
	}
	v := r.PostForm
	l := ledger.New(c.DB)
	var fe web.FormErrors
	g := func(n string) string { return strings.TrimSpace(v.Get(n)) }
	intent := v.Get("intent")
	switch intent {
	case "tax_code":
		rate, _ := strconv.ParseFloat(strings.Replace(g("tc_rate"), ",", ".", 1), 64)
		from := fe.Date(v, "tc_valid_from")
		tc := d.Config.TaxCodes[g("tc_code")]
		tc.Code, tc.Name, tc.Category, tc.ExemptionReason = g("tc_code"), g("tc_name"), g("tc_category"), g("tc_exemption_reason")
		tc.Rates = append(append([]ledger.Rate(nil), tc.Rates...), ledger.Rate{ValidFrom: from, BasisPoints: int(rate*100 + 0.5)})
		if err = fe.Err("The tax code is not valid."); err == nil {
			_, err = l.SetTaxCode(ctx, prop.ID, tc)
		}
	case "category":
		cat := ledger.Category{Code: g("cat_code"), Name: g("cat_name"), Account: g("cat_account")}
		version := 0
		if _, ok := d.Config.Categories[cat.Code]; ok {
			version = -1 // replace whatever is stored (the page showed it)
		}
		if version == -1 {
			err = c.DB.View(ctx, func(tx *tenant.Tx) error {
				return tx.QueryRow(`SELECT version FROM ledger_categories WHERE property_id = ? AND code = ?`, prop.ID, cat.Code).Scan(&version)
			})
		}
		if err == nil {
			_, err = l.SetCategory(ctx, prop.ID, cat, version)
		}
	case "city_tax":
		kind := g("ct_kind")
		rule := ledger.CityTaxRule{Kind: kind, ValidFrom: fe.Date(v, "ct_valid_from"), TaxCode: g("ct_tax_code"), Category: g("ct_category"),
			Description: g("ct_description"), MaxNights: fe.Int(v, "ct_max_nights", 0), ChildExemptBelowAge: fe.Int(v, "ct_child_age", 0),
			BusinessExempt: v.Get("ct_business_exempt") == "on"}
		switch kind {
		case ledger.CityTaxPerPersonNight:
			rule.Amount, _ = fe.Amount(v, "ct_amount", prop.Currency)
		case ledger.CityTaxPercentOfNet:
			pct, perr := strconv.ParseFloat(strings.Replace(g("ct_percent"), ",", ".", 1), 64)
			if perr != nil {
				fe.Add("ct_percent", "must be a percentage such as 7.5")
			}
			rule.BasisPoints = int(pct*100 + 0.5)
		}
		var version int
		_ = c.DB.View(ctx, func(tx *tenant.Tx) error {
			return tx.QueryRow(`SELECT version FROM ledger_city_tax WHERE property_id = ?`, prop.ID).Scan(&version)
		})
		if err = fe.Err("The city tax is not valid."); err == nil {
			_, err = l.SetCityTax(ctx, prop.ID, append(append([]ledger.CityTaxRule(nil), d.Config.CityTax...), rule), version)
		}
	case "product":
		pr := d.Config.Products[g("pr_code")]
		pr.Code, pr.Name, pr.TaxCode, pr.Category, pr.Rhythm, pr.Active = g("pr_code"), g("pr_name"), g("pr_tax_code"), g("pr_category"), g("pr_rhythm"), v.Get("pr_active") == "on"
		pr.Price, _ = fe.Amount(v, "pr_price", prop.Currency)
		if err = fe.Err("The product is not valid."); err == nil {
			_, err = l.SetProduct(ctx, prop.ID, pr)
		}
	default:
		st := d.Settings
		st.PricesIncludeTax = v.Get("prices_include_tax") == "on"
		st.AccommodationTaxCode, st.AccommodationCategory = g("accommodation_tax_code"), g("accommodation_category")
		st.InvoiceSeries, st.CreditNoteSeries = g("invoice_series"), g("credit_note_series")
		st.Legal = ledger.Legal{Company: g("company"), VATID: g("vat_id"), TaxNumber: g("tax_number"), Register: g("register"),
			Directors: g("directors"), Email: g("email"), Phone: g("phone"), PaymentTerms: g("payment_terms"),
			Address: ledger.Address{Line1: g("line1"), Line2: g("line2"), PostalCode: g("postal_code"), City: g("city"), Country: strings.ToUpper(g("country"))},
			Bank:    ledger.Bank{IBAN: g("iban"), BIC: g("bic"), Name: g("bank_name"), AccountHolder: g("account_holder")}}
		st.Version = web.FormVersion(v)
		_, err = l.Configure(ctx, st)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
			return err
		}
		p.Form = v
		prefix := map[string]string{"tax_code": "tc_", "category": "cat_", "city_tax": "ct_", "product": "pr_"}[intent]
		p.FormFieldErrors(err, func(f string) string {
			if prefix != "" {
				if i := strings.LastIndex(f, "]."); i >= 0 {
					f = f[i+2:]
				}
				return prefix + f
			}
			switch f {
			case "legal.bank.name":
				return "bank_name"
			case "legal.bank.account_holder":
				return "account_holder"
			}
			f = strings.TrimPrefix(f, "legal.bank.")
			f = strings.TrimPrefix(f, "legal.address.")
			return strings.TrimPrefix(f, "legal.")
		})
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "ledger_settings", p)
		return nil
	}
	s.SetFlash(w, "ok", "The ledger settings are saved.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/settings/ledger", http.StatusSeeOther)
	return nil
}

// folioArgs is what the foliobody partial takes.
type folioArgs struct {
	P *web.Page
	D *folioData
}

// reservationMoney is the folios section of the reservation page.
type reservationMoney struct {
	P       *web.Page
	Folios  []*folioData
	CanOpen bool
	ResID   string
}

func init() { web.AddTemplateFuncs(moneyFuncs) }

// moneyFuncs are the template functions of the money pages.
var moneyFuncs = map[string]any{
	"folioOf": func(p *web.Page, d *folioData) folioArgs { return folioArgs{P: p, D: d} },
	"list":    func(v ...string) []string { return v },
}

// reservationFolios builds the reservation page's folios section (nil
// without folios.read).
func (s Handlers) reservationFolios(ctx context.Context, c *web.Call, p *web.Page, res stays.Reservation) (*reservationMoney, error) {
	if !c.Can(identity.PermFoliosRead) {
		return nil, nil
	}
	m := &reservationMoney{P: p, ResID: res.ID, CanOpen: c.Can(identity.PermFoliosWrite)}
	fs, err := ledger.New(c.DB).Folios(ctx, ledger.Ref{Kind: ledger.RefReservation, ID: res.ID})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		d, err := s.folioData(ctx, c, f.ID)
		if err != nil {
			return nil, err
		}
		d.Back = "/" + c.Tenant.Slug + "/reservations/" + res.ID + "#folios"
		m.Folios = append(m.Folios, d)
	}
	return m, nil
}

// stayBalance is the open balance of a reservation's folios.
func stayBalance(ctx context.Context, db *tenant.DB, resID string) (int64, error) {
	var bal int64
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		bal, err = ledger.New(db).RefBalanceTx(tx, ledger.Ref{Kind: ledger.RefReservation, ID: resID})
		return err
	})
	return bal, err
}

// ledgerCityTaxNote is the city tax of a stay as the night audit will post
// it (Config.NightLines over its nights), once the property's ledger is
// configured; ok is false before, when the older property setting is shown.
func ledgerCityTaxNote(ctx context.Context, c *web.Call, p *web.Page, prop inventory.Property, res stays.Reservation) (string, bool) {
	cfg, err := ledger.New(c.DB).Config(ctx, prop.ID)
	if err != nil {
		return "", false
	}
	var total int64
	for i, n := range res.Nights {
		lines, err := cfg.NightLines(ledger.Night{Date: n.Date, Price: n.Price.Amount, NightsBefore: i,
			Party: ledger.Party{Adults: res.Adults, ChildAges: make([]int, res.Children)}})
		if err != nil {
			return "", false
		}
		for _, l := range lines {
			if l.Item == ledger.ItemCityTax {
				total += l.Gross
			}
		}
	}
	if total == 0 {
		return "", true
	}
	return "Plus city tax: " + p.Amount(total) + ".", true
}
