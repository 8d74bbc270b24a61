package identity

import (
	"slices"
	"strings"

	"github.com/aurapms/aura"
)

// Roles of tenant users. A role is nothing but the set of permissions the
// permission table gives it.
const (
	RoleOwner        = "owner"
	RoleManager      = "manager"
	RoleFrontDesk    = "front_desk"
	RoleHousekeeping = "housekeeping"
	RoleAccountant   = "accountant"
)

// Roles lists the roles in the order the UI offers them.
var Roles = []string{RoleOwner, RoleManager, RoleFrontDesk, RoleHousekeeping, RoleAccountant}

// RoleLabel returns the role's name as operators read it.
func RoleLabel(role string) string {
	switch role {
	case RoleOwner:
		return "Owner"
	case RoleManager:
		return "Manager"
	case RoleFrontDesk:
		return "Front desk"
	case RoleHousekeeping:
		return "Housekeeping"
	case RoleAccountant:
		return "Accountant"
	}
	return role
}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// Permission names one thing a user may do. Route handlers require a
// permission; API token scopes are permissions too.
type Permission string

// Permissions. A later feature adds its own (reservations.read,
// reservations.write, guests.read, housekeeping.write, rates.write, …) as
// constants here and one row each in PermissionTable.
const (
	PermUsersRead     Permission = "users.read"     // see the tenant's users
	PermUsersWrite    Permission = "users.write"    // invite, change role, disable, remove users
	PermTokensRead    Permission = "tokens.read"    // see one's own API tokens
	PermTokensWrite   Permission = "tokens.write"   // create and revoke one's own API tokens
	PermAuditRead     Permission = "audit.read"     // read and export the tenant's audit log
	PermSecurityWrite Permission = "security.write" // tenant-wide security settings (require 2FA)

	// The PMS: properties, inventory and rates, reservations and guests.
	PermPropertiesWrite   Permission = "properties.write"       // property settings, room types, rooms, out-of-order periods
	PermRatesRead         Permission = "rates.read"             // see rate plans, the rate calendar and availability
	PermRatesWrite        Permission = "rates.write"            // change rate plans, rates and restrictions
	PermReservationsRead  Permission = "reservations.read"      // see bookings, reservations, the calendar and tape chart
	PermReservationsWrite Permission = "reservations.write"     // create, change, assign and cancel reservations
	PermGuestsRead        Permission = "guests.read"            // see and search guest profiles
	PermGuestsWrite       Permission = "guests.write"           // create and edit guest profiles
	PermGuestsExport      Permission = "guests.export"          // export everything about a guest (JSON, ZIP of CSVs)
	PermGuestsErase       Permission = "guests.erase"           // anonymise a guest (the books are kept)
	PermGuestsRestrict    Permission = "guests.restrict"        // restrict the processing of a guest's data (GDPR art. 18), or lift it
	PermGuestsRestricted  Permission = "guests.restricted.read" // see restricted guests in lists and search, and open them (each read audited)

	// The front desk day.
	PermFrontDeskWrite    Permission = "frontdesk.write"    // check guests in and out, move rooms, extend, depart early
	PermIDDocumentsRead   Permission = "iddocuments.read"   // see ID documents and photos taken at check-in
	PermHousekeepingRead  Permission = "housekeeping.read"  // see the housekeeping board
	PermHousekeepingWrite Permission = "housekeeping.write" // change a room's condition
	PermNightAuditRun     Permission = "nightaudit.run"     // run the night audit by hand and see its history
	// Money: folios, payments, invoices (tenant/ledger).
	PermFoliosRead    Permission = "folios.read"     // see folios, balances, payments, invoices and the cashier's day
	PermFoliosWrite   Permission = "folios.write"    // post charges and products, allowances, move lines between folios
	PermPaymentsWrite Permission = "payments.write"  // record payments and refunds
	PermInvoicesIssue Permission = "invoices.issue"  // issue invoices
	PermCreditNotes   Permission = "invoices.credit" // issue credit notes (corrections of issued invoices)
	PermLedgerWrite   Permission = "ledger.write"    // ledger settings: legal data, tax codes, categories, city tax, products
	PermStripeWrite   Permission = "stripe.write"    // the Stripe account's keys and webhook signing secret
	// Channels (tenant/channels).
	PermChannelsManage Permission = "channels.manage" // calendar exports and imports, the channel manager, its attention list
	// Reports (tenant/reports).
	PermReportsRead     Permission = "reports.read"     // see and export reports: occupancy, ADR, RevPAR, revenue
	PermStatementsWrite Permission = "statements.write" // generate statements (immutable, numbered, audited)
	// Owners of managed units (tenant/owners).
	PermOwnersRead  Permission = "owners.read"  // see owners of managed units with their contact and payout details (IBANs), and their contracts
	PermOwnersWrite Permission = "owners.write" // add and change owners of managed units and their management contracts
)

// PermissionRow is one row of the permission table: a permission, what it
// allows in words, and the roles that have it.
type PermissionRow struct {
	Permission  Permission
	Description string
	Roles       []string
}

// PermissionTable is the one place that says which role may do what.
var PermissionTable = []PermissionRow{
	{PermUsersRead, "See the users of this account", []string{RoleOwner, RoleManager}},
	{PermUsersWrite, "Invite users, change their role, disable or remove them", []string{RoleOwner, RoleManager}},
	{PermTokensRead, "See their own API tokens", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermTokensWrite, "Create and revoke their own API tokens", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermAuditRead, "Read and export the audit log", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermSecurityWrite, "Change security settings such as requiring two-factor authentication", []string{RoleOwner}},
	{PermPropertiesWrite, "Change property settings, room types, rooms and out-of-order periods", []string{RoleOwner, RoleManager}},
	{PermRatesRead, "See rate plans, rates and availability", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermRatesWrite, "Change rate plans, rates and restrictions", []string{RoleOwner, RoleManager}},
	{PermReservationsRead, "See bookings, reservations, the calendar and the tape chart", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermReservationsWrite, "Create, change, assign and cancel reservations", []string{RoleOwner, RoleManager, RoleFrontDesk}},
	{PermGuestsRead, "See and search guest profiles", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermGuestsWrite, "Create and edit guest profiles", []string{RoleOwner, RoleManager, RoleFrontDesk}},
	{PermGuestsExport, "Export everything stored about a guest (JSON and a ZIP of CSV files)", []string{RoleOwner, RoleManager}},
	{PermGuestsErase, "Anonymise a guest: personal data removed for good, the books kept", []string{RoleOwner, RoleManager}},
	{PermGuestsRestrict, "Restrict the processing of a guest's data, or lift the restriction", []string{RoleOwner, RoleManager}},
	{PermGuestsRestricted, "See and open guests whose processing is restricted (every read is audited)", []string{RoleOwner, RoleManager}},
	{PermFrontDeskWrite, "Check guests in and out, move rooms, extend stays, record early departures", []string{RoleOwner, RoleManager, RoleFrontDesk}},
	{PermIDDocumentsRead, "See ID documents and photos taken at check-in", []string{RoleOwner, RoleManager, RoleFrontDesk}},
	{PermHousekeepingRead, "See the housekeeping board", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleHousekeeping}},
	{PermHousekeepingWrite, "Mark rooms clean, dirty or inspected", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleHousekeeping}},
	{PermNightAuditRun, "Run the night audit and see its history", []string{RoleOwner, RoleManager}},
	{PermFoliosRead, "See folios, balances, payments, invoices and the cashier's day", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermFoliosWrite, "Post charges, products and allowances, move lines between folios", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermPaymentsWrite, "Record payments and refunds", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermInvoicesIssue, "Issue invoices", []string{RoleOwner, RoleManager, RoleFrontDesk, RoleAccountant}},
	{PermCreditNotes, "Issue credit notes that correct issued invoices", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermLedgerWrite, "Change the ledger settings: legal data, tax codes, categories, city tax, products", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermStripeWrite, "Set up the Stripe account: its keys and webhook signing secret", []string{RoleOwner, RoleManager}},
	{PermChannelsManage, "Manage channels: calendar exports and imports, the channel-manager connection, mappings, and what needs attention", []string{RoleOwner, RoleManager}},
	{PermReportsRead, "See and export reports: occupancy, ADR, RevPAR and revenue", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermStatementsWrite, "Generate channel and owner statements (numbered, immutable, recorded in the audit log)", []string{RoleOwner, RoleManager, RoleAccountant}},
	{PermOwnersRead, "See the owners of managed units with their contact and payout details (IBANs), and their contracts", []string{RoleOwner, RoleManager}},
	{PermOwnersWrite, "Add and change the owners of managed units, their payout details and their management contracts", []string{RoleOwner, RoleManager}},
}

// RoleCan reports whether role has permission p.
func RoleCan(role string, p Permission) bool {
	for _, row := range PermissionTable {
		if row.Permission == p {
			return slices.Contains(row.Roles, role)
		}
	}
	return false
}

// RolePermissions returns the permissions of role, in table order.
func RolePermissions(role string) []Permission {
	var ps []Permission
	for _, row := range PermissionTable {
		if slices.Contains(row.Roles, role) {
			ps = append(ps, row.Permission)
		}
	}
	return ps
}

// KnownPermission reports whether p is in the permission table.
func KnownPermission(p Permission) bool {
	for _, row := range PermissionTable {
		if row.Permission == p {
			return true
		}
	}
	return false
}

// ParseScopes parses a list of scopes separated by spaces or commas into
// sorted, de-duplicated permissions. It returns EINVALID (field "scopes")
// naming an unknown scope.
func ParseScopes(s string) ([]Permission, error) {
	var out []Permission
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' }) {
		p := Permission(f)
		if !KnownPermission(p) {
			return nil, aura.Invalid("Unknown scope "+f+".", aura.FieldError{Field: "scopes", Message: "unknown scope " + f})
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func joinScopes(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, " ")
}
