-- Tamper evidence that holds against someone who can write the data files:
-- one checkpoint log per audit chain (each tenant's and the platform's own),
-- in which every signed entry links to the one before it, and the audit
-- state of each chain as the signer and the verifier last found it.

-- Entry n of chain_id's checkpoint log (see audit.Checkpoint). The
-- signature covers every column but itself; prev is the digest of entry
-- n-1. Rows are never changed or deleted.
CREATE TABLE checkpoint_log (
	chain_id       TEXT NOT NULL,             -- a tenant id, or 'platform'
	n              INTEGER NOT NULL CHECK (n >= 1),
	kind           TEXT NOT NULL CHECK (kind IN ('head', 'restore', 'resume')),
	epoch          INTEGER NOT NULL,
	seq            INTEGER NOT NULL,
	hash           BLOB NOT NULL,
	prev           BLOB,
	base_epoch     INTEGER NOT NULL DEFAULT 0,
	discarded_seq  INTEGER NOT NULL DEFAULT 0,
	discarded_hash BLOB,
	gap_after      INTEGER NOT NULL DEFAULT 0,
	gap_digest     BLOB,
	signed_at      TEXT NOT NULL,
	key_id         TEXT NOT NULL,
	signature      BLOB NOT NULL,
	PRIMARY KEY (chain_id, n)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER checkpoint_log_no_update BEFORE UPDATE ON checkpoint_log
BEGIN SELECT RAISE(ABORT, 'checkpoint_log is append-only'); END;
CREATE TRIGGER checkpoint_log_no_delete BEFORE DELETE ON checkpoint_log
BEGIN SELECT RAISE(ABORT, 'checkpoint_log is append-only'); END;

-- A chain found broken stays broken (shown on /platform, in `aura tenant
-- list` and /healthz) until a restore or a full verification that passes.
CREATE TABLE audit_status (
	chain_id      TEXT PRIMARY KEY,
	state         TEXT NOT NULL CHECK (state IN ('ok', 'broken')),
	first_bad_seq INTEGER NOT NULL DEFAULT 0,
	reason        TEXT NOT NULL DEFAULT '',
	changed_at    TEXT NOT NULL,
	checked_at    TEXT NOT NULL
) STRICT;
