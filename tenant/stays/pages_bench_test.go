package stays_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/stays"
)

// BenchmarkBookingPages reports the WAL frames (pages) a booking for an
// existing guest writes, alone and with 8 bookings at once (group commit
// shares the pages they have in common), and with 8 at once a booking
// whose booker is a new guest (named as the HTTP benchmark names them),
// on 40 rooms with prices for 400 days. A read transaction held meanwhile keeps the WAL from starting over,
// so its growth counts every frame written. With -v it also logs the frames
// per b-tree (table or index), the place to look when the figure moves.
func BenchmarkBookingPages(b *testing.B) {
	for _, run := range []struct {
		clients  int
		newGuest bool
	}{{1, false}, {8, false}, {8, true}} {
		clients := run.clients
		name := "clients=" + string(rune('0'+clients))
		if run.newGuest {
			name += "/guest=new"
		}
		b.Run(name, func(b *testing.B) {
			f := pmstest.NewFixture(b, "Europe/Berlin", 40, "2025-06-10")
			guest := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{FamilyName: "Regular"}))(b)
			pin, err := f.DB.SQL().Read.BeginTx(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer pin.Rollback()
			var n int
			if err := pin.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			walSize := func() int64 {
				fi, err := os.Stat(f.DB.Path + "-wal")
				if err != nil {
					b.Fatal(err)
				}
				return fi.Size()
			}
			var pageSize int64
			if err := f.DB.SQL().Read.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
				b.Fatal(err)
			}
			before := walSize()
			next := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			for g := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					for i := range next {
						in := f.Booking(f.Day(1), f.Day(2))
						in.Booker = stays.GuestRef{ID: guest.ID}
						if run.newGuest {
							in.Booker = stays.GuestRef{New: &stays.GuestInput{GivenName: "Bench", FamilyName: fmt.Sprint("Guest", i), Email: fmt.Sprint("bench", i, "@example.com")}}
						}
						a := f.Day(1 + rng.IntN(380))
						in.Reservations[0].Arrival, in.Reservations[0].Departure = a, a.AddDays(1+rng.IntN(2))
						if _, err := stays.New(f.DB).CreateBooking(f.Ctx, in); err != nil && pmstest.Code(err) != "ECONFLICT" {
							b.Error(err)
						}
					}
				}()
			}
			for i := 0; i < b.N; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(walSize()-before)/float64(pageSize+24)/float64(b.N), "pages/booking")
			if testing.Verbose() {
				b.Logf("N=%d, WAL frames per booking by b-tree: %s", b.N, framesByTree(b, f.DB.Path, f.DB.SQL().Read, before, pageSize, b.N))
			}
		})
	}
}

// framesByTree reads the frames a WAL holds from offset on, names the
// b-tree each page belongs to (dbstat) and returns the frames per booking
// of each, most first.
func framesByTree(b *testing.B, path string, read interface {
	Query(string, ...any) (*sql.Rows, error)
}, offset, pageSize int64, n int) string {
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	owner := map[uint32]string{}
	rows, err := read.Query(`SELECT name, pageno FROM dbstat`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			b.Fatal(err)
		}
		owner[page] = name
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	count := map[string]int{}
	for off := offset; off+24+pageSize <= int64(len(wal)); off += 24 + pageSize {
		page := binary.BigEndian.Uint32(wal[off:])
		name := owner[page]
		if page == 1 {
			name = "(page 1)"
		} else if name == "" {
			name = "(free or new)"
		}
		count[name]++
	}
	names := make([]string, 0, len(count))
	for name := range count {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return count[names[i]] > count[names[j]] })
	var out []string
	for _, name := range names {
		out = append(out, fmt.Sprintf("%s %.2f", name, float64(count[name])/float64(n)))
	}
	return strings.Join(out, ", ")
}

// BenchmarkGuestUpdatePages reports the WAL frames (pages) an edit of a
// guest's profile writes among 2,000 guests: of the notes alone (no search
// term changes) and of the family name (its terms change).
func BenchmarkGuestUpdatePages(b *testing.B) {
	for _, edit := range []string{"notes", "name"} {
		b.Run("edit="+edit, func(b *testing.B) {
			f := pmstest.NewFixture(b, "Europe/Berlin", 1, "2025-06-10")
			rng := rand.New(rand.NewPCG(5, 6))
			ins := make([]stays.GuestInput, 2000)
			for i := range ins {
				ins[i] = pmstest.BenchGuest(rng, i)
			}
			guests := pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, ins))(b)
			pin, err := f.DB.SQL().Read.BeginTx(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer pin.Rollback()
			var n int
			if err := pin.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			fi, err := os.Stat(f.DB.Path + "-wal")
			if err != nil {
				b.Fatal(err)
			}
			before := fi.Size()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(guests)
				in := ins[k]
				in.Version = guests[k].Version
				if edit == "notes" {
					in.Notes = fmt.Sprint("note ", i)
				} else {
					in.FamilyName = fmt.Sprint("Renamed", i)
				}
				g, err := stays.New(f.DB).UpdateGuest(f.Ctx, guests[k].ID, in)
				if err != nil {
					b.Fatal(err)
				}
				guests[k], ins[k] = g, in
			}
			b.StopTimer()
			fi, err = os.Stat(f.DB.Path + "-wal")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size()-before)/float64(4096+24)/float64(b.N), "pages/update")
		})
	}
}
