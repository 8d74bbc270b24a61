package guestdata_test

import (
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
)

// BenchmarkExport50Stays exports (JSON, and ZIP of CSVs) a guest with 50
// real stays: each checked in with an ID photo, two nights posted by the
// night audit, paid, invoiced and checked out (about 50 folios of 5
// lines, 50 invoices, 50 check-in records and 500 audit rows about the
// guest). Target: under 200 ms per export.
func BenchmarkExport50Stays(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 3, "2025-06-02")
	first := stayGuest(b, f, f.Day(0), 0)
	for i := 1; i < 50; i++ {
		stayAgain(b, f, f.Day(3*i), i%3, first.guest.ID)
	}
	gd := guestdata.New(f.DB)
	d := pmstest.Must(gd.Dossier(f.Ctx, first.guest.ID))(b)
	if len(d.Reservations) != 50 || len(d.Invoices) != 50 || len(d.CheckIns) != 50 {
		b.Fatalf("the guest has %d stays, %d invoices, %d check-ins", len(d.Reservations), len(d.Invoices), len(d.CheckIns))
	}
	b.Logf("%d folios, %d audit rows", len(d.Folios), len(d.Audit))
	for _, format := range []string{guestdata.FormatJSON, guestdata.FormatZIP} {
		b.Run(format, func(b *testing.B) {
			var size int
			for b.Loop() {
				e, err := gd.Export(f.Ctx, first.guest.ID, format)
				if err != nil {
					b.Fatal(err)
				}
				size = len(e.Body)
			}
			b.ReportMetric(float64(size), "bytes/export")
		})
	}
}
