-- Failed sign-in attempts per throttle key (an account, a client network,
-- a device), so the growing delay between attempts survives a restart.
-- The key is an HMAC (server secret "login-throttle") of what it counts:
-- no email or IP address is stored in the clear. Rows are written only
-- when an attempt fails and deleted when one succeeds; a row untouched for
-- the throttle's forget period is deleted by the next failure.
CREATE TABLE login_throttle (
	key             BLOB PRIMARY KEY,
	failures        INTEGER NOT NULL,
	last_failure_ms INTEGER NOT NULL   -- Unix milliseconds of the last failure
) STRICT, WITHOUT ROWID;
CREATE INDEX login_throttle_last ON login_throttle (last_failure_ms);
