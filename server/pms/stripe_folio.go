package pms

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/payments"
)

// The card actions of a folio through Stripe, as forms of the folio page
// and as the JSON API: take a payment or a deposit (automatic capture, or
// a hold with manual capture), save a card on file (a SetupIntent for
// off-session use), charge a stored card (a no-show or cancellation fee),
// capture or release a hold, refund in full or in part, and ask Stripe
// again (refresh, reconcile); the API also registers an OTA virtual card.
// Every action needs an idempotency key (the form's hidden field, the
// API's Idempotency-Key): tenant/payments derives every Stripe call's key
// from the attempt it records under it, so a double submit charges once.

// stripeFolioRoutes are the rows of the card actions in the route table.
func (s Handlers) stripeFolioRoutes() []web.Route {
	fol, stp, crd := web.Iso("id", "fol_aaaaaaaaaaaaaaaa"), web.Iso("id", "stp_aaaaaaaaaaaaaaaa"), web.Iso("id", "crd_aaaaaaaaaaaaaaaa")
	none := web.Iso()
	pw, fr := identity.PermPaymentsWrite, identity.PermFoliosRead
	return []web.Route{
		// Pages: forms of the folio page.
		{Method: "POST", Path: "/:tenant/folios/:id/stripe/payments", Access: web.Session, Perm: pw, Isolation: fol, Page: "folio", Handle: s.stripeForm("payment")},
		{Method: "POST", Path: "/:tenant/folios/:id/stripe/cards", Access: web.Session, Perm: pw, Isolation: fol, Page: "folio", Handle: s.stripeForm("card")},
		{Method: "POST", Path: "/:tenant/stripe/cards/:id/charges", Access: web.Session, Perm: pw, Isolation: crd, Page: "folio", Handle: s.stripeForm("charge")},
		{Method: "POST", Path: "/:tenant/stripe/cards/:id/refresh", Access: web.Session, Perm: pw, Isolation: crd, Page: "folio", Handle: s.stripeForm("card_refresh")},
		{Method: "POST", Path: "/:tenant/stripe/payments/:id/capture", Access: web.Session, Perm: pw, Isolation: stp, Page: "folio", Handle: s.stripeForm("capture")},
		{Method: "POST", Path: "/:tenant/stripe/payments/:id/cancel", Access: web.Session, Perm: pw, Isolation: stp, Page: "folio", Handle: s.stripeForm("cancel")},
		{Method: "POST", Path: "/:tenant/stripe/payments/:id/refunds", Access: web.Session, Perm: pw, Isolation: stp, Page: "folio", Handle: s.stripeForm("refund")},
		{Method: "POST", Path: "/:tenant/stripe/payments/:id/refresh", Access: web.Session, Perm: pw, Isolation: stp, Page: "folio", Handle: s.stripeForm("refresh")},

		// API.
		{Method: "GET", Path: "/:tenant/api/v1/folios/:id/stripe", Access: web.Token, Perm: fr, Isolation: fol, Handle: s.apiStripeFolio},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/stripe/payments", Access: web.Token, Perm: pw, Isolation: fol, Handle: s.apiStripe("payment")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/stripe/cards", Access: web.Token, Perm: pw, Isolation: fol, Handle: s.apiStripe("card")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/stripe/virtual-cards", Access: web.Token, Perm: pw, Isolation: fol, Handle: s.apiStripe("virtual_card")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/cards/:id/charges", Access: web.Token, Perm: pw, Isolation: crd, Handle: s.apiStripe("charge")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/cards/:id/refresh", Access: web.Token, Perm: pw, Isolation: crd, Handle: s.apiStripe("card_refresh")},
		{Method: "GET", Path: "/:tenant/api/v1/stripe/payments/:id", Access: web.Token, Perm: fr, Isolation: stp, Handle: s.apiStripePayment},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/payments/:id/capture", Access: web.Token, Perm: pw, Isolation: stp, Handle: s.apiStripe("capture")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/payments/:id/cancel", Access: web.Token, Perm: pw, Isolation: stp, Handle: s.apiStripe("cancel")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/payments/:id/refunds", Access: web.Token, Perm: pw, Isolation: stp, Handle: s.apiStripe("refund")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/payments/:id/refresh", Access: web.Token, Perm: pw, Isolation: stp, Handle: s.apiStripe("refresh")},
		{Method: "POST", Path: "/:tenant/api/v1/stripe/reconcile", Access: web.Token, Perm: pw, Isolation: none, Handle: s.apiStripeReconcile},
	}
}

// stripeTarget is the folio an action is about (the path's folio, or the
// folio of the path's card or payment), for the business date.
func (s Handlers) stripeTarget(ctx context.Context, c *web.Call, action, id string) (folioContext, error) {
	folioID := id
	switch action {
	case "charge", "card_refresh":
		card, err := s.payments(c).Card(ctx, id)
		if err != nil {
			return folioContext{}, err
		}
		folioID = card.FolioID
	case "capture", "cancel", "refund", "refresh":
		p, err := s.payments(c).Payment(ctx, id)
		if err != nil {
			return folioContext{}, err
		}
		folioID = p.FolioID
	}
	return s.folioContext(ctx, c, folioID)
}

// stripeAction runs one card action with a decoded input: the shared core
// of the API and the pages. id is the path's folio, card or payment.
func (s Handlers) stripeAction(ctx context.Context, c *web.Call, fc folioContext, action, id string, decode func(any) error, key string, hash []byte) (any, bool, error) {
	st := s.payments(c)
	var out any
	var replayed bool
	var err error
	switch action {
	case "payment":
		var in payments.PaymentInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		var p payments.Payment
		p, err = st.TakePayment(ctx, in)
		out, replayed = p, p.Replayed
	case "card":
		var in payments.SaveCardInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash}, key, hash)
		var card payments.Card
		card, err = st.SaveCard(ctx, in)
		out, replayed = card, card.Replayed
	case "virtual_card":
		var in payments.VirtualCardInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		in.FolioID = fc.folio.ID
		var card payments.Card
		card, err = st.AddVirtualCard(ctx, in)
		out, replayed = card, card.Replayed
	case "charge":
		var in payments.ChargeInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		in.CardID = id
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		var p payments.Payment
		p, err = st.ChargeCard(ctx, in)
		out, replayed = p, p.Replayed
	case "capture":
		var in payments.CaptureInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		in.PaymentID = id
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		var p payments.Payment
		p, err = st.CaptureHold(ctx, in)
		out, replayed = p, p.Replayed
	case "cancel":
		var in payments.CancelInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		in.PaymentID = id
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash}, key, hash)
		var p payments.Payment
		p, err = st.CancelPayment(ctx, in)
		out, replayed = p, p.Replayed
	case "refund":
		var in payments.RefundInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		in.PaymentID = id
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		var re payments.Refund
		re, err = st.Refund(ctx, in)
		out, replayed = re, re.Replayed
	case "refresh":
		if err := decode(&struct{}{}); err != nil {
			return nil, false, err
		}
		out, err = st.RefreshPayment(ctx, id)
	case "card_refresh":
		if err := decode(&struct{}{}); err != nil {
			return nil, false, err
		}
		out, err = st.RefreshCard(ctx, id)
	default:
		return nil, false, aura.Errorf(aura.ENOTFOUND, "No such card action.")
	}
	return out, replayed, stripeError(err)
}

// stripeError answers "Stripe is not set up" as 409 (the tenant's state,
// not the server, stands in the way): the owner sets it up in Settings.
func stripeError(err error) error {
	if aura.ErrorCode(err) == aura.ENOTIMPLEMENTED {
		return web.WithStatus(err, http.StatusConflict)
	}
	return err
}

// apiStripe answers one card action of the API. Actions that create
// something answer 201 (200 for a refresh); a repeat of the same
// Idempotency-Key and body answers the first result with
// Idempotent-Replayed: true.
func (s Handlers) apiStripe(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx := r.Context()
		raw := []byte("{}")
		if action == "refresh" || action == "card_refresh" || action == "cancel" {
			// These take no input: the body may be left out.
			if hasBody(r) {
				b, err := readJSONRaw(r)
				if err != nil {
					return err
				}
				raw = b
			}
		} else {
			b, err := readJSONRaw(r)
			if err != nil {
				return err
			}
			raw = b
		}
		id := c.Params.ByName("id")
		fc, err := s.stripeTarget(ctx, c, action, id)
		if err != nil {
			return err
		}
		key, hash := idempotency(r, raw)
		out, replayed, err := s.stripeAction(ctx, c, fc, action, id, func(v any) error { return decodeRaw(raw, v) }, key, hash)
		if action == "refresh" || action == "card_refresh" {
			if err != nil {
				return err
			}
			return writeAPI(w, http.StatusOK, out)
		}
		return answerIdempotent(w, out, replayed, err)
	}
}

// StripePaymentView is a Stripe payment with its refunds.
type StripePaymentView struct {
	payments.Payment
	Refunds []payments.Refund `json:"refunds"`
}

// StripeFolioView is what Stripe holds for a folio: its payments (with
// their refunds) and its stored cards.
type StripeFolioView struct {
	Payments []StripePaymentView `json:"payments"`
	Cards    []payments.Card     `json:"cards"`
}

func (s Handlers) stripeFolioView(ctx context.Context, c *web.Call, folioID string) (StripeFolioView, error) {
	st := s.payments(c)
	v := StripeFolioView{Payments: []StripePaymentView{}, Cards: []payments.Card{}}
	ps, err := st.FolioPayments(ctx, folioID)
	if err != nil {
		return v, err
	}
	refunds, err := st.FolioRefunds(ctx, folioID)
	if err != nil {
		return v, err
	}
	for _, p := range ps {
		rs := refunds[p.ID]
		if rs == nil {
			rs = []payments.Refund{}
		}
		v.Payments = append(v.Payments, StripePaymentView{Payment: p, Refunds: rs})
	}
	cards, err := st.Cards(ctx, folioID)
	if err != nil {
		return v, err
	}
	v.Cards = append(v.Cards, cards...)
	return v, nil
}

func (s Handlers) stripePaymentView(ctx context.Context, st *payments.Store, p payments.Payment) (StripePaymentView, error) {
	rs, err := st.Refunds(ctx, p.ID)
	if rs == nil {
		rs = []payments.Refund{}
	}
	return StripePaymentView{Payment: p, Refunds: rs}, err
}

func (s Handlers) apiStripeFolio(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	fc, err := s.folioContext(r.Context(), c, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	v, err := s.stripeFolioView(r.Context(), c, fc.folio.ID)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, v)
}

func (s Handlers) apiStripePayment(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	st := s.payments(c)
	p, err := st.Payment(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	v, err := s.stripePaymentView(r.Context(), st, p)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, v)
}

// StripeReconcileResult is what a reconcile run did.
type StripeReconcileResult struct {
	Reconciled int `json:"reconciled"`
}

// apiStripeReconcile asks Stripe about every attempt whose outcome is not
// known (a lost answer), resending each with its own idempotency key, as
// the scheduled stripe-reconcile job does.
func (s Handlers) apiStripeReconcile(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if hasBody(r) {
		var none struct{}
		if err := web.DecodeJSON(r, &none); err != nil {
			return err
		}
	}
	n, err := s.payments(c).ReconcileOpen(r.Context())
	if err != nil {
		return stripeError(err)
	}
	return writeAPI(w, http.StatusOK, StripeReconcileResult{Reconciled: n})
}

// stripeFolio is the Stripe part of the folio page: shown only when the
// tenant has Stripe set up, and only there is the page's CSP widened to
// Stripe's origins.
type stripeFolio struct {
	PublishableKey string
	View           StripeFolioView
	Today          string
	// Mount is set when the cardholder has to act in Stripe Elements (a
	// payment or a card just started): the client secret goes to the
	// mount point's data attributes only, never stored.
	Mount *stripeMount
}

// stripeMount is what static/stripe.js needs to mount Elements.
type stripeMount struct {
	Mode         string // payment or setup
	ClientSecret string
	Refresh      string // the form action the browser posts to once Stripe answers
	Amount       int64
}

// withStripe adds the Stripe part to a folio page being rendered, and the
// Stripe CSP, when the tenant has Stripe set up and the caller may see it.
func (s Handlers) withStripe(w http.ResponseWriter, r *http.Request, c *web.Call, d *folioData) error {
	if !c.Can(identity.PermFoliosRead) {
		return nil
	}
	st, err := s.payments(c).Settings(r.Context())
	if aura.ErrorCode(err) == aura.ENOTIMPLEMENTED {
		return nil
	} else if err != nil {
		return err
	}
	v, err := s.stripeFolioView(r.Context(), c, d.V.Folio.ID)
	if err != nil {
		return err
	}
	d.Stripe = &stripeFolio{PublishableKey: st.PublishableKey, View: v, Today: d.Today.String()}
	w.Header().Set("Content-Security-Policy", stripeCSP)
	w.Header().Set("Permissions-Policy", stripePermissions)
	return nil
}

// stripeForm handles one card form of the folio page with the same core
// as the API. A payment or card that needs the cardholder shows the page
// again with Stripe Elements mounted; anything else goes back to the
// folio with a message; a refusal shows the message at the form.
func (s Handlers) stripeForm(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		if err := web.ParseForm(r); err != nil {
			return err
		}
		ctx := r.Context()
		v := r.PostForm
		id := c.Params.ByName("id")
		fc, err := s.stripeTarget(ctx, c, action, id)
		if err != nil {
			return err
		}
		in, fe := stripeFormInput(action, v, fc.prop.Currency)
		err = fe.Err("The form is not valid.")
		var out any
		if err == nil {
			decode, key, hash := formBody(v, in)
			out, _, err = s.stripeAction(ctx, c, fc, action, id, decode, key, hash)
		}
		folioPath := "/" + c.Tenant.Slug + "/folios/" + fc.folio.ID
		render := func(status int, mount *stripeMount) error {
			d, derr := s.folioData(ctx, c, fc.folio.ID)
			if derr != nil {
				return derr
			}
			if derr := s.withStripe(w, r, c, d); derr != nil {
				return derr
			}
			if d.Stripe != nil {
				d.Stripe.Mount = mount
			}
			p := s.folioPageOf(w, r, c, d)
			if err != nil {
				p.Form = v
				p.IdemKey = credential.RandomString(22)
				prefix := "stripe_" + action + "."
				p.FormFieldErrors(err, func(f string) string { return prefix + f })
			}
			s.RenderPage(w, r, status, "folio", p)
			return nil
		}
		if err != nil {
			switch aura.ErrorCode(err) {
			case aura.EINVALID, aura.ECONFLICT, aura.EPRECONDITION, aura.ENOTFOUND, aura.ENOTIMPLEMENTED, aura.EUNAVAILABLE:
				return render(web.StatusOf(err), nil)
			}
			return err
		}
		// The cardholder's turn: Elements on the page, with the secret.
		switch o := out.(type) {
		case payments.Payment:
			if o.ClientSecret != "" {
				return render(http.StatusOK, &stripeMount{Mode: "payment", ClientSecret: o.ClientSecret, Amount: o.Amount,
					Refresh: "/" + c.Tenant.Slug + "/stripe/payments/" + url.PathEscape(o.ID) + "/refresh"})
			}
		case payments.Card:
			if o.ClientSecret != "" {
				return render(http.StatusOK, &stripeMount{Mode: "setup", ClientSecret: o.ClientSecret,
					Refresh: "/" + c.Tenant.Slug + "/stripe/cards/" + url.PathEscape(o.ID) + "/refresh"})
			}
		}
		s.SetFlash(w, "ok", stripeMessage(action, out))
		http.Redirect(w, r, folioPath+"#stripe", http.StatusSeeOther)
		return nil
	}
}

// stripeFormInput reads one card form into tenant/payments' input.
func stripeFormInput(action string, v url.Values, currency string) (any, web.FormErrors) {
	var fe web.FormErrors
	prefix := "stripe_" + action + "."
	get := func(name string) string { return strings.TrimSpace(v.Get(prefix + name)) }
	amount := func(name string, required bool) int64 {
		n, ok := fe.Amount(url.Values{prefix + name: {get(name)}}, prefix+name, currency)
		if !ok && required && get(name) == "" {
			fe.Add(prefix+name, "is required")
		}
		return n
	}
	switch action {
	case "payment":
		return payments.PaymentInput{Amount: amount("amount", true), Purpose: get("purpose"), Capture: get("capture")}, fe
	case "card":
		return payments.SaveCardInput{}, fe
	case "charge":
		return payments.ChargeInput{Amount: amount("amount", true), Purpose: get("purpose"), Note: get("note")}, fe
	case "capture":
		return payments.CaptureInput{Amount: amount("amount", false)}, fe
	case "cancel":
		return payments.CancelInput{}, fe
	case "refund":
		return payments.RefundInput{Amount: amount("amount", false), Note: get("note")}, fe
	}
	return struct{}{}, fe
}

func stripeMessage(action string, out any) string {
	switch o := out.(type) {
	case payments.Payment:
		switch {
		case action == "cancel":
			return "The hold is released."
		case o.Status == payments.StatusRequiresCapture:
			return "The hold is authorised."
		case o.Status == payments.StatusSucceeded && action == "capture":
			return "The hold is captured."
		case o.Status == payments.StatusSucceeded:
			return "The card payment succeeded."
		case o.Status == payments.StatusProcessing:
			return "The card payment is processing; the folio shows it once Stripe confirms."
		}
		return "The card payment is " + strings.ReplaceAll(o.Status, "_", " ") + "."
	case payments.Card:
		return "The card is " + o.Status + "."
	case payments.Refund:
		if o.Status == "succeeded" {
			return "The refund succeeded."
		}
		return "The refund is " + o.Status + "."
	}
	return "Done."
}

// StripeAPIFolioDocs documents the card actions in the OpenAPI document.
var StripeAPIFolioDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/folios/:id/stripe": {Summary: "A folio's Stripe payments (with refunds) and stored cards", Tag: "Stripe", Response: StripeFolioView{}},
	"POST /:tenant/api/v1/folios/:id/stripe/payments": {Summary: "Take a payment or deposit by card (capture manual: a hold); without payment_method_id the answer's client_secret confirms it in Stripe Elements", Tag: "Stripe",
		Body: payments.PaymentInput{}, Response: payments.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/stripe/cards": {Summary: "Save a card on file (a SetupIntent for off-session charges); the answer's client_secret confirms it in Stripe Elements", Tag: "Stripe",
		Body: payments.SaveCardInput{}, Response: payments.Card{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/stripe/virtual-cards": {Summary: "Register an OTA virtual card: its PaymentMethod token, activation date and amount", Tag: "Stripe",
		Body: payments.VirtualCardInput{}, Response: payments.Card{}, Status: 201},
	"POST /:tenant/api/v1/stripe/cards/:id/charges": {Summary: "Charge a stored card off-session (a no-show or cancellation fee; a virtual card from its activation date, up to its amount)", Tag: "Stripe",
		Body: payments.ChargeInput{}, Response: payments.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/stripe/cards/:id/refresh": {Summary: "Ask Stripe for a saved card's SetupIntent and apply it", Tag: "Stripe",
		Body: struct{}{}, BodyOptional: true, Response: payments.Card{}},
	"GET /:tenant/api/v1/stripe/payments/:id": {Summary: "A Stripe payment with its refunds (hold expiry included)", Tag: "Stripe", Response: StripePaymentView{}},
	"POST /:tenant/api/v1/stripe/payments/:id/capture": {Summary: "Capture a hold, all of it or less (the rest is released)", Tag: "Stripe",
		Body: payments.CaptureInput{}, Response: payments.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/stripe/payments/:id/cancel": {Summary: "Release a hold, or abandon a payment the cardholder has not completed", Tag: "Stripe",
		Body: payments.CancelInput{}, BodyOptional: true, Response: payments.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/stripe/payments/:id/refunds": {Summary: "Refund a Stripe payment in full (no amount) or in part", Tag: "Stripe",
		Body: payments.RefundInput{}, Response: payments.Refund{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/stripe/payments/:id/refresh": {Summary: "Ask Stripe for a payment's PaymentIntent and apply it (after Stripe Elements)", Tag: "Stripe",
		Body: struct{}{}, BodyOptional: true, Response: payments.Payment{}},
	"POST /:tenant/api/v1/stripe/reconcile": {Summary: "Resend every attempt whose outcome is unknown with its own idempotency key", Tag: "Stripe",
		Body: struct{}{}, BodyOptional: true, Response: StripeReconcileResult{}},
}
