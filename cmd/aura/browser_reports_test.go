package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// reportsBrowser opens the reports of the demo hotel as its owner: the
// performance report of the month with its occupancy chart (desktop and
// phone), the report by month and by channel, the VAT report, and a
// statement generated for booking.com through the form (the list, the
// printable statement). It saves a screenshot of each.
func reportsBrowser(t *testing.T, b browserSteps) {
	eval, submit, loc := b.eval(t), b.submit(t), b.loc(t)
	b.both("reports-monthly", "/demo/reports")
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/reports"), chromedp.WaitVisible(chromedp.CSS(".report-chart svg")))
	if n := eval(`String(document.querySelectorAll(".report-chart .chart-bar").length)`); n == "0" || n == "" {
		t.Fatal("the occupancy chart has no bars")
	}
	if h := eval(`String(Math.max(...[...document.querySelectorAll(".report-chart .chart-bar")].map(r => +r.getAttribute("height"))))`); h == "0" {
		t.Fatal("every bar of the demo's month is empty: no occupancy")
	}
	if tiles := b.text(".tiles"); !strings.Contains(tiles, "Occupancy") || !strings.Contains(tiles, "RevPAR") {
		t.Fatalf("tiles: %q", tiles)
	}
	b.both("reports-by-month", "/demo/reports?by=month")
	b.both("reports-by-channel", "/demo/reports?by=channel")
	if got := b.text("main table"); !strings.Contains(got, "booking.com") {
		t.Fatalf("the report by channel lacks booking.com:\n%s", got)
	}
	b.both("reports-vat", "/demo/reports/vat")
	b.both("reports-payments", "/demo/reports/payments")
	b.both("reports-receivables", "/demo/reports/receivables")
	if got := b.text("h1"); got != "Receivables" {
		t.Fatalf("receivables page headed %q", got)
	}
	// The demo posts its last 21 nights: the revenue chart, the daily
	// report, on the books with its pace chart, and the city tax.
	from := time.Now().AddDate(0, 0, -20).Format("2006-01-02")
	b.both("reports-revenue", "/demo/reports?by=day&from="+from+"&to="+time.Now().AddDate(0, 0, 1).Format("2006-01-02"))
	if n := eval(`String(document.querySelectorAll("#revenue-title").length)`); n != "1" {
		t.Fatal("the performance page of the demo's posted nights has no revenue chart")
	}
	b.both("reports-daily", "/demo/reports/daily")
	if got := b.text(".tiles"); !strings.Contains(got, "forecast") {
		t.Fatalf("daily tiles: %q", got)
	}
	b.both("reports-pace", "/demo/reports/pace")
	if n := eval(`String(document.querySelectorAll(".report-chart .chart-tick").length)`); n == "0" || n == "" {
		t.Fatal("the pace chart has no ticks")
	}
	b.both("reports-city-tax", "/demo/reports/city-tax?from="+from)
	if got := b.text(".tiles"); !strings.Contains(got, "Taxable guest-nights") {
		t.Fatalf("city-tax tiles: %q", got)
	}

	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/reports/statements"), chromedp.WaitVisible(chromedp.CSS("#f-channel")))
	b.do(chromedp.SetValue(chromedp.CSS("#f-channel"), "booking.com"))
	// A period wide enough for the demo's stays, past and coming.
	eval(`(() => { const f = document.querySelector("#f-from"); const d = new Date(f.value); d.setMonth(d.getMonth() - 3); f.value = d.toISOString().slice(0, 10);
		const g = document.querySelector("#f-to"); const e = new Date(g.value); e.setMonth(e.getMonth() + 2); g.value = e.toISOString().slice(0, 10); return ""; })()`)
	submit(`form[action$="/reports/statements"] button[type=submit]`)
	if got := loc(); !strings.Contains(got, "/demo/reports/statements/stm_") {
		t.Fatalf("after generating the browser is at %s", got)
	}
	if sheet := b.text(".invoice-sheet"); !strings.Contains(sheet, "booking.com") || !strings.Contains(sheet, "ST-") {
		t.Fatalf("statement: %q", sheet)
	}
	b.shot("statement-desktop")
	b.both("statements", "/demo/reports/statements")

	ownersBrowser(t, b)
}

// ownersBrowser adds an owner of a demo room through the owners form,
// puts the room under a contract from two months ago, generates the
// owner's statement of the last 30 nights (the demo posts its last 21)
// from the owner's page, and screenshots the owners list, the owner page
// and the printable owner statement.
func ownersBrowser(t *testing.T, b browserSteps) {
	eval, submit, loc := b.eval(t), b.submit(t), b.loc(t)
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/owners"), chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Greta Hausmann"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "greta@hausmann.example"),
		chromedp.SendKeys(chromedp.CSS("#f-payout"), "DE89 3704 0044 0532 0130 00"))
	eval(`(() => { document.getElementById("f-address.line1").value = "Lindenweg 3"; document.getElementById("f-address.postal_code").value = "14467";
		document.getElementById("f-address.city").value = "Potsdam"; document.getElementById("f-address.country").value = "DE"; return ""; })()`)
	submit(`form[action$="/demo/owners"] button[type=submit]`)
	if got := loc(); !strings.Contains(got, "/demo/owners/own_") {
		t.Fatalf("after adding the owner the browser is at %s", got)
	}
	start := time.Now().AddDate(0, -2, 0).Format("2006-01-02")
	b.do(chromedp.SetValue(chromedp.CSS("#f-c_start"), start), chromedp.SetValue(chromedp.CSS("#f-c_commission"), "18.5"),
		chromedp.SetValue(chromedp.CSS("#f-c_monthly_fee"), "150"), chromedp.SetValue(chromedp.CSS("#f-c_stay_fee"), "35"))
	submit(`form[action$="/contracts"] button[type=submit]`)
	if got := b.text("#contracts table"); !strings.Contains(got, "18") || !strings.Contains(got, "open-ended") {
		t.Fatalf("the contract is not listed: %q", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#f-o_from"), time.Now().AddDate(0, 0, -30).Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#f-o_to"), time.Now().AddDate(0, 0, 1).Format("2006-01-02")))
	submit(`#statements form button[type=submit]`)
	if got := loc(); !strings.Contains(got, "/demo/reports/statements/stm_") {
		t.Fatalf("after generating the owner statement the browser is at %s", got)
	}
	sheet := b.text(".invoice-sheet")
	for _, want := range []string{"Owner statement OS-", "Greta Hausmann", "Potsdam", "DE89370400440532013000", "Payout to the owner", "Monthly fee"} {
		if !strings.Contains(sheet, want) {
			t.Fatalf("owner statement lacks %q: %q", want, sheet)
		}
	}
	if n := eval(`String(document.querySelectorAll(".invoice-sheet tbody tr").length)`); n == "0" || n == "1" {
		t.Fatalf("the owner statement has %s rows: no stay in the demo's posted nights", n)
	}
	b.shot("owner-statement-desktop")
	b.do(b.phone)
	b.shot("owner-statement-phone")
	b.do(b.desktop)
	owner := strings.TrimPrefix(eval(`document.querySelector(".page-head a[href*='/owners/own_']").getAttribute("href")`), "/demo")
	b.both("owner", "/demo"+owner)
	b.both("owners", "/demo/owners")
}
