-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 15: which of each recorded container's
-- host paths it mounts read-write (a JSON array of some of its sources), so
-- that a start, a VolumesFrom, an exec or an attach through the docker
-- socket proxy asks its caller to write those, not only to read them: a
-- read-write bind swapped for a symlink to a directory the caller may only
-- read would otherwise be written through.
-- NULL, every row written before: not known, and only reading is asked.
ALTER TABLE containers ADD COLUMN rw TEXT;
