-- Channels (package tenant/channels): calendars exported to OTAs by a
-- secret URL, calendars imported from them, and the blocks those imports
-- make. Dates are 'YYYY-MM-DD' in the property's zone; a date range is the
-- half-open range of nights [start_date, end_date).

-- A calendar exported by a secret URL (/ical/{token}.ics), for one room or
-- one room type. Only the SHA-256 of the token is stored (NULL once the URL
-- is revoked); the platform index maps the same hash to the tenant.
-- channel names who polls it (e.g. airbnb): what was imported from that
-- channel is not sent back to it. body_hash and changed_at fingerprint what
-- was last served (the ETag and Last-Modified of the calendar).
CREATE TABLE ical_exports (
	id           TEXT PRIMARY KEY,
	property_id  TEXT NOT NULL REFERENCES properties (id),
	room_id      TEXT REFERENCES rooms (id),
	room_type_id TEXT REFERENCES room_types (id),
	channel      TEXT NOT NULL,
	token_hash   BLOB UNIQUE,
	days         INTEGER NOT NULL CHECK (days BETWEEN 30 AND 730),
	body_hash    BLOB,
	changed_at   TEXT,
	revoked_at   TEXT,
	version      INTEGER NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	CHECK ((room_id IS NULL) <> (room_type_id IS NULL))
) STRICT;
CREATE INDEX ical_exports_property ON ical_exports (property_id);

-- A calendar imported from a channel for one room or one room type. The
-- URL carries the channel's own secret, so it is sealed; url_host is what
-- the pages show. etag and last_modified are the validators of the last
-- answer (sent back as If-None-Match / If-Modified-Since). failures counts
-- polls failed in a row.
CREATE TABLE ical_feeds (
	id               TEXT PRIMARY KEY,
	property_id      TEXT NOT NULL REFERENCES properties (id),
	room_id          TEXT REFERENCES rooms (id),
	room_type_id     TEXT REFERENCES room_types (id),
	channel          TEXT NOT NULL,
	url              BLOB NOT NULL,
	url_host         TEXT NOT NULL,
	interval_minutes INTEGER NOT NULL CHECK (interval_minutes BETWEEN 5 AND 360),
	cancel_vanished  INTEGER NOT NULL CHECK (cancel_vanished IN (0, 1)),
	active           INTEGER NOT NULL CHECK (active IN (0, 1)),
	etag             TEXT NOT NULL,
	last_modified    TEXT NOT NULL,
	last_attempt_at  TEXT,
	last_success_at  TEXT,
	last_status      TEXT NOT NULL,
	last_error       TEXT NOT NULL,
	events           INTEGER NOT NULL,
	failures         INTEGER NOT NULL,
	version          INTEGER NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	CHECK ((room_id IS NULL) <> (room_type_id IS NULL))
) STRICT;
CREATE INDEX ical_feeds_property ON ical_feeds (property_id);

-- One event of an imported calendar: the nights a channel took, keyed by
-- (feed, UID). room_type_id is the type it takes a unit of (the room's type
-- for a room feed). An active block holds stock like a sold night; one that
-- collided with a reservation or another block is stored all the same and
-- flagged overbooked. A block is cancelled (never deleted) when its event
-- disappears from the feed and the feed cancels vanished events.
CREATE TABLE channel_blocks (
	id           TEXT PRIMARY KEY,
	feed_id      TEXT NOT NULL REFERENCES ical_feeds (id),
	uid          TEXT NOT NULL,
	room_type_id TEXT NOT NULL REFERENCES room_types (id),
	room_id      TEXT REFERENCES rooms (id),
	start_date   TEXT NOT NULL,
	end_date     TEXT NOT NULL CHECK (start_date < end_date),
	status       TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
	overbooked   INTEGER NOT NULL CHECK (overbooked IN (0, 1)),
	version      INTEGER NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	UNIQUE (feed_id, uid)
) STRICT;
CREATE INDEX channel_blocks_type ON channel_blocks (room_type_id, start_date) WHERE status = 'active';
CREATE INDEX channel_blocks_room ON channel_blocks (room_id, start_date) WHERE status = 'active' AND room_id IS NOT NULL;
