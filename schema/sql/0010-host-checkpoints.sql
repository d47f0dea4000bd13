-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 10: the last audit checkpoint each fleet
-- host reported (its row id and hash), so that the next one must continue
-- its log: an id below it, or another hash at the same id, is a log that
-- was wiped or rewritten (with the same key) and is refused.
ALTER TABLE hosts ADD COLUMN checkpoint_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN checkpoint_hash TEXT NOT NULL DEFAULT '';
