-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 3: container records. The host paths each
-- container mounts, recorded when its create went through the plugin (or when
-- the Engine API was asked about it), so that POST /containers/{id}/start and
-- HostConfig.VolumesFrom are judged by the paths as they resolve at that time.
-- Only looked up by full id; a row is removed before dockerd removes its
-- container, and pruned by age and count (--container-records-days, -max).

CREATE TABLE containers (
	id             TEXT PRIMARY KEY,          -- full container id, 64 lowercase hex
	name           TEXT NOT NULL DEFAULT '',  -- without the leading '/'; '' when not known
	image          TEXT NOT NULL DEFAULT '',  -- the create's Image (or Config.Image)
	sources        TEXT NOT NULL DEFAULT '[]',-- JSON array of host paths, as sent
	created        TEXT NOT NULL,             -- RFC 3339 UTC: when the row was written
	policy_version INTEGER NOT NULL DEFAULT -1,
	origin         TEXT NOT NULL CHECK (origin IN ('create', 'engine'))
) WITHOUT ROWID;

CREATE INDEX containers_name ON containers(name);
CREATE INDEX containers_created ON containers(created);
