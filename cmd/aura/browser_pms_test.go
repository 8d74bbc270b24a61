package main

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserSteps are TestBrowser's helpers, handed to the walks of later
// features so they drive the same signed-in Chromium.
type browserSteps struct {
	ctx            context.Context
	base           string
	do             func(steps ...chromedp.Action[chromedp.Void])
	text           func(sel string) string
	shot           func(name string)
	both           func(name, path string)
	desktop, phone chromedp.Action[chromedp.Void]
}

// eval returns a function evaluating JavaScript to a string in the page.
func (b browserSteps) eval(t *testing.T) func(js string) string {
	return func(js string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
}

// submit returns a function that clicks a button submitting a form and
// waits for the page that comes back, which must be a 200.
func (b browserSteps) submit(t *testing.T) func(sel string) {
	return func(sel string) {
		t.Helper()
		tctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		resp, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("submit %s: %v", sel, err)
		}
		if resp.Status != 200 {
			t.Fatalf("submit %s: status %d", sel, resp.Status)
		}
	}
}

// loc returns a function reporting the page's address.
func (b browserSteps) loc(t *testing.T) func() string {
	return func() string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// pmsBrowser walks the PMS (issue 4) as the signed-in demo owner: it
// opens the calendar, clicks a free night, creates the reservation for a
// new guest from the prefilled form, assigns it a room, finds its bar on
// the tape chart, opens the guest page and finds the guest by typing in
// the guest search; it saves screenshots of each page at 1440×900 and
// 390×844.
func pmsBrowser(t *testing.T, b browserSteps) {
	t.Helper()
	eval, submit, loc := b.eval(t), b.submit(t), b.loc(t)

	// The calendar: a free night of the first room type, three days ahead.
	b.both("calendar", "/demo/calendar")
	b.do(b.desktop, chromedp.Navigate(b.base+"/demo/calendar"), chromedp.WaitVisible(chromedp.CSS(".cal-grid")))
	href := eval(`(() => {
		const links = [...document.querySelectorAll(".cal-grid tbody tr:first-child a.cal-link")];
		return links.length > 3 ? links[3].getAttribute("href") : "";
	})()`)
	if href == "" {
		t.Fatalf("the calendar has no bookable night for the first room type:\n%s", b.text(".cal-grid"))
	}
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	arrival, roomType := u.Query().Get("arrival"), u.Query().Get("room_type")
	b.do(chromedp.Click(chromedp.CSS(`a.cal-link[href="`+href+`"]`)), chromedp.WaitVisible(chromedp.CSS("#new-reservation")))
	if got := eval(`document.getElementById("f-arrival").value`); got != arrival {
		t.Fatalf("the form's arrival is %q, the night clicked %q", got, arrival)
	}
	if got := eval(`document.getElementById("f-room_type_id").value`); got != roomType {
		t.Fatalf("the form's room type is %q, the row clicked %q", got, roomType)
	}
	if offers := b.text("#offers"); !strings.Contains(offers, "left") || !strings.Contains(offers, "€") {
		t.Fatalf("the form shows no bookable price:\n%s", offers)
	}
	b.shot("reservation-new-desktop")
	b.do(b.phone, chromedp.Navigate(b.base+href), chromedp.WaitVisible(chromedp.CSS("#new-reservation")))
	b.shot("reservation-new-phone")
	b.do(b.desktop, chromedp.Navigate(b.base+href), chromedp.WaitVisible(chromedp.CSS("#new-reservation")))

	// A new guest; create lands on the reservation page.
	b.do(chromedp.SendKeys(chromedp.CSS("#f-given_name"), "Greta"),
		chromedp.SendKeys(chromedp.CSS("#f-family_name"), "Lindqvist"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "greta.lindqvist@example.se"),
		chromedp.SendKeys(chromedp.CSS("#f-phone"), "+46 70 123 4567"))
	submit(`button[name=intent][value=create]`)
	m := regexp.MustCompile(`/demo/reservations/(res_[A-Za-z0-9]+)$`).FindStringSubmatch(loc())
	if m == nil {
		t.Fatalf("after creating, the browser is at %s:\n%s", loc(), b.text("main"))
	}
	resID := m[1]
	if head := b.text(".res-head"); !strings.Contains(head, "Greta Lindqvist") || !strings.Contains(head, "Confirmed") {
		t.Fatalf("the reservation page's head: %s", head)
	}
	if flash := b.text(".flash"); !strings.Contains(flash, "Reservation created") {
		t.Fatalf("flash: %s", flash)
	}

	// Assign the first free room.
	submit(`form[action$="/assign"] button[type=submit]`)
	room := eval(`(() => { const d = [...document.querySelectorAll(".facts dt")].find(x => x.textContent === "Room"); return d ? d.nextElementSibling.textContent.trim() : ""; })()`)
	if room == "" || strings.Contains(room, "not assigned") {
		t.Fatalf("no room after assigning: %q\n%s", room, b.text("main"))
	}
	b.both("reservation", "/demo/reservations/"+resID)

	// The tape chart shows the stay as a bar in a room row.
	tape := "/demo/tapechart?from=" + url.QueryEscape(arrival)
	b.do(chromedp.Navigate(b.base+tape), chromedp.WaitVisible(chromedp.CSS(".tape")))
	bar := eval(`(() => { const a = document.querySelector('a.bar[href$="/reservations/` + resID + `"]'); if (!a) return "";
		const row = a.closest(".tape-row"); return row.classList.contains("tape-unassigned") ? "unassigned" : row.querySelector(".room-no").textContent + "|" + a.textContent; })()`)
	if !strings.HasPrefix(bar, strings.Fields(room)[0]+"|") || !strings.Contains(bar, "Greta Lindqvist") {
		t.Fatalf("the tape chart's bar of %s: %q (room %q)", resID, bar, room)
	}
	b.both("tapechart", tape)

	// The guest page, from the reservation.
	b.do(chromedp.Navigate(b.base+"/demo/reservations/"+resID), chromedp.WaitVisible(chromedp.CSS(".res-head")),
		chromedp.Click(chromedp.CSS(".res-head h1 a")), chromedp.WaitVisible(chromedp.CSS("#prof-h")))
	guestPath := strings.TrimPrefix(loc(), b.base)
	if page := b.text("main"); !strings.Contains(page, "Greta Lindqvist") || !strings.Contains(page, "greta.lindqvist@example.se") {
		t.Fatalf("the guest page:\n%s", page)
	}
	if res := b.text("#res-h"); !strings.Contains(res, "Reservations") {
		t.Fatalf("the guest page has no reservations section: %s", res)
	}
	b.both("guest", guestPath)

	// The guest list; typing finds the guest without pressing Enter.
	b.both("guests", "/demo/guests")
	b.do(chromedp.Navigate(b.base+"/demo/guests"), chromedp.WaitVisible(chromedp.CSS("#f-q")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "lindq"),
		chromedp.Poll[chromedp.Void](`location.search === "?q=lindq"`)) // set once the results are swapped in
	if got := b.text("#guest-results tbody"); strings.Count(got, "\n") > 2 || !strings.Contains(got, "Greta Lindqvist") {
		t.Fatalf("searching lindq shows:\n%s", got)
	}
	b.shot("guests-search-desktop")

	b.both("reservations", "/demo/reservations")
	b.both("rates", "/demo/rates")
	b.both("rate-plans", "/demo/rates/plans")
	b.both("property", "/demo/settings/property")
	b.both("rooms", "/demo/settings/rooms")
	b.both("dashboard-pms", "/demo/")
}
