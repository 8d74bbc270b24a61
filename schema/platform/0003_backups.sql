-- Backups: tenants under maintenance (a restore quiesces exactly one tenant)
-- and the results of restore drills.

-- A row here takes the tenant out of service: the router refuses it with
-- 503 and the serving process closes its file, then sets released_at so
-- the restoring process knows the file is no longer in use.
CREATE TABLE tenant_maintenance (
	tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
	reason      TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	released_at TEXT
) STRICT;

-- One row per restore drill of a tenant (aura backup verify, or the
-- server's scheduled drill): what was restored and whether it checked out.
CREATE TABLE backup_drills (
	id             INTEGER PRIMARY KEY,
	tenant_id      TEXT NOT NULL REFERENCES tenants (id),
	ran_at         TEXT NOT NULL,
	ok             INTEGER NOT NULL CHECK (ok IN (0, 1)),
	point_txid     INTEGER NOT NULL,
	point_at       TEXT NOT NULL,   -- the time the restored state reached
	integrity      TEXT NOT NULL,   -- SQLite's integrity_check result
	chain          TEXT NOT NULL,   -- "ok" or the first break of the audit chain
	restored_seq   INTEGER NOT NULL, -- head of the restored audit chain
	live_seq       INTEGER NOT NULL, -- head of the live chain when compared
	restored_rows  INTEGER NOT NULL, -- rows in all tables of the restored file
	live_rows      INTEGER NOT NULL,
	duration_ms    INTEGER NOT NULL,
	detail         TEXT NOT NULL
) STRICT;
CREATE INDEX backup_drills_tenant ON backup_drills (tenant_id, ran_at);
