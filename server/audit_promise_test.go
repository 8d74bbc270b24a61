package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
)

// TestAuditNamedActions drives, over HTTP, each state-changing action the
// security page names — login, reservation create, edit and cancel, rate
// change, user invited, permissions modified — and checks that each left
// an audit row naming the actor, stamped with the time of the request (the
// clock moves before each one, so a wrong stamp shows), with the before
// and after state the change needs, and the request's context (the
// response's request id, the client's address and user agent). The chain
// verifies afterwards.
func TestAuditNamedActions(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2)
	ctx := context.Background()
	tokenID := func() string {
		db := h.acquire("alpha")
		defer db.Release()
		toks, err := identity.New(db).Tokens(ctx, f.owner.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %d %v", len(toks), err)
		}
		return toks[0].ID
	}()

	type step struct {
		action string
		do     func(ua string) *http.Response
		// actor kind and id the row must name
		actorKind, actorID string
		entity             func() string // the row's entity, when known before the step
		before, after      []string      // substrings each side must hold; nil before: no before state
	}
	var session *http.Cookie
	var resID, inviteeID string
	arrival, departure := f.today.AddDays(20), f.today.AddDays(22)
	uaHeader := func(ua string) map[string]string { return map[string]string{"User-Agent": ua} }
	apiAs := func(method, path, body, ua string, extra ...string) *http.Response {
		r, b := f.api(method, path, body, append([]string{"User-Agent", ua}, extra...)...)
		if r.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.StatusCode, b)
		}
		return r
	}
	steps := []step{
		{action: "user.logged_in", actorKind: "user", actorID: f.owner.ID, entity: func() string { return f.owner.ID },
			after: []string{`"method"`},
			do: func(ua string) *http.Response {
				r, body := h.do(req{method: "POST", path: "/alpha/login", header: uaHeader(ua),
					form: url.Values{"email": {f.owner.Email}, "password": {ownerPassword}}})
				if session = cookieNamed(r, "aura_session"); r.StatusCode != http.StatusSeeOther || session == nil {
					t.Fatalf("login: %d %s", r.StatusCode, body)
				}
				return r
			}},
		{action: "reservation.created", actorKind: "token", actorID: tokenID,
			after: []string{`"arrival":"` + arrival.String() + `"`, `"departure":"` + departure.String() + `"`},
			do: func(ua string) *http.Response {
				r, body := f.api("POST", "/bookings", f.bookingJSON("Audrey", arrival, departure), "User-Agent", ua)
				if r.StatusCode != http.StatusCreated {
					t.Fatalf("booking: %d %s", r.StatusCode, body)
				}
				resID = decode[stays.Booking](t, body).Reservations[0].ID
				return r
			}},
		{action: "reservation.stay_changed", actorKind: "token", actorID: tokenID, entity: func() string { return resID },
			before: []string{`"departure":"` + departure.String() + `"`}, after: []string{`"departure":"` + departure.AddDays(1).String() + `"`},
			do: func(ua string) *http.Response {
				return apiAs("PATCH", "/reservations/"+resID, `{"departure": "`+departure.AddDays(1).String()+`"}`, ua, "If-Match", `"1"`)
			}},
		{action: "reservation.cancelled", actorKind: "token", actorID: tokenID, entity: func() string { return resID },
			before: []string{`"status":"confirmed"`}, after: []string{`"status":"cancelled"`},
			do: func(ua string) *http.Response {
				return apiAs("POST", "/reservations/"+resID+"/cancel", `{"waive_fee": true}`, ua)
			}},
		{action: "rates.updated", actorKind: "user", actorID: f.owner.ID, entity: func() string { return f.plan.ID },
			before: []string{"10000"}, after: []string{"12345"},
			do: func(ua string) *http.Response {
				from, to := f.today.AddDays(30), f.today.AddDays(32)
				r, body := h.do(req{method: "POST", path: "/alpha/rates", cookies: []*http.Cookie{session}, header: uaHeader(ua),
					form: url.Values{"plans": {f.plan.ID}, "first": {from.String()}, "last": {to.String()}, "price": {"123.45"}, "intent": {"apply"}}})
				if r.StatusCode >= 400 {
					t.Fatalf("rate change page: %d %s", r.StatusCode, body)
				}
				return r
			}},
		{action: "user.invited", actorKind: "user", actorID: f.owner.ID,
			after: []string{`"role":"front_desk"`},
			do: func(ua string) *http.Response {
				r, body := h.do(req{method: "POST", path: "/alpha/users", cookies: []*http.Cookie{session}, header: uaHeader(ua),
					form: url.Values{"email": {"nia@example.com"}, "name": {"Nia"}, "role": {"front_desk"}, "idempotency_key": {"audit-promise"}}})
				if r.StatusCode != http.StatusOK {
					t.Fatalf("invite: %d %s", r.StatusCode, body)
				}
				return r
			}},
		{action: "user.role_changed", actorKind: "user", actorID: f.owner.ID, entity: func() string { return inviteeID },
			before: []string{`"role":"front_desk"`}, after: []string{`"role":"manager"`},
			do: func(ua string) *http.Response {
				r, body := h.do(req{method: "POST", path: "/alpha/users/" + inviteeID + "/role", cookies: []*http.Cookie{session}, header: uaHeader(ua),
					form: url.Values{"role": {"manager"}}})
				if r.StatusCode != http.StatusSeeOther {
					t.Fatalf("role change: %d %s", r.StatusCode, body)
				}
				return r
			}},
	}
	for i, s := range steps {
		h.clock.Advance(time.Duration(i+1) * time.Minute)
		at := h.clock.Now().UTC().Format(audit.TimeFormat)
		ua := fmt.Sprintf("audit-promise/%d", i)
		var entity string
		if s.entity != nil {
			entity = s.entity()
		}
		resp := s.do(ua)
		reqID := resp.Header.Get("X-Request-Id")
		if reqID == "" {
			t.Fatalf("%s: the response has no request id", s.action)
		}
		db := h.acquire("alpha")
		rows, err := db.AuditLog(ctx, audit.Filter{Action: s.action, Limit: 1000})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		var row *audit.Row
		for j := range rows {
			if rows[j].RequestID == reqID {
				row = &rows[j]
			}
		}
		if row == nil {
			t.Fatalf("%s: no audit row carries the response's request id %s (%d rows of the action)", s.action, reqID, len(rows))
		}
		if s.action == "user.invited" {
			inviteeID = row.EntityID
		}
		if row.ActorKind != s.actorKind || row.ActorID != s.actorID {
			t.Errorf("%s: actor %s/%s, want %s/%s", s.action, row.ActorKind, row.ActorID, s.actorKind, s.actorID)
		}
		if row.At != at {
			t.Errorf("%s: at %s, want the request's time %s", s.action, row.At, at)
		}
		if row.IP != "127.0.0.1" || row.UserAgent != ua {
			t.Errorf("%s: request context ip %q, user agent %q; want 127.0.0.1, %q", s.action, row.IP, row.UserAgent, ua)
		}
		if entity != "" && row.EntityID != entity {
			t.Errorf("%s: entity %s, want %s", s.action, row.EntityID, entity)
		}
		if !row.After.Valid {
			t.Errorf("%s: no after state", s.action)
		}
		for _, want := range s.after {
			if !strings.Contains(row.After.String, want) {
				t.Errorf("%s: after state lacks %s: %s", s.action, want, row.After.String)
			}
		}
		if s.before != nil && !row.Before.Valid {
			t.Errorf("%s: no before state", s.action)
		}
		for _, want := range s.before {
			if !strings.Contains(row.Before.String, want) {
				t.Errorf("%s: before state lacks %s: %s", s.action, want, row.Before.String)
			}
		}
	}
	if res, err := h.ctl.VerifyAudit(ctx, "alpha"); err != nil || !res.OK() {
		t.Fatalf("the chain after the named actions: %+v %v", res.Break, err)
	}
}
