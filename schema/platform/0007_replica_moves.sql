-- Off-site copies a tenant left behind when it moved to another replica
-- target (`aura tenant set-region`, the /platform backups page). The old
-- copy is kept until its retention ends, and pruned then only once a
-- restore from the new target has checked out.
CREATE TABLE replica_moves (
	id          INTEGER PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id),
	from_target TEXT NOT NULL,  -- the target left ("": the config's default)
	to_target   TEXT NOT NULL,  -- the target moved to ("": the default)
	moved_at    TEXT NOT NULL,
	verified_at TEXT,           -- when a restore from the new target checked out
	closed_at   TEXT,           -- when the old copy was pruned, or found not to need it
	outcome     TEXT            -- "pruned", or why nothing was deleted
) STRICT;
CREATE INDEX replica_moves_open ON replica_moves (closed_at, tenant_id);
