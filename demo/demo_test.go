package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurapms/aura/demo"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

func TestSeed(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Now(),
		time.Date(2025, 3, 29, 23, 30, 0, 0, berlin), // the night the clocks go forward
		time.Date(2025, 12, 31, 9, 0, 0, 0, berlin),  // stays across the year end
	} {
		t.Run(now.Format("2006-01-02"), func(t *testing.T) {
			clock := auratest.NewClock(now)
			db := auratest.MustOpenTenant(t, auratest.Options{Now: clock.Now})
			ctx := context.Background()
			if err := demo.Seed(ctx, db); err != nil {
				t.Fatal(err)
			}
			props, err := inventory.New(db).ListProperties(ctx)
			if err != nil || len(props) != 1 {
				t.Fatalf("properties %v (%v), want 1", props, err)
			}
			p := props[0]
			today, err := inventory.New(db).PropertyToday(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			types, _ := inventory.New(db).ListRoomTypes(ctx, p.ID)
			rooms, _ := inventory.New(db).ListRooms(ctx, p.ID)
			plans, _ := inventory.New(db).ListRatePlans(ctx, p.ID)
			if len(types) != 3 || len(rooms) != 12 || len(plans) < 3 {
				t.Fatalf("%d room types, %d rooms, %d rate plans; want 3, 12, at least 3", len(types), len(rooms), len(plans))
			}
			for _, rp := range plans {
				days, err := inventory.New(db).Rates(ctx, rp.ID, today, today.AddDays(60))
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range days {
					if d.Price == nil {
						t.Fatalf("%s has no price on %s", rp.Code, d.Date)
					}
				}
			}
			page, err := stays.New(db).ListReservations(ctx, stays.ReservationFilter{PropertyID: p.ID, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			byStatus := map[string]int{}
			overbooked, channel, guests := 0, 0, map[string]bool{}
			for _, r := range page.Reservations {
				byStatus[r.Status]++
				guests[r.GuestID] = true
				if r.Overbooked {
					overbooked++
				}
				if r.Source != stays.SourceDirect {
					channel++
				}
			}
			t.Logf("%d reservations by status %v, %d from channels, %d guests", len(page.Reservations), byStatus, channel, len(guests))
			for _, s := range stays.ReservationStatuses {
				if byStatus[s] == 0 {
					t.Errorf("no %s reservation in the demo (%v)", s, byStatus)
				}
			}
			if n := len(page.Reservations); n < 30 {
				t.Errorf("%d reservations, want a few dozen", n)
			}
			if overbooked != 1 {
				t.Errorf("%d overbooked reservations, want 1", overbooked)
			}
			if channel < 5 {
				t.Errorf("%d channel reservations, want several", channel)
			}
			if len(guests) < 25 {
				t.Errorf("%d distinct guests, want a few dozen", len(guests))
			}
			inHouse, err := stays.New(db).ListReservations(ctx, stays.ReservationFilter{PropertyID: p.ID, StayingOn: today, Statuses: []string{stays.ReservationInHouse}})
			if err != nil || len(inHouse.Reservations) == 0 {
				t.Fatalf("nobody in house tonight (%v)", err)
			}
			records, photos := 0, 0
			for _, r := range inHouse.Reservations {
				recs, err := stays.New(db).ReservationCheckIns(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) == 0 || recs[0].Document.Number == "" {
					t.Errorf("in-house reservation %s has no check-in record with a document", r.ID)
				}
				records += len(recs)
				for _, rec := range recs {
					photos += len(rec.Photos)
				}
			}
			if records <= len(inHouse.Reservations) || photos == 0 {
				t.Errorf("%d check-in records and %d photos for %d stays in house, want companions and photos", records, photos, len(inHouse.Reservations))
			}
			board, err := frontdesk.New(db).HousekeepingBoard(ctx, p.ID, today)
			if err != nil || board.Counts.Dirty == 0 || board.Counts.Inspected == 0 {
				t.Errorf("housekeeping board counts %+v (%v), want dirty and inspected rooms", board.Counts, err)
			}
			tc, err := stays.New(db).TapeChart(ctx, p.ID, today.AddDays(-7), today.AddDays(21))
			if err != nil {
				t.Fatal(err)
			}
			bars := 0
			for _, r := range tc.Rooms {
				bars += len(r.Bars)
			}
			if bars < 10 {
				t.Errorf("%d bars on the tape chart", bars)
			}
			if found, err := stays.New(db).SearchGuests(ctx, "müller", 5); err != nil || len(found) != 1 {
				t.Errorf("search for a demo guest: %d found (%v)", len(found), err)
			}
			res, err := db.VerifyAudit(ctx, nil)
			if err != nil || !res.OK() {
				t.Fatalf("audit: %v %v", res.Break, err)
			}
			// Seeding again changes nothing.
			head, _ := db.AuditHead(ctx)
			if err := demo.Seed(ctx, db); err != nil {
				t.Fatal(err)
			}
			if again, _ := db.AuditHead(ctx); again.Seq != head.Seq {
				t.Fatalf("a second Seed wrote %d audit rows", again.Seq-head.Seq)
			}
		})
	}
}

// TestSeedBooks checks that the demo's past nights are posted through the
// night audit's posting: the performance report's room revenue of the
// last HistoryDays equals the frozen prices of the nights spent (the
// demo's prices include VAT), the city-tax report has taxable nights, the
// payments report has the checked-out guests' payments and one receivable
// is left open.
func TestSeedBooks(t *testing.T) {
	clock := auratest.NewClock(time.Now())
	db := auratest.MustOpenTenant(t, auratest.Options{Now: clock.Now})
	ctx := context.Background()
	if err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	props, _ := inventory.New(db).ListProperties(ctx)
	p := props[0]
	today, err := inventory.New(db).PropertyToday(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	from := today.AddDays(-demo.HistoryDays)
	var spent, nights int64
	if err := db.SQL().Read.QueryRow(`SELECT coalesce(sum(n.price), 0), count(*) FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id
		WHERE r.property_id = ? AND r.status IN ('in_house', 'checked_out') AND n.date >= ? AND n.date < ?`, p.ID, from, today).Scan(&spent, &nights); err != nil {
		t.Fatal(err)
	}
	rs := reports.New(db)
	rep, err := rs.Run(ctx, reports.Query{PropertyID: p.ID, From: from, To: today, By: reports.ByMonth})
	if err != nil {
		t.Fatal(err)
	}
	if nights < 30 || rep.Total.Room.Gross != spent || rep.Total.Room.Net >= spent || rep.Total.ADR.Gross == 0 || rep.Total.Occupancy == 0 {
		t.Fatalf("%d nights spent for %d; the report: %+v", nights, spent, rep.Total)
	}
	ct, err := rs.CityTax(ctx, reports.Period{PropertyID: p.ID, From: from, To: today})
	if err != nil || ct.Total.TaxableGuestNights == 0 || ct.Total.Amount.Gross != 300*ct.Total.TaxableGuestNights || ct.Total.Exempt.Children == 0 {
		t.Fatalf("city tax %+v (%v)", ct.Total, err)
	}
	pay, err := rs.Payments(ctx, reports.Period{PropertyID: p.ID, From: from, To: today.AddDays(1)})
	if err != nil || pay.Total.Count < 5 || len(pay.ByMethod) != 2 {
		t.Fatalf("payments %+v (%v)", pay.ByMethod, err)
	}
	aging, err := rs.Aging(ctx, p.ID, today)
	if err != nil || len(aging.Rows) == 0 {
		t.Fatalf("receivables %+v (%v)", aging, err)
	}
}
