package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestGuestMailJob: the jobs aura serve schedules send guest emails on
// their own. A stay is booked while the SMTP address refuses
// connections: the scheduler's tick queues the confirmation and fails to
// deliver it; once a server listens there and the backoff is over, the
// next tick delivers it over a real SMTP exchange, and the guest's
// record says sent after two attempts.
func TestGuestMailJob(t *testing.T) {
	clock := auratest.NewClock(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC))
	te := auratest.New(t, auratest.Options{Now: clock.Now})
	te.CreateTenant(t, "lakeside")
	db := te.Acquire(t, "lakeside")
	ctx := auratest.Ctx()
	today := date.Of(clock.Now(), time.UTC)

	prop, err := inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Lakeside Inn", TimeZone: "Europe/Berlin", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 2, BaseOccupancy: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: "101"}); err != nil {
		t.Fatal(err)
	}
	plan, err := inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(30), Price: &tenant.Money{Amount: 9000, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := guestmail.New(db).SetSettings(ctx, guestmail.Settings{PropertyID: prop.ID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	b, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: prop.ID, Source: stays.SourceDirect,
		Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Ida", FamilyName: "Mailer", Email: "ida@example.com"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: rt.ID, RatePlanID: plan.ID, Arrival: today.AddDays(10), Departure: today.AddDays(12), Adults: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	guestID := b.Reservations[0].GuestID

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connections are refused

	serve := &env{control: te.Control, router: te.Router, platform: te.Platform, mail: mailer.SMTP{Addr: addr, From: "Lakeside Inn <inn@example.com>"}}
	s := &control.Scheduler{Service: te.Control, Jobs: serve.tenantJobs(), Now: clock.Now, MaxWait: time.Hour}
	run := func() { s.RunDue(context.Background()) }
	message := func() guestmail.Message {
		t.Helper()
		ms, err := guestmail.New(db).GuestMessages(ctx, guestID)
		if err != nil || len(ms) != 1 {
			t.Fatalf("messages %+v %v", ms, err)
		}
		return ms[0]
	}
	run()
	if m := message(); m.Status != guestmail.StatusQueued || m.Attempts != 1 || m.LastError == "" {
		t.Fatalf("after a refused connection: %+v", m)
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := auratest.StartSMTPServer(t, ln)
	clock.Advance(guestmail.Backoff[0] + time.Second)
	run()
	m := message()
	if m.Status != guestmail.StatusSent || m.Attempts != 2 {
		t.Fatalf("after the backoff: %+v", m)
	}
	mails := srv.Mails()
	if len(mails) != 1 || mails[0].To[0] != "ida@example.com" || !strings.Contains(mails[0].Subject, "Lakeside Inn") || !strings.Contains(mails[0].Text, "Dear Ida Mailer") {
		t.Fatalf("mails: %+v", mails)
	}
}
