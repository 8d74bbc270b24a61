-- Which tenant a secret calendar URL (/ical/{token}.ics) belongs to: the
-- SHA-256 of the token, never the token. The tenant file holds the same
-- hash on its export; a row here whose export was revoked or rotated away
-- leads nowhere (the lookup checks the tenant file too).
CREATE TABLE ical_tokens (
	token_hash BLOB PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX ical_tokens_tenant ON ical_tokens (tenant_id);
