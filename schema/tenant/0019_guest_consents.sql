-- Consents of a guest (issue 16): whether the guest agreed to marketing
-- emails, when and how the answer was given (source: front_desk, phone,
-- email, web, registration_card or other). One row per guest and kind:
-- the latest answer; the history is in the audit trail. An anonymisation
-- deletes the rows (tenant/guestdata).
CREATE TABLE guest_consents (
	guest_id   TEXT NOT NULL REFERENCES guests (id),
	kind       TEXT NOT NULL CHECK (kind IN ('marketing_email')),
	granted    INTEGER NOT NULL CHECK (granted IN (0, 1)),
	source     TEXT NOT NULL CHECK (source IN ('front_desk', 'phone', 'email', 'web', 'registration_card', 'other')),
	at         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (guest_id, kind)
) STRICT, WITHOUT ROWID;
