-- The reservation list (tenant/stays ListReservations) is ordered by
-- arrival, then id, and pages on that pair. The indexes it reads held
-- (…, arrival) only, so SQLite read every reservation of the last arrival
-- day on a page, built its row and sorted them, to return the first of
-- them: with tens of reservations arriving on a day, much of a page's
-- work. With the id at the end of each, the list reads the page in index
-- order and stops at its limit. Each index replaces the old one of the
-- same name, so a booking writes no more index entries than before.
DROP INDEX reservations_arrival;
CREATE INDEX reservations_arrival ON reservations (property_id, arrival, id);
DROP INDEX reservations_overbooked;
CREATE INDEX reservations_overbooked ON reservations (property_id, arrival, id) WHERE overbooked = 1;
DROP INDEX reservations_status;
CREATE INDEX reservations_status ON reservations (property_id, status, arrival, id);
