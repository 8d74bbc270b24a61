-- The front desk without surprises (issue 11): per-property settings for
-- assigning a free room to each new booking automatically, and for the
-- layout of the printed registration card ('' = the one of the property's
-- country; see tenant.RegistrationCardLayouts).
ALTER TABLE properties ADD COLUMN auto_assign_rooms INTEGER NOT NULL DEFAULT 0
	CHECK (auto_assign_rooms IN (0, 1));
ALTER TABLE properties ADD COLUMN registration_card TEXT NOT NULL DEFAULT '';

-- The global search finds a booking by its channel code as typed, whatever
-- the channel (bookings_ota_code leads with property and source).
CREATE INDEX bookings_ota_search ON bookings (ota_code COLLATE NOCASE) WHERE ota_code IS NOT NULL;
