-- Guest emails go to each person concerned (issue 16): the booking
-- confirmation to the guest who stays and, when someone else booked the
-- stay, to the booker too; the pre-arrival email to the guest who stays;
-- the cancellation to everyone who was told about the stay. A message is
-- recorded on its recipient (guest_id, sealed under that guest's key), so
-- one stay may have one message of a kind per recipient: the unique key
-- becomes (reservation_id, kind, guest_id). SQLite cannot change a
-- table's constraint in place, so the table is rebuilt with its rows.
CREATE TABLE guest_messages_v2 (
	id              TEXT PRIMARY KEY,
	guest_id        TEXT NOT NULL REFERENCES guests (id),
	reservation_id  TEXT NOT NULL REFERENCES reservations (id),
	property_id     TEXT NOT NULL REFERENCES properties (id),
	kind            TEXT NOT NULL CHECK (kind IN ('confirmation', 'pre_arrival', 'cancellation')),
	language        TEXT NOT NULL,
	recipient       BLOB,
	subject         BLOB,
	body_text       BLOB,
	body_html       BLOB,
	status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'withheld')),
	reason          TEXT NOT NULL,
	attempts        INTEGER NOT NULL CHECK (attempts >= 0),
	next_attempt_at TEXT,
	last_error      BLOB,
	sent_at         TEXT,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (reservation_id, kind, guest_id)
) STRICT;
INSERT INTO guest_messages_v2 (rowid, id, guest_id, reservation_id, property_id, kind, language, recipient, subject, body_text, body_html, status,
	reason, attempts, next_attempt_at, last_error, sent_at, created_at, updated_at)
	SELECT rowid, id, guest_id, reservation_id, property_id, kind, language, recipient, subject, body_text, body_html, status,
	reason, attempts, next_attempt_at, last_error, sent_at, created_at, updated_at FROM guest_messages;
DROP TABLE guest_messages;
ALTER TABLE guest_messages_v2 RENAME TO guest_messages;
CREATE INDEX guest_messages_guest ON guest_messages (guest_id);
CREATE INDEX guest_messages_due ON guest_messages (next_attempt_at) WHERE status = 'queued';
