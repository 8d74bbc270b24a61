package tenant

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
