// Package server is Aura's HTTP layer as the rest of the program sees it:
// New builds a server from a Config, and routes.go holds the ONE route
// table of both trees (tenant and platform) — every page and API call with
// its access, permission and isolation example — from which the routers,
// the permission checks, the OpenAPI document (openapi.go) and the
// isolation test are all built. This package also keeps the handlers of
// sign-in, account, users, tokens, audit, platform and backup pages; the
// PMS and money handlers are in server/pms, the HTTP core in server/web.
// It is the only package with web, pms and the tenant packages in view.
package server

import (
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// routeTable is every route of both trees. Adding a page or an API call is
// one row here (plus its handler): the routers, the permission check and
// the isolation test all read this table.
func (s handlers) routeTable() []web.Route {
	p := pms.New(s.Server) // the PMS and money handlers
	user, tok, sess := web.Iso("id", "usr_aaaaaaaaaaaaaaaa"), web.Iso("id", "tok_aaaaaaaaaaaaaaaa"), web.Iso("id", "ses_aaaaaaaaaaaaaaaa")
	none := web.Iso()
	// Example ids of the PMS (issue 4).
	prp, rmt, rom, blk := web.Iso("id", "prp_aaaaaaaaaaaaaaaa"), web.Iso("id", "rmt_aaaaaaaaaaaaaaaa"), web.Iso("id", "rom_aaaaaaaaaaaaaaaa"), web.Iso("id", "blk_aaaaaaaaaaaaaaaa")
	rpl, bkg, res, gst := web.Iso("id", "rpl_aaaaaaaaaaaaaaaa"), web.Iso("id", "bkg_aaaaaaaaaaaaaaaa"), web.Iso("id", "res_aaaaaaaaaaaaaaaa"), web.Iso("id", "gst_aaaaaaaaaaaaaaaa")
	// Example ids of the front desk (issue 6).
	cki, idp := web.Iso("id", "cki_aaaaaaaaaaaaaaaa"), web.Iso("id", "idp_aaaaaaaaaaaaaaaa")
	// Example ids of channels (issue 17).
	icx, icf := web.Iso("id", "icx_aaaaaaaaaaaaaaaa"), web.Iso("id", "icf_aaaaaaaaaaaaaaaa")
	return append([]web.Route{
		// Tenant pages.
		{Method: "GET", Path: "/:tenant/login", Access: web.Public, Isolation: none, Page: "login", Handle: s.loginPage},
		{Method: "POST", Path: "/:tenant/login", Access: web.Public, Isolation: none, Page: "login", Handle: s.loginSubmit},
		{Method: "POST", Path: "/:tenant/login/code", Access: web.Public, Isolation: none, Page: "login", Handle: s.loginCodeSubmit},
		{Method: "POST", Path: "/:tenant/logout", Access: web.Session, AllowUnenrolled: true, Isolation: none, Handle: s.logout},
		{Method: "POST", Path: "/:tenant/logout/everywhere", Access: web.Session, AllowUnenrolled: true, Isolation: none, Handle: s.logoutEverywhere},
		{Method: "GET", Path: "/:tenant/", Access: web.Session, Isolation: none, Page: "dashboard", Handle: s.dashboard},
		{Method: "GET", Path: "/:tenant/invite/:token", Access: web.Public, Isolation: web.Iso("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Page: "invite", Handle: s.invitePage},
		{Method: "POST", Path: "/:tenant/invite/:token", Access: web.Public, Isolation: web.Iso("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Page: "invite", Handle: s.inviteSubmit},
		{Method: "GET", Path: "/:tenant/users", Access: web.Session, Perm: identity.PermUsersRead, Isolation: none, Page: "users", Handle: s.usersPage},
		{Method: "POST", Path: "/:tenant/users", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: none, Page: "users", Handle: s.usersInvite},
		{Method: "POST", Path: "/:tenant/users/:id/role", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.userRole},
		{Method: "POST", Path: "/:tenant/users/:id/disable", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.userAction("disable")},
		{Method: "POST", Path: "/:tenant/users/:id/enable", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.userAction("enable")},
		{Method: "POST", Path: "/:tenant/users/:id/remove", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.userAction("remove")},
		{Method: "POST", Path: "/:tenant/users/:id/reinvite", Access: web.Session, Perm: identity.PermUsersWrite, Isolation: user, Page: "users", Handle: s.userReinvite},
		{Method: "POST", Path: "/:tenant/settings/security", Access: web.Session, Perm: identity.PermSecurityWrite, Isolation: none, Handle: s.securitySettings},
		{Method: "GET", Path: "/:tenant/sessions", Access: web.Session, Isolation: none, Page: "sessions", Handle: s.sessionsPage},
		{Method: "POST", Path: "/:tenant/sessions/:id/revoke", Access: web.Session, Isolation: sess, Handle: s.sessionRevoke},
		{Method: "GET", Path: "/:tenant/tokens", Access: web.Session, Perm: identity.PermTokensRead, Isolation: none, Page: "tokens", Handle: s.tokensPage},
		{Method: "POST", Path: "/:tenant/tokens", Access: web.Session, Perm: identity.PermTokensWrite, Isolation: none, Page: "tokens", Handle: s.tokenCreate},
		{Method: "POST", Path: "/:tenant/tokens/:id/revoke", Access: web.Session, Perm: identity.PermTokensWrite, Isolation: tok, Handle: s.tokenRevoke},
		{Method: "GET", Path: "/:tenant/account", Access: web.Session, AllowUnenrolled: true, Isolation: none, Page: "account", Handle: s.accountPage},
		{Method: "POST", Path: "/:tenant/account/password", Access: web.Session, AllowUnenrolled: true, Isolation: none, Page: "account", Handle: s.accountPassword},
		{Method: "POST", Path: "/:tenant/account/2fa/start", Access: web.Session, AllowUnenrolled: true, Isolation: none, Page: "account", Handle: s.twoFactorStart},
		{Method: "POST", Path: "/:tenant/account/2fa/confirm", Access: web.Session, AllowUnenrolled: true, Isolation: none, Page: "account", Handle: s.twoFactorConfirm},
		{Method: "POST", Path: "/:tenant/account/2fa/disable", Access: web.Session, AllowUnenrolled: true, Isolation: none, Page: "account", Handle: s.twoFactorDisable},
		{Method: "GET", Path: "/:tenant/audit", Access: web.Session, Perm: identity.PermAuditRead, Isolation: none, Page: "audit", Handle: s.auditPage},
		// The export writes an audit row, so it is a POST; a GET (an old
		// bookmark) shows the page with the same filter and writes nothing.
		{Method: "GET", Path: "/:tenant/audit/export", Access: web.Session, Perm: identity.PermAuditRead, Isolation: none, Page: "audit", Handle: s.auditPage},
		{Method: "POST", Path: "/:tenant/audit/export", Access: web.Session, Perm: identity.PermAuditRead, Isolation: none, Handle: s.auditExport},
		{Method: "POST", Path: "/:tenant/impersonation/end", Access: web.Session, AllowUnenrolled: true, Isolation: none, Handle: s.ImpersonationEndHere},

		// The PMS pages (issue 4): calendar, tape chart, reservations, guests, rates, property and rooms settings.
		{Method: "GET", Path: "/:tenant/calendar", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "calendar", Handle: p.CalendarPage},
		{Method: "GET", Path: "/:tenant/tapechart", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "tapechart", Handle: p.TapeChartPage},
		{Method: "GET", Path: "/:tenant/reservations", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "reservations", Handle: p.ReservationsPage},
		{Method: "GET", Path: "/:tenant/reservations/new", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: none, Page: "reservation_new", Handle: p.NewReservationPage},
		{Method: "POST", Path: "/:tenant/reservations", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: none, Page: "reservation_new", Handle: p.ReservationCreate},
		{Method: "GET", Path: "/:tenant/reservations/:id", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: res, Page: "reservation", Handle: p.ReservationPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/confirm", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("confirm")},
		{Method: "POST", Path: "/:tenant/reservations/:id/cancel", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("cancel")},
		{Method: "POST", Path: "/:tenant/reservations/:id/no-show", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("no-show")},
		{Method: "POST", Path: "/:tenant/reservations/:id/assign", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("assign")},
		{Method: "POST", Path: "/:tenant/reservations/:id/unassign", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("unassign")},
		{Method: "POST", Path: "/:tenant/reservations/:id/stay", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("stay")},
		{Method: "POST", Path: "/:tenant/bookings/:id", Access: web.Session, Perm: identity.PermReservationsWrite, Isolation: bkg, Page: "reservation", Handle: p.BookingSave},
		{Method: "GET", Path: "/:tenant/guests", Access: web.Session, Perm: identity.PermGuestsRead, Isolation: none, Page: "guests", Handle: p.GuestsPage},
		{Method: "POST", Path: "/:tenant/guests", Access: web.Session, Perm: identity.PermGuestsWrite, Isolation: none, Page: "guests", Handle: p.GuestCreate},
		{Method: "GET", Path: "/:tenant/guests/:id", Access: web.Session, Perm: identity.PermGuestsRead, Isolation: gst, Page: "guest", Handle: p.GuestPage},
		{Method: "POST", Path: "/:tenant/guests/:id", Access: web.Session, Perm: identity.PermGuestsWrite, Isolation: gst, Page: "guest", Handle: p.GuestSave},
		// Guest-data rights (issue 16): the anonymisation's confirmation step and the anonymisation, the export served once.
		{Method: "GET", Path: "/:tenant/guests/:id/erase", Access: web.Session, Perm: identity.PermGuestsErase, Isolation: gst, Page: "guest_erase", Handle: p.GuestErasePage},
		{Method: "POST", Path: "/:tenant/guests/:id/erase", Access: web.Session, Perm: identity.PermGuestsErase, Isolation: gst, Page: "guest_erase", Handle: p.GuestErase},
		{Method: "POST", Path: "/:tenant/guests/:id/export", Access: web.Session, Perm: identity.PermGuestsExport, Isolation: gst, Handle: p.GuestExport},
		{Method: "GET", Path: "/:tenant/settings/records-of-processing", Access: web.Session, Perm: identity.PermGuestsExport, Isolation: none, Page: "records_of_processing", Handle: p.RecordsOfProcessingPage},
		{Method: "POST", Path: "/:tenant/settings/records-of-processing/retention", Access: web.Session, Perm: identity.PermGuestsErase, Isolation: none, Handle: p.RetentionSet},
		{Method: "POST", Path: "/:tenant/guests/:id/restrict", Access: web.Session, Perm: identity.PermGuestsRestrict, Isolation: gst, Page: "guest", Handle: p.GuestRestrict},
		{Method: "POST", Path: "/:tenant/guests/:id/consent", Access: web.Session, Perm: identity.PermGuestsWrite, Isolation: gst, Page: "guest", Handle: p.GuestConsent},
		// Guest emails (issue 16): the current property's sending settings and its templates, edited with a preview.
		{Method: "GET", Path: "/:tenant/settings/guest-emails", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "guest_emails", Handle: p.GuestMailPage},
		{Method: "POST", Path: "/:tenant/settings/guest-emails", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "guest_emails", Handle: p.GuestMailSave},
		{Method: "GET", Path: "/:tenant/settings/guest-emails/template", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "guest_email_template", Handle: p.GuestMailTemplatePage},
		{Method: "POST", Path: "/:tenant/settings/guest-emails/template", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "guest_email_template", Handle: p.GuestMailTemplateSave},
		{Method: "GET", Path: "/:tenant/rates", Access: web.Session, Perm: identity.PermRatesRead, Isolation: none, Page: "rates", Handle: p.RatesPage},
		{Method: "POST", Path: "/:tenant/rates", Access: web.Session, Perm: identity.PermRatesWrite, Isolation: none, Page: "rates", Handle: p.RatesUpdate},
		{Method: "GET", Path: "/:tenant/rates/plans", Access: web.Session, Perm: identity.PermRatesRead, Isolation: none, Page: "rate_plans", Handle: p.RatePlansPage},
		{Method: "POST", Path: "/:tenant/rates/plans", Access: web.Session, Perm: identity.PermRatesWrite, Isolation: none, Page: "rate_plans", Handle: p.RatePlanCreate},
		{Method: "GET", Path: "/:tenant/rates/plans/:id", Access: web.Session, Perm: identity.PermRatesRead, Isolation: rpl, Page: "rate_plan", Handle: p.RatePlanPage},
		{Method: "POST", Path: "/:tenant/rates/plans/:id", Access: web.Session, Perm: identity.PermRatesWrite, Isolation: rpl, Page: "rate_plan", Handle: p.RatePlanSave},
		{Method: "GET", Path: "/:tenant/settings/property", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", Handle: p.PropertyPage},
		{Method: "POST", Path: "/:tenant/settings/property", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", Handle: p.PropertySave},
		{Method: "POST", Path: "/:tenant/settings/properties", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "property", Handle: p.PropertyCreate},
		{Method: "GET", Path: "/:tenant/settings/rooms", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", Handle: p.RoomsPage},
		{Method: "POST", Path: "/:tenant/settings/rooms", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", Handle: p.RoomCreate},
		{Method: "GET", Path: "/:tenant/settings/rooms/:id", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: rom, Page: "room_edit", Handle: p.RoomEditPage},
		{Method: "POST", Path: "/:tenant/settings/rooms/:id", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: rom, Page: "room_edit", Handle: p.RoomSave},
		{Method: "POST", Path: "/:tenant/settings/room-types", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", Handle: p.RoomTypeCreate},
		{Method: "GET", Path: "/:tenant/settings/room-types/:id", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: rmt, Page: "room_edit", Handle: p.RoomTypeEditPage},
		{Method: "POST", Path: "/:tenant/settings/room-types/:id", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: rmt, Page: "room_edit", Handle: p.RoomTypeSave},
		{Method: "POST", Path: "/:tenant/settings/room-blocks", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Page: "rooms", Handle: p.RoomBlockCreate},
		// Channels (issue 17): calendars exported by secret URL; /ical/{token}.ics itself is outside both trees (web.Server.Calendars).
		{Method: "GET", Path: "/:tenant/settings/channels", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.ChannelsPage},
		{Method: "POST", Path: "/:tenant/settings/channels/calendars", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.ExportCreate},
		{Method: "POST", Path: "/:tenant/settings/channels/calendars/:id/rotate", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icx, Page: "channels", Handle: p.ExportRotate},
		{Method: "POST", Path: "/:tenant/settings/channels/calendars/:id/revoke", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icx, Handle: p.ExportRevoke},
		{Method: "POST", Path: "/:tenant/settings/channels/feeds", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.FeedCreate},
		{Method: "POST", Path: "/:tenant/settings/channels/feeds/:id/poll", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.FeedPoll},
		{Method: "POST", Path: "/:tenant/settings/channels/feeds/:id/pause", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.FeedActive(false)},
		{Method: "POST", Path: "/:tenant/settings/channels/feeds/:id/resume", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.FeedActive(true)},
		{Method: "POST", Path: "/:tenant/settings/channels/manager", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.ManagerSet},
		{Method: "POST", Path: "/:tenant/settings/channels/mappings", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.MappingSet},
		{Method: "POST", Path: "/:tenant/settings/channels/manager/webhook", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels", Handle: p.WebhookSecretNew},
		{Method: "POST", Path: "/:tenant/settings/channels/feeds/:id/delete", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.FeedDelete},
		{Method: "GET", Path: "/:tenant/channels/attention", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Page: "channels_attention", Handle: p.AttentionPage},
		{Method: "POST", Path: "/:tenant/channels/attention/revisions/:id/resolve", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: web.Iso("id", "rev-aaaaaaaaaaaaaaaa"), Handle: p.RevisionResolve},
		// A channel manager's webhook deliveries: no session or token, the connection's webhook secret is the credential.
		{Method: "POST", Path: "/:tenant/channels/webhook/:id", Access: web.Public, Isolation: prp, MaxBody: pms.MaxChannelWebhookBytes, Handle: p.ChannelManagerWebhook},
		{Method: "DELETE", Path: "/:tenant/api/v1/channels/feeds/:id", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.ApiFeedDelete},
		{Method: "GET", Path: "/:tenant/api/v1/channels/attention", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiAttention},
		{Method: "POST", Path: "/:tenant/settings/channels/manager/resync", Access: web.Session, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ManagerResync},
		{Method: "POST", Path: "/:tenant/api/v1/channels/resync", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiResync},
		{Method: "POST", Path: "/:tenant/settings/room-blocks/:id/delete", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: blk, Handle: p.RoomBlockDelete},

		// The front desk day (issue 6): arrivals, in house and departures, check-in with ID documents, check-out,
		// stay changes of a guest in house, the housekeeping board and the night audit.
		{Method: "GET", Path: "/:tenant/frontdesk", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "frontdesk", Handle: p.FrontDeskPage},
		{Method: "GET", Path: "/:tenant/search", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "search", Handle: p.SearchPage},
		{Method: "GET", Path: "/:tenant/frontdesk/print", Access: web.Session, Perm: identity.PermReservationsRead, Isolation: none, Page: "fdprint", Handle: p.FrontDeskPrint},
		{Method: "GET", Path: "/:tenant/reservations/:id/registration-card", Access: web.Session, Perm: identity.PermGuestsRead, Isolation: res, Page: "regcard", Handle: p.RegistrationCard},
		{Method: "GET", Path: "/:tenant/reservations/:id/check-in", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkin", Handle: p.CheckInPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/check-in", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkin", MaxBody: web.MaxCheckInBytes, Handle: p.CheckInSubmit},
		{Method: "GET", Path: "/:tenant/reservations/:id/check-out", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkout", Handle: p.CheckOutPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/check-out", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "checkout", Handle: p.CheckOutSubmit},
		{Method: "POST", Path: "/:tenant/reservations/:id/extend", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("extend")},
		{Method: "POST", Path: "/:tenant/reservations/:id/depart-early", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: res, Page: "reservation", Handle: p.ReservationAction("depart-early")},
		{Method: "POST", Path: "/:tenant/check-ins/:id/photos", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: cki, MaxBody: web.MaxCheckInBytes, Handle: p.IdPhotoAdd},
		{Method: "GET", Path: "/:tenant/id-photos/:id", Access: web.Session, Perm: identity.PermIDDocumentsRead, Isolation: idp, Handle: p.IdPhoto},
		{Method: "POST", Path: "/:tenant/id-photos/:id/delete", Access: web.Session, Perm: identity.PermFrontDeskWrite, Isolation: idp, Handle: p.IdPhotoDelete},
		{Method: "GET", Path: "/:tenant/housekeeping", Access: web.Session, Perm: identity.PermHousekeepingRead, Isolation: none, Page: "housekeeping", Handle: p.HousekeepingPage},
		{Method: "POST", Path: "/:tenant/rooms/:id/housekeeping", Access: web.Session, Perm: identity.PermHousekeepingWrite, Isolation: rom, Page: "housekeeping", Handle: p.HousekeepingSet},
		{Method: "GET", Path: "/:tenant/night-audit", Access: web.Session, Perm: identity.PermNightAuditRun, Isolation: none, Page: "nightaudit", Handle: p.NightAuditPage},
		{Method: "POST", Path: "/:tenant/night-audit", Access: web.Session, Perm: identity.PermNightAuditRun, Isolation: none, Page: "nightaudit", Handle: p.NightAuditRun},
		{Method: "POST", Path: "/:tenant/settings/property/purge-id-photos", Access: web.Session, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: p.PurgeIDPhotosPage},

		// The JSON API.
		{Method: "GET", Path: "/:tenant/api/v1/whoami", Access: web.Token, Isolation: none, Handle: s.apiWhoami},
		{Method: "GET", Path: "/:tenant/api/v1/users", Access: web.Token, Perm: identity.PermUsersRead, Isolation: none, Handle: s.apiUsers},
		{Method: "POST", Path: "/:tenant/api/v1/users", Access: web.Token, Perm: identity.PermUsersWrite, Isolation: none, Handle: s.apiUserInvite},
		{Method: "PATCH", Path: "/:tenant/api/v1/users/:id", Access: web.Token, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.apiUserUpdate},
		{Method: "DELETE", Path: "/:tenant/api/v1/users/:id", Access: web.Token, Perm: identity.PermUsersWrite, Isolation: user, Handle: s.apiUserRemove},
		{Method: "GET", Path: "/:tenant/api/v1/tokens", Access: web.Token, Perm: identity.PermTokensRead, Isolation: none, Handle: s.apiTokens},
		{Method: "POST", Path: "/:tenant/api/v1/tokens", Access: web.Token, Perm: identity.PermTokensWrite, Isolation: none, Handle: s.apiTokenCreate},
		{Method: "DELETE", Path: "/:tenant/api/v1/tokens/:id", Access: web.Token, Perm: identity.PermTokensWrite, Isolation: tok, Handle: s.apiTokenRevoke},
		{Method: "GET", Path: "/:tenant/api/v1/openapi.json", Access: web.Token, Isolation: none, Handle: s.apiOpenAPI},

		// The PMS API (issue 4), the twin of its pages; documented in openapi.go.
		{Method: "GET", Path: "/:tenant/api/v1/properties", Access: web.Token, Isolation: none, Handle: p.ApiProperties},
		{Method: "POST", Path: "/:tenant/api/v1/properties", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: pms.ApiCreate(inventory.Store.CreateProperty, pms.PropertyVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/properties/:id", Access: web.Token, Isolation: prp, Handle: pms.ApiGet(inventory.Store.GetProperty, pms.PropertyVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/properties/:id", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: prp, Handle: p.ApiPropertyUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/room-types", Access: web.Token, Isolation: none, Handle: pms.ApiPropertyList(inventory.Store.ListRoomTypes)},
		{Method: "POST", Path: "/:tenant/api/v1/room-types", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: pms.ApiCreate(inventory.Store.CreateRoomType, pms.RoomTypeVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/room-types/:id", Access: web.Token, Isolation: rmt, Handle: pms.ApiGet(inventory.Store.GetRoomType, pms.RoomTypeVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/room-types/:id", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: rmt, Handle: p.ApiRoomTypeUpdate},
		// Channels (issue 17).
		{Method: "GET", Path: "/:tenant/api/v1/channels/exports", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiExports},
		{Method: "POST", Path: "/:tenant/api/v1/channels/exports", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiExportCreate},
		{Method: "POST", Path: "/:tenant/api/v1/channels/exports/:id/revoke", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: icx, Handle: p.ApiExportRevoke},
		{Method: "GET", Path: "/:tenant/api/v1/channels/feeds", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiFeeds},
		{Method: "POST", Path: "/:tenant/api/v1/channels/feeds", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiFeedCreate},
		{Method: "POST", Path: "/:tenant/api/v1/channels/feeds/:id/poll", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: icf, Handle: p.ApiFeedPoll},
		{Method: "GET", Path: "/:tenant/api/v1/channels/revisions", Access: web.Token, Perm: identity.PermChannelsManage, Isolation: none, Handle: p.ApiRevisions},
		{Method: "GET", Path: "/:tenant/api/v1/rooms", Access: web.Token, Isolation: none, Handle: p.ApiRooms},
		{Method: "POST", Path: "/:tenant/api/v1/rooms", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: pms.ApiCreate(inventory.Store.CreateRoom, pms.RoomVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/rooms/:id", Access: web.Token, Isolation: rom, Handle: pms.ApiGet(inventory.Store.GetRoom, pms.RoomVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/rooms/:id", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: rom, Handle: p.ApiRoomUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/room-blocks", Access: web.Token, Isolation: none, Handle: p.ApiRoomBlocks},
		{Method: "POST", Path: "/:tenant/api/v1/room-blocks", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: p.ApiRoomBlockCreate},
		{Method: "DELETE", Path: "/:tenant/api/v1/room-blocks/:id", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: blk, Handle: pms.ApiDelete(inventory.Store.DeleteRoomBlock)},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans", Access: web.Token, Perm: identity.PermRatesRead, Isolation: none, Handle: pms.ApiPropertyList(inventory.Store.ListRatePlans)},
		{Method: "POST", Path: "/:tenant/api/v1/rate-plans", Access: web.Token, Perm: identity.PermRatesWrite, Isolation: none, Handle: pms.ApiCreate(inventory.Store.CreateRatePlan, pms.RatePlanVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans/:id", Access: web.Token, Perm: identity.PermRatesRead, Isolation: rpl, Handle: pms.ApiGet(inventory.Store.GetRatePlan, pms.RatePlanVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/rate-plans/:id", Access: web.Token, Perm: identity.PermRatesWrite, Isolation: rpl, Handle: p.ApiRatePlanUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: web.Token, Perm: identity.PermRatesRead, Isolation: rpl, Handle: p.ApiRates},
		{Method: "PUT", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: web.Token, Perm: identity.PermRatesWrite, Isolation: rpl, Handle: p.ApiRatesUpdate},
		{Method: "PATCH", Path: "/:tenant/api/v1/rate-plans/:id/rates", Access: web.Token, Perm: identity.PermRatesWrite, Isolation: rpl, Handle: p.ApiRatesUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/availability", Access: web.Token, Perm: identity.PermRatesRead, Isolation: none, Handle: pms.ApiPropertyRange(s.Server, 30, inventory.Store.Availability)},
		{Method: "GET", Path: "/:tenant/api/v1/offers", Access: web.Token, Perm: identity.PermRatesRead, Isolation: none, Handle: p.ApiOffers},
		{Method: "GET", Path: "/:tenant/api/v1/tape-chart", Access: web.Token, Perm: identity.PermReservationsRead, Isolation: none, Handle: pms.ApiPropertyRange(s.Server, 14, stays.Store.TapeChart)},
		{Method: "POST", Path: "/:tenant/api/v1/bookings", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: none, Handle: p.ApiBookingCreate},
		{Method: "GET", Path: "/:tenant/api/v1/bookings/:id", Access: web.Token, Perm: identity.PermReservationsRead, Isolation: bkg, Handle: p.ApiBooking},
		{Method: "PATCH", Path: "/:tenant/api/v1/bookings/:id", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: bkg, Handle: p.ApiBookingUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/reservations", Access: web.Token, Perm: identity.PermReservationsRead, Isolation: none, Handle: p.ApiReservations},
		{Method: "GET", Path: "/:tenant/api/v1/reservations/:id", Access: web.Token, Perm: identity.PermReservationsRead, Isolation: res, Handle: pms.ApiGet(stays.Store.GetReservation, pms.ReservationVersion)},
		{Method: "PATCH", Path: "/:tenant/api/v1/reservations/:id", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationUpdate},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/confirm", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationAction("confirm")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/cancel", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationAction("cancel")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/no-show", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationAction("no-show")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/assign", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationAction("assign")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/unassign", Access: web.Token, Perm: identity.PermReservationsWrite, Isolation: res, Handle: p.ApiReservationAction("unassign")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-in", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: res, MaxBody: pms.MaxCheckInJSONBytes, Handle: p.ApiReservationAction("check-in")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-out", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: res, Handle: p.ApiReservationAction("check-out")},
		{Method: "GET", Path: "/:tenant/api/v1/guests", Access: web.Token, Perm: identity.PermGuestsRead, Isolation: none, Handle: p.ApiGuests},
		{Method: "POST", Path: "/:tenant/api/v1/guests", Access: web.Token, Perm: identity.PermGuestsWrite, Isolation: none, Handle: pms.ApiCreate(stays.Store.CreateGuest, pms.GuestVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id", Access: web.Token, Perm: identity.PermGuestsRead, Isolation: gst, Handle: p.ApiGuestGet},
		{Method: "PATCH", Path: "/:tenant/api/v1/guests/:id", Access: web.Token, Perm: identity.PermGuestsWrite, Isolation: gst, Handle: p.ApiGuestUpdate},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/reservations", Access: web.Token, Perm: identity.PermGuestsRead, Isolation: gst, Handle: p.ApiGuestReservations},
		{Method: "GET", Path: "/:tenant/api/v1/guest-retention", Access: web.Token, Perm: identity.PermGuestsExport, Isolation: none, Handle: p.ApiGuestRetention},
		{Method: "PUT", Path: "/:tenant/api/v1/guest-retention/:id", Access: web.Token, Perm: identity.PermGuestsErase, Isolation: prp, Handle: p.ApiGuestRetentionSet},
		{Method: "POST", Path: "/:tenant/api/v1/guests/:id/restriction", Access: web.Token, Perm: identity.PermGuestsRestrict, Isolation: gst, Handle: p.ApiGuestRestriction},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/export", Access: web.Token, Perm: identity.PermGuestsExport, Isolation: gst, Handle: p.ApiGuestExport},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/erasure", Access: web.Token, Perm: identity.PermGuestsErase, Isolation: gst, Handle: p.ApiGuestErasurePlan},
		{Method: "POST", Path: "/:tenant/api/v1/guests/:id/erasure", Access: web.Token, Perm: identity.PermGuestsErase, Isolation: gst, Handle: p.ApiGuestErase},

		// The front desk API (issue 6).
		{Method: "GET", Path: "/:tenant/api/v1/front-desk", Access: web.Token, Perm: identity.PermReservationsRead, Isolation: none, Handle: p.ApiFrontDesk},
		{Method: "GET", Path: "/:tenant/api/v1/reservations/:id/check-ins", Access: web.Token, Perm: identity.PermIDDocumentsRead, Isolation: res, Handle: pms.ApiDataOf(stays.Store.ReservationCheckIns)},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/check-ins", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: res, MaxBody: pms.MaxCheckInJSONBytes, Handle: p.ApiRecordCheckIn},
		{Method: "GET", Path: "/:tenant/api/v1/guests/:id/check-ins", Access: web.Token, Perm: identity.PermIDDocumentsRead, Isolation: gst, Handle: pms.ApiDataOf(stays.Store.GuestCheckIns)},
		{Method: "PATCH", Path: "/:tenant/api/v1/check-ins/:id", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: cki, Handle: p.ApiCheckInUpdate},
		{Method: "POST", Path: "/:tenant/api/v1/check-ins/:id/photos", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: cki, MaxBody: stays.MaxIDPhotoSize, Handle: p.ApiIDPhotoAdd},
		{Method: "GET", Path: "/:tenant/api/v1/id-photos/:id", Access: web.Token, Perm: identity.PermIDDocumentsRead, Isolation: idp, Handle: p.IdPhoto},
		{Method: "DELETE", Path: "/:tenant/api/v1/id-photos/:id", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: idp, Handle: pms.ApiDelete(stays.Store.DeleteIDPhoto)},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/extend", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: res, Handle: p.ApiReservationAction("extend")},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/depart-early", Access: web.Token, Perm: identity.PermFrontDeskWrite, Isolation: res, Handle: p.ApiReservationAction("depart-early")},
		{Method: "GET", Path: "/:tenant/api/v1/housekeeping", Access: web.Token, Perm: identity.PermHousekeepingRead, Isolation: none, Handle: p.ApiHousekeepingBoard},
		{Method: "PUT", Path: "/:tenant/api/v1/rooms/:id/housekeeping", Access: web.Token, Perm: identity.PermHousekeepingWrite, Isolation: rom, Handle: p.ApiHousekeepingSet},
		{Method: "POST", Path: "/:tenant/api/v1/rooms/:id/housekeeping", Access: web.Token, Perm: identity.PermHousekeepingWrite, Isolation: rom, Handle: p.ApiHousekeepingSet},
		{Method: "GET", Path: "/:tenant/api/v1/night-audit", Access: web.Token, Perm: identity.PermNightAuditRun, Isolation: none, Handle: p.ApiNightAuditState},
		{Method: "POST", Path: "/:tenant/api/v1/night-audit/run", Access: web.Token, Perm: identity.PermNightAuditRun, Isolation: none, Handle: p.ApiNightAuditRun},
		{Method: "POST", Path: "/:tenant/api/v1/id-photos/purge", Access: web.Token, Perm: identity.PermPropertiesWrite, Isolation: none, Handle: p.ApiPurgeIDPhotos},

		// The platform staff area.
		{Method: "GET", Path: "/platform/", Access: web.Staff, Handle: s.platformHome},
		{Method: "GET", Path: "/platform/login", Access: web.Public, Page: "platform_login", Handle: s.staffLoginPage},
		{Method: "POST", Path: "/platform/login", Access: web.Public, Page: "platform_login", Handle: s.staffLoginSubmit},
		{Method: "POST", Path: "/platform/logout", Access: web.Staff, Handle: s.staffLogout},
		{Method: "GET", Path: "/platform/tenants", Access: web.Staff, Page: "platform_tenants", Handle: s.tenantsPage},
		{Method: "POST", Path: "/platform/tenants", Access: web.Staff, Page: "platform_tenants", Handle: s.tenantCreate},
		{Method: "POST", Path: "/platform/tenants/:slug/suspend", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Handle: s.tenantStatus(platform.StatusSuspended)},
		{Method: "POST", Path: "/platform/tenants/:slug/resume", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Handle: s.tenantStatus(platform.StatusActive)},
		{Method: "GET", Path: "/platform/tenants/:slug/impersonate", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Page: "platform_impersonate", Handle: s.impersonatePage},
		{Method: "POST", Path: "/platform/tenants/:slug/impersonate", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Page: "platform_impersonate", Handle: s.impersonateStart},
		{Method: "POST", Path: "/platform/impersonations/:id/end", Access: web.Staff, Isolation: web.Iso("id", "imp_aaaaaaaaaaaaaaaa"), Handle: s.impersonationEnd},
		{Method: "GET", Path: "/platform/audit", Access: web.Staff, Page: "platform_audit", Handle: s.platformAuditPage},
		{Method: "GET", Path: "/platform/healthz", Access: web.Staff, Handle: s.platformHealth},
		{Method: "GET", Path: "/platform/backups", Access: web.Staff, Page: "platform_backups", Handle: s.backupsPage},
		{Method: "POST", Path: "/platform/tenants/:slug/drill", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Handle: s.drillNow},
		{Method: "POST", Path: "/platform/tenants/:slug/region", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Handle: s.setRegion},
		{Method: "GET", Path: "/platform/tenants/:slug/restore", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Page: "platform_restore", Handle: s.restorePage},
		{Method: "POST", Path: "/platform/tenants/:slug/restore", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Page: "platform_restore", Handle: s.restorePlan},
		{Method: "POST", Path: "/platform/tenants/:slug/restore/apply", Access: web.Staff, Isolation: web.Iso("slug", "acme"), Page: "platform_restore", Handle: s.restoreApply},
	}, append(append(p.MoneyRoutes(), p.StripeRoutes()...), append(append(append(p.ReportRoutes(), p.DailyRoutes()...), p.StatementRoutes()...), p.OwnerRoutes()...)...)...) // money: folio_api.go, Stripe: stripe_routes.go, reports: reports_pages.go, owners: owners_pages.go
}
