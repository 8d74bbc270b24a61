-- The front desk day: check-in records with ID documents and photos, their
-- retention, and the night audit's business dates. Every personal value of a
-- check-in record is AES-256-GCM ciphertext under the guest's own key.

-- Per-property front-desk settings. id_photo_retention_days: ID photos (and,
-- with purge_document_numbers, document numbers) are purged that many days
-- after check-out (after the record was taken when the stay was never checked
-- out). night_audit_time: the local time (HH:MM, before noon) at which the
-- business date D closes, on the calendar day after D.
ALTER TABLE properties ADD COLUMN id_photo_retention_days INTEGER NOT NULL DEFAULT 30
	CHECK (id_photo_retention_days BETWEEN 0 AND 3650);
ALTER TABLE properties ADD COLUMN purge_document_numbers INTEGER NOT NULL DEFAULT 0
	CHECK (purge_document_numbers IN (0, 1));
ALTER TABLE properties ADD COLUMN night_audit_time TEXT NOT NULL DEFAULT '03:00';

-- One check-in record per guest of a stay: the reservation's own guest or a
-- companion (a guest profile of its own). document is the sealed JSON of the
-- document's type, issuing country, expiry and the holder's date of birth;
-- document_number is sealed separately so it can be purged on its own
-- (NULL when none was given, or once purged: number_purged_at says when).
CREATE TABLE checkin_records (
	id               TEXT PRIMARY KEY,
	reservation_id   TEXT NOT NULL REFERENCES reservations (id),
	guest_id         TEXT NOT NULL REFERENCES guests (id),
	document         BLOB NOT NULL,
	document_number  BLOB,
	number_purged_at TEXT,
	version          INTEGER NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	UNIQUE (reservation_id, guest_id)
) STRICT;
CREATE INDEX checkin_records_guest ON checkin_records (guest_id);
-- Records whose number the purge job may still have to blank.
CREATE INDEX checkin_records_numbers ON checkin_records (reservation_id) WHERE document_number IS NOT NULL;

-- The ID photos of a record. This row is the photo's tombstone: it stays
-- when the bytes are purged (purged_at, purge_reason) so the guest page can
-- say when. The bytes live in id_photo_bytes, whose rows are deleted.
CREATE TABLE id_photos (
	id           TEXT PRIMARY KEY,
	record_id    TEXT NOT NULL REFERENCES checkin_records (id),
	content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/heic', 'image/heif')),
	size         INTEGER NOT NULL CHECK (size > 0),
	created_at   TEXT NOT NULL,
	purged_at    TEXT,
	purge_reason TEXT CHECK (purge_reason IN ('retention', 'deleted')),
	CHECK ((purged_at IS NULL) = (purge_reason IS NULL))
) STRICT;
CREATE INDEX id_photos_record ON id_photos (record_id);
-- Photos whose bytes are still stored: what the purge job looks at.
CREATE INDEX id_photos_live ON id_photos (record_id) WHERE purged_at IS NULL;

-- The sealed bytes of each photo not purged yet. Purging deletes the row
-- with secure_delete on, so the freed pages are overwritten with zeros.
CREATE TABLE id_photo_bytes (
	photo_id TEXT PRIMARY KEY REFERENCES id_photos (id),
	data     BLOB NOT NULL
) STRICT;

-- The night audit: one row per business date closed at a property.
-- no_shows and cancelled are JSON arrays of reservation ids.
CREATE TABLE business_dates (
	property_id   TEXT NOT NULL REFERENCES properties (id),
	business_date TEXT NOT NULL,
	roll_at       TEXT NOT NULL, -- when the date was due to close
	closed_at     TEXT NOT NULL, -- when the night audit closed it
	no_shows      TEXT NOT NULL,
	cancelled     TEXT NOT NULL,
	overdue       INTEGER NOT NULL, -- in-house guests past their departure at closing
	PRIMARY KEY (property_id, business_date)
) STRICT, WITHOUT ROWID;
