-- The PMS core: properties, inventory, rates, guests, bookings and reservations.
-- Stay dates are TEXT 'YYYY-MM-DD' in the property's zone (they sort and
-- compare as text); instants are RFC 3339 UTC text; money is INTEGER minor
-- units in the property's currency. Every personal field of a guest is
-- AES-256-GCM ciphertext under that guest's own key.

CREATE TABLE properties (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	address        TEXT NOT NULL, -- JSON: the business address (not personal data)
	time_zone      TEXT NOT NULL, -- IANA name, e.g. Europe/Berlin
	currency       TEXT NOT NULL, -- ISO 4217
	check_in_time  TEXT NOT NULL, -- HH:MM local
	check_out_time TEXT NOT NULL,
	tax            TEXT NOT NULL, -- JSON: VAT rates, city tax, inclusive or exclusive
	version        INTEGER NOT NULL,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE room_types (
	id             TEXT PRIMARY KEY,
	property_id    TEXT NOT NULL REFERENCES properties (id),
	code           TEXT NOT NULL,
	name           TEXT NOT NULL,
	description    TEXT NOT NULL,
	capacity       INTEGER NOT NULL CHECK (capacity >= 1),
	base_occupancy INTEGER NOT NULL CHECK (base_occupancy >= 1 AND base_occupancy <= capacity),
	sort_order     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	UNIQUE (property_id, code)
) STRICT;

CREATE TABLE rooms (
	id           TEXT PRIMARY KEY,
	property_id  TEXT NOT NULL REFERENCES properties (id),
	room_type_id TEXT NOT NULL REFERENCES room_types (id),
	number       TEXT NOT NULL,
	floor        TEXT NOT NULL,
	features     TEXT NOT NULL, -- JSON array of strings
	housekeeping TEXT NOT NULL CHECK (housekeeping IN ('clean', 'dirty', 'inspected')),
	sort_order   INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	UNIQUE (property_id, number)
) STRICT;
CREATE INDEX rooms_room_type ON rooms (room_type_id);

-- Out-of-order (not sellable) and out-of-service (sellable, not to be
-- assigned) periods of a room: the half-open date range [start_date, end_date).
CREATE TABLE room_blocks (
	id         TEXT PRIMARY KEY,
	room_id    TEXT NOT NULL REFERENCES rooms (id),
	kind       TEXT NOT NULL CHECK (kind IN ('out_of_order', 'out_of_service')),
	start_date TEXT NOT NULL,
	end_date   TEXT NOT NULL CHECK (start_date < end_date),
	reason     TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;
CREATE INDEX room_blocks_room ON room_blocks (room_id, start_date);

CREATE TABLE rate_plans (
	id                  TEXT PRIMARY KEY,
	property_id         TEXT NOT NULL REFERENCES properties (id),
	room_type_id        TEXT NOT NULL REFERENCES room_types (id),
	code                TEXT NOT NULL,
	name                TEXT NOT NULL,
	extra_person        INTEGER NOT NULL CHECK (extra_person >= 0), -- per night per guest above base occupancy
	cancellation_policy TEXT NOT NULL, -- JSON
	no_show_policy      TEXT NOT NULL, -- JSON
	active              INTEGER NOT NULL CHECK (active IN (0, 1)),
	version             INTEGER NOT NULL,
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	UNIQUE (property_id, code)
) STRICT;
CREATE INDEX rate_plans_room_type ON rate_plans (room_type_id);

-- The daily rate calendar with its restrictions. price NULL: no rate (not
-- bookable directly). min_stay / max_stay 0: no limit.
CREATE TABLE rates (
	rate_plan_id        TEXT NOT NULL REFERENCES rate_plans (id),
	date                TEXT NOT NULL,
	price               INTEGER CHECK (price >= 0),
	min_stay            INTEGER NOT NULL CHECK (min_stay >= 0),
	max_stay            INTEGER NOT NULL CHECK (max_stay >= 0),
	closed_to_arrival   INTEGER NOT NULL CHECK (closed_to_arrival IN (0, 1)),
	closed_to_departure INTEGER NOT NULL CHECK (closed_to_departure IN (0, 1)),
	stop_sell           INTEGER NOT NULL CHECK (stop_sell IN (0, 1)),
	PRIMARY KEY (rate_plan_id, date)
) STRICT, WITHOUT ROWID;

-- Guests. seq is a stable integer key for the search index; every personal
-- column is sealed under the guest's key (key_wrapped, itself sealed by the
-- tenant key). Erasing a guest destroys key_wrapped and its search terms.
CREATE TABLE guests (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	key_wrapped BLOB,
	given_name  BLOB,
	family_name BLOB,
	email       BLOB,
	phone       BLOB,
	address     BLOB,
	nationality BLOB,
	language    BLOB,
	notes       BLOB,
	version     INTEGER NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

-- The blind index: a truncated HMAC-SHA256 (64 bits, as an integer) of each
-- normalised search token and its prefixes, per guest. Looking a term up is a
-- primary-key range scan; guest_search_guest finds a guest's terms to
-- replace or erase them.
CREATE TABLE guest_search (
	term  INTEGER NOT NULL,
	guest INTEGER NOT NULL REFERENCES guests (seq),
	PRIMARY KEY (term, guest)
) STRICT, WITHOUT ROWID;
CREATE INDEX guest_search_guest ON guest_search (guest);

CREATE TABLE bookings (
	id          TEXT PRIMARY KEY,
	property_id TEXT NOT NULL REFERENCES properties (id),
	booker_id   TEXT NOT NULL REFERENCES guests (id),
	source      TEXT NOT NULL, -- 'direct' or a channel code
	ota_code    TEXT,          -- the channel's own reservation code
	commission  INTEGER NOT NULL CHECK (commission >= 0),
	notes       BLOB,          -- sealed under the booker's key
	version     INTEGER NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX bookings_ota_code ON bookings (property_id, source, ota_code) WHERE ota_code IS NOT NULL;
CREATE INDEX bookings_booker ON bookings (booker_id);

CREATE TABLE reservations (
	id               TEXT PRIMARY KEY,
	booking_id       TEXT NOT NULL REFERENCES bookings (id),
	property_id      TEXT NOT NULL REFERENCES properties (id),
	room_type_id     TEXT NOT NULL REFERENCES room_types (id),
	room_id          TEXT REFERENCES rooms (id),
	rate_plan_id     TEXT NOT NULL REFERENCES rate_plans (id),
	guest_id         TEXT NOT NULL REFERENCES guests (id),
	arrival          TEXT NOT NULL,
	departure        TEXT NOT NULL CHECK (arrival < departure),
	adults           INTEGER NOT NULL CHECK (adults >= 1),
	children         INTEGER NOT NULL CHECK (children >= 0),
	status           TEXT NOT NULL CHECK (status IN ('tentative', 'confirmed', 'in_house', 'checked_out', 'cancelled', 'no_show')),
	overbooked       INTEGER NOT NULL CHECK (overbooked IN (0, 1)),
	total            INTEGER NOT NULL,
	cancellation_fee INTEGER,
	no_show_fee      INTEGER,
	checked_in_at    TEXT,
	checked_out_at   TEXT,
	cancelled_at     TEXT,
	version          INTEGER NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX reservations_booking ON reservations (booking_id);
CREATE INDEX reservations_guest ON reservations (guest_id);
CREATE INDEX reservations_arrival ON reservations (property_id, arrival);
CREATE INDEX reservations_departure ON reservations (property_id, departure);
CREATE INDEX reservations_status ON reservations (property_id, status, arrival);
CREATE INDEX reservations_overbooked ON reservations (property_id, arrival) WHERE overbooked = 1;

-- One row per night of a reservation, with the price frozen when it was
-- booked. holds = 1 while the night takes a room out of stock (tentative,
-- confirmed, in-house, checked-out); 0 once cancelled or a no-show. Sold
-- counts come from reservation_nights_sold alone (a covering index), and
-- reservation_nights_room makes double-assigning a room impossible.
CREATE TABLE reservation_nights (
	reservation_id TEXT NOT NULL REFERENCES reservations (id),
	date           TEXT NOT NULL,
	room_type_id   TEXT NOT NULL REFERENCES room_types (id),
	room_id        TEXT REFERENCES rooms (id),
	price          INTEGER NOT NULL,
	holds          INTEGER NOT NULL CHECK (holds IN (0, 1)),
	PRIMARY KEY (reservation_id, date)
) STRICT, WITHOUT ROWID;
CREATE INDEX reservation_nights_sold ON reservation_nights (room_type_id, date) WHERE holds = 1;
CREATE UNIQUE INDEX reservation_nights_room ON reservation_nights (room_id, date) WHERE room_id IS NOT NULL AND holds = 1;

-- Idempotency keys of writes that create things (a double-clicked submit, a
-- client retrying). Stored in the same transaction as what they created.
CREATE TABLE idempotency_keys (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	result_id    TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
