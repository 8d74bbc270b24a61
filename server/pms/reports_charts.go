package pms

import (
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/reports"
)

// wholeUnits formats minor units as whole units of the currency, grouped
// as the page's country writes numbers (an axis needs no cents).
func wholeUnits(st locale.Style, currency string) func(int64) string {
	div := int64(1)
	for i := 0; i < tenant.MinorUnits(currency); i++ {
		div *= 10
	}
	return func(v int64) string { return st.Number(v/div, 0) }
}

// revenueChart is the revenue chart of a date grouping, drawn as SVG on
// the server like the occupancy chart: one bar per row, the room revenue
// (net) stacked under the other revenue (fees and extras, net), on a
// scale up to the largest row rounded up to a readable step.
type revenueChart struct {
	Width, Height int
	Bars          []revenueBar
	Grid          []reportGrid
}

type revenueBar struct {
	reportBar
	OtherY, OtherH int // the other revenue, on top of the room bar
}

func revenueChartOf(rep reports.Report, amount func(int64) string) *revenueChart {
	if (rep.By != reports.ByDay && rep.By != reports.ByMonth) || len(rep.Rows) == 0 {
		return nil
	}
	var top int64
	for _, r := range rep.Rows {
		top = max(top, r.Total.Net)
	}
	if top <= 0 {
		return nil
	}
	step := int64(1)
	for step*10 < top {
		step *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} { // the scale: 1, 2, 5 or 10 steps
		if m*step >= top {
			top = m * step
			break
		}
	}
	slot := 24
	if len(rep.Rows) > 40 {
		slot = 8
	}
	c := &revenueChart{Width: chartLeft + 24 + slot*len(rep.Rows) + 8, Height: chartHeight}
	plot := chartHeight - chartTop - chartBottom
	left := chartLeft + 24 // amounts need a wider axis than percentages
	for i := int64(0); i <= 4; i++ {
		v := top * i / 4
		c.Grid = append(c.Grid, reportGrid{Y: chartTop + plot - int(v*int64(plot)/top), Label: amount(v)})
	}
	every := 1
	if len(rep.Rows) > 16 {
		every = 7
	}
	for i, r := range rep.Rows {
		room := min(max(r.Room.Net, 0), top)
		other := min(max(r.Total.Net-room, 0), top-room)
		h := int(room * int64(plot) / top)
		oh := int(other * int64(plot) / top)
		b := revenueBar{reportBar: reportBar{X: left + i*slot + 2, W: slot - 4, Y: chartTop + plot - h, H: h,
			Title: r.Label + ": rooms " + amount(r.Room.Net) + ", total " + amount(r.Total.Net)}}
		b.OtherH, b.OtherY = oh, b.Y-oh
		if i%every == 0 {
			b.Label, b.LabelX = r.Key, left+i*slot
			if rep.By == reports.ByDay {
				b.Label = r.Key[8:]
			}
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}
