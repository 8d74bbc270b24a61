-- Platform staff, their sessions, and their impersonations of tenants.
-- Credentials are stored only as hashes; emails and TOTP secrets only
-- sealed with a key derived from the platform-seal server secret.

CREATE TABLE staff (
	id             TEXT PRIMARY KEY,              -- stf_…
	email_lookup   BLOB NOT NULL UNIQUE,          -- HMAC-SHA256 of the lowercased email, for sign-in look-ups
	email_sealed   BLOB NOT NULL,
	password_hash  TEXT NOT NULL,                 -- bcrypt (cost 12) of the peppered HMAC-SHA256 pre-hash
	totp_sealed    BLOB NOT NULL,                 -- TOTP secret, sealed: a second factor is mandatory for staff
	totp_last_step INTEGER NOT NULL DEFAULT 0,    -- no code of this step or before is accepted again
	status         TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	last_login_at  TEXT
) STRICT;

CREATE TABLE staff_sessions (
	id            TEXT PRIMARY KEY,               -- sss_…
	secret_hash   BLOB NOT NULL UNIQUE,           -- SHA-256 of the secret inside the /platform/ cookie
	staff_id      TEXT NOT NULL REFERENCES staff (id),
	created_at    TEXT NOT NULL,
	last_seen_at  TEXT NOT NULL,
	client_sealed BLOB NOT NULL                   -- {"ip", "user_agent"} at sign-in, sealed
) STRICT;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE impersonations (
	id               TEXT PRIMARY KEY,            -- imp_…
	secret_hash      BLOB NOT NULL UNIQUE,        -- SHA-256 of the secret inside the /{slug}/ impersonation cookie
	staff_id         TEXT NOT NULL REFERENCES staff (id),
	staff_session_id TEXT NOT NULL,               -- the staff session it is bound to; it ends with it
	tenant_id        TEXT NOT NULL REFERENCES tenants (id),
	reason           TEXT NOT NULL,
	started_at       TEXT NOT NULL,
	expires_at       TEXT NOT NULL,
	ended_at         TEXT,
	end_reason       TEXT
) STRICT;
CREATE INDEX impersonations_open ON impersonations (ended_at, expires_at);
