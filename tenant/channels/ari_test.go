package channels_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// recordingTarget is a channel manager that records every request, and
// can refuse some with 429.
type recordingTarget struct {
	mu       sync.Mutex
	requests [][]channels.ARIUpdate
	at       []time.Time
	now      func() time.Time
	refuse   int // the next n requests get 429
	fail     int // the next n requests fail (the connection drops)
	wait     time.Duration
	// avail and price are the channel manager's view after all requests.
	avail map[string]int
	price map[string]int64
}

func newTarget(now func() time.Time) *recordingTarget {
	return &recordingTarget{now: now, avail: map[string]int{}, price: map[string]int64{}}
}

func (r *recordingTarget) PushARI(ctx context.Context, propertyID string, ups []channels.ARIUpdate) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return fmt.Errorf("connection reset")
	}
	if r.refuse > 0 {
		r.refuse--
		return &channels.RetryAfter{Wait: r.wait}
	}
	r.requests = append(r.requests, append([]channels.ARIUpdate(nil), ups...))
	if r.now != nil {
		r.at = append(r.at, r.now())
	}
	for _, u := range ups {
		for d := u.From; d.Before(u.To); d = d.AddDays(1) {
			if u.Kind == channels.ARIAvailability {
				r.avail[u.RoomTypeID+"/"+d.String()] = u.Availability
			} else if u.Price != nil {
				r.price[u.RatePlanID+"/"+d.String()] = *u.Price
			}
		}
	}
	return nil
}

func drain(t *testing.T, p *channels.ARIPusher) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, wait, err := p.PushOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 && wait == 0 {
			return
		}
		if wait > 0 {
			t.Fatalf("drain: the pusher waits %s", wait)
		}
	}
	t.Fatal("the outbox does not drain")
}

// TestARIOutbox: a booking, a cancellation, a rate edit and a room out of
// order queue their ARI in their own transaction (a refused booking queues
// nothing); the pusher sends each day's latest value once, coalesced into
// runs, and empties the outbox.
func TestARIOutbox(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-10")
	st := channels.New(f.DB)
	target := newTarget(nil)
	p := &channels.ARIPusher{Store: st, Target: target, PerMinute: 1000}
	// A property not connected to a channel manager queues nothing.
	f.Book(t, f.Day(50), f.Day(51))
	if n := pmstest.Must(st.OutboxLen(f.Ctx))(t); n != 0 {
		t.Fatalf("%d rows queued without a channel manager", n)
	}
	if err := st.ConnectARI(f.Ctx, f.Prop.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, p) // the full resync of connecting
	if len(target.avail) != 365 || len(target.price) != 365 || target.avail[f.RT.ID+"/"+f.Day(50).String()] != 2 {
		t.Fatalf("the resync sent %d availability and %d price days", len(target.avail), len(target.price))
	}
	if n := pmstest.Must(st.OutboxLen(f.Ctx))(t); n != 0 {
		t.Fatalf("%d rows after draining", n)
	}
	target.requests = nil

	// Three stays the 20th to the 23rd: the house is full those nights; a
	// fourth is refused and queues nothing.
	var res []stays.Reservation
	for i := 0; i < 3; i++ {
		res = append(res, f.Book(t, f.Day(10), f.Day(13)))
	}
	n := pmstest.Must(st.OutboxLen(f.Ctx))(t)
	if n == 0 {
		t.Fatal("a booking queued nothing")
	}
	if _, err := stays.New(f.DB).CreateBooking(f.Ctx, f.Booking(f.Day(10), f.Day(13))); aura.ErrorCode(err) != aura.ECONFLICT {
		t.Fatalf("a fourth booking: %v", err)
	}
	if m := pmstest.Must(st.OutboxLen(f.Ctx))(t); m != n {
		t.Errorf("a refused booking queued %d rows", m-n)
	}
	// One is cancelled again, the same days change three times before a
	// push: the push sends the latest value once.
	pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, res[2].ID, stays.CancelInput{Version: res[2].Version}))(t)
	// A request that fails keeps the outbox as it was.
	target.fail = 1
	if _, _, err := p.PushOnce(f.Ctx); err == nil {
		t.Fatal("a failed request was not reported")
	}
	if m := pmstest.Must(st.OutboxLen(f.Ctx))(t); m == 0 {
		t.Fatal("a failed request emptied the outbox")
	}
	drain(t, p)
	var avail []channels.ARIUpdate
	for _, req := range target.requests {
		for _, u := range req {
			if u.Kind == channels.ARIAvailability {
				avail = append(avail, u)
			}
		}
	}
	if len(avail) != 1 || avail[0].From != f.Day(10) || avail[0].To != f.Day(13) || avail[0].Availability != 1 || avail[0].RoomTypeID != f.RT.ID {
		t.Fatalf("availability sent: %+v", avail)
	}

	// A rate edit and a room out of order.
	target.requests = nil
	pmstest.Must(inventory.New(f.DB).UpdateRates(f.Ctx, inventory.RateUpdate{RatePlanID: f.Plan.ID, From: f.Day(30), To: f.Day(32), Price: &tenant.Money{Amount: 12900, Currency: "EUR"}}))(t)
	pmstest.Must(inventory.New(f.DB).CreateRoomBlock(f.Ctx, inventory.RoomBlockInput{RoomID: f.Rooms[0].ID, Kind: inventory.OutOfOrder, Start: f.Day(40), End: f.Day(41), Reason: "paint"}))(t)
	drain(t, p)
	if target.price[f.Plan.ID+"/"+f.Day(30).String()] != 12900 || target.price[f.Plan.ID+"/"+f.Day(31).String()] != 12900 {
		t.Errorf("rates sent: %+v", target.requests)
	}
	if target.avail[f.RT.ID+"/"+f.Day(40).String()] != 2 {
		t.Errorf("out of order not sent: %+v", target.requests)
	}
	if len(target.requests) != 1 {
		t.Errorf("%d requests for one property's changes, want 1 batch", len(target.requests))
	}
}

// TestARIRateLimit: with a limit of 3 requests a minute on a fake clock,
// the pusher never sends a fourth within a minute, says how long to wait,
// goes on where it stopped, and after a 429 waits the Retry-After.
func TestARIRateLimit(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-10")
	st := channels.New(f.DB)
	clock := auratest.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	target := newTarget(clock.Now)
	p := &channels.ARIPusher{Store: st, Target: target, PerMinute: 3, BatchSize: 1, Now: clock.Now}
	// Seven separate nights, each its own run: seven updates, one a request.
	bulk := &channels.ARIPusher{Store: st, Target: newTarget(nil), PerMinute: 1000, BatchSize: 100000}
	if err := st.ConnectARI(f.Ctx, f.Prop.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, bulk)
	for i := 0; i < 7; i++ {
		f.Book(t, f.Day(10+2*i), f.Day(11+2*i))
	}
	sent, wait, err := p.PushOnce(f.Ctx)
	if err != nil || sent != 3 || wait <= 0 || wait > time.Minute {
		t.Fatalf("first pass: %d sent, wait %s, %v", sent, wait, err)
	}
	if sent, _, _ := p.PushOnce(f.Ctx); sent != 0 {
		t.Fatalf("%d more within the minute", sent)
	}
	clock.Advance(wait)
	sent, wait, err = p.PushOnce(f.Ctx)
	if err != nil || sent != 3 || wait <= 0 {
		t.Fatalf("second minute: %d %s %v", sent, wait, err)
	}
	// A 429 with Retry-After 30s: nothing before, the rest after.
	clock.Advance(wait)
	target.refuse, target.wait = 1, 30*time.Second
	sent, wait, err = p.PushOnce(f.Ctx)
	if err != nil || sent != 1 || wait != 30*time.Second {
		t.Fatalf("429: %d %s %v", sent, wait, err)
	}
	clock.Advance(10 * time.Second)
	if sent, w, _ := p.PushOnce(f.Ctx); sent != 0 || w != 20*time.Second {
		t.Fatalf("inside Retry-After: %d sent, wait %s", sent, w)
	}
	clock.Advance(20 * time.Second)
	sent, wait, err = p.PushOnce(f.Ctx)
	if err != nil || sent != 1 || wait != 0 {
		t.Fatalf("after Retry-After: %d %s %v", sent, wait, err)
	}
	if n := pmstest.Must(st.OutboxLen(f.Ctx))(t); n != 0 {
		t.Errorf("%d rows left", n)
	}
	// Never more than 3 accepted requests in any minute, and every night sent once.
	for i := range target.at {
		k := 0
		for _, t2 := range target.at[i:] {
			if t2.Sub(target.at[i]) < time.Minute {
				k++
			}
		}
		if k > 3 {
			t.Errorf("%d requests within a minute from %s", k, target.at[i])
		}
	}
	if len(target.requests) != 7 {
		t.Errorf("%d requests for 7 nights", len(target.requests))
	}
	for i := 0; i < 7; i++ {
		if v, ok := target.avail[f.RT.ID+"/"+f.Day(10+2*i).String()]; !ok || v != 2 {
			t.Errorf("night %d: %d %v", i, v, ok)
		}
	}
}

// crashEnv is what the crash child needs to open the file.
type crashEnv struct {
	Path, ID, Key, Property, RoomType, Plan string
}

// TestARIOutboxCrashChild books stays one after another, saying ACK after
// each commit, until it is killed (run by TestARIOutboxCrash only).
func TestARIOutboxCrashChild(t *testing.T) {
	raw := os.Getenv("AURA_ARI_CRASH")
	if raw == "" {
		return
	}
	var env crashEnv
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(env.Key)
	db, err := tenant.OpenFile(context.Background(), env.Path, tenant.Info{ID: env.ID, Slug: "crash", Status: tenant.StatusActive, DataKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := aura.WithActor(context.Background(), aura.SystemActor("crash-test"))
	today := date.Today(time.UTC)
	for i := 0; ; i++ {
		arrival := today.AddDays(2 + i%200)
		b, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: env.Property, Source: stays.SourceDirect,
			Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Kim", FamilyName: fmt.Sprint("Crash", i)}},
			Reservations: []stays.ReservationInput{{RoomTypeID: env.RoomType, RatePlanID: env.Plan, Arrival: arrival, Departure: arrival.AddDays(2), Adults: 1}}})
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		fmt.Println("ACK", b.Reservations[0].ID)
	}
}

// TestARIOutboxCrash kills (SIGKILL) a process that is booking stays; on
// the file it leaves, every stay that was committed — acknowledged or not
// — has its nights in the outbox, and the pusher then brings the channel
// manager to exactly the availability the file holds.
func TestARIOutboxCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tnt_crash.db")
	key := keys.NewKey()
	const id = "tnt_crashcrashcrash1"
	if err := tenant.Create(context.Background(), path, id, "crash", "Crash", time.Now()); err != nil {
		t.Fatal(err)
	}
	open := func() *tenant.DB {
		db, err := tenant.OpenFile(context.Background(), path, tenant.Info{ID: id, Slug: "crash", Status: tenant.StatusActive, DataKey: key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	ctx := aura.WithActor(context.Background(), aura.SystemActor("crash-test"))
	prop := pmstest.Must(inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Crash", TimeZone: "UTC", Currency: "EUR"}))(t)
	rt := pmstest.Must(inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 2, BaseOccupancy: 2}))(t)
	for i := 0; i < 40; i++ {
		pmstest.Must(inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: fmt.Sprint(100 + i)}))(t)
	}
	plan := pmstest.Must(inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true}))(t)
	// The property's business date, which the pusher's horizon starts from:
	// it turns over after midnight, so the calendar date is a day ahead of
	// it in the small hours (the test failed from 00:00 UTC).
	today := pmstest.Must(inventory.New(db).PropertyToday(ctx, prop.ID))(t)
	pmstest.Must(inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(300), Price: &tenant.Money{Amount: 9000, Currency: "EUR"}}))(t)
	target := newTarget(nil)
	if err := channels.New(db).ConnectARI(ctx, prop.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, &channels.ARIPusher{Store: channels.New(db), Target: target, PerMinute: 1000, BatchSize: 100000})
	db.Close()

	env, _ := json.Marshal(crashEnv{Path: path, ID: id, Key: hex.EncodeToString(key), Property: prop.ID, RoomType: rt.ID, Plan: plan.ID})
	child := exec.Command(os.Args[0], "-test.run=^TestARIOutboxCrashChild$")
	child.Env = append(os.Environ(), "AURA_ARI_CRASH="+string(env))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 60 {
		if id, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			acked[id] = true
		}
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL, mid-stream
		t.Fatal(err)
	}
	child.Wait()
	if len(acked) < 60 {
		t.Fatalf("the child acknowledged %d bookings", len(acked))
	}

	db = open()
	defer db.Close()
	st := channels.New(db)
	// Every committed reservation's nights are queued.
	rows, err := db.SQL().Read.Query(`SELECT DISTINCT n.room_type_id, n.date FROM reservation_nights n
		WHERE NOT EXISTS (SELECT 1 FROM ari_outbox o WHERE o.kind = 'availability' AND o.target_id = n.room_type_id AND o.date_from <= n.date AND o.date_to > n.date)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rtID, d string
		rows.Scan(&rtID, &d)
		t.Errorf("the night %s of a committed stay is not in the outbox", d)
	}
	rows.Close()
	var committed int
	db.SQL().Read.QueryRow(`SELECT count(*) FROM reservations`).Scan(&committed)
	for rid := range acked {
		var n int
		db.SQL().Read.QueryRow(`SELECT count(*) FROM reservations WHERE id = ?`, rid).Scan(&n)
		if n != 1 {
			t.Errorf("acknowledged reservation %s is not in the file", rid)
		}
	}
	drain(t, &channels.ARIPusher{Store: st, Target: target, PerMinute: 1000, BatchSize: 100000})
	a, err := inventory.New(db).Availability(ctx, prop.ID, today.AddDays(2), today.AddDays(365)) // the pusher's horizon
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range a.RoomTypes[0].Nights {
		if got, ok := target.avail[rt.ID+"/"+n.Date.String()]; !ok || got != n.Available {
			t.Errorf("%s: the channel manager has %d (%v), the file %d", n.Date, got, ok, n.Available)
		}
	}
	t.Logf("%d acknowledged, %d committed before the kill", len(acked), committed)
}
