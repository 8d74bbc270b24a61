// Package guestdata owns the rights of a guest over the data Aura keeps
// about them: gathering everything about one guest (the guest page and the
// export: profile, reservations, folios and payments, invoices, check-in
// records and ID photos with their purge dates, and the audit rows about
// the guest with their personal fields opened), the export as JSON and as a
// ZIP of CSV files, and anonymisation that keeps the books (the guest's key
// destroyed, a stable pseudonym in its place, reservations, folio lines and
// invoices untouched).
//
// It sits at the top of the tenant layers: it may read every domain
// (tenant/stays, tenant/inventory) and the books (tenant/ledger), and
// writes only through their exported transaction helpers
// (stays.EraseGuestTx) plus its own audit rows. Errors are aura.Error
// values.
package guestdata

import "github.com/aurapms/aura/tenant"

// Store is the guest-data side of one tenant file. It embeds the
// *tenant.DB it works on.
type Store struct{ *tenant.DB }

// New returns the guest-data store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
