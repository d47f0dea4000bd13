-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 1: the audit log.
-- Applied once at start-up by daemon/store/db.c, inside one transaction, which then
-- records version 1 in schema_version (created by db.c itself).

-- One row per audit event. Append-only: rows are never updated, and deleted only
-- by retention (oldest first), which then appends a signed 'audit.pruned' anchor.
-- Every text column is '' rather than NULL when absent, so the canonical encoding
-- that feeds the hash chain has one spelling per value (see daemon/audit/audit.h).
CREATE TABLE events (
	id             INTEGER PRIMARY KEY,   -- assigned by the writer: previous id + 1
	time           TEXT NOT NULL,         -- RFC 3339 UTC, microseconds; never decreases with id
	action         TEXT NOT NULL,         -- e.g. container.create.denied
	actor          TEXT NOT NULL DEFAULT '',
	host           TEXT NOT NULL DEFAULT '',
	component      TEXT NOT NULL DEFAULT '',
	subject        TEXT NOT NULL DEFAULT '',
	decision       TEXT NOT NULL DEFAULT '',   -- deny | allow | audit | ''
	rules          TEXT NOT NULL DEFAULT '[]', -- JSON array of rule ids, as given
	data           TEXT NOT NULL DEFAULT '{}', -- JSON object, compact, sorted keys
	policy_version INTEGER,                    -- NULL: no policy involved
	prev_hash      TEXT NOT NULL,              -- hex SHA-256 of the previous row
	hash           TEXT NOT NULL               -- hex SHA-256(prev_hash || canonical row)
);

-- Filters. Each index ends (implicitly) in the rowid, so "col = ? AND id < ?
-- ORDER BY id DESC" walks one index range with no sort: keyset paging and
-- unlimited exports run in constant memory.
CREATE INDEX events_time ON events(time);
CREATE INDEX events_action ON events(action);
CREATE INDEX events_actor ON events(actor);
CREATE INDEX events_subject ON events(subject);
CREATE INDEX events_decision ON events(decision);
CREATE INDEX events_policy_version ON events(policy_version);

-- Rule ids of each event, for the rule filter and per-rule stats.
CREATE TABLE event_rules (
	rule     TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	PRIMARY KEY (rule, event_id)
) WITHOUT ROWID;
CREATE INDEX event_rules_event ON event_rules(event_id);
