package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
)

// User statuses.
const (
	UserInvited  = "invited"  // invited, has not set a password yet
	UserActive   = "active"   // may sign in
	UserDisabled = "disabled" // may not sign in; sessions ended, tokens refused
	UserRemoved  = "removed"  // gone from the account; kept so audit rows still name them
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// User is an operator of the tenant (a person at the property).
type User struct {
	ID               string    `json:"id"`
	Email            string    `json:"email"`
	Name             string    `json:"name"`
	Role             string    `json:"role"`
	Status           string    `json:"status"`
	TOTPEnabled      bool      `json:"two_factor"`
	PrivilegeVersion int       `json:"-"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	LastLoginAt      time.Time `json:"last_login_at,omitzero"`

	passwordHash string
	totpSealed   []byte
	totpPending  []byte
	totpLastStep int64
}

// Can reports whether the user is active and their role has permission p.
func (u User) Can(p Permission) bool { return u.Status == UserActive && RoleCan(u.Role, p) }

// Label returns "Name <email>", or the email alone when the name is empty.
func (u User) Label() string {
	if u.Name == "" {
		return u.Email
	}
	return u.Name + " <" + u.Email + ">"
}

// Actor returns the user as the actor of changes they make.
func (u User) Actor() aura.Actor { return aura.Actor{Kind: aura.ActorUser, ID: u.ID} }

// NewUser is what creating or inviting a user needs. Password is set only
// when the user is created with one (the first owner from the command line).
type NewUser struct {
	Email    string
	Name     string
	Role     string
	Password string
}

// NormalizeEmail checks an email address and returns it trimmed and
// lowercased. It returns EINVALID (field "email") for anything else.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	bad := func() error {
		return aura.Invalid("Enter a valid email address, like ana@example.com.", aura.FieldError{Field: "email", Message: "enter a valid email address"})
	}
	if e == "" || len(e) > 254 || strings.ContainsAny(e, " <>\"(),;") {
		return "", bad()
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", bad()
	}
	return e, nil
}

func validateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return "", aura.Invalid("A name is at most 100 characters on one line.", aura.FieldError{Field: "name", Message: "at most 100 characters"})
	}
	return name, nil
}

// emailLookup returns the keyed hash by which a user is found from the
// email they type; the email itself is only stored sealed.
func (db Store) emailLookup(email string) []byte {
	m := hmac.New(sha256.New, db.DerivedKey("user-email-lookup"))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return m.Sum(nil)
}

const userColumns = `id, email_sealed, name_sealed, role, status, password_hash, totp_sealed, totp_pending_sealed,
	totp_last_step, privilege_version, created_at, updated_at, last_login_at`

func (db Store) scanUser(s interface{ Scan(...any) error }) (User, error) {
	var u User
	var email, name []byte
	var created, updated string
	var last sql.NullString
	if err := s.Scan(&u.ID, &email, &name, &u.Role, &u.Status, &u.passwordHash, &u.totpSealed, &u.totpPending,
		&u.totpLastStep, &u.PrivilegeVersion, &created, &updated, &last); err != nil {
		return u, err
	}
	e, err := db.Unseal("users", "email", u.ID, email)
	if err != nil {
		return u, err
	}
	n, err := db.Unseal("users", "name", u.ID, name)
	if err != nil {
		return u, err
	}
	u.Email, u.Name = string(e), string(n)
	u.TOTPEnabled = u.totpSealed != nil
	u.CreatedAt = tenant.ParseTime(created)
	u.UpdatedAt = tenant.ParseTime(updated)
	if last.Valid {
		u.LastLoginAt = tenant.ParseTime(last.String)
	}
	return u, nil
}

func (db Store) userByID(tx *tenant.Tx, id string) (User, error) {
	u, err := db.scanUser(tx.QueryRow(`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return u, aura.Errorf(aura.ENOTFOUND, "No such user.")
	}
	return u, err
}

func (db Store) userByEmail(tx *tenant.Tx, email string) (User, error) {
	u, err := db.scanUser(tx.QueryRow(`SELECT `+userColumns+` FROM users WHERE email_lookup = ?`, db.emailLookup(email)))
	if err == sql.ErrNoRows {
		return u, aura.Errorf(aura.ENOTFOUND, "No such user.")
	}
	return u, err
}

// userAudit is how a user appears in audit rows: personal fields sealed.
func (db Store) userAudit(u User) map[string]any {
	return map[string]any{
		"id":         u.ID,
		"email":      db.AuditSeal(u.ID, "email", u.Email),
		"name":       db.AuditSeal(u.ID, "name", u.Name),
		"role":       u.Role,
		"status":     u.Status,
		"two_factor": u.TOTPEnabled,
	}
}

// User returns the user with id (removed users included), or ENOTFOUND.
func (db Store) User(ctx context.Context, id string) (User, error) {
	var u User
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		u, err = db.userByID(tx, id)
		return err
	})
	return u, err
}

// Users returns the tenant's users that are not removed, by creation time.
func (db Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT ` + userColumns + ` FROM users WHERE status <> 'removed' ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := db.scanUser(rows)
			if err != nil {
				return err
			}
			us = append(us, u)
		}
		return rows.Err()
	})
	return us, err
}

// UserLabels returns "Name <email>" of every user ever created (removed ones
// too), by id, for showing who did what in the audit log.
func (db Store) UserLabels(ctx context.Context) (map[string]string, error) {
	m := map[string]string{}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT ` + userColumns + ` FROM users`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := db.scanUser(rows)
			if err != nil {
				return err
			}
			m[u.ID] = u.Label()
		}
		return rows.Err()
	})
	return m, err
}

// CreateUser creates an active user with a password (the first owner, made
// from the command line). It returns EINVALID for a bad email, name, role
// or password and ECONFLICT when the email already has a user.
func (db Store) CreateUser(ctx context.Context, h credential.Hasher, nu NewUser) (User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	name, err := validateName(nu.Name)
	if err != nil {
		return User{}, err
	}
	if !ValidRole(nu.Role) {
		return User{}, aura.Invalid("Choose a role.", aura.FieldError{Field: "role", Message: "choose one of the roles"})
	}
	if err := credential.ValidatePassword(nu.Password, email); err != nil {
		return User{}, err
	}
	hash, err := h.Hash(nu.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = db.Update(ctx, func(tx *tenant.Tx) error {
		if _, err := db.userByEmail(tx, email); err == nil {
			return aura.Errorf(aura.ECONFLICT, "%s already has a user in this account.", email)
		}
		id := aura.NewID("usr")
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO users (id, email_lookup, email_sealed, name_sealed, role, status, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)`, id, db.emailLookup(email), db.Seal("users", "email", id, []byte(email)),
			db.Seal("users", "name", id, []byte(name)), nu.Role, hash, now, now); err != nil {
			return err
		}
		var err error
		if u, err = db.userByID(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "user.created", EntityType: "user", EntityID: id, After: db.userAudit(u)})
	})
	return u, err
}

// InviteUser invites a person by email: it creates the user (status
// invited) and a single-use invitation whose token, returned once, goes
// into the link; only its SHA-256 is stored. Inviting an address that is
// already invited issues a new link and revokes the old one. It returns
// EINVALID for a bad email, name or role and ECONFLICT when the address
// already belongs to an active or disabled user.
func (db Store) InviteUser(ctx context.Context, nu NewUser) (User, string, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, "", err
	}
	name, err := validateName(nu.Name)
	if err != nil {
		return User{}, "", err
	}
	if !ValidRole(nu.Role) {
		return User{}, "", aura.Invalid("Choose a role.", aura.FieldError{Field: "role", Message: "choose one of the roles"})
	}
	var u User
	var token string
	err = db.Update(ctx, func(tx *tenant.Tx) error {
		existing, err := db.userByEmail(tx, email)
		switch {
		case err == nil && existing.Status != UserInvited:
			return aura.Invalid(email+" already has a user in this account.", aura.FieldError{Field: "email", Message: "already a user of this account"})
		case err == nil:
			before := db.userAudit(existing)
			if _, err := tx.Exec(`UPDATE users SET role = ?, name_sealed = ?, updated_at = ? WHERE id = ?`,
				nu.Role, db.Seal("users", "name", existing.ID, []byte(name)), tenant.FormatTime(tx.Now), existing.ID); err != nil {
				return err
			}
			if u, err = db.userByID(tx, existing.ID); err != nil {
				return err
			}
			if token, err = db.newInvitation(tx, u.ID); err != nil {
				return err
			}
			return tx.Audit(audit.Entry{Action: "user.reinvited", EntityType: "user", EntityID: u.ID, Before: before, After: db.userAudit(u)})
		case aura.ErrorCode(err) != aura.ENOTFOUND:
			return err
		}
		id := aura.NewID("usr")
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO users (id, email_lookup, email_sealed, name_sealed, role, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'invited', ?, ?)`, id, db.emailLookup(email), db.Seal("users", "email", id, []byte(email)),
			db.Seal("users", "name", id, []byte(name)), nu.Role, now, now); err != nil {
			return err
		}
		if u, err = db.userByID(tx, id); err != nil {
			return err
		}
		if token, err = db.newInvitation(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "user.invited", EntityType: "user", EntityID: id, After: db.userAudit(u)})
	})
	return u, token, err
}

// ReinviteUser issues a new invitation link for a user who has not accepted
// theirs yet, revoking the old one. It returns ENOTFOUND for an unknown user
// and ECONFLICT for a user who is not in the invited state.
func (db Store) ReinviteUser(ctx context.Context, id string) (User, string, error) {
	var u User
	var token string
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		if u, err = db.userByID(tx, id); err != nil {
			return err
		}
		if u.Status != UserInvited {
			return aura.Errorf(aura.ECONFLICT, "%s has already accepted their invitation.", u.Email)
		}
		if token, err = db.newInvitation(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "user.reinvited", EntityType: "user", EntityID: id, After: db.userAudit(u)})
	})
	return u, token, err
}

// newInvitation revokes the user's open invitations and creates a new one,
// returning its token.
func (db Store) newInvitation(tx *tenant.Tx, userID string) (string, error) {
	if _, err := tx.Exec(`UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`, tenant.FormatTime(tx.Now), userID); err != nil {
		return "", err
	}
	token := credential.RandomString(32)
	_, err := tx.Exec(`INSERT INTO invitations (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		aura.NewID("inv"), credential.HashSecret(token), userID, tenant.FormatTime(tx.Now), tenant.FormatTime(tx.Now.Add(InvitationTTL)))
	return token, err
}

var errInvitation = aura.Errorf(aura.ENOTFOUND, "This invitation link is not valid: it was already used, replaced by a newer one, or it has expired. Ask for a new invitation.")

func (db Store) invitation(tx *tenant.Tx, token string) (string, User, error) {
	var invID, userID, expires string
	err := tx.QueryRow(`SELECT id, user_id, expires_at FROM invitations WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL`,
		credential.HashSecret(token)).Scan(&invID, &userID, &expires)
	if err == sql.ErrNoRows {
		return "", User{}, errInvitation
	} else if err != nil {
		return "", User{}, err
	}
	if !tx.Now.Before(tenant.ParseTime(expires)) {
		return "", User{}, errInvitation
	}
	u, err := db.userByID(tx, userID)
	if err != nil {
		return "", User{}, err
	}
	if u.Status != UserInvited {
		return "", User{}, errInvitation
	}
	return invID, u, nil
}

// InvitationUser returns the user an invitation token invites, or ENOTFOUND
// when the token is unknown, used, revoked or expired.
func (db Store) InvitationUser(ctx context.Context, token string) (User, error) {
	var u User
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		_, u, err = db.invitation(tx, token)
		return err
	})
	return u, err
}

// AcceptInvitation sets the invited user's name and password and activates
// them; the invitation can never be used again. It returns ENOTFOUND for an
// invalid token and EINVALID for a bad name or password.
func (db Store) AcceptInvitation(ctx context.Context, h credential.Hasher, token, name, password string) (User, error) {
	invited, err := db.InvitationUser(ctx, token)
	if err != nil {
		return User{}, err
	}
	if name, err = validateName(name); err != nil {
		return User{}, err
	}
	if err := credential.ValidatePassword(password, invited.Email); err != nil {
		return User{}, err
	}
	hash, err := h.Hash(password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = db.Update(aura.WithActor(ctx, invited.Actor()), func(tx *tenant.Tx) error {
		invID, before, err := db.invitation(tx, token)
		if err != nil {
			return err
		}
		if name == "" {
			name = before.Name
		}
		if _, err := tx.Exec(`UPDATE invitations SET used_at = ? WHERE id = ?`, tenant.FormatTime(tx.Now), invID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET status = 'active', password_hash = ?, name_sealed = ?, updated_at = ? WHERE id = ?`,
			hash, db.Seal("users", "name", before.ID, []byte(name)), tenant.FormatTime(tx.Now), before.ID); err != nil {
			return err
		}
		if u, err = db.userByID(tx, before.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "user.invitation_accepted", EntityType: "user", EntityID: u.ID, Before: db.userAudit(before), After: db.userAudit(u)})
	})
	return u, err
}

// activeOwnersExcept counts active owners other than id.
func activeOwnersExcept(tx *tenant.Tx, id string) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT count(*) FROM users WHERE role = 'owner' AND status = 'active' AND id <> ?`, id).Scan(&n)
	return n, err
}

var errLastOwner = aura.Errorf(aura.ECONFLICT, "An account needs at least one active owner. Make someone else an owner first.")

// changeUser runs one change to a user in a transaction: fn gets the user
// before the change and performs it; the audit row records before and after.
func (db Store) changeUser(ctx context.Context, id, action string, fn func(tx *tenant.Tx, before User) error) (User, error) {
	var u User
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := db.userByID(tx, id)
		if err != nil {
			return err
		}
		if before.Status == UserRemoved {
			return aura.Errorf(aura.ENOTFOUND, "No such user.")
		}
		if err := fn(tx, before); err != nil {
			return err
		}
		if u, err = db.userByID(tx, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: action, EntityType: "user", EntityID: id, Before: db.userAudit(before), After: db.userAudit(u)})
	})
	return u, err
}

// SetRole changes a user's role. Their sessions get a new id on their next
// request, because their privileges changed. It returns ENOTFOUND for an
// unknown user, EINVALID for an unknown role and ECONFLICT when it would
// leave the account without an active owner.
func (db Store) SetRole(ctx context.Context, id, role string) (User, error) {
	if !ValidRole(role) {
		return User{}, aura.Invalid("Choose a role.", aura.FieldError{Field: "role", Message: "choose one of the roles"})
	}
	return db.changeUser(ctx, id, "user.role_changed", func(tx *tenant.Tx, before User) error {
		if before.Role == role {
			return nil
		}
		if before.Role == RoleOwner && before.Status == UserActive {
			if n, err := activeOwnersExcept(tx, id); err != nil {
				return err
			} else if n == 0 {
				return errLastOwner
			}
		}
		_, err := tx.Exec(`UPDATE users SET role = ?, privilege_version = privilege_version + 1, updated_at = ? WHERE id = ?`, role, tenant.FormatTime(tx.Now), id)
		return err
	})
}

// DisableUser stops a user from signing in and ends every session they
// have; their API tokens stop working while they are disabled. It returns
// ENOTFOUND for an unknown user and ECONFLICT for the last active owner.
func (db Store) DisableUser(ctx context.Context, id string) (User, error) {
	return db.changeUser(ctx, id, "user.disabled", func(tx *tenant.Tx, before User) error {
		if before.Role == RoleOwner && before.Status == UserActive {
			if n, err := activeOwnersExcept(tx, id); err != nil {
				return err
			} else if n == 0 {
				return errLastOwner
			}
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE users SET status = 'disabled', updated_at = ? WHERE id = ?`, tenant.FormatTime(tx.Now), id)
		return err
	})
}

// EnableUser lets a disabled user sign in again. A user who never accepted
// their invitation goes back to invited (and needs a new link). It returns
// ENOTFOUND for an unknown user and ECONFLICT for a user who is not disabled.
func (db Store) EnableUser(ctx context.Context, id string) (User, error) {
	return db.changeUser(ctx, id, "user.enabled", func(tx *tenant.Tx, before User) error {
		if before.Status != UserDisabled {
			return aura.Errorf(aura.ECONFLICT, "%s is not disabled.", before.Email)
		}
		status := UserActive
		if before.passwordHash == "" {
			status = UserInvited
		}
		_, err := tx.Exec(`UPDATE users SET status = ?, privilege_version = privilege_version + 1, updated_at = ? WHERE id = ?`, status, tenant.FormatTime(tx.Now), id)
		return err
	})
}

// RemoveUser removes a user from the account: sessions end, API tokens and
// invitations are revoked, and the email address is freed for a new
// invitation. The row stays (sealed) so audit rows still name who acted. It
// returns ENOTFOUND for an unknown user and ECONFLICT for the last active
// owner.
func (db Store) RemoveUser(ctx context.Context, id string) (User, error) {
	return db.changeUser(ctx, id, "user.removed", func(tx *tenant.Tx, before User) error {
		if before.Role == RoleOwner && before.Status == UserActive {
			if n, err := activeOwnersExcept(tx, id); err != nil {
				return err
			} else if n == 0 {
				return errLastOwner
			}
		}
		now := tenant.FormatTime(tx.Now)
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = ?`,
			`DELETE FROM recovery_codes WHERE user_id = ?`,
		} {
			if _, err := tx.Exec(q, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`, now, id); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE users SET status = 'removed', email_lookup = NULL, password_hash = '', totp_sealed = NULL,
			totp_pending_sealed = NULL, updated_at = ? WHERE id = ?`, now, id)
		return err
	})
}

// ChangePassword sets a new password after checking the current one, and
// ends the user's other sessions (keepSessionID stays signed in). It
// returns EINVALID on the field current_password for a wrong current
// password (the server counts those against the sign-in throttle), and
// EINVALID on the new password's field for one that breaks the rules.
func (db Store) ChangePassword(ctx context.Context, h credential.Hasher, userID, current, next, keepSessionID string) error {
	u, err := db.User(ctx, userID)
	if err != nil {
		return err
	}
	if !h.Verify(u.passwordHash, current) {
		return aura.Invalid("The current password is not correct.", aura.FieldError{Field: "current_password", Message: "not correct"})
	}
	if err := credential.ValidatePassword(next, u.Email); err != nil {
		return err
	}
	hash, err := h.Hash(next)
	if err != nil {
		return err
	}
	_, err = db.changeUser(ctx, userID, "user.password_changed", func(tx *tenant.Tx, before User) error {
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepSessionID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, tenant.FormatTime(tx.Now), userID)
		return err
	})
	return err
}
