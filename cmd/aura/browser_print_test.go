package main

import (
	"bytes"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// printBrowser prints, as the demo owner in headless Chromium, the
// registration card of a guest in house, the day's arrivals, departures and
// police list, and the reservations list through the print stylesheet, to
// PDF (Page.printToPDF, A4 as the stylesheet asks); it renders each page to
// PNG with pdftoppm, saves both in artefacts/print/, and checks the text of
// each PDF (pdftotext) and that each PNG is not blank.
func printBrowser(t *testing.T, b browserSteps) {
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run scripts/test-deps (make test does; Debian's poppler-utils): %v", tool, err)
		}
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "artefacts", "print"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	eval := b.eval(t)
	yes := true
	print := func(name, path string) string {
		t.Helper()
		b.do(b.desktop, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		res, err := chromedp.Call(b.ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		if err != nil {
			t.Fatalf("print %s to PDF: %v", path, err)
		}
		pdf := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(pdf, res.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "70", pdf, filepath.Join(dir, name)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm %s: %v %s", name, err, out)
		}
		pngs, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
		if len(pngs) == 0 {
			t.Fatalf("pdftoppm made no page of %s", name)
		}
		for _, png := range pngs {
			raw, err := os.ReadFile(png)
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := image.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", png, err)
			}
			// A page with content has dark pixels (text, lines) on the white.
			dark := 0
			bounds := img.Bounds()
			for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
				for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
					if r, g, bl, _ := img.At(x, y).RGBA(); (r+g+bl)/3 < 0x6000 {
						dark++
					}
				}
			}
			if dark < 200 {
				t.Fatalf("%s looks blank (%d dark pixels)", png, dark)
			}
		}
		text, err := exec.Command("pdftotext", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", name, err)
		}
		return string(text)
	}
	wantIn := func(name, text string, words ...string) {
		t.Helper()
		flat := strings.Join(strings.Fields(text), " ")
		for _, w := range words {
			if !strings.Contains(flat, w) {
				t.Errorf("the printed %s does not say %q:\n%s", name, w, text)
			}
		}
	}

	// A guest in house with a check-in record: their registration card.
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/frontdesk"), chromedp.WaitVisible(chromedp.CSS("#in-house")))
	href := eval(`(() => { const a = document.querySelector('#in-house a[href*="/reservations/res_"]'); return a ? a.getAttribute("href") : ""; })()`)
	m := regexp.MustCompile(`/demo/reservations/(res_[A-Za-z0-9]+)`).FindStringSubmatch(href)
	if m == nil {
		t.Fatalf("nobody in house on the demo's front desk:\n%s", b.text("#in-house"))
	}
	b.do(chromedp.Navigate(b.base+"/demo/reservations/"+m[1]), chromedp.WaitVisible(chromedp.CSS(".res-head")))
	guest := strings.TrimSpace(eval(`document.querySelector(".res-head h1 a, .res-head h1").firstChild.textContent`))
	room := eval(`(() => { const d = [...document.querySelectorAll(".facts dt")].find(x => x.textContent === "Room"); return d ? d.nextElementSibling.textContent.trim().split(" ")[0] : ""; })()`)
	b.do(chromedp.Click(chromedp.CSS(`a[href$="/registration-card"]`)), chromedp.WaitVisible(chromedp.CSS(".regcard")))
	b.shot("registration-card-desktop")
	card := print("registration-card", "/demo/reservations/"+m[1]+"/registration-card")
	family := guest[strings.LastIndex(guest, " ")+1:]
	wantIn("registration card", card, "Meldeschein", "§ 30 Bundesmeldegesetz", "Hotel Lindenhof", family, "Zimmer / Room "+room,
		"Unterschrift des Gastes / Signature of the guest", "Ort, Datum / Date and place", "Tag der Ankunft / Arrival")
	if strings.Contains(card, "Back to the reservation") || strings.Contains(card, "Dashboard") {
		t.Errorf("the printed card carries the screen's chrome:\n%s", card)
	}

	// The day's lists.
	arrivals := print("arrivals", "/demo/frontdesk/print?list=arrivals")
	wantIn("arrivals", arrivals, "Arrivals", "Hotel Lindenhof", "Room", "Guest")
	departures := print("departures", "/demo/frontdesk/print?list=departures")
	wantIn("departures", departures, "Departures", "Hotel Lindenhof")
	police := print("police-list", "/demo/frontdesk/print?list=police")
	wantIn("police list", police, "Guests staying the night (police list)", guest)
	if !regexp.MustCompile(`Passport|ID card|Driving licence|Residence permit`).MatchString(police) {
		t.Errorf("the police list shows no ID document:\n%s", police)
	}

	// Any list page prints its content alone (the print stylesheet).
	list := print("reservations-list", "/demo/reservations")
	wantIn("reservations list", list, "Reservations")
	for _, chrome := range []string{"Tape chart", "Housekeeping", "Audit log", "New reservation"} {
		if strings.Contains(list, chrome) {
			t.Errorf("the printed reservations list carries the screen's %q", chrome)
		}
	}
	b.both("registration-card", "/demo/reservations/"+m[1]+"/registration-card")
	b.both("police-list", "/demo/frontdesk/print?list=police")
}
