// Package inventory owns what a tenant sells: properties and their front
// desk, tax and clock settings (the business date each property's clock
// gives), room types, rooms and their housekeeping state, room blocks,
// rate plans with their fees and cancellation and no-show policies, daily
// rates and restrictions, availability and the offers a booking engine
// shows.
//
// It may import the file layer (package tenant), tenant/identity and the
// leaves, never stays or the front desk: when a message must name a stay
// (a room that cannot change while a stay holds it), it calls NameStay,
// which tenant/stays sets. Errors are aura.Error values.
package inventory

import "github.com/aurapms/aura/tenant"

// Store is the inventory side of one tenant file. It embeds the *tenant.DB
// it works on, so every method runs in that file's transactions.
type Store struct{ *tenant.DB }

// New returns the inventory store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
