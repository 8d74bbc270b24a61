-- Retention schedules of guest data per property (off by default): a
-- guest whose last stay at every property of theirs ended more than that
-- property's anonymise_after_years ago is anonymised by the retention job
-- (tenant/guestdata). 0 is off.
CREATE TABLE guest_retention (
	property_id           TEXT PRIMARY KEY REFERENCES properties (id),
	anonymise_after_years INTEGER NOT NULL CHECK (anonymise_after_years BETWEEN 0 AND 30),
	version               INTEGER NOT NULL,
	updated_at            TEXT NOT NULL
) STRICT, WITHOUT ROWID;
