package pms

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The front desk pages (issue 6): the day's arrivals, guests in house and
// departures; check-in with the guests' ID documents and photos; check-out;
// and the check-in records with their photos, shown on the guest and
// reservation pages. The housekeeping board and the night audit are in
// housekeeping_pages.go.

// maxFieldBytes bounds one text field of an upload form.
const maxFieldBytes = 64 << 10

// readUpload reads a form that may carry files. Files are read into
// memory, never into temporary files: an ID photo must not touch the disk
// before it is sealed. It returns the text fields and, by field name, the
// non-empty files.
func readUpload(r *http.Request) (url.Values, map[string][][]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := web.ParseForm(r); err != nil {
			return nil, nil, err
		}
		return r.PostForm, nil, nil
	}
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return aura.Errorf(aura.ETOOLARGE, "The upload is larger than %d MB. Add the photos a few at a time, or take them at a lower resolution.", mbe.Limit>>20)
		}
		return aura.Errorf(aura.EINVALID, "The upload could not be read: %v", err)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, aura.Errorf(aura.EINVALID, "The upload could not be read: %v", err)
	}
	values, files := url.Values{}, map[string][][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, tooLarge(err)
		}
		name := part.FormName()
		if name == "" {
			part.Close()
			continue
		}
		if part.FileName() != "" {
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, nil, tooLarge(err)
			}
			if len(b) > 0 {
				files[name] = append(files[name], b)
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return nil, nil, tooLarge(err)
		}
		if len(b) > maxFieldBytes {
			return nil, nil, aura.Errorf(aura.ETOOLARGE, "The field %s is longer than %d KiB.", name, maxFieldBytes>>10)
		}
		values.Add(name, string(b))
	}
	return values, files, nil
}

// The front desk lists.

// queryDay reads the optional ?date= of a day page (zero: the property's
// today), or returns EINVALID.
func queryDay(r *http.Request) (date.Date, error) {
	v := strings.TrimSpace(r.URL.Query().Get("date"))
	if v == "" {
		return date.Date{}, nil
	}
	d, err := date.Parse(v)
	if err != nil {
		msg := web.DateMessage(err)
		return date.Date{}, aura.Invalid("The date "+msg+".", aura.FieldError{Field: "date", Message: msg})
	}
	return d, nil
}

func (s Handlers) FrontDeskPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Front desk", "frontdesk")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	day, err := queryDay(r)
	if err != nil {
		return err
	}
	fd, err := frontdesk.New(c.DB).FrontDesk(r.Context(), prop.ID, day)
	if err != nil {
		return err
	}
	d := &web.FrontDeskData{FrontDesk: fd, IsToday: fd.Date == fd.Today, CanFrontDesk: c.Can(identity.PermFrontDeskWrite), CanGuests: c.Can(identity.PermGuestsRead),
		CanDocuments: c.Can(identity.PermIDDocumentsRead)}
	d.Prev = p.Link("frontdesk", "date", fd.Date.AddDays(-1).String())
	d.Next = p.Link("frontdesk", "date", fd.Date.AddDays(1).String())
	d.TodayHref = p.Link("frontdesk")
	if !d.CanGuests {
		hideGuestNames(&d.FrontDesk)
	}
	if !d.IsToday {
		p.Title = "Front desk · " + p.Day(fd.Date)
	}
	p.Form = url.Values{"date": {fd.Date.String()}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "frontdesk", p)
	return nil
}

// hideGuestNames replaces the names of the front desk's lists by "Guest":
// names are personal data, shown only to those who may see guests.
func hideGuestNames(fd *frontdesk.FrontDesk) {
	for _, list := range [][]frontdesk.FrontDeskRow{fd.Arrivals, fd.InHouse, fd.Departures} {
		for i := range list {
			list[i].GuestName = "Guest"
		}
	}
}

// Check-in.

// companionForms is how many companions the check-in form offers at most.
const companionForms = 3

// checkInGuestForm is one guest's block of the check-in form.
type checkInGuestForm struct {
	Prefix  string // field name prefix: g0_ (the reservation's guest), g1_, …
	Primary bool
	Name    string
	Open    bool // a companion block shown open (it has values or errors)
}

type checkInData struct {
	R           stays.Reservation
	GuestName   string
	Nationality string // the guest's, to prefill the document's issuing country
	RoomType    inventory.RoomType
	Room        *inventory.Room
	Rooms       []roomChoice // rooms the guest may be checked in to, ready ones first
	// NoneReady says why no room is pre-selected: each room of the type
	// that is not free and clean, and why ("" when one is pre-selected).
	NoneReady []string
	// Occupant is the party still in the assigned room (departing today
	// or overdue), whom the form offers to check out in the same step.
	Occupant     *stays.RoomOccupant
	Guests       []checkInGuestForm
	Records      []stays.CheckInRecord
	DocTypes     []web.Option
	Countries    []string
	Today        date.Date
	CanCheckIn   bool
	CanDocuments bool
	Retention    int
}

// roomChoice is a room the check-in form offers, with its state in words.
type roomChoice struct {
	stays.RoomOption
	Why      string // "dirty", "occupied by …", "" when free and clean
	Assigned bool
}

// roomWhy says in words why a room is not free and clean for a stay
// ("" when it is). Guest names appear only with names set (guests.read).
func roomWhy(p *web.Page, o stays.RoomOption, names bool, today date.Date) string {
	who := func(s *stays.RoomOccupant) string {
		if names && s.GuestName != "" {
			return s.GuestName
		}
		return "another guest"
	}
	switch {
	case o.Occupant != nil:
		leaving := "until " + p.Day(o.Occupant.Departure)
		switch {
		case o.Occupant.Departure == today:
			leaving = "departing today, not checked out yet"
		case o.Occupant.Departure.Before(today):
			leaving = "overdue since " + p.Day(o.Occupant.Departure)
		}
		return "is occupied by " + who(o.Occupant) + " (" + leaving + ")"
	case o.TakenBy != nil:
		return "is given to " + who(o.TakenBy) + " from " + p.Day(o.TakenBy.Night)
	case o.Block != nil:
		return "is " + strings.ReplaceAll(o.Block.Kind, "_", " ") + " until " + p.Day(o.Block.End)
	case !o.Ready:
		return "is " + o.Room.Housekeeping
	}
	return ""
}

// commonCountries are suggested for the issuing country; any ISO code is accepted.
var commonCountries = []string{"DE", "AT", "CH", "NL", "BE", "FR", "IT", "ES", "PT", "GB", "IE", "DK", "SE", "NO", "FI",
	"PL", "CZ", "HU", "US", "CA", "AU", "JP", "CN", "IN", "BR"}

func (s Handlers) CheckInPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, d, err := s.checkInData(w, r, c)
	if err != nil {
		return err
	}
	v := url.Values{"version": {strconv.Itoa(d.R.Version)}}
	// Pre-select only a room that is free and clean: the one assigned when
	// it is, else the first such room; none (and why) otherwise.
	for _, rc := range d.Rooms {
		if rc.Free && rc.Ready && (rc.Room.ID == d.R.RoomID || v.Get("room_id") == "") {
			v.Set("room_id", rc.Room.ID)
		}
	}
	if d.Nationality != "" {
		v.Set("g0_doc_country", d.Nationality)
	}
	p.Form = v
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "checkin", p)
	return nil
}

func (s Handlers) checkInData(w http.ResponseWriter, r *http.Request, c *web.Call) (*web.Page, *checkInData, error) {
	ctx := r.Context()
	res, err := stays.New(c.DB).GetReservation(ctx, c.Params.ByName("id"))
	if err != nil {
		return nil, nil, err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, res.PropertyID)
	if err != nil {
		return nil, nil, err
	}
	p := s.TenantPage(w, r, c, "Check in", "frontdesk")
	p.Property = &prop
	d := &checkInData{R: res, Today: s.Today(r, c, prop), DocTypes: web.DocumentTypeOptions, Countries: commonCountries,
		CanDocuments: c.Can(identity.PermIDDocumentsRead), Retention: prop.FrontDesk.IDPhotoRetentionDays, GuestName: "Guest"}
	d.CanCheckIn = res.Status == stays.ReservationConfirmed && !d.Today.Before(res.Arrival) && d.Today.Before(res.Departure)
	if c.Can(identity.PermGuestsRead) {
		if g, err := stays.New(c.DB).GetGuest(ctx, res.GuestID); err == nil {
			if show, err := restrictedView(r, c, g, "check-in page"); err != nil {
				return nil, nil, err
			} else if show {
				d.GuestName, d.Nationality = g.Name(), g.Nationality
			} else {
				d.GuestName = stays.RestrictedName
			}
		}
	}
	p.Title = "Check in · " + d.GuestName
	if d.RoomType, err = inventory.New(c.DB).GetRoomType(ctx, res.RoomTypeID); err != nil {
		return nil, nil, err
	}
	rooms, err := inventory.New(c.DB).ListRooms(ctx, prop.ID)
	if err != nil {
		return nil, nil, err
	}
	for i := range rooms {
		if rooms[i].ID == res.RoomID {
			d.Room = &rooms[i]
		}
	}
	if d.CanCheckIn {
		opts, err := stays.New(c.DB).RoomOptions(ctx, res.ID)
		if err != nil {
			return nil, nil, err
		}
		names := c.Can(identity.PermGuestsRead)
		// Ready rooms first: a guest is best given a room cleaned and inspected.
		rank := map[string]int{inventory.HousekeepingInspected: 0, inventory.HousekeepingClean: 1, inventory.HousekeepingDirty: 2}
		slices.SortStableFunc(opts, func(a, b stays.RoomOption) int { return rank[a.Room.Housekeeping] - rank[b.Room.Housekeeping] })
		for _, o := range opts {
			why := roomWhy(p, o, names, d.Today)
			if o.Free || o.Room.ID == res.RoomID {
				d.Rooms = append(d.Rooms, roomChoice{RoomOption: o, Why: why, Assigned: o.Room.ID == res.RoomID})
			}
			if !o.Free || !o.Ready {
				d.NoneReady = append(d.NoneReady, "room "+o.Room.Number+" "+why)
			}
			if o.Room.ID == res.RoomID && o.Occupant != nil && o.TakenBy == nil && o.Block == nil && !o.Occupant.Departure.After(d.Today) {
				occ := *o.Occupant
				if !names {
					occ.GuestName = "the guest"
				}
				d.Occupant = &occ
			}
		}
		for _, rc := range d.Rooms {
			if rc.Free && rc.Ready {
				d.NoneReady = nil
			}
		}
	}
	if d.CanDocuments {
		if d.Records, err = stays.New(c.DB).ReservationCheckIns(ctx, res.ID); err != nil {
			return nil, nil, err
		}
	}
	// A block for the reservation's guest unless recorded already, and one
	// per companion of the party not recorded yet (at most companionForms).
	companionsDone := len(d.Records)
	if !slices.ContainsFunc(d.Records, func(rec stays.CheckInRecord) bool { return rec.Primary }) {
		d.Guests = append(d.Guests, checkInGuestForm{Prefix: "g0_", Primary: true, Name: d.GuestName})
	} else {
		companionsDone--
	}
	for i := 1; i <= min(res.Adults+res.Children-1-companionsDone, companionForms); i++ {
		d.Guests = append(d.Guests, checkInGuestForm{Prefix: "g" + strconv.Itoa(i) + "_", Name: "Companion " + strconv.Itoa(i)})
	}
	return p, d, nil
}

// checkInFields are the fields of one guest's block, without its prefix.
var checkInFields = []string{"given_name", "family_name", "doc_type", "doc_number", "doc_country", "doc_expiry", "birth_date"}

// checkInGuests reads the guests' blocks of the check-in form. It returns
// the check-ins and, for each, its block's prefix; a companion block left
// empty is skipped.
func checkInGuests(v url.Values, files map[string][][]byte, blocks []checkInGuestForm, fe *web.FormErrors) ([]stays.GuestCheckIn, []string) {
	var out []stays.GuestCheckIn
	var prefixes []string
	for _, b := range blocks {
		get := func(f string) string { return strings.TrimSpace(v.Get(b.Prefix + f)) }
		photos := files[b.Prefix+"photos"]
		empty := len(photos) == 0
		for _, f := range checkInFields {
			empty = empty && get(f) == ""
		}
		if !b.Primary && empty {
			continue
		}
		in := stays.GuestCheckIn{Photos: photos, Document: stays.IDDocument{Type: get("doc_type"), Number: get("doc_number"), IssuingCountry: get("doc_country")}}
		in.Document.Expiry = fe.OptDate(v, b.Prefix+"doc_expiry")
		in.BirthDate = fe.OptDate(v, b.Prefix+"birth_date")
		if d := in.Document; d.Type == "" && d.Number == "" && d.Expiry.IsZero() {
			// The country alone (prefilled from the nationality) is no document.
			in.Document = stays.IDDocument{}
		}
		if !b.Primary {
			in.New = &stays.GuestInput{GivenName: get("given_name"), FamilyName: get("family_name"), Nationality: get("doc_country")}
		}
		out = append(out, in)
		prefixes = append(prefixes, b.Prefix)
	}
	return out, prefixes
}

// checkInField maps a store field of guest i of a check-in (guests[i].…)
// to the form's field.
func checkInField(prefixes []string) func(string) string {
	return func(f string) string {
		rest, ok := strings.CutPrefix(f, "guests[")
		if !ok {
			return f
		}
		is, field, _ := strings.Cut(rest, "].")
		i, err := strconv.Atoi(is)
		if err != nil || i < 0 || i >= len(prefixes) {
			return f
		}
		switch {
		case field == "document.type":
			field = "doc_type"
		case field == "document.number":
			field = "doc_number"
		case field == "document.issuing_country":
			field = "doc_country"
		case field == "document.expiry":
			field = "doc_expiry"
		case strings.HasPrefix(field, "photos"):
			field = "photos"
		case field == "new.family_name":
			field = "family_name"
		case strings.HasPrefix(field, "new.") || field == "guest_id":
			field = "given_name"
		}
		return prefixes[i] + field
	}
}

func (s Handlers) CheckInSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	v, files, err := readUpload(r)
	if err != nil {
		return err
	}
	p, d, err := s.checkInData(w, r, c)
	if err != nil {
		return err
	}
	var fe web.FormErrors
	guests, prefixes := checkInGuests(v, files, d.Guests, &fe)
	for i, g := range guests {
		if g.New != nil && !c.Can(identity.PermGuestsWrite) {
			fe.Add(prefixes[i]+"given_name", "your role cannot add guest profiles; leave the companion out")
		}
	}
	in := stays.CheckInInput{RoomID: v.Get("room_id"), Guests: guests, CheckOutOccupant: v.Get("check_out_occupant"), Version: web.FormVersion(v)}
	var res stays.Reservation
	if err = fe.Err("The check-in is not valid."); err == nil {
		res, err = stays.New(c.DB).CheckIn(r.Context(), d.R.ID, in)
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
			return err
		}
		if code == aura.EPRECONDITION {
			// Show the reservation as it is now, with what was typed.
			v.Set("version", strconv.Itoa(d.R.Version))
		}
		p.Form = v
		p.FormFieldErrors(err, checkInField(prefixes))
		if len(files) > 0 {
			p.Error += " Photos are not kept when the form is shown again: choose them once more."
		}
		for i := range d.Guests {
			for f := range p.Errors {
				if strings.HasPrefix(f, d.Guests[i].Prefix) {
					d.Guests[i].Open = true
				}
			}
			for _, f := range checkInFields {
				if strings.TrimSpace(v.Get(d.Guests[i].Prefix+f)) != "" {
					d.Guests[i].Open = true
				}
			}
		}
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "checkin", p)
		return nil
	}
	msg := d.GuestName + " is checked in"
	if rm := roomNumber(r, c, res.RoomID); rm != "" {
		msg += " to room " + rm
	}
	msg += "."
	if n := countPhotos(guests); n > 0 {
		msg += " " + web.Plural(n, "ID photo", "ID photos") + " stored, sealed; they are purged " + web.Plural(d.Retention, "day", "days") + " after check-out."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"frontdesk", http.StatusSeeOther)
	return nil
}

func countPhotos(gs []stays.GuestCheckIn) int {
	n := 0
	for _, g := range gs {
		n += len(g.Photos)
	}
	return n
}

// roomNumber returns the number of a room ("" when unknown).
func roomNumber(r *http.Request, c *web.Call, roomID string) string {
	if roomID == "" {
		return ""
	}
	rm, err := inventory.New(c.DB).GetRoom(r.Context(), roomID)
	if err != nil {
		return ""
	}
	return rm.Number
}

// Check-out.

type checkOutData struct {
	R           stays.Reservation
	GuestName   string
	Room        *inventory.Room
	Today       date.Date
	Early       bool      // leaving before the booked departure
	DayUse      bool      // leaving on the arrival day
	Departure   date.Date // the departure a check-out today gives
	NightsFreed int
	Overdue     bool
	CanCheckOut bool
	Balance     int64 // the open balance of the stay's folios
}

func (s Handlers) CheckOutPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, d, err := s.checkOutData(w, r, c)
	if err != nil {
		return err
	}
	p.Form = url.Values{"version": {strconv.Itoa(d.R.Version)}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "checkout", p)
	return nil
}

func (s Handlers) checkOutData(w http.ResponseWriter, r *http.Request, c *web.Call) (*web.Page, *checkOutData, error) {
	ctx := r.Context()
	res, err := stays.New(c.DB).GetReservation(ctx, c.Params.ByName("id"))
	if err != nil {
		return nil, nil, err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, res.PropertyID)
	if err != nil {
		return nil, nil, err
	}
	p := s.TenantPage(w, r, c, "Check out", "frontdesk")
	p.Property = &prop
	d := &checkOutData{R: res, Today: s.Today(r, c, prop), GuestName: "Guest", CanCheckOut: res.Status == stays.ReservationInHouse}
	if c.Can(identity.PermGuestsRead) {
		if names, err := stays.New(c.DB).GuestNames(ctx, []string{res.GuestID}); err == nil && names[res.GuestID] != "" {
			d.GuestName = names[res.GuestID]
		}
	}
	p.Title = "Check out · " + d.GuestName
	roomID := res.RoomID
	if n := len(res.Nights); n > 0 && res.Nights[n-1].RoomID != "" {
		roomID = res.Nights[n-1].RoomID
	}
	if roomID != "" {
		if rm, err := inventory.New(c.DB).GetRoom(ctx, roomID); err == nil {
			d.Room = &rm
		}
	}
	d.Departure = res.Departure
	if d.Today.Before(res.Departure) {
		dep := d.Today
		if !dep.After(res.Arrival) {
			// A day use: the first night is kept (its price) but goes back on sale too.
			dep = res.Arrival.AddDays(1)
			d.DayUse = true
		}
		if dep != res.Departure || d.DayUse {
			d.Early, d.Departure, d.NightsFreed = true, dep, res.Departure.Sub(dep)
		}
	}
	d.Overdue = res.Status == stays.ReservationInHouse && d.Today.After(res.Departure)
	if d.Balance, err = stayBalance(ctx, c.DB, res.ID); err != nil {
		return nil, nil, err
	}
	return p, d, nil
}

func (s Handlers) CheckOutSubmit(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	out, err := stays.New(c.DB).CheckOutWith(r.Context(), id, stays.CheckOutInput{Version: web.FormVersion(r.PostForm),
		CityLedger: r.PostForm.Get("city_ledger") == "on", Reason: r.PostForm.Get("reason")})
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.ECONFLICT && code != aura.EPRECONDITION && code != aura.EINVALID {
			return err
		}
		p, d, derr := s.checkOutData(w, r, c)
		if derr != nil {
			return derr
		}
		p.Form = url.Values{"version": {strconv.Itoa(d.R.Version)}, "reason": {r.PostForm.Get("reason")}, "city_ledger": {r.PostForm.Get("city_ledger")}}
		p.FormFieldErrors(err, nil)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "checkout", p)
		return nil
	}
	name := "The guest"
	if c.Can(identity.PermGuestsRead) {
		if names, err := stays.New(c.DB).GuestNames(r.Context(), []string{out.Reservation.GuestID}); err == nil && names[out.Reservation.GuestID] != "" {
			name = names[out.Reservation.GuestID]
		}
	}
	msg := name + " is checked out."
	if out.EarlyDeparture {
		msg += " The stay now ends today; the later nights are back on sale."
	}
	if rm := roomNumber(r, c, out.DirtyRoomID); rm != "" {
		msg += " Room " + rm + " is marked dirty for housekeeping."
	}
	kind := "ok"
	if out.Unsettled {
		msg += " " + s.propertyMoney(r, c, out.Reservation.PropertyID, out.CityLedger) + " is left on the city ledger."
	}
	s.SetFlash(w, kind, msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"frontdesk", http.StatusSeeOther)
	return nil
}

// ID photos.

// IdPhoto serves an ID photo's bytes to those who may see ID documents,
// on the pages and the API alike: never cached, never sniffed, shown
// inline under a CSP that allows nothing else. A purged photo is EGONE
// (410) saying when, as an error page or a problem by the route's tree.
func (s Handlers) IdPhoto(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ph, data, err := stays.New(c.DB).IDPhotoData(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ph.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `inline; filename="`+ph.ID+photoExtension(ph.ContentType)+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return nil
}

func photoExtension(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/heic":
		return ".heic"
	case "image/heif":
		return ".heif"
	}
	return ""
}

// IdPhotoAdd adds photos (form field "photos") to a check-in record, all
// of them or none, and returns to the page it came from.
func (s Handlers) IdPhotoAdd(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	v, files, err := readUpload(r)
	if err != nil {
		return err
	}
	back := web.SafeNext(c.Tenant.Slug, v.Get("back"))
	photos := files["photos"]
	if len(photos) == 0 {
		s.SetFlash(w, "error", "Choose a photo to add: no file was sent.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	added, err := stays.New(c.DB).AddIDPhotos(r.Context(), c.Params.ByName("id"), photos)
	if err != nil {
		if code := aura.ErrorCode(err); code != aura.EINVALID && code != aura.ECONFLICT {
			return err
		}
		msg := aura.ErrorMessage(err)
		for _, f := range aura.ErrorFields(err) {
			if i, ok := strings.CutPrefix(f.Field, "photos["); ok {
				n, _ := strconv.Atoi(strings.TrimSuffix(i, "]"))
				msg += " Photo " + strconv.Itoa(n+1) + " " + f.Message + "."
			} else {
				msg += " " + strings.ToUpper(f.Message[:1]) + f.Message[1:] + "."
			}
		}
		s.SetFlash(w, "error", msg+" No photo was added.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	s.SetFlash(w, "ok", web.Plural(len(added), "ID photo is", "ID photos are")+" added, sealed under the guest's key.")
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// IdPhotoDelete deletes an ID photo's bytes (audited) and returns to the
// page it came from.
func (s Handlers) IdPhotoDelete(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if err := stays.New(c.DB).DeleteIDPhoto(r.Context(), c.Params.ByName("id")); err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The ID photo is deleted.")
	http.Redirect(w, r, web.SafeNext(c.Tenant.Slug, r.PostForm.Get("back")), http.StatusSeeOther)
	return nil
}
