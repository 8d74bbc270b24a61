-- Statements (package tenant/reports): what a channel is owed for a
-- period, generated as an immutable numbered document. body is the
-- canonical JSON of everything in it (its lines and totals, frozen when it
-- was generated); hash is the SHA-256 of body, also in the audit row
-- "statement.generated". Numbers run gapless per property and year.
CREATE TABLE report_statements (
	id           TEXT PRIMARY KEY,
	property_id  TEXT NOT NULL,
	kind         TEXT NOT NULL CHECK (kind IN ('ota')),
	channel      TEXT NOT NULL,
	period_from  TEXT NOT NULL,
	period_to    TEXT NOT NULL CHECK (period_from < period_to),
	year         INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	number       TEXT NOT NULL,
	currency     TEXT NOT NULL,
	body         TEXT NOT NULL,
	hash         BLOB NOT NULL,
	generated_at TEXT NOT NULL,
	UNIQUE (property_id, year, seq)
) STRICT;
CREATE INDEX report_statements_property ON report_statements (property_id, generated_at);
CREATE TRIGGER report_statements_no_update BEFORE UPDATE ON report_statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable; generate a new one'); END;
CREATE TRIGGER report_statements_no_delete BEFORE DELETE ON report_statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable; generate a new one'); END;
