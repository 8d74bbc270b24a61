package pms

import (
	"net/http"
	"strconv"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The tape chart: rooms as rows, days as columns, reservations as bars
// over the nights they spend in a room. Each day is two half-columns of a
// CSS grid, so a stay starts in the middle of its arrival day and ends in
// the middle of its departure day (a same-day turnover shares a day
// without overlapping). Grid positions are classes (gs-N, ge-N in
// pms.css): the CSP forbids inline styles.

// maxTapeDays bounds the chart (and the grid classes pms.css defines).
const maxTapeDays = 31

type tapeData struct {
	From, To   date.Date
	Days       int
	DayOptions []int
	Dates      []tapeDay
	Prev, Next string
	Today      string
	Groups     []tapeGroup
	Overbooked int
}

type tapeDay struct {
	web.DayHead
	Start, End int // grid lines
}

type tapeGroup struct {
	RoomType   inventory.RoomType
	Rooms      []tapeRow
	Unassigned [][]tapeItem // lanes of bars not in a room yet
}

type tapeRow struct {
	Room  inventory.Room
	Items []tapeItem
	Cells []tapeCell // one per day: a free night links to booking it
}

// tapeCell is the night of one day in one room. A free night is a link
// to the booking form for that room and night (with JavaScript, nights
// dragged across book the whole range).
type tapeCell struct {
	tapeDay
	Free  bool
	Href  string
	Label string // "Book room 101 for the night of Sun 6 Dec"
}

// tapeItem is a bar (a reservation in a room) or a block.
type tapeItem struct {
	Block      bool
	Kind       string // block kind, or reservation status
	Start, End int    // grid lines
	Label      string
	Title      string
	Href       string
	Overbooked bool
	OpenStart  bool // continues from before the chart
	OpenEnd    bool // continues after the chart
	// What the chart's script needs to move or resize a stay.
	ResID, Arrival, Departure string
	Version, Adults, Children int
	Movable                   bool // not checked out: may change room or departure
	half0                     int  // half-column where it starts, for lanes
	half1                     int
}

func (s Handlers) TapeChartPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Tape chart", "tapechart")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	today := s.Today(r, c, prop)
	def := today.AddDays(-2)
	from, days, err := web.RangeParams(r, def, 14, 21, maxTapeDays)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("from") == "" {
		from = def
	}
	to := from.AddDays(days)
	tc, err := stays.New(c.DB).TapeChart(r.Context(), prop.ID, from, to)
	if err != nil {
		return err
	}
	d := &tapeData{From: from, To: to, Days: days, DayOptions: []int{14, 21, maxTapeDays},
		Prev:  p.Link("tapechart", "from", from.AddDays(-7).String(), "days", strconv.Itoa(days)),
		Next:  p.Link("tapechart", "from", from.AddDays(7).String(), "days", strconv.Itoa(days)),
		Today: p.Link("tapechart", "days", strconv.Itoa(days))}
	for i, h := range web.DayHeads(from, days, today) {
		d.Dates = append(d.Dates, tapeDay{DayHead: h, Start: 2 + 2*i, End: 4 + 2*i})
	}
	half := func(day date.Date) int { return 2 * day.Sub(from) }
	place := func(it *tapeItem, start, end, arrival date.Date) {
		// The nights [start, end) run from the middle of start's column to
		// the middle of end's; a stay under way before the chart starts at
		// its left edge, one going on after it ends at its right edge.
		it.half0, it.half1 = half(start)+1, half(end)+1
		if start == from && arrival.Before(from) {
			it.half0, it.OpenStart = 0, true
		}
		if it.half1 > 2*days {
			it.half1, it.OpenEnd = 2*days, true
		}
		it.Start, it.End = it.half0+2, it.half1+2
	}
	canMove := c.Can(identity.PermReservationsWrite)
	bar := func(b stays.TapeBar) tapeItem {
		it := tapeItem{Kind: b.Status, Label: b.GuestName, Href: p.Link("reservations/" + b.ReservationID), Overbooked: b.Overbooked,
			ResID: b.ReservationID, Arrival: b.Arrival.String(), Departure: b.Departure.String(), Version: b.Version, Adults: b.Adults, Children: b.Children,
			Movable: canMove && (b.Status == stays.ReservationTentative || b.Status == stays.ReservationConfirmed || b.Status == stays.ReservationInHouse)}
		party := strconv.Itoa(b.Adults) + " adult"
		if b.Adults != 1 {
			party += "s"
		}
		if b.Children > 0 {
			party += ", " + strconv.Itoa(b.Children) + " child"
			if b.Children != 1 {
				party += "ren"
			}
		}
		it.Title = b.GuestName + " · " + p.Stay(b.Arrival, b.Departure) + " · " + party + " · " + p.StatusLabel(b.Status) + " · " + p.SourceLabel(b.Source)
		if b.Overbooked {
			it.Title += " · OVERBOOKED"
		}
		place(&it, b.Start, b.End, b.Arrival)
		return it
	}
	byType := map[string]int{}
	for i, t := range tc.RoomTypes {
		byType[t.ID] = i
		d.Groups = append(d.Groups, tapeGroup{RoomType: t})
	}
	for _, tr := range tc.Rooms {
		row := tapeRow{Room: tr.Room}
		for _, b := range tr.Blocks {
			start, end := b.Start, b.End
			if start.Before(from) {
				start = from
			}
			it := tapeItem{Block: true, Kind: b.Kind, Label: "Out of order", Title: "Out of order: " + b.Reason}
			if b.Kind == inventory.OutOfService {
				it.Label, it.Title = "Out of service", "Out of service: "+b.Reason
			}
			if end.After(to) {
				end = to.AddDays(1)
			}
			place(&it, start, end, b.Start)
			row.Items = append(row.Items, it)
		}
		taken := map[date.Date]bool{}
		for _, b := range tr.Bars {
			row.Items = append(row.Items, bar(b))
			for _, n := range date.Range(b.Start, b.End) {
				taken[n] = true
			}
		}
		for _, b := range tr.Blocks {
			for _, n := range date.Range(b.Start, b.End) {
				taken[n] = true
			}
		}
		for _, day := range d.Dates {
			cell := tapeCell{tapeDay: day, Free: !taken[day.Date] && canMove && !day.Date.Before(today)}
			if cell.Free {
				cell.Href = p.Link("reservations/new", "room_type", tr.Room.RoomTypeID, "room", tr.Room.ID, "arrival", day.Date.String(),
					"departure", day.Date.AddDays(1).String(), "property", prop.ID)
				cell.Label = "Book room " + tr.Room.Number + " for the night of " + p.Day(day.Date)
			}
			row.Cells = append(row.Cells, cell)
		}
		if i, ok := byType[tr.Room.RoomTypeID]; ok {
			d.Groups[i].Rooms = append(d.Groups[i].Rooms, row)
		}
	}
	for _, b := range tc.Unassigned {
		i, ok := byType[b.RoomTypeID]
		if !ok {
			continue
		}
		d.Groups[i].Unassigned = addToLane(d.Groups[i].Unassigned, bar(b))
	}
	d.Overbooked = countOverbooked(tc)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "tapechart", p)
	return nil
}

// addToLane puts a bar in the first lane where it overlaps nothing.
func addToLane(lanes [][]tapeItem, it tapeItem) [][]tapeItem {
	for i, lane := range lanes {
		if last := lane[len(lane)-1]; last.half1 <= it.half0 {
			lanes[i] = append(lane, it)
			return lanes
		}
	}
	return append(lanes, []tapeItem{it})
}

// countOverbooked counts the overbooked reservations drawn (a moved stay once).
func countOverbooked(tc stays.TapeChart) int {
	seen := map[string]bool{}
	add := func(b stays.TapeBar) {
		if b.Overbooked {
			seen[b.ReservationID] = true
		}
	}
	for _, r := range tc.Rooms {
		for _, b := range r.Bars {
			add(b)
		}
	}
	for _, b := range tc.Unassigned {
		add(b)
	}
	return len(seen)
}
