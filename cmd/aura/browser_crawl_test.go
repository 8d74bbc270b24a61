package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// crawlPageJS measures a page as a person sees it: whether the document is
// wider than the window (it scrolls sideways), and the text a person reads
// — visible text nodes, outside code-styled raw views (code, pre, kbd,
// samp, .raw) and closed details; the text of a select is its chosen
// option, as shown.
const crawlPageJS = `(() => {
	const skip = el => el.closest("script, style, noscript, template, code, pre, kbd, samp, .raw, details:not([open]) > :not(summary)");
	const parts = [];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const el = n.parentElement;
		if (!el || skip(el) || el.closest("select") || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
		parts.push(n.textContent);
	}
	for (const s of document.querySelectorAll("select")) {
		if (!skip(s) && s.checkVisibility() && s.selectedOptions.length) parts.push(s.selectedOptions[0].textContent);
	}
	const wide = [];
	const vw = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > vw) {
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.right > vw + 1 && el.checkVisibility() && !el.closest(".table-wrap, .grid-scroll, .tape-scroll, pre")) {
				wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " " + Math.round(r.right));
				if (wide.length >= 6) break;
			}
		}
	}
	const links = [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"));
	return JSON.stringify({scroll: document.documentElement.scrollWidth, width: vw, text: parts.join(" "), wide: wide, links: links});
})()`

// developerText is what a person should never have to read: internal ids,
// ISO timestamps and dates, sealed values or other ciphertext.
var developerText = regexp.MustCompile(`\b(?:res|gst|rom|rmt|rpl|bkg|prp|usr|cki|idp|blk|tok|ses|tnt|stf|imp|req)_[A-Za-z0-9]{8,}\b|\d{4}-\d\d-\d\dT\d\d:\d\d|\b\d{4}-\d\d-\d\d\b|sealed:v1:|[A-Za-z0-9+/]{40,}={0,2}`)

// crawlSkip are links not to follow: downloads, the photos' bytes, state
// changes behind GET links (none should exist), other areas.
var crawlSkip = regexp.MustCompile(`/export|/id-photos/|/logout|\.csv|/invite/|/impersonation/|/(pdf|xml)$`) // downloads, not pages

// idSegment stands for any id in a path, so one page template counts once.
var idSegment = regexp.MustCompile(`/[a-z]{3}_[A-Za-z0-9]+`)

// crawlBrowser visits every page of the signed-in demo reachable by links
// from the dashboard (up to three of each page template and query shape)
// at 1440×900 and at 390×844: no page may scroll sideways, and no visible
// text may show an internal id, an ISO time or ciphertext. It saves a
// screenshot of each template at both sizes in artefacts/screenshots/crawl/.
func crawlBrowser(t *testing.T, b browserSteps, start string, extra ...string) {
	shots, err := filepath.Abs(filepath.Join("..", "..", "artefacts", "screenshots", "crawl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := start[:strings.Index(start[1:], "/")+2]
	queue := append([]string{start}, extra...)
	seen := map[string]bool{}
	perShape := map[string]int{}
	shotTaken := map[string]bool{}
	var problems []string
	visited := 0
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		u, err := url.Parse(path)
		if err != nil || seen[path] {
			continue
		}
		seen[path] = true
		keys := []string{}
		for k := range u.Query() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		shape := idSegment.ReplaceAllString(u.Path, "/:id") + "?" + strings.Join(keys, "&")
		if perShape[shape] >= 3 {
			continue
		}
		perShape[shape]++
		visited++
		for _, size := range []struct {
			name string
			set  chromedp.Action[chromedp.Void]
		}{{"desktop", b.desktop}, {"phone", b.phone}} {
			b.do(size.set, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
			raw := b.eval(t)(crawlPageJS)
			var m struct {
				Scroll, Width int
				Text          string
				Wide          []string
				Links         []string
			}
			if err := jsonUnmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m.Scroll > m.Width {
				problems = append(problems, fmt.Sprintf("%s at %s scrolls sideways: %d px in %d (%s)", path, size.name, m.Scroll, m.Width, strings.Join(m.Wide, ", ")))
			}
			if bad := developerText.FindAllString(m.Text, 3); len(bad) > 0 {
				problems = append(problems, fmt.Sprintf("%s at %s shows %q", path, size.name, bad))
			}
			if !shotTaken[shape+size.name] {
				shotTaken[shape+size.name] = true
				name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(shape), "-"), "-")
				b.shot(filepath.Join("crawl", name+"-"+size.name))
			}
			if size.name == "desktop" {
				for _, l := range m.Links {
					if strings.HasPrefix(l, prefix) && !crawlSkip.MatchString(l) {
						l = strings.SplitN(l, "#", 2)[0]
						if !seen[l] {
							queue = append(queue, l)
						}
					}
				}
			}
		}
	}
	b.do(b.desktop)
	t.Logf("crawled %d pages of %s (%d shapes) at 1440 and 390 px", visited, prefix, len(perShape))
	if visited < 5 {
		t.Fatalf("the crawl from %s found only %d pages", start, visited)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
