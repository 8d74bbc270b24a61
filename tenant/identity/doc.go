// Package identity owns who may use a tenant file and how: users and
// invitations, passwords, sessions, API tokens, two-factor sign-in and
// recovery codes, roles and permissions, the impersonation record, and what
// a point-in-time restore re-applies so that no access revoked after the
// restore point comes back.
//
// It is the lowest domain layer: it may import the file layer (package
// tenant: *tenant.DB, tenant.Tx, sealing, the audit glue) and the leaves
// (aura, audit, credential, date, keys, sqlite), never another domain.
// Errors are aura.Error values, as everywhere.
package identity

import "github.com/aurapms/aura/tenant"

// Store is the identity side of one tenant file. It embeds the *tenant.DB
// it works on, so every method runs in that file's transactions.
type Store struct{ *tenant.DB }

// New returns the identity store of a tenant file.
func New(db *tenant.DB) Store { return Store{db} }
