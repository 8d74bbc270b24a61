-- The platform index: the tenant registry, signed checkpoints of tenant audit
-- chains, and the platform's own audit chain.

CREATE TABLE platform_meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;

CREATE TABLE tenants (
	id             TEXT PRIMARY KEY,          -- tnt_…; names the tenant's file
	slug           TEXT NOT NULL,             -- the URL segment; reusable only after deletion
	name           TEXT NOT NULL,
	status         TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	key_wrapped    BLOB,                      -- the data key wrapped by the master key; NULL once destroyed
	master_key_id  TEXT NOT NULL,             -- fingerprint of the master key that wrapped it
	schema_version INTEGER NOT NULL DEFAULT 0,
	replica        TEXT NOT NULL DEFAULT '{}' -- per-tenant replica settings (JSON), e.g. a residency override
) STRICT;
CREATE UNIQUE INDEX tenants_live_slug ON tenants (slug) WHERE status <> 'deleted';

CREATE TABLE audit_checkpoints (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	epoch     INTEGER NOT NULL,
	seq       INTEGER NOT NULL,
	hash      BLOB NOT NULL,
	signed_at TEXT NOT NULL,
	key_id    TEXT NOT NULL,                  -- fingerprint of the Ed25519 public key
	signature BLOB NOT NULL,
	PRIMARY KEY (tenant_id, epoch, seq)
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
