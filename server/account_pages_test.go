package server_test

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/credential"
)

// TestAccountForms drives the account page's forms over HTTP: a password
// change refused inline (mismatch, wrong current password) and then made,
// signing the other sessions out; two-factor set-up refused for a wrong
// code, confirmed with the right one (recovery codes shown, a new session
// id), and turned off again only with a valid code.
func TestAccountForms(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	session := h.login("alpha", owner.Email, ownerPassword)
	other := h.login("alpha", owner.Email, ownerPassword)
	post := func(path string, form url.Values, c *http.Cookie) (*http.Response, string) {
		return h.do(req{method: "POST", path: "/alpha" + path, form: form, cookies: []*http.Cookie{c}})
	}
	const next = "marble orchard kettle"

	resp, body := post("/account/password", url.Values{"current_password": {ownerPassword}, "new_password": {next}, "new_password_again": {next + "x"}}, session)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "does not match the new password") {
		t.Fatalf("mismatched new passwords: %d", resp.StatusCode)
	}
	resp, _ = post("/account/password", url.Values{"current_password": {"not my password"}, "new_password": {next}, "new_password_again": {next}}, session)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a wrong current password: %d", resp.StatusCode)
	}
	resp, _ = post("/account/password", url.Values{"current_password": {ownerPassword}, "new_password": {next}, "new_password_again": {next}}, session)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d", resp.StatusCode)
	}
	if resp, _ := h.do(req{path: "/alpha/account", cookies: []*http.Cookie{other}}); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/alpha/login") {
		t.Fatalf("the other session after a password change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := h.do(req{path: "/alpha/account", cookies: []*http.Cookie{session}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("the changing session after a password change: %d", resp.StatusCode)
	}

	if resp, _ := post("/account/2fa/start", url.Values{}, session); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("2FA start: %d", resp.StatusCode)
	}
	_, body = h.do(req{path: "/alpha/account", cookies: []*http.Cookie{session}})
	if !strings.Contains(body, `href="otpauth://totp/`) {
		t.Fatalf("the account page's link to open the key on this phone is not an otpauth link\n%s", body)
	}
	m := regexp.MustCompile(`class="mono secret-key">([A-Z2-7 ]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret key on the account page after starting 2FA\n%s", body)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = post("/account/2fa/confirm", url.Values{"code": {"000000"}}, session)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("2FA confirm with a wrong code: %d", resp.StatusCode)
	}
	resp, body = post("/account/2fa/confirm", url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}, session)
	fresh := cookieNamed(resp, "aura_session")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Two-factor authentication is on") || fresh == nil || fresh.Value == session.Value {
		t.Fatalf("2FA confirm: %d, new session cookie %v", resp.StatusCode, fresh != nil)
	}
	h.clock.Advance(time.Minute)
	resp, _ = post("/account/2fa/disable", url.Values{"code": {"000000"}}, fresh)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("2FA disable with a wrong code: %d", resp.StatusCode)
	}
	resp, _ = post("/account/2fa/disable", url.Values{"code": {credential.TOTPCode(secret, h.clock.Now())}}, fresh)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("2FA disable: %d", resp.StatusCode)
	}
}
