-- Owners of managed units (package tenant/owners) and their owner
-- statements (package tenant/reports).
--
-- An owner is often a natural person: every personal field (name, email,
-- address, VAT id, payout account) is sealed under the owner's own subject
-- key (key_wrapped, itself sealed by the tenant key), as guests' fields are.
CREATE TABLE owners (
	id          TEXT PRIMARY KEY,
	key_wrapped BLOB NOT NULL,
	name        BLOB NOT NULL,
	email       BLOB NOT NULL,
	address     BLOB NOT NULL, -- JSON inventory.Address
	vat_id      BLOB NOT NULL,
	payout      BLOB NOT NULL, -- IBAN or payout reference
	version     INTEGER NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

-- A management contract puts one room (unit) under an owner for the nights
-- [start_date, end_date) (open-ended while end_date is NULL), with the
-- manager's commission in basis points of the net room revenue and fixed
-- fees in minor units of the property's currency. Contracts of one room
-- never overlap (checked when written).
CREATE TABLE owner_contracts (
	id            TEXT PRIMARY KEY,
	owner_id      TEXT NOT NULL REFERENCES owners (id),
	property_id   TEXT NOT NULL REFERENCES properties (id),
	room_id       TEXT NOT NULL REFERENCES rooms (id),
	start_date    TEXT NOT NULL,
	end_date      TEXT,
	commission_bp INTEGER NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
	monthly_fee   INTEGER NOT NULL CHECK (monthly_fee >= 0),
	stay_fee      INTEGER NOT NULL CHECK (stay_fee >= 0),
	version       INTEGER NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	CHECK (end_date IS NULL OR start_date < end_date)
) STRICT;
CREATE INDEX owner_contracts_room ON owner_contracts (room_id, start_date);
CREATE INDEX owner_contracts_owner ON owner_contracts (owner_id, property_id, start_date);

-- Statements gain a second series: owner statements (kind 'owner', series
-- 'OS', numbered OS-YYYY-NNNNNN) beside the channels' (kind 'ota', series
-- 'ST'). Each series runs gapless per property and year. SQLite cannot
-- change a CHECK, so the table is rebuilt with its rows as they are; the
-- triggers that keep statements immutable are dropped only for the
-- rebuild and created again.
DROP TRIGGER report_statements_no_update;
DROP TRIGGER report_statements_no_delete;
CREATE TABLE report_statements_v2 (
	id           TEXT PRIMARY KEY,
	property_id  TEXT NOT NULL,
	kind         TEXT NOT NULL CHECK (kind IN ('ota', 'owner')),
	series       TEXT NOT NULL CHECK (series IN ('ST', 'OS')),
	channel      TEXT NOT NULL,
	owner_id     TEXT REFERENCES owners (id),
	period_from  TEXT NOT NULL,
	period_to    TEXT NOT NULL CHECK (period_from < period_to),
	year         INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	number       TEXT NOT NULL,
	currency     TEXT NOT NULL,
	body         TEXT NOT NULL,
	hash         BLOB NOT NULL,
	generated_at TEXT NOT NULL,
	CHECK ((kind = 'owner') = (owner_id IS NOT NULL)),
	CHECK ((kind = 'owner') = (series = 'OS')),
	UNIQUE (property_id, series, year, seq)
) STRICT;
INSERT INTO report_statements_v2 (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
	SELECT id, property_id, kind, 'ST', channel, NULL, period_from, period_to, year, seq, number, currency, body, hash, generated_at FROM report_statements;
DROP TABLE report_statements;
ALTER TABLE report_statements_v2 RENAME TO report_statements;
CREATE INDEX report_statements_property ON report_statements (property_id, generated_at);
CREATE INDEX report_statements_owner ON report_statements (owner_id, period_from) WHERE owner_id IS NOT NULL;
CREATE TRIGGER report_statements_no_update BEFORE UPDATE ON report_statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable; generate a new one'); END;
CREATE TRIGGER report_statements_no_delete BEFORE DELETE ON report_statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable; generate a new one'); END;
