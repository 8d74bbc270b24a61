package pmsledger_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// BenchmarkNightAudit1000InHouse closes one business date of a full
// 1,000-room house through the night audit itself: the date rolls and each
// of the 1,000 stays in house gets its room night posted through the ledger
// (tenant/pmsledger's poster) in the closing transaction, with the audit
// rows. Each iteration closes the next date (stays run 46 nights: at
// most 44 iterations; the default 1 s runs about 10). Target (issue 13):
// under 2 s.
func BenchmarkNightAudit1000InHouse(b *testing.B) {
	const house = 1000
	f := pmstest.NewFixture(b, "Europe/Berlin", house, "2026-03-02")
	for i := 0; i < house; i++ {
		f.BookIn(b, stays.ReservationInHouse, f.Day(-1), f.Day(45), i)
	}
	job := aura.WithActor(context.Background(), aura.SystemActor("night-audit"))
	var ds []time.Duration
	day := 0
	for b.Loop() {
		day++
		f.At(f.Day(day), 3, 0)
		t0 := time.Now()
		res, err := frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID)
		ds = append(ds, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Closed) != 1 || res.Closed[0].Posted != house {
			b.Fatalf("closed %+v", res.Closed)
		}
	}
	b.StopTimer()
	// Every stay has one room-night line per closed date.
	var lines int
	if err := f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM ledger_lines WHERE kind = ?`, ledger.LineCharge).Scan(&lines); err != nil {
		b.Fatal(err)
	}
	if lines != house*day {
		b.Fatalf("%d room-night lines after %d nights of %d stays", lines, day, house)
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms/night-of-1000")
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "max-ms/night-of-1000")
}
