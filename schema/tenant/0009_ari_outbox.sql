-- The ARI outbox (package tenant/channels): which availability, rates and
-- restrictions a channel manager must be told again. Triggers queue a row
-- in the very transaction that changed a reservation's nights, a room
-- block, a channel block, a room or a rate, so a crash cannot lose the
-- change. Rows name what changed (kind, target, dates), not the values:
-- the pusher reads the values when it sends, so a row sent twice sends the
-- same truth. A row queued again before it was sent is coalesced (gen is
-- bumped); the pusher deletes a row only at the gen it sent. Only
-- properties connected to a channel manager (ari_properties) queue
-- anything; connecting one queues its whole horizon (a full resync).
CREATE TABLE ari_properties (
	property_id TEXT PRIMARY KEY REFERENCES properties (id),
	since       TEXT NOT NULL
) STRICT;

CREATE TABLE ari_outbox (
	id        INTEGER PRIMARY KEY,
	kind      TEXT NOT NULL CHECK (kind IN ('availability', 'rates')),
	target_id TEXT NOT NULL, -- a room type (availability) or a rate plan (rates)
	date_from TEXT NOT NULL,
	date_to   TEXT NOT NULL, -- exclusive
	gen       INTEGER NOT NULL DEFAULT 1,
	UNIQUE (kind, target_id, date_from, date_to)
) STRICT;

CREATE TRIGGER ari_nights_insert AFTER INSERT ON reservation_nights
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN room_types t ON t.property_id = a.property_id WHERE t.id = NEW.room_type_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, NEW.date, date(NEW.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_nights_delete AFTER DELETE ON reservation_nights
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN room_types t ON t.property_id = a.property_id WHERE t.id = OLD.room_type_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', OLD.room_type_id, OLD.date, date(OLD.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_nights_update AFTER UPDATE OF holds, room_type_id, date ON reservation_nights
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN room_types t ON t.property_id = a.property_id WHERE t.id = NEW.room_type_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', OLD.room_type_id, OLD.date, date(OLD.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, NEW.date, date(NEW.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_room_blocks_insert AFTER INSERT ON room_blocks
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN rooms r ON r.property_id = a.property_id WHERE r.id = NEW.room_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) SELECT 'availability', room_type_id, NEW.start_date, NEW.end_date FROM rooms WHERE id = NEW.room_id
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_room_blocks_delete AFTER DELETE ON room_blocks
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN rooms r ON r.property_id = a.property_id WHERE r.id = OLD.room_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) SELECT 'availability', room_type_id, OLD.start_date, OLD.end_date FROM rooms WHERE id = OLD.room_id
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_channel_blocks_insert AFTER INSERT ON channel_blocks
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN room_types t ON t.property_id = a.property_id WHERE t.id = NEW.room_type_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, NEW.start_date, NEW.end_date)
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_channel_blocks_update AFTER UPDATE OF status, start_date, end_date, room_type_id ON channel_blocks
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN room_types t ON t.property_id = a.property_id WHERE t.id = NEW.room_type_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', OLD.room_type_id, OLD.start_date, OLD.end_date)
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, NEW.start_date, NEW.end_date)
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
-- A room added or moved to another type changes every night of its type(s).
CREATE TRIGGER ari_rooms_insert AFTER INSERT ON rooms
	WHEN EXISTS (SELECT 1 FROM ari_properties WHERE property_id = NEW.property_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, '0000-01-01', '9999-12-31')
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_rooms_update AFTER UPDATE OF room_type_id ON rooms
	WHEN EXISTS (SELECT 1 FROM ari_properties WHERE property_id = NEW.property_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', OLD.room_type_id, '0000-01-01', '9999-12-31')
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('availability', NEW.room_type_id, '0000-01-01', '9999-12-31')
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_rates_insert AFTER INSERT ON rates
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN rate_plans p ON p.property_id = a.property_id WHERE p.id = NEW.rate_plan_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('rates', NEW.rate_plan_id, NEW.date, date(NEW.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER ari_rates_update AFTER UPDATE ON rates
	WHEN EXISTS (SELECT 1 FROM ari_properties a JOIN rate_plans p ON p.property_id = a.property_id WHERE p.id = NEW.rate_plan_id)
BEGIN
	INSERT INTO ari_outbox (kind, target_id, date_from, date_to) VALUES ('rates', NEW.rate_plan_id, NEW.date, date(NEW.date, '+1 day'))
	ON CONFLICT (kind, target_id, date_from, date_to) DO UPDATE SET gen = gen + 1;
END;
