package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aurapms/aura/tenant/identity"
)

// BenchmarkAuthenticatedRequest measures one signed-in request end to end
// over loopback HTTPS: registry look-up, cookie decoding, session check in
// the tenant file, permission check and a rendered page (or JSON).
func BenchmarkAuthenticatedRequest(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	_, owner := h.mustTenant("alpha")
	cookie := h.login("alpha", owner.Email, ownerPassword)
	db := h.acquire("alpha")
	_, token, err := identity.New(db).CreateToken(context.Background(), owner.ID, "bench", []identity.Permission{identity.PermUsersRead}, time.Time{})
	db.Release()
	if err != nil {
		b.Fatal(err)
	}
	client := h.ts.Client()
	run := func(b *testing.B, path string, set func(*http.Request)) {
		b.ReportAllocs()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequest("GET", h.ts.URL+path, nil)
			set(req)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	}
	b.Run("SessionPage", func(b *testing.B) {
		run(b, "/alpha/users", func(r *http.Request) { r.AddCookie(cookie) })
	})
	b.Run("TokenAPI", func(b *testing.B) {
		run(b, "/alpha/api/v1/whoami", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
	})
}
