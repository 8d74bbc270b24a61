-- The channel manager's side of a tenant file, continued (package
-- tenant/channels): the webhook secret of a connection (its SHA-256; the
-- secret is shown once), when a person dealt with a revision that needed
-- attention, feeds deleted from the channels page (kept for their blocks'
-- history, the sealed URL wiped), and the OTA virtual cards that came with
-- channel bookings: only a Stripe PaymentMethod id (pm_…) made by the
-- channel manager's vault, never card data, until tenant/channelcards
-- attaches it to the booking's folio through tenant/payments.
ALTER TABLE cm_connections ADD COLUMN webhook_hash BLOB;

ALTER TABLE cm_revisions ADD COLUMN resolved_at TEXT;

ALTER TABLE ical_feeds ADD COLUMN deleted_at TEXT;

CREATE TABLE cm_virtual_cards (
	id                TEXT PRIMARY KEY,
	property_id       TEXT NOT NULL REFERENCES properties (id),
	booking_id        TEXT NOT NULL REFERENCES bookings (id),
	revision_id       TEXT NOT NULL,
	payment_method_id TEXT NOT NULL CHECK (payment_method_id = '' OR payment_method_id GLOB 'pm_[A-Za-z0-9]*'),
	activation_date   TEXT NOT NULL,
	max_amount        INTEGER NOT NULL CHECK (max_amount >= 0),
	currency          TEXT NOT NULL,
	source            TEXT NOT NULL,
	status            TEXT NOT NULL CHECK (status IN ('pending', 'attached', 'failed')),
	card_id           TEXT, -- the stripe_cards row once attached
	error             TEXT NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	UNIQUE (booking_id, payment_method_id)
) STRICT;
CREATE INDEX cm_virtual_cards_status ON cm_virtual_cards (status);
