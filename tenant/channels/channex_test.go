package channels_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
)

// TestChannexARI: the outbox pushed through the Channex adapter: a 429
// with Retry-After stops the pusher for that long, then availability goes
// with Channex's inclusive date_to, mapped to Channex's ids.
func TestChannexARI(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	var mu sync.Mutex
	refuse := 1
	var values []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("user-api-key") != "k" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if refuse > 0 {
			refuse--
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		var body struct{ Values []map[string]any }
		json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path == "/api/v1/availability" {
			values = append(values, body.Values...)
		}
	}))
	defer srv.Close()
	cx := &channels.Channex{BaseURL: srv.URL, APIKey: "k", PropertyID: "cx-prop", External: map[string]string{f.RT.ID: "cx-rt", f.Plan.ID: "cx-rp"}}
	if err := st.ConnectARI(f.Ctx, f.Prop.ID); err != nil {
		t.Fatal(err)
	}
	clock := auratest.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	p := &channels.ARIPusher{Store: st, Target: cx, PerMinute: 20, Now: clock.Now}
	if _, wait, err := p.PushOnce(f.Ctx); err != nil || wait != 7*time.Second {
		t.Fatalf("429: wait %s, %v", wait, err)
	}
	clock.Advance(7 * time.Second)
	if _, wait, err := p.PushOnce(f.Ctx); err != nil || wait != 0 {
		t.Fatalf("after Retry-After: wait %s, %v", wait, err)
	}
	if len(values) != 1 || values[0]["room_type_id"] != "cx-rt" || values[0]["date_from"] != "2026-03-10" || values[0]["date_to"] != "2027-03-09" ||
		values[0]["availability"] != float64(2) || values[0]["property_id"] != "cx-prop" {
		t.Fatalf("availability sent: %v", values)
	}
}
