package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aurapms/aura/audit"
)

// TestAuditRowsCarryRequestContext: a change made through the web UI and
// one made through the API each leave an audit row naming who did it
// (the user; the token and its user), with before and after, the request
// id the response carried, the client's address and user agent, and the
// chain still verifies — the security page's audit promise, over HTTP.
func TestAuditRowsCarryRequestContext(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	rm := f.rooms[0]

	resp, _ := h.do(req{method: "POST", path: "/alpha/rooms/" + rm.ID + "/housekeeping", cookies: []*http.Cookie{f.session},
		form: url.Values{"condition": {"dirty"}, "version": {fmt.Sprint(rm.Version)}}, header: map[string]string{"User-Agent": "front-desk-tablet/1.0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark dirty: %d", resp.StatusCode)
	}
	pageReq := resp.Header.Get("X-Request-Id")
	resp, body := f.api("PUT", "/rooms/"+rm.ID+"/housekeeping", `{"housekeeping": "clean", "version": 2}`, "User-Agent", "channel-sync/2.3")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mark clean over the API: %d %s", resp.StatusCode, body)
	}
	apiReq := resp.Header.Get("X-Request-Id")
	if pageReq == "" || apiReq == "" || pageReq == apiReq {
		t.Fatalf("request ids %q and %q", pageReq, apiReq)
	}

	db := h.acquire("alpha")
	defer db.Release()
	rows, err := db.AuditLog(context.Background(), audit.Filter{Action: "room.housekeeping_changed", Entity: rm.ID})
	if err != nil || len(rows) != 2 {
		t.Fatalf("audit rows: %d %v", len(rows), err)
	}
	byReq := map[string]audit.Row{}
	for _, r := range rows {
		byReq[r.RequestID] = r
	}
	page, api := byReq[pageReq], byReq[apiReq]
	if page.ActorKind != "user" || page.ActorID != f.owner.ID || page.IP != "127.0.0.1" || page.UserAgent != "front-desk-tablet/1.0" ||
		!strings.Contains(page.Before.String, `"housekeeping":"clean"`) || !strings.Contains(page.After.String, `"housekeeping":"dirty"`) {
		t.Fatalf("the page's audit row: %+v", page)
	}
	if api.ActorKind != "token" || api.ActorName != f.owner.ID || api.IP != "127.0.0.1" || api.UserAgent != "channel-sync/2.3" ||
		!strings.Contains(api.After.String, `"housekeeping":"clean"`) {
		t.Fatalf("the API's audit row: %+v", api)
	}
	if res, err := db.VerifyAudit(context.Background(), nil); err != nil || !res.OK() {
		t.Fatalf("the chain after both: %+v %v", res.Break, err)
	}
}
