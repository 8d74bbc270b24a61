package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
	"github.com/julienschmidt/httprouter"
)

// Access says who may call a route.
type Access int

const (
	// Public routes need no credentials (sign-in, accepting an invitation).
	Public Access = iota
	// Session routes need a tenant user's session cookie, or a staff
	// member's impersonation of this very tenant.
	Session
	// Token routes are the JSON API: Authorization: Bearer only; cookies are ignored.
	Token
	// Staff routes need a platform staff session (/platform/ only).
	Staff
)

func (a Access) String() string {
	return [...]string{"public", "session", "token", "staff"}[a]
}

// Route is one row of the route table. Method and Path (httprouter syntax)
// place it in the tenant tree (paths starting /:tenant/) or the platform
// tree (/platform/…); Access and Perm say who may call it.
type Route struct {
	Method string
	Path   string
	Access Access
	// Perm is the permission the caller needs (for a token, also its
	// scope); empty means any authenticated caller.
	Perm identity.Permission
	// AllowUnenrolled lets a user reach the route before they set up a
	// second factor the tenant requires (their account page, signing out).
	AllowUnenrolled bool
	// Isolation is what the isolation test needs to call this route for
	// another tenant: example values of its path parameters. Every tenant
	// route must have one; the test fails for a route without.
	Isolation *Isolation
	// Page names the template the route renders, checked at start-up.
	Page string
	// MaxBody is the largest request body the route reads, in bytes
	// (maxFormBytes when 0). Only uploads (ID photos) raise it.
	MaxBody int64

	handle handler
}

// Isolation holds example path parameters (other than :tenant) for the
// isolation test.
type Isolation struct {
	Params map[string]string
}

// iso returns an Isolation from parameter name/value pairs.
func iso(kv ...string) *Isolation {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &Isolation{Params: m}
}

// maxBody is the route's body limit.
func (rt Route) maxBody() int64 {
	if rt.MaxBody > 0 {
		return rt.MaxBody
	}
	return maxFormBytes
}

// InTenantTree reports whether the route lives under /{tenant}/.
func (rt Route) InTenantTree() bool { return strings.HasPrefix(rt.Path, "/:tenant/") }

// API reports whether the route is part of the JSON API.
func (rt Route) API() bool { return strings.HasPrefix(rt.Path, "/:tenant/api/") }

// ExamplePath returns the route's path for tenant slug with its Isolation
// example parameters filled in, or an error naming a parameter without an
// example.
func (rt Route) ExamplePath(slug string) (string, error) {
	if rt.Isolation == nil {
		return "", fmt.Errorf("route %s %s has no Isolation entry", rt.Method, rt.Path)
	}
	parts := strings.Split(rt.Path, "/")
	for i, p := range parts {
		switch {
		case p == ":tenant":
			parts[i] = slug
		case strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*"):
			v, ok := rt.Isolation.Params[p[1:]]
			if !ok {
				return "", fmt.Errorf("route %s %s: Isolation has no example for %s", rt.Method, rt.Path, p)
			}
			parts[i] = url.PathEscape(v)
		}
	}
	return strings.Join(parts, "/"), nil
}

// handler is the shape of every route handler: it returns an error for
// the one error renderer instead of writing one itself.
type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// call is what a handler knows about its request after authentication.
type call struct {
	route  *Route
	params httprouter.Params

	tenant platform.Tenant
	db     *tenant.DB

	user    identity.User      // the signed-in user, or the API token's user
	session identity.Session   // the user's session (Session routes)
	token   *identity.APIToken // the API token (Token routes)

	imp          *platform.Impersonation // set while staff impersonate this tenant
	staff        platform.Staff          // the staff member (Staff routes, or impersonating)
	staffSession platform.StaffSession
}

// can reports whether the caller may do p. Staff impersonating a tenant
// act with an owner's permissions; a token with the intersection of its
// scopes and its user's role.
func (c *call) can(p identity.Permission) bool {
	switch {
	case c.imp != nil:
		return identity.RoleCan(identity.RoleOwner, p)
	case c.token != nil:
		return c.token.Can(c.user, p)
	default:
		return c.user.Can(p)
	}
}

// actor is who the audit log records for this call.
func (c *call) actor() aura.Actor {
	switch {
	case c.imp != nil:
		return aura.Actor{Kind: aura.ActorStaff, ID: c.staff.ID, Impersonation: c.imp.ID}
	case c.token != nil:
		return aura.Actor{Kind: aura.ActorToken, ID: c.token.ID, Name: c.user.ID}
	case c.user.ID != "":
		return c.user.Actor()
	case c.staff.ID != "":
		return c.staff.Actor()
	}
	return aura.Actor{Kind: aura.ActorUser, ID: "anonymous"}
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

// routeTable is every route of both trees. Adding a page or an API call is
// one row here (plus its handler): the routers, the permission check and
// the isolation test all read this table.
func (s *Server) routeTable() []Route {
	user, tok, sess := iso("id", "usr_aaaaaaaaaaaaaaaa"), iso("id", "tok_aaaaaaaaaaaaaaaa"), iso("id", "ses_aaaaaaaaaaaaaaaa")
	none := iso()
	// Example ids of the PMS (issue 4).
	prp, rmt, rom, blk := iso("id", "prp_aaaaaaaaaaaaaaaa"), iso("id", "rmt_aaaaaaaaaaaaaaaa"), iso("id", "rom_aaaaaaaaaaaaaaaa"), iso("id", "blk_aaaaaaaaaaaaaaaa")
	rpl, bkg, res, gst := iso("id", "rpl_aaaaaaaaaaaaaaaa"), iso("id", "bkg_aaaaaaaaaaaaaaaa"), iso("id", "res_aaaaaaaaaaaaaaaa"), iso("id", "gst_aaaaaaaaaaaaaaaa")
	// Example ids of the front desk (issue 6).
	cki, idp := iso("id", "cki_aaaaaaaaaaaaaaaa"), iso("id", "idp_aaaaaaaaaaaaaaaa")
	return append([]Route{
		// Tenant pages.
		{Method: "GET", Path: "/:tenant/login", Access: Public, Isolation: none, Page: "login", handle: s.loginPage},
		{Method: "POST", Path: "/:tenant/login", Access: Public, Isolation: none, Page: "login", handle: s.loginSubmit},
		{Method: "POST", Path: "/:tenant/login/code", Access: Public, Isolation: none, Page: "login", handle: s.loginCodeSubmit},
		{Method: "POST", Path: "/:tenant/logout", Access: Session, AllowUnenrolled: true, Isolation: none, handle: s.logout},
		{Method: "POST", Path: "/:tenant/logout/everywhere", Access: Session, AllowUnenrolled: true, Isolation: none, handle: s.logoutEverywhere},
		{Method: "GET", Path: "/:tenant/", Access: Session, Isolation: none, Page: "dashboard", handle: s.dashboard},
		{Method: "GET", Path: "/:tenant/invite/:token", Access: Public, Isolation: iso("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Page: "invite", handle: s.invitePage},
		{Method: "POST", Path: "/:tenant/invite/:token", Access: Public, Isolation: iso("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Page: "invite", handle: s.inviteSubmit},
		{Method: "GET", Path: "/:tenant/users", Access: Session, Perm: identity.PermUsersRead, Isolation: none, Page: "users", handle: s.usersPage},
		{Method: "POST", Path: "/:tenant/users", Access: Session, Perm: identity.PermUsersWrite, Isolation: none, Page: "users", handle: s.usersInvite},
		{Method: "POST", Path: "/:tenant/users/:id/role", Access: Session, Perm: identity.PermUsersWrite, Isolation: user, handle: s.userRole},
		{Method: "POST", Path: "/:tenant/users/:id/disable", Access: Session, Perm: identity.PermUsersWrite, Isolation: user, handle: s.userAction("disable")},
		{Method: "POST", Path: "/:tenant/users/:id/enable", Access: Session, Perm: identity.PermUsersWrite, Isolation: user, handle: s.userAction("enable")},
		{Method: "POST", Path: "/:tenant/users/:id/remove", Access: Session, Perm: identity.PermUsersWrite, Isolation: user, handle: s.userAction("remove")},
		{Method: "POST", Path: "/:tenant/users/:id/reinvite", Access: Session, Perm: identity.PermUsersWrite, Isolation: user, Page: "users", handle: s.userReinvite},
		{Method: "POST", Path: "/:tenant/settings/security", Access: Session, Perm: identity.PermSecurityWrite, Isolation: none, handle: s.securitySettings},
		{Method: "GET", Path: "/:tenant/sessions", Access: Session, Isolation: none, Page: "sessions", handle: s.sessionsPage},
		{Method: "POST", Path: "/:tenant/sessions/:id/revoke", Access: Session, Isolation: sess, handle: s.sessionRevoke},
		{Method: "GET", Path: "/:tenant/tokens", Access: Session, Perm: identity.PermTokensRead, Isolation: none, Page: "tokens", handle: s.tokensPage},
		{Method: "POST", Path: "/:tenant/tokens", Access: Session, Perm: identity.PermTokensWrite, Isolation: none, Page: "tokens", handle: s.tokenCreate},
		{Method: "POST", Path: "/:tenant/tokens/:id/revoke", Access: Session, Perm: identity.PermTokensWrite, Isolation: tok, handle: s.tokenRevoke},
		{Method: "GET", Path: "/:tenant/account", Access: Session, AllowUnenrolled: true, Isolation: none, Page: "account", handle: s.accountPage},
		{Method: "POST", Path: "/:tenant/account/password", Access: Session, AllowUnenrolled: true, Isolation: none, Page: "account", handle: s.accountPassword},
		{Method: "POST", Path: "/:tenant/account/2fa/start", Access: Session, AllowUnenrolled: true, Isolation: none, Page: "account", handle: s.twoFactorStart},
		{Method: "POST", Path: "/:tenant/account/2fa/confirm", Access: Session, AllowUnenrolled: true, Isolation: none, Page: "account", handle: s.twoFactorConfirm},
		{Method: "POST", Path: "/:tenant/account/2fa/disable", Access: Session, AllowUnenrolled: true, Isolation: none, Page: "account", handle: s.twoFactorDisable},
		{Method: "GET", Path: "/:tenant/audit", Access: Session, Perm: identity.PermAuditRead, Isolation: none, Page: "audit", handle: s.auditPage},
		// The export writes an audit row, so it is a POST; a GET (an old
		// bookmark) shows the page with the same filter and writes nothing.
		{Method: "GET", Path: "/:tenant/audit/export", Access: Session, Perm: identity.PermAuditRead, Isolation: none, Page: "audit", handle: s.auditPage},
		{Method: "POST", Path: "/:tenant/audit/export", Access: Session, Perm: identity.PermAuditRead, Isolation: none, handle: s.auditExport},
		{Method: "POST", Path: "/:tenant/impersonation/end", Access: Session, AllowUnenrolled: true, Isolation: none, handle: s.impersonationEndHere},

		// The PMS pages (issue 4): calendar, tape chart, reservations, guests, rates, property and rooms settings.
		{Method: "GET", Path: "/:tenant/calendar", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "calendar", handle: s.calendarPage},
		{Method: "GET", Path: "/:tenant/tapechart", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "tapechart", handle: s.tapeChartPage},
		{Method: "GET", Path: "/:tenant/reservations", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "reservations", handle: s.reservationsPage},
		{Method: "GET", Path: "/:tenant/reservations/new", Access: Session, Perm: identity.PermReservationsWrite, Isolation: none, Page: "reservation_new", handle: s.newReservationPage},
		{Method: "POST", Path: "/:tenant/reservations", Access: Session, Perm: identity.PermReservationsWrite, Isolation: none, Page: "reservation_new", handle: s.reservationCreate},
		{Method: "GET", Path: "/:tenant/reservations/:id", Access: Session, Perm: identity.PermReservationsRead, Isolation: res, Page: "reservation", handle: s.reservationPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/confirm", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("confirm")},
		{Method: "POST", Path: "/:tenant/reservations/:id/cancel", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("cancel")},
		{Method: "POST", Path: "/:tenant/reservations/:id/no-show", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("no-show")},
		{Method: "POST", Path: "/:tenant/reservations/:id/assign", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("assign")},
		{Method: "POST", Path: "/:tenant/reservations/:id/unassign", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("unassign")},
		{Method: "POST", Path: "/:tenant/reservations/:id/stay", Access: Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("stay")},
		{Method: "POST", Path: "/:tenant/bookings/:id", Access: Session, Perm: identity.PermReservationsWrite, Isolation: bkg, Page: "reservation", handle: s.bookingSave},
		{Method: "GET", Path: "/:tenant/guests", Access: Session, Perm: identity.PermGuestsRead, Isolation: none, Page: "guests", handle: s.guestsPage},
		{Method: "POST", Path: "/:tenant/guests", Access: Session, Perm: identity.PermGuestsWrite, Isolation: none, Page: "guests", handle: s.guestCreate},
		{Method: "GET", Path: "/:tenant/guests/:id", Access: Session, Perm: identity.PermGuestsRead, Isolation: gst, Page: "guest", handle: s.guestPage},
		{Method: "POST", Path: "/:tenant/guests/:id", Access: Session, Perm: identity.PermGuestsWrite, Isolation: gst, Page: "guest", handle: s.guestSave},
		{Method: "GET", Path: "/:tenant/rates", Access: Session, Perm: identity.PermRatesRead, Isolation: none, Page: "rates", handle: s.ratesPage},
		{Method: "POST", Path: "/:tenant/rates", Access: Session, Perm: identity.PermRatesWrite, Isolation: none, Page: "rates", handle: s.ratesUpdate},
		{Method: "GET", Path: "/:tenant/rates/plans", Access: Session, Perm: identity.PermRatesRead, Isolation: none, Page: "rate_plans", handle: s.ratePlansPage},
		{Method: "POST", Path: "/:tenant/rates/plans", Access: Session, Perm: identity.PermRatesWrite, Isolation: none, Page: "rate_plans", handle: s.ratePlanCreate},
		{Method: "GET", Path: "/:tenant/rates/plans/:id", Access: Session, Perm: identity.PermRatesRead, Isolation: rpl, Page: "rate_plan", handle: s.ratePlanPage},
		{Method: "POST", Path: "/:tenant/rates/plans/:id", Access: Session, Perm: identity.PermRatesWrite, Isolation: rpl, Page: "rate_plan", handle: s.ratePlanSave},
		{Method: "GET", Path: "/:tenant/settings/property", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", handle: s.propertyPage},
		{Method: "POST", Path: "/:tenant/settings/property", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", handle: s.propertySave},
		{Method: "POST", Path: "/:tenant/settings/properties", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", handle: s.propertyCreate},
		{Method: "GET", Path: "/:tenant/settings/rooms", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", handle: s.roomsPage},
		{Method: "POST", Path: "/:tenant/settings/rooms", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", handle: s.roomCreate},
		{Method: "GET", Path: "/:tenant/settings/rooms/:id", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: rom, Page: "room_edit", handle: s.roomEditPage},
		{Method: "POST", Path: "/:tenant/settings/rooms/:id", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: rom, Page: "room_edit", handle: s.roomSave},
		{Method: "POST", Path: "/:tenant/settings/room-types", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", handle: s.roomTypeCreate},
		{Method: "GET", Path: "/:tenant/settings/room-types/:id", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: rmt, Page: "room_edit", handle: s.roomTypeEditPage},
		{Method: "POST", Path: "/:tenant/settings/room-types/:id", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: rmt, Page: "room_edit", handle: s.roomTypeSave},
		{Method: "POST", Path: "/:tenant/settings/room-blocks", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", handle: s.roomBlockCreate},
		{Method: "POST", Path: "/:tenant/settings/room-blocks/:id/delete", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: blk, handle: s.roomBlockDelete},

		// The front desk day (issue 6): arrivals, in house and departures, check-in with ID documents, check-out,
		// stay changes of a guest in house, the housekeeping board and the night audit.
		{Method: "GET", Path: "/:tenant/frontdesk", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "frontdesk", handle: s.frontDeskPage},
		{Method: "GET", Path: "/:tenant/search", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "search", handle: s.searchPage},
		{Method: "GET", Path: "/:tenant/frontdesk/print", Access: Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "fdprint", handle: s.frontDeskPrint},
		{Method: "GET", Path: "/:tenant/reservations/:id/registration-card", Access: Session, Perm: identity.PermGuestsRead, Isolation: res, Page: "regcard", handle: s.registrationCard},
		{Method: "GET", Path: "/:tenant/reservations/:id/check-in", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkin", handle: s.checkInPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/check-in", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkin", MaxBody: maxCheckInBytes, handle: s.checkInSubmit},
		{Method: "GET", Path: "/:tenant/reservations/:id/check-out", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkout", handle: s.checkOutPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/check-out", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkout", handle: s.checkOutSubmit},
		{Method: "POST", Path: "/:tenant/reservations/:id/extend", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("extend")},
		{Method: "POST", Path: "/:tenant/reservations/:id/depart-early", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "reservation", handle: s.reservationAction("depart-early")},
		{Method: "POST", Path: "/:tenant/check-ins/:id/photos", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: cki, MaxBody: maxCheckInBytes, handle: s.idPhotoAdd},
		{Method: "GET", Path: "/:tenant/id-photos/:id", Access: Session, Perm: identity.PermIDDocumentsRead, Isolation: idp, handle: s.idPhoto},
		{Method: "POST", Path: "/:tenant/id-photos/:id/delete", Access: Session, Perm: identity.PermFrontDeskWrite, Isolation: idp, handle: s.idPhotoDelete},
		{Method: "GET", Path: "/:tenant/housekeeping", Access: Session, Perm: identity.PermHousekeepingRead, Isolation: none, Page: "housekeeping", handle: s.housekeepingPage},
		{Method: "POST", Path: "/:tenant/rooms/:id/housekeeping", Access: Session, Perm: identity.PermHousekeepingWrite, Isolation: rom, Page: "housekeeping", handle: s.housekeepingSet},
		{Method: "GET", Path: "/:tenant/night-audit", Access: Session, Perm: identity.PermNightAuditRun, Isolation: none, Page: "nightaudit", handle: s.nightAuditPage},
		{Method: "POST", Path: "/:tenant/night-audit", Access: Session, Perm: identity.PermNightAuditRun, Isolation: none, Page: "nightaudit", handle: s.nightAuditRun},
		{Method: "POST", Path: "/:tenant/settings/property/purge-id-photos", Access: Session, Perm: identity.PermPropertiesWrite, Isolation: none, handle: s.purgeIDPhotosPage},

		// The JSON API.
		{Method: "GET", Path: "/:tenant/api/v1/whoami", Access: Token, Isolation: none, handle: s.apiWhoami},
		{Method: "GET", Path: "/:tenant/api/v1/users", Access: Token, Perm: identity.PermUsersRead, Isolation: none, handle: s.apiUsers},
		{Method: "POST", Path: "/:tenant/api/v1/users", Access: Token, Perm: identity.PermUsersWrite, Isolation: none, handle: s.apiUserInvite},
		{Method: "PATCH", Path: "/:tenant/api/v1/users/:id", Access: Token, Perm: identity.PermUsersWrite, Isolation: user, handle: s.apiUserUpdate},
		{Method: "DELETE", Path: "/:tenant/api/v1/users/:id", Access: Token, Perm: identity.PermUsersWrite, Isolation: user, handle: s.apiUserRemove},
		{Method: "GET", Path: "/:tenant/api/v1/tokens", Access: Token, Perm: identity.PermTokensRead, Isolation: none, handle: s.apiTokens},
		{Method: "POST", Path: "/:tenant/api/v1/tokens", Access: Token, Perm: identity.PermTokensWrite, Isolation: none, handle: s.apiTokenCreate},
		{Method: "DELETE", Path: "/:tenant/api/v1/tokens/:id", Access: Token, Perm: identity.PermTokensWrite, Isolation: tok, handle: s.apiTokenRevoke},
		{Method: "GET", Path: "/:tenant/api/v1/openapi.json", Access: Token, Isolation: none, handle: s.apiOpenAPI},

		// The PMS API (issue 4), the twin of its pages; documented in openapi.go.
		{Method: "GET", Path: "/:tenant/api/v1/properties", Access: Token, Isolation: none, handle: s.apiProperties},
		{Method: "POST", Path: "/:tenant/api/v1/properties", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: none, handle: apiCreate(inventory.Store.CreateProperty, propertyVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/properties/:id", Access: Token, Isolation: prp, handle: apiGet(inventory.Store.GetProperty, propertyVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/properties/:id", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: prp, handle: s.apiPropertyUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/room-types", Access: Token, Isolation: none, handle: apiPropertyList(inventory.Store.ListRoomTypes)},
		{Method: "POST", Path: "/:tenant/api/v1/room-types", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: none, handle: apiCreate(inventory.Store.CreateRoomType, roomTypeVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/room-types/:id", Access: Token, Isolation: rmt, handle: apiGet(inventory.Store.GetRoomType, roomTypeVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/room-types/:id", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: rmt, handle: s.apiRoomTypeUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/rooms", Access: Token, Isolation: none, handle: s.apiRooms},
		{Method: "POST", Path: "/:tenant/api/v1/rooms", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: none, handle: apiCreate(inventory.Store.CreateRoom, roomVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/rooms/:id", Access: Token, Isolation: rom, handle: apiGet(inventory.Store.GetRoom, roomVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/rooms/:id", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: rom, handle: s.apiRoomUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/room-blocks", Access: Token, Isolation: none, handle: s.apiRoomBlocks},
		{Method: "POST", Path: "/:tenant/api/v1/room-blocks", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: none, handle: s.apiRoomBlockCreate},
		{Method: "DELETE", Path: "/:tenant/api/v1/room-blocks/:id", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: blk, handle: apiDelete(inventory.Store.DeleteRoomBlock)},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans", Access: Token, Perm: identity.PermRatesRead, Isolation: none, handle: apiPropertyList(inventory.Store.ListRatePlans)},
		{Method: "POST", Path: "/:tenant/api/v1/rate-plans", Access: Token, Perm: identity.PermRatesWrite, Isolation: none, handle: apiCreate(inventory.Store.CreateRatePlan, ratePlanVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans/:id", Access: Token, Perm: identity.PermRatesRead, Isolation: rpl, handle: apiGet(inventory.Store.GetRatePlan, ratePlanVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/rate-plans/:id", Access: Token, Perm: identity.PermRatesWrite, Isolation: rpl, handle: s.apiRatePlanUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: Token, Perm: identity.PermRatesRead, Isolation: rpl, handle: s.apiRates},
		{Method: "PUT", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: Token, Perm: identity.PermRatesWrite, Isolation: rpl, handle: s.apiRatesUpdate},
		{Method: "PATCH", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: Token, Perm: identity.PermRatesWrite, Isolation: rpl, handle: s.apiRatesUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/availability", Access: Token, Perm: identity.PermRatesRead, Isolation: none, handle: apiPropertyRange(s, 30, inventory.Store.Availability)},
		{Method: "GET", Path: "/:tenant/api/v1/offers", Access: Token, Perm: identity.PermRatesRead, Isolation: none, handle: s.apiOffers},
		{Method: "GET", Path: "/:tenant/api/v1/tape-chart", Access: Token, Perm: identity.PermReservationsRead, Isolation: none, handle: apiPropertyRange(s, 14, stays.Store.TapeChart)},
		{Method: "POST", Path: "/:tenant/api/v1/bookings", Access: Token, Perm: identity.PermReservationsWrite, Isolation: none, handle: s.apiBookingCreate},
		{Method: "GET", Path: "/:tenant/api/v1/bookings/:id", Access: Token, Perm: identity.PermReservationsRead, Isolation: bkg, handle: s.apiBooking},
		{Method: "PATCH", Path: "/:tenant/api/v1/bookings/:id", Access: Token, Perm: identity.PermReservationsWrite, Isolation: bkg, handle: s.apiBookingUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/reservations", Access: Token, Perm: identity.PermReservationsRead, Isolation: none, handle: s.apiReservations},
		{Method: "GET", Path: "/:tenant/api/v1/reservations/:id", Access: Token, Perm: identity.PermReservationsRead, Isolation: res, handle: apiGet(stays.Store.GetReservation, reservationVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/reservations/:id", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationUpdate},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/confirm", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationAction("confirm")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/cancel", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationAction("cancel")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/no-show", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationAction("no-show")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/assign", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationAction("assign")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/unassign", Access: Token, Perm: identity.PermReservationsWrite, Isolation: res, handle: s.apiReservationAction("unassign")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-in", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: res, MaxBody: maxCheckInJSONBytes, handle: s.apiReservationAction("check-in")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-out", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: res, handle: s.apiReservationAction("check-out")},
		{Method: "GET", Path: "/:tenant/api/v1/guests", Access: Token, Perm: identity.PermGuestsRead, Isolation: none, handle: s.apiGuests},
		{Method: "POST", Path: "/:tenant/api/v1/guests", Access: Token, Perm: identity.PermGuestsWrite, Isolation: none, handle: apiCreate(stays.Store.CreateGuest, guestVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id", Access: Token, Perm: identity.PermGuestsRead, Isolation: gst, handle: apiGet(stays.Store.GetGuest, guestVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/guests/:id", Access: Token, Perm: identity.PermGuestsWrite, Isolation: gst, handle: s.apiGuestUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/reservations", Access: Token, Perm: identity.PermGuestsRead, Isolation: gst, handle: s.apiGuestReservations},

		// The front desk API (issue 6).
		{Method: "GET", Path: "/:tenant/api/v1/front-desk", Access: Token, Perm: identity.PermReservationsRead, Isolation: none, handle: s.apiFrontDesk},
		{Method: "GET", Path: "/:tenant/api/v1/reservations/:id/check-ins", Access: Token, Perm: identity.PermIDDocumentsRead, Isolation: res, handle: apiDataOf(stays.Store.ReservationCheckIns)},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-ins", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: res, MaxBody: maxCheckInJSONBytes, handle: s.apiRecordCheckIn},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/check-ins", Access: Token, Perm: identity.PermIDDocumentsRead, Isolation: gst, handle: apiDataOf(stays.Store.GuestCheckIns)},
		{Method: "PATCH", Path: "/:tenant/api/v1/check-ins/:id", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: cki, handle: s.apiCheckInUpdate},
		{Method: "POST", Path: "/:tenant/api/v1/check-ins/:id/photos", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: cki, MaxBody: stays.MaxIDPhotoSize, handle: s.apiIDPhotoAdd},
		{Method: "GET", Path: "/:tenant/api/v1/id-photos/:id", Access: Token, Perm: identity.PermIDDocumentsRead, Isolation: idp, handle: s.idPhoto},
		{Method: "DELETE", Path: "/:tenant/api/v1/id-photos/:id", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: idp, handle: apiDelete(stays.Store.DeleteIDPhoto)},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/extend", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: res, handle: s.apiReservationAction("extend")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/depart-early", Access: Token, Perm: identity.PermFrontDeskWrite, Isolation: res, handle: s.apiReservationAction("depart-early")},
		{Method: "GET", Path: "/:tenant/api/v1/housekeeping", Access: Token, Perm: identity.PermHousekeepingRead, Isolation: none, handle: s.apiHousekeepingBoard},
		{Method: "PUT", Path: "/:tenant/api/v1/rooms/:id/housekeeping", Access: Token, Perm: identity.PermHousekeepingWrite, Isolation: rom, handle: s.apiHousekeepingSet},
		{Method: "POST", Path: "/:tenant/api/v1/rooms/:id/housekeeping", Access: Token, Perm: identity.PermHousekeepingWrite, Isolation: rom, handle: s.apiHousekeepingSet},
		{Method: "GET", Path: "/:tenant/api/v1/night-audit", Access: Token, Perm: identity.PermNightAuditRun, Isolation: none, handle: s.apiNightAuditState},
		{Method: "POST", Path: "/:tenant/api/v1/night-audit/run", Access: Token, Perm: identity.PermNightAuditRun, Isolation: none, handle: s.apiNightAuditRun},
		{Method: "POST", Path: "/:tenant/api/v1/id-photos/purge", Access: Token, Perm: identity.PermPropertiesWrite, Isolation: none, handle: s.apiPurgeIDPhotos},

		// The platform staff area.
		{Method: "GET", Path: "/platform/", Access: Staff, handle: s.platformHome},
		{Method: "GET", Path: "/platform/login", Access: Public, Page: "platform_login", handle: s.staffLoginPage},
		{Method: "POST", Path: "/platform/login", Access: Public, Page: "platform_login", handle: s.staffLoginSubmit},
		{Method: "POST", Path: "/platform/logout", Access: Staff, handle: s.staffLogout},
		{Method: "GET", Path: "/platform/tenants", Access: Staff, Page: "platform_tenants", handle: s.tenantsPage},
		{Method: "POST", Path: "/platform/tenants", Access: Staff, Page: "platform_tenants", handle: s.tenantCreate},
		{Method: "POST", Path: "/platform/tenants/:slug/suspend", Access: Staff, Isolation: iso("slug", "acme"), handle: s.tenantStatus(platform.StatusSuspended)},
		{Method: "POST", Path: "/platform/tenants/:slug/resume", Access: Staff, Isolation: iso("slug", "acme"), handle: s.tenantStatus(platform.StatusActive)},
		{Method: "GET", Path: "/platform/tenants/:slug/impersonate", Access: Staff, Isolation: iso("slug", "acme"), Page: "platform_impersonate", handle: s.impersonatePage},
		{Method: "POST", Path: "/platform/tenants/:slug/impersonate", Access: Staff, Isolation: iso("slug", "acme"), Page: "platform_impersonate", handle: s.impersonateStart},
		{Method: "POST", Path: "/platform/impersonations/:id/end", Access: Staff, Isolation: iso("id", "imp_aaaaaaaaaaaaaaaa"), handle: s.impersonationEnd},
		{Method: "GET", Path: "/platform/audit", Access: Staff, Page: "platform_audit", handle: s.platformAuditPage},
		{Method: "GET", Path: "/platform/healthz", Access: Staff, handle: s.platformHealth},
		{Method: "GET", Path: "/platform/backups", Access: Staff, Page: "platform_backups", handle: s.backupsPage},
		{Method: "POST", Path: "/platform/tenants/:slug/drill", Access: Staff, Isolation: iso("slug", "acme"), handle: s.drillNow},
		{Method: "POST", Path: "/platform/tenants/:slug/region", Access: Staff, Isolation: iso("slug", "acme"), handle: s.setRegion},
		{Method: "GET", Path: "/platform/tenants/:slug/restore", Access: Staff, Isolation: iso("slug", "acme"), Page: "platform_restore", handle: s.restorePage},
		{Method: "POST", Path: "/platform/tenants/:slug/restore", Access: Staff, Isolation: iso("slug", "acme"), Page: "platform_restore", handle: s.restorePlan},
		{Method: "POST", Path: "/platform/tenants/:slug/restore/apply", Access: Staff, Isolation: iso("slug", "acme"), Page: "platform_restore", handle: s.restoreApply},
	}, append(s.moneyRoutes(), s.stripeRoutes()...)...) // money: folio_api.go, Stripe: stripe_routes.go
}

// buildRouters puts every route into its tree and checks the table: each
// route is in exactly one tree, tenant routes have an Isolation entry, and
// every page it names exists.
func (s *Server) buildRouters() (err error) {
	s.tenants, s.platform = httprouter.New(), httprouter.New()
	for _, r := range []*httprouter.Router{s.tenants, s.platform} {
		r.RedirectFixedPath = false
		r.HandleMethodNotAllowed = true
		r.NotFound = http.HandlerFunc(s.notFound)
		r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.renderError(w, r, isAPIPath(r.URL.Path), aura.Errorf(aura.EINVALID, "%s is not allowed here.", r.Method))
		})
	}
	defer func() {
		// httprouter panics on conflicting paths; report it as an error.
		if v := recover(); v != nil {
			err = fmt.Errorf("server: route table: %v", v)
		}
	}()
	served, shadowed := s.shadowRoutes()
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.Page != "" && !s.pages.has(rt.Page) {
			return fmt.Errorf("server: route %s %s renders page %q, which has no template", rt.Method, rt.Path, rt.Page)
		}
		var h httprouter.Handle
		switch {
		case rt.InTenantTree():
			if rt.Isolation == nil {
				return fmt.Errorf("server: tenant route %s %s has no Isolation entry", rt.Method, rt.Path)
			}
			h = s.tenantHandle(rt)
		case strings.HasPrefix(rt.Path, "/platform/"):
			h = s.platformHandle(rt)
		default:
			return fmt.Errorf("server: route %s %s is in neither tree", rt.Method, rt.Path)
		}
		if shadowed[rt] {
			continue // served through its parameter route, below
		}
		if sh := served[rt]; len(sh) > 0 {
			h = withShadows(h, sh, s)
		}
		h = named(rt.Path, h)
		if rt.InTenantTree() {
			s.tenants.Handle(rt.Method, rt.Path, h)
		} else {
			s.platform.Handle(rt.Method, rt.Path, h)
		}
	}
	return nil
}

// named records the route pattern that serves the request, for metrics.
func named(pattern string, h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		state(r).route = pattern
		h(w, r, ps)
	}
}

// shadow is a route with a literal path segment where a route of the same
// method has a parameter (GET /:tenant/reservations/new beside GET
// /:tenant/reservations/:id). httprouter cannot hold both, so the literal
// route is served from the parameter route's node when the parameter
// equals the literal; each keeps its own row (permission, page, handler,
// isolation entry).
type shadow struct {
	param, value string
	route        *Route
}

// shadowRoutes returns, for each parameter route, the literal routes it
// serves, and the set of literal routes served that way.
func (s *Server) shadowRoutes() (map[*Route][]shadow, map[*Route]bool) {
	served, shadowed := map[*Route][]shadow{}, map[*Route]bool{}
	for i := range s.routes {
		lit := &s.routes[i]
		for j := range s.routes {
			par := &s.routes[j]
			if i == j || lit.Method != par.Method || lit.InTenantTree() != par.InTenantTree() {
				continue
			}
			if name, value, ok := literalFor(lit.Path, par.Path); ok {
				served[par] = append(served[par], shadow{param: name, value: value, route: lit})
				shadowed[lit] = true
			}
		}
	}
	return served, shadowed
}

// literalFor reports whether path lit equals path par except for one
// segment that is a literal in lit and a parameter in par, and returns the
// parameter's name and the literal.
func literalFor(lit, par string) (name, value string, ok bool) {
	a, b := strings.Split(lit, "/"), strings.Split(par, "/")
	if len(a) != len(b) {
		return "", "", false
	}
	for i := range a {
		switch {
		case a[i] == b[i]:
		case !ok && strings.HasPrefix(b[i], ":") && b[i] != ":tenant" && !strings.HasPrefix(a[i], ":") && !strings.HasPrefix(a[i], "*"):
			name, value, ok = b[i][1:], a[i], true
		default:
			return "", "", false
		}
	}
	return name, value, ok
}

// withShadows serves the literal routes sh from a parameter route's handle h.
func withShadows(h httprouter.Handle, sh []shadow, s *Server) httprouter.Handle {
	handles := make([]httprouter.Handle, len(sh))
	for i, x := range sh {
		if x.route.InTenantTree() {
			handles[i] = named(x.route.Path, s.tenantHandle(x.route))
		} else {
			handles[i] = named(x.route.Path, s.platformHandle(x.route))
		}
	}
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		for i, x := range sh {
			if ps.ByName(x.param) == x.value {
				handles[i](w, r, ps)
				return
			}
		}
		h(w, r, ps)
	}
}

// notFoundPage answers an unknown page of a tenant for a signed-in user:
// the 404 inside the tenant's top bar and menu.
var notFoundPage = &Route{Method: "GET", Access: Session, handle: func(http.ResponseWriter, *http.Request, *call) error { return errNotFound }}

// notFound answers a path no route matches. Under a tenant, with that
// tenant's session cookie, it goes through the tenant's checks like any
// page (so the 404 keeps the menu, and a foreign cookie still gets the
// unknown tenant's answer); otherwise it is the bare 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	slug, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, err := r.Cookie(cookieSession); err == nil && !isAPIPath(r.URL.Path) && slug != "" && slug != "platform" {
		s.tenantHandle(notFoundPage)(w, r, httprouter.Params{{Key: "tenant", Value: slug}})
		return
	}
	s.renderError(w, r, isAPIPath(r.URL.Path), errNotFound)
}

// errNotFound is the one answer for an unknown tenant, a tenant named by
// another tenant's credentials, and an unknown page: they must look alike.
var errNotFound = aura.Errorf(aura.ENOTFOUND, "There is nothing at this address.")

// errSignIn asks a browser to sign in.
var errSignIn = aura.Errorf(aura.EUNAUTHORIZED, "Sign in to continue.")

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// foreign reports whether the request carries a credential that names
// another tenant than t (or a staff session without an impersonation of t).
// It only decodes cookies and parses tokens: it opens nothing.
func (s *Server) foreign(r *http.Request, t platform.Tenant, tok *credential.Token) bool {
	var sc sessionCookie
	if s.readCookie(r, cookieSession, &sc) && sc.T != t.ID {
		return true
	}
	var lc loginCookie
	if s.readCookie(r, cookieLogin, &lc) && lc.T != t.ID {
		return true
	}
	var ic impCookie
	hasImp := s.readCookie(r, cookieImp, &ic)
	if hasImp && ic.T != t.ID {
		return true
	}
	var stc staffCookie
	if s.readCookie(r, cookieStaff, &stc) && !hasImp {
		return true
	}
	return tok != nil && tok.TenantTag != credential.TenantTag(t.ID)
}

// tenantHandle wraps a tenant route: resolve the slug in the registry,
// refuse credentials of another tenant as if the tenant did not exist
// (before the tenant's file is opened), open the file, authenticate,
// enforce a required second factor and the route's permission, then run the
// handler with the caller as the context's actor.
func (s *Server) tenantHandle(rt *Route) httprouter.Handle {
	api := rt.API()
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody())
		fail := func(err error) { s.renderError(w, r, api, err) }
		slug := ps.ByName("tenant")
		st := state(r)
		st.tenant = slug
		ctx := r.Context()
		// An API token is checked for shape and checksum first: a typo is
		// refused before anything is looked up.
		var tok *credential.Token
		if text, ok := bearer(r); ok {
			t, err := credential.ParseToken(text)
			if err != nil && api {
				fail(err)
				return
			}
			if err == nil {
				tok = &t
			}
		}
		if platform.ValidateSlug(slug) != nil {
			fail(errNotFound)
			return
		}
		t, err := s.cfg.Platform.TenantBySlug(ctx, slug)
		if aura.ErrorCode(err) == aura.ENOTFOUND {
			fail(errNotFound)
			return
		} else if err != nil {
			fail(err)
			return
		}
		if s.foreign(r, t, tok) {
			fail(errNotFound)
			return
		}
		if t.Status != platform.StatusActive {
			fail(aura.Errorf(aura.EUNAVAILABLE, "This account is suspended. Contact your Aura provider."))
			return
		}
		db, err := s.cfg.Router.Acquire(ctx, slug)
		if err != nil {
			fail(err)
			return
		}
		defer db.Release()
		c := &call{route: rt, params: ps, tenant: t, db: db}
		switch rt.Access {
		case Session:
			if err := s.authSession(w, r, c); err != nil {
				if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
					s.toSignIn(w, r, c, err)
					return
				}
				fail(err)
				return
			}
		case Token:
			if tok == nil {
				fail(aura.Errorf(aura.EUNAUTHORIZED, "This API needs an API token: send the header Authorization: Bearer aura_…"))
				return
			}
			at, u, err := identity.New(db).TokenByText(ctx, tok.Text)
			if err != nil {
				fail(err)
				return
			}
			c.token, c.user = &at, u
		}
		if rt.Access == Session && c.imp == nil && !rt.AllowUnenrolled && !c.user.TOTPEnabled {
			required, err := identity.New(db).Require2FA(ctx)
			if err != nil {
				fail(err)
				return
			}
			if required {
				s.setFlash(w, "error", "This account requires two-factor authentication. Set it up below to continue.")
				http.Redirect(w, r, tenantPath(slug)+"account", http.StatusSeeOther)
				return
			}
		}
		if rt.Access == Session {
			// Signed in: errors from here on keep the top bar and menu.
			fail = func(err error) { s.renderErrorIn(w, r, false, s.tenantPage(w, r, c, "", ""), err) }
		}
		if rt.Perm != "" {
			if err := c.needPermission(rt.Perm); err != nil {
				fail(err)
				return
			}
		}
		r = r.WithContext(aura.WithActor(ctx, c.actor()))
		if err := rt.handle(w, r, c); err != nil {
			fail(err)
		}
	}
}

// authSession authenticates a Session route: an impersonation of this
// tenant first, else the user's session cookie. A session whose user's
// privileges changed since it began gets a new id (and cookie) now.
func (s *Server) authSession(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	path := tenantPath(c.tenant.Slug)
	var ic impCookie
	if s.readCookie(r, cookieImp, &ic) {
		imp, staff, err := s.cfg.Platform.ImpersonationBySecret(ctx, ic.I, ic.S, s.cfg.StaffSessions)
		if err == nil && imp.TenantID == c.tenant.ID {
			c.imp, c.staff = &imp, staff
			return nil
		}
		s.clearCookie(w, cookieImp, path)
		if aura.ErrorCode(err) == aura.EUNAUTHORIZED {
			s.SweepImpersonations(context.WithoutCancel(ctx))
			return errImpersonationOver
		}
		return err
	}
	var sc sessionCookie
	if !s.readCookie(r, cookieSession, &sc) {
		return errSignIn
	}
	se, u, err := identity.New(c.db).SessionBySecret(ctx, sc.S, s.cfg.Sessions)
	if err != nil {
		s.clearCookie(w, cookieSession, path)
		return err
	}
	if se.PrivilegeVersion != u.PrivilegeVersion {
		fresh, secret, err := identity.New(c.db).RotateSession(aura.WithActor(ctx, u.Actor()), se.ID)
		if err != nil {
			return err
		}
		if err := s.setCookie(w, cookieSession, path, sessionCookie{T: c.tenant.ID, S: secret}, 0); err != nil {
			return err
		}
		se = fresh
	}
	c.user, c.session = u, se
	return nil
}

var errImpersonationOver = aura.Errorf(aura.EUNAUTHORIZED, "Your impersonation has ended (its time ran out or your staff session ended).")

// toSignIn answers an unauthenticated browser: back to the platform for an
// impersonation that ended, else to the tenant's sign-in page, remembering
// where they were going.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, c *call, err error) {
	if errors.Is(err, errImpersonationOver) {
		s.setFlash(w, "error", aura.ErrorMessage(err))
		http.Redirect(w, r, "/platform/tenants", http.StatusSeeOther)
		return
	}
	target := tenantPath(c.tenant.Slug) + "login"
	if r.Method == http.MethodGet && r.URL.Path != tenantPath(c.tenant.Slug) {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if err != errSignIn {
		s.setFlash(w, "error", aura.ErrorMessage(err))
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// platformHandle wraps a platform route: Staff routes need a valid staff
// session (its cookie is scoped to /platform/; tenant credentials are never
// looked at here).
func (s *Server) platformHandle(rt *Route) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody())
		c := &call{route: rt, params: ps}
		ctx := r.Context()
		if rt.Access == Staff {
			var sc staffCookie
			if !s.readCookie(r, cookieStaff, &sc) {
				http.Redirect(w, r, "/platform/login", http.StatusSeeOther)
				return
			}
			se, st, err := s.cfg.Platform.StaffSessionBySecret(ctx, sc.S, s.cfg.StaffSessions)
			if err != nil {
				s.clearCookie(w, cookieStaff, "/platform/")
				if aura.ErrorCode(err) != aura.EUNAUTHORIZED {
					s.renderError(w, r, false, err)
					return
				}
				s.setFlash(w, "error", aura.ErrorMessage(err))
				http.Redirect(w, r, "/platform/login", http.StatusSeeOther)
				return
			}
			c.staff, c.staffSession = st, se
			r = r.WithContext(aura.WithActor(ctx, st.Actor()))
		}
		if err := rt.handle(w, r, c); err != nil {
			s.renderError(w, r, false, err)
		}
	}
}

// safeNext returns next when it is a path within the tenant, else the
// tenant's dashboard: a sign-in link cannot redirect elsewhere.
func safeNext(slug, next string) string {
	home := tenantPath(slug)
	if strings.HasPrefix(next, home) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return home
}
