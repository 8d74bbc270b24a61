package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
)

// TestICalImportJob: serve's scheduler polls a feed on its own, first at
// once, then when its interval has passed (not before), with the ETag of
// the last answer.
func TestICalImportJob(t *testing.T) {
	sample, err := os.ReadFile("../../tenant/channels/testdata/airbnb.ics")
	if err != nil {
		t.Fatal(err)
	}
	var full, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"s1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"s1"`)
		w.Write(sample)
	}))
	defer srv.Close()

	clock := auratest.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	te := auratest.New(t, auratest.Options{Now: clock.Now})
	te.CreateTenant(t, "dunes")
	db := te.Acquire(t, "dunes")
	ctx := auratest.Ctx()
	prop, err := inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Dunes", TimeZone: "Europe/Berlin", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "APT", Name: "Apartment", Capacity: 4, BaseOccupancy: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: "A1"}); err != nil {
		t.Fatal(err)
	}
	feed, err := channels.New(db).CreateFeed(ctx, channels.FeedInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Channel: "airbnb", URL: srv.URL, IntervalMinutes: 30})
	if err != nil {
		t.Fatal(err)
	}

	serve := &env{control: te.Control, router: te.Router, platform: te.Platform, icalFetcher: &channels.Fetcher{AllowPrivate: true}}
	s := &control.Scheduler{Service: te.Control, Jobs: serve.tenantJobs(), Now: clock.Now, MaxWait: time.Hour}
	s.RunDue(context.Background())
	if full.Load() != 1 {
		t.Fatalf("first tick: %d fetches", full.Load())
	}
	blocks, err := channels.New(db).ListChannelBlocks(ctx, feed.ID)
	if err != nil || len(blocks) != 4 {
		t.Fatalf("blocks after the first poll: %d %v", len(blocks), err)
	}
	clock.Advance(20 * time.Minute)
	s.RunDue(context.Background())
	if full.Load()+conditional.Load() != 1 {
		t.Fatalf("polled before its interval: %d", full.Load()+conditional.Load())
	}
	clock.Advance(11 * time.Minute)
	s.RunDue(context.Background())
	if full.Load() != 1 || conditional.Load() != 1 {
		t.Fatalf("after the interval: %d full, %d conditional", full.Load(), conditional.Load())
	}
}
