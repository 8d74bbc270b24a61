package pms

import (
	"net/http"
	"strconv"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The availability calendar: room types × 14 or 30 days, each cell the
// rooms left to sell that night with the price and restrictions of the
// room type's first active rate plan; a cell with rooms left links to a
// new reservation prefilled with the room type, the plan and the night.

type calendarData struct {
	From, To   date.Date
	Days       int
	DayOptions []int
	Dates      []web.DayHead
	Prev, Next string
	Today      string
	Rows       []calendarRow
	CanBook    bool
	Overbooked int
}

type calendarRow struct {
	RoomType inventory.RoomType
	Plan     *inventory.RatePlan // the plan whose prices are shown, if any
	Cells    []calendarCell
}

type calendarCell struct {
	Date       date.Date
	Available  int
	Rooms      int
	OutOfOrder int
	Price      *tenant.Money
	MinStay    int
	CTA, CTD   bool
	StopSell   bool
	Href       string // new reservation for this night, when bookable
	Past       bool
	Today      bool
	Weekend    bool
}

// Level is the cell's state for its colour: full, low or free.
func (c calendarCell) Level() string {
	switch {
	case c.Available < 0:
		return "over"
	case c.Available == 0:
		return "full"
	case c.Available <= 1 || c.Rooms > 0 && c.Available*5 <= c.Rooms:
		return "low"
	}
	return "free"
}

func (s Handlers) CalendarPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Calendar", "calendar")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	ctx := r.Context()
	today := s.Today(r, c, prop)
	from, days, err := web.RangeParams(r, today, 14, 30)
	if err != nil {
		return err
	}
	to := from.AddDays(days)
	d := &calendarData{From: from, To: to, Days: days, DayOptions: []int{14, 30}, Dates: web.DayHeads(from, days, today),
		CanBook: c.Can(identity.PermReservationsWrite),
		Prev:    p.Link("calendar", "from", from.AddDays(-days).String(), "days", strconv.Itoa(days)),
		Next:    p.Link("calendar", "from", to.String(), "days", strconv.Itoa(days)),
		Today:   p.Link("calendar", "days", strconv.Itoa(days))}
	avail, err := inventory.New(c.DB).Availability(ctx, prop.ID, from, to)
	if err != nil {
		return err
	}
	plans, err := inventory.New(c.DB).ListRatePlans(ctx, prop.ID)
	if err != nil {
		return err
	}
	first := map[string]*inventory.RatePlan{}
	for i, pl := range plans {
		if pl.Active && first[pl.RoomTypeID] == nil {
			first[pl.RoomTypeID] = &plans[i]
		}
	}
	for _, rt := range avail.RoomTypes {
		row := calendarRow{RoomType: rt.RoomType, Plan: first[rt.RoomType.ID]}
		var rates []inventory.DayRate
		if row.Plan != nil {
			if rates, err = inventory.New(c.DB).Rates(ctx, row.Plan.ID, from, to); err != nil {
				return err
			}
		}
		for i, n := range rt.Nights {
			cell := calendarCell{Date: n.Date, Available: n.Available, Rooms: n.Rooms, OutOfOrder: n.OutOfOrder,
				Past: n.Date.Before(today), Today: n.Date == today, Weekend: d.Dates[i].Weekend}
			stay := 1
			if rates != nil {
				dr := rates[i]
				cell.Price, cell.MinStay, cell.CTA, cell.CTD, cell.StopSell = dr.Price, dr.MinStay, dr.ClosedToArrival, dr.ClosedToDeparture, dr.StopSell
				stay = max(1, dr.MinStay)
			}
			if d.CanBook && !cell.Past && n.Available > 0 {
				planID := ""
				if row.Plan != nil {
					planID = row.Plan.ID
				}
				cell.Href = p.Link("reservations/new", "property", prop.ID, "room_type", rt.RoomType.ID, "rate_plan", planID,
					"arrival", n.Date.String(), "departure", n.Date.AddDays(stay).String())
			}
			row.Cells = append(row.Cells, cell)
		}
		d.Rows = append(d.Rows, row)
	}
	if c.Can(identity.PermReservationsRead) {
		ob, err := stays.New(c.DB).ListReservations(ctx, stays.ReservationFilter{PropertyID: prop.ID, Overbooked: true,
			Statuses: []string{stays.ReservationTentative, stays.ReservationConfirmed, stays.ReservationInHouse}, Limit: 200})
		if err != nil {
			return err
		}
		d.Overbooked = len(ob.Reservations)
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "calendar", p)
	return nil
}
