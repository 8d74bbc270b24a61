package auratest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's headless Chromium, installed by
// scripts/test-deps.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one test's headless Chromium: Ctx drives its tab.
type Browser struct {
	Ctx context.Context
	t   *testing.T
}

// Desktop and Phone are the viewports browser tests look at pages in:
// 1440×900, and 390×844 at twice the density with touch, upright, as a
// phone shows them.
var (
	Desktop = chromedp.EmulateViewport(1440, 900)
	Phone   = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
)

// Chromium starts ChromiumPath headless for t, with a profile of its own
// in a temp dir, a 1440×900 window, certificate errors ignored (tests
// serve a test certificate) and nothing that reaches out by itself
// (background networking, component updates, sync). It fails t when
// Chromium is missing or does not start, and ends it when t ends.
func Chromium(t *testing.T) Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("%s is missing: run scripts/test-deps (make test does): %v", ChromiumPath, err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return Browser{Ctx: ctx, t: t}
}

// Do runs steps in the browser, each call within 30 seconds, and fails
// the test on the first error.
func (b Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}
