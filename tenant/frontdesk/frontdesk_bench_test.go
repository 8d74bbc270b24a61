package frontdesk_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/stays"
)

// BenchmarkFrontDesk measures the front-desk lists (arrivals, in house,
// departures with guest names) and the housekeeping board of a 60-room
// property with three years of reservations, for today and for a date in
// the past month.
func BenchmarkFrontDesk(b *testing.B) {
	f, made := pmstest.BenchProperty(b)
	for _, page := range []string{"lists", "board"} {
		b.Run(page, func(b *testing.B) {
			var ds []time.Duration
			rows := 0
			for b.Loop() {
				day := date.Date{}
				if rand.IntN(2) == 0 {
					day = f.Day(-rand.IntN(30))
				}
				t0 := time.Now()
				if page == "lists" {
					fd, err := frontdesk.New(f.DB).FrontDesk(f.Ctx, f.Prop.ID, day)
					if err != nil {
						b.Fatal(err)
					}
					rows += len(fd.Arrivals) + len(fd.InHouse) + len(fd.Departures)
				} else {
					hb, err := frontdesk.New(f.DB).HousekeepingBoard(f.Ctx, f.Prop.ID, day)
					if err != nil || len(hb.Rooms) != 60 {
						b.Fatalf("board: %d rooms, %v", len(hb.Rooms), err)
					}
					rows += len(hb.Rooms)
				}
				ds = append(ds, time.Since(t0))
			}
			pmstest.ReportLatencies(b, ds, time.Millisecond, "ms/page")
			b.ReportMetric(float64(rows)/float64(len(ds)), "rows/page")
			b.ReportMetric(float64(made), "reservations")
		})
	}
}

// BenchmarkCheckInWithPhoto measures a check-in with one guest's document
// and a 3 MB phone photo (sealed under the guest's key and written in the
// check-in's transaction), and purging such photos.
func BenchmarkCheckInWithPhoto(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 2000, "2025-06-10")
	photo := append([]byte{0xFF, 0xD8, 0xFF, 0xE1}, make([]byte, 3<<20)...)
	var ds []time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		r := f.Book(b, f.Day(0), f.Day(1))
		b.StartTimer()
		t0 := time.Now()
		_, err := stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[n%len(f.Rooms)].ID, Guests: []stays.GuestCheckIn{{
			Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T47", IssuingCountry: "DE"}, Photos: [][]byte{photo}}}})
		ds = append(ds, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	pmstest.ReportLatencies(b, ds, time.Millisecond, "ms/check-in")
	f.At(f.Day(40), 12, 0)
	t0 := time.Now()
	res, err := frontdesk.New(f.DB).PurgeIDPhotos(context.Background())
	if err != nil || res.Photos != n {
		b.Fatalf("purged %+v of %d (%v)", res, n, err)
	}
	b.ReportMetric(float64(time.Since(t0).Milliseconds())/float64(n), "ms/photo-purged")
}
