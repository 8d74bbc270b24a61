// Package stays owns who stays when: bookings and their reservations
// (status changes, room assignment, check-in and check-out, cancellation
// and no-show rules, changing a stay), guests and their sealed personal
// data, guest search, the reservation list and search, the tape chart,
// occupancy and free rooms, check-in records and ID photos, and the
// posting hook through which the night audit, fees and check-out reach the
// books (RegisterPoster: the ledger side registers itself, so stays never
// imports the ledger).
//
// It may import the file layer (package tenant), tenant/identity and
// tenant/inventory, and the leaves; it sets inventory.NameStay so the room
// store can name a stay without importing this package. Errors are
// aura.Error values.
package stays

import "github.com/aurapms/aura/tenant"

// Store is the stays side of one tenant file. It embeds the *tenant.DB it
// works on, so every method runs in that file's transactions.
type Store struct{ *tenant.DB }

// New returns the stays store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
