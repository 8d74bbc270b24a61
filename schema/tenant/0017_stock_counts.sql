-- Availability (inventory.AvailabilityOf) runs inside every booking's write
-- transaction. It used to count the rooms of a type and look for blocks by
-- walking every room of the type (two probes per room: 400 rooms, 800
-- probes per booking). Now a type's room count is one row, kept by
-- triggers in the same transaction as the room it counts, and blocks are
-- found by their end date (only blocks that end after the first night are
-- read, which are few: past blocks stay behind).
CREATE TABLE room_type_rooms (
	room_type_id TEXT PRIMARY KEY REFERENCES room_types (id),
	rooms        INTEGER NOT NULL CHECK (rooms >= 0)
) STRICT, WITHOUT ROWID;
INSERT INTO room_type_rooms (room_type_id, rooms) SELECT room_type_id, count(*) FROM rooms GROUP BY room_type_id;

CREATE TRIGGER room_type_rooms_insert AFTER INSERT ON rooms
BEGIN
	INSERT INTO room_type_rooms (room_type_id, rooms) VALUES (NEW.room_type_id, 1)
	ON CONFLICT (room_type_id) DO UPDATE SET rooms = rooms + 1;
END;
CREATE TRIGGER room_type_rooms_update AFTER UPDATE OF room_type_id ON rooms
	WHEN OLD.room_type_id IS NOT NEW.room_type_id
BEGIN
	UPDATE room_type_rooms SET rooms = rooms - 1 WHERE room_type_id = OLD.room_type_id;
	INSERT INTO room_type_rooms (room_type_id, rooms) VALUES (NEW.room_type_id, 1)
	ON CONFLICT (room_type_id) DO UPDATE SET rooms = rooms + 1;
END;
CREATE TRIGGER room_type_rooms_delete AFTER DELETE ON rooms
BEGIN
	UPDATE room_type_rooms SET rooms = rooms - 1 WHERE room_type_id = OLD.room_type_id;
END;

CREATE INDEX room_blocks_end ON room_blocks (end_date);
