package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// guestDataBrowser anonymises a demo guest as the signed-in demo owner:
// it finds a guest the confirmation step allows (and one it refuses, for
// the refusal's screenshot) among the demo's guests, opens the guest page
// (folios, invoices, photo retention, history), follows "Anonymise…",
// submits once without ticking the box (the form says so), then confirms:
// the guest page comes back under the pseudonym without the name. It saves
// screenshots of the guest page, the confirmation and the refusal.
func guestDataBrowser(t *testing.T, b browserSteps) {
	eval, submit, loc := b.eval(t), b.submit(t), b.loc(t)
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/guests"), chromedp.WaitVisible(chromedp.CSS("main")))
	// Ask every listed guest's confirmation step, in the page, which
	// allows the anonymisation and which refuses it.
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
		const links = [...new Set([...document.querySelectorAll('main a[href^="/demo/guests/gst_"]')].map(a => a.getAttribute("href")))];
		let ok = "", refused = "";
		for (const href of links) {
			const html = await (await fetch(href + "/erase")).text();
			if (!ok && html.includes('name="confirm"')) ok = href;
			if (!refused && html.includes('id="erase-refusal"')) refused = href;
			if (ok && refused) break;
		}
		return ok + " " + refused;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Fields(found)
	if len(parts) == 0 {
		t.Fatal("no demo guest may be anonymised")
	}
	guest := parts[0]
	if len(parts) == 2 {
		b.both("guest-erase-refused", parts[1]+"/erase")
		if r := b.text("#erase-refusal"); !strings.Contains(r, "check the guest out first") && !strings.Contains(r, "open balance") {
			t.Fatalf("the refusal does not say what to do: %q", r)
		}
	}

	b.both("guest-everything", guest)
	b.do(b.desktop, chromedp.Navigate(b.base+guest), chromedp.WaitVisible(chromedp.CSS("#guest-money")))
	name := strings.TrimSpace(b.text("h1"))
	b.do(chromedp.Click(chromedp.CSS(`a[href="`+guest+`/erase"]`)), chromedp.WaitVisible(chromedp.CSS("#erase-kept")))
	b.shot("guest-erase-desktop")
	b.do(b.phone, chromedp.Navigate(b.base+guest+"/erase"), chromedp.WaitVisible(chromedp.CSS("#erase-kept")))
	b.shot("guest-erase-phone")
	b.do(b.desktop, chromedp.Navigate(b.base+guest+"/erase"), chromedp.WaitVisible(chromedp.CSS("#erase-kept")))
	if removed, kept := b.text("#erase-removed"), b.text("#erase-kept"); !strings.Contains(removed, "The guest's key") || !strings.Contains(kept, "invoices") {
		t.Fatalf("the confirmation:\n%s\n%s", removed, kept)
	}
	pseudonym := regexp.MustCompile(`Guest [0-9A-Z]{4}`).FindString(b.text("main"))
	if pseudonym == "" {
		t.Fatalf("the confirmation names no pseudonym:\n%s", b.text("main"))
	}
	// Without the box ticked the form comes back with the reason (a 400,
	// so no submit helper: it wants a 200).
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/erase"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if e := b.text(".alert-error"); !strings.Contains(e, "Tick the box") {
		t.Fatalf("without the box ticked: %q", e)
	}
	b.shot("guest-erase-unticked-desktop")
	b.do(chromedp.Click(chromedp.CSS(`input[name=confirm]`)))
	submit(`form[action$="/erase"] button[type=submit]`)
	if got := loc(); !strings.HasSuffix(got, guest) {
		t.Fatalf("after the anonymisation the browser is at %s", got)
	}
	if flash := b.text(".flash"); !strings.Contains(flash, "anonymised and is now "+pseudonym) {
		t.Fatalf("flash %q", flash)
	}
	if h := strings.TrimSpace(b.text("h1")); h != pseudonym {
		t.Fatalf("the guest page is headed %q, want %s", h, pseudonym)
	}
	if page := eval(`document.querySelector("main").innerText`); strings.Contains(page, name) {
		t.Fatalf("the guest page still names %q", name)
	}
	b.both("guest-anonymised", guest)
}
