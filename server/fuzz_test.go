package server_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aurapms/aura/server/web"
)

// FuzzAPIBody sends any bytes as the JSON body of any API route that
// takes one, through the real server against a real tenant: never a 500
// (a panic in a handler is a 500 too).
func FuzzAPIBody(f *testing.F) {
	e := newHostileEnv(f, 40)
	bodies := e.apiBodies()
	keys := make([]string, 0, len(bodies))
	for k := range bodies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	routes := make([]web.Route, len(keys))
	for i, k := range keys {
		method, path, _ := strings.Cut(k, " ")
		for _, rt := range e.f.h.srv.Routes() {
			if rt.Method == method && rt.Path == path {
				routes[i] = rt
			}
		}
		if routes[i].Path == "" {
			f.Fatalf("apiBodies names %s, which is no route", k)
		}
		valid, err := json.Marshal(bodies[k])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), valid)
		for what, b := range mutations(valid) {
			if strings.Contains(what, "every date moved") || strings.Contains(what, "9999-12-31") {
				f.Add(uint8(i), b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		a := e.send(t, rt, rt.Method, e.path(rt), "application/json", body, nil)
		if a.status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", rt.Method, rt.Path, body, a.status, a.body)
		}
	})
}

// FuzzLoginForm sends any bytes as the form of the sign-in pages (the
// tenant's password step and code step, and the platform's): never a 500.
func FuzzLoginForm(f *testing.F) {
	e := newHostileEnv(f, 3)
	slug := e.f.t.Slug
	targets := []string{"/" + slug + "/login", "/" + slug + "/login/code", "/platform/login"}
	for i, body := range []string{
		url.Values{"email": {e.f.owner.Email}, "password": {ownerPassword}}.Encode(),
		url.Values{"email": {e.f.owner.Email}, "password": {"wrong"}}.Encode(),
		url.Values{"email": {"nobody@" + slug + ".example"}, "password": {strings.Repeat("x", 5000)}}.Encode(),
		url.Values{"code": {"123456"}}.Encode(),
		url.Values{"email": {"staff@aura.example"}, "password": {ownerPassword}, "code": {"000000"}}.Encode(),
		"email=%zz&password=%", "email=a%00b&password=\xff\xfe", "", "&&&==", strings.Repeat("email=x&", 2000),
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		path := targets[int(target)%len(targets)]
		a := e.sendAnonymous(t, path, body)
		if a.status >= 500 {
			t.Fatalf("POST %s with %q: %d %s", path, body, a.status, a.body)
		}
	})
}
