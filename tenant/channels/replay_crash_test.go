package channels_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

type replayEnv struct{ Path, ID, Key, Property, URL string }

// TestReplayCrashChild syncs revisions until the feed is empty (run by
// TestReplayCrash only, which kills it).
func TestReplayCrashChild(t *testing.T) {
	raw := os.Getenv("AURA_REPLAY_CRASH")
	if raw == "" {
		return
	}
	var env replayEnv
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(env.Key)
	db, err := tenant.OpenFile(context.Background(), env.Path, tenant.Info{ID: env.ID, Slug: "replay", Status: tenant.StatusActive, DataKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := aura.WithActor(context.Background(), aura.SystemActor("replay-test"))
	cm := &channels.Channex{BaseURL: env.URL, APIKey: "test-key", PropertyID: "cx-prop"}
	for {
		res, err := channels.New(db).Sync(ctx, env.Property, cm)
		if err == nil && res.Pulled == 0 {
			return
		}
	}
}

// TestReplayCrash replays the 1,000 revisions with Aura itself killed
// (SIGKILL) three times mid-way and restarted: in the end every revision
// is recorded once, every booking is here once as its newest revision
// says.
func TestReplayCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tnt_replayreplayrep1.db")
	const id = "tnt_replayreplayrep1"
	key := keys.NewKey()
	if err := tenant.Create(context.Background(), path, id, "replay", "Replay", time.Now()); err != nil {
		t.Fatal(err)
	}
	open := func() *tenant.DB {
		db, err := tenant.OpenFile(context.Background(), path, tenant.Info{ID: id, Slug: "replay", Status: tenant.StatusActive, DataKey: key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	ctx := aura.WithActor(context.Background(), aura.SystemActor("replay-test"))
	prop := pmstest.Must(inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Replay", TimeZone: "UTC", Currency: "EUR"}))(t)
	rt := pmstest.Must(inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 3, BaseOccupancy: 2}))(t)
	for i := 0; i < 6; i++ {
		pmstest.Must(inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: fmt.Sprint(101 + i)}))(t)
	}
	plan := pmstest.Must(inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true}))(t)
	today := date.Today(time.UTC)
	pmstest.Must(inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(120), Price: &tenant.Money{Amount: 9000, Currency: "EUR"}}))(t)
	st := channels.New(db)
	st.MapExternal(ctx, prop.ID, "room_type", "cx-rt-dbl", rt.ID)
	st.MapExternal(ctx, prop.ID, "rate_plan", "cx-rp-flex", plan.ID)
	db.Close()

	revs, want := genRevisions(t, today)
	fc := &fakeChannex{revs: revs, acked: map[string]int{}, page: 50, applied: func(string) bool { return true }}
	srv := httptest.NewServer(fc.handler())
	defer srv.Close()
	env, _ := json.Marshal(replayEnv{Path: path, ID: id, Key: hex.EncodeToString(key), Property: prop.ID, URL: srv.URL})
	ackedCount := func() int { fc.mu.Lock(); defer fc.mu.Unlock(); return len(fc.acked) }
	for kill := 1; kill <= 3; kill++ {
		child := exec.Command(os.Args[0], "-test.run=^TestReplayCrashChild$")
		child.Env = append(os.Environ(), "AURA_REPLAY_CRASH="+string(env))
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		target := kill*250 + 37*kill // mid-page, a different point each time
		deadline := time.Now().Add(60 * time.Second)
		for ackedCount() < target && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Fatalf("the child ended before the kill: %v", err)
			case <-time.After(2 * time.Millisecond):
			}
		}
		child.Process.Kill() // SIGKILL
		<-done
		t.Logf("kill %d after %d acknowledgements", kill, ackedCount())
	}

	// Restarted: the rest of the feed.
	db = open()
	defer db.Close()
	st = channels.New(db)
	cm := &channels.Channex{BaseURL: srv.URL, APIKey: "test-key", PropertyID: "cx-prop"}
	for i := 0; i < 100; i++ {
		res, err := st.Sync(ctx, prop.ID, cm)
		if err != nil {
			t.Fatal(err)
		}
		if res.Pulled == 0 {
			break
		}
	}
	var nrev, nb int
	db.SQL().Read.QueryRow(`SELECT count(*) FROM cm_revisions`).Scan(&nrev)
	db.SQL().Read.QueryRow(`SELECT count(*) FROM bookings`).Scan(&nb)
	if nrev != 1000 || len(fc.acked) != 1000 || nb != len(want) {
		t.Fatalf("%d revisions recorded, %d acknowledged, %d bookings; want 1000, 1000, %d", nrev, len(fc.acked), nb, len(want))
	}
	for key, w := range want {
		var bid string
		if err := db.SQL().Read.QueryRow(`SELECT id FROM bookings WHERE ota_code = ?`, w.code).Scan(&bid); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		r := pmstest.Must(stays.New(db).GetBooking(ctx, bid))(t).Reservations[0]
		cancelled := r.Status == stays.ReservationCancelled
		if cancelled != (w.status == channels.RevisionCancelled) || !cancelled && (r.Arrival != w.arrival || r.Departure != w.departure) {
			t.Errorf("%s: here %s %s–%s, newest revision %s %s–%s", key, r.Status, r.Arrival, r.Departure, w.status, w.arrival, w.departure)
		}
	}
}
