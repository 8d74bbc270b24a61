-- Tenant identity: users and their roles, invitations, sessions, second
-- factors and API tokens. Credentials are stored only as hashes; personal
-- data and secrets only sealed (AES-256-GCM bound to table, column and row).

CREATE TABLE users (
	id                  TEXT PRIMARY KEY,          -- usr_…
	email_lookup        BLOB,                      -- HMAC-SHA256 of the lowercased email (tenant-derived key); NULL once removed
	email_sealed        BLOB NOT NULL,
	name_sealed         BLOB NOT NULL,
	role                TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'front_desk', 'housekeeping', 'accountant')),
	status              TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled', 'removed')),
	password_hash       TEXT NOT NULL DEFAULT '',  -- bcrypt (cost 12) of the peppered HMAC-SHA256 pre-hash; '' until set
	totp_sealed         BLOB,                      -- the enabled TOTP secret, sealed; NULL when 2FA is off
	totp_pending_sealed BLOB,                      -- a secret being enrolled, sealed, until confirmed with a code
	totp_last_step      INTEGER NOT NULL DEFAULT 0, -- the last TOTP step accepted: no code of it or before is accepted again
	privilege_version   INTEGER NOT NULL DEFAULT 1, -- bumped when the role changes; sessions of an older version get a new id
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	last_login_at       TEXT
) STRICT;
CREATE UNIQUE INDEX users_email ON users (email_lookup) WHERE email_lookup IS NOT NULL;

CREATE TABLE recovery_codes (
	user_id   TEXT NOT NULL REFERENCES users (id),
	code_hash BLOB NOT NULL,                      -- SHA-256 of the normalised code
	used_at   TEXT,
	PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE invitations (
	id         TEXT PRIMARY KEY,                  -- inv_…
	token_hash BLOB NOT NULL UNIQUE,              -- SHA-256 of the token in the invitation link
	user_id    TEXT NOT NULL REFERENCES users (id),
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT,
	revoked_at TEXT
) STRICT;
CREATE INDEX invitations_user ON invitations (user_id);

CREATE TABLE sessions (
	id                TEXT PRIMARY KEY,           -- ses_…, names the session on the sessions page
	secret_hash       BLOB NOT NULL UNIQUE,       -- SHA-256 of the secret inside the cookie
	user_id           TEXT NOT NULL REFERENCES users (id),
	privilege_version INTEGER NOT NULL,
	created_at        TEXT NOT NULL,
	last_seen_at      TEXT NOT NULL,
	client_sealed     BLOB NOT NULL               -- {"ip", "user_agent"} at sign-in, sealed
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,                -- tok_…
	token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32), -- SHA-256 of the token; the token itself is never stored
	user_id      TEXT NOT NULL REFERENCES users (id),
	name         TEXT NOT NULL,
	scopes       TEXT NOT NULL,                   -- permissions, space-separated
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	last_used_at TEXT,                            -- written at most once a minute
	revoked_at   TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
