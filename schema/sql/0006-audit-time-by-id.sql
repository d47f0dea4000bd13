-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 6: fewer indexes for the audit writer to
-- keep. The writer never lets time decrease along the chain, so the id order
-- is also the time order and a time bound is found by a binary search over
-- the primary key (audit_id_at_time); events_time was a second copy of that
-- order that every append paid for. The events table and its hash chain are
-- unchanged.
DROP INDEX IF EXISTS events_time;
