package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestIDPhotoRetentionJob: the jobs aura serve schedules purge ID photos on
// their own, each property by its own configured window. Two properties of
// one tenant keep photos 30 and 60 days; both guests check out on the same
// day. 31 days later the scheduler, running serve's jobs with nobody
// calling the purge, has purged the 30-day property's photo and document
// number and kept the 60-day property's; 61 days later both are gone.
func TestIDPhotoRetentionJob(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clock := auratest.NewClock(time.Date(2026, 3, 2, 14, 0, 0, 0, loc))
	te := auratest.New(t, auratest.Options{Now: clock.Now})
	te.CreateTenant(t, "lakeside")
	db := te.Acquire(t, "lakeside")
	ctx := auratest.Ctx()
	today := date.Of(clock.Now(), loc)

	record := func(days int) string {
		t.Helper()
		fd := inventory.FrontDeskSettings{IDPhotoRetentionDays: days, PurgeDocumentNumbers: true}
		prop, err := inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: fmt.Sprintf("Keeps %d days", days), TimeZone: "Europe/Berlin", Currency: "EUR", FrontDesk: &fd})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 2, BaseOccupancy: 2})
		if err != nil {
			t.Fatal(err)
		}
		room, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: "101"})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(5), Price: &tenant.Money{Amount: 10000, Currency: "EUR"}}); err != nil {
			t.Fatal(err)
		}
		b, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: prop.ID, Source: stays.SourceDirect,
			Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Ida", FamilyName: fmt.Sprint("Guest", days)}},
			Reservations: []stays.ReservationInput{{RoomTypeID: rt.ID, RatePlanID: plan.ID, Arrival: today, Departure: today.AddDays(1), Adults: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		r := b.Reservations[0]
		if _, err := stays.New(db).CheckIn(ctx, r.ID, stays.CheckInInput{RoomID: room.ID, Guests: []stays.GuestCheckIn{{
			Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: fmt.Sprint("L0000", days), IssuingCountry: "DE"},
			Photos:   [][]byte{auratest.JPEG(t, 16, 16)}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := stays.New(db).CheckOut(ctx, r.ID, 0); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	keeps30, keeps60 := record(30), record(60)
	purged := func(resID string) (photo, number bool) {
		t.Helper()
		recs, err := stays.New(db).ReservationCheckIns(ctx, resID)
		if err != nil || len(recs) != 1 || len(recs[0].Photos) != 1 {
			t.Fatalf("check-in records of %s: %+v %v", resID, recs, err)
		}
		return recs[0].Photos[0].PurgedAt != nil, recs[0].NumberPurgedAt != nil
	}

	// Serve's jobs, as serve hands them to the scheduler.
	serve := &env{control: te.Control, router: te.Router, platform: te.Platform}
	s := &control.Scheduler{Service: te.Control, Jobs: serve.tenantJobs(), Now: clock.Now, MaxWait: time.Hour}
	run := func() { s.RunDue(context.Background()) } // one tick of the scheduler
	run()
	if p, n := purged(keeps30); p || n {
		t.Fatal("purged on the day of check-out")
	}

	clock.Advance(31 * 24 * time.Hour)
	run()
	if p, n := purged(keeps30); !p || !n {
		t.Fatalf("31 days after check-out, the 30-day property's photo purged %v, number purged %v; want both", p, n)
	}
	if p, n := purged(keeps60); p || n {
		t.Fatalf("31 days after check-out, the 60-day property's photo purged %v, number purged %v; want neither", p, n)
	}

	clock.Advance(30 * 24 * time.Hour)
	run()
	if p, n := purged(keeps60); !p || !n {
		t.Fatalf("61 days after check-out, the 60-day property's photo purged %v, number purged %v; want both", p, n)
	}
}
