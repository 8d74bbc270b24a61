package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A token created without choosing an expiry lasts 90 days whichever way
// it was made: `aura token create`, the tokens page's preselected choice,
// and POST /api/v1/tokens without expires_at. never_expires still asks for
// none over the API.
func TestTokenDefaultExpiryAgrees(t *testing.T) {
	c := newCLI(t)
	const password = "correct horse battery staple"
	c.mustRun(password+"\n", "tenant", "create", "alpha", "--name", "Alpha", "--owner-email", "owner@alpha.example", "--owner-password-stdin")
	cliToken := strings.TrimSpace(c.mustRun("", "token", "create", "alpha", "--email", "owner@alpha.example", "--name", "from-cli", "--scopes", "tokens.read,tokens.write"))
	srv := c.serve("--dev", "--addr", "127.0.0.1:0")
	base := srv.https

	// The page: sign in, read the preselected expiry, submit it.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.PostForm(base+"/alpha/login", url.Values{"email": {"owner@alpha.example"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = browser.Get(base + "/alpha/tokens")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`<option value="([^"]+)" selected>`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("tokens page: %d, no preselected expiry", resp.StatusCode)
	}
	resp, err = browser.PostForm(base+"/alpha/tokens", url.Values{"name": {"from-page"}, "scopes": {"tokens.read"}, "expires": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create on the page: %d", resp.StatusCode)
	}

	if code, body := apiCall(t, "POST", base+"/alpha/api/v1/tokens", cliToken, map[string]any{"name": "from-api", "scopes": []string{"tokens.read"}}); code != http.StatusCreated {
		t.Fatalf("create over the API: %d %v", code, body)
	}
	if code, body := apiCall(t, "POST", base+"/alpha/api/v1/tokens", cliToken, map[string]any{"name": "api-never", "never_expires": true}); code != http.StatusCreated {
		t.Fatalf("create over the API without expiry: %d %v", code, body)
	}
	if code, _ := apiCall(t, "POST", base+"/alpha/api/v1/tokens", cliToken, map[string]any{"name": "both", "never_expires": true, "expires_at": time.Now().Add(time.Hour)}); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
		t.Fatalf("expires_at with never_expires: %d, want a 4xx", code)
	}

	code, list := apiCall(t, "GET", base+"/alpha/api/v1/tokens", cliToken, nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d", code)
	}
	lifetimes := map[string]time.Duration{}
	for _, v := range list["data"].([]any) {
		tok := v.(map[string]any)
		created, _ := time.Parse(time.RFC3339, tok["created_at"].(string))
		if exp, ok := tok["expires_at"].(string); ok {
			e, _ := time.Parse(time.RFC3339, exp)
			lifetimes[tok["name"].(string)] = e.Sub(created)
		} else {
			lifetimes[tok["name"].(string)] = -1
		}
	}
	const want = 90 * 24 * time.Hour
	for _, name := range []string{"from-cli", "from-page", "from-api"} {
		// The CLI computes its expiry a moment before the row's creation time.
		if d := lifetimes[name]; d < want-time.Minute || d > want {
			t.Errorf("%s: lifetime %v, want %v", name, d, want)
		}
	}
	if d := lifetimes["api-never"]; d != -1 {
		t.Errorf("never_expires: lifetime %v, want none", d)
	}
}
