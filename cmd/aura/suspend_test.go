package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestSuspendFromCLINextRequest: the server keeps the tenants it looked up
// while the platform file is unchanged, and a suspension or resumption run
// from the command line (another process's commit to that file) still
// takes effect on the very next request, well before the server's
// once-a-second watcher of the file could have acted.
func TestSuspendFromCLINextRequest(t *testing.T) {
	c := newCLI(t)
	c.mustRun("correct horse battery staple\n", "tenant", "create", "inn", "--name", "Inn", "--owner-email", "owner@inn.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "inn", "--email", "owner@inn.example", "--name", "t", "--scopes", "users.read"))
	s := c.serve("--dev", "--addr", "127.0.0.1:0")
	get := func() int {
		t.Helper()
		req, _ := http.NewRequest("GET", s.https+"/inn/api/v1/properties", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for round := 0; round < 3; round++ {
		for i := 0; i < 5; i++ { // the tenant is cached now
			if code := get(); code != http.StatusOK {
				t.Fatalf("round %d: an active tenant answered %d", round, code)
			}
		}
		c.mustRun("", "tenant", "suspend", "inn")
		if code := get(); code != http.StatusServiceUnavailable {
			t.Fatalf("round %d: the request right after a suspension from the command line answered %d", round, code)
		}
		c.mustRun("", "tenant", "resume", "inn")
		if code := get(); code != http.StatusOK {
			t.Fatalf("round %d: the request right after resuming answered %d", round, code)
		}
	}
}
