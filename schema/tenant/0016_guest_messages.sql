-- Guest communication (issue 16): booking confirmation, pre-arrival and
-- cancellation emails from per-property templates, queued here and sent
-- by the scheduled job of `aura serve` with retries (tenant/guestmail).
--
-- message_settings: whether a property sends guest emails (off by
-- default) and since when (only stays booked or cancelled after
-- enabled_at get messages, never the backlog), and how many days before
-- arrival the pre-arrival email goes (0: none).
CREATE TABLE message_settings (
	property_id      TEXT PRIMARY KEY REFERENCES properties (id),
	enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	enabled_at       TEXT,
	pre_arrival_days INTEGER NOT NULL CHECK (pre_arrival_days BETWEEN 0 AND 60),
	version          INTEGER NOT NULL,
	updated_at       TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- A property's own wording of one kind of message in one language (BCP 47
-- primary tag); without one the built-in wording of that language, or
-- English, is used. Templates are business text, stored plain.
CREATE TABLE message_templates (
	property_id TEXT NOT NULL REFERENCES properties (id),
	kind        TEXT NOT NULL CHECK (kind IN ('confirmation', 'pre_arrival', 'cancellation')),
	language    TEXT NOT NULL,
	subject     TEXT NOT NULL,
	body_text   TEXT NOT NULL,
	body_html   TEXT NOT NULL,
	version     INTEGER NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (property_id, kind, language)
) STRICT, WITHOUT ROWID;

-- Every message to a guest, one per stay and kind. recipient, subject,
-- body_text, body_html and last_error are sealed under the guest's key
-- (cell-bound: table guest_messages, the column, the message id): an
-- anonymisation blanks them and destroys the key, so no copy anywhere
-- opens again. status: queued (next_attempt_at says when it is tried),
-- sent, failed (gave up after the last retry), withheld (not sent, reason
-- says why: no email address, processing restricted, guest anonymised).
CREATE TABLE guest_messages (
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
	UNIQUE (reservation_id, kind)
) STRICT;
CREATE INDEX guest_messages_guest ON guest_messages (guest_id);
CREATE INDEX guest_messages_due ON guest_messages (next_attempt_at) WHERE status = 'queued';
