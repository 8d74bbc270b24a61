package pms

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
)

// The housekeeping board (sized for a phone: housekeeping staff carry it
// from room to room) and the night audit page.

type housekeepingData struct {
	frontdesk.HousekeepingBoard
	Show      string // "" (every room), "todo" (dirty rooms) or "ready"
	Rooms     []frontdesk.BoardRoom
	IsToday   bool
	CanWrite  bool
	Prev      string
	Next      string
	TodayHref string
	Back      string // the board's own address, to return to after a change
}

// housekeepingConditions are the conditions a room can be given, in the
// order of the board's buttons.
var housekeepingConditions = []web.Option{{Value: inventory.HousekeepingClean, Label: "Clean"},
	{Value: inventory.HousekeepingInspected, Label: "Inspected"}, {Value: inventory.HousekeepingDirty, Label: "Dirty"}}

// Conditions lists the housekeeping conditions for the board's buttons.
func (d *housekeepingData) Conditions() []web.Option { return housekeepingConditions }

func (s Handlers) HousekeepingPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Housekeeping", "housekeeping")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	day, err := queryDay(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	b, err := frontdesk.New(c.DB).HousekeepingBoard(r.Context(), prop.ID, day)
	if err != nil {
		return err
	}
	d := &housekeepingData{HousekeepingBoard: b, Show: q.Get("show"), IsToday: b.Date == b.Today, CanWrite: c.Can(identity.PermHousekeepingWrite)}
	for _, rm := range b.Rooms {
		switch d.Show {
		case "todo":
			if rm.Condition != inventory.HousekeepingDirty {
				continue
			}
		case "ready":
			if rm.Condition == inventory.HousekeepingDirty || rm.OutOfOrder() {
				continue
			}
		default:
			d.Show = ""
		}
		d.Rooms = append(d.Rooms, rm)
	}
	dateArg := func(x date.Date) []string {
		if x == b.Today {
			return nil
		}
		return []string{"date", x.String()}
	}
	link := func(x date.Date, show string) string {
		kv := dateArg(x)
		if show != "" {
			kv = append(kv, "show", show)
		}
		return p.Link("housekeeping", kv...)
	}
	d.Prev, d.Next, d.TodayHref = link(b.Date.AddDays(-1), d.Show), link(b.Date.AddDays(1), d.Show), link(b.Today, d.Show)
	d.Back = link(b.Date, d.Show)
	if !d.IsToday {
		p.Title = "Housekeeping · " + p.Day(b.Date)
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "housekeeping", p)
	return nil
}

// ShowLink is the board's address with another filter.
func (d *housekeepingData) ShowLink(p *web.Page, show string) string {
	kv := []string{}
	if !d.IsToday {
		kv = append(kv, "date", d.Date.String())
	}
	if show != "" {
		kv = append(kv, "show", show)
	}
	return p.Link("housekeeping", kv...)
}

// HousekeepingSet gives a room a condition with the version the board
// showed, then returns to the board at that room.
func (s Handlers) HousekeepingSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	back := web.SafeNext(c.Tenant.Slug, v.Get("back"))
	if !strings.HasPrefix(back, web.TenantPath(c.Tenant.Slug)+"housekeeping") {
		back = web.TenantPath(c.Tenant.Slug) + "housekeeping"
	}
	rm, err := inventory.New(c.DB).SetHousekeeping(r.Context(), c.Params.ByName("id"), v.Get("condition"), web.FormVersion(v))
	switch code := aura.ErrorCode(err); {
	case err == nil:
		s.SetFlash(w, "ok", "Room "+rm.Number+" is "+rm.Housekeeping+".")
		http.Redirect(w, r, back+"#room-"+url.PathEscape(rm.ID), http.StatusSeeOther)
	case code == aura.EPRECONDITION:
		s.SetFlash(w, "error", "Someone changed this room a moment ago. The board now shows its current condition; tap again if it still needs changing.")
		http.Redirect(w, r, back+"#room-"+url.PathEscape(c.Params.ByName("id")), http.StatusSeeOther)
	default:
		return err
	}
	return nil
}

// The night audit page.

type nightAuditData struct {
	Day     frontdesk.BusinessDay
	History []frontdesk.ClosedBusinessDate
	Time    string
}

func (s Handlers) NightAuditPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Night audit", "nightaudit")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	d := &nightAuditData{Time: prop.FrontDesk.NightAuditTime}
	if d.Day, err = frontdesk.New(c.DB).BusinessDate(r.Context(), prop.ID); err != nil {
		return err
	}
	if d.History, err = frontdesk.New(c.DB).NightAuditHistory(r.Context(), prop.ID, 30); err != nil {
		return err
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "nightaudit", p)
	return nil
}

// NightAuditRun runs the night audit of the current property now: it
// closes every business date whose hour has passed (nothing when none is
// due), as the scheduler would.
func (s Handlers) NightAuditRun(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, "Night audit", "nightaudit")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	res, err := frontdesk.New(c.DB).RunNightAudit(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	var msg string
	if len(res.Closed) == 0 {
		msg = "Nothing was due: the business date " + p.Day(res.BusinessDate) + " closes at " + prop.FrontDesk.NightAuditTime + " tomorrow morning."
	} else {
		noShows, cancelled := 0, 0
		for _, cl := range res.Closed {
			noShows += len(cl.NoShows)
			cancelled += len(cl.Cancelled)
		}
		msg = "The night audit closed " + web.Plural(len(res.Closed), "business date", "business dates") + ": " +
			web.Plural(noShows, "no-show", "no-shows") + ", " + web.Plural(cancelled, "tentative hold", "tentative holds") + " released. The business date is now " + p.Day(res.BusinessDate) + "."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"night-audit", http.StatusSeeOther)
	return nil
}

// purgeIDPhotos runs the ID-photo retention purge of the tenant now, as
// the caller (the audit rows name them), then AfterPurge when it removed
// something.
func (s Handlers) purgeIDPhotos(ctx context.Context, c *web.Call) (frontdesk.PurgeResult, error) {
	res, err := frontdesk.New(c.DB).PurgeIDPhotos(ctx)
	if err == nil && res.Records > 0 && s.Cfg.AfterPurge != nil {
		err = s.Cfg.AfterPurge(ctx, c.DB)
	}
	return res, err
}

// purgeWords says what a purge did, for a flash.
func purgeWords(res frontdesk.PurgeResult) string {
	if res.Records == 0 {
		return "Nothing was due: no ID photo or document number is past its property's retention window."
	}
	msg := web.Plural(res.Photos, "ID photo", "ID photos") + " purged"
	if res.Numbers > 0 {
		msg += " and " + web.Plural(res.Numbers, "document number", "document numbers") + " blanked"
	}
	return msg + ", from " + web.Plural(res.Records, "check-in record", "check-in records") + " past the retention window."
}

// PurgeIDPhotosPage runs the purge from the property settings page.
func (s Handlers) PurgeIDPhotosPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	res, err := s.purgeIDPhotos(r.Context(), c)
	if err != nil {
		return err
	}
	s.SetFlash(w, "ok", purgeWords(res))
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/property", http.StatusSeeOther)
	return nil
}

// ApiPurgeIDPhotos runs the purge now and answers what it did.
func (s Handlers) ApiPurgeIDPhotos(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	res, err := s.purgeIDPhotos(r.Context(), c)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, res)
}
