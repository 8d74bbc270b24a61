package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The OpenAPI 3.1 document of the JSON API, served at
// /{tenant}/api/v1/openapi.json. It is generated from the route table:
// every API route becomes an operation (method, path, path parameters,
// the permission it needs), and apiDocs adds what the table does not
// know — a summary, query parameters, and the Go types of the request and
// response bodies, whose JSON schemas are derived by reflection from the
// very types the handlers decode and encode. A test fails when an API
// route has no entry here or an entry names no route, so the document
// cannot drift from the API.

// Response shapes of the identity API that its handlers build as maps.
type (
	apiWhoamiDoc struct {
		Tenant struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
			Name string `json:"name"`
		} `json:"tenant"`
		User        apiUser               `json:"user"`
		Token       apiToken              `json:"token"`
		Permissions []identity.Permission `json:"permissions"`
	}
	apiUserInvitedDoc struct {
		User      apiUser `json:"user"`
		Message   string  `json:"message"`
		InviteURL string  `json:"invite_url,omitempty"`
	}
	apiTokenCreatedDoc struct {
		Token  apiToken `json:"token"`
		Secret string   `json:"secret"`
	}
)

// openAPIDocument is a marker for the document's own route.
type openAPIDocument map[string]any

// apiDocs documents every API route, keyed "METHOD path" as in the route table.
var apiDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/openapi.json": {Summary: "This OpenAPI document", Tag: "Meta", Response: openAPIDocument{}},

	// Identity (issue 3).
	"GET /:tenant/api/v1/whoami":        {Summary: "The token, its user and their effective permissions", Tag: "Identity", Response: apiWhoamiDoc{}},
	"GET /:tenant/api/v1/users":         {Summary: "List users", Tag: "Identity", Query: []web.QueryParam{web.QLimit, web.QCursor}, Response: web.ApiList[apiUser]{}},
	"POST /:tenant/api/v1/users":        {Summary: "Invite a user", Tag: "Identity", Body: apiUserInviteBody{}, Response: apiUserInvitedDoc{}, Status: 201},
	"PATCH /:tenant/api/v1/users/:id":   {Summary: "Change a user's role or status", Tag: "Identity", Body: apiUserUpdateBody{}, Response: apiUser{}},
	"DELETE /:tenant/api/v1/users/:id":  {Summary: "Remove a user", Tag: "Identity", Status: 204},
	"GET /:tenant/api/v1/tokens":        {Summary: "List the caller's API tokens", Tag: "Identity", Query: []web.QueryParam{web.QLimit, web.QCursor}, Response: web.ApiList[apiToken]{}},
	"POST /:tenant/api/v1/tokens":       {Summary: "Create an API token (its secret is shown once)", Tag: "Identity", Body: apiTokenCreateBody{}, Response: apiTokenCreatedDoc{}, Status: 201},
	"DELETE /:tenant/api/v1/tokens/:id": {Summary: "Revoke an API token", Tag: "Identity", Status: 204},

	// Inventory.
	"GET /:tenant/api/v1/properties":       {Summary: "List properties", Tag: "Inventory", Query: []web.QueryParam{web.QLimit, web.QCursor}, Response: web.ApiList[inventory.Property]{}},
	"POST /:tenant/api/v1/properties":      {Summary: "Add a property", Tag: "Inventory", Body: inventory.PropertyInput{}, Response: inventory.Property{}, Status: 201},
	"GET /:tenant/api/v1/properties/:id":   {Summary: "Get a property", Tag: "Inventory", Response: inventory.Property{}},
	"PATCH /:tenant/api/v1/properties/:id": {Summary: "Change a property's settings (the fields sent)", Tag: "Inventory", Body: inventory.PropertyInput{}, Response: inventory.Property{}, IfMatch: true},
	"GET /:tenant/api/v1/room-types":       {Summary: "List room types", Tag: "Inventory", Query: []web.QueryParam{web.QProperty, web.QLimit, web.QCursor}, Response: web.ApiList[inventory.RoomType]{}},
	"POST /:tenant/api/v1/room-types":      {Summary: "Add a room type", Tag: "Inventory", Body: inventory.RoomTypeInput{}, Response: inventory.RoomType{}, Status: 201},
	"GET /:tenant/api/v1/room-types/:id":   {Summary: "Get a room type", Tag: "Inventory", Response: inventory.RoomType{}},
	"PATCH /:tenant/api/v1/room-types/:id": {Summary: "Change a room type (the fields sent)", Tag: "Inventory", Body: inventory.RoomTypeInput{}, Response: inventory.RoomType{}, IfMatch: true},
	"GET /:tenant/api/v1/channels/exports": {Summary: "List a property's exported calendars (secret URLs are shown only when made)", Tag: "Channels",
		Query: []web.QueryParam{web.QProperty, web.QLimit, web.QCursor}, Response: web.ApiList[channels.Export]{}},
	"POST /:tenant/api/v1/channels/exports": {Summary: "Export a room's or room type's calendar by a secret URL (shown this once)", Tag: "Channels",
		Body: channels.ExportInput{}, Response: pms.ExportCreated{}, Status: 201},
	"POST /:tenant/api/v1/channels/exports/:id/revoke": {Summary: "Revoke a calendar URL (404 from then on)", Tag: "Channels", Response: channels.Export{}},
	"GET /:tenant/api/v1/channels/feeds": {Summary: "List a property's imported calendars with their health", Tag: "Channels",
		Query: []web.QueryParam{web.QProperty, web.QLimit, web.QCursor}, Response: web.ApiList[channels.Feed]{}},
	"POST /:tenant/api/v1/channels/feeds":          {Summary: "Import a channel's calendar for a room or room type", Tag: "Channels", Body: channels.FeedInput{}, Response: channels.Feed{}, Status: 201},
	"POST /:tenant/api/v1/channels/feeds/:id/poll": {Summary: "Read an imported calendar now", Tag: "Channels", Response: channels.ImportResult{}},
	"DELETE /:tenant/api/v1/channels/feeds/:id": {Summary: "Delete an imported calendar: no longer read, its URL wiped, its blocks from today on cancelled", Tag: "Channels",
		Response: pms.FeedDeleted{}},
	"GET /:tenant/api/v1/channels/attention": {Summary: "What of a property's channels needs a person: overbookings, unapplied revisions, failed pushes, virtual cards", Tag: "Channels",
		Query: []web.QueryParam{web.QProperty}, Response: channels.Attention{}},
	"POST /:tenant/api/v1/channels/resync": {Summary: "Queue a property's whole availability, rates and restrictions for the channel manager again (full resync)", Tag: "Channels",
		Query: []web.QueryParam{web.QProperty}, Response: pms.ResyncQueued{}, Status: 202},
	"GET /:tenant/api/v1/channels/revisions": {Summary: "The channel manager's booking revisions received, newest first", Tag: "Channels",
		Query: []web.QueryParam{web.QProperty, web.Q("booking_id", "string", "Only the revisions of this booking."), web.QLimit, web.QCursor}, Response: web.ApiList[channels.RevisionRecord]{}},
	"GET /:tenant/api/v1/rooms":              {Summary: "List rooms", Tag: "Inventory", Query: []web.QueryParam{web.QProperty, web.Q("room_type_id", "string", "Only rooms of this type."), web.QLimit, web.QCursor}, Response: web.ApiList[inventory.Room]{}},
	"POST /:tenant/api/v1/rooms":             {Summary: "Add a room", Tag: "Inventory", Body: inventory.RoomInput{}, Response: inventory.Room{}, Status: 201},
	"GET /:tenant/api/v1/rooms/:id":          {Summary: "Get a room", Tag: "Inventory", Response: inventory.Room{}},
	"PATCH /:tenant/api/v1/rooms/:id":        {Summary: "Change a room (the fields sent)", Tag: "Inventory", Body: inventory.RoomInput{}, Response: inventory.Room{}, IfMatch: true},
	"GET /:tenant/api/v1/room-blocks":        {Summary: "List out-of-order and out-of-service periods", Tag: "Inventory", Query: []web.QueryParam{web.QProperty, web.QFrom, web.QTo}, Response: pms.ApiData[inventory.RoomBlock]{}},
	"POST /:tenant/api/v1/room-blocks":       {Summary: "Take a room out of order or out of service for nights [start, end)", Tag: "Inventory", Body: inventory.RoomBlockInput{}, Response: inventory.RoomBlock{}, Status: 201},
	"DELETE /:tenant/api/v1/room-blocks/:id": {Summary: "End a room block", Tag: "Inventory", Status: 204},

	// Rates and availability.
	"GET /:tenant/api/v1/rate-plans":           {Summary: "List rate plans", Tag: "Rates", Query: []web.QueryParam{web.QProperty, web.QLimit, web.QCursor}, Response: web.ApiList[inventory.RatePlan]{}},
	"POST /:tenant/api/v1/rate-plans":          {Summary: "Add a rate plan", Tag: "Rates", Body: inventory.RatePlanInput{}, Response: inventory.RatePlan{}, Status: 201},
	"GET /:tenant/api/v1/rate-plans/:id":       {Summary: "Get a rate plan", Tag: "Rates", Response: inventory.RatePlan{}},
	"PATCH /:tenant/api/v1/rate-plans/:id":     {Summary: "Change a rate plan and its policies (the fields sent)", Tag: "Rates", Body: inventory.RatePlanInput{}, Response: inventory.RatePlan{}, IfMatch: true},
	"GET /:tenant/api/v1/rate-plans/:id/rates": {Summary: "The rate calendar: price and restrictions per day", Tag: "Rates", Query: []web.QueryParam{web.QFrom, web.QTo}, Response: pms.ApiData[inventory.DayRate]{}},
	"PUT /:tenant/api/v1/rate-plans/:id/rates": {Summary: "Bulk edit the rate calendar over [from, to) and chosen weekdays", Tag: "Rates", Body: inventory.RateUpdate{}, Response: inventory.RateUpdateResult{}},
	"PATCH /:tenant/api/v1/rate-plans/:id/rates": {Summary: "Bulk edit the rate calendar (as PUT: only the fields sent change)", Tag: "Rates", Body: inventory.RateUpdate{},
		Response: inventory.RateUpdateResult{}},
	"GET /:tenant/api/v1/availability": {Summary: "Rooms left per room type and night", Tag: "Rates", Query: []web.QueryParam{web.QProperty, web.QFrom, web.QTo}, Response: inventory.Availability{}},
	"GET /:tenant/api/v1/offers": {Summary: "Price a stay with every active rate plan", Tag: "Rates", Query: []web.QueryParam{web.QProperty,
		{Name: "arrival", Type: "date", Required: true, Description: "Arrival date."}, {Name: "departure", Type: "date", Required: true, Description: "Departure date (exclusive)."},
		web.Q("adults", "integer", "Adults (default 1)."), web.Q("children", "integer", "Children (default 0)."), web.Q("room_type_id", "string", "Only this room type.")},
		Response: pms.ApiData[inventory.Offer]{}},
	"GET /:tenant/api/v1/tape-chart": {Summary: "Rooms × nights with the stays assigned", Tag: "Reservations", Query: []web.QueryParam{web.QProperty, web.QFrom, web.QTo}, Response: stays.TapeChart{}},

	// Bookings and reservations.
	"POST /:tenant/api/v1/bookings": {Summary: "Create a booking (no double booking: 409 when a night is full)", Tag: "Reservations",
		Body: stays.BookingInput{}, Response: stays.Booking{}, Status: 201, Idempotency: true},
	"GET /:tenant/api/v1/bookings/:id":   {Summary: "Get a booking with its reservations", Tag: "Reservations", Response: stays.Booking{}},
	"PATCH /:tenant/api/v1/bookings/:id": {Summary: "Change a booking's channel code, commission or notes", Tag: "Reservations", Body: stays.BookingUpdate{}, Response: stays.Booking{}, IfMatch: true},
	"GET /:tenant/api/v1/reservations": {Summary: "List reservations by arrival", Tag: "Reservations", Query: []web.QueryParam{web.QProperty,
		web.Q("status", "string", "Statuses, comma-separated: tentative, confirmed, in_house, checked_out, cancelled, no_show."),
		web.Q("arrival_from", "date", "Arrival on or after."), web.Q("arrival_to", "date", "Arrival before."), web.Q("departure_from", "date", "Departure on or after."),
		web.Q("departure_to", "date", "Departure before."), web.Q("staying_on", "date", "Stays including the night of this date."),
		web.Q("guest_id", "string", "The staying guest."), web.Q("booking_id", "string", "The booking."), web.Q("overbooked", "boolean", "Only overbooked reservations."),
		web.QLimit, web.QCursor}, Response: web.ApiList[stays.Reservation]{}},
	"GET /:tenant/api/v1/reservations/:id":   {Summary: "Get a reservation with its nights", Tag: "Reservations", Response: stays.Reservation{}},
	"PATCH /:tenant/api/v1/reservations/:id": {Summary: "Change the stay: dates, room type, rate plan, party or prices", Tag: "Reservations", Body: stays.StayChange{}, Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/confirm": {Summary: "Confirm a tentative reservation", Tag: "Reservations", Body: pms.ApiVersionBody{}, BodyOptional: true,
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/cancel": {Summary: "Cancel (the policy's fee, or waived)", Tag: "Reservations", Body: stays.CancelInput{}, BodyOptional: true,
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/no-show": {Summary: "Mark a no-show (the policy's fee, or waived)", Tag: "Reservations", Body: stays.NoShowInput{}, BodyOptional: true,
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/assign": {Summary: "Assign a room, or move to another", Tag: "Reservations", Body: pms.ApiAssignBody{}, Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/unassign": {Summary: "Remove the room of a reservation not yet arrived", Tag: "Reservations", Body: pms.ApiVersionBody{}, BodyOptional: true,
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/check-in": {Summary: "Check in (with the guests' check-in records; a new companion needs guests.write too)", Tag: "Front desk", Body: stays.CheckInInput{}, BodyOptional: true,
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/check-out": {Summary: "Check out (an open balance is refused unless left on the city ledger with a reason)", Tag: "Front desk", Body: stays.CheckOutInput{}, BodyOptional: true,
		Response: stays.CheckOutResult{}, IfMatch: true},

	// Guests.
	"GET /:tenant/api/v1/guests": {Summary: "Search guests (q) or list them newest first", Tag: "Guests",
		Query: []web.QueryParam{web.Q("q", "string", "Name words, an email or phone digits."), web.QLimit, web.QCursor}, Response: web.ApiList[stays.Guest]{}},
	"POST /:tenant/api/v1/guests":                 {Summary: "Add a guest", Tag: "Guests", Body: stays.GuestInput{}, Response: stays.Guest{}, Status: 201},
	"GET /:tenant/api/v1/guests/:id":              {Summary: "Get a guest's profile", Tag: "Guests", Response: stays.Guest{}},
	"PATCH /:tenant/api/v1/guests/:id":            {Summary: "Change a guest's profile (the fields sent)", Tag: "Guests", Body: stays.GuestInput{}, Response: stays.Guest{}, IfMatch: true},
	"GET /:tenant/api/v1/guests/:id/reservations": {Summary: "Every reservation of a guest", Tag: "Guests", Response: pms.ApiData[stays.Reservation]{}},
	"GET /:tenant/api/v1/guests/:id/export": {Summary: "Everything stored about a guest, as JSON or a ZIP of CSV files (audited; made for this request, never stored)", Tag: "Guests",
		Query: []web.QueryParam{web.Q("format", "string", "json (default) or zip.")}, ResponseMedia: []string{"application/json", "application/zip"}},
	"POST /:tenant/api/v1/guests/:id/restriction": {Summary: "Restrict the processing of a guest's data (GDPR art. 18: hidden from lists and search without guests.restricted.read, every read audited), or lift it", Tag: "Guests",
		Body: struct {
			Restricted bool   `json:"restricted"`
			Reason     string `json:"reason"`
		}{}, Response: stays.Guest{}},
	"GET /:tenant/api/v1/guest-retention": {Summary: "The guest retention schedules (years per property) and the dry run: who is anonymised and when", Tag: "Guests",
		Response: struct {
			Schedules map[string]int       `json:"anonymise_after_years"`
			Due       []guestdata.DueGuest `json:"due"`
		}{}},
	"PUT /:tenant/api/v1/guest-retention/:id": {Summary: "Set a property's guest retention schedule (anonymise N years after the last stay; 0 = never)", Tag: "Guests",
		Body: struct {
			Years int `json:"anonymise_after_years"`
		}{}, Response: struct {
			Schedules map[string]int       `json:"anonymise_after_years"`
			Due       []guestdata.DueGuest `json:"due"`
		}{}},
	"GET /:tenant/api/v1/guests/:id/erasure": {Summary: "What anonymising a guest would remove and keep, and why it is refused now", Tag: "Guests", Response: guestdata.ErasurePlan{}},
	"POST /:tenant/api/v1/guests/:id/erasure": {Summary: "Anonymise a guest (refused with 409 while a stay is in house or a folio has an open balance); the books are kept", Tag: "Guests",
		Body: struct {
			Version int `json:"version"`
		}{}, BodyOptional: true, Response: guestdata.Erasure{}, IfMatch: true},

	// The front desk (issue 6).
	"GET /:tenant/api/v1/front-desk": {Summary: "The front desk's day: arrivals, guests in house and departures", Tag: "Front desk",
		Query: []web.QueryParam{web.QProperty, web.QDay}, Response: frontdesk.FrontDesk{}},
	"GET /:tenant/api/v1/reservations/:id/check-ins": {Summary: "The check-in records of a reservation (ID documents and photos; a restricted guest's come withheld without guests.restricted.read)", Tag: "Front desk",
		Response: pms.ApiData[stays.CheckInRecord]{}},
	"POST /:tenant/api/v1/reservations/:id/check-ins": {Summary: "Add one guest's check-in record (photos as base64; a new companion needs guests.write) to a stay in house or due today",
		Tag: "Front desk", Body: stays.GuestCheckIn{}, Response: stays.CheckInRecord{}, Status: 201},
	"GET /:tenant/api/v1/guests/:id/check-ins": {Summary: "Every check-in record of a guest, with purged photos and numbers marked (withheld for a restricted guest without guests.restricted.read)", Tag: "Front desk",
		Response: pms.ApiData[stays.CheckInRecord]{}},
	"PATCH /:tenant/api/v1/check-ins/:id": {Summary: "Rectify a check-in record's document and date of birth (the fields sent; needs iddocuments.read too)", Tag: "Front desk",
		Body: stays.CheckInRecordUpdate{}, Response: stays.CheckInRecord{}, IfMatch: true},
	"POST /:tenant/api/v1/check-ins/:id/photos": {Summary: "Add an ID photo: the body is the image (JPEG, PNG or HEIC, at most 10 MiB)", Tag: "Front desk",
		BodyMedia: pms.IdPhotoTypes, Response: stays.IDPhoto{}, Status: 201},
	"GET /:tenant/api/v1/id-photos/:id": {Summary: "An ID photo's bytes (never cached); 410 once purged; 404 for a restricted guest's without guests.restricted.read", Tag: "Front desk",
		ResponseMedia: pms.IdPhotoTypes},
	"DELETE /:tenant/api/v1/id-photos/:id": {Summary: "Delete an ID photo's bytes now (its description stays, marked purged)", Tag: "Front desk", Status: 204},
	"POST /:tenant/api/v1/reservations/:id/extend": {Summary: "Extend a stay to a later departure", Tag: "Front desk", Body: stays.StayExtension{},
		Response: stays.Reservation{}, IfMatch: true},
	"POST /:tenant/api/v1/reservations/:id/depart-early": {Summary: "Bring a guest's departure forward (default today); the nights go back on sale",
		Tag: "Front desk", Body: stays.EarlyDeparture{}, BodyOptional: true, Response: stays.Reservation{}, IfMatch: true},
	"GET /:tenant/api/v1/housekeeping": {Summary: "The housekeeping board: every room's condition and occupancy on a date", Tag: "Housekeeping",
		Query: []web.QueryParam{web.QProperty, web.QDay}, Response: frontdesk.HousekeepingBoard{}},
	"PUT /:tenant/api/v1/rooms/:id/housekeeping": {Summary: "Set a room's condition: clean, dirty or inspected", Tag: "Housekeeping",
		Body: pms.ApiHousekeepingBody{}, Response: inventory.Room{}, IfMatch: true},
	"POST /:tenant/api/v1/rooms/:id/housekeeping": {Summary: "Set a room's condition (as PUT)", Tag: "Housekeeping",
		Body: pms.ApiHousekeepingBody{}, Response: inventory.Room{}, IfMatch: true},
	"GET /:tenant/api/v1/night-audit": {Summary: "The business day and the business dates closed", Tag: "Night audit",
		Query: []web.QueryParam{web.QProperty, web.Q("limit", "integer", "How many closed dates, 1 to 366 (default 30).")}, Response: pms.ApiNightAudit{}},
	"POST /:tenant/api/v1/night-audit/run": {Summary: "Run the night audit now: close every business date due (none twice)", Tag: "Night audit",
		Query: []web.QueryParam{web.QProperty}, Response: frontdesk.NightAuditResult{}},
	"POST /:tenant/api/v1/id-photos/purge": {Summary: "Run the ID-photo retention purge now: every photo (and, where set, document number) past its property's window", Tag: "Front desk",
		Response: frontdesk.PurgeResult{}},
}

// apiOpenAPI serves the document; it is built once per server.
func (s handlers) apiOpenAPI(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	doc := s.OpenAPI()
	doc["servers"] = []map[string]string{{"url": "/" + c.Tenant.Slug + "/api/v1"}}
	return web.WriteJSON(w, http.StatusOK, doc)
}

var openAPIOnce struct {
	sync.Mutex
	doc map[string]any
}

// OpenAPI returns the OpenAPI 3.1 document of the API routes (without
// "servers", which names the tenant). Each call returns a fresh copy.
func (s handlers) OpenAPI() map[string]any {
	openAPIOnce.Lock()
	defer openAPIOnce.Unlock()
	if openAPIOnce.doc == nil {
		openAPIOnce.doc = buildOpenAPI(s.RouteTable)
	}
	b, _ := json.Marshal(openAPIOnce.doc)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// APIPath turns a route path into the document's: /:tenant/api/v1/x/:id → /x/{id}.
func APIPath(route string) string {
	p := strings.TrimPrefix(route, "/:tenant/api/v1")
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func buildOpenAPI(routes []web.Route) map[string]any {
	sg := &schemaGen{schemas: map[string]any{}}
	paths := map[string]map[string]any{}
	problem := map[string]any{"description": "An error as RFC 9457 problem details.",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": sg.ref(reflect.TypeOf(web.Problem{}))}}}
	for _, rt := range routes {
		if !rt.API() {
			continue
		}
		doc, ok := apiDocs[rt.Method+" "+rt.Path]
		if !ok {
			doc = web.ApiDoc{Summary: "(undocumented)", Tag: "Undocumented"}
		}
		path := APIPath(rt.Path)
		op := map[string]any{"summary": doc.Summary, "operationId": operationID(rt.Method, path), "tags": []string{doc.Tag}}
		desc := "Needs an API token"
		if rt.Perm != "" {
			desc += " with the scope " + string(rt.Perm)
		}
		op["description"] = desc + "."
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, ":") && seg != ":tenant" {
				params = append(params, map[string]any{"name": seg[1:], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, qp := range doc.Query {
			params = append(params, map[string]any{"name": qp.Name, "in": "query", "required": qp.Required, "description": qp.Description,
				"schema": paramSchema(qp.Type)})
		}
		if doc.IfMatch {
			params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": false,
				"description": "The version the change is based on (the ETag); a stale one is 412.", "schema": map[string]any{"type": "string"}})
		}
		if doc.Idempotency {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "Repeating a request with the same key and body returns the first response; the same key with another body is 422.",
				"schema":      map[string]any{"type": "string", "maxLength": 255}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if doc.BodyMedia != nil {
			op["requestBody"] = map[string]any{"required": true, "content": rawContent(doc.BodyMedia)}
		}
		if doc.Body != nil {
			op["requestBody"] = map[string]any{"required": !doc.BodyOptional,
				"content": map[string]any{"application/json": map[string]any{"schema": sg.schema(reflect.TypeOf(doc.Body))}}}
		}
		status := doc.Status
		if status == 0 {
			status = http.StatusOK
		}
		success := map[string]any{"description": http.StatusText(status)}
		if doc.Response != nil {
			schema := sg.schema(reflect.TypeOf(doc.Response))
			if _, isDoc := doc.Response.(openAPIDocument); isDoc {
				schema = map[string]any{"type": "object", "description": "An OpenAPI 3.1 document."}
			}
			success["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
		}
		if doc.ResponseMedia != nil {
			success["content"] = rawContent(doc.ResponseMedia)
		}
		op["responses"] = map[string]any{strconv.Itoa(status): success, "default": problem}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Aura API", "version": "1",
			"description": "The JSON API of Aura, the twin of its pages. Ids are opaque strings, stay dates YYYY-MM-DD in the property's zone " +
				"(departure exclusive), instants RFC 3339 UTC, money {amount, currency} in minor units. Errors are RFC 9457 problem " +
				"details; lists take limit (at most 200) and cursor and return next_cursor."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         sg.schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An Aura API token: aura_…"}},
		},
		"security": []map[string][]string{{"bearer": {}}},
	}
}

// rawContent describes a body of raw bytes in each of the media types.
func rawContent(types []string) map[string]any {
	out := map[string]any{}
	for _, mt := range types {
		out[mt] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": mt}}
	}
	return out
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '-' || r == '{' || r == '}' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func paramSchema(typ string) map[string]any {
	switch typ {
	case "date":
		return map[string]any{"type": "string", "format": "date"}
	case "integer", "boolean":
		return map[string]any{"type": typ}
	}
	return map[string]any{"type": "string"}
}

// schemaGen derives JSON schemas from Go types; named structs become
// components referenced by $ref.
type schemaGen struct {
	schemas map[string]any
}

var (
	dateType  = reflect.TypeOf(date.Date{})
	tTimeType = reflect.TypeOf(time.Time{})
	bytesType = reflect.TypeOf([]byte(nil))
)

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	name := componentName(t)
	if _, ok := g.schemas[name]; !ok {
		g.schemas[name] = map[string]any{} // a placeholder breaks cycles
		g.schemas[name] = g.object(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func componentName(t reflect.Type) string {
	n := t.Name()
	n = strings.TrimPrefix(n, "api")
	return strings.ToUpper(n[:1]) + n[1:]
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == dateType:
		return map[string]any{"type": "string", "format": "date"}
	case t == tTimeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == bytesType:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			cp := map[string]any{}
			for k, v := range inner {
				cp[k] = v
			}
			cp["type"] = []string{typ, "null"}
			return cp
		}
		return map[string]any{"oneOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.Struct:
		if t.Name() == "" || strings.Contains(t.Name(), "[") {
			return g.object(t) // anonymous and generic wrappers are inlined
		}
		return g.ref(t)
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// object is the schema of a struct by its JSON encoding: fields by their
// json names (embedded structs flattened, "-" left out). No field is
// listed as required: the same types serve requests, where the store
// supplies defaults, and partial updates.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(f.Type)
		}
	}
	walk(t)
	return map[string]any{"type": "object", "properties": props}
}

// init adds the documentation the money and Stripe handlers keep beside
// their routes.
func init() {
	for _, docs := range []map[string]web.ApiDoc{pms.MoneyAPIDocs, pms.StripeAPIFolioDocs, pms.StripeAPIDocs, pms.ReportAPIDocs, pms.DailyAPIDocs, pms.ReportSettingsAPIDocs, pms.StatementAPIDocs, pms.OwnerAPIDocs} {
		for k, v := range docs {
			apiDocs[k] = v
		}
	}
}
