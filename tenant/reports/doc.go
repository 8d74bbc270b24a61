// Package reports owns the figures an owner and an accountant read: the
// report engine that aggregates a property's stored nights and posted folio
// lines by night, month, room type, rate plan, channel and accounting
// category, and the reports built on it.
//
// Every money figure comes from posted folio lines (ledger_lines), never
// from today's rates or a reservation's total: a night's revenue is what the
// night audit posted for it, less the allowances posted against those
// lines. Room-night counts come from the stored nights of reservations
// (reservation_nights) and room counts from the rooms and their
// out-of-order blocks. Amounts are integer minor units of the property's
// currency; ratios are integer basis points (10000 = 100%), rounded half
// up.
//
// It sits at the top of the tenant layers beside tenant/guestdata: it
// reads the domains' tables and the books with plain SQL and writes
// nothing but its own documents. Errors are aura.Error values.
package reports

import "github.com/aurapms/aura/tenant"

// Store is the reports side of one tenant file. It embeds the *tenant.DB
// it reads.
type Store struct{ *tenant.DB }

// New returns the reports store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
