-- A tenant file: its identity, its settings, and its audit chain.

CREATE TABLE tenant_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- Tenant-wide settings. A sealed value is AES-256-GCM ciphertext bound to
-- (settings, value, key); plain values are JSON text stored as bytes.
CREATE TABLE settings (
	key        TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	sealed     INTEGER NOT NULL CHECK (sealed IN (0, 1)),
	updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
	seq           INTEGER PRIMARY KEY,
	epoch         INTEGER NOT NULL,
	at            TEXT NOT NULL,
	actor_kind    TEXT NOT NULL,
	actor_id      TEXT NOT NULL,
	actor_name    TEXT NOT NULL,
	impersonation TEXT NOT NULL,
	action        TEXT NOT NULL,
	entity_type   TEXT NOT NULL,
	entity_id     TEXT NOT NULL,
	before_json   TEXT,
	after_json    TEXT,
	request_id    TEXT NOT NULL,
	ip            TEXT NOT NULL,
	user_agent    TEXT NOT NULL,
	prev_hash     BLOB NOT NULL,
	hash          BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
