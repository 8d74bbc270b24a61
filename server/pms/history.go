package pms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// History for people: audit rows told in the words of the front desk.
//
// The audit chain stores what the store wrote: ids, minor units, UTC
// instants, JSON, and personal data sealed. The history panels of a
// reservation and a guest, the tenant's audit page and the dashboard's
// activity show each row as what happened ("Checked in", "Room assigned"),
// to what ("Anna Muster’s stay", linked), by whom and when (in the
// property's zone), and what changed, each field by its label with dates,
// instants and money as the property writes them and ids replaced by the
// names they stand for. A guest's sealed values are opened only for users
// who may read guests and read "hidden" otherwise. The row as stored is
// one click away (a closed <details> with the JSON), for auditors.

// HistoryItem is one audit row told for people.
type HistoryItem struct {
	At      time.Time
	When    string // in the property's zone
	Actor   string
	Imp     bool
	What    string // the action in words
	Subject string // what it happened to, in words
	Href    string // the page of the subject ("" when none)
	Lines   []historyLine
	Raw     historyRaw
}

// historyLine is one changed field: its label and the value before and
// after (Before empty for a value set or an event's detail).
type historyLine struct {
	Label, Before, After string
	Hidden               bool // a personal value this user may not see
}

// historyRaw is the row as stored, for the raw view.
type historyRaw struct {
	Seq                   int64
	Action                string
	Entity                string
	At                    string
	Before, After         string
	RequestID, IP, Client string
}

// actionWords names the actions of the audit chain in the words staff use.
var actionWords = map[string]string{
	"reservation.created": "Booked", "reservation.imported": "Imported", "reservation.confirmed": "Confirmed",
	"reservation.checked_in": "Checked in", "reservation.checked_out": "Checked out", "reservation.cancelled": "Cancelled",
	"reservation.no_show": "Marked a no-show", "reservation.room_assigned": "Room assigned", "reservation.room_unassigned": "Room taken off",
	"reservation.room_moved": "Moved to another room", "reservation.stay_changed": "Stay changed", "reservation.extended": "Stay extended",
	"reservation.early_departure": "Departure brought forward", "booking.created": "Booking made", "booking.updated": "Booking changed",
	"guest.created": "Guest profile created", "guest.updated": "Guest profile changed", "checkin_record.created": "Registered at check-in",
	"checkin_record.updated": "Check-in record corrected", "checkin_record.photo_added": "ID photo added",
	"checkin_record.photo_deleted": "ID photo deleted", "checkin_record.purged": "ID data purged (retention)",
	"room.created": "Room added", "room.updated": "Room changed", "room.housekeeping_changed": "Room condition changed",
	"room_type.created": "Room type added", "room_type.updated": "Room type changed", "room_block.created": "Room blocked",
	"room_block.deleted": "Room block removed", "rate_plan.created": "Rate plan added", "rate_plan.updated": "Rate plan changed",
	"rates.updated": "Rates changed", "property.created": "Property added", "property.updated": "Property settings changed",
	"night_audit.closed": "Night audit closed the business date", "user.created": "User added", "user.invited": "User invited",
	"user.reinvited": "Invitation sent again", "user.invitation_accepted": "Invitation accepted", "user.logged_in": "Signed in",
	"user.logged_out": "Signed out", "user.login_failed": "Sign-in failed", "user.password_changed": "Password changed",
	"user.role_changed": "Role changed", "user.disabled": "User disabled", "user.enabled": "User enabled", "user.removed": "User removed",
	"token.created": "API token created", "token.revoked": "API token revoked", "session.revoked": "Session ended",
	"session.revoked_all": "All sessions ended", "session.rotated": "Session renewed", "setting.changed": "Setting changed",
	"audit.exported": "Audit log exported", "impersonation.started": "Staff impersonation started",
	"impersonation.ended": "Staff impersonation ended", "tenant.created": "Account created", "tenant.restored": "Account restored",
}

// fieldLabels names the fields of audit rows; others get fieldLabel's.
var fieldLabels = map[string]string{
	"room_id": "Room", "to_room_id": "To room", "from_room_id": "From room", "guest_id": "Guest", "booker_id": "Booker",
	"rate_plan_id": "Rate plan", "room_type_id": "Room type", "housekeeping": "Condition", "total": "Total",
	"checked_in_at": "Checked in", "checked_out_at": "Checked out", "cancelled_at": "Cancelled", "ota_code": "Channel code",
	"notes_sealed": "Notes", "cancellation_fee": "Cancellation fee", "no_show_fee": "No-show fee", "policy_fee": "Fee by the policy",
	"fee_waived": "Fee waived", "booked_departure": "Booked departure", "from_night": "From the night of", "business_date": "Business date",
	"nights_released": "Nights back on sale", "nights_added": "Nights added", "days_changed": "Days changed", "days_selected": "Days selected",
	"overbooking_resolved": "Overbooking resolved", "day_use": "Day use", "provided": "Document details given", "photos": "ID photos",
	"min_stay": "Minimum stay", "max_stay": "Maximum stay", "closed_to_arrival": "Closed to arrival", "closed_to_departure": "Closed to departure",
	"stop_sell": "Stop-sell", "remove_price": "Price removed", "id_photo_retention_days": "Keep ID photos (days)",
	"night_audit_time": "Night audit at", "purge_document_numbers": "Purge document numbers", "given_name": "Given name",
	"family_name": "Family name", "no_shows": "No-shows", "cancelled": "Holds released", "overdue": "Guests overdue",
	"confirmed_at_check_in_of": "Checked out at a check-in", "from": "From", "to": "Until (not included)", "balance": "Balance", "source": "Source", "status": "Status",
}

// skipFields are bookkeeping, shown only in the raw view.
var skipFields = map[string]bool{
	"id": true, "version": true, "created_at": true, "updated_at": true, "nights": true, "property_id": true, "booking_id": true,
	"reservation_id": true, "policy": true, "from_room_id": true, "to_room_id": true, "runs": true, "roll_at": true, "closed_at": true, "currency": true, "request_hash": true,
	"hash": true, // an issued document's hash: for aura audit verify, in the raw view
}

// historyCtx resolves what audit rows name for one page.
type historyCtx struct {
	p         *web.Page
	canGuests bool
	rooms     map[string]string // room id → number
	names     map[string]string // ids of room types, rate plans, properties, users → names
	guests    map[string]string // guest id → name (only with guests.read)
	resGuest  map[string]string // reservation id → its guest id
	users     map[string]string
	staff     map[string]string
}

var (
	isoDay     = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
	isoInstant = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d`)
	anID       = regexp.MustCompile(`^[a-z]{3}_[a-z0-9]{8,}$`)
	guestRef   = regexp.MustCompile(`"(?:guest_id|booker_id)":"(gst_[a-z0-9]+)"`) // the guests a row names
	stayGuest  = regexp.MustCompile(`"guest_id":"(gst_[a-z0-9]+)"`)               // a reservation row's guest
)

// History tells rows for people on page p (whose property gives the zone,
// the currency and the date style).
func (s Handlers) History(r *http.Request, c *web.Call, p *web.Page, rows []audit.Row) ([]HistoryItem, error) {
	ctx := r.Context()
	h := &historyCtx{p: p, canGuests: c.Can(identity.PermGuestsRead), rooms: map[string]string{}, names: map[string]string{},
		guests: map[string]string{}, resGuest: map[string]string{}}
	var err error
	if h.users, err = identity.New(c.DB).UserLabels(ctx); err != nil {
		return nil, err
	}
	for id, l := range h.users {
		h.names[id] = l
	}
	if h.staff, err = s.Cfg.Platform.StaffLabels(ctx); err != nil {
		return nil, err
	}
	props, err := inventory.New(c.DB).ListProperties(ctx)
	if err != nil {
		return nil, err
	}
	for _, pr := range props {
		h.names[pr.ID] = pr.Name
		rooms, err := inventory.New(c.DB).ListRooms(ctx, pr.ID)
		if err != nil {
			return nil, err
		}
		for _, rm := range rooms {
			h.rooms[rm.ID] = rm.Number
		}
		types, err := inventory.New(c.DB).ListRoomTypes(ctx, pr.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range types {
			h.names[t.ID] = t.Name
		}
		plans, err := inventory.New(c.DB).ListRatePlans(ctx, pr.ID)
		if err != nil {
			return nil, err
		}
		for _, rp := range plans {
			h.names[rp.ID] = rp.Name
		}
	}
	// The guests the rows name, and the guest of each stay they name.
	var guestIDs []string
	seen := map[string]bool{}
	addGuest := func(id string) {
		if strings.HasPrefix(id, "gst_") && !seen[id] {
			seen[id] = true
			guestIDs = append(guestIDs, id)
		}
	}
	for _, row := range rows {
		for _, js := range []string{row.Before.String, row.After.String} {
			for _, m := range guestRef.FindAllStringSubmatch(js, -1) {
				addGuest(m[1])
			}
			if row.EntityType == "reservation" {
				if m := stayGuest.FindStringSubmatch(js); m != nil {
					h.resGuest[row.EntityID] = m[1]
				}
			}
		}
		if row.EntityType == "guest" {
			addGuest(row.EntityID)
		}
	}
	if h.canGuests && len(guestIDs) > 0 {
		if h.guests, err = stays.New(c.DB).GuestNames(ctx, guestIDs); err != nil {
			return nil, err
		}
	}
	out := make([]HistoryItem, 0, len(rows))
	for _, row := range rows {
		it, err := h.item(ctx, c, row)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// guest names a guest: their name with guests.read, else "a guest".
func (h *historyCtx) guest(id string) string {
	if n := h.guests[id]; n != "" {
		return n
	}
	return "a guest"
}

func (h *historyCtx) item(ctx context.Context, c *web.Call, row audit.Row) (HistoryItem, error) {
	at, _ := time.Parse(audit.TimeFormat, row.At)
	actor := web.ActorLabel(row.ActorKind, row.ActorID, row.ActorName, h.users, h.staff)
	if row.ActorKind == aura.ActorToken {
		actor = "API token of " + h.users[row.ActorName]
		if h.users[row.ActorName] == "" {
			actor = "An API token"
		}
	}
	it := HistoryItem{At: at, When: h.p.When(at), Actor: actor,
		Imp: row.Impersonation != "", What: actionWords[row.Action]}
	if it.What == "" {
		it.What = words(strings.ReplaceAll(row.Action, ".", ": "))
	}
	it.Raw = historyRaw{Seq: row.Seq, Action: row.Action, Entity: row.EntityType + " " + row.EntityID, At: row.At,
		Before: pretty(row.Before.String), After: pretty(row.After.String), RequestID: row.RequestID, IP: row.IP, Client: row.UserAgent}
	var before, after map[string]any
	json.Unmarshal([]byte(row.Before.String), &before)
	json.Unmarshal([]byte(row.After.String), &after)
	base := "/" + h.p.Slug + "/"
	switch row.EntityType {
	case "reservation":
		it.Subject, it.Href = "A stay", base+"reservations/"+row.EntityID
		if g := h.resGuest[row.EntityID]; g != "" && h.guests[g] != "" {
			it.Subject = h.guests[g] + "’s stay"
		}
	case "booking":
		it.Subject = "A booking"
		if b, ok := first(after, before)["booker_id"].(string); ok && h.guests[b] != "" {
			it.Subject = "Booking of " + h.guests[b]
		}
	case "guest":
		it.Subject, it.Href = "Guest "+h.guest(row.EntityID), base+"guests/"+row.EntityID
		lines, err := h.guestLines(ctx, c, row.EntityID, before, after)
		if err != nil {
			return it, err
		}
		it.Lines = lines
		return it, nil
	case "checkin_record":
		g, _ := first(after, before)["guest_id"].(string)
		it.Subject = "Check-in record of " + h.guest(g)
		if g != "" {
			it.Href = base + "guests/" + g
		}
	case "room":
		it.Subject = "Room " + h.rooms[row.EntityID]
	case "room_type", "rate_plan", "property":
		it.Subject = h.names[row.EntityID]
		if row.Action == "night_audit.closed" {
			it.Subject = "Night audit at " + h.names[row.EntityID]
		}
	case "user":
		it.Subject = h.users[row.EntityID]
	}
	if row.Action == "rates.updated" {
		if e, ok := after["edit"].(map[string]any); ok {
			if id, ok := e["rate_plan_id"].(string); ok {
				it.Subject = "Rates of " + h.names[id]
			}
		}
	}
	if it.Subject == "" {
		it.Subject = words(row.EntityType)
	}
	if row.EntityType == "booking" {
		it.Lines = h.bookingLines(ctx, c, row.EntityID, before, after)
		return it, nil
	}
	it.Lines = h.lines(before, after)
	return it, nil
}

func first(ms ...map[string]any) map[string]any {
	for _, m := range ms {
		if m != nil {
			return m
		}
	}
	return map[string]any{}
}

// lines compares a row's before and after field by field. An after that
// wraps the entity ({"reservation": {...}, extras…}) compares the entity
// and lists the extras as details; nested objects are opened one level.
func (h *historyCtx) lines(before, after map[string]any) []historyLine {
	main, extras := after, map[string]any{}
	if inner, ok := after["reservation"].(map[string]any); ok {
		main = inner
		for k, v := range after {
			if k != "reservation" {
				extras[k] = v
			}
		}
	}
	b, a := flatten(before), flatten(main)
	var out []historyLine
	keys := sortedKeys(b, a)
	if before == nil {
		// A creation: what was set, in a useful order.
		for _, k := range keys {
			if v := h.value(k, a[k]); v != "" && !skipFields[k] && v != "no" && v != "0" {
				out = append(out, historyLine{Label: h.label(k), After: v})
			}
		}
	} else {
		for _, k := range keys {
			if skipFields[k] {
				continue
			}
			bv, av := h.value(k, b[k]), h.value(k, a[k])
			if bv == av {
				continue
			}
			out = append(out, historyLine{Label: h.label(k), Before: bv, After: av})
		}
	}
	ex := flatten(extras)
	for _, k := range sortedKeys(ex) {
		if skipFields[k] {
			continue
		}
		if v := h.value(k, ex[k]); v != "" {
			out = append(out, historyLine{Label: h.label(k), After: v})
		}
	}
	return out
}

// flatten opens nested objects one level ({"move": {"to_room_id": …}}
// gives "to_room_id"), keeping money objects whole.
func flatten(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if inner, ok := v.(map[string]any); ok && !isMoney(inner) && k != "reservation" && k != "sealed" && k != "policy" && k != "was" {
			for ik, iv := range inner {
				if _, clash := m[ik]; !clash {
					out[ik] = iv
				}
			}
			continue
		}
		out[k] = v
	}
	return out
}

func isMoney(m map[string]any) bool {
	_, a := m["amount"]
	_, c := m["currency"]
	return a && c && len(m) == 2
}

func sortedKeys(ms ...map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	// The fields people look for first, then the rest by name.
	rank := map[string]int{"status": 0, "room_id": 1, "from_room_id": 1, "to_room_id": 2, "arrival": 3, "departure": 4, "booked_departure": 4,
		"adults": 5, "children": 6, "room_type_id": 7, "rate_plan_id": 8, "total": 9}
	sort.Slice(out, func(i, j int) bool {
		ri, iok := rank[out[i]]
		rj, jok := rank[out[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return out[i] < out[j]
	})
	return out
}

func (h *historyCtx) label(k string) string {
	if l, ok := fieldLabels[k]; ok {
		return l
	}
	return web.FieldLabel(k)
}

// value writes one value for people: names for ids, the property's date,
// instant and money style, yes/no, lists joined; "" for what means
// nothing to a person (an internal id of no name).
func (h *historyCtx) value(k string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		if k == "policy_fee" || k == "balance" {
			return h.p.Amount(int64(x))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return h.text(k, x)
	case map[string]any:
		if isMoney(x) {
			amount, _ := x["amount"].(float64)
			cur, _ := x["currency"].(string)
			return h.p.Money(tenant.Money{Amount: int64(amount), Currency: cur})
		}
		return ""
	case []any:
		if k == "photos" {
			return web.Plural(len(x), "photo", "photos")
		}
		var parts []string
		for _, e := range x {
			switch y := e.(type) {
			case string:
				if t := h.text(k, y); t != "" {
					parts = append(parts, t)
				}
			case map[string]any:
				return web.Plural(len(x), "item", "items")
			}
		}
		if len(parts) == 0 && len(x) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

func (h *historyCtx) text(k, s string) string {
	switch {
	case s == "":
		return ""
	case s == "(sealed)" || strings.HasPrefix(s, "sealed:v1:"):
		return "hidden"
	case k == "status":
		return h.p.StatusLabel(s)
	case k == "source":
		return h.p.SourceLabel(s)
	case k == "housekeeping":
		return s
	case isoDay.MatchString(s):
		if d, err := date.Parse(s); err == nil {
			return h.p.Day(d)
		}
	case isoInstant.MatchString(s):
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return h.p.When(t)
		}
	case anID.MatchString(s):
		switch s[:4] {
		case "rom_":
			if n := h.rooms[s]; n != "" {
				return n
			}
		case "gst_":
			return h.guest(s)
		case "res_":
			if g := h.resGuest[s]; g != "" {
				return h.guest(g) + "’s stay"
			}
			return "another stay"
		}
		return h.names[s]
	case strings.Contains(s, "."):
		return strings.ReplaceAll(strings.ReplaceAll(s, ".", " "), "_", " ")
	}
	return s
}

// guestLines tells a guest row: the profile fields that changed, opened
// for users who may read guests, "hidden" for others.
func (h *historyCtx) guestLines(ctx context.Context, c *web.Call, guestID string, before, after map[string]any) ([]historyLine, error) {
	open := func(m map[string]any) (map[string]string, bool, error) {
		sealed := map[string][]byte{}
		raw, _ := m["sealed"].(map[string]any)
		for col, v := range raw {
			if s, ok := v.(string); ok {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil {
					sealed[col] = b
				}
			}
		}
		if len(sealed) == 0 || !h.canGuests {
			cols := map[string]string{}
			for col := range sealed {
				cols[col] = ""
			}
			return cols, false, nil
		}
		vals, erased, err := c.DB.OpenGuestSealed(ctx, guestID, "guests", guestID, sealed)
		if aura.ErrorCode(err) == aura.ENOTFOUND {
			return map[string]string{}, true, nil
		}
		return vals, erased, err
	}
	b, erasedB, err := open(before)
	if err != nil {
		return nil, err
	}
	a, erasedA, err := open(after)
	if err != nil {
		return nil, err
	}
	if erasedA || erasedB {
		return []historyLine{{Label: "Personal data", After: "erased", Hidden: true}}, nil
	}
	if !h.canGuests {
		return []historyLine{{Label: "Personal data", After: "hidden", Hidden: true}}, nil
	}
	var out []historyLine
	for _, col := range []string{"given_name", "family_name", "email", "phone", "address", "nationality", "language", "notes", "reason"} {
		bv, av := b[col], a[col]
		if bv == av || av == "" && bv == "" {
			continue
		}
		if col == "address" {
			bv, av = addressWords(bv), addressWords(av)
		}
		out = append(out, historyLine{Label: h.label(col), Before: bv, After: av})
	}
	return out, nil
}

// addressWords writes a sealed address (JSON) on one line.
func addressWords(js string) string {
	var a inventory.Address
	if json.Unmarshal([]byte(js), &a) != nil {
		return js
	}
	return addressLine(a)
}

// addressLine writes an address on one line.
func addressLine(a inventory.Address) string {
	var parts []string
	for _, p := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.Region, a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// bookingLines tells a booking row; its notes are sealed under the
// booker's key and opened for users who may read guests.
func (h *historyCtx) bookingLines(ctx context.Context, c *web.Call, bookingID string, before, after map[string]any) []historyLine {
	notes := func(m map[string]any) string {
		s, _ := m["notes_sealed"].(string)
		booker, _ := m["booker_id"].(string)
		if s == "" || booker == "" {
			return ""
		}
		if !h.canGuests {
			return "hidden"
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "hidden"
		}
		vals, _, err := c.DB.OpenGuestSealed(ctx, booker, "bookings", bookingID, map[string][]byte{"notes": raw})
		if err != nil {
			return "hidden"
		}
		if vals["notes"] == "" {
			return "none"
		}
		return vals["notes"]
	}
	bn, an := notes(before), notes(after)
	strip := func(m map[string]any) map[string]any {
		if m == nil {
			return nil
		}
		out := map[string]any{}
		for k, v := range m {
			if k != "notes_sealed" {
				out[k] = v
			}
		}
		return out
	}
	out := h.lines(strip(before), strip(after))
	if bn != an && !(before == nil && an == "none") {
		out = append(out, historyLine{Label: "Notes", Before: bn, After: an, Hidden: an == "hidden"})
	}
	return out
}

// pretty indents a row's JSON for the raw view.
func pretty(js string) string {
	if js == "" {
		return ""
	}
	var v any
	if json.Unmarshal([]byte(js), &v) != nil {
		return js
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return js
	}
	return string(b)
}

// words makes an identifier readable: "room_type" is "Room type".
func words(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
