package identity

import (
	"bytes"
	"context"
	"database/sql"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
)

// RestoreInfo describes a point-in-time restore, as recorded in the first
// row of the epoch it starts.
type RestoreInfo struct {
	RequestedAt         *time.Time `json:"requested_at,omitempty"` // the time asked for; nil for the latest state
	PointTXID           uint64     `json:"point_txid"`             // the replica transaction reached
	PointAt             time.Time  `json:"point_at"`               // when that transaction was replicated
	RestoredSeq         int64      `json:"restored_seq"`           // the audit head of the restored file
	DiscardedThroughSeq int64      `json:"discarded_through_seq"`  // the audit head of the file it replaced
	DiscardedHeadHash   string     `json:"discarded_head_hash"`
	Archive             string     `json:"archive"` // where the replaced file was kept
	Epoch               int64      `json:"epoch"`   // the audit epoch the restore starts
}

// RestoreReport says what a restore re-applied so that no access revoked
// after the restore point came back.
type RestoreReport struct {
	SessionsDropped   int      `json:"sessions_dropped"`
	UsersUpdated      []string `json:"users_updated"`
	TokensRevoked     []string `json:"tokens_revoked"`
	InvitationsClosed int      `json:"invitations_closed"`
	// Recovery codes: marked used, deleted (two-factor turned off, or
	// re-enrolled with new codes, after the restore point) and taken over
	// from the replaced file (the codes of a second factor set up or
	// re-enrolled after the restore point, which wins).
	RecoveryCodesUsed    int `json:"recovery_codes_used"`
	RecoveryCodesRemoved int `json:"recovery_codes_removed"`
	RecoveryCodesAdded   int `json:"recovery_codes_added"`
	// First is the row that starts the new epoch, which the restore signs.
	First audit.Row `json:"-"`
}

// userSecurity is the part of a user row that grants or limits access.
type userSecurity struct {
	status, role, passwordHash string
	emailLookup                []byte
	totp                       []byte
	totpLastStep               int64
	privilegeVersion           int64
}

// narrowed returns the restored user with every later change that takes
// access away applied: disabled or removed, a role with fewer permissions,
// a new password (the newer hash wins: the old one may be what leaked), a
// second factor set up or replaced (the newer secret wins, for the same
// reason), and the newest TOTP step (no code is accepted twice). Later
// changes that grant access (enabled again, a bigger role, an accepted
// invitation) are not re-applied: a restore after a break-in must not keep
// what the intruder granted.
//
// A second factor turned off after the restore point, and not set up
// again, stays ON with the restored secret: turning it off lowered the bar
// to sign in, which is a grant (an intruder holding a session could have
// done it), while the restored secret alone, asked for on top of the
// password, re-opens nothing that the later state closed — whoever can
// sign in after the restore could sign in before it. The recovery codes go
// with the later state in every case (see StartRestoredEpoch): codes
// deleted after the restore point (two-factor turned off, or re-enrolled
// with new codes) never come back, so such a user signs in with the
// authenticator app that still holds the restored secret, or an owner
// removes and re-invites them.
//
// What a restore cannot undo: an intruder who changed both the password
// and the second factor holds the newer secrets, which win. A taken-over
// account is disabled or removed, not restored.
func narrowed(was, later userSecurity) (userSecurity, bool) {
	next := was
	if (later.status == "disabled" || later.status == "removed") && later.status != was.status {
		next.status = later.status
		if later.status == "removed" {
			next.emailLookup = later.emailLookup
		}
	}
	if later.role != was.role && fewerPermissions(later.role, was.role) {
		next.role = later.role
	}
	if later.passwordHash != "" && later.passwordHash != was.passwordHash && was.passwordHash != "" {
		next.passwordHash = later.passwordHash
	}
	if later.totp != nil && !bytes.Equal(later.totp, was.totp) {
		next.totp = later.totp
	}
	next.totpLastStep = max(was.totpLastStep, later.totpLastStep)
	changed := next.status != was.status || next.role != was.role || next.passwordHash != was.passwordHash ||
		!bytes.Equal(next.totp, was.totp) || !bytes.Equal(next.emailLookup, was.emailLookup)
	if changed {
		// Sessions of the old privilege version get a new id.
		next.privilegeVersion = max(was.privilegeVersion, later.privilegeVersion) + 1
	}
	return next, changed
}

// fewerPermissions reports whether role a can do strictly less than role b.
func fewerPermissions(a, b string) bool {
	pa, pb := RolePermissions(a), RolePermissions(b)
	if len(pa) >= len(pb) {
		return false
	}
	for _, p := range pa {
		if !RoleCan(b, p) {
			return false
		}
	}
	return true
}

// credentialState is the access-granting state of a tenant file.
type credentialState struct {
	users       map[string]userSecurity
	tokens      map[string]sql.NullString            // id -> revoked_at
	invitations map[string]bool                      // id -> still usable (unused and not revoked)
	codes       map[string]map[string]sql.NullString // user id -> code hash -> used_at
}

func readCredentialState(tx *tenant.Tx) (credentialState, error) {
	st := credentialState{users: map[string]userSecurity{}, tokens: map[string]sql.NullString{},
		invitations: map[string]bool{}, codes: map[string]map[string]sql.NullString{}}
	rows, err := tx.Query(`SELECT id, status, role, password_hash, email_lookup, totp_sealed, totp_last_step, privilege_version FROM users`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var id string
		var u userSecurity
		if err := rows.Scan(&id, &u.status, &u.role, &u.passwordHash, &u.emailLookup, &u.totp, &u.totpLastStep, &u.privilegeVersion); err != nil {
			rows.Close()
			return st, err
		}
		st.users[id] = u
	}
	rows.Close()
	if rows, err = tx.Query(`SELECT id, revoked_at FROM api_tokens`); err != nil {
		return st, err
	}
	for rows.Next() {
		var id string
		var revoked sql.NullString
		if err := rows.Scan(&id, &revoked); err != nil {
			rows.Close()
			return st, err
		}
		st.tokens[id] = revoked
	}
	rows.Close()
	if rows, err = tx.Query(`SELECT id, used_at IS NULL AND revoked_at IS NULL FROM invitations`); err != nil {
		return st, err
	}
	for rows.Next() {
		var id string
		var usable bool
		if err := rows.Scan(&id, &usable); err != nil {
			rows.Close()
			return st, err
		}
		st.invitations[id] = usable
	}
	rows.Close()
	if rows, err = tx.Query(`SELECT user_id, code_hash, used_at FROM recovery_codes`); err != nil {
		return st, err
	}
	for rows.Next() {
		var user string
		var hash []byte
		var used sql.NullString
		if err := rows.Scan(&user, &hash, &used); err != nil {
			rows.Close()
			return st, err
		}
		if st.codes[user] == nil {
			st.codes[user] = map[string]sql.NullString{}
		}
		st.codes[user][string(hash)] = used
	}
	rows.Close()
	return st, rows.Err()
}

// StartRestoredEpoch is run on a freshly restored tenant file, with the file
// it replaced (replaced, opened with OpenFile) still at hand. In one
// transaction it appends the row that starts a new audit epoch (action
// "tenant.restored", with info), drops every session, and re-applies every
// revocation the replaced file holds that the restored one does not:
// disabled or removed users, role downgrades, password and second-factor
// changes, revoked API tokens, used or revoked invitations — so a restore
// never gives back access that was taken away after the restore point (nor
// keeps access granted after it; see narrowed). Each user's recovery codes
// become those of the replaced file: codes used or deleted after the
// restore point (two-factor turned off or re-enrolled) stay unusable, and
// the codes of a second factor set up or re-enrolled after it come with
// its secret. Each re-application is an audit row.
func (db Store) StartRestoredEpoch(ctx context.Context, replaced *tenant.DB, info RestoreInfo) (RestoreReport, error) {
	var rep RestoreReport
	var latest credentialState
	if err := replaced.View(ctx, func(tx *tenant.Tx) error {
		var err error
		latest, err = readCredentialState(tx)
		return err
	}); err != nil {
		return rep, err
	}
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		rep = RestoreReport{UsersUpdated: []string{}, TokensRevoked: []string{}}
		first, err := tx.AuditEpoch(info.Epoch, audit.Entry{Action: "tenant.restored", EntityType: "tenant", EntityID: db.ID, After: info})
		if err != nil {
			return err
		}
		rep.First = first
		restored, err := readCredentialState(tx)
		if err != nil {
			return err
		}
		now := tx.Now.Format(time.RFC3339)
		res, err := tx.Exec(`DELETE FROM sessions`)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		rep.SessionsDropped = int(n)
		if err := tx.Audit(audit.Entry{Action: "session.revoked_all", EntityType: "tenant", EntityID: db.ID,
			After: map[string]any{"reason": "restore", "sessions": n}}); err != nil {
			return err
		}
		for id, was := range restored.users {
			later, ok := latest.users[id]
			if !ok {
				continue
			}
			next, changed := narrowed(was, later)
			if !changed {
				if next.totpLastStep != was.totpLastStep {
					// A code used after the restore point is not accepted again.
					if _, err := tx.Exec(`UPDATE users SET totp_last_step = ? WHERE id = ?`, next.totpLastStep, id); err != nil {
						return err
					}
				}
				continue
			}
			if _, err := tx.Exec(`UPDATE users SET status = ?, role = ?, password_hash = ?, email_lookup = ?, totp_sealed = ?,
				totp_pending_sealed = NULL, totp_last_step = ?, privilege_version = ?, updated_at = ? WHERE id = ?`,
				next.status, next.role, next.passwordHash, next.emailLookup, next.totp, next.totpLastStep, next.privilegeVersion, now, id); err != nil {
				return err
			}
			after := securityView(next)
			after["password_changed"] = next.passwordHash != was.passwordHash
			if err := tx.Audit(audit.Entry{Action: "user.revocation_reapplied", EntityType: "user", EntityID: id,
				Before: securityView(was), After: after}); err != nil {
				return err
			}
			rep.UsersUpdated = append(rep.UsersUpdated, id)
		}
		for id, revoked := range restored.tokens {
			if revoked.Valid {
				continue
			}
			later, exists := latest.tokens[id]
			if exists && !later.Valid {
				continue
			}
			at := now
			if later.Valid {
				at = later.String
			}
			if _, err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, at, id); err != nil {
				return err
			}
			if err := tx.Audit(audit.Entry{Action: "token.revocation_reapplied", EntityType: "token", EntityID: id,
				After: map[string]any{"revoked_at": at}}); err != nil {
				return err
			}
			rep.TokensRevoked = append(rep.TokensRevoked, id)
		}
		for id, usable := range restored.invitations {
			if !usable || latest.invitations[id] {
				continue
			}
			if _, err := tx.Exec(`UPDATE invitations SET revoked_at = ? WHERE id = ?`, now, id); err != nil {
				return err
			}
			if err := tx.Audit(audit.Entry{Action: "invitation.revocation_reapplied", EntityType: "invitation", EntityID: id}); err != nil {
				return err
			}
			rep.InvitationsClosed++
		}
		for id := range restored.users {
			if _, ok := latest.users[id]; !ok {
				continue
			}
			if err := reapplyRecoveryCodes(tx, id, restored.codes[id], latest.codes[id], now, &rep); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

// reapplyRecoveryCodes makes a user's recovery codes in the restored file
// (was) those of the replaced file (later): a code the later file does not
// hold was deleted after the restore point and goes; a code it marks used
// is marked used; a code only it holds belongs to a second factor set up or
// re-enrolled after the restore point, whose secret wins (narrowed), and is
// added. A code used in the restored file stays used. One audit row per
// user whose codes changed, with counts only.
func reapplyRecoveryCodes(tx *tenant.Tx, userID string, was, later map[string]sql.NullString, now string, rep *RestoreReport) error {
	var removed, used, added int
	for hash, wasUsed := range was {
		laterUsed, kept := later[hash]
		switch {
		case !kept:
			if _, err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, []byte(hash)); err != nil {
				return err
			}
			removed++
		case laterUsed.Valid && !wasUsed.Valid:
			if _, err := tx.Exec(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ?`, laterUsed.String, userID, []byte(hash)); err != nil {
				return err
			}
			used++
		}
	}
	for hash, laterUsed := range later {
		if _, ok := was[hash]; ok {
			continue
		}
		if _, err := tx.Exec(`INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, ?)`, userID, []byte(hash), laterUsed); err != nil {
			return err
		}
		added++
	}
	if removed+used+added == 0 {
		return nil
	}
	rep.RecoveryCodesRemoved += removed
	rep.RecoveryCodesUsed += used
	rep.RecoveryCodesAdded += added
	return tx.Audit(audit.Entry{Action: "recovery_codes.revocation_reapplied", EntityType: "user", EntityID: userID,
		After: map[string]any{"removed": removed, "marked_used": used, "added": added}})
}

// securityView is how a user's access appears in the audit row of a
// re-applied revocation: no credentials, no personal data.
func securityView(u userSecurity) map[string]any {
	return map[string]any{"status": u.status, "role": u.role, "two_factor": u.totp != nil,
		"password_set": u.passwordHash != "", "privilege_version": u.privilegeVersion}
}
