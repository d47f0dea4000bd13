-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 11: when the bundle each fleet host holds
-- stops being vouched for (its "expires", RFC 3339 UTC to the second; ''
-- for a host that holds a bundle that never expires, or reports none), so
-- that GET /v1/hosts shows the hosts whose updates are being held back.
ALTER TABLE hosts ADD COLUMN bundle_expires TEXT NOT NULL DEFAULT '';
