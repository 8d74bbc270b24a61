-- Retention of registration-form data per property (issue 16): the
-- check-in record's document (type, issuing country, expiry, date of
-- birth, number) and its ID photos are purged this many months after
-- check-out (the legal period plus the time allowed to destroy them, e.g.
-- 12 + 3 in Germany); 0 is off, the default. registration_purged_at
-- marks a record so purged (its tombstone stays).
ALTER TABLE guest_retention ADD COLUMN registration_months INTEGER NOT NULL DEFAULT 0 CHECK (registration_months BETWEEN 0 AND 120);
ALTER TABLE checkin_records ADD COLUMN registration_purged_at TEXT;
