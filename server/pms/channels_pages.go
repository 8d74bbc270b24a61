package pms

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/inventory"
)

// The channels settings page: calendars exported by secret URLs (one per
// room or room type), created, rotated and revoked here; and the public
// /ical/{token}.ics that serves them.

type channelsData struct {
	Feeds   []feedRow
	Exports []exportRow
	Types   []inventory.RoomType
	Rooms   []inventory.Room
	// NewURL is the URL of a calendar just created or rotated: shown once,
	// never stored.
	NewURL   string
	NewFor   string
	Channels []string
	// The channel manager: its connection (no key), mappings and the
	// latest booking revisions received.
	Manager   *channels.Connection
	Mappings  []mappingRow
	Revisions []channels.RevisionRecord
	Plans     []inventory.RatePlan
	// WebhookURL is where the channel manager delivers booking
	// revisions; WebhookSecret a secret just made (shown once).
	WebhookURL    string
	WebhookSecret string
	WebhookHeader string
	Attention     int
}

type mappingRow struct {
	channels.Mapping
	Local string
}

type feedRow struct {
	channels.Feed
	Target string
	Stale  bool
	Blocks int // active blocks from today
	Over   int // of those, overbooked
}

type exportRow struct {
	channels.Export
	Target string
}

// suggestedChannels fill the channel field's list; any channel code is
// accepted.
var suggestedChannels = []string{"airbnb", "booking.com", "vrbo", "google", "other"}

func (s Handlers) ChannelsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderChannels(w, r, c, http.StatusOK, nil, "", "", "")
}

// baseURL is the server's public address.
func (s Handlers) baseURL(r *http.Request) string {
	if s.Cfg.BaseURL != "" {
		return s.Cfg.BaseURL
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// WebhookSecretNew makes a new webhook secret for the property's
// channel-manager connection and shows it once, with the webhook address.
func (s Handlers) WebhookSecretNew(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	secret, err := channels.New(c.DB).NewWebhookSecret(r.Context(), s.currentPropertyID(w, r, c))
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return s.renderChannels(w, r, c, http.StatusUnprocessableEntity,
			aura.Invalid("Connect the channel manager first.", aura.FieldError{Field: "base_url", Message: "connect the channel manager first"}), "cm_", "", "")
	} else if err != nil {
		return err
	}
	return s.renderChannelsWith(w, r, c, func(d *channelsData) { d.WebhookSecret = secret })
}

// FeedDelete deletes an imported calendar: no longer read, its URL wiped,
// its future blocks cancelled (audited).
func (s Handlers) FeedDelete(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	n, err := channels.New(c.DB).DeleteFeed(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	msg := "The imported calendar is deleted; Aura no longer reads it."
	if n > 0 {
		msg += " " + strconv.Itoa(n) + " of its upcoming nights are released."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#feeds", http.StatusSeeOther)
	return nil
}

// attentionData is the attention page's data.
type attentionData struct {
	channels.Attention
	Types map[string]string // room type id → name
	Feeds map[string]string // feed id → "channel (host)"
}

// AttentionPage lists what of the property's channels needs a person.
func (s Handlers) AttentionPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Channels: needs attention", "channels")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	ctx := r.Context()
	d := &attentionData{Types: map[string]string{}, Feeds: map[string]string{}}
	if d.Attention, err = channels.New(c.DB).AttentionOf(ctx, prop.ID, s.Cfg.Now()); err != nil {
		return err
	}
	types, err := inventory.New(c.DB).ListRoomTypes(ctx, prop.ID)
	if err != nil {
		return err
	}
	for _, t := range types {
		d.Types[t.ID] = t.Name
	}
	feeds, err := channels.New(c.DB).ListFeeds(ctx, prop.ID)
	if err != nil {
		return err
	}
	for _, f := range feeds {
		d.Feeds[f.ID] = f.Channel + " (" + f.URLHost + ")"
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "channels_attention", p)
	return nil
}

// RevisionResolve marks a revision that needed attention as dealt with.
func (s Handlers) RevisionResolve(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := channels.New(c.DB).ResolveRevision(r.Context(), s.currentPropertyID(w, r, c), c.Params.ByName("id")); err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The revision is marked as dealt with.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"channels/attention", http.StatusSeeOther)
	return nil
}

// renderChannels shows the page; formErr (with formPrefix naming the
// form's fields, "cal_" or "feed_") fills a form again with its errors.
func (s Handlers) renderChannels(w http.ResponseWriter, r *http.Request, c *web.Call, status int, formErr error, formPrefix, newURL, newFor string) error {
	return s.renderChannelsFull(w, r, c, status, formErr, formPrefix, newURL, newFor, nil)
}

// renderChannelsWith shows the page with extra data set by fill.
func (s Handlers) renderChannelsWith(w http.ResponseWriter, r *http.Request, c *web.Call, fill func(*channelsData)) error {
	return s.renderChannelsFull(w, r, c, http.StatusOK, nil, "", "", "", fill)
}

func (s Handlers) renderChannelsFull(w http.ResponseWriter, r *http.Request, c *web.Call, status int, formErr error, formPrefix, newURL, newFor string, fill func(*channelsData)) error {
	p, prop, err := s.PmsPage(w, r, c, "Channels", "channels")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	ctx := r.Context()
	d := &channelsData{NewURL: newURL, NewFor: newFor, Channels: suggestedChannels, WebhookHeader: channels.WebhookHeader,
		WebhookURL: s.baseURL(r) + web.TenantPath(c.Tenant.Slug) + "channels/webhook/" + prop.ID}
	if fill != nil {
		fill(d)
	}
	att, err := channels.New(c.DB).AttentionOf(ctx, prop.ID, s.Cfg.Now())
	if err != nil {
		return err
	}
	d.Attention = att.Count()
	if d.Types, err = inventory.New(c.DB).ListRoomTypes(ctx, prop.ID); err != nil {
		return err
	}
	if d.Rooms, err = inventory.New(c.DB).ListRooms(ctx, prop.ID); err != nil {
		return err
	}
	exports, err := channels.New(c.DB).ListExports(ctx, prop.ID)
	if err != nil {
		return err
	}
	for _, e := range exports {
		d.Exports = append(d.Exports, exportRow{Export: e, Target: exportTarget(d, e)})
	}
	feeds, err := channels.New(c.DB).ListFeeds(ctx, prop.ID)
	if err != nil {
		return err
	}
	if d.Manager, err = channels.New(c.DB).Connection(ctx, prop.ID); err != nil {
		return err
	}
	if d.Plans, err = inventory.New(c.DB).ListRatePlans(ctx, prop.ID); err != nil {
		return err
	}
	maps, err := channels.New(c.DB).Mappings(ctx, prop.ID)
	if err != nil {
		return err
	}
	for _, m := range maps {
		row := mappingRow{Mapping: m, Local: m.LocalID}
		for _, t := range d.Types {
			if t.ID == m.LocalID {
				row.Local = t.Name
			}
		}
		for _, pl := range d.Plans {
			if pl.ID == m.LocalID {
				row.Local = pl.Name
			}
		}
		d.Mappings = append(d.Mappings, row)
	}
	if d.Revisions, err = channels.New(c.DB).Revisions(ctx, prop.ID, "", 30); err != nil {
		return err
	}
	today := s.Today(r, c, prop)
	for _, f := range feeds {
		row := feedRow{Feed: f, Target: exportTarget(d, channels.Export{RoomID: f.RoomID, RoomTypeID: f.RoomTypeID}), Stale: f.Stale(s.Cfg.Now())}
		blocks, err := channels.New(c.DB).ListChannelBlocks(ctx, f.ID)
		if err != nil {
			return err
		}
		for _, b := range blocks {
			if b.Status == channels.BlockActive && today.Before(b.End) {
				row.Blocks++
				if b.Overbooked {
					row.Over++
				}
			}
		}
		d.Feeds = append(d.Feeds, row)
	}
	if formErr != nil {
		p.Form = r.PostForm
		p.FormFieldErrors(formErr, func(f string) string {
			if f == "room_id" || f == "room_type_id" {
				f = "target"
			}
			return formPrefix + f
		})
	} else {
		p.Form = map[string][]string{"cal_days": {strconv.Itoa(channels.DefaultExportDays)}, "cal_channel": {"airbnb"},
			"feed_channel": {"airbnb"}, "feed_interval_minutes": {strconv.Itoa(channels.DefaultFeedInterval)}, "feed_cancel_vanished": {"1"}}
	}
	p.Data = d
	s.RenderPage(w, r, status, "channels", p)
	return nil
}

func exportTarget(d *channelsData, e channels.Export) string {
	for _, rm := range d.Rooms {
		if rm.ID == e.RoomID {
			return "Room " + rm.Number
		}
	}
	for _, t := range d.Types {
		if t.ID == e.RoomTypeID {
			return t.Name + " (room type)"
		}
	}
	return "—"
}

// calendarURL is the address a channel polls.
func (s Handlers) calendarURL(r *http.Request, token string) string {
	return s.baseURL(r) + "/ical/" + token + ".ics"
}

func (s Handlers) ExportCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	in := channels.ExportInput{PropertyID: s.currentPropertyID(w, r, c), Channel: strings.TrimSpace(v.Get("cal_channel"))}
	in.RoomID, in.RoomTypeID = parseTarget(v.Get("cal_target"))
	var fe web.FormErrors
	if d := strings.TrimSpace(v.Get("cal_days")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			fe.Add("days", "must be a whole number of days")
		}
		in.Days = n
	}
	err := fe.Err("The calendar is not valid.")
	var e channels.Export
	var token string
	if err == nil {
		e, token, err = s.newExport(r, c, in)
	}
	if code := aura.ErrorCode(err); code == aura.EINVALID {
		return s.renderChannels(w, r, c, web.StatusOf(err), err, "cal_", "", "")
	} else if err != nil {
		return err
	}
	return s.renderChannels(w, r, c, http.StatusOK, nil, "", s.calendarURL(r, token), e.Channel)
}

func (s Handlers) ExportRotate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	st := channels.New(c.DB)
	e, token, old, err := st.RotateExport(r.Context(), c.Params.ByName("id"), version)
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.Cfg.Platform.RegisterCalendarToken(ctx, channels.TokenHash(token), c.Tenant.ID); err != nil {
		st.RevokeExport(ctx, e.ID)
		return err
	}
	if old != nil {
		if err := s.Cfg.Platform.ForgetCalendarToken(ctx, old); err != nil {
			// The tenant file no longer holds the old hash, so it leads nowhere.
			s.Logger(r).Warn("calendar token index: forget failed", "err", err)
		}
	}
	return s.renderChannels(w, r, c, http.StatusOK, nil, "", s.calendarURL(r, token), e.Channel)
}

func (s Handlers) ExportRevoke(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	_, old, err := channels.New(c.DB).RevokeExport(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if old != nil {
		if err := s.Cfg.Platform.ForgetCalendarToken(context.WithoutCancel(r.Context()), old); err != nil {
			s.Logger(r).Warn("calendar token index: forget failed", "err", err)
		}
	}
	s.SetFlash(w, "ok", "The calendar URL is revoked: it answers “not found” from now on.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels", http.StatusSeeOther)
	return nil
}

// parseTarget reads a "room:ID" or "type:ID" choice.
func parseTarget(v string) (roomID, roomTypeID string) {
	if kind, id, ok := strings.Cut(v, ":"); ok && kind == "room" {
		return id, ""
	} else if ok && kind == "type" {
		return "", id
	}
	return "", ""
}

func (s Handlers) FeedCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	in := channels.FeedInput{PropertyID: s.currentPropertyID(w, r, c), Channel: strings.TrimSpace(v.Get("feed_channel")), URL: v.Get("feed_url")}
	in.RoomID, in.RoomTypeID = parseTarget(v.Get("feed_target"))
	cancel := v.Get("feed_cancel_vanished") != ""
	in.CancelVanished = &cancel
	var fe web.FormErrors
	if m := strings.TrimSpace(v.Get("feed_interval_minutes")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			fe.Add("interval_minutes", "must be a whole number of minutes")
		}
		in.IntervalMinutes = n
	}
	err := fe.Err("The calendar feed is not valid.")
	var f channels.Feed
	if err == nil {
		f, err = channels.New(c.DB).CreateFeed(r.Context(), in)
	}
	if aura.ErrorCode(err) == aura.EINVALID {
		return s.renderChannels(w, r, c, web.StatusOf(err), err, "feed_", "", "")
	} else if err != nil {
		return err
	}
	// The first poll at once, so the page shows whether the feed works.
	res, err := channels.New(c.DB).PollFeed(r.Context(), f.ID, s.calendarFetcher())
	if err != nil {
		return err
	}
	kind, msg := pollFlash(res)
	s.SetFlash(w, kind, msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#feeds", http.StatusSeeOther)
	return nil
}

func (s Handlers) calendarFetcher() *channels.Fetcher {
	if s.Cfg.CalendarFetcher != nil {
		return s.Cfg.CalendarFetcher
	}
	return &channels.Fetcher{}
}

// pollFlash says what a poll did.
func pollFlash(res channels.ImportResult) (string, string) {
	switch res.Status {
	case "error":
		return "error", "The calendar could not be read: " + res.Error
	case "not_modified":
		return "ok", "The calendar has not changed since the last poll."
	}
	msg := "The calendar was read: " + strconv.Itoa(res.Events) + " upcoming events; " + strconv.Itoa(res.Created) + " new, " +
		strconv.Itoa(res.Updated) + " changed, " + strconv.Itoa(res.Cancelled) + " cancelled."
	if res.Overbooked > 0 {
		msg += " " + strconv.Itoa(res.Overbooked) + " landed on nights already taken (overbooked): move or cancel a stay."
	}
	return "ok", msg
}

func (s Handlers) FeedPoll(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	res, err := channels.New(c.DB).PollFeed(r.Context(), c.Params.ByName("id"), s.calendarFetcher())
	if err != nil {
		return err
	}
	kind, msg := pollFlash(res)
	s.SetFlash(w, kind, msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#feeds", http.StatusSeeOther)
	return nil
}

// FeedActive pauses (active false) or resumes a feed.
func (s Handlers) FeedActive(active bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		if _, err := channels.New(c.DB).SetFeedActive(r.Context(), c.Params.ByName("id"), active); err != nil {
			return err
		}
		msg := "The feed is paused; its blocks stay as they are."
		if active {
			msg = "The feed is polled again."
		}
		s.SetFlash(w, "ok", msg)
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#feeds", http.StatusSeeOther)
		return nil
	}
}

// ManagerSet connects the property to a channel manager (Channex): the
// API key is sealed and never shown again.
func (s Handlers) ManagerSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	in := channels.ConnectionInput{PropertyID: s.currentPropertyID(w, r, c), Provider: "channex", BaseURL: strings.TrimSpace(v.Get("cm_base_url")),
		ExternalPropertyID: strings.TrimSpace(v.Get("cm_external_property_id")), APIKey: strings.TrimSpace(v.Get("cm_api_key"))}
	if n, err := strconv.Atoi(strings.TrimSpace(v.Get("cm_per_minute"))); err == nil {
		in.PerMinute = n
	}
	if _, err := channels.New(c.DB).SetConnection(r.Context(), in); aura.ErrorCode(err) == aura.EINVALID {
		return s.renderChannels(w, r, c, web.StatusOf(err), err, "cm_", "", "")
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The channel manager is connected; availability and rates are being sent in full.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#manager", http.StatusSeeOther)
	return nil
}

// MappingSet maps a channel manager's room type or rate plan id to one of
// the property's.
func (s Handlers) MappingSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	propID := s.currentPropertyID(w, r, c)
	kind, local := "", ""
	if k, id, ok := strings.Cut(v.Get("map_local"), ":"); ok {
		kind, local = map[string]string{"type": "room_type", "plan": "rate_plan"}[k], id
	}
	ok := false
	if kind == "room_type" {
		t, err := inventory.New(c.DB).GetRoomType(r.Context(), local)
		ok = err == nil && t.PropertyID == propID
	} else if kind == "rate_plan" {
		p, err := inventory.New(c.DB).GetRatePlan(r.Context(), local)
		ok = err == nil && p.PropertyID == propID
	}
	var err error
	if !ok {
		err = aura.Invalid("The mapping is not valid.", aura.FieldError{Field: "local", Message: "choose a room type or rate plan of this property"})
	} else if ext := strings.TrimSpace(v.Get("map_external_id")); ext == "" || len(ext) > 100 {
		err = aura.Invalid("The mapping is not valid.", aura.FieldError{Field: "external_id", Message: "give the channel manager's id (1 to 100 characters)"})
	} else {
		err = channels.New(c.DB).MapExternal(r.Context(), propID, kind, ext, local)
	}
	if aura.ErrorCode(err) == aura.EINVALID {
		return s.renderChannels(w, r, c, web.StatusOf(err), err, "map_", "", "")
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The mapping is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#manager", http.StatusSeeOther)
	return nil
}

// Limits of /ical/: requests per minute for one calendar token and for one
// client network (an IPv4 address, an IPv6 /64). Channels poll a calendar
// every few minutes at most; a client asking more, or guessing tokens, is
// answered 429.
const (
	CalendarPerToken  = 30
	CalendarPerClient = 120
)

// rateWindow counts requests of one key in a fixed one-minute window.
type rateWindow struct {
	start time.Time
	n     int
}

type rateLimiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*rateWindow
}

// allow counts a request under key and reports whether it is within
// limit, and when not, how long until the window ends.
func (l *rateLimiter) allow(key string, limit int) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100000 {
		for k, w := range l.m {
			if now.Sub(w.start) >= time.Minute {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &rateWindow{start: now}
		l.m[key] = w
	}
	w.n++
	if w.n > limit {
		return false, w.start.Add(time.Minute).Sub(now)
	}
	return true, 0
}

// clientNetwork is the rate-limit key of a peer: its IPv4 address or its
// IPv6 /64.
func clientNetwork(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return ip.String()
}

// CalendarFeed returns the handler of /ical/{token}.ics: the calendar of
// an export, found by the token alone (its hash in the platform index, then
// in the tenant's file), without a session. Every way of not finding one —
// a malformed, unknown, rotated or revoked token, a suspended or deleted
// tenant — gets the same 404, so the URL reveals nothing about a tenant. It
// answers conditional requests (If-None-Match, If-Modified-Since) with 304
// and is rate-limited per token and per client network.
func (s Handlers) CalendarFeed() http.HandlerFunc {
	lim := &rateLimiter{now: s.Cfg.Now, m: map[string]*rateWindow{}}
	notFound := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("Not found.\n"))
	}
	tooMany := func(w http.ResponseWriter, wait time.Duration) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte("Too many requests; try again later.\n"))
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Robots-Tag", "noindex")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMethodNotAllowed)
			w.Write([]byte("Only GET and HEAD.\n"))
			return
		}
		if ok, wait := lim.allow("client\x00"+clientNetwork(r), CalendarPerClient); !ok {
			tooMany(w, wait)
			return
		}
		token, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/ical/"), ".ics")
		if !ok || !channels.ValidToken(token) {
			notFound(w)
			return
		}
		hash := channels.TokenHash(token)
		if ok, wait := lim.allow("token\x00"+string(hash), CalendarPerToken); !ok {
			tooMany(w, wait)
			return
		}
		cal, err := s.calendarByHash(r.Context(), hash)
		switch aura.ErrorCode(err) {
		case "":
		case aura.ENOTFOUND, aura.EUNAVAILABLE:
			notFound(w)
			return
		default:
			s.Logger(r).Error("calendar export", "err", err)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("The calendar cannot be served right now; try again later.\n"))
			return
		}
		h := w.Header()
		h.Set("ETag", cal.ETag)
		h.Set("Last-Modified", cal.LastModified.UTC().Format(http.TimeFormat))
		h.Set("Cache-Control", "no-cache")
		if notModified(r, cal) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "text/calendar; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(cal.Body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(cal.Body)
		}
	}
}

// calendarByHash finds the tenant of a token hash in the platform index
// and renders the calendar from the tenant's file.
func (s Handlers) calendarByHash(ctx context.Context, hash []byte) (channels.Calendar, error) {
	slug, err := s.Cfg.Platform.CalendarTokenTenant(ctx, hash)
	if err != nil {
		return channels.Calendar{}, err
	}
	db, err := s.Cfg.Router.Acquire(ctx, slug)
	if err != nil {
		return channels.Calendar{}, err
	}
	defer db.Release()
	return channels.New(db).CalendarByToken(ctx, hash)
}

// notModified applies RFC 9110's conditional GET: If-None-Match when
// present (a list of tags or *), else If-Modified-Since.
func notModified(r *http.Request, cal channels.Calendar) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == cal.ETag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !cal.LastModified.After(t) {
			return true
		}
	}
	return false
}

// ManagerResync queues the property's whole availability, rates and
// restrictions for the channel manager again (the full resync); the
// channel-manager job sends them within its requests per minute.
func (s Handlers) ManagerResync(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	err := channels.New(c.DB).ResyncARI(r.Context(), s.currentPropertyID(w, r, c))
	if aura.ErrorCode(err) == aura.EPRECONDITION {
		s.SetFlash(w, "error", "Connect the channel manager first.")
	} else if err != nil {
		return err
	} else {
		s.SetFlash(w, "ok", "Availability, rates and restrictions are queued in full; they go out within the next minutes.")
	}
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/channels#manager", http.StatusSeeOther)
	return nil
}
