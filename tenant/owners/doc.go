// Package owners owns the owners of managed units and their management
// contracts: who owns a room (a unit the tenant manages for someone
// else), from which night to which, and on which terms (the manager's
// commission in basis points of the net room revenue, a monthly fee and a
// per-stay fee in minor units of the property's currency).
//
// An owner is often a natural person. Every personal field of an owner
// (name, email, address, VAT id, payout account) is sealed under the
// owner's own subject key, wrapped by the tenant key, as guests' fields
// are; audit rows hold only the sealed values.
//
// Owner statements, which read the contracts beside the posted folio
// lines, live in tenant/reports. This package imports the file layer and
// tenant/inventory (for rooms and properties), never the books. Errors are
// aura.Error values.
package owners

import "github.com/aurapms/aura/tenant"

// Store is the owners side of one tenant file. It embeds the *tenant.DB
// it works on.
type Store struct{ *tenant.DB }

// New returns the owners store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
