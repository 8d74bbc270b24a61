package guestdata_test

import (
	"fmt"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
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

// BenchmarkRetentionDryRun100kGuests runs the retention dry run over a
// tenant of 100,000 guests with one stay each (a quarter past a 2-year
// schedule), written straight into the tables beside one real booking.
// Target: under 2 s.
func BenchmarkRetentionDryRun100kGuests(b *testing.B) {
	f := pmstest.NewFixture(b, "Europe/Berlin", 3, "2026-03-02")
	tpl := f.BookIn(b, stays.ReservationConfirmed, f.Day(1), f.Day(3), -1)
	gd := guestdata.New(f.DB)
	if err := gd.SetRetention(f.Ctx, f.Prop.ID, 2); err != nil {
		b.Fatal(err)
	}
	w := f.DB.SQL().Write
	tx, err := w.Begin()
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	for i := range n {
		gid := fmt.Sprintf("gst_bench%011d", i)
		if _, err := tx.Exec(`INSERT INTO guests (id, key_wrapped, version, created_at, updated_at) VALUES (?, x'00', 1, '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z')`, gid); err != nil {
			b.Fatal(err)
		}
		dep := f.Day(-(i % 2000) - 1)
		if _, err := tx.Exec(`INSERT INTO reservations (id, booking_id, property_id, room_type_id, room_id, rate_plan_id, guest_id, source, arrival, departure, adults, children,
			status, overbooked, total, version, created_at, updated_at)
			SELECT ?, booking_id, property_id, room_type_id, NULL, rate_plan_id, ?, source, ?, ?, 2, 0, 'checked_out', 0, total, 1, created_at, updated_at
			FROM reservations WHERE id = ?`, fmt.Sprintf("res_bench%011d", i), gid, dep.AddDays(-1).String(), dep.String(), tpl.ID); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	var due int
	for b.Loop() {
		d, err := gd.RetentionDryRun(f.Ctx)
		if err != nil {
			b.Fatal(err)
		}
		due = len(d)
	}
	if due < n {
		b.Fatalf("the dry run lists %d guests, want %d", due, n)
	}
	b.ReportMetric(float64(due), "guests")
}
