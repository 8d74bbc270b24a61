package identity

import (
	"context"
	"database/sql"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
)

// SettingRequire2FA is the tenant setting by which an owner requires
// two-factor authentication of every user.
const SettingRequire2FA = "security.require_2fa"

var errCode = aura.Invalid("The code is not correct, or it was already used. Enter the current code from your authenticator app, or one of your recovery codes.",
	aura.FieldError{Field: "code", Message: "not correct or already used"})

// checkSecondFactor checks a TOTP code (recording its step, so it can never
// be used again) or an unused recovery code (marking it used). It returns
// how the user authenticated ("totp" or "recovery_code") or EINVALID.
func (db Store) checkSecondFactor(tx *tenant.Tx, u User, code string) (string, error) {
	if credential.LooksLikeRecoveryCode(code) {
		res, err := tx.Exec(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
			tenant.FormatTime(tx.Now), u.ID, credential.HashRecoveryCode(code))
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", errCode
		}
		return "recovery_code", nil
	}
	secret, err := db.Unseal("users", "totp", u.ID, u.totpSealed)
	if err != nil {
		return "", err
	}
	step, ok := credential.VerifyTOTP(secret, code, tx.Now, u.totpLastStep)
	if !ok {
		return "", errCode
	}
	if _, err := tx.Exec(`UPDATE users SET totp_last_step = ? WHERE id = ?`, step, u.ID); err != nil {
		return "", err
	}
	return "totp", nil
}

// Require2FA reports whether the tenant requires two-factor authentication
// of every user.
func (db Store) Require2FA(ctx context.Context) (bool, error) {
	s, err := db.GetSetting(ctx, SettingRequire2FA)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return string(s.Value) == "true", nil
}

// SetRequire2FA turns the two-factor requirement on or off (audited as a
// setting change).
func (db Store) SetRequire2FA(ctx context.Context, on bool) error {
	v := "false"
	if on {
		v = "true"
	}
	return db.SetSetting(ctx, tenant.Setting{Key: SettingRequire2FA, Value: []byte(v)})
}

// BeginTOTP starts enrolling a TOTP second factor: it creates a secret,
// keeps it sealed as pending, and returns it for the authenticator app. It
// returns ECONFLICT when the user already has two-factor authentication.
func (db Store) BeginTOTP(ctx context.Context, userID string) ([]byte, error) {
	secret := credential.NewTOTPSecret()
	_, err := db.changeUser(ctx, userID, "user.2fa_setup_started", func(tx *tenant.Tx, before User) error {
		if before.TOTPEnabled {
			return aura.Errorf(aura.ECONFLICT, "Two-factor authentication is already on.")
		}
		_, err := tx.Exec(`UPDATE users SET totp_pending_sealed = ?, updated_at = ? WHERE id = ?`,
			db.Seal("users", "totp_pending", userID, secret), tenant.FormatTime(tx.Now), userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return secret, nil
}

// PendingTOTP returns the secret being enrolled, or ENOTFOUND when none is.
func (db Store) PendingTOTP(ctx context.Context, userID string) ([]byte, error) {
	u, err := db.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.totpPending == nil {
		return nil, aura.Errorf(aura.ENOTFOUND, "No two-factor set-up is in progress.")
	}
	return db.Unseal("users", "totp_pending", userID, u.totpPending)
}

// ConfirmTOTP finishes enrolment with a code from the authenticator app:
// two-factor authentication is on from now, the code's step is recorded,
// and fresh recovery codes are returned once (only their hashes are kept).
// It returns EINVALID for a wrong code and ENOTFOUND without a pending
// enrolment.
func (db Store) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	codes := credential.NewRecoveryCodes(credential.RecoveryCodeCount)
	_, err := db.changeUser(ctx, userID, "user.2fa_enabled", func(tx *tenant.Tx, before User) error {
		if before.totpPending == nil {
			return aura.Errorf(aura.ENOTFOUND, "No two-factor set-up is in progress; start again.")
		}
		secret, err := db.Unseal("users", "totp_pending", userID, before.totpPending)
		if err != nil {
			return err
		}
		step, ok := credential.VerifyTOTP(secret, code, tx.Now, 0)
		if !ok {
			return errCode
		}
		if _, err := tx.Exec(`UPDATE users SET totp_sealed = ?, totp_pending_sealed = NULL, totp_last_step = ?,
			privilege_version = privilege_version + 1, updated_at = ? WHERE id = ?`,
			db.Seal("users", "totp", userID, secret), step, tenant.FormatTime(tx.Now), userID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.Exec(`INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, credential.HashRecoveryCode(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns two-factor authentication off after checking a current
// code, and deletes the recovery codes. It returns EINVALID for a wrong
// code, ECONFLICT when the tenant requires two-factor authentication or the
// user has none.
func (db Store) DisableTOTP(ctx context.Context, userID, code string) error {
	required, err := db.Require2FA(ctx)
	if err != nil {
		return err
	}
	if required {
		return aura.Errorf(aura.ECONFLICT, "This account requires two-factor authentication for every user, so it cannot be turned off.")
	}
	var fail error
	_, err = db.changeUser(ctx, userID, "user.2fa_disabled", func(tx *tenant.Tx, before User) error {
		if !before.TOTPEnabled {
			return aura.Errorf(aura.ECONFLICT, "Two-factor authentication is not on.")
		}
		if _, err := db.checkSecondFactor(tx, before, code); err != nil {
			fail = err
			return err
		}
		if _, err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE users SET totp_sealed = NULL, updated_at = ? WHERE id = ?`, tenant.FormatTime(tx.Now), userID)
		return err
	})
	if fail != nil {
		return fail
	}
	return err
}

// RecoveryCodesLeft returns how many unused recovery codes the user has.
func (db Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	err := db.View(ctx, func(tx *tenant.Tx) error {
		err := tx.QueryRow(`SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	return n, err
}
