package reports_test

import (
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// TestExclusions checks the definitions of occupancy and ADR with
// complimentary and house-use rooms as the operator configures them, on
// one night of a 4-room hotel: A pays 100.00 on the flexible plan, B
// stays free on COMP, C is used by the hotel on HOUSE; all three posted.
func TestExclusions(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 4, "2027-05-04")
	inv := inventory.New(f.DB)
	plan := func(code string) inventory.RatePlan {
		p := pmstest.Must(inv.CreateRatePlan(f.Ctx, inventory.RatePlanInput{PropertyID: f.Prop.ID, RoomTypeID: f.RT.ID, Code: code, Name: code, Active: true}))(t)
		f.SetPrice(t, p.ID, f.Day(0), f.Day(10), 0)
		return p
	}
	comp, house := plan("COMP"), plan("HOUSE")
	book := func(planID string) stays.Reservation {
		in := f.Booking(f.Day(0), f.Day(1))
		in.Reservations[0].RatePlanID = planID
		return pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
	}
	a, b, c := book(f.Plan.ID), book(comp.ID), book(house.ID)
	if err := f.DB.Update(f.Ctx, func(tx *tenant.Tx) error {
		_, err := pmsledger.Ensure(tx, f.DB, f.Prop)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	batch := ledger.NightBatch{PropertyID: f.Prop.ID, BusinessDate: f.Day(0)}
	for _, r := range []stays.Reservation{a, b, c} {
		batch.Nights = append(batch.Nights, ledger.NightPosting{Reservation: r.ID, Night: ledger.Night{Date: f.Day(0), Price: r.Total.Amount, Party: ledger.Party{Adults: 2}}})
	}
	pmstest.Must(ledger.New(f.DB).PostNight(f.Ctx, batch))(t)
	rs := reports.New(f.DB)
	type want struct{ sold, avail, withheld, comp, house, occ, adr int64 }
	for _, tc := range []struct {
		name string
		ex   reports.Exclusions
		want want
	}{
		{"NotConfigured", reports.Exclusions{}, want{3, 4, 0, 0, 0, 7500, 3333}},
		{"CountedAsSold", reports.Exclusions{ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"HOUSE"}}, want{3, 4, 0, 1, 1, 7500, 3333}},
		{"ComplimentaryExcluded", reports.Exclusions{ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"HOUSE"}, ExcludeComplimentary: true}, want{2, 4, 0, 1, 1, 5000, 5000}},
		{"HouseUseExcluded", reports.Exclusions{ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"HOUSE"}, ExcludeHouseUse: true}, want{2, 3, 1, 1, 1, 6667, 5000}},
		{"BothExcluded", reports.Exclusions{ComplimentaryPlans: []string{"COMP", " COMP"}, HouseUsePlans: []string{"HOUSE"}, ExcludeComplimentary: true, ExcludeHouseUse: true}, want{1, 3, 1, 1, 1, 3333, 10000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ex.PropertyID = f.Prop.ID
			pmstest.Must(rs.SetExclusions(f.Ctx, tc.ex))(t)
			if action, _ := pmstest.LastAction(t, f); action != "setting.changed" {
				t.Errorf("audit action %q", action)
			}
			for _, by := range []string{reports.ByDay, reports.ByRoomType, reports.ByRatePlan} {
				rep := pmstest.Must(rs.Run(f.Ctx, reports.Query{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(1), By: by}))(t)
				tt := rep.Total
				got := want{tt.Sold, tt.Available, tt.Withheld, tt.Complimentary, tt.HouseUse, tt.Occupancy, tt.ADR.Gross}
				if got != tc.want || tt.Room.Gross != 10000 {
					t.Errorf("by %s: got %+v, want %+v (room %d)", by, got, tc.want, tt.Room.Gross)
				}
				if by != reports.ByRatePlan && (rep.Rows[0].Sold != tc.want.sold || rep.Rows[0].Available != tc.want.avail) {
					t.Errorf("by %s: the row %+v disagrees with the total", by, rep.Rows[0].Figures)
				}
			}
		})
	}
	got := pmstest.Must(rs.GetExclusions(f.Ctx, f.Prop.ID))(t)
	if len(got.ComplimentaryPlans) != 1 || !got.ExcludeHouseUse {
		t.Errorf("stored exclusions %+v", got)
	}
	_, err := rs.SetExclusions(f.Ctx, reports.Exclusions{PropertyID: f.Prop.ID, ComplimentaryPlans: []string{"NOPE"}})
	if !pmstest.HasField(err, "complimentary_plans") {
		t.Errorf("unknown plan: %v", err)
	}
	_, err = rs.SetExclusions(f.Ctx, reports.Exclusions{PropertyID: f.Prop.ID, ComplimentaryPlans: []string{"COMP"}, HouseUsePlans: []string{"COMP"}})
	if !pmstest.HasField(err, "house_use_plans") {
		t.Errorf("a plan in both lists: %v", err)
	}
	_, err = rs.SetExclusions(f.Ctx, reports.Exclusions{PropertyID: "prp_nope"})
	pmstest.WantCode(t, err, "not_found")
}
