package pms

import (
	"context"
	"crypto/sha256"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The JSON API of the PMS (issue 4): properties, room types, rooms, room
// blocks, rate plans and their rates, availability, offers, the tape
// chart, bookings, reservations with their transitions, and guests. Every
// body is the tenant store's own type (its JSON tags follow API.md: opaque
// ids, YYYY-MM-DD dates, RFC 3339 instants, money as {amount, currency});
// versioned resources carry an ETag of their version and take If-Match.

// ApiData is a list without pagination beyond the request.
type ApiData[T any] struct {
	Data []T `json:"data"`
}

// writeAPI writes v with status after normalising its instants to whole
// seconds in UTC (what the store keeps), so a response built from a value
// just written and one read back later are byte for byte the same.
func writeAPI(w http.ResponseWriter, status int, v any) error {
	if done, err := writeFast(w, status, v); done {
		return err
	}
	pv := reflect.New(reflect.TypeOf(v)) // an addressable copy, so its fields can be set
	pv.Elem().Set(reflect.ValueOf(v))
	normaliseTimes(pv)
	return web.WriteJSON(w, status, pv.Elem().Interface())
}

var timeType = reflect.TypeOf(time.Time{})

func normaliseTimes(v reflect.Value) {
	if !v.IsValid() || !holdsTime(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normaliseTimes(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC().Truncate(time.Second)))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normaliseTimes(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			normaliseTimes(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Interface || e.Kind() == reflect.Pointer {
				normaliseTimes(e)
			}
		}
	}
}

// timeTypes remembers, per type, whether normaliseTimes can find a
// time.Time in a value of it (holdsTime), so the walk skips the parts of a
// response that hold none (a reservation's nights, its money, strings).
var timeTypes sync.Map // reflect.Type → bool

// holdsTime reports whether a value of type t can hold a time.Time that
// normaliseTimes visits.
func holdsTime(t reflect.Type) bool {
	if v, ok := timeTypes.Load(t); ok {
		return v.(bool)
	}
	// While t is decided (a type may refer to itself), it counts as
	// holding one: a wrong yes only costs a walk.
	timeTypes.Store(t, true)
	has := false
	switch t.Kind() {
	case reflect.Interface:
		has = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		has = holdsTime(t.Elem())
	case reflect.Map:
		// normaliseTimes visits only interface and pointer elements.
		k := t.Elem().Kind()
		has = (k == reflect.Interface || k == reflect.Pointer) && holdsTime(t.Elem())
	case reflect.Struct:
		has = t == timeType
		for i := 0; !has && i < t.NumField(); i++ {
			has = t.Field(i).IsExported() && holdsTime(t.Field(i).Type)
		}
	}
	timeTypes.Store(t, has)
	return has
}

// setETag names a resource's version for If-Match.
func setETag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
}

// versionOf returns the If-Match version, else the body's.
func versionOf(r *http.Request, body int) (int, error) {
	v, err := web.IfMatch(r)
	if err != nil || v != 0 {
		return v, err
	}
	return body, nil
}

// decodeVersioned decodes the body into in with decode (decodeJSON, or
// decodeOptional where the body may be left out), then sets *version, the
// body's version field, to the If-Match version when the header is sent.
func decodeVersioned(r *http.Request, decode func(*http.Request, any) error, in any, version *int) error {
	if err := decode(r, in); err != nil {
		return err
	}
	v, err := versionOf(r, *version)
	if err != nil {
		return err
	}
	*version = v
	return nil
}

// optionalVersion reads the version of a write whose body, {"version": n},
// may be left out: the body's, else (or over it) If-Match's; 0 when
// neither is sent.
func optionalVersion(r *http.Request) (int, error) {
	var in struct {
		Version int `json:"version"`
	}
	if hasBody(r) {
		err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version)
		return in.Version, err
	}
	return versionOf(r, 0)
}

// hasBody reports whether the request sends a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0
}

// decodeOptional decodes a JSON body when there is one (actions take an
// empty body too).
func decodeOptional(r *http.Request, v any) error {
	if !hasBody(r) {
		return nil
	}
	return web.DecodeJSON(r, v)
}

// apiPropertyID returns the id of the property a list is about (see
// apiPropertyOf).
func apiPropertyID(r *http.Request, c *web.Call) (string, error) {
	p, err := apiPropertyOf(r, c)
	return p.ID, err
}

// apiPropertyOf returns the property a list is about: ?property_id=, or
// the only property of the tenant. Handlers that need the property itself
// (its today) take it from here rather than reading it a second time.
func apiPropertyOf(r *http.Request, c *web.Call) (inventory.Property, error) {
	if id := r.URL.Query().Get("property_id"); id != "" {
		p, err := inventory.New(c.DB).GetProperty(r.Context(), id)
		if err != nil {
			return inventory.Property{}, aura.Invalid("No such property.", aura.FieldError{Field: "property_id", Message: "no such property"})
		}
		return p, nil
	}
	ps, err := inventory.New(c.DB).ListProperties(r.Context())
	if err != nil {
		return inventory.Property{}, err
	}
	if len(ps) == 1 {
		return ps[0], nil
	}
	return inventory.Property{}, aura.Invalid("Name the property with ?property_id= (this account has "+strconv.Itoa(len(ps))+" properties).",
		aura.FieldError{Field: "property_id", Message: "is required"})
}

// bodyPropertyID returns the property a write names in its body (id), or
// when the body names none, the one of ?property_id= or the tenant's only
// property (see apiPropertyOf). A property the body names that does not
// exist is a 400 on property_id.
func bodyPropertyID(r *http.Request, c *web.Call, id string) (string, error) {
	if id == "" {
		return apiPropertyID(r, c)
	}
	if _, err := inventory.New(c.DB).GetProperty(r.Context(), id); err != nil {
		return "", aura.Invalid("No such property.", aura.FieldError{Field: "property_id", Message: "no such property"})
	}
	return id, nil
}

// apiPropertyToday returns the property a list is about (see
// apiPropertyOf) and its business date, which the reports and lists read
// their default dates against.
func apiPropertyToday(r *http.Request, c *web.Call) (inventory.Property, date.Date, error) {
	p, err := apiPropertyOf(r, c)
	if err != nil {
		return inventory.Property{}, date.Date{}, err
	}
	today, err := inventory.New(c.DB).PropertyToday(r.Context(), p.ID)
	return p, today, err
}

// propertyDates reads ?from= and ?to= (to exclusive) of a view of
// property p; by default the days from its today on.
func (s Handlers) propertyDates(r *http.Request, c *web.Call, p inventory.Property, days int) (date.Date, date.Date, error) {
	today := s.Today(r, c, p)
	return queryDates(r, today, today.AddDays(days))
}

// queryDates reads ?from= and ?to= (to exclusive) with defaults.
func queryDates(r *http.Request, from, to date.Date) (date.Date, date.Date, error) {
	q := r.URL.Query()
	f, err := web.QueryDate(q, "from", from)
	if err != nil {
		return f, to, err
	}
	if q.Get("from") != "" && q.Get("to") == "" {
		to = f.AddDays(to.Sub(from))
	}
	t, err := web.QueryDate(q, "to", to)
	return f, t, err
}

// pageOf slices a whole list by ?limit= and ?cursor=.
func pageOf[T any](r *http.Request, all []T) (web.ApiList[T], error) {
	return PageAs(r, all, func(v T) T { return v })
}

// PageAs is pageOf of a list whose items the API shows as another type:
// as turns each item of the page into what the API shows.
func PageAs[T, U any](r *http.Request, all []T, as func(T) U) (web.ApiList[U], error) {
	limit, offset, err := web.PageParams(r)
	if err != nil {
		return web.ApiList[U]{}, err
	}
	out := web.ApiList[U]{Data: []U{}, NextCursor: web.NextCursor(offset, limit, len(all))}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		out.Data = append(out.Data, as(all[i]))
	}
	return out, nil
}

// The shapes most routes of the API share, as handlers built from the
// store method they run (a method expression such as
// (*tenant.DB).GetRoomType, called on the request's store) and, for a
// versioned resource, the function that reads its version for the ETag.
// The route table names the handler and the method, so each route's
// behaviour reads from its own line.

// writeVersioned writes v with status and version as its ETag.
func writeVersioned(w http.ResponseWriter, status int, v any, version int) error {
	setETag(w, version)
	return writeAPI(w, status, v)
}

// store is the store of one domain over the request's tenant file
// (inventory.Store, stays.Store, …): each embeds the *tenant.DB it works
// on, so a method expression such as stays.Store.GetGuest can serve a
// route.
type store interface{ ~struct{ *tenant.DB } }

// ApiGet answers GET of one resource, the path's :id, with its version as
// the ETag.
func ApiGet[S store, T any](get func(S, context.Context, string) (T, error), version func(T) int) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		v, err := get(S{c.DB}, r.Context(), c.Params.ByName("id"))
		if err != nil {
			return err
		}
		return writeVersioned(w, http.StatusOK, v, version(v))
	}
}

// ApiCreate answers POST of a new resource: the JSON body is the store's
// input, and the answer is 201 with the resource and its version as the
// ETag.
func ApiCreate[S store, In, T any](create func(S, context.Context, In) (T, error), version func(T) int) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		var in In
		createDefaults(&in)
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		v, err := create(S{c.DB}, r.Context(), in)
		if err != nil {
			return err
		}
		return writeVersioned(w, http.StatusCreated, v, version(v))
	}
}

// createDefaults fills what a create body may leave out and the store would
// otherwise read as zero: a property's front_desk object, sent in part
// (say only night_audit_time), starts from the documented defaults, as a
// PATCH starts from the current values.
func createDefaults(in any) {
	if p, ok := in.(*inventory.PropertyInput); ok {
		fd := inventory.DefaultFrontDeskSettings
		p.FrontDesk = &fd
	}
}

// ApiPropertyList answers GET of a list of one property's resources (the
// property of ?property_id=, or the only one), a page of it by ?limit= and
// ?cursor=.
func ApiPropertyList[S store, T any](list func(S, context.Context, string) ([]T, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		pid, err := apiPropertyID(r, c)
		if err != nil {
			return err
		}
		all, err := list(S{c.DB}, r.Context(), pid)
		if err != nil {
			return err
		}
		out, err := pageOf(r, all)
		if err != nil {
			return err
		}
		return writeAPI(w, http.StatusOK, out)
	}
}

// ApiPropertyRange answers GET of a view of one property (the property of
// ?property_id=, or the only one) over the nights [?from=, ?to=), by
// default the days nights from the property's today.
func ApiPropertyRange[S store, T any](s *web.Server, days int, view func(S, context.Context, string, date.Date, date.Date) (T, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		prop, err := apiPropertyOf(r, c)
		if err != nil {
			return err
		}
		from, to, err := New(s).propertyDates(r, c, prop, days)
		if err != nil {
			return err
		}
		v, err := view(S{c.DB}, r.Context(), prop.ID, from, to)
		if err != nil {
			return err
		}
		return writeAPI(w, http.StatusOK, v)
	}
}

// ApiDataOf answers GET of a list that belongs to the path's :id (a
// reservation's check-in records, a guest's reservations): the whole list,
// in the store's order, as {"data": [...]}.
func ApiDataOf[S store, T any](list func(S, context.Context, string) ([]T, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		all, err := list(S{c.DB}, r.Context(), c.Params.ByName("id"))
		if err != nil {
			return err
		}
		return writeAPI(w, http.StatusOK, ApiData[T]{Data: all})
	}
}

// ApiDelete answers DELETE of one resource, the path's :id, with 204 and
// no body once the store has deleted it.
func ApiDelete[S store](del func(S, context.Context, string) error) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		if err := del(S{c.DB}, r.Context(), c.Params.ByName("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// The versions of the resources, for their ETags.
func PropertyVersion(p inventory.Property) int     { return p.Version }
func RoomTypeVersion(t inventory.RoomType) int     { return t.Version }
func RoomVersion(rm inventory.Room) int            { return rm.Version }
func RatePlanVersion(p inventory.RatePlan) int     { return p.Version }
func ReservationVersion(res stays.Reservation) int { return res.Version }
func GuestVersion(g stays.Guest) int               { return g.Version }

// Properties.

func (s Handlers) ApiProperties(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ps, err := inventory.New(c.DB).ListProperties(r.Context())
	if err != nil {
		return err
	}
	out, err := pageOf(r, ps)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

// ApiPropertyUpdate applies a JSON merge of the fields sent onto the
// property's current settings.
func (s Handlers) ApiPropertyUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	cur, err := inventory.New(c.DB).GetProperty(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	fd := cur.FrontDesk
	in := inventory.PropertyInput{Name: cur.Name, Address: cur.Address, TimeZone: cur.TimeZone, Currency: cur.Currency,
		CheckInTime: cur.CheckInTime, CheckOutTime: cur.CheckOutTime, Tax: cur.Tax, FrontDesk: &fd}
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	p, err := inventory.New(c.DB).UpdateProperty(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	if p.FrontDesk.IDPhotoRetentionDays != cur.FrontDesk.IDPhotoRetentionDays || p.FrontDesk.PurgeDocumentNumbers != cur.FrontDesk.PurgeDocumentNumbers {
		// A changed retention window applies at once, not at the job's next hour.
		if _, err := s.purgeIDPhotos(r.Context(), c); err != nil {
			return err
		}
	}
	return writeVersioned(w, http.StatusOK, p, p.Version)
}

// Room types.

func (s Handlers) ApiRoomTypeUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	cur, err := inventory.New(c.DB).GetRoomType(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	in := inventory.RoomTypeInput{PropertyID: cur.PropertyID, Code: cur.Code, Name: cur.Name, Description: cur.Description,
		Capacity: cur.Capacity, BaseOccupancy: cur.BaseOccupancy, SortOrder: cur.SortOrder}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.PropertyID != cur.PropertyID {
		return aura.Invalid("A room type cannot move to another property.", aura.FieldError{Field: "property_id", Message: "cannot change"})
	}
	if in.Version, err = versionOf(r, in.Version); err != nil {
		return err
	}
	rt, err := inventory.New(c.DB).UpdateRoomType(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, rt, rt.Version)
}

// Rooms.

func (s Handlers) ApiRooms(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	rooms, err := inventory.New(c.DB).ListRooms(r.Context(), pid)
	if err != nil {
		return err
	}
	if t := r.URL.Query().Get("room_type_id"); t != "" {
		var kept []inventory.Room
		for _, rm := range rooms {
			if rm.RoomTypeID == t {
				kept = append(kept, rm)
			}
		}
		rooms = kept
	}
	out, err := pageOf(r, rooms)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

func (s Handlers) ApiRoomUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	cur, err := inventory.New(c.DB).GetRoom(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	in := inventory.RoomInput{PropertyID: cur.PropertyID, RoomTypeID: cur.RoomTypeID, Number: cur.Number, Floor: cur.Floor,
		Features: cur.Features, SortOrder: cur.SortOrder}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.PropertyID != cur.PropertyID {
		return aura.Invalid("A room cannot move to another property.", aura.FieldError{Field: "property_id", Message: "cannot change"})
	}
	if in.Version, err = versionOf(r, in.Version); err != nil {
		return err
	}
	rm, err := inventory.New(c.DB).UpdateRoom(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, rm, rm.Version)
}

// Room blocks (out of order, out of service).

func (s Handlers) ApiRoomBlocks(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, err := apiPropertyOf(r, c)
	if err != nil {
		return err
	}
	from, to, err := s.propertyDates(r, c, prop, tenant.MaxRange)
	if err != nil {
		return err
	}
	bs, err := inventory.New(c.DB).ListRoomBlocks(r.Context(), prop.ID, from, to)
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []inventory.RoomBlock{}
	}
	return writeAPI(w, http.StatusOK, ApiData[inventory.RoomBlock]{Data: bs})
}

func (s Handlers) ApiRoomBlockCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in inventory.RoomBlockInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	b, err := inventory.New(c.DB).CreateRoomBlock(r.Context(), in)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return aura.Invalid("No such room.", aura.FieldError{Field: "room_id", Message: "no such room"})
	} else if err != nil {
		return err
	}
	return writeAPI(w, http.StatusCreated, b)
}

// Rate plans and rates.

func (s Handlers) ApiRatePlanUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	cur, err := inventory.New(c.DB).GetRatePlan(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	in := inventory.RatePlanInput{PropertyID: cur.PropertyID, RoomTypeID: cur.RoomTypeID, Code: cur.Code, Name: cur.Name,
		ExtraPerson: cur.ExtraPerson, Cancellation: cur.Cancellation, NoShow: cur.NoShow, Active: cur.Active}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.PropertyID != cur.PropertyID || in.RoomTypeID != cur.RoomTypeID {
		return aura.Invalid("A rate plan keeps its property and room type.", aura.FieldError{Field: "room_type_id", Message: "cannot change"})
	}
	if in.Version, err = versionOf(r, in.Version); err != nil {
		return err
	}
	rp, err := inventory.New(c.DB).UpdateRatePlan(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, rp, rp.Version)
}

func (s Handlers) ApiRates(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rp, err := inventory.New(c.DB).GetRatePlan(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	prop, err := inventory.New(c.DB).GetProperty(r.Context(), rp.PropertyID)
	if err != nil {
		return err
	}
	from, to, err := s.propertyDates(r, c, prop, 30)
	if err != nil {
		return err
	}
	days, err := inventory.New(c.DB).Rates(r.Context(), rp.ID, from, to)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ApiData[inventory.DayRate]{Data: days})
}

// ApiRatesUpdate is the bulk edit: PUT and PATCH both set the fields sent
// (nil fields are left alone) on the chosen days of [from, to).
func (s Handlers) ApiRatesUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var u inventory.RateUpdate
	if err := web.DecodeJSON(r, &u); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	if u.RatePlanID != "" && u.RatePlanID != id {
		return aura.Invalid("The body names another rate plan than the path.", aura.FieldError{Field: "rate_plan_id", Message: "differs from the path"})
	}
	u.RatePlanID = id
	res, err := inventory.New(c.DB).UpdateRates(r.Context(), u)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, res)
}

// Offers.

func (s Handlers) ApiOffers(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var fe web.FormErrors
	oq := inventory.OfferQuery{PropertyID: pid, RoomTypeID: q.Get("room_type_id")}
	oq.Arrival = fe.Date(q, "arrival")
	oq.Departure = fe.Date(q, "departure")
	oq.Adults = fe.Int(q, "adults", 1)
	oq.Children = fe.Int(q, "children", 0)
	if err := fe.Err("The stay is not valid."); err != nil {
		return err
	}
	offers, err := inventory.New(c.DB).Offers(r.Context(), oq)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ApiData[inventory.Offer]{Data: offers})
}

// Bookings.

// ApiBookingCreate creates a booking. With an Idempotency-Key header, the
// same key and body return the first response again (201, the same bytes,
// header Idempotent-Replayed: true) and create nothing; the same key with
// another body is 422.
func (s Handlers) ApiBookingCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in stays.BookingInput
	body, err := web.DecodeJSONBody(r, &in)
	if err != nil {
		return err
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		sum := sha256.Sum256(body)
		in.IdempotencyKey, in.RequestHash = key, sum[:]
	}
	if !c.Can(identity.PermGuestsWrite) && hasNewGuest(in) {
		return errNewGuest
	}
	b, err := stays.New(c.DB).CreateBooking(r.Context(), in)
	if err != nil {
		if HasField(err, "idempotency_key") && aura.ErrorCode(err) == aura.EINVALID {
			return web.WithStatus(err, http.StatusUnprocessableEntity)
		}
		return err
	}
	if b.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	sortReservations(b.Reservations)
	setETag(w, b.Version)
	w.Header().Set("Location", "/"+c.Tenant.Slug+"/api/v1/bookings/"+b.ID)
	return writeAPI(w, http.StatusCreated, b)
}

func hasNewGuest(in stays.BookingInput) bool {
	if in.Booker.New != nil {
		return true
	}
	for _, r := range in.Reservations {
		if r.Guest != nil && r.Guest.New != nil {
			return true
		}
	}
	return false
}

func HasField(err error, field string) bool {
	for _, f := range aura.ErrorFields(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

// sortReservations puts a booking's reservations in one order (arrival,
// then id) whether they were just written or read back.
func sortReservations(rs []stays.Reservation) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Arrival != rs[j].Arrival {
			return rs[i].Arrival.Before(rs[j].Arrival)
		}
		return rs[i].ID < rs[j].ID
	})
}

func (s Handlers) ApiBooking(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	b, err := stays.New(c.DB).GetBooking(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	sortReservations(b.Reservations)
	return writeVersioned(w, http.StatusOK, b, b.Version)
}

func (s Handlers) ApiBookingUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var u stays.BookingUpdate
	if err := decodeVersioned(r, web.DecodeJSON, &u, &u.Version); err != nil {
		return err
	}
	b, err := stays.New(c.DB).UpdateBooking(r.Context(), c.Params.ByName("id"), u)
	if err != nil {
		return err
	}
	sortReservations(b.Reservations)
	return writeVersioned(w, http.StatusOK, b, b.Version)
}

// Reservations.

// ApiReservations lists reservations. A property named with ?property_id=
// is looked up only when the page comes back empty or the request fails (the
// list joins properties, so a row proves the property exists): one read
// transaction per page instead of two, with the errors of looking it up
// first.
func (s Handlers) ApiReservations(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	named := r.URL.Query().Get("property_id")
	pid := named
	if pid == "" {
		var err error
		if pid, err = apiPropertyID(r, c); err != nil {
			return err
		}
	}
	page, err := listReservations(r, c, pid)
	if named != "" && (err != nil || len(page.Reservations) == 0) {
		if _, perr := apiPropertyOf(r, c); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	out := web.ApiList[stays.Reservation]{Data: page.Reservations}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return writeAPI(w, http.StatusOK, out)
}

// listReservations reads the filter of ApiReservations and its page.
func listReservations(r *http.Request, c *web.Call, pid string) (stays.ReservationPage, error) {
	q := r.URL.Query()
	limit, err := web.PageLimit(r)
	if err != nil {
		return stays.ReservationPage{}, err
	}
	var fe web.FormErrors
	f := stays.ReservationFilter{PropertyID: pid, Limit: limit, Cursor: q.Get("cursor"), GuestID: q.Get("guest_id"), BookingID: q.Get("booking_id")}
	f.ArrivalFrom = fe.OptDate(q, "arrival_from")
	f.ArrivalTo = fe.OptDate(q, "arrival_to")
	f.DepartureFrom = fe.OptDate(q, "departure_from")
	f.DepartureTo = fe.OptDate(q, "departure_to")
	f.StayingOn = fe.OptDate(q, "staying_on")
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	switch q.Get("overbooked") {
	case "", "false":
	case "true":
		f.Overbooked = true
	default:
		fe.Add("overbooked", "must be true or false")
	}
	if err := fe.Err("The filter is not valid."); err != nil {
		return stays.ReservationPage{}, err
	}
	return stays.New(c.DB).ListReservations(r.Context(), f)
}

// ApiReservationUpdate changes the stay (dates, room type, rate plan,
// party, prices); If-Match with a stale version is 412.
func (s Handlers) ApiReservationUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var ch stays.StayChange
	if err := decodeVersioned(r, web.DecodeJSON, &ch, &ch.Version); err != nil {
		return err
	}
	res, err := stays.New(c.DB).ChangeStay(r.Context(), c.Params.ByName("id"), ch)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, res, res.Version)
}

// Bodies of the reservation actions.
type (
	ApiVersionBody struct {
		Version int `json:"version,omitempty"`
	}
	ApiAssignBody struct {
		RoomID  string `json:"room_id"`
		Version int    `json:"version,omitempty"`
	}
)

// ApiReservationAction runs a transition or a stay change of the front
// desk: confirm, cancel, no-show, assign (the move of a guest in house),
// unassign, check-in, extend, depart-early or check-out. Each decodes its
// body, takes the version from If-Match or the body, and answers with the
// version as the ETag.
func (s Handlers) ApiReservationAction(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx, id := r.Context(), c.Params.ByName("id")
		var res stays.Reservation
		var err error
		switch action {
		case "confirm":
			var in ApiVersionBody
			if err = decodeVersioned(r, decodeOptional, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).Confirm(ctx, id, in.Version)
			}
		case "cancel":
			var in stays.CancelInput
			if err = decodeVersioned(r, decodeOptional, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).Cancel(ctx, id, in)
			}
		case "no-show":
			var in stays.NoShowInput
			if err = decodeVersioned(r, decodeOptional, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).MarkNoShow(ctx, id, in)
			}
		case "assign":
			var in ApiAssignBody
			if err = decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).AssignRoom(ctx, id, in.RoomID, in.Version)
			}
		case "unassign":
			var in ApiVersionBody
			if err = decodeVersioned(r, decodeOptional, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).UnassignRoom(ctx, id, in.Version)
			}
		case "check-in":
			// The guests' photos travel as base64: the body may be as large
			// as a check-in upload from the pages.
			var in stays.CheckInInput
			if hasBody(r) {
				_, err = web.DecodeJSONLimit(r, &in, MaxCheckInJSONBytes)
			}
			if err == nil && !c.Can(identity.PermGuestsWrite) && slices.ContainsFunc(in.Guests, func(g stays.GuestCheckIn) bool { return g.New != nil }) {
				err = errNewGuest
			}
			if err == nil {
				if in.Version, err = versionOf(r, in.Version); err == nil {
					res, err = stays.New(c.DB).CheckIn(ctx, id, in)
				}
			}
		case "extend":
			var in stays.StayExtension
			if err = decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).ExtendStay(ctx, id, in)
			}
		case "depart-early":
			// No departure: today (the first date a guest in house may leave).
			var in stays.EarlyDeparture
			if err = decodeVersioned(r, decodeOptional, &in, &in.Version); err == nil {
				res, err = stays.New(c.DB).DepartEarly(ctx, id, in)
			}
		case "check-out":
			// The answer is the reservation with its open balance; an open
			// balance is refused unless left on the city ledger with a reason.
			var in stays.CheckOutInput
			if err := decodeVersioned(r, decodeOptional, &in, &in.Version); err != nil {
				return err
			}
			out, err := stays.New(c.DB).CheckOutWith(ctx, id, in)
			if err != nil {
				return err
			}
			return writeVersioned(w, http.StatusOK, out, out.Reservation.Version)
		}
		if err != nil {
			return err
		}
		return writeVersioned(w, http.StatusOK, res, res.Version)
	}
}

// Guests.

func (s Handlers) ApiGuests(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	r = r.WithContext(restrictedContext(r, c))
	q := r.URL.Query()
	limit, err := web.PageLimit(r)
	if err != nil {
		return err
	}
	if query := strings.TrimSpace(q.Get("q")); query != "" {
		gs, err := stays.New(c.DB).SearchGuests(r.Context(), query, limit)
		if err != nil {
			return err
		}
		if gs == nil {
			gs = []stays.Guest{}
		}
		return writeAPI(w, http.StatusOK, web.ApiList[stays.Guest]{Data: gs})
	}
	page, err := stays.New(c.DB).ListGuests(r.Context(), limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	out := web.ApiList[stays.Guest]{Data: page.Guests}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return writeAPI(w, http.StatusOK, out)
}

func (s Handlers) ApiGuestUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	cur, err := stays.New(c.DB).GetGuest(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := restrictedGate(r, c, cur, "API guest update"); err != nil {
		return err
	}
	in := stays.GuestInput{GivenName: cur.GivenName, FamilyName: cur.FamilyName, Email: cur.Email, Phone: cur.Phone, Address: cur.Address,
		Nationality: cur.Nationality, Language: cur.Language, Notes: cur.Notes}
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	g, err := stays.New(c.DB).UpdateGuest(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, g, g.Version)
}

// ApiGuestReservations lists a guest's reservations; as they are
// reservations, the caller needs reservations.read too.
func (s Handlers) ApiGuestReservations(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := c.NeedPermission(identity.PermReservationsRead); err != nil {
		return err
	}
	return ApiDataOf(stays.Store.GuestReservations)(w, r, c)
}
