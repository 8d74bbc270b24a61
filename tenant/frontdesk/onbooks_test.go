package frontdesk_test

import (
	"context"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
)

// TestOnBooksSnapshot checks the night audit's on-the-books snapshot: a
// date closed on time records the nights then held, per rate plan and
// night from that date on (a no-show of the date is out of stock by
// then); dates closed late, while catching up, record none.
func TestOnBooksSnapshot(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2025-06-10")
	job := context.Background()
	f.Book(t, f.Day(0), f.Day(1)) // a no-show when day 0 closes
	f.Book(t, f.Day(1), f.Day(3))
	f.Book(t, f.Day(2), f.Day(3))
	f.Book(t, f.Day(4), f.Day(5))
	snapshots := func() map[string]string {
		rows, err := f.DB.SQL().Read.Query(`SELECT business_date, plans FROM otb_snapshots WHERE property_id = ?`, f.Prop.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var d, plans string
			if err := rows.Scan(&d, &plans); err != nil {
				t.Fatal(err)
			}
			out[d] = plans
		}
		return out
	}
	f.At(f.Day(1), 3, 5)
	pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t)
	got := snapshots()
	if want := `{"` + f.Plan.ID + `":[0,1,2,0,1]}`; len(got) != 1 || got[f.Day(0).String()] != want {
		t.Fatalf("snapshots after closing day 0 on time: %v, want %s for %s", got, want, f.Day(0))
	}
	// Down for three days: days 1 to 3 close at once, only day 3 (whose
	// next roll time has not passed) on time.
	f.At(f.Day(4), 9, 0)
	res := pmstest.Must(frontdesk.New(f.DB).RunNightAudit(job, f.Prop.ID))(t)
	if closedDates(res) != f.Day(1).String()+" "+f.Day(2).String()+" "+f.Day(3).String() {
		t.Fatalf("closed %s", closedDates(res))
	}
	got = snapshots()
	if want := `{"` + f.Plan.ID + `":[0,1]}`; len(got) != 2 || got[f.Day(3).String()] != want {
		t.Fatalf("snapshots after catching up: %v, want %s for %s only", got, want, f.Day(3))
	}
}
