-- Restriction of processing (GDPR art. 18): a restricted guest is hidden
-- from guest lists and search except for users with
-- guests.restricted.read, and every read of the profile is audited.
-- restricted_at is when the restriction began (NULL: not restricted).
ALTER TABLE guests ADD COLUMN restricted_at TEXT;
