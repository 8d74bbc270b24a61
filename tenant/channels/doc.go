// Package channels owns what a tenant exchanges with sales channels (OTAs
// such as Airbnb, Booking.com and Vrbo): calendars exported by a secret URL
// (/ical/{token}.ics, one per room or room type), calendars imported from
// the channels and the channel blocks they make.
//
// It sits beside the front desk: it may import the file layer (package
// tenant), tenant/identity, tenant/inventory, tenant/stays and the leaves,
// never the books (tenant/ledger, tenant/payments). Errors are aura.Error
// values.
package channels

import "github.com/aurapms/aura/tenant"

// Store is the channels side of one tenant file. It embeds the *tenant.DB
// it works on, so every method runs in that file's transactions.
type Store struct{ *tenant.DB }

// New returns the channels store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
