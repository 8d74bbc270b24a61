// Package frontdesk owns the day-to-day views and jobs of a property's
// front desk: the front-desk board (arrivals, departures, in house), the
// housekeeping board, the night audit that closes business dates (no-shows,
// tentative cancellations, posting the nights), and the retention job that
// purges ID photos and document numbers when their window has passed.
//
// It is the top domain layer: it may import the file layer (package
// tenant), tenant/identity, tenant/inventory and tenant/stays, and the
// leaves; nothing under tenant/ imports it. Errors are aura.Error values.
package frontdesk

import "github.com/aurapms/aura/tenant"

// Store is the front-desk side of one tenant file. It embeds the *tenant.DB
// it works on, so every method runs in that file's transactions.
type Store struct{ *tenant.DB }

// New returns the front-desk store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
