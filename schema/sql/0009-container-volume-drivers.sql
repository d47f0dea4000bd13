-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 9: the volume drivers other than local
-- whose volumes each recorded container mounts (a JSON array of names), so
-- that allowedVolumeDrivers holds at docker start and --volumes-from too: a
-- volume a plugin made before the policy mounts whatever the plugin serves.
-- NULL, every row written before: not known, and the engine is asked.
ALTER TABLE containers ADD COLUMN drivers TEXT;
