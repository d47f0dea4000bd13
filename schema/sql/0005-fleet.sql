-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 5: fleet mode. The signed bundles a central
-- lockset has issued, the status its hosts report, and how far the audit log
-- has been forwarded to syslog.

-- Every bundle a central lockset has served: one row per distinct content
-- (org policy, its version and the per-user policies). The number is what
-- hosts compare to refuse an older bundle, so it is never reused, and it
-- survives restarts. AUTOINCREMENT: a row deleted by hand does not give its
-- number to the next bundle.
CREATE TABLE bundle_versions (
	version   INTEGER PRIMARY KEY AUTOINCREMENT,
	issued    TEXT NOT NULL,                -- RFC 3339 UTC, when first served
	hash      TEXT NOT NULL                 -- hex SHA-256 of the canonical content
);

-- The last status each host reported (POST /v1/hosts/{host}/status): the
-- compliance view (GET /v1/hosts) reads it. Counts are totals of the deltas
-- the host reported; last_* hold its latest report's deltas.
CREATE TABLE hosts (
	host            TEXT PRIMARY KEY,
	lockset_version TEXT NOT NULL DEFAULT '',
	bundle_version  INTEGER NOT NULL DEFAULT 0,  -- 0: none installed yet
	last_sync       TEXT NOT NULL DEFAULT '',    -- as the host says; '' never
	mode            TEXT NOT NULL DEFAULT '',    -- enforce | audit
	status          TEXT NOT NULL DEFAULT '',    -- ok | degraded
	last_error      TEXT NOT NULL DEFAULT '',
	decisions       INTEGER NOT NULL DEFAULT 0,
	denies          INTEGER NOT NULL DEFAULT 0,
	last_decisions  INTEGER NOT NULL DEFAULT 0,
	last_denies     INTEGER NOT NULL DEFAULT 0,
	reporter        TEXT NOT NULL DEFAULT '',    -- the caller's identity, e.g. token:fleet
	first_seen      TEXT NOT NULL,               -- RFC 3339 UTC, this server's clock
	last_seen       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX hosts_bundle_version ON hosts(bundle_version);
CREATE INDEX hosts_last_seen ON hosts(last_seen);

-- Syslog forwarding (--syslog): per target, the last audit row the receiver
-- confirmed. Forwarding resumes after it, so rows after it may be sent twice
-- (at least once); each message carries its row id.
CREATE TABLE syslog_cursor (
	target    TEXT PRIMARY KEY,             -- the --syslog value, e.g. tcp:siem:6514
	last_id   INTEGER NOT NULL,             -- events.id
	updated   TEXT NOT NULL                 -- RFC 3339 UTC
);
