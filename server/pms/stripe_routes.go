package pms

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/payments"
)

// Stripe over HTTP (issue 13): the webhook Stripe delivers to, the
// tenant's Stripe settings (page and API), and the card actions of a
// folio (stripe_folio.go). The flows themselves are tenant/payments'.

// maxWebhookBytes is the largest webhook body read. Stripe's events are a
// few KiB; a larger body is refused before it is read to the end.
const maxWebhookBytes = 512 << 10

// stripeCSP is the Content-Security-Policy of the folio page when the
// tenant has Stripe set up: Aura's own policy plus exactly the origins
// Stripe documents for Stripe.js and Elements — the script from
// js.stripe.com (and its subdomains), its frames from js.stripe.com and
// hooks.stripe.com (3-D Secure), its calls to api.stripe.com. Every other
// page keeps contentSecurityPolicy.
const stripeCSP = "default-src 'none'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self' https://api.stripe.com; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// stripePermissions is the Permissions-Policy of the same page: Aura's own
// (no camera, microphone or location) except that the Payment Request API
// is allowed to this page and to Stripe's frames, so wallets such as Apple
// Pay and Google Pay can show inside Elements. Every other page refuses it.
const stripePermissions = `camera=(), microphone=(), geolocation=(), payment=(self "https://js.stripe.com")`

// StripeRoutes are the Stripe rows of the route table.
func (s Handlers) StripeRoutes() []web.Route {
	none := web.Iso()
	return append([]web.Route{
		// Stripe's deliveries: no session or token, the signature is the
		// credential (checked with the tenant's webhook signing secret).
		{Method: "POST", Path: "/:tenant/stripe/webhook", Access: web.Public, Isolation: none, MaxBody: maxWebhookBytes, Handle: s.stripeWebhook},
		{Method: "GET", Path: "/:tenant/settings/stripe", Access: web.Session, Perm: identity.PermStripeWrite, Isolation: none, Page: "stripe_settings", Handle: s.stripeSettingsPage},
		{Method: "POST", Path: "/:tenant/settings/stripe", Access: web.Session, Perm: identity.PermStripeWrite, Isolation: none, Page: "stripe_settings", Handle: s.stripeSettingsSave},
		{Method: "GET", Path: "/:tenant/api/v1/stripe/settings", Access: web.Token, Perm: identity.PermStripeWrite, Isolation: none, Handle: s.apiStripeSettings},
		{Method: "PUT", Path: "/:tenant/api/v1/stripe/settings", Access: web.Token, Perm: identity.PermStripeWrite, Isolation: none, Handle: s.apiStripeSettingsPut},
	}, s.stripeFolioRoutes()...)
}

// payments returns the tenant's Stripe payments over the configured backend.
func (s Handlers) payments(c *web.Call) *payments.Store {
	return payments.New(c.DB, payments.Options{Backend: s.Cfg.Stripe})
}

// stripeWebhook receives one Stripe event: the raw body (never re-encoded:
// the signature is over its bytes) goes to payments.HandleWebhook with the
// Stripe-Signature header and the time of receipt. 200 when applied or
// already applied (a replay changes nothing), 400 with the reason for a
// forged, stale, malformed or foreign event, 413 for a body over 512 KiB;
// anything else is a 500, so Stripe delivers again. An unknown tenant was
// answered 404 before here, without opening a file.
func (s Handlers) stripeWebhook(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return writeAPI(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "The webhook body is larger than 512 KiB."})
	} else if err != nil {
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": "The webhook body could not be read."})
	}
	err = payments.HandleWebhook(r.Context(), c.DB, body, r.Header.Get("Stripe-Signature"), s.Cfg.Now(),
		payments.WithBusinessDay(inventory.New(c.DB).PropertyToday))
	switch aura.ErrorCode(err) {
	case "":
		return writeAPI(w, http.StatusOK, map[string]bool{"received": true})
	case aura.EINVALID:
		return writeAPI(w, http.StatusBadRequest, map[string]string{"error": aura.ErrorMessage(err)})
	}
	s.Logger(r).Error("stripe webhook", "err", err)
	return writeAPI(w, http.StatusInternalServerError, map[string]string{"error": "The event could not be recorded; deliver it again."})
}

// StripeSettingsView is the tenant's Stripe account as the API shows it:
// never a secret, only whether each is set, and the webhook endpoint to
// enter in Stripe's dashboard.
type StripeSettingsView struct {
	Configured bool `json:"configured"`
	payments.Settings
	WebhookURL string `json:"webhook_url"`
}

func (s Handlers) stripeSettingsView(r *http.Request, c *web.Call) (StripeSettingsView, error) {
	st, err := s.payments(c).Settings(r.Context())
	v := StripeSettingsView{Configured: err == nil, Settings: st, WebhookURL: s.webhookURL(r, c)}
	if aura.ErrorCode(err) == aura.ENOTIMPLEMENTED {
		err = nil
	}
	return v, err
}

// webhookURL is the address Stripe delivers the tenant's events to.
func (s Handlers) webhookURL(r *http.Request, c *web.Call) string {
	base := strings.TrimSuffix(s.Cfg.BaseURL, "/")
	if base == "" {
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/" + c.Tenant.Slug + "/stripe/webhook"
}

func (s Handlers) apiStripeSettings(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	v, err := s.stripeSettingsView(r, c)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, v, v.Version)
}

func (s Handlers) apiStripeSettingsPut(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in payments.SettingsInput
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	if _, err := s.payments(c).Configure(r.Context(), in); err != nil {
		return err
	}
	v, err := s.stripeSettingsView(r, c)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, v, v.Version)
}

// stripeSettingsPage shows the Stripe settings: the account id and the
// publishable key filled in, the secrets only as "set" (their fields stay
// empty; left empty they keep the stored value).
func (s Handlers) stripeSettingsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	v, err := s.stripeSettingsView(r, c)
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Stripe", "stripe")
	p.Data = v
	p.Form.Set("account_id", v.AccountID)
	p.Form.Set("publishable_key", v.PublishableKey)
	p.Form.Set("version", strconv.Itoa(v.Version))
	s.RenderPage(w, r, http.StatusOK, "stripe_settings", p)
	return nil
}

func (s Handlers) stripeSettingsSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	in := payments.SettingsInput{AccountID: f.Get("account_id"), PublishableKey: f.Get("publishable_key"),
		SecretKey: f.Get("secret_key"), WebhookSecret: f.Get("webhook_secret")}
	in.Version = web.FormVersion(f)
	_, err := s.payments(c).Configure(r.Context(), in)
	if err != nil {
		if code := aura.ErrorCode(err); code != aura.EINVALID && code != aura.EPRECONDITION {
			return err
		}
		v, verr := s.stripeSettingsView(r, c)
		if verr != nil {
			return verr
		}
		p := s.TenantPage(w, r, c, "Stripe", "stripe")
		p.Data = v
		// The secrets are never sent back, not even those just typed.
		f.Del("secret_key")
		f.Del("webhook_secret")
		p.Form = f
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, web.StatusOf(err), "stripe_settings", p)
		return nil
	}
	s.SetFlash(w, "ok", "The Stripe settings are saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/stripe", http.StatusSeeOther)
	return nil
}

// StripeAPIDocs documents the Stripe API in the OpenAPI document.
var StripeAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/stripe/settings": {Summary: "The Stripe account (no secrets: only whether each is set) and the webhook endpoint", Tag: "Stripe",
		Response: StripeSettingsView{}},
	"PUT /:tenant/api/v1/stripe/settings": {Summary: "Set the Stripe account: account id, publishable key, secret key and webhook signing secret (sealed; an empty secret keeps the stored one)", Tag: "Stripe",
		Body: payments.SettingsInput{}, Response: StripeSettingsView{}, IfMatch: true},
}
