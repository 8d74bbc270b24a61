package platform

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"time"
)

// SecretLoginThrottle is the server secret under which throttle keys are
// stored (an HMAC of each), so the table names no email or address.
const SecretLoginThrottle = "login-throttle"

// LoginFailures is the record of one throttle key: how many attempts under
// it failed in a row, and when the last one did.
type LoginFailures struct {
	Count int
	Last  time.Time
}

// throttleKey is the stored form of a throttle key.
func (db *DB) throttleKey(ctx context.Context, key string) ([]byte, error) {
	secret, err := db.Secret(ctx, SecretLoginThrottle)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return m.Sum(nil), nil
}

func (db *DB) throttleKeys(ctx context.Context, keys []string) ([][]byte, []any, error) {
	hashed := make([][]byte, len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		h, err := db.throttleKey(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		hashed[i], args[i] = h, h
	}
	return hashed, args, nil
}

// LoginFailures returns the failures recorded under each of keys that has
// any (keys without a record are absent from the map). It only reads: a
// sign-in that has nothing against it writes nothing.
func (db *DB) LoginFailures(ctx context.Context, keys ...string) (map[string]LoginFailures, error) {
	out := map[string]LoginFailures{}
	if len(keys) == 0 {
		return out, nil
	}
	hashed, args, err := db.throttleKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	err = db.View(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`SELECT key, failures, last_failure_ms FROM login_throttle WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k []byte
			var f LoginFailures
			var ms int64
			if err := rows.Scan(&k, &f.Count, &ms); err != nil {
				return err
			}
			f.Last = time.UnixMilli(ms).UTC()
			for i, h := range hashed {
				if hmac.Equal(h, k) {
					out[keys[i]] = f
				}
			}
		}
		return rows.Err()
	})
	return out, err
}

// RecordLoginFailure counts one more failure under each of keys at the
// transaction's time (a key whose last failure is older than forget starts
// again at one), and deletes every key not failed within forget. It is
// bookkeeping, not audited: the failed sign-in itself is recorded in the
// tenant's or the platform's audit chain.
func (db *DB) RecordLoginFailure(ctx context.Context, forget time.Duration, keys ...string) error {
	_, args, err := db.throttleKeys(ctx, keys)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("a sign-in throttle counter; the failed sign-in is audited where it happened")
		now, stale := tx.Now.UnixMilli(), tx.Now.Add(-forget).UnixMilli()
		for _, k := range args {
			if _, err := tx.Exec(`INSERT INTO login_throttle (key, failures, last_failure_ms) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN last_failure_ms < ? THEN 1 ELSE failures + 1 END,
				last_failure_ms = excluded.last_failure_ms`, k, now, stale); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`DELETE FROM login_throttle WHERE last_failure_ms < ?`, stale)
		return err
	})
}

// ClearLoginFailures forgets the failures of keys (after a success).
func (db *DB) ClearLoginFailures(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	_, args, err := db.throttleKeys(ctx, keys)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error {
		tx.Unaudited("a sign-in throttle counter, cleared by a successful sign-in, which is audited")
		_, err := tx.Exec(`DELETE FROM login_throttle WHERE key IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
		return err
	})
}
