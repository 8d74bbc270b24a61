-- The channel-manager connection (package tenant/channels): how the
-- channel manager's room types and rate plans map to the property's, every
-- booking revision received (applied exactly once, keyed by its id), and
-- per booking the newest revision applied, which orders revisions that
-- arrive out of order.
CREATE TABLE cm_mappings (
	property_id TEXT NOT NULL REFERENCES properties (id),
	kind        TEXT NOT NULL CHECK (kind IN ('room_type', 'rate_plan')),
	external_id TEXT NOT NULL,
	local_id    TEXT NOT NULL,
	PRIMARY KEY (property_id, kind, external_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE cm_revisions (
	revision_id TEXT PRIMARY KEY,
	property_id TEXT NOT NULL REFERENCES properties (id),
	booking_key TEXT NOT NULL, -- the channel manager's booking id
	status      TEXT NOT NULL CHECK (status IN ('new', 'modified', 'cancelled')),
	revised_at  TEXT NOT NULL, -- when the channel manager made the revision
	outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'superseded', 'attention')),
	booking_id  TEXT REFERENCES bookings (id),
	detail      TEXT NOT NULL,
	applied_at  TEXT NOT NULL
) STRICT;
CREATE INDEX cm_revisions_booking ON cm_revisions (booking_key, revised_at);

CREATE TABLE cm_bookings (
	booking_key TEXT PRIMARY KEY,
	booking_id  TEXT NOT NULL REFERENCES bookings (id),
	revised_at  TEXT NOT NULL,
	status      TEXT NOT NULL
) STRICT, WITHOUT ROWID;
