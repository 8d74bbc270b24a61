// Package guestmail owns the emails Aura sends to guests: the booking
// confirmation, the pre-arrival message and the cancellation, written from
// per-property templates (per language, plain text and HTML, with the
// property's details and the stay, never card data: the data a template
// sees has no field for it), queued in the tenant file, sent through the
// server's SMTP settings by the scheduled job of `aura serve` and retried
// with backoff.
//
// The confirmation goes to the guest who stays and, when someone else
// booked the stay, to the booker as well; the pre-arrival message to the
// guest who stays; the cancellation to everyone a message about the stay
// was sent to.
//
// Every message is recorded on the guest it went to: recipient, subject, bodies and
// the last delivery error are sealed under the guest's key, so an
// anonymisation (tenant/guestdata, through EraseGuestMessagesTx) leaves
// nothing of them readable, here, in audit rows or in backups. A guest
// whose processing is restricted receives no emails (the message is
// recorded as withheld), and neither does one without an email address.
//
// Sending is off until a property turns it on (SetSettings), and then
// only stays booked or cancelled after that moment get messages: turning
// it on never mails the backlog. Errors are aura.Error values.
package guestmail

import "github.com/aurapms/aura/tenant"

// Store is the guest-communication side of one tenant file.
type Store struct{ *tenant.DB }

// New returns the guest-communication store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
