package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestChannelManagerJob: with a property connected to a Channex-like
// server (API key sealed), serve's scheduler pulls and applies its booking
// revisions, acknowledges them, and pushes availability (the resync of
// connecting and the new booking's nights) on its own, once a minute.
func TestChannelManagerJob(t *testing.T) {
	clock := auratest.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	te := auratest.New(t, auratest.Options{Now: clock.Now})
	te.CreateTenant(t, "harbour")
	db := te.Acquire(t, "harbour")
	ctx := auratest.Ctx()
	today := date.Of(clock.Now(), time.UTC)
	prop, err := inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Harbour", TimeZone: "UTC", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 2, BaseOccupancy: 2})
	for _, n := range []string{"1", "2"} {
		inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: n})
	}
	plan, _ := inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true})
	inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(60), Price: &tenant.Money{Amount: 9000, Currency: "EUR"}})

	var mu sync.Mutex
	acked := map[string]bool{}
	availability := map[string]float64{}
	arrival := today.AddDays(5).String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("user-api-key") != "cx-secret-key-123" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/booking_revisions/feed":
			var data []any
			if !acked["rev-1"] {
				data = append(data, map[string]any{"id": "rev-1", "attributes": map[string]any{"booking_id": "cx-b1", "status": "new",
					"inserted_at": "2026-03-10T11:00:00Z", "ota_name": "Expedia", "ota_reservation_code": "EX123",
					"customer": map[string]any{"name": "Lea", "surname": "Sand"},
					"rooms": []any{map[string]any{"room_type_id": "cx-rt", "rate_plan_id": "cx-rp", "checkin_date": arrival, "checkout_date": today.AddDays(7).String(),
						"occupancy": map[string]int{"adults": 2}}}}})
			}
			json.NewEncoder(w).Encode(map[string]any{"data": data})
		case r.Method == "POST" && r.URL.Path == "/api/v1/booking_revisions/rev-1/ack":
			acked["rev-1"] = true
		case r.Method == "POST" && r.URL.Path == "/api/v1/availability":
			var body struct{ Values []map[string]any }
			json.NewDecoder(r.Body).Decode(&body)
			for _, v := range body.Values {
				from, _ := date.Parse(v["date_from"].(string))
				to, _ := date.Parse(v["date_to"].(string))
				for d := from; !d.After(to); d = d.AddDays(1) {
					availability[d.String()] = v["availability"].(float64)
				}
			}
		case r.Method == "POST" && r.URL.Path == "/api/v1/restrictions":
		default:
			http.Error(w, "no such endpoint", http.StatusNotFound)
		}
	}))
	defer srv.Close()

	st := channels.New(db)
	st.MapExternal(ctx, prop.ID, "room_type", "cx-rt", rt.ID)
	st.MapExternal(ctx, prop.ID, "rate_plan", "cx-rp", plan.ID)
	if _, err := st.SetConnection(ctx, channels.ConnectionInput{PropertyID: prop.ID, Provider: "channex", BaseURL: srv.URL, ExternalPropertyID: "cx-prop", APIKey: "cx-secret-key-123"}); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	db.SQL().Read.QueryRow(`SELECT api_key FROM cm_connections`).Scan(&sealed)
	if bytes.Contains(sealed, []byte("cx-secret-key-123")) {
		t.Fatal("the API key is stored in the clear")
	}

	serve := &env{control: te.Control, router: te.Router, platform: te.Platform, now: clock.Now}
	s := &control.Scheduler{Service: te.Control, Jobs: serve.tenantJobs(), Now: clock.Now, MaxWait: time.Hour}
	s.RunDue(context.Background())
	mu.Lock()
	if !acked["rev-1"] || availability[arrival] != 1 || availability[today.AddDays(10).String()] != 2 {
		t.Errorf("after a tick: acked %v, availability on the arrival %v, later %v", acked, availability[arrival], availability[today.AddDays(10).String()])
	}
	mu.Unlock()
	var n int
	db.SQL().Read.QueryRow(`SELECT count(*) FROM bookings WHERE source = 'expedia' AND ota_code = 'EX123'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d Expedia bookings", n)
	}
	// A change here goes out at the next tick, not before.
	_, err = stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: prop.ID, Source: stays.SourceDirect,
		Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Ola", FamilyName: "Nord"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: rt.ID, RatePlanID: plan.ID, Arrival: today.AddDays(5), Departure: today.AddDays(6), Adults: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	s.RunDue(context.Background())
	mu.Lock()
	if availability[arrival] != 1 {
		t.Errorf("pushed before the minute was up: %v", availability[arrival])
	}
	mu.Unlock()
	clock.Advance(time.Minute)
	s.RunDue(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if availability[arrival] != 0 {
		t.Errorf("after the next tick the arrival night shows %v, want 0", availability[arrival])
	}
}
