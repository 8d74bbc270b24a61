-- A reservation holds its booking's source (direct or a channel code), as
-- well as the booking. The source never changes after the booking is made
-- (no statement updates bookings.source), and every read of a reservation
-- returns it: the reservation list joined each row to its booking only to
-- read it, two b-tree seeks of the five a listed row cost. Reservations
-- written from now on carry it (tenant/stays writeReservation); this
-- fills in those written before.
ALTER TABLE reservations ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE reservations SET source = (SELECT b.source FROM bookings b WHERE b.id = reservations.booking_id);
