-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 14: who made each container, for the scan
-- of the engine's containers against the policy: a container made under a
-- user's own policy is judged by that policy, not the organisation's. The
-- caller whose policy judged the create (the docker socket proxy's caller,
-- or dockerd's AuthZ User), written for every create lockset saw succeed
-- whose caller had a name. Container ids are never reused, so a row whose
-- container is gone misleads no one; rows are pruned with the records
-- (--container-records-days, -max). A container with no row (made before
-- lockset saw it, or by no named caller) is judged by the organisation's
-- policy.
CREATE TABLE container_creators (
	id      TEXT PRIMARY KEY,   -- full container id, 64 lowercase hex
	user    TEXT NOT NULL,      -- as per-user policies name users; never ''
	created TEXT NOT NULL       -- RFC 3339 UTC: when the row was written
) WITHOUT ROWID;

CREATE INDEX container_creators_created ON container_creators(created);
