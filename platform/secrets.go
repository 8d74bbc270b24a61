package platform

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
)

// Names of the server secrets kept by Secret.
const (
	SecretPasswordPepper = "password-pepper" // the HMAC key of the password pre-hash
	SecretCookieHash     = "cookie-hash"     // authenticates session cookies (securecookie hash key)
	SecretCookieBlock    = "cookie-block"    // encrypts session cookies (securecookie block key)
	SecretPlatformSeal   = "platform-seal"   // seals personal data in the platform DB (staff emails, TOTP secrets)
)

// secretPrefix marks secrets in platform_meta; the rest of the key is the name.
const secretPrefix = "secret:"

// secrets caches unwrapped secrets; they never change once created (master
// key rotation re-wraps them without changing them).
type secretCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Secret returns the server secret called name: 32 random bytes created on
// first use and stored in platform_meta wrapped by the master key, so it
// survives restarts and master-key rotation (RotateMaster re-wraps it) and
// a copy of the data directory alone does not reveal it. Creating one is
// recorded in the platform chain (its name, never its value). It returns
// EINVALID for an empty name and EINTERNAL when a stored secret does not
// unwrap with the current master key.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, "\x00") {
		return nil, aura.Errorf(aura.EINVALID, "A secret needs a name.")
	}
	db.secrets.mu.Lock()
	defer db.secrets.mu.Unlock()
	if s, ok := db.secrets.m[name]; ok {
		return s, nil
	}
	label := secretPrefix + name
	var secret []byte
	err := db.Update(ctx, func(tx *Tx) error {
		var wrapped []byte
		err := tx.QueryRow(`SELECT value FROM platform_meta WHERE key = ?`, label).Scan(&wrapped)
		if err == nil {
			if secret, err = db.master.Unwrap(wrapped, label); err != nil {
				return aura.Errorf(aura.EINTERNAL, "The server secret %q does not unwrap with this master key.", name)
			}
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		secret = keys.NewKey()
		if _, err := tx.Exec(`INSERT INTO platform_meta (key, value) VALUES (?, ?)`, label, db.master.Wrap(secret, label)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "platform.secret_created", EntityType: "secret", EntityID: name,
			After: map[string]string{"name": name, "master_key_id": db.master.ID()}})
	})
	if err != nil {
		return nil, err
	}
	if db.secrets.m == nil {
		db.secrets.m = map[string][]byte{}
	}
	db.secrets.m[name] = secret
	return secret, nil
}

// rewrapSecrets re-wraps every stored secret under next inside tx; part of
// RotateMaster. It returns how many it re-wrapped.
func (db *DB) rewrapSecrets(tx *Tx, next *keys.MasterKey) (int, error) {
	rows, err := tx.Query(`SELECT key, value FROM platform_meta WHERE key LIKE 'secret:%'`)
	if err != nil {
		return 0, err
	}
	type kv struct {
		key     string
		wrapped []byte
	}
	var all []kv
	for rows.Next() {
		var r kv
		if err := rows.Scan(&r.key, &r.wrapped); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range all {
		raw, err := db.master.Unwrap(r.wrapped, r.key)
		if err != nil {
			return 0, aura.Errorf(aura.EINTERNAL, "The server secret %q cannot be unwrapped with the current master key; nothing was changed.", strings.TrimPrefix(r.key, secretPrefix))
		}
		if _, err := tx.Exec(`UPDATE platform_meta SET value = ? WHERE key = ?`, next.Wrap(raw, r.key), r.key); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// sealer returns the AEAD sealing personal data and secrets in the platform
// DB, derived from the platform-seal secret.
func (db *DB) sealer(ctx context.Context) (*keys.AEAD, []byte, error) {
	s, err := db.Secret(ctx, SecretPlatformSeal)
	if err != nil {
		return nil, nil, err
	}
	return keys.NewAEAD(keys.Derive(s, "platform-seal")), keys.Derive(s, "platform-lookup"), nil
}
