package ledger_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aurapms/aura/tenant/ledger"
)

// BenchmarkPostNight posts one night for 1,000 in-house reservations in
// ONE transaction, as the night audit does for a large house: room, city
// tax and breakfast each (3,000 lines, 1,000 audit rows). Each iteration
// is the next business date. Target: under 2 s per night.
func BenchmarkPostNight(b *testing.B) {
	f := newFixture(b)
	const house = 1000
	nights := make([]ledger.NightPosting, house)
	for i := range nights {
		nights[i] = ledger.NightPosting{Reservation: fmt.Sprintf("res_%04d", i),
			Night: ledger.Night{Price: int64(8000 + i%50*100), Party: ledger.Party{Adults: 1 + i%2}, Extras: []ledger.Extra{{Product: "BRK"}}}}
	}
	// The guest folios exist already (opened at check-in); the benchmark measures the nightly posting.
	for i := range nights {
		f.guestFolio(b, nights[i].Reservation)
	}
	start := d("2026-01-01")
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		night := start.AddDays(i)
		for j := range nights {
			nights[j].Date, nights[j].NightsBefore = night, i
		}
		t0 := time.Now()
		r, err := f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: night, Nights: nights})
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Posted) != 3*house {
			b.Fatalf("posted %d lines", len(r.Posted))
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(ms(times[len(times)/2]), "median-ms/night-of-1000")
	b.ReportMetric(ms(times[len(times)-1]), "max-ms/night-of-1000")
}

// BenchmarkIssueInvoice issues an invoice of a 7-night stay (room, city tax
// and breakfast each night: 21 lines, one payment) on a tenant file that
// already holds the earlier ones. Target: p99 under 20 ms.
func BenchmarkIssueInvoice(b *testing.B) {
	f := newFixture(b)
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		res := fmt.Sprintf("res_%06d", i)
		var nights []ledger.NightPosting
		for n := range 7 {
			nights = append(nights, ledger.NightPosting{Reservation: res, Night: ledger.Night{Date: d("2027-03-01").AddDays(n), Price: 11900,
				Party: ledger.Party{Adults: 2}, NightsBefore: n, Extras: []ledger.Extra{{Product: "BRK"}}}})
		}
		if _, err := f.s.PostNight(f.ctx, ledger.NightBatch{PropertyID: f.prop, BusinessDate: d("2027-03-08"), Nights: nights}); err != nil {
			b.Fatal(err)
		}
		fol := f.guestFolio(b, res)
		if _, err := f.s.RecordPayment(f.ctx, ledger.PaymentInput{FolioID: fol.ID, Method: ledger.MethodCardTerminal, Amount: 50000, BusinessDate: d("2027-03-08")}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		doc, err := f.s.IssueInvoice(f.ctx, ledger.InvoiceInput{FolioID: fol.ID, IssueDate: f.today(), Recipient: guest})
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Lines) != 21 {
			b.Fatalf("%d lines", len(doc.Lines))
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(ms(times[len(times)/2]), "median-ms/invoice")
	b.ReportMetric(ms(times[len(times)*99/100]), "p99-ms/invoice")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
