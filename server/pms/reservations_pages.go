package pms

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The reservation pages: the list with filters, the new-reservation form
// (prices shown before booking), the reservation page with its legal
// transitions, stay change and room assignment, and the booking's info.

type reservationsData struct {
	Rows       []web.ResRow
	Overbooked []web.ResRow
	Next       string
	Statuses   []web.Option
	Filtered   bool
	CanWrite   bool
	Query      string
	Upcoming   bool // no filter given: stays departing today or later
}

var statusFilterOptions = []web.Option{{Value: "", Label: "Any status"}, {Value: "active", Label: "Not cancelled (tentative, confirmed, in house)"},
	{Value: stays.ReservationTentative, Label: "Tentative"}, {Value: stays.ReservationConfirmed, Label: "Confirmed"},
	{Value: stays.ReservationInHouse, Label: "In house"}, {Value: stays.ReservationCheckedOut, Label: "Checked out"},
	{Value: stays.ReservationCancelled, Label: "Cancelled"}, {Value: stays.ReservationNoShow, Label: "No-show"}}

func (s Handlers) ReservationsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Reservations", "reservations")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	ctx := r.Context()
	q := r.URL.Query()
	upcoming := len(q) == 0 || len(q) == 1 && q.Get("property") != ""
	if upcoming {
		// By default the desk sees what is current: stays not yet over.
		q.Set("departure_from", s.Today(r, c, prop).String())
	}
	d := &reservationsData{Upcoming: upcoming, Statuses: statusFilterOptions, CanWrite: c.Can(identity.PermReservationsWrite), Query: strings.TrimSpace(q.Get("q"))}
	f := stays.ReservationFilter{PropertyID: prop.ID, Cursor: q.Get("cursor"), Overbooked: q.Get("overbooked") == "1"}
	var fe web.FormErrors
	f.ArrivalFrom = fe.OptDate(q, "arrival_from")
	if last := fe.OptDate(q, "arrival_until"); !last.IsZero() {
		f.ArrivalTo = last.AddDays(1)
	}
	f.DepartureFrom = fe.OptDate(q, "departure_from")
	if last := fe.OptDate(q, "departure_until"); !last.IsZero() {
		f.DepartureTo = last.AddDays(1)
	}
	switch st := q.Get("status"); st {
	case "":
	case "active":
		f.Statuses = web.ActiveStatuses
	default:
		f.Statuses = []string{st}
	}
	p.Form = q
	if err := fe.Err("The filter is not valid."); err != nil {
		p.WithFormError(err)
		p.Data = d
		s.RenderPage(w, r, http.StatusBadRequest, "reservations", p)
		return nil
	}
	d.Filtered = !upcoming
	if d.Query != "" {
		switch {
		case strings.HasPrefix(d.Query, "res_"):
			http.Redirect(w, r, p.Link("reservations/"+d.Query), http.StatusSeeOther)
			return nil
		case strings.HasPrefix(d.Query, "bkg_"):
			f.BookingID = d.Query
		case c.Can(identity.PermGuestsRead):
			guests, err := stays.New(c.DB).SearchGuests(ctx, d.Query, 200)
			if aura.ErrorCode(err) == aura.EINVALID {
				p.FormFieldErrors(err, nil)
				p.Data = d
				s.RenderPage(w, r, http.StatusOK, "reservations", p)
				return nil
			} else if err != nil {
				return err
			}
			if len(guests) == 0 {
				p.Data = d
				s.RenderPage(w, r, http.StatusOK, "reservations", p)
				return nil
			}
			for _, g := range guests {
				f.GuestIDs = append(f.GuestIDs, g.ID)
			}
		}
	}
	page, err := stays.New(c.DB).ListReservations(ctx, f)
	if aura.ErrorCode(err) == aura.EINVALID {
		p.FormFieldErrors(err, nil)
		p.Data = d
		s.RenderPage(w, r, http.StatusBadRequest, "reservations", p)
		return nil
	} else if err != nil {
		return err
	}
	if d.Rows, err = s.ReservationRows(r, c, prop, page.Reservations); err != nil {
		return err
	}
	if page.NextCursor != "" {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("cursor", page.NextCursor)
		d.Next = "/" + c.Tenant.Slug + "/reservations?" + next.Encode()
	}
	if !f.Overbooked && d.Query == "" {
		ob, err := stays.New(c.DB).ListReservations(ctx, stays.ReservationFilter{PropertyID: prop.ID, Overbooked: true, Statuses: web.ActiveStatuses, Limit: 20})
		if err != nil {
			return err
		}
		if d.Overbooked, err = s.ReservationRows(r, c, prop, ob.Reservations); err != nil {
			return err
		}
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "reservations", p)
	return nil
}

// The new-reservation form.

type newReservationData struct {
	PropertyID string
	Types      []inventory.RoomType
	Offers     []offerView
	Nights     int
	Searched   bool
	Results    []stays.Guest
	Guest      *stays.Guest
	Sources    []web.Option
	CityTax    string
	CanSearch  bool
	OffersNote string
	Room       *inventory.Room // the room chosen on the tape chart (room_id), if any
}

type offerView struct {
	inventory.Offer
	Selected bool
}

var bookingSources = []web.Option{{Value: stays.SourceDirect, Label: "Direct (phone, email, walk-in, website)"},
	{Value: "booking.com", Label: "Booking.com"}, {Value: "expedia", Label: "Expedia"}, {Value: "airbnb", Label: "Airbnb"},
	{Value: "hrs", Label: "HRS"}, {Value: "other", Label: "Other channel"}}

func (s Handlers) NewReservationPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "New reservation", "reservations")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	q := r.URL.Query()
	today := s.Today(r, c, prop)
	v := url.Values{"property_id": {prop.ID}, "adults": {"2"}, "children": {"0"}, "source": {stays.SourceDirect},
		"status": {stays.ReservationConfirmed}, "guest_mode": {"new"}, "arrival": {today.String()}, "departure": {today.AddDays(1).String()}}
	for from, to := range map[string]string{"room_type": "room_type_id", "rate_plan": "rate_plan_id", "arrival": "arrival",
		"departure": "departure", "adults": "adults", "children": "children", "guest": "guest_id", "room": "room_id"} {
		if x := strings.TrimSpace(q.Get(from)); x != "" {
			v.Set(to, x)
		}
	}
	if v.Get("guest_id") != "" {
		v.Set("guest_mode", "existing")
	}
	p.Form = v
	return s.renderNewReservation(w, r, c, p, prop, http.StatusOK, "")
}

// renderNewReservation shows the form with p.Form's values, the offers for
// its stay and, for intent find_guest, the guests matching guest_q.
func (s Handlers) renderNewReservation(w http.ResponseWriter, r *http.Request, c *web.Call, p *web.Page, prop inventory.Property, status int, intent string) error {
	ctx := r.Context()
	v := p.Form
	d := &newReservationData{PropertyID: prop.ID, Sources: bookingSources, CanSearch: c.Can(identity.PermGuestsRead)}
	var err error
	if d.Types, err = inventory.New(c.DB).ListRoomTypes(ctx, prop.ID); err != nil {
		return err
	}
	if v.Get("room_type_id") == "" && len(d.Types) > 0 {
		v.Set("room_type_id", d.Types[0].ID)
	}
	arrival, aerr := date.Parse(v.Get("arrival"))
	departure, derr := date.Parse(v.Get("departure"))
	adults, _ := strconv.Atoi(v.Get("adults"))
	children, _ := strconv.Atoi(v.Get("children"))
	if aerr == nil && derr == nil && arrival.Before(departure) {
		d.Nights = departure.Sub(arrival)
		offers, err := inventory.New(c.DB).Offers(ctx, inventory.OfferQuery{PropertyID: prop.ID, RoomTypeID: v.Get("room_type_id"), Arrival: arrival,
			Departure: departure, Adults: max(adults, 1), Children: max(children, 0)})
		if err != nil && aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		chosen := v.Get("rate_plan_id")
		found := false
		for _, o := range offers {
			found = found || o.RatePlan.ID == chosen
		}
		if !found {
			chosen = ""
			for _, o := range offers {
				if o.Bookable {
					chosen = o.RatePlan.ID
					break
				}
			}
			if chosen == "" && len(offers) > 0 {
				chosen = offers[0].RatePlan.ID
			}
			v.Set("rate_plan_id", chosen)
		}
		for _, o := range offers {
			d.Offers = append(d.Offers, offerView{Offer: o, Selected: o.RatePlan.ID == chosen})
		}
		if len(offers) == 0 {
			d.OffersNote = "This room type has no active rate plan."
		}
		d.CityTax = cityTaxNote(p, prop, adults, children, d.Nights)
	} else {
		d.OffersNote = "Choose an arrival and a departure after it to see the prices."
	}
	if id := v.Get("room_id"); id != "" {
		// A room chosen on the tape chart: booked with the stay, if it is
		// of the room type (the store checks it is free in its transaction).
		if rm, err := inventory.New(c.DB).GetRoom(ctx, id); err == nil && rm.PropertyID == prop.ID && rm.RoomTypeID == v.Get("room_type_id") {
			d.Room = &rm
		} else {
			v.Del("room_id")
		}
	}
	if id := v.Get("guest_id"); id != "" && v.Get("guest_mode") == "existing" && d.CanSearch {
		if g, err := stays.New(c.DB).GetGuest(ctx, id); err == nil {
			d.Guest = &g
		}
	}
	if gq := strings.TrimSpace(v.Get("guest_q")); gq != "" && d.CanSearch && (intent == "find_guest" || intent == "preview") {
		d.Searched = true
		d.Results, err = stays.New(c.DB).SearchGuests(ctx, gq, 8)
		if aura.ErrorCode(err) == aura.EINVALID {
			p.Errors["guest_q"] = aura.ErrorMessage(err)
			err = nil
		} else if err != nil {
			return err
		}
		if intent == "find_guest" {
			v.Set("guest_mode", "existing")
		}
	}
	p.Data = d
	s.RenderPage(w, r, status, "reservation_new", p)
	return nil
}

// cityTaxNote says what city tax the stay owes beside its price.
func cityTaxNote(p *web.Page, prop inventory.Property, adults, children, nights int) string {
	ct := prop.Tax.CityTax
	if ct.PerPersonPerNight.Amount <= 0 {
		return ""
	}
	people := adults
	if !ct.ChildrenExempt {
		people += children
	}
	n := nights
	if ct.MaxNights > 0 && n > ct.MaxNights {
		n = ct.MaxNights
	}
	total := tenant.Money{Amount: ct.PerPersonPerNight.Amount * int64(people*n), Currency: ct.PerPersonPerNight.Currency}
	if ct.Inclusive {
		return "City tax of " + p.Money(total) + " is included."
	}
	return "Plus city tax: " + p.Money(total) + " (" + p.Money(ct.PerPersonPerNight) + " per person per night)."
}

// ReservationCreate handles the new-reservation form: intent "preview"
// and "find_guest" show it again (prices, guests found); otherwise it
// creates the booking with the form's idempotency key, so a double submit
// creates one reservation.
func (s Handlers) ReservationCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	prop, err := inventory.New(c.DB).GetProperty(r.Context(), v.Get("property_id"))
	if err != nil {
		return aura.Errorf(aura.EINVALID, "The form names no property of this account; reload the page.")
	}
	p := s.TenantPage(w, r, c, "New reservation", "reservations")
	p.Property = &prop // the form's property, whatever the switcher says now
	p.Form = v
	p.IdemKey = v.Get("idempotency_key")
	if p.IdemKey == "" {
		p.IdemKey = credential.RandomString(22)
	}
	intent := v.Get("intent")
	if intent == "preview" || intent == "find_guest" {
		return s.renderNewReservation(w, r, c, p, prop, http.StatusOK, intent)
	}
	in, ferr := bookingFromForm(v, prop)
	if ferr == nil && in.Booker.New != nil && !c.Can(identity.PermGuestsWrite) {
		return aura.Errorf(aura.EFORBIDDEN, "Your role cannot create guest profiles; choose an existing guest.")
	}
	var b stays.Booking
	if ferr == nil {
		b, err = stays.New(c.DB).CreateBooking(r.Context(), in)
	} else {
		err = ferr
	}
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.ECONFLICT {
			return err
		}
		p.FormFieldErrors(err, bookingFormField)
		if _, reused := p.Errors["idempotency_key"]; reused {
			// The form was submitted before with other values (Back, edit,
			// submit): a fresh key lets the operator book it consciously.
			p.IdemKey = credential.RandomString(22)
			p.Error = "This form already created a reservation with other values. Check the values and submit again to create another one."
		}
		return s.renderNewReservation(w, r, c, p, prop, web.StatusOf(err), "")
	}
	msg := "Reservation created."
	if b.Replayed {
		msg = "This reservation was already created (the form was sent twice)."
	}
	if len(b.Reservations) > 0 && b.Reservations[0].Overbooked {
		msg += " It overbooks the house: find it a room."
	}
	s.SetFlash(w, "ok", msg)
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"reservations/"+b.Reservations[0].ID, http.StatusSeeOther)
	return nil
}

// bookingFromForm reads the new-reservation form.
func bookingFromForm(v url.Values, prop inventory.Property) (stays.BookingInput, error) {
	var fe web.FormErrors
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	ri := stays.ReservationInput{RoomTypeID: t("room_type_id"), RatePlanID: t("rate_plan_id"), RoomID: t("room_id")}
	ri.Arrival = fe.Date(v, "arrival")
	ri.Departure = fe.Date(v, "departure")
	ri.Adults = fe.Int(v, "adults", 1)
	ri.Children = fe.Int(v, "children", 0)
	in := stays.BookingInput{PropertyID: prop.ID, Source: t("source"), OTACode: t("ota_code"), Notes: strings.TrimSpace(v.Get("notes")),
		Status: t("status"), Reservations: []stays.ReservationInput{ri}, IdempotencyKey: v.Get("idempotency_key")}
	if in.Source == "other" {
		in.Source = strings.ToLower(t("channel"))
		if in.Source == "" {
			fe.Add("channel", "name the channel, e.g. hostelworld")
		}
	}
	if t("guest_mode") == "existing" {
		if t("guest_id") == "" {
			fe.Add("guest_id", "find and choose a guest, or create a new one")
		}
		in.Booker = stays.GuestRef{ID: t("guest_id")}
	} else {
		in.Booker = stays.GuestRef{New: &stays.GuestInput{GivenName: t("given_name"), FamilyName: t("family_name"), Email: t("email"),
			Phone: t("phone"), Nationality: strings.ToUpper(t("nationality")), Language: t("language")}}
	}
	// The request hash of the idempotency key: the form without the
	// button pressed, so the same form sent twice is the same request.
	cp := url.Values{}
	for k, x := range v {
		if k != "intent" {
			cp[k] = x
		}
	}
	sum := sha256.Sum256([]byte(cp.Encode()))
	in.RequestHash = sum[:]
	return in, fe.Err("The reservation is not complete.")
}

// bookingFormField maps a CreateBooking field to the form's.
func bookingFormField(f string) string {
	switch {
	case strings.HasPrefix(f, "reservations[0]."):
		f = strings.TrimPrefix(f, "reservations[0].")
		if f == "prices" {
			return "rate_plan_id"
		}
		return f
	case strings.HasPrefix(f, "booker.new."):
		return strings.TrimPrefix(f, "booker.new.")
	case strings.HasPrefix(f, "booker"):
		return "guest_id"
	}
	return f
}

// The reservation page.

type reservationData struct {
	Money      *reservationMoney // the folios (folio_pages.go)
	R          stays.Reservation
	Booking    stays.Booking
	GuestName  string
	Guest      *stays.Guest
	BookerName string
	RoomType   inventory.RoomType
	RatePlan   inventory.RatePlan
	Room       *inventory.Room
	Nights     []nightView
	Others     []web.ResRow
	FreeRooms  []inventory.Room
	Types      []inventory.RoomType
	Plans      []inventory.RatePlan
	CityTax    string
	Policy     string
	History    []HistoryItem
	Today      date.Date
	// Revisions is the channel manager's revisions of the booking, newest
	// first (tenant/channels): what the OTA sent and what Aura did with it.
	Revisions []channels.RevisionRecord

	CanWrite, CanFrontDesk, CanGuests, CanAudit bool
	CanConfirm, CanCancel, CanNoShow            bool
	CanCheckIn, CanCheckOut, CanChange          bool
	CancelFee, NoShowFee                        tenant.Money
	CheckInHref, CheckOutHref                   string
	// The front desk (issue 6): the stay's check-in records, and the
	// extension and early departure of a guest in house.
	CheckIns []stays.CheckInRecord
	// Messages are the emails to the guest about this stay (guests.read;
	// a restricted guest's only with guests.restricted.read).
	Messages       []guestmail.Message
	CanMessages    bool
	CanDocuments   bool
	CanStayInHouse bool
	CanDepartEarly bool      // an earlier departure, today or later, leaves a night
	EarlyDeparture date.Date // the earliest departure a guest in house may take: today, or the day after arrival
}

type nightView struct {
	Date   date.Date
	Price  tenant.Money
	RoomNo string
}

func (s Handlers) ReservationPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, d, err := s.reservationData(w, r, c, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p.Form = stayForm(d.R)
	p.Form.Set("ota_code", d.Booking.OTACode)
	p.Form.Set("notes", d.Booking.Notes)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "reservation", p)
	return nil
}

// stayForm fills the forms of the reservation page from the reservation:
// the stay change, the room, and a guest in house's extension (one more
// night; the early departure's default, today, is the page's).
func stayForm(res stays.Reservation) url.Values {
	return url.Values{"arrival": {res.Arrival.String()}, "departure": {res.Departure.String()}, "room_type_id": {res.RoomTypeID},
		"rate_plan_id": {res.RatePlanID}, "adults": {strconv.Itoa(res.Adults)}, "children": {strconv.Itoa(res.Children)},
		"room_id": {res.RoomID}, "extend_departure": {res.Departure.AddDays(1).String()}}
}

func (s Handlers) reservationData(w http.ResponseWriter, r *http.Request, c *web.Call, id string) (*web.Page, *reservationData, error) {
	ctx := r.Context()
	res, err := stays.New(c.DB).GetReservation(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, res.PropertyID)
	if err != nil {
		return nil, nil, err
	}
	p := s.TenantPage(w, r, c, "Reservation", "reservations")
	p.Property = &prop // the reservation's property sets money, dates and zone
	d := &reservationData{R: res, Today: s.Today(r, c, prop),
		CanWrite: c.Can(identity.PermReservationsWrite), CanFrontDesk: c.Can(identity.PermFrontDeskWrite),
		CanGuests: c.Can(identity.PermGuestsRead), CanAudit: c.Can(identity.PermAuditRead)}
	if d.Booking, err = stays.New(c.DB).GetBooking(ctx, res.BookingID); err != nil {
		return nil, nil, err
	}
	if d.Booking.Source != stays.SourceDirect {
		if d.Revisions, err = channels.New(c.DB).Revisions(ctx, prop.ID, d.Booking.ID, 100); err != nil {
			return nil, nil, err
		}
	}
	if d.RoomType, err = inventory.New(c.DB).GetRoomType(ctx, res.RoomTypeID); err != nil {
		return nil, nil, err
	}
	if d.RatePlan, err = inventory.New(c.DB).GetRatePlan(ctx, res.RatePlanID); err != nil {
		return nil, nil, err
	}
	names := map[string]string{res.GuestID: "Guest", d.Booking.BookerID: "Booker"}
	if d.CanGuests {
		if names, err = stays.New(c.DB).GuestNames(ctx, []string{res.GuestID, d.Booking.BookerID}); err != nil {
			return nil, nil, err
		}
		if g, err := stays.New(c.DB).GetGuest(ctx, res.GuestID); err == nil {
			d.Guest = &g
		}
		if d.CanMessages = d.Guest != nil && (d.Guest.RestrictedAt == nil || c.Can(identity.PermGuestsRestricted)); d.CanMessages {
			if d.Messages, err = guestmail.New(c.DB).ReservationMessages(ctx, res.ID); err != nil {
				return nil, nil, err
			}
		}
	}
	d.GuestName, d.BookerName = names[res.GuestID], names[d.Booking.BookerID]
	p.Title = d.GuestName + " · " + p.Stay(res.Arrival, res.Departure)
	rooms, err := inventory.New(c.DB).ListRooms(ctx, prop.ID)
	if err != nil {
		return nil, nil, err
	}
	numbers := map[string]string{}
	for i, rm := range rooms {
		numbers[rm.ID] = rm.Number
		if rm.ID == res.RoomID {
			d.Room = &rooms[i]
		}
	}
	for _, n := range res.Nights {
		d.Nights = append(d.Nights, nightView{Date: n.Date, Price: n.Price, RoomNo: numbers[n.RoomID]})
	}
	var others []stays.Reservation
	for _, o := range d.Booking.Reservations {
		if o.ID != res.ID {
			others = append(others, o)
		}
	}
	if d.Others, err = s.ReservationRows(r, c, prop, others); err != nil {
		return nil, nil, err
	}
	d.CityTax = cityTaxNote(p, prop, res.Adults, res.Children, len(res.Nights))
	if note, ok := ledgerCityTaxNote(ctx, c, p, prop, res); ok {
		d.CityTax = note // the ledger's rules, once it is configured
	}
	d.Policy = p.CancellationText(d.RatePlan.Cancellation) + " No-show: " + p.FeeText(d.RatePlan.NoShow.Fee) + "."
	prices := make([]int64, len(res.Nights))
	for i, n := range res.Nights {
		prices[i] = n.Price.Amount
	}
	d.CancelFee = tenant.Money{Currency: prop.Currency}
	if res.Status == stays.ReservationConfirmed {
		d.CancelFee.Amount = d.RatePlan.Cancellation.FeeFor(res.Arrival, d.Today, prices)
	}
	d.NoShowFee = tenant.Money{Amount: d.RatePlan.NoShow.Fee.For(prices), Currency: prop.Currency}
	st := res.Status
	d.CanConfirm = d.CanWrite && stays.CanTransition(st, stays.ReservationConfirmed)
	d.CanCancel = d.CanWrite && stays.CanTransition(st, stays.ReservationCancelled)
	d.CanNoShow = d.CanWrite && stays.CanTransition(st, stays.ReservationNoShow) && !d.Today.Before(res.Arrival)
	d.CanCheckIn = d.CanFrontDesk && st == stays.ReservationConfirmed && !d.Today.Before(res.Arrival) && d.Today.Before(res.Departure)
	d.CanCheckOut = d.CanFrontDesk && st == stays.ReservationInHouse
	d.CanChange = d.CanWrite && (st == stays.ReservationTentative || st == stays.ReservationConfirmed || st == stays.ReservationInHouse)
	d.CheckInHref, d.CheckOutHref = web.CheckInPath(c.Tenant.Slug, res.ID), web.CheckOutPath(c.Tenant.Slug, res.ID)
	d.CanStayInHouse = d.CanFrontDesk && st == stays.ReservationInHouse
	if first := res.Arrival.AddDays(1); d.CanStayInHouse {
		if first.Before(d.Today) {
			first = d.Today
		}
		d.CanDepartEarly, d.EarlyDeparture = first.Before(res.Departure), first
	}
	if d.CanDocuments = c.Can(identity.PermIDDocumentsRead); d.CanDocuments {
		if d.CheckIns, err = stays.New(c.DB).ReservationCheckIns(ctx, res.ID); err != nil {
			return nil, nil, err
		}
	}
	if d.CanChange {
		from := res.Arrival
		if st == stays.ReservationInHouse && d.Today.After(from) {
			from = d.Today
		}
		if from.Before(res.Departure) {
			free, err := stays.New(c.DB).FreeRooms(ctx, res.RoomTypeID, from, res.Departure, res.ID)
			if err != nil {
				return nil, nil, err
			}
			for _, rm := range free {
				if rm.ID != res.RoomID {
					d.FreeRooms = append(d.FreeRooms, rm)
				}
			}
		}
		if d.Types, err = inventory.New(c.DB).ListRoomTypes(ctx, prop.ID); err != nil {
			return nil, nil, err
		}
		if d.Plans, err = inventory.New(c.DB).ListRatePlans(ctx, prop.ID); err != nil {
			return nil, nil, err
		}
	}
	if d.Money, err = s.reservationFolios(ctx, c, p, res); err != nil {
		return nil, nil, err
	}
	if d.CanAudit {
		rows, err := c.DB.AuditLog(ctx, audit.Filter{Entity: res.ID, Limit: 20})
		if err != nil {
			return nil, nil, err
		}
		if d.History, err = s.History(r, c, p, rows); err != nil {
			return nil, nil, err
		}
	}
	return p, d, nil
}

// ReservationAction runs one of the transitions of the reservation page
// (confirm, cancel, no-show, assign, unassign, stay change) with the
// version the page showed, then returns to the page. A form error shows
// the page again with it.
func (s Handlers) ReservationAction(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		if err := web.ParseForm(r); err != nil {
			return err
		}
		ctx := r.Context()
		id := c.Params.ByName("id")
		v := r.PostForm
		version := web.FormVersion(v)
		var msg string
		var err error
		var res stays.Reservation
		switch action {
		case "confirm":
			res, err = stays.New(c.DB).Confirm(ctx, id, version)
			msg = "The reservation is confirmed."
		case "cancel":
			res, err = stays.New(c.DB).Cancel(ctx, id, stays.CancelInput{WaiveFee: v.Get("waive_fee") == "on", Version: version})
			msg = "The reservation is cancelled; its nights are back on sale."
		case "no-show":
			res, err = stays.New(c.DB).MarkNoShow(ctx, id, stays.NoShowInput{WaiveFee: v.Get("waive_fee") == "on", Version: version})
			msg = "The reservation is marked as a no-show; its nights are back on sale."
		case "assign":
			res, err = stays.New(c.DB).AssignRoom(ctx, id, v.Get("room_id"), version)
			msg = "The room is assigned."
		case "unassign":
			res, err = stays.New(c.DB).UnassignRoom(ctx, id, version)
			msg = "The room is no longer assigned."
		case "stay":
			var fe web.FormErrors
			ch := stays.StayChange{Version: version, RoomTypeID: v.Get("room_type_id"), RatePlanID: v.Get("rate_plan_id")}
			ch.Arrival = fe.Date(v, "arrival")
			ch.Departure = fe.Date(v, "departure")
			adults, children := fe.Int(v, "adults", 1), fe.Int(v, "children", 0)
			ch.Adults, ch.Children = &adults, &children
			if err = fe.Err("The stay change is not valid."); err == nil {
				res, err = stays.New(c.DB).ChangeStay(ctx, id, ch)
			}
			msg = "The stay is changed."
		case "extend":
			var fe web.FormErrors
			in := stays.StayExtension{Version: version, Departure: fe.Date(v, "extend_departure")}
			if err = fe.Err("The extension is not valid."); err == nil {
				res, err = stays.New(c.DB).ExtendStay(ctx, id, in)
			}
			msg = "The stay is extended."
		case "depart-early":
			var fe web.FormErrors
			in := stays.EarlyDeparture{Version: version, Departure: fe.Date(v, "early_departure")}
			if err = fe.Err("The early departure is not valid."); err == nil {
				res, err = stays.New(c.DB).DepartEarly(ctx, id, in)
			}
			msg = "The departure is brought forward; the nights released are back on sale."
		}
		if err != nil {
			code := aura.ErrorCode(err)
			if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
				return err
			}
			p, d, derr := s.reservationData(w, r, c, id)
			if derr != nil {
				return derr
			}
			p.Form = stayForm(d.R)
			switch action {
			case "stay", "assign":
				p.Form = v
			case "extend", "depart-early":
				p.Form.Set("extend_departure", v.Get("extend_departure"))
				p.Form.Set("early_departure", v.Get("early_departure"))
			}
			p.Form.Set("ota_code", d.Booking.OTACode)
			p.Form.Set("notes", d.Booking.Notes)
			p.FormFieldErrors(err, func(f string) string {
				f = strings.TrimPrefix(f, "reservations[0].")
				switch {
				case action == "extend" && f == "departure":
					return "extend_departure"
				case action == "depart-early" && f == "departure":
					return "early_departure"
				}
				return f
			})
			if code == aura.EPRECONDITION {
				p.Error += " The page now shows the current state."
			}
			p.Data = d
			s.RenderPage(w, r, web.StatusOf(err), "reservation", p)
			return nil
		}
		if fee := res.CancellationFee; action == "cancel" && fee != nil && fee.Amount > 0 {
			msg += " Cancellation fee: " + s.propertyMoney(r, c, res.PropertyID, *fee) + "."
		}
		if fee := res.NoShowFee; action == "no-show" && fee != nil && fee.Amount > 0 {
			msg += " No-show fee: " + s.propertyMoney(r, c, res.PropertyID, *fee) + "."
		}
		s.SetFlash(w, "ok", msg)
		http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"reservations/"+id, http.StatusSeeOther)
		return nil
	}
}

// BookingSave changes a booking's channel code and notes.
func (s Handlers) BookingSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	v := r.PostForm
	ota, notes := strings.TrimSpace(v.Get("ota_code")), strings.TrimSpace(v.Get("notes"))
	b, err := stays.New(c.DB).UpdateBooking(r.Context(), c.Params.ByName("id"), stays.BookingUpdate{OTACode: &ota, Notes: &notes, Version: web.FormVersion(v)})
	back := v.Get("reservation_id")
	if err != nil {
		code := aura.ErrorCode(err)
		if back == "" || code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
			return err
		}
		p, d, derr := s.reservationData(w, r, c, back)
		if derr != nil {
			return derr
		}
		p.Form = stayForm(d.R)
		p.Form.Set("ota_code", ota)
		p.Form.Set("notes", notes)
		p.FormFieldErrors(err, nil)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "reservation", p)
		return nil
	}
	if back == "" && len(b.Reservations) > 0 {
		back = b.Reservations[0].ID
	}
	s.SetFlash(w, "ok", "The booking is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"reservations/"+url.PathEscape(back), http.StatusSeeOther)
	return nil
}

// propertyMoney writes an amount as the property's locale does.
func (s Handlers) propertyMoney(r *http.Request, c *web.Call, propertyID string, m tenant.Money) string {
	prop, err := inventory.New(c.DB).GetProperty(r.Context(), propertyID)
	if err != nil {
		return web.FormatMoney(m, locale.Of(""))
	}
	return web.FormatMoney(m, locale.Of(prop.Address.Country))
}
