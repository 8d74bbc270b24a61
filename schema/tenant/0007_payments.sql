-- Stripe payments of a tenant (package tenant/payments): the tenant's
-- Stripe keys, our payment attempts (written before every Stripe call, so
-- each call's idempotency key derives from a row that exists), the
-- PaymentIntents, cards on file, OTA virtual cards and refunds Aura made,
-- and the webhook events already processed. Only Stripe object ids are
-- stored (cus_, pm_, seti_, pi_, re_, ch_), never card data; money that
-- moved is recorded in the ledger (ledger_payments), which these rows name.

-- The tenant's Stripe account: one row. The secret key and the webhook
-- signing secret are sealed (tenant seal key, bound to this table, column
-- and row); the publishable key and the account id are not secrets.
CREATE TABLE stripe_settings (
	id              INTEGER PRIMARY KEY CHECK (id = 1),
	account_id      TEXT NOT NULL,
	publishable_key TEXT NOT NULL,
	livemode        INTEGER NOT NULL CHECK (livemode IN (0, 1)),
	secret_key      BLOB NOT NULL,
	webhook_secret  BLOB,          -- NULL until the operator adds the webhook endpoint
	version         INTEGER NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
) STRICT;

-- One row per action a user (or the API) asked for: a click on "take
-- payment", "capture", "refund"… It is written before Stripe is called,
-- and every Stripe call of the action carries the idempotency key
-- "aura-<id>-<step>", so a double click or a retry reaches Stripe with the
-- same key and charges once. (action, idempotency_key) is the caller's key
-- (a form's hidden field or the API's Idempotency-Key); request_hash is an
-- HMAC of the request under a tenant-derived key.
CREATE TABLE stripe_attempts (
	id              TEXT PRIMARY KEY,
	action          TEXT NOT NULL CHECK (action IN ('payment', 'save_card', 'charge_card', 'capture', 'cancel', 'refund')),
	idempotency_key TEXT NOT NULL,
	request_hash    BLOB NOT NULL,
	target_id       TEXT NOT NULL, -- the stripe_payments, stripe_cards or stripe_refunds row it acts on
	amount          INTEGER NOT NULL, -- what a capture asked for (0: all that is held); a retry re-sends it
	outcome         TEXT NOT NULL CHECK (outcome IN ('pending', 'done', 'failed', 'unknown')),
	error_code      TEXT NOT NULL, -- Stripe's error or decline code when it failed; never its message
	calls           INTEGER NOT NULL, -- Stripe requests sent for it (a retry re-sends the same key)
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (action, idempotency_key)
) STRICT;
CREATE INDEX stripe_attempts_open ON stripe_attempts (outcome) WHERE outcome IN ('pending', 'unknown');

-- Cards: a card on file (saved with a SetupIntent for off-session use) or
-- an OTA virtual card (a PaymentMethod token from the channel manager's
-- vault, chargeable from its activation date up to its amount).
CREATE TABLE stripe_cards (
	id                TEXT PRIMARY KEY,
	folio_id          TEXT NOT NULL REFERENCES ledger_folios (id),
	kind              TEXT NOT NULL CHECK (kind IN ('saved', 'virtual')),
	status            TEXT NOT NULL CHECK (status IN ('pending', 'active', 'failed')),
	customer_id       TEXT,          -- cus_…
	payment_method_id TEXT,          -- pm_…, once known
	setup_intent_id   TEXT,          -- seti_… (saved cards)
	activation_date   TEXT,          -- virtual cards: chargeable from this date
	max_amount        INTEGER,       -- virtual cards: the most all charges may add up to
	currency          TEXT,          -- virtual cards: the card's currency
	source            TEXT NOT NULL, -- virtual cards: the channel, e.g. booking.com
	error_code        TEXT NOT NULL,
	version           INTEGER NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	CHECK ((kind = 'virtual') = (activation_date IS NOT NULL AND max_amount IS NOT NULL AND currency IS NOT NULL))
) STRICT;
CREATE INDEX stripe_cards_folio ON stripe_cards (folio_id);
CREATE UNIQUE INDEX stripe_cards_setup ON stripe_cards (setup_intent_id) WHERE setup_intent_id IS NOT NULL;
CREATE UNIQUE INDEX stripe_cards_virtual ON stripe_cards (folio_id, payment_method_id) WHERE kind = 'virtual';

-- PaymentIntents Aura created. status mirrors Stripe's (requires_payment_method,
-- requires_confirmation, requires_action, processing, requires_capture,
-- succeeded, canceled) plus ours: creating (written, Stripe has not
-- answered) and failed (Stripe refused it: declined, authentication
-- required off-session). A hold is a manual-capture intent in
-- requires_capture; hold_expires_at is when Stripe releases it.
CREATE TABLE stripe_payments (
	id                TEXT PRIMARY KEY,
	folio_id          TEXT NOT NULL REFERENCES ledger_folios (id),
	purpose           TEXT NOT NULL CHECK (purpose IN ('payment', 'deposit', 'no_show_fee', 'cancellation_fee')),
	capture_method    TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
	amount            INTEGER NOT NULL CHECK (amount > 0),
	currency          TEXT NOT NULL,
	card_id           TEXT REFERENCES stripe_cards (id),
	intent_id         TEXT UNIQUE,   -- pi_…, once Stripe answered
	customer_id       TEXT,          -- cus_…
	payment_method_id TEXT,          -- pm_…
	charge_id         TEXT,          -- ch_…, once known
	status            TEXT NOT NULL,
	amount_capturable INTEGER NOT NULL,
	amount_received   INTEGER NOT NULL,
	hold_expires_at   TEXT,
	hold_estimated    INTEGER NOT NULL CHECK (hold_estimated IN (0, 1)),
	ledger_payment_id TEXT REFERENCES ledger_payments (id),
	note              TEXT NOT NULL, -- the ledger note (checked: no card number)
	error_code        TEXT NOT NULL,
	business_date     TEXT NOT NULL,
	version           INTEGER NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX stripe_payments_folio ON stripe_payments (folio_id);
CREATE INDEX stripe_payments_card ON stripe_payments (card_id) WHERE card_id IS NOT NULL;
CREATE INDEX stripe_payments_ledger ON stripe_payments (ledger_payment_id) WHERE ledger_payment_id IS NOT NULL;

-- Refunds of Stripe payments, made by Aura (attempt_id set) or in Stripe's
-- dashboard (learned from a webhook). Each has its ledger refund, which
-- reserves the amount against the payment's cap before Stripe is called.
CREATE TABLE stripe_refunds (
	id               TEXT PRIMARY KEY,
	payment_id       TEXT NOT NULL REFERENCES stripe_payments (id),
	refund_id        TEXT UNIQUE,    -- re_…, once Stripe answered
	amount           INTEGER NOT NULL CHECK (amount > 0),
	status           TEXT NOT NULL,  -- creating, pending, requires_action, succeeded, failed, canceled
	ledger_refund_id TEXT REFERENCES ledger_payments (id),
	note             TEXT NOT NULL, -- the ledger note (checked: no card number)
	error_code       TEXT NOT NULL,
	business_date    TEXT NOT NULL,
	version          INTEGER NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX stripe_refunds_payment ON stripe_refunds (payment_id);

-- Webhook events already processed, by Stripe's event id: a replayed or
-- re-delivered event changes nothing.
CREATE TABLE stripe_events (
	id           TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	created_at   TEXT NOT NULL, -- the event's own time
	processed_at TEXT NOT NULL,
	outcome      TEXT NOT NULL
) STRICT, WITHOUT ROWID;
