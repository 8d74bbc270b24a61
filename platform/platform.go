// Package platform owns the platform index DB: the tenant registry with each
// tenant's wrapped data key, the signed checkpoints of tenant audit chains,
// and the platform's own audit chain. It never opens a tenant file.
package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// ChainID is the id of the platform's own audit chain.
const ChainID = "platform"

// keyCheckLabel and keyCheckText form the value that proves a master key is
// the one this platform DB was set up with.
const (
	keyCheckLabel = "master-key-check"
	keyCheckText  = "aura master key check v1"
)

// DB is the open platform index.
type DB struct {
	chain   *sqlite.Chain
	master  *keys.MasterKey
	secrets secretCache
	tenants tenantCache
}

// Tx is a transaction on the platform DB.
type Tx = sqlite.Tx

// Open opens (creating when absent) the platform DB at path. When the file
// already holds a key check, the master key is verified against it before
// anything is written, so a wrong key stops start-up with a clear message and
// changes nothing. Pending migrations are applied after that check.
func Open(ctx context.Context, path string, master *keys.MasterKey) (*DB, error) {
	fresh := false
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fresh = true
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create the data directory: %w", err)
		}
	}
	if !fresh {
		if err := CheckMasterKey(ctx, path, master); err != nil {
			return nil, err
		}
	}
	sdb, err := sqlite.Open(path, sqlite.Options{ReadConns: 4})
	if err != nil {
		return nil, err
	}
	if _, err := schema.Migrate(ctx, sdb.Write, schema.Platform, path); err != nil {
		sdb.Close()
		return nil, err
	}
	db := &DB{chain: &sqlite.Chain{DB: sdb, ID: ChainID}, master: master, tenants: tenantCache{path: path}}
	if err := db.ensureKeyCheck(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// CheckMasterKey opens an existing platform DB read-only and checks that
// master is its key, without migrating or writing anything. It returns
// EUNAUTHORIZED for a wrong key; a missing file passes.
func CheckMasterKey(ctx context.Context, path string, master *keys.MasterKey) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	sdb, err := sqlite.Open(path, sqlite.Options{ReadOnly: true, ReadConns: 1})
	if err != nil {
		return fmt.Errorf("open platform DB %s: %w", path, err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.Read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'platform_meta'`).Scan(&n); err != nil {
		return fmt.Errorf("read platform DB %s: %w", path, err)
	}
	if n == 0 {
		return nil
	}
	var wrapped []byte
	err = sdb.Read.QueryRowContext(ctx, `SELECT value FROM platform_meta WHERE key = ?`, keyCheckLabel).Scan(&wrapped)
	if err == sql.ErrNoRows {
		return nil
	} else if err != nil {
		return err
	}
	if pt, err := master.Unwrap(wrapped, keyCheckLabel); err != nil || string(pt) != keyCheckText {
		return aura.Errorf(aura.EUNAUTHORIZED, "The master key (fingerprint %s) is not the key of this data directory; start with the right --master-key-file. Nothing was changed.", master.ID())
	}
	return nil
}

func (db *DB) ensureKeyCheck(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM platform_meta WHERE key = ?`, keyCheckLabel).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO platform_meta (key, value) VALUES (?, ?)`, keyCheckLabel, db.master.Wrap([]byte(keyCheckText), keyCheckLabel)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "platform.initialised", EntityType: "platform", EntityID: ChainID,
			After: map[string]string{"master_key_id": db.master.ID()}})
	})
}

// CheckWritable takes the platform DB's write lock and lets it go at once
// (BEGIN IMMEDIATE, ROLLBACK): it fails when the file cannot be written or
// the lock is not had within the busy timeout. /readyz calls it.
func (db *DB) CheckWritable(ctx context.Context) error {
	conn, err := db.chain.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("the platform DB is not writable: %w", err)
	}
	_, err = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	return err
}

// Close closes the platform DB.
func (db *DB) Close() error {
	db.tenants.close()
	return db.chain.Close()
}

// SQL returns the underlying pools (for replication and backups).
func (db *DB) SQL() *sqlite.DB { return db.chain.DB }

// Update runs fn in a write transaction on the platform DB.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return db.chain.Update(ctx, fn)
}

// View runs fn in a read transaction on the platform DB.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error { return db.chain.View(ctx, fn) }

// SetClock replaces the clock of platform transactions (tests only).
func (db *DB) SetClock(now func() time.Time) { db.chain.Now = now }

// DataVersion returns SQLite's data_version of the platform file, which
// changes when another process commits to it. The server polls it to notice
// `aura tenant suspend` and similar commands run beside it.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	conn, err := db.chain.Write.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var v int64
	err = conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}

// VerifyAudit verifies the platform's own audit chain against its
// checkpoint log (checked with audit.CheckLog by the caller).
func (db *DB) VerifyAudit(ctx context.Context, log []audit.Checkpoint) (audit.Result, error) {
	return audit.Verify(ctx, db.chain.Read, ChainID, log)
}

// AuditHead returns the position of the newest row of the platform's chain.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	return audit.ReadHead(ctx, db.chain.Read, ChainID)
}

// AuditRows returns read access to the platform's chain, for checks that
// walk part of it (audit.VerifySince).
func (db *DB) AuditRows() audit.Querier { return db.chain.Read }

// MasterKeyID returns the fingerprint of the master key in use.
func (db *DB) MasterKeyID() string { return db.master.ID() }

// RotateMaster re-wraps every tenant data key, every server secret (see
// Secret) and the key check under next, in one transaction, without
// touching tenant files. After it returns, only next opens this platform DB.
func (db *DB) RotateMaster(ctx context.Context, next *keys.MasterKey) (int, error) {
	if next.ID() == db.master.ID() {
		return 0, aura.Errorf(aura.EINVALID, "The new master key is the same as the current one.")
	}
	n := 0
	err := db.Update(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT id, key_wrapped FROM tenants WHERE key_wrapped IS NOT NULL`)
		if err != nil {
			return err
		}
		type rewrap struct {
			id      string
			wrapped []byte
		}
		var all []rewrap
		for rows.Next() {
			var r rewrap
			if err := rows.Scan(&r.id, &r.wrapped); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			raw, err := db.master.Unwrap(r.wrapped, r.id)
			if err != nil {
				return aura.Errorf(aura.EINTERNAL, "The data key of tenant %s cannot be unwrapped with the current master key; nothing was changed.", r.id)
			}
			if _, err := tx.Exec(`UPDATE tenants SET key_wrapped = ?, master_key_id = ?, updated_at = ? WHERE id = ?`,
				next.Wrap(raw, r.id), next.ID(), tx.Now.Format(time.RFC3339), r.id); err != nil {
				return err
			}
			n++
		}
		secrets, err := db.rewrapSecrets(tx, next)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE platform_meta SET value = ? WHERE key = ?`, next.Wrap([]byte(keyCheckText), keyCheckLabel), keyCheckLabel); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "platform.master_key_rotated", EntityType: "platform", EntityID: ChainID,
			Before: map[string]string{"master_key_id": db.master.ID()},
			After:  map[string]any{"master_key_id": next.ID(), "tenant_keys": n, "server_secrets": secrets}})
	})
	if err != nil {
		return 0, err
	}
	db.master = next
	return n, nil
}

// slugPattern is lowercase letters, digits and inner hyphens, 3 to 40 characters.
var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$`)

// reserved are words a tenant slug may not be, because they name (or may one
// day name) top-level routes or would mislead users.
var reserved = map[string]bool{
	"platform": true, "static": true, "api": true, "login": true, "logout": true, "healthz": true, "readyz": true,
	"admin": true, "assets": true, "well-known": true, "www": true, "app": true, "auth": true,
	"account": true, "accounts": true, "signup": true, "register": true, "settings": true,
	"help": true, "support": true, "status": true, "docs": true, "robots-txt": true,
	"favicon-ico": true, "security": true, "root": true, "system": true, "aura": true,
	"metrics": true, "debug": true, "invite": true, "invites": true, "tenant": true, "tenants": true,
	"ical": true, // /ical/{token}.ics, exported calendars
}

// ValidateSlug returns EINVALID with a reason when slug cannot name a tenant.
func ValidateSlug(slug string) error {
	if !slugPattern.MatchString(slug) || strings.Contains(slug, "--") {
		return aura.Invalid("A tenant slug is 3 to 40 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.",
			aura.FieldError{Field: "slug", Message: "use 3–40 characters: a–z, 0–9 and single hyphens"})
	}
	if reserved[slug] {
		return aura.Invalid(fmt.Sprintf("%q is reserved and cannot be a tenant slug.", slug),
			aura.FieldError{Field: "slug", Message: "this word is reserved"})
	}
	return nil
}

// RecordRestore starts epoch (which must be after every epoch the chain and
// its checkpoints have seen) of the platform chain after the platform DB
// itself was restored from its replica, recording detail, and returns the
// epoch's first row.
func (db *DB) RecordRestore(ctx context.Context, epoch int64, detail any) (audit.Row, error) {
	var row audit.Row
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		row, err = tx.AuditEpoch(epoch, audit.Entry{Action: "platform.restored", EntityType: "platform", EntityID: ChainID, After: detail})
		return err
	})
	return row, err
}
