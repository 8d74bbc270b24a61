package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowser drives Debian's headless Chromium against the real `aura
// serve` over HTTPS (a test certificate, so cookies are really Secure): it
// signs in as the demo owner, invites a user, finds the rows in the audit
// log, reads the session cookie's flags as the browser holds them, walks
// the staff area through an impersonation, and saves screenshots of each
// main page at 1440×900 and 390×844 in artefacts/screenshots/.
func TestBrowser(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "demo")
	staffOut := c.mustRun("river stone lantern\n", "staff", "create", "sam@aura.example", "--password-stdin")
	m := regexp.MustCompile(`key:\s+([A-Z2-7]+)`).FindStringSubmatch(staffOut)
	if m == nil {
		t.Fatal(staffOut)
	}
	staffSecret, _ := base32NoPad.DecodeString(m[1])
	certFile, keyFile, _ := testCert(t)
	s := c.serve("--tls-cert", certFile, "--tls-key", keyFile, "--addr", "127.0.0.1:0", "--http-addr", "off")
	base := s.https

	shots, err := filepath.Abs(filepath.Join("..", "..", "artefacts", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	browser := auratest.Chromium(t)
	ctx, do := browser.Ctx, browser.Do
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	desktop, phone := auratest.Desktop, auratest.Phone
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// both screenshots the page at path on a desktop and on a phone.
	both := func(name, path string) {
		t.Helper()
		do(desktop, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		if bad, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.outerHTML.includes("ZgotmplZ")`)); err != nil || bad {
			t.Errorf("%s: the page holds ZgotmplZ (a value html/template refused): %v", path, err)
		}
		shot(name + "-desktop")
		do(phone, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		shot(name + "-phone")
		do(desktop)
	}

	// Sign in as the demo owner.
	both("login", "/demo/login")
	do(chromedp.Navigate(base+"/demo/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), DemoEmail),
		chromedp.SendKeys(chromedp.CSS("#f-password"), DemoPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".tiles")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/demo/" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}

	t.Run("SessionCookieFlags", func(t *testing.T) {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/demo/"}})
		if err != nil {
			t.Fatal(err)
		}
		var found *network.Cookie
		for _, ck := range res.Cookies {
			if ck.Name == "aura_session" {
				found = ck
			}
		}
		if found == nil {
			t.Fatalf("the browser holds no aura_session cookie: %+v", res.Cookies)
		}
		if !found.HTTPOnly || !found.Secure || found.SameSite != network.CookieSameSiteLax || found.Path != "/demo/" {
			t.Fatalf("cookie flags as the browser sees them: httpOnly=%v secure=%v sameSite=%q path=%q", found.HTTPOnly, found.Secure, found.SameSite, found.Path)
		}
		js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(js, "aura_session") {
			t.Fatal("page script can read the session cookie")
		}
	})
	both("dashboard", "/demo/")
	do(phone, chromedp.Navigate(base+"/demo/"), chromedp.WaitVisible(chromedp.CSS(".menu-toggle")),
		chromedp.Click(chromedp.CSS(".menu-toggle")), chromedp.WaitVisible(chromedp.CSS("#nav a[href='/demo/users']")))
	shot("nav-open-phone")
	do(desktop)

	// The PMS pages (issue 4): calendar → new reservation → reservation → tape chart → guest.
	steps := browserSteps{ctx: ctx, base: base, do: do, text: text, shot: shot, both: both, desktop: desktop, phone: phone}
	pmsBrowser(t, steps)
	// The front desk day (issue 6): arrivals → check-in with an ID photo → room move → check-out → housekeeping board.
	frontDeskBrowser(t, steps)
	folioBrowser(t, steps)
	// Rates bulk edit (issue 11): one plan by default, a summary to confirm.
	ratesBrowser(t, steps)
	// The interactive tape chart (issue 11): book, move and extend by drag and by keyboard.
	tapeChartBrowser(t, steps)
	// Print (issue 11): the registration card and the day's lists to PDF.
	printBrowser(t, steps)
	// Every page of the demo at 1440 and 390 px (issue 11): no sideways
	// scrolling, no ids, ISO times or ciphertext in what a person reads.
	t.Run("Crawl", func(t *testing.T) { crawlBrowser(t, steps, "/demo/") })
	// Guest data rights (issue 16): everything on the guest page, the
	// anonymisation's confirmation and refusal, the pseudonym after it.
	guestDataBrowser(t, steps)
	// Reports (issue 14): the monthly report with its chart, by month and
	// channel, the VAT report, a statement generated through the form.
	reportsBrowser(t, steps)

	// Invite a user; without SMTP the link is shown to pass on.
	do(chromedp.Navigate(base+"/demo/users"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "nia@demo.example"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Nia Lund"),
		chromedp.SetValue(chromedp.CSS("#f-role"), "front_desk"),
		chromedp.Click(chromedp.CSS("#invite button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#invite-link")))
	link, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#invite-link")))
	if err != nil || !strings.Contains(link, "/demo/invite/") {
		t.Fatalf("invitation link %q: %v", link, err)
	}
	shot("users-invited-desktop")
	if got := text("main table"); !strings.Contains(got, "nia@demo.example") || !strings.Contains(got, "Invited") {
		t.Fatalf("the users table lacks the invited user:\n%s", got)
	}
	t.Run("SubmitDisabledAfterFirstClick", func(t *testing.T) {
		do(chromedp.Navigate(base + "/demo/users"))
		disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const f = document.querySelector('#invite form');
			f.addEventListener('submit', e => e.preventDefault());
			f.requestSubmit();
			return new Promise(r => setTimeout(() => r(f.querySelector('button[type=submit]').disabled), 50));
		})()`, chromedp.EvalAwaitPromise))
		if err != nil || !disabled {
			t.Fatalf("the submit button is still enabled after the first submit: %v", err)
		}
	})
	both("users", "/demo/users")

	// The audit log shows the sign-in and the invitation.
	both("audit", "/demo/audit")
	do(chromedp.Navigate(base+"/demo/audit"), chromedp.WaitVisible(chromedp.CSS(".history")))
	auditText := text(".history")
	for _, want := range []string{"User invited", "Signed in", "nia@demo.example", "Dana Demo"} {
		if !strings.Contains(auditText, want) {
			t.Fatalf("the audit page lacks %q:\n%s", want, auditText)
		}
	}

	// An API token, shown once.
	do(chromedp.Navigate(base+"/demo/tokens"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Channel manager"),
		chromedp.Click(chromedp.CSS("#scope-users\\.read")),
		chromedp.Click(chromedp.CSS("#new-token button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#new-token-text")))
	tok, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#new-token-text")))
	if _, err := credential.ParseToken(tok); err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	shot("tokens-created-desktop")
	both("tokens", "/demo/tokens")

	// Two-factor set-up shows a QR code.
	do(chromedp.Navigate(base+"/demo/account"), chromedp.Click(chromedp.CSS("#two-factor button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("svg.qr")))
	both("account", "/demo/account")
	both("sessions", "/demo/sessions")

	// The staff area: sign in, impersonate the demo tenant, end it.
	both("platform-login", "/platform/login")
	do(chromedp.Navigate(base+"/platform/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "sam@aura.example"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "river stone lantern"),
		chromedp.SendKeys(chromedp.CSS("#f-code"), credential.TOTPCode(staffSecret, time.Now())),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#new-tenant")))
	both("platform-tenants", "/platform/tenants")
	t.Run("CrawlPlatform", func(t *testing.T) {
		crawlBrowser(t, steps, "/platform/tenants", "/platform/audit", "/platform/backups")
	})
	both("platform-impersonate", "/platform/tenants/demo/impersonate")
	do(chromedp.Navigate(base+"/platform/tenants/demo/impersonate"),
		chromedp.SendKeys(chromedp.CSS("#f-reason"), "Ticket 12: owner cannot find the audit export"),
		chromedp.Click(chromedp.CSS("button.btn-danger[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".imp-banner")))
	if b := text(".imp-banner"); !strings.Contains(b, "sam@aura.example") || !strings.Contains(b, "Ticket 12") {
		t.Fatalf("banner: %s", b)
	}
	both("impersonating-dashboard", "/demo/")
	both("impersonating-users", "/demo/users")
	do(chromedp.Navigate(base+"/demo/"), chromedp.Click(chromedp.CSS(".imp-banner button")), chromedp.WaitVisible(chromedp.CSS("#new-tenant")))
	both("platform-audit", "/platform/audit")
	do(chromedp.Navigate(base+"/platform/audit?source=demo&action=impersonation."), chromedp.WaitVisible(chromedp.CSS(".audit-table")))
	if got := text(".audit-table"); !strings.Contains(got, "impersonation.started") || !strings.Contains(got, "impersonation.ended") {
		t.Fatalf("the platform audit page lacks the impersonation:\n%s", got)
	}
	both("error-404", "/nosuchtenant/")
}
