// Package pms holds the HTTP handlers of the property-management pages and
// API: properties, rooms, rates, availability, reservations and bookings,
// guests, search, the tape chart and calendar, the front desk, check-in
// and ID photos, housekeeping, the night audit, entity history, and the
// money pages and API (folios, payments, invoices and credit notes, the
// cashier, Stripe settings, card forms and the webhook).
//
// It has no routes of its own: every handler is a method of Handlers named
// in the one route table of package server, which also holds their
// permissions, isolation examples and OpenAPI entries. It may import
// server/web (the HTTP core), the tenant packages and the leaves, never
// package server.
package pms

import "github.com/aurapms/aura/server/web"

// Handlers are the PMS and money handlers over the HTTP core. It embeds
// the *web.Server they run in.
type Handlers struct{ *web.Server }

// New returns the PMS handlers of a server.
func New(s *web.Server) Handlers { return Handlers{s} }
