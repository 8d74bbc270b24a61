package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// findTapePlanJS looks on the tape chart for three rooms A, B, C of one type,
// in that order of rows, free on the nights d, d+1 and d+2 (d after the
// business date), and a room X of that type with a stay on one of them.
const findTapePlanJS = `(() => {
	const rows = [...document.querySelectorAll(".tape-row[data-room]")];
	const free = (row, d) => !!row.querySelector('a.tape-cell.free[data-date="' + d + '"]');
	const dates = [...rows[0].querySelectorAll("a.tape-cell.free, div.tape-cell")].map(c => c.dataset.date).filter(Boolean);
	const all = [...new Set([...document.querySelectorAll("a.tape-cell.free")].map(c => c.dataset.date))].sort();
	const add = (d, n) => { const x = new Date(d + "T00:00:00Z"); x.setUTCDate(x.getUTCDate() + n); return x.toISOString().slice(0, 10); };
	for (const d of all.slice(1, -4)) {
		for (let i = 0; i + 2 < rows.length; i++) {
			const [a, b, c] = [rows[i], rows[i + 1], rows[i + 2]];
			if (a.dataset.type !== b.dataset.type || b.dataset.type !== c.dataset.type) continue;
			const ok = r => [0, 1, 2, 3].every(n => free(r, add(d, n)));
			if (!ok(a) || !ok(b) || !ok(c)) continue;
			const x = rows.find(r => r.dataset.type === a.dataset.type && ![0, 1].every(n => free(r, add(d, n))) && [...r.querySelectorAll("a.bar")].length);
			if (!x) continue;
			return JSON.stringify({d: d, a: a.dataset.room, b: b.dataset.room, c: c.dataset.room, x: x.dataset.room,
				an: a.dataset.roomNo, bn: b.dataset.roomNo, cn: c.dataset.roomNo, xn: x.dataset.roomNo});
		}
	}
	return "";
})()`

// tapeChartBrowser drives the interactive tape chart as the demo owner:
// it books two nights of a room by dragging across them (and, by keyboard,
// Shift+→ and Enter), moves the stay to another room by dragging it and
// back up a row with Alt+↑, extends it by dragging its end and shortens it
// with Alt+←, and drags it onto a room taken on those nights, where the
// store's refusal is shown in words.
func tapeChartBrowser(t *testing.T, b browserSteps) {
	eval, loc := b.eval(t), b.loc(t)
	chart := "/demo/tapechart?days=21"
	open := func() {
		t.Helper()
		b.do(b.desktop, chromedp.Navigate(b.base+chart), chromedp.WaitVisible(chromedp.CSS(".tape")))
	}
	open()
	var plan struct{ D, A, B, C, X, An, Bn, Cn, Xn string }
	raw := eval(findTapePlanJS)
	if raw == "" || json.Unmarshal([]byte(raw), &plan) != nil {
		t.Fatalf("the demo's tape chart has no three free rooms of one type for three nights: %q", raw)
	}
	add := func(d string, n int) string {
		x, _ := time.Parse("2006-01-02", d)
		return x.AddDate(0, 0, n).Format("2006-01-02")
	}
	place := func(sel string, scroll bool) (float64, float64) {
		t.Helper()
		var r struct{ X, Y float64 }
		js := `(() => { const e = document.querySelector(` + jsString(sel) + `); if (!e) return "";
			if (` + map[bool]string{true: "true", false: "false"}[scroll] + `) e.scrollIntoView({block: "center", inline: "center"}); const b = e.getBoundingClientRect();
			return JSON.stringify({x: b.left + b.width / 2, y: b.top + b.height / 2}); })()`
		if err := json.Unmarshal([]byte(eval(js)), &r); err != nil {
			t.Fatalf("no element %s on the chart", sel)
		}
		return r.X, r.Y
	}
	center := func(sel string) (float64, float64) { return place(sel, true) }
	pos := func(sel string) (float64, float64) { return place(sel, false) }
	pressed := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	drag := func(x0, y0, x1, y1 float64) {
		t.Helper()
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, x0, y0), chromedp.MouseEvent(chromedp.MousePressed, x0, y0, pressed, chromedp.ClickCount(1))}
		for i := 1; i <= 8; i++ {
			f := float64(i) / 8
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, pressed))
		}
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, pressed, chromedp.ClickCount(1)))
		b.do(steps...)
	}
	cell := func(room, d string) string {
		return `.tape-row[data-room="` + room + `"] a.tape-cell.free[data-date="` + d + `"]`
	}
	waitStatus := func(want string) string {
		t.Helper()
		var got string
		for i := 0; i < 100; i++ {
			got = eval(`(() => { const s = document.getElementById("tape-status"); return s ? s.className + "|" + s.textContent : ""; })()`)
			if strings.Contains(got, want) {
				return got
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the chart's status is %q, want %q", got, want)
		return got
	}
	barIn := func(room, res string) string {
		return `.tape-row[data-room="` + room + `"] a.bar[data-res="` + res + `"]`
	}

	// Book room A for the nights d and d+1 by dragging across them.
	x0, y0 := center(cell(plan.A, plan.D))
	x1, y1 := pos(cell(plan.A, add(plan.D, 1)))
	drag(x0, y0, x1, y1)
	b.do(chromedp.WaitVisible(chromedp.CSS("#new-reservation")))
	u, err := url.Parse(loc())
	if err != nil || u.Path != "/demo/reservations/new" || u.Query().Get("room") != plan.A || u.Query().Get("arrival") != plan.D || u.Query().Get("departure") != add(plan.D, 2) {
		t.Fatalf("dragging across two nights of room %s led to %s", plan.An, loc())
	}
	if got := strings.Join(strings.Fields(b.text("#room-chosen")), " "); !strings.Contains(got, "Room "+plan.An+" , chosen") && !strings.Contains(got, "Room "+plan.An+", chosen") {
		t.Fatalf("the booking form does not name room %s: %q", plan.An, got)
	}
	b.shot("tapechart-booking-form-desktop")
	b.do(chromedp.SendKeys(chromedp.CSS("#f-given_name"), "Tove"), chromedp.SendKeys(chromedp.CSS("#f-family_name"), "Jansson"))
	b.submit(t)(`button[name=intent][value=create]`)
	m := regexp.MustCompile(`/demo/reservations/(res_[A-Za-z0-9]+)$`).FindStringSubmatch(loc())
	if m == nil {
		t.Fatalf("after booking from the chart the browser is at %s:\n%s", loc(), b.text("main"))
	}
	res := m[1]
	if got := eval(`(() => { const d = [...document.querySelectorAll(".facts dt")].find(x => x.textContent === "Room"); return d ? d.nextElementSibling.textContent.trim() : ""; })()`); !strings.HasPrefix(got, plan.An) {
		t.Fatalf("the stay booked from room %s's nights has room %q", plan.An, got)
	}

	// Drag the stay from room A to room C.
	open()
	x0, y0 = center(barIn(plan.A, res))
	_, y1 = pos(`.tape-row[data-room="` + plan.C + `"] .tape-label`)
	drag(x0, y0, x0, y1)
	waitStatus("Moved to room " + plan.Cn)
	if eval(`String(!!document.querySelector(`+jsString(barIn(plan.C, res))+`))`) != "true" {
		t.Fatalf("after the drag the stay is not in room %s", plan.Cn)
	}
	b.shot("tapechart-moved-desktop")

	// Alt+↑ moves it up a row, to room B.
	center(barIn(plan.C, res))
	b.do(chromedp.Focus(chromedp.CSS(barIn(plan.C, res))), chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	waitStatus("Moved to room " + plan.Bn)
	if eval(`String(!!document.querySelector(`+jsString(barIn(plan.B, res))+`))`) != "true" {
		t.Fatalf("after Alt+↑ the stay is not in room %s", plan.Bn)
	}

	// Drag its end one day to the right: the departure moves to d+3.
	half := eval(`String((() => { const r = document.querySelector(".tape-row"); const l = r.querySelector(".tape-label");
		return (r.getBoundingClientRect().width - l.getBoundingClientRect().width) / (document.querySelectorAll(".tape-head .tape-day").length * 2); })())`)
	var hw float64
	json.Unmarshal([]byte(half), &hw)
	x0, y0 = center(barIn(plan.B, res) + " .bar-end")
	drag(x0, y0, x0+2*hw, y0)
	waitStatus("The departure is now " + add(plan.D, 3))
	if got := eval(`document.querySelector(` + jsString(barIn(plan.B, res)) + `).dataset.departure`); got != add(plan.D, 3) {
		t.Fatalf("after dragging the end the departure is %s, want %s", got, add(plan.D, 3))
	}
	b.shot("tapechart-extended-desktop")

	// Alt+← takes the night off again.
	center(barIn(plan.B, res))
	b.do(chromedp.Focus(chromedp.CSS(barIn(plan.B, res))), chromedp.KeyEvent(kb.ArrowLeft, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	waitStatus("The departure is now " + add(plan.D, 2))

	// Onto a room taken on those nights: the store refuses, in words.
	x0, y0 = center(barIn(plan.B, res))
	_, y1 = pos(`.tape-row[data-room="` + plan.X + `"] .tape-label`)
	drag(x0, y0, x0, y1)
	status := waitStatus("is-error")
	if !strings.Contains(status, "Room "+plan.Xn+" is") || regexp.MustCompile(`res_|gst_|\d{4}-\d\d-\d\d`).MatchString(status) {
		t.Fatalf("the refusal of a move onto room %s: %q", plan.Xn, status)
	}
	b.shot("tapechart-refused-desktop")
	if eval(`String(!!document.querySelector(`+jsString(barIn(plan.B, res))+`))`) != "true" {
		t.Fatal("the refused move changed the chart")
	}

	// By keyboard: a free night of room A, Shift+→ for the next, Enter books them.
	center(cell(plan.A, plan.D))
	b.do(chromedp.Focus(chromedp.CSS(cell(plan.A, plan.D))),
		chromedp.KeyEvent(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierShift)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#new-reservation")))
	if u, _ := url.Parse(loc()); u.Query().Get("room") != plan.A || u.Query().Get("departure") != add(plan.D, 2) {
		t.Fatalf("Shift+→ and Enter on room %s's night led to %s", plan.An, loc())
	}
	b.both("tapechart", chart)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
