package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// folioBrowser walks the money of a stay as the demo owner: the ledger
// settings get the VAT id an invoice needs, then on a guest's reservation
// page the folio takes a charge posted by hand, a cash payment of the
// balance and an invoice, whose page is shown at 1440 and 390 px.
func folioBrowser(t *testing.T, b browserSteps) {
	eval, submit := b.eval(t), b.submit(t)

	// The legal data of invoices (derived from the property on first use).
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/settings/ledger"), chromedp.WaitVisible(chromedp.CSS("#f-vat_id")))
	eval(`document.querySelector("#f-vat_id").value = "DE811907980"; document.querySelector("#f-postal_code").value ||= "10115"; document.querySelector("#f-line1").value ||= "Chausseestraße 1"; ""`)
	submit(`form input[name=intent][value=legal] ~ .button-row button`)
	if flash := b.text(".flash"); !strings.Contains(flash, "saved") {
		t.Fatalf("ledger settings: %q\n%s", flash, b.text("main"))
	}
	b.shot("ledger-settings-desktop")

	// A guest in house.
	b.do(chromedp.Navigate(b.base+"/demo/frontdesk"), chromedp.WaitVisible(chromedp.CSS("#in-house")))
	href := eval(`(() => { const a = document.querySelector('#in-house a.strong[href*="/reservations/res_"]'); return a ? a.getAttribute("href") : ""; })()`)
	if !regexp.MustCompile(`^/demo/reservations/res_[A-Za-z0-9]+$`).MatchString(href) {
		t.Fatalf("nobody in house:\n%s", b.text("#in-house"))
	}
	b.do(chromedp.Navigate(b.base+href), chromedp.WaitVisible(chromedp.CSS("#folios")))
	if eval(`document.querySelector("#folios .folio") ? "yes" : ""`) == "" {
		submit(`#folios form button[type=submit]`)
	}
	before := eval(`document.querySelector("#folios .folio-balance strong").textContent`)

	// Post a charge by hand.
	eval(`document.querySelector("#folios details.action").open = true; ""`)
	b.do(chromedp.SendKeys(chromedp.CSS(`#folios input[name="charge.description"]`), "Minibar"),
		chromedp.SetValue(chromedp.CSS(`#folios input[name="charge.quantity"]`), "2"),
		chromedp.SendKeys(chromedp.CSS(`#folios input[name="charge.unit_price"]`), "4,50"))
	eval(`(() => { const s = document.querySelector('#folios select[name="charge.tax_code"]'); const o = [...s.options].find(o => /19/.test(o.textContent)); if (o) s.value = o.value; return ""; })()`)
	submit(`#folios form[action$="/charges"] button[type=submit]`)
	if flash := b.text(".flash"); !strings.Contains(flash, "charge is posted") {
		t.Fatalf("after the charge: %q\n%s", flash, b.text("main"))
	}
	if got := b.text("#folios .folio-lines"); !strings.Contains(got, "Minibar") || !strings.Contains(got, "9,00") {
		t.Fatalf("the folio lacks the charge:\n%s", got)
	}
	after := eval(`document.querySelector("#folios .folio-balance strong").textContent`)
	if after == before {
		t.Fatalf("the balance did not change: %s", after)
	}

	// Take the balance in cash.
	amount := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(after), "€"))
	eval(`document.querySelectorAll("#folios details.action").forEach(d => d.open = /payment/i.test(d.querySelector("summary").textContent)); ""`)
	b.do(chromedp.SendKeys(chromedp.CSS(`#folios input[name="payment.amount"]`), amount))
	submit(`#folios form[action$="/payments"] button[type=submit]`)
	if flash := b.text(".flash"); !strings.Contains(flash, "payment is recorded") {
		t.Fatalf("after the payment (%s): %q\n%s", amount, flash, b.text("main"))
	}
	if got := eval(`document.querySelector("#folios .folio-balance strong").textContent`); !strings.Contains(got, "0,00") {
		t.Fatalf("balance after paying %s: %s", amount, got)
	}
	b.shot("folio-paid-desktop")

	// Issue the invoice.
	eval(`document.querySelectorAll("#folios details.action").forEach(d => d.open = /invoice/i.test(d.querySelector("summary").textContent)); ""`)
	b.do(chromedp.SendKeys(chromedp.CSS(`#folios input[name="invoice.name"]`), "Erika Mustermann"),
		chromedp.SendKeys(chromedp.CSS(`#folios input[name="invoice.line1"]`), "Heidestraße 17"),
		chromedp.SendKeys(chromedp.CSS(`#folios input[name="invoice.postal_code"]`), "51147"),
		chromedp.SendKeys(chromedp.CSS(`#folios input[name="invoice.city"]`), "Köln"),
		chromedp.SendKeys(chromedp.CSS(`#folios input[name="invoice.country"]`), "DE"))
	submit(`#folios form[action$="/invoices"] button[type=submit]`)
	flash := b.text(".flash")
	m := regexp.MustCompile(`Invoice (RE-\d{4}-\d{6}) is issued`).FindStringSubmatch(flash)
	if m == nil {
		t.Fatalf("after issuing: %q\n%s", flash, b.text("main"))
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#folios")))
	b.shot("folio-invoiced-desktop")
	inv := eval(`document.querySelector('#folios a[href*="/invoices/inv_"]').getAttribute("href")`)
	b.both("invoice", inv)
	b.do(chromedp.Navigate(b.base+inv), chromedp.WaitVisible(chromedp.CSS(".invoice-sheet")))
	if got := b.text(".invoice-sheet"); !strings.Contains(got, m[1]) || !strings.Contains(got, "Erika Mustermann") || !strings.Contains(got, "Minibar") {
		t.Fatalf("the invoice page:\n%s", got)
	}
	for _, a := range []string{"/pdf", "/xml"} {
		if eval(`document.querySelector('a[href$="`+a+`"]') ? "yes" : ""`) == "" {
			t.Errorf("the invoice page has no %s link", a)
		}
	}
	b.both("folio", href)
	b.both("invoices", "/demo/invoices")
	b.both("cashier", "/demo/cashier")
}
