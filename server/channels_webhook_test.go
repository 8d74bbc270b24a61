package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
)

// cmServer stands in for a Channex-like channel manager: it serves booking
// revisions by id and takes acknowledgements, checking at every ack that
// Aura had already recorded the revision.
type cmServer struct {
	mu        sync.Mutex
	revs      map[string]map[string]any
	acks      map[string]int
	early     []string // acknowledged before recorded
	fetchFail map[string]bool
	ackFail   map[string]int
	recorded  func(id string) bool
}

func (s *cmServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/booking_revisions/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get("user-api-key") != "cx-key-12345" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		id := r.PathValue("id")
		rv, ok := s.revs[id]
		if !ok || s.fetchFail[id] {
			http.Error(w, "not available", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": rv})
	})
	mux.HandleFunc("POST /api/v1/booking_revisions/{id}/ack", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		rec := s.recorded(id)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !rec {
			s.early = append(s.early, id)
		}
		if s.ackFail[id] > 0 {
			s.ackFail[id]--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		s.acks[id]++
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// cmRevision is a revision as Channex's API sends it.
func cmRevision(id, booking, status, roomType string, inserted time.Time, arrival, departure date.Date, guarantee map[string]any) map[string]any {
	attrs := map[string]any{"booking_id": booking, "status": status, "inserted_at": inserted.Format(time.RFC3339), "ota_name": "Booking.com",
		"ota_reservation_code": "BDC-" + booking, "ota_commission": "15.00", "customer": map[string]any{"name": "Ola", "surname": "Nordmann"},
		"rooms": []map[string]any{{"room_type_id": roomType, "rate_plan_id": "cx-rp", "checkin_date": arrival.String(), "checkout_date": departure.String(),
			"occupancy": map[string]any{"adults": 2, "children": 0}}}}
	if guarantee != nil {
		attrs["guarantee"] = guarantee
	}
	return map[string]any{"id": id, "type": "booking_revision", "attributes": attrs}
}

// TestChannelManagerWebhook: a Channex-like channel manager (an httptest
// server) delivers booking revisions by webhook. The connection's secret
// is the credential (missing, wrong or for a property without one: the
// same 401); each revision is read back from the channel manager, applied
// once (a redelivery changes nothing), acknowledged only after its record
// committed, and only then answered 200; a channel manager that cannot be
// read or does not take the ack gets 502 and nothing is lost; a booking
// into a full house is stored flagged overbooked and listed on the
// attention page and the dashboard, as is an unmapped room type until it
// is marked dealt with; a virtual card's pm_ token is attached to the
// booking's folio through payments, and a card number in its place is
// never stored.
func TestChannelManagerWebhook(t *testing.T) {
	e := newStripeEnv(t)
	f := e.f
	moneySetup(t, f) // books room 1 of 3 for today and tomorrow; the ledger is set up
	f.signIn()
	e.configure(t)

	cm := &cmServer{revs: map[string]map[string]any{}, acks: map[string]int{}, fetchFail: map[string]bool{}, ackFail: map[string]int{}}
	cm.recorded = func(id string) bool {
		return countIn(t, f, `SELECT count(*) FROM cm_revisions WHERE revision_id = ?`, id) == 1
	}
	srv := httptest.NewServer(cm.handler())
	defer srv.Close()

	hook := "/" + f.t.Slug + "/channels/webhook/" + f.prop.ID
	deliver := func(secret string, body string) (*http.Response, string) {
		t.Helper()
		hdr := map[string]string{}
		if secret != "" {
			hdr[channels.WebhookHeader] = secret
		}
		return f.h.do(req{method: "POST", path: hook, raw: []byte(body), contentType: "application/json", header: hdr})
	}
	event := func(ev, rev string) string {
		return `{"event": "` + ev + `", "property_id": "cx-prop", "payload": {"revision_id": "` + rev + `", "booking_id": "b", "property_id": "cx-prop"}, "user_id": null}`
	}

	// Before a connection, and before a secret, nothing is let in.
	resp, noConn := deliver("whatever-secret-123", event("booking_new", "rev-1"))
	if resp.StatusCode != 401 {
		t.Fatalf("a webhook without a connection: %d %s", resp.StatusCode, noConn)
	}
	for _, v := range []url.Values{
		{"cm_base_url": {srv.URL}, "cm_external_property_id": {"cx-prop"}, "cm_api_key": {"cx-key-12345"}},
		{"map_external_id": {"cx-rt"}, "map_local": {"type:" + f.rt.ID}},
		{"map_external_id": {"cx-rp"}, "map_local": {"plan:" + f.plan.ID}},
	} {
		path := "/settings/channels/mappings"
		if v.Has("cm_base_url") {
			path = "/settings/channels/manager"
		}
		if resp, body := f.page("POST", path, v); resp.StatusCode != 303 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := deliver("whatever-secret-123", event("booking_new", "rev-1")); resp.StatusCode != 401 || body != noConn {
		t.Fatalf("a webhook before a secret was made: %d %s", resp.StatusCode, body)
	}
	resp, page := f.page("POST", "/settings/channels/manager/webhook", url.Values{})
	m := regexp.MustCompile(`id="f-webhook-secret" value="([0-9A-Za-z]{43})"|value="([0-9A-Za-z]{43})" aria-label="Webhook secret"`).FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(page, hook) {
		t.Fatalf("new webhook secret: %d (the page shows no secret or no webhook address)", resp.StatusCode)
	}
	secret := m[1] + m[2]
	if _, again := f.page("GET", "/settings/channels", nil); strings.Contains(again, secret) {
		t.Fatal("the webhook secret is shown again")
	}
	if countIn(t, f, `SELECT count(*) FROM audit_log WHERE action = 'cm_connection.webhook_secret'`) != 1 {
		t.Error("making a webhook secret is not audited")
	}

	today := f.today
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	vcc := map[string]any{"is_virtual": true, "token": "pm_1AuraChannelVCC", "card_number": "411111******1111",
		"meta": map[string]any{"virtual_card_currency_code": "EUR", "virtual_card_current_balance": "180.00", "virtual_card_effective_date": today.AddDays(2).String()}}
	cm.revs["rev-1"] = cmRevision("rev-1", "bk-1", "new", "cx-rt", t0, today.AddDays(1), today.AddDays(2), vcc)

	// Refusals: no secret, a wrong one, another property, bad bodies.
	for _, c := range []struct {
		name, secret, path, body string
		want                     int
	}{
		{"NoSecret", "", hook, event("booking_new", "rev-1"), 401},
		{"WrongSecret", strings.ToLower(secret), hook, event("booking_new", "rev-1"), 401},
		{"PropertyWithoutConnection", secret, "/" + f.t.Slug + "/channels/webhook/prp_aaaaaaaaaaaaaaaa", event("booking_new", "rev-1"), 401},
		{"NotJSON", secret, hook, `{"event": `, 400},
		{"NoEvent", secret, hook, `{"payload": {}}`, 400},
		{"OtherChannelManagerProperty", secret, hook, strings.ReplaceAll(event("booking_new", "rev-1"), "cx-prop", "cx-other"), 400},
	} {
		hdr := map[string]string{}
		if c.secret != "" {
			hdr[channels.WebhookHeader] = c.secret
		}
		resp, body := f.h.do(req{method: "POST", path: c.path, raw: []byte(c.body), contentType: "application/json", header: hdr})
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.name, resp.StatusCode, c.want, body)
		}
		if c.want == 401 && body != noConn {
			t.Errorf("%s: the 401 differs from the one without a connection: %s", c.name, body)
		}
	}
	if countIn(t, f, `SELECT count(*) FROM cm_revisions`) != 0 || len(cm.acks) != 0 {
		t.Fatal("a refused delivery recorded or acknowledged something")
	}
	// An event that is not a booking is answered and ignored.
	if resp, body := deliver(secret, `{"event": "ari", "property_id": "cx-prop", "payload": {}}`); resp.StatusCode != 200 || !strings.Contains(body, "ignored") {
		t.Fatalf("ari event: %d %s", resp.StatusCode, body)
	}

	type answer struct {
		Outcome, BookingID   string
		Repeat, Acknowledged bool
	}
	ok := func(rev string) answer {
		t.Helper()
		resp, body := deliver(secret, event("booking_new", rev))
		if resp.StatusCode != 200 {
			t.Fatalf("deliver %s: %d %s", rev, resp.StatusCode, body)
		}
		var a struct {
			Outcome      string `json:"outcome"`
			BookingID    string `json:"booking_id"`
			Repeat       bool   `json:"repeat"`
			Acknowledged bool   `json:"acknowledged"`
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil || !a.Acknowledged {
			t.Fatalf("deliver %s: %s", rev, body)
		}
		return answer{a.Outcome, a.BookingID, a.Repeat, a.Acknowledged}
	}

	// A new booking: applied, acknowledged after its record, its virtual
	// card attached to the folio as a token.
	a1 := ok("rev-1")
	if a1.Outcome != channels.OutcomeApplied || a1.BookingID == "" || a1.Repeat || cm.acks["rev-1"] != 1 {
		t.Fatalf("rev-1: %+v acks %v", a1, cm.acks)
	}
	if n := countIn(t, f, `SELECT count(*) FROM bookings WHERE id = ? AND source = 'booking.com' AND ota_code = 'BDC-bk-1' AND commission = 1500`, a1.BookingID); n != 1 {
		t.Fatal("the booking was not stored as the revision says")
	}
	if n := countIn(t, f, `SELECT count(*) FROM cm_virtual_cards WHERE booking_id = ? AND status = 'attached' AND payment_method_id = 'pm_1AuraChannelVCC'`, a1.BookingID); n != 1 {
		t.Fatal("the virtual card is not attached")
	}
	if n := countIn(t, f, `SELECT count(*) FROM stripe_cards WHERE kind = 'virtual' AND payment_method_id = 'pm_1AuraChannelVCC' AND max_amount = 18000
		AND activation_date = ? AND source = 'booking.com'`, today.AddDays(2).String()); n != 1 {
		t.Fatal("payments holds no virtual card with the OTA's terms")
	}
	// Delivered again: nothing changes, acknowledged again.
	if a := ok("rev-1"); !a.Repeat || a.BookingID != a1.BookingID || cm.acks["rev-1"] != 2 {
		t.Fatalf("rev-1 again: %+v", a)
	}
	if countIn(t, f, `SELECT count(*) FROM bookings WHERE source = 'booking.com'`) != 1 || countIn(t, f, `SELECT count(*) FROM stripe_cards WHERE kind = 'virtual'`) != 1 {
		t.Fatal("a redelivery made a second booking or card")
	}

	// Two more for tomorrow fill the house (room 1 is taken): the third is
	// stored overbooked, never refused.
	for i, id := range []string{"rev-2", "rev-3"} {
		cm.revs[id] = cmRevision(id, "bk-"+id[4:], "new", "cx-rt", t0.Add(time.Duration(i+1)*time.Minute), today.AddDays(1), today.AddDays(2), nil)
	}
	ok("rev-2")
	a3 := ok("rev-3")
	if a3.Outcome != channels.OutcomeApplied || countIn(t, f, `SELECT count(*) FROM reservations WHERE booking_id = ? AND overbooked = 1`, a3.BookingID) != 1 {
		t.Fatalf("the booking into a full house: %+v", a3)
	}

	// An unmapped room type: stored for attention and acknowledged.
	cm.revs["rev-4"] = cmRevision("rev-4", "bk-4", "new", "cx-unmapped", t0.Add(time.Hour), today.AddDays(3), today.AddDays(4), nil)
	if a := ok("rev-4"); a.Outcome != channels.OutcomeAttention || cm.acks["rev-4"] != 1 {
		t.Fatalf("unmapped: %+v", a)
	}
	// A card number where the token belongs is never stored.
	const pan = "4242424242424242"
	cm.revs["rev-5"] = cmRevision("rev-5", "bk-5", "new", "cx-rt", t0.Add(2*time.Hour), today.AddDays(5), today.AddDays(6),
		map[string]any{"is_virtual": true, "token": pan, "meta": map[string]any{"virtual_card_current_balance": "90.00"}})
	if a := ok("rev-5"); a.Outcome != channels.OutcomeApplied || countIn(t, f, `SELECT count(*) FROM cm_virtual_cards WHERE booking_id = ? AND status = 'failed' AND payment_method_id = ''`, a.BookingID) != 1 {
		t.Fatalf("a card number as token: %+v", a)
	}

	// The channel manager cannot be read: 502, nothing recorded or acked.
	cm.revs["rev-6"] = cmRevision("rev-6", "bk-6", "new", "cx-rt", t0.Add(3*time.Hour), today.AddDays(7), today.AddDays(8), nil)
	cm.fetchFail["rev-6"] = true
	if resp, body := deliver(secret, event("booking_new", "rev-6")); resp.StatusCode != 502 || cm.recorded("rev-6") || cm.acks["rev-6"] != 0 {
		t.Fatalf("unreadable revision: %d %s", resp.StatusCode, body)
	}
	// It does not take the ack: 502, the revision recorded; delivered
	// again, it is a repeat and acknowledged then.
	cm.fetchFail["rev-6"], cm.ackFail["rev-6"] = false, 1
	if resp, body := deliver(secret, event("booking_new", "rev-6")); resp.StatusCode != 502 || !cm.recorded("rev-6") || cm.acks["rev-6"] != 0 {
		t.Fatalf("failed ack: %d %s", resp.StatusCode, body)
	}
	if a := ok("rev-6"); !a.Repeat || cm.acks["rev-6"] != 1 {
		t.Fatalf("rev-6 again: %+v", a)
	}
	if len(cm.early) != 0 {
		t.Fatalf("acknowledged before recorded: %v", cm.early)
	}

	// The attention page lists the overbooking, the unmapped revision and
	// the card; the dashboard points to it.
	resp, body := f.page("GET", "/channels/attention", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("attention page: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="overbooked"`, "BDC-bk-3", `id="revisions"`, "rev-4", "not mapped", `id="cards"`, "Stripe PaymentMethod token"} {
		if !strings.Contains(body, want) {
			t.Errorf("the attention page lacks %q", want)
		}
	}
	if strings.Contains(body, pan) {
		t.Error("the attention page shows a card number")
	}
	if _, dash := f.page("GET", "/", nil); !strings.Contains(dash, "/channels/attention") || !strings.Contains(dash, `id="channel-alerts"`) {
		t.Error("the dashboard does not point to the attention page")
	}
	if resp, _ := f.page("POST", "/channels/attention/revisions/rev-4/resolve", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("resolve: %d", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/channels/attention/revisions/rev-1/resolve", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("resolving an applied revision: %d, want 404", resp.StatusCode)
	}
	if _, body := f.page("GET", "/channels/attention", nil); strings.Contains(body, "rev-4") {
		t.Error("a resolved revision is still listed")
	}
	if countIn(t, f, `SELECT count(*) FROM audit_log WHERE action = 'channel_revision.resolved' AND entity_id = 'rev-4'`) != 1 {
		t.Error("resolving is not audited")
	}
	// The full resync, from the page and the API, queues the whole horizon
	// (again: a queued row is coalesced, its generation bumped).
	gens := func() int {
		return countIn(t, f, `SELECT coalesce(sum(gen), 0) FROM ari_outbox WHERE date_from = '0000-01-01' AND date_to = '9999-12-31'`)
	}
	before := gens()
	if resp, _ := f.page("POST", "/settings/channels/manager/resync", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("resync page: %d", resp.StatusCode)
	}
	if n := countIn(t, f, `SELECT count(*) FROM ari_outbox WHERE date_from = '0000-01-01'`); n != 2 || gens() != before+2 {
		t.Errorf("the resync queued %d rows (generations %d → %d), want the room type and the rate plan", n, before, gens())
	}
	if resp, body := f.api("POST", "/channels/resync?property_id="+f.prop.ID, ""); resp.StatusCode != 202 || !strings.Contains(body, `"queued"`) {
		t.Errorf("resync API: %d %s", resp.StatusCode, body)
	}
	if countIn(t, f, `SELECT count(*) FROM audit_log WHERE action = 'ari.resync_queued'`) != 2 { // the page and the API
		t.Error("the resync is not audited")
	}

	db := f.h.acquire(f.t.Slug)
	files := pmstest.ReadTenantFiles(t, db)
	db.Release()
	if strings.Contains(string(files), pan) || strings.Contains(string(files), secret) {
		t.Error("a card number or the webhook secret is in the tenant's files")
	}
}

// countIn runs a count query on the fixture's tenant file.
func countIn(t *testing.T, f *pmsFixture, query string, args ...any) int {
	t.Helper()
	db := f.h.acquire(f.t.Slug)
	defer db.Release()
	var n int
	if err := db.View(context.Background(), func(tx *tenant.Tx) error { return tx.QueryRow(query, args...).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}
