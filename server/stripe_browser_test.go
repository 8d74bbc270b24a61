package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/chromedp/chromedp"
)

// TestStripeFolioBrowser opens the folio page of a tenant with Stripe set
// up in headless Chromium (Stripe.js itself cannot load without the
// internet, so the card flows are driven through the API against
// stripe-mock): the page carries Stripe's CSP exactly, the Elements mount
// point with the publishable key, the payments with a hold's expiry and
// a partial refund, the saved card with its charge form; "Take a card
// payment" brings the page back with the client secret on the mount point
// and static/stripe.js running under that CSP (it says Stripe's fields
// could not load). The settings page never shows a secret. Screenshots
// go to artefacts/screenshots/stripe-*.png.
func TestStripeFolioBrowser(t *testing.T) {
	e := newStripeEnv(t)
	f := e.f
	_, folio := moneySetup(t, f)
	e.configure(t)
	fp := "/folios/" + folio.ID
	api := func(path, body string, want int) string {
		t.Helper()
		resp, b := f.api("POST", path, body, "Idempotency-Key", e.key())
		if resp.StatusCode != want {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	// Server-side flows through the API: a hold, a payment refunded in
	// part, a card saved (Stripe confirms it by webhook).
	e.use(e.held)
	hold := decode[payments.Payment](t, api(fp+"/stripe/payments", `{"amount": 4500, "capture": "manual", "payment_method_id": "pm_1AuraHeldCard"}`, 201))
	e.use(e.paid)
	paid := decode[payments.Payment](t, api(fp+"/stripe/payments", `{"amount": 4500, "payment_method_id": "pm_1AuraPaidCard"}`, 201))
	api("/stripe/payments/"+paid.ID+"/refunds", `{"amount": 1000, "note": "minibar"}`, 201)
	e.use(e.mock)
	card := decode[payments.Card](t, api(fp+"/stripe/cards", `{}`, 201))
	if resp, body := e.deliver(t, "spree", stripeEvent("setup_intent.succeeded", map[string]any{"id": card.SetupIntentID, "object": "setup_intent",
		"status": "succeeded", "usage": "off_session", "customer": card.CustomerID, "payment_method": "pm_1AuraSavedCard", "livemode": false}), time.Now(), testWhsec); resp.StatusCode != 200 {
		t.Fatalf("setup webhook: %d %s", resp.StatusCode, body)
	}

	shots, err := filepath.Abs(filepath.Join("..", "artefacts", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := auratest.Chromium(t)
	ctx, do := browser.Ctx, browser.Do
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	desktop, phone := auratest.Desktop, auratest.Phone
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := e.h.ts.URL + "/spree"

	// Sign in as the owner.
	do(desktop, chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), f.owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), ownerPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#nav")))

	// The folio page.
	do(chromedp.Navigate(base+fp), chromedp.WaitVisible(chromedp.CSS("#stripe")))
	if csp := eval(`fetch(location.href).then(r => r.headers.get("content-security-policy"))`); csp != wantStripeCSP {
		t.Fatalf("the folio page's CSP as the browser gets it:\n got %q\nwant %q", csp, wantStripeCSP)
	}
	if got := eval(`document.querySelector("#stripe-elements").dataset.stripeKey`); got != testPublish {
		t.Fatalf("mount point key %q", got)
	}
	if got := eval(`document.querySelector("#stripe-elements").dataset.clientSecret || ""`); got != "" {
		t.Fatal("a client secret on the page before any payment was started")
	}
	text := eval(`document.querySelector("#stripe").innerText`)
	for _, want := range []string{"Hold expires", "Held", "Refund 10,00", "· Succeeded", "Succeeded", "Card on file", "Active", "Charge the card"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Stripe part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(eval(`document.querySelector("#stp-`+hold.ID+`").innerText`), "Capture") {
		t.Error("the hold has no capture action")
	}
	shot("stripe-folio-desktop")
	do(phone, chromedp.Navigate(base+fp), chromedp.WaitVisible(chromedp.CSS("#stripe")))
	if wide := eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
		t.Error("the folio page scrolls sideways on a phone")
	}
	shot("stripe-folio-phone")
	do(desktop)

	// Take a card payment: the page comes back with Elements' mount point
	// holding the client secret, and stripe.js (allowed by the CSP as
	// 'self') runs and says Stripe's fields could not load.
	do(chromedp.Navigate(base+fp), chromedp.WaitVisible(chromedp.CSS("#stripe")))
	eval(`document.querySelectorAll("#stripe details.action").forEach(d => d.open = /card payment/i.test(d.querySelector("summary").textContent)); ""`)
	do(chromedp.SendKeys(chromedp.CSS(`#stripe input[name="stripe_payment.amount"]`), "25,00"),
		chromedp.Click(chromedp.CSS(`#stripe form[action$="/stripe/payments"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#stripe-error")))
	if got := eval(`document.querySelector("#stripe-elements").dataset.clientSecret`); !strings.HasPrefix(got, "pi_") || !strings.Contains(got, "_secret_") {
		t.Fatalf("client secret on the mount point: %q", got)
	}
	if got := eval(`document.querySelector("#stripe-error").textContent`); !strings.Contains(got, "could not load") {
		t.Fatalf("stripe.js message: %q", got)
	}
	if got := eval(`document.querySelector("#stripe-payment-element") ? "yes" : ""`); got != "yes" {
		t.Fatal("no Payment Element mount point")
	}
	shot("stripe-elements-desktop")

	// The settings page: the publishable key, never a secret.
	do(chromedp.Navigate(base+"/settings/stripe"), chromedp.WaitVisible(chromedp.CSS("#f-account_id")))
	html := eval(`document.documentElement.outerHTML`)
	if !strings.Contains(html, testPublish) || strings.Contains(html, testSecret) || strings.Contains(html, testWhsec) {
		t.Fatal("the settings page shows a secret, or not the publishable key")
	}
	if csp := eval(`fetch(location.href).then(r => r.headers.get("content-security-policy"))`); csp != defaultCSP {
		t.Fatalf("the settings page's CSP: %q", csp)
	}
	shot("stripe-settings-desktop")
	fmt.Fprintln(os.Stderr, "screenshots in", shots)
}
