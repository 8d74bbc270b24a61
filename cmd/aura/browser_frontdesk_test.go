package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/chromedp/chromedp"
)

// frontDeskBrowser walks a front-desk day as the signed-in demo owner:
// the arrivals list, a check-in with an ID photo uploaded through the
// form's file input (as a phone camera hands it over), the photo shown on
// the reservation, a room move, the check-out, and the housekeeping board
// on a phone showing the room dirty until it is marked clean. It saves
// screenshots of each page, the board at 390×844.
func frontDeskBrowser(t *testing.T, b browserSteps) {
	eval, submit, loc := b.eval(t), b.submit(t), b.loc(t)
	photo := filepath.Join(t.TempDir(), "IMG_0042.jpg")
	if err := os.WriteFile(photo, auratest.JPEG(t, 32, 20), 0o644); err != nil {
		t.Fatal(err)
	}

	// The arrivals of today: check in the first guest still to come.
	b.both("frontdesk", "/demo/frontdesk")
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/frontdesk"), chromedp.WaitVisible(chromedp.CSS("#arrivals")))
	href := eval(`(() => { const a = document.querySelector('#arrivals a.btn-primary[href$="/check-in"]'); return a ? a.getAttribute("href") : ""; })()`)
	m := regexp.MustCompile(`^/demo/reservations/(res_[A-Za-z0-9]+)/check-in$`).FindStringSubmatch(href)
	if m == nil {
		t.Fatalf("no arrival to check in today:\n%s", b.text("#arrivals"))
	}
	resID := m[1]
	guest := strings.TrimSpace(eval(`document.querySelector('#arrivals a.btn-primary[href$="/check-in"]').closest("tr").querySelector("a.strong").textContent`))
	b.do(b.phone, chromedp.Navigate(b.base+href), chromedp.WaitVisible(chromedp.CSS(".checkin-form")))
	b.shot("checkin-phone")
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/frontdesk"), chromedp.WaitVisible(chromedp.CSS("#arrivals")),
		chromedp.Click(chromedp.CSS(`#arrivals a[href="`+href+`"]`)), chromedp.WaitVisible(chromedp.CSS(".checkin-form")))
	if head := b.text("h1"); !strings.Contains(head, guest) {
		t.Fatalf("the check-in page is about %q, the row was %q", head, guest)
	}
	if got := eval(`document.querySelector("#f-g0_doc_country").value`); len(got) != 2 {
		t.Fatalf("the issuing country is not prefilled from the guest's nationality: %q", got)
	}
	eval(`document.querySelector("#f-g0_doc_type").value = "passport"; document.querySelector("#f-g0_doc_country").value = ""; ""`)
	b.do(chromedp.SendKeys(chromedp.CSS("#f-g0_doc_number"), "C4R7X92KL"),
		chromedp.SendKeys(chromedp.CSS("#f-g0_doc_country"), "NL"),
		chromedp.SetUploadFiles(chromedp.CSS("#f-g0_photos"), []string{photo}))
	b.shot("checkin-desktop")
	room := eval(`document.querySelector("#f-room_id").selectedOptions[0].textContent.split(" ")[0]`)
	submit(".checkin-form button[type=submit]")
	if got := loc(); !strings.HasSuffix(got, "/demo/frontdesk") {
		t.Fatalf("after checking in, the browser is at %s:\n%s", got, b.text("main"))
	}
	if flash := b.text(".flash"); !strings.Contains(flash, guest+" is checked in to room "+room) || !strings.Contains(flash, "1 ID photo") {
		t.Fatalf("flash after check-in: %q (room %s)", flash, room)
	}

	// The reservation shows the check-in record with the photo, served to the page.
	b.do(chromedp.Navigate(b.base+"/demo/reservations/"+resID), chromedp.WaitVisible(chromedp.CSS("#check-ins")),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector("#check-ins .ci-thumb img"); return i && i.complete && i.naturalWidth === 32; })()`))
	if recs := b.text("#check-ins"); !strings.Contains(recs, "C4R7X92KL") || !strings.Contains(recs, "Passport") {
		t.Fatalf("the reservation's check-in records:\n%s", recs)
	}
	// Opened on its own (the thumbnail's link), the photo shows under its own strict CSP.
	photoHref := eval(`document.querySelector("#check-ins a.ci-thumb").getAttribute("href")`)
	b.do(chromedp.Navigate(b.base+photoHref),
		chromedp.Poll[chromedp.Void](`document.images.length === 1 && document.images[0].complete && document.images[0].naturalWidth === 32`))
	b.do(chromedp.Navigate(b.base+"/demo/reservations/"+resID), chromedp.WaitVisible(chromedp.CSS("#check-ins")))

	// Move the guest to another free room (from tonight on).
	moveTo := eval(`(() => { const s = document.querySelector('form[action$="/assign"] select'); return s ? s.selectedOptions[0].textContent.split(" ")[0] : ""; })()`)
	if moveTo == "" || moveTo == room {
		t.Fatalf("no room to move to (in %s): %q", room, moveTo)
	}
	submit(`form[action$="/assign"] button[type=submit]`)
	if got := eval(`(() => { const d = [...document.querySelectorAll(".facts dt")].find(x => x.textContent === "Room"); return d ? d.nextElementSibling.textContent.trim() : ""; })()`); !strings.HasPrefix(got, moveTo) {
		t.Fatalf("after the move the room is %q, want %s", got, moveTo)
	}
	b.both("reservation-in-house", "/demo/reservations/"+resID)
	// The guest page lists the check-in record with its photo.
	b.do(chromedp.Click(chromedp.CSS(".res-head h1 a")), chromedp.WaitVisible(chromedp.CSS("#check-ins .ci-record")))
	if recs := b.text("#check-ins"); !strings.Contains(recs, "C4R7X92KL") || !strings.Contains(recs, "Add a photo") {
		t.Fatalf("the guest page's check-ins:\n%s", recs)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#check-ins")))
	b.shot("guest-checkins-desktop")
	// Below the records: when the registration form's data and the photo go.
	if ret := b.text("#registration-purges"); !strings.Contains(ret, "Registration form, stay") || !regexp.MustCompile(`ID photo taken .*: to be purged on`).MatchString(ret) {
		t.Fatalf("the guest page's retention of registration data:\n%s", ret)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#registration-purges")))
	b.shot("guest-retention-desktop")

	// Check out from the reservation page.
	b.do(chromedp.Navigate(b.base+"/demo/reservations/"+resID), chromedp.WaitVisible(chromedp.CSS(".res-head")),
		chromedp.Click(chromedp.CSS(`.action-bar a[href$="/check-out"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/check-out"]`)))
	b.shot("checkout-desktop")
	submit(`form[action$="/check-out"] button[type=submit]`)
	if flash := b.text(".flash"); !strings.Contains(flash, "is checked out") || !strings.Contains(flash, "Room "+moveTo+" is marked dirty") {
		t.Fatalf("flash after check-out: %q", flash)
	}

	// The housekeeping board on a phone: the room is dirty; one tap makes it clean.
	b.do(b.phone, chromedp.Navigate(b.base+"/demo/housekeeping"), chromedp.WaitVisible(chromedp.CSS(".hk-board")))
	cardID := eval(`(() => { const c = [...document.querySelectorAll(".hk-card")].find(c => c.querySelector(".hk-no").textContent === "` + moveTo + `"); return c ? c.id : ""; })()`)
	if cardID == "" {
		t.Fatalf("room %s is not on the board:\n%s", moveTo, b.text(".hk-board"))
	}
	card := "#" + cardID
	b.shot("housekeeping-phone")
	if class := eval(`document.querySelector("` + card + `").className`); !strings.Contains(class, "hk-card-dirty") {
		t.Fatalf("room %s on the board: %q, want dirty", moveTo, class)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS(card)))
	b.shot("housekeeping-room-dirty-phone")
	submit(card + ` button.hk-btn-clean`)
	if class := eval(`document.querySelector("` + card + `").className`); !strings.Contains(class, "hk-card-clean") {
		t.Fatalf("room %s after tapping Clean: %q", moveTo, class)
	}
	if flash := b.text(".flash"); !strings.Contains(flash, "Room "+moveTo+" is clean") {
		t.Fatalf("flash after tapping Clean: %q", flash)
	}
	b.shot("housekeeping-marked-clean-phone")
	b.do(b.desktop)
	b.both("housekeeping", "/demo/housekeeping")
	b.both("night-audit", "/demo/night-audit")
}
