-- On-the-books snapshots (issue 14, the pace report). Reservation nights
-- are rewritten when a stay is re-dated, cancelled or becomes a no-show,
-- so "what was on the books on day D" cannot be read back from them. The
-- night audit, closing business date D on time, records the nights then
-- held: one row per property and closed date, with per rate plan the
-- room-nights held for each night D, D+1, ... (days of them).
-- plans is a JSON object {"<rate plan id>": [n0, n1, ...]}, element i for
-- the night D+i. Nothing personal is stored. The pace report reads last
-- year's on-the-books from here and falls back to reservations' current
-- dates for closed dates without a snapshot (see tenant/reports/pace.go).
CREATE TABLE otb_snapshots (
	property_id   TEXT NOT NULL REFERENCES properties (id),
	business_date TEXT NOT NULL,
	taken_at      TEXT NOT NULL,
	days          INTEGER NOT NULL CHECK (days > 0),
	plans         TEXT NOT NULL,
	PRIMARY KEY (property_id, business_date)
) STRICT, WITHOUT ROWID;
