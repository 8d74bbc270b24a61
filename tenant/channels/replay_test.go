package channels_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/stays"
)

// fakeChannex is a channel manager speaking Channex's feed and ack API. It
// delivers unacknowledged revisions a page at a time in a shuffled order
// (so revisions of a booking arrive out of order), repeats some, and
// checks at every ack that the revision was already recorded by Aura.
type fakeChannex struct {
	mu         sync.Mutex
	revs       []map[string]any // in delivery order, duplicates included
	acked      map[string]int
	page       int
	failAcks   int // the next n acks answer 500 (and are not recorded)
	applied    func(id string) bool
	ackEarly   []string
	deliveries int
}

func (fc *fakeChannex) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/booking_revisions/feed", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		if r.Header.Get("user-api-key") != "test-key" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var out []map[string]any
		for _, rv := range fc.revs {
			if fc.acked[rv["id"].(string)] > 0 {
				continue
			}
			out = append(out, rv)
			if len(out) == fc.page {
				break
			}
		}
		fc.deliveries += len(out)
		json.NewEncoder(w).Encode(map[string]any{"data": out})
	})
	mux.HandleFunc("POST /api/v1/booking_revisions/{id}/ack", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !fc.applied(id) {
			fc.mu.Lock()
			fc.ackEarly = append(fc.ackEarly, id)
			fc.mu.Unlock()
		}
		fc.mu.Lock()
		defer fc.mu.Unlock()
		if fc.failAcks > 0 {
			fc.failAcks--
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		fc.acked[id]++
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// TestReplay1000Revisions: 1,000 booking revisions (new, modified,
// cancelled) of 320 bookings of a 6-room type, delivered out of order and
// some twice, through Channex's API: the channel-manager server is killed
// mid-way and restarted, some acks fail; in the end every booking is here
// once, as its newest revision says, the overbooked ones flagged, and no
// revision was acknowledged before it was recorded.
func TestReplay1000Revisions(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 6, "2026-03-10")
	st := channels.New(f.DB)
	if err := st.MapExternal(f.Ctx, f.Prop.ID, "room_type", "cx-rt-dbl", f.RT.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.MapExternal(f.Ctx, f.Prop.ID, "rate_plan", "cx-rp-flex", f.Plan.ID); err != nil {
		t.Fatal(err)
	}

	revs, want := genRevisions(t, f.Today)
	const bookings = 320
	recorded := func(id string) bool {
		var n int
		f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM cm_revisions WHERE revision_id = ?`, id).Scan(&n)
		return n == 1
	}
	fc := &fakeChannex{revs: revs, acked: map[string]int{}, page: 100, applied: recorded}
	srv := httptest.NewServer(fc.handler())
	cm := &channels.Channex{BaseURL: srv.URL, APIKey: "test-key", PropertyID: "cx-prop"}

	sync := func() (channels.SyncResult, error) { return st.Sync(f.Ctx, f.Prop.ID, cm) }
	// Three pages, then the channel manager dies.
	for i := 0; i < 3; i++ {
		if _, err := sync(); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()
	if _, err := sync(); err == nil {
		t.Fatal("a sync against a dead server succeeded")
	}
	// It comes back on another address with the same state; some acks fail.
	srv = httptest.NewServer(fc.handler())
	defer srv.Close()
	cm.BaseURL = srv.URL
	fc.mu.Lock()
	fc.failAcks = 3
	fc.mu.Unlock()
	var total channels.SyncResult
	for i := 0; i < 100; i++ {
		res, err := sync()
		if err != nil {
			continue // a failed ack: the revision comes again
		}
		total.Repeats += res.Repeats
		total.Superseded += res.Superseded
		if res.Pulled == 0 {
			break
		}
	}
	if len(fc.ackEarly) != 0 {
		t.Fatalf("acknowledged before recorded: %v", fc.ackEarly[:min(5, len(fc.ackEarly))])
	}
	for i := 0; i < 1000; i++ {
		if id := fmt.Sprint(revs[i]["id"]); fc.acked[id] == 0 && !recorded(id) {
			t.Fatalf("revision %s neither recorded nor acknowledged", id)
		}
	}
	var nrev, attention int
	f.DB.SQL().Read.QueryRow(`SELECT count(*), count(*) FILTER (WHERE outcome = 'attention') FROM cm_revisions`).Scan(&nrev, &attention)
	if nrev != 1000 || len(fc.acked) != 1000 {
		t.Fatalf("%d revisions recorded, %d acknowledged; want 1000", nrev, len(fc.acked))
	}

	// Every booking once, as its newest revision says.
	var nb int
	f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM bookings WHERE source = 'booking.com'`).Scan(&nb)
	if nb != bookings {
		t.Fatalf("%d bookings stored, want %d", nb, bookings)
	}
	wrong, over := 0, 0
	for key, w := range want {
		var id string
		if err := f.DB.SQL().Read.QueryRow(`SELECT id FROM bookings WHERE source = 'booking.com' AND ota_code = ?`, w.code).Scan(&id); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		b := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, id))(t)
		r := b.Reservations[0]
		cancelled := r.Status == stays.ReservationCancelled
		if cancelled != (w.status == channels.RevisionCancelled) || !cancelled && (r.Arrival != w.arrival || r.Departure != w.departure) {
			wrong++
			if wrong < 5 {
				t.Errorf("%s: here %s %s–%s, newest revision %s %s–%s", key, r.Status, r.Arrival, r.Departure, w.status, w.arrival, w.departure)
			}
		}
		if r.Overbooked {
			over++
		}
		if b.Commission.Amount != 1800 {
			t.Errorf("%s: commission %d", key, b.Commission.Amount)
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d bookings differ from their newest revision (%d revisions for attention)", wrong, bookings, attention)
	}
	if over == 0 {
		t.Error("no booking was flagged overbooked, though the house was sold beyond its rooms")
	}
	// No night sold beyond the rooms without its stays flagged.
	a := f.Available(t, f.Day(0), f.Day(70))
	for i, n := range a {
		if n < 0 {
			var flagged int
			d := f.Day(0).AddDays(i)
			f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM reservations r JOIN reservation_nights n ON n.reservation_id = r.id
				WHERE n.date = ? AND n.holds = 1 AND r.overbooked = 1`, d).Scan(&flagged)
			if flagged == 0 {
				t.Errorf("%s is sold %d beyond its rooms with no stay flagged", d, -n)
			}
		}
	}
	f.VerifyAudit(t)
	t.Logf("1000 revisions: %d delivered (duplicates and redeliveries included), %d repeats recognised, %d superseded, %d for attention, %d bookings overbooked",
		fc.deliveries, total.Repeats, total.Superseded, attention, over)
}

// finalState is what a booking's newest revision says.
type finalState struct {
	status             string
	arrival, departure date.Date
	code               string
}

// genRevisions makes 1,000 Channex-style revisions of 320 bookings (new,
// then modifications, a third of them cancelled at the end) with stays
// from today+2 on, shuffled, 60 of them twice.
func genRevisions(t *testing.T, today date.Date) ([]map[string]any, map[string]finalState) {
	day := today.AddDays
	// The revisions: each booking a new, then modifications, maybe a
	// cancellation; 1,000 in all.
	rng := rand.New(rand.NewPCG(17, 1))
	want := map[string]finalState{}
	var revs []map[string]any
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const bookings = 320
	remaining := 1000
	for b := 0; b < bookings; b++ {
		n := 1
		left := bookings - b - 1
		if extra := remaining - 1 - left; extra > 0 {
			n += min(extra, rng.IntN(5))
		}
		if b == bookings-1 {
			n = remaining
		}
		remaining -= n
		key := fmt.Sprintf("cx-bkg-%03d", b)
		code := fmt.Sprintf("BDC%06d", 100000+b)
		arr := day(3 + rng.IntN(50))
		dep := arr.AddDays(1 + rng.IntN(3))
		for i := 0; i < n; i++ {
			status := channels.RevisionModified
			switch {
			case i == 0:
				status = channels.RevisionNew
			case i == n-1 && rng.IntN(3) == 0:
				status = channels.RevisionCancelled
			default:
				arr = arr.AddDays(rng.IntN(5) - 2)
				if arr.Before(day(2)) {
					arr = day(2)
				}
				dep = arr.AddDays(1 + rng.IntN(3))
			}
			days := map[string]string{}
			for d := arr; d.Before(dep); d = d.AddDays(1) {
				days[d.String()] = "120.00"
			}
			revs = append(revs, map[string]any{"id": fmt.Sprintf("rev-%03d-%d", b, i), "type": "booking_revision", "attributes": map[string]any{
				"booking_id": key, "status": status, "inserted_at": base.Add(time.Duration(b*10+i) * time.Minute).Format(time.RFC3339),
				"ota_name": "Booking.com", "ota_reservation_code": code, "ota_commission": "18.00",
				"customer": map[string]any{"name": "Guest", "surname": fmt.Sprint("No", b), "mail": fmt.Sprintf("g%d@example.com", b)},
				"rooms": []map[string]any{{"room_type_id": "cx-rt-dbl", "rate_plan_id": "cx-rp-flex", "checkin_date": arr.String(), "checkout_date": dep.String(),
					"occupancy": map[string]int{"adults": 2, "children": 0}, "days": days}},
			}})
			want[key] = finalState{status: status, arrival: arr, departure: dep, code: code}
		}
	}
	if len(revs) != 1000 {
		t.Fatalf("%d revisions generated", len(revs))
	}
	// Out of order, and 60 delivered twice.
	rng.Shuffle(len(revs), func(i, j int) { revs[i], revs[j] = revs[j], revs[i] })
	for i := 0; i < 60; i++ {
		revs = append(revs, revs[rng.IntN(1000)])
	}
	rng.Shuffle(len(revs), func(i, j int) { revs[i], revs[j] = revs[j], revs[i] })

	return revs, want
}
