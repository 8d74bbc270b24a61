package web

import (
	"net/http"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// PmsDashboard is the PMS part of the dashboard for the current property:
// today's arrivals and departures, occupancy tonight and overbooked
// reservations. Counting reads no guest data.
type PmsDashboard struct {
	Property      inventory.Property
	Today         date.Date
	Arrivals      int // arriving today, not cancelled or no-show
	Arrived       int // of those, checked in
	Departures    int // departing today, in house or checked out
	Departed      int // of those, checked out
	InHouse       int
	Sold, Rooms   int // tonight
	Occupancy     int // percent, tonight
	Overbooked    []ResRow
	Oversold      []oversold // room types sold beyond their rooms in the next days
	FrontDeskHref string
	CanBook       bool
	// Channels: imported calendars gone stale (StaleAfterPolls polls
	// without a good answer) and channel blocks flagged overbooked.
	Channels channels.Alerts
	// CanChannels: the user may open the channels pages (channels.manage);
	// without it the panel shows the alerts but no link to pages that
	// would answer 403, nor the count of the attention page.
	CanChannels bool
}

// DashboardPMS computes the PMS tiles, or nil when the caller may not see
// reservations or the tenant has no property yet.
func (s *Server) DashboardPMS(r *http.Request, c *Call, p *Page) (*PmsDashboard, error) {
	if p.Property == nil || !c.Can(identity.PermReservationsRead) {
		return nil, nil
	}
	ctx := r.Context()
	prop := *p.Property
	d := &PmsDashboard{Property: prop, Today: s.Today(r, c, prop), FrontDeskHref: p.Link("frontdesk"),
		CanBook: c.Can(identity.PermReservationsWrite), CanChannels: c.Can(identity.PermChannelsManage)}
	list := func(f stays.ReservationFilter) ([]stays.Reservation, error) {
		f.PropertyID, f.Limit = prop.ID, 200
		var out []stays.Reservation
		for {
			page, err := stays.New(c.DB).ListReservations(ctx, f)
			if err != nil {
				return nil, err
			}
			out = append(out, page.Reservations...)
			if page.NextCursor == "" {
				return out, nil
			}
			f.Cursor = page.NextCursor
		}
	}
	arr, err := list(stays.ReservationFilter{ArrivalFrom: d.Today, ArrivalTo: d.Today.AddDays(1),
		Statuses: []string{stays.ReservationTentative, stays.ReservationConfirmed, stays.ReservationInHouse, stays.ReservationCheckedOut}})
	if err != nil {
		return nil, err
	}
	for _, x := range arr {
		d.Arrivals++
		if x.Status == stays.ReservationInHouse || x.Status == stays.ReservationCheckedOut {
			d.Arrived++
		}
	}
	dep, err := list(stays.ReservationFilter{DepartureFrom: d.Today, DepartureTo: d.Today.AddDays(1),
		Statuses: []string{stays.ReservationInHouse, stays.ReservationCheckedOut, stays.ReservationConfirmed}})
	if err != nil {
		return nil, err
	}
	for _, x := range dep {
		d.Departures++
		if x.Status == stays.ReservationCheckedOut {
			d.Departed++
		}
	}
	in, err := list(stays.ReservationFilter{Statuses: []string{stays.ReservationInHouse}})
	if err != nil {
		return nil, err
	}
	d.InHouse = len(in)
	a, err := inventory.New(c.DB).Availability(ctx, prop.ID, d.Today, d.Today.AddDays(1))
	if err != nil {
		return nil, err
	}
	for _, rt := range a.RoomTypes {
		n := rt.Nights[0]
		d.Sold += n.Sold + n.Channel
		d.Rooms += n.Rooms - n.OutOfOrder
	}
	if d.Rooms > 0 {
		d.Occupancy = (d.Sold*100 + d.Rooms/2) / d.Rooms
	}
	// A stay flagged overbooked loses the flag once it has a room every
	// night; the shortage may remain for stays still without a room, so
	// the dashboard also shows the nights a room type is sold beyond its rooms.
	ahead, err := inventory.New(c.DB).Availability(ctx, prop.ID, d.Today, d.Today.AddDays(oversoldDays))
	if err != nil {
		return nil, err
	}
	for _, rt := range ahead.RoomTypes {
		for _, n := range rt.Nights {
			if n.Available >= 0 {
				continue
			}
			if k := len(d.Oversold) - 1; k >= 0 && d.Oversold[k].RoomType == rt.RoomType.Name && d.Oversold[k].To == n.Date && d.Oversold[k].Short == -n.Available {
				d.Oversold[k].To = n.Date.AddDays(1)
				continue
			}
			d.Oversold = append(d.Oversold, oversold{RoomType: rt.RoomType.Name, From: n.Date, To: n.Date.AddDays(1), Short: -n.Available})
		}
	}
	if d.Channels, err = channels.New(c.DB).ChannelAlerts(ctx, prop.ID, s.Cfg.Now()); err != nil {
		return nil, err
	}
	ob, err := stays.New(c.DB).ListReservations(ctx, stays.ReservationFilter{PropertyID: prop.ID, Overbooked: true, Statuses: ActiveStatuses, Limit: 10})
	if err != nil {
		return nil, err
	}
	if d.Overbooked, err = s.ReservationRows(r, c, prop, ob.Reservations); err != nil {
		return nil, err
	}
	return d, nil
}

// oversoldDays is how far ahead the dashboard looks for oversold nights.
const oversoldDays = 30

// oversold is a run of nights [From, To) on which a room type is sold
// Short rooms beyond what it has.
type oversold struct {
	RoomType string
	From, To date.Date
	Short    int
}

// pmsDash is what the "pmsdash" partial needs.
type pmsDash struct {
	P *Page
	D *PmsDashboard
}

// PMSDash returns the view of the dashboard's PMS part.
func (p *Page) PMSDash(d *PmsDashboard) pmsDash { return pmsDash{P: p, D: d} }

// ToCome is how many of today's arrivals have not checked in yet.
func (d *PmsDashboard) ToCome() int { return d.Arrivals - d.Arrived }
