package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// duplicateIDs is JavaScript returning the ids used more than once on the page.
const duplicateIDs = `(() => { const seen = {}, dup = [];
	for (const e of document.querySelectorAll("[id]")) { if (seen[e.id]) dup.push(e.id); seen[e.id] = true; }
	return dup.join(" "); })()`

// ratesBrowser drives the rates bulk edit as the demo owner: no plan is
// ticked on the page of every plan; a plan's "Change prices…" link ticks
// that plan only; the review shows the plan, the days and the prices now
// → the new price before anything changes; applying changes that plan and
// leaves the others as they were. Every id on the page is unique.
func ratesBrowser(t *testing.T, b browserSteps) {
	eval := b.eval(t)
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/rates"), chromedp.WaitVisible(chromedp.CSS("#bulk")))
	if dup := eval(duplicateIDs); dup != "" {
		t.Fatalf("ids used twice on the rates page: %s", dup)
	}
	if n := eval(`String(document.querySelectorAll('#bulk input[name=plans]:checked').length)`); n != "0" {
		t.Fatalf("%s plans ticked by default on the page of every plan", n)
	}
	plans := eval(`String(document.querySelectorAll('#bulk input[name=plans]').length)`)
	if plans < "2" {
		t.Fatalf("the demo has %s rate plans; the walk needs two", plans)
	}
	// The second plan's "Change prices…" link.
	name := strings.TrimSpace(eval(`document.querySelectorAll(".plan-head th > a:first-child")[1].textContent`))
	other := strings.TrimSpace(eval(`document.querySelectorAll(".plan-head th > a:first-child")[0].textContent`))
	otherPrice := eval(`document.querySelectorAll(".plan-block")[0].querySelector("td.num").textContent`)
	b.do(chromedp.Click(chromedp.CSS(`.plan-block:nth-of-type(2) a.plan-change`)), chromedp.WaitVisible(chromedp.CSS("#bulk")))
	ticked := eval(`[...document.querySelectorAll('#bulk input[name=plans]:checked')].map(i => i.nextElementSibling.textContent).join("|")`)
	if ticked != name {
		t.Fatalf("the plan's change link ticked %q, want only %q", ticked, name)
	}
	eval(`document.querySelector("#f-price").value = ""; ""`)
	b.do(chromedp.SendKeys(chromedp.CSS("#f-price"), "123"))
	b.submit(t)("#bulk-review")
	b.do(chromedp.WaitVisible(chromedp.CSS("#bulk-summary")))
	sum := b.text("#bulk-summary")
	if !strings.Contains(sum, name) || strings.Contains(sum, other) || !strings.Contains(sum, "→ 123,00\u00a0€") || !strings.Contains(sum, "will change") {
		t.Fatalf("the summary to confirm:\n%s", sum)
	}
	if got := eval(`document.querySelectorAll(".plan-block")[1].querySelector("td.num").textContent`); strings.Contains(got, "123,00") {
		t.Fatal("the review changed the price before it was applied")
	}
	if dup := eval(duplicateIDs); dup != "" {
		t.Fatalf("ids used twice on the summary page: %s", dup)
	}
	b.shot("rates-bulk-summary-desktop")
	b.do(chromedp.Click(chromedp.CSS("#bulk-apply")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if flash := b.text(".flash"); !strings.Contains(flash, "across 1 rate plan") {
		t.Fatalf("flash after applying: %q", flash)
	}
	if got := eval(`document.querySelectorAll(".plan-block")[1].querySelector("td.num").textContent`); !strings.Contains(got, "123,00") {
		t.Fatalf("the plan's first price after applying: %q", got)
	}
	if got := eval(`document.querySelectorAll(".plan-block")[0].querySelector("td.num").textContent`); got != otherPrice {
		t.Fatalf("another plan changed: %q, was %q", got, otherPrice)
	}
	b.both("rates", "/demo/rates")
}
