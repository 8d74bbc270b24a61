package tenant

import (
	"bytes"
	"context"
	"database/sql"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
)

// Setting is one tenant-wide setting. Sealed settings hold secrets (for
// example an integration's API key) and are stored encrypted.
type Setting struct {
	Key    string
	Value  []byte
	Sealed bool
}

// SetSetting stores a setting and audits the change. A sealed value is
// recorded in the audit row only as "(sealed)", never in plaintext.
func (db *DB) SetSetting(ctx context.Context, s Setting) error {
	if s.Key == "" || len(s.Key) > 100 {
		return aura.Invalid("A setting needs a key of 1 to 100 characters.", aura.FieldError{Field: "key", Message: "1 to 100 characters"})
	}
	return db.Update(ctx, func(tx *Tx) error {
		before, err := db.setting(tx, s.Key)
		if err != nil && aura.ErrorCode(err) != aura.ENOTFOUND {
			return err
		}
		stored := s.Value
		if s.Sealed {
			stored = db.Seal("settings", "value", s.Key, s.Value)
		}
		if _, err := tx.Exec(`INSERT INTO settings (key, value, sealed, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, sealed = excluded.sealed, updated_at = excluded.updated_at`,
			s.Key, stored, s.Sealed, tx.Now.Format(audit.TimeFormat)); err != nil {
			return err
		}
		var b any
		if err == nil {
			b = settingAudit(before)
		}
		return tx.Audit(audit.Entry{Action: "setting.changed", EntityType: "setting", EntityID: s.Key, Before: b, After: settingAudit(s)})
	})
}

// GetSetting returns a setting with its value unsealed, or ENOTFOUND.
func (db *DB) GetSetting(ctx context.Context, key string) (Setting, error) {
	var s Setting
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		s, err = db.setting(tx, key)
		return err
	})
	return s, err
}

func (db *DB) setting(tx *Tx, key string) (Setting, error) {
	s := Setting{Key: key}
	err := tx.QueryRow(`SELECT value, sealed FROM settings WHERE key = ?`, key).Scan(&s.Value, &s.Sealed)
	if err == sql.ErrNoRows {
		return s, aura.Errorf(aura.ENOTFOUND, "No setting %q.", key)
	} else if err != nil {
		return s, err
	}
	if s.Sealed {
		pt, err := db.Unseal("settings", "value", key, s.Value)
		if err != nil {
			return s, err
		}
		s.Value = pt
	}
	return s, nil
}

func settingAudit(s Setting) map[string]any {
	if s.Sealed {
		return map[string]any{"key": s.Key, "value": "(sealed)"}
	}
	return map[string]any{"key": s.Key, "value": string(bytes.ToValidUTF8(s.Value, []byte("?")))}
}
