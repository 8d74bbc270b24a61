-- A property's connection to a channel manager (package tenant/channels):
-- the provider, its API address, the property's id there, and the API key
-- sealed (tenant seal key, bound to this table, column and row).
CREATE TABLE cm_connections (
	property_id          TEXT PRIMARY KEY REFERENCES properties (id),
	provider             TEXT NOT NULL CHECK (provider IN ('channex')),
	base_url             TEXT NOT NULL,
	external_property_id TEXT NOT NULL,
	api_key              BLOB NOT NULL,
	active               INTEGER NOT NULL CHECK (active IN (0, 1)),
	per_minute           INTEGER NOT NULL CHECK (per_minute BETWEEN 1 AND 600),
	last_sync_at         TEXT,
	last_error           TEXT NOT NULL,
	version              INTEGER NOT NULL,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
) STRICT;
