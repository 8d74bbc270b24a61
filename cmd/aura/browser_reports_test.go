package main

import (
	"strings"
	"testing"

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
}
