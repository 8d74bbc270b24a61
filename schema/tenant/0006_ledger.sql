-- The ledger (package tenant/ledger): per-property settings, tax codes with
-- dated rates, accounting categories, city-tax rule versions and products;
-- folios and their immutable lines; payments and refunds; issued invoices
-- and credit notes with their gapless counters. A folio names what it
-- belongs to (a reservation, a booking) by an opaque reference, never by a
-- foreign key into the PMS tables: the ledger is the lower layer.
-- Amounts are integer minor units; rates are basis points (700 = 7%).

-- The seller's legal data and the pricing basis of a property. The
-- property row belongs to the PMS; these are the ledger's own settings.
CREATE TABLE ledger_settings (
	property_id        TEXT PRIMARY KEY,
	currency           TEXT NOT NULL,
	prices_include_tax INTEGER NOT NULL CHECK (prices_include_tax IN (0, 1)),
	accommodation      TEXT NOT NULL, -- JSON: tax code and category of room nights
	legal              TEXT NOT NULL, -- JSON: company, address, VAT id, register, bank (business data)
	invoice_series     TEXT NOT NULL, -- number prefix of invoices, e.g. RE
	credit_note_series TEXT NOT NULL, -- number prefix of credit notes, e.g. GS
	version            INTEGER NOT NULL,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL
) STRICT;

CREATE TABLE ledger_tax_codes (
	property_id      TEXT NOT NULL,
	code             TEXT NOT NULL,
	name             TEXT NOT NULL,
	category         TEXT NOT NULL CHECK (category IN ('S', 'Z', 'E', 'O')),
	exemption_reason TEXT NOT NULL,
	rates            TEXT NOT NULL, -- JSON: [{valid_from, basis_points}] by date
	version          INTEGER NOT NULL,
	updated_at       TEXT NOT NULL,
	PRIMARY KEY (property_id, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_categories (
	property_id TEXT NOT NULL,
	code        TEXT NOT NULL,
	name        TEXT NOT NULL,
	account     TEXT NOT NULL,
	version     INTEGER NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (property_id, code)
) STRICT, WITHOUT ROWID;

-- Every version of a property's city tax, as one JSON list by date.
CREATE TABLE ledger_city_tax (
	property_id TEXT PRIMARY KEY,
	versions    TEXT NOT NULL,
	version     INTEGER NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE ledger_products (
	property_id TEXT NOT NULL,
	code        TEXT NOT NULL,
	name        TEXT NOT NULL,
	price       INTEGER NOT NULL CHECK (price >= 0),
	tax_code    TEXT NOT NULL,
	category    TEXT NOT NULL,
	rhythm      TEXT NOT NULL CHECK (rhythm IN ('once', 'per_night', 'per_person_per_night')),
	active      INTEGER NOT NULL CHECK (active IN (0, 1)),
	version     INTEGER NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (property_id, code)
) STRICT, WITHOUT ROWID;

-- A folio: an account of charges and payments. is_default marks the one
-- folio that postings to its reference land on when none is named (a
-- reservation's guest folio, a booking's folio, the property's house folio).
CREATE TABLE ledger_folios (
	id          TEXT PRIMARY KEY,
	property_id TEXT NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('guest', 'booking', 'external', 'house')),
	ref_kind    TEXT NOT NULL,
	ref_id      TEXT NOT NULL,
	label       TEXT NOT NULL,
	is_default  INTEGER NOT NULL CHECK (is_default IN (0, 1)),
	currency    TEXT NOT NULL,
	created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_folios_ref ON ledger_folios (ref_kind, ref_id);
CREATE UNIQUE INDEX ledger_folios_default ON ledger_folios (property_id, kind, ref_kind, ref_id) WHERE is_default = 1;
CREATE INDEX ledger_folios_property ON ledger_folios (property_id, kind);

-- Payments and refunds (kind). A refund names its payment. Only status,
-- external_ref (a provider id learned later), version and updated_at change.
CREATE TABLE ledger_payments (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
	folio_id      TEXT NOT NULL REFERENCES ledger_folios (id),
	method        TEXT NOT NULL CHECK (method IN ('cash', 'card_terminal', 'bank_transfer', 'city_ledger', 'stripe')),
	status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded', 'disputed')),
	amount        INTEGER NOT NULL CHECK (amount > 0),
	currency      TEXT NOT NULL,
	external_ref  TEXT NOT NULL,
	refund_of     TEXT REFERENCES ledger_payments (id),
	note          TEXT NOT NULL,
	business_date TEXT NOT NULL,
	version       INTEGER NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	CHECK ((kind = 'refund') = (refund_of IS NOT NULL))
) STRICT;
CREATE INDEX ledger_payments_folio ON ledger_payments (folio_id);
CREATE INDEX ledger_payments_refund_of ON ledger_payments (refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX ledger_payments_day ON ledger_payments (business_date);
CREATE TRIGGER ledger_payments_fixed BEFORE UPDATE OF id, kind, folio_id, method, amount, currency, refund_of, business_date, created_at ON ledger_payments
BEGIN SELECT RAISE(ABORT, 'a payment''s amount, method and folio never change'); END;
CREATE TRIGGER ledger_payments_no_delete BEFORE DELETE ON ledger_payments
BEGIN SELECT RAISE(ABORT, 'payments are never deleted'); END;

-- Folio lines: immutable. Amounts are positive; the kind gives the sign in
-- the balance (charge, transfer_in +; allowance, transfer_out, payment −;
-- refund +). corrects names the line an allowance or transfer_out reduces
-- (or, for a transfer_in, the transfer_out it mirrors).
CREATE TABLE ledger_lines (
	id            TEXT PRIMARY KEY,
	folio_id      TEXT NOT NULL REFERENCES ledger_folios (id),
	kind          TEXT NOT NULL CHECK (kind IN ('charge', 'allowance', 'payment', 'refund', 'transfer_out', 'transfer_in')),
	service_date  TEXT NOT NULL,
	business_date TEXT NOT NULL,
	description   TEXT NOT NULL,
	quantity      INTEGER NOT NULL CHECK (quantity >= 1),
	unit_price    INTEGER NOT NULL,
	net           INTEGER NOT NULL CHECK (net >= 0),
	tax           INTEGER NOT NULL CHECK (tax >= 0),
	gross         INTEGER NOT NULL CHECK (gross = net + tax),
	tax_code      TEXT NOT NULL,
	tax_category  TEXT NOT NULL,
	tax_rate      INTEGER NOT NULL, -- basis points, frozen at posting
	currency      TEXT NOT NULL,
	category      TEXT NOT NULL,
	account       TEXT NOT NULL,
	actor         TEXT NOT NULL, -- JSON: who posted it
	ref_kind      TEXT NOT NULL,
	ref_id        TEXT NOT NULL,
	night         TEXT NOT NULL, -- the night it belongs to, or ''
	item          TEXT NOT NULL, -- what a night posting was (room, city_tax, product:CODE), or ''
	corrects      TEXT REFERENCES ledger_lines (id),
	payment_id    TEXT REFERENCES ledger_payments (id),
	reason        TEXT NOT NULL,
	created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_lines_folio ON ledger_lines (folio_id);
CREATE INDEX ledger_lines_corrects ON ledger_lines (corrects) WHERE corrects IS NOT NULL;
CREATE INDEX ledger_lines_business_date ON ledger_lines (business_date);
-- A night is posted once per item, whatever folio it went to.
CREATE UNIQUE INDEX ledger_lines_night ON ledger_lines (ref_kind, ref_id, night, item) WHERE item != '' AND kind = 'charge';
CREATE TRIGGER ledger_lines_no_update BEFORE UPDATE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'posted folio lines are immutable; post a correction'); END;
CREATE TRIGGER ledger_lines_no_delete BEFORE DELETE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'posted folio lines are immutable; post a correction'); END;

-- Gapless document numbers: one counter per property, series and year,
-- advanced inside the issuing transaction.
CREATE TABLE ledger_counters (
	property_id TEXT NOT NULL,
	series      TEXT NOT NULL,
	year        INTEGER NOT NULL,
	last        INTEGER NOT NULL,
	PRIMARY KEY (property_id, series, year)
) STRICT, WITHOUT ROWID;

-- Issued invoices and credit notes: immutable. body is the canonical JSON
-- of everything frozen (seller, lines, tax breakdown, totals); recipient is
-- sealed under the document's own key (ledger_document_keys); hash is the
-- SHA-256 of the canonical encoding, also recorded in the audit chain.
-- cancels = 1 marks a credit note that cancels its invoice in full.
CREATE TABLE ledger_documents (
	id           TEXT PRIMARY KEY,
	property_id  TEXT NOT NULL,
	kind         TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
	series       TEXT NOT NULL,
	year         INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	number       TEXT NOT NULL,
	folio_id     TEXT NOT NULL REFERENCES ledger_folios (id),
	corrects     TEXT REFERENCES ledger_documents (id),
	cancels      INTEGER NOT NULL CHECK (cancels IN (0, 1)),
	issue_date   TEXT NOT NULL,
	currency     TEXT NOT NULL,
	net          INTEGER NOT NULL,
	tax          INTEGER NOT NULL,
	gross        INTEGER NOT NULL,
	prepaid      INTEGER NOT NULL,
	due          INTEGER NOT NULL,
	body         TEXT NOT NULL,
	recipient    BLOB NOT NULL,
	retain_until TEXT NOT NULL,
	hash         BLOB NOT NULL,
	issued_at    TEXT NOT NULL,
	UNIQUE (property_id, series, year, seq),
	CHECK ((kind = 'credit_note') = (corrects IS NOT NULL))
) STRICT;
CREATE INDEX ledger_documents_folio ON ledger_documents (folio_id);
CREATE INDEX ledger_documents_corrects ON ledger_documents (corrects) WHERE corrects IS NOT NULL;
CREATE INDEX ledger_documents_issued ON ledger_documents (property_id, issue_date);
CREATE TRIGGER ledger_documents_no_update BEFORE UPDATE ON ledger_documents
BEGIN SELECT RAISE(ABORT, 'issued invoices and credit notes are immutable; issue a credit note'); END;
CREATE TRIGGER ledger_documents_no_delete BEFORE DELETE ON ledger_documents
BEGIN SELECT RAISE(ABORT, 'issued invoices and credit notes are immutable; issue a credit note'); END;

-- Which folio line each document line documents (also inside body; kept
-- here so "is this line invoiced" is one indexed query).
CREATE TABLE ledger_document_lines (
	document_id   TEXT NOT NULL REFERENCES ledger_documents (id),
	line_no       INTEGER NOT NULL,
	folio_line_id TEXT NOT NULL REFERENCES ledger_lines (id),
	PRIMARY KEY (document_id, line_no)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_document_lines_line ON ledger_document_lines (folio_line_id);
CREATE TRIGGER ledger_document_lines_no_update BEFORE UPDATE ON ledger_document_lines
BEGIN SELECT RAISE(ABORT, 'issued invoices and credit notes are immutable'); END;
CREATE TRIGGER ledger_document_lines_no_delete BEFORE DELETE ON ledger_document_lines
BEGIN SELECT RAISE(ABORT, 'issued invoices and credit notes are immutable'); END;

-- Each document's own key, wrapped by the tenant's financial-records key;
-- the recipient snapshot is sealed under it. Deleting the row once the
-- retention date has passed (PurgeExpiredRecipients) makes the snapshot
-- unreadable for good; nothing else may change or delete it.
CREATE TABLE ledger_document_keys (
	document_id  TEXT PRIMARY KEY REFERENCES ledger_documents (id),
	wrapped      BLOB NOT NULL,
	retain_until TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_document_keys_retain ON ledger_document_keys (retain_until);
CREATE TRIGGER ledger_document_keys_no_update BEFORE UPDATE ON ledger_document_keys
BEGIN SELECT RAISE(ABORT, 'document keys never change'); END;
