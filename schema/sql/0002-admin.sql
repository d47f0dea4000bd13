-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 2: administration. API tokens, policy
-- versions (org and per-user), user preferences, and recorded decision inputs
-- for the impact preview.

-- Bearer tokens for TCP callers. Only the SHA-256 of the secret is stored.
CREATE TABLE tokens (
	name        TEXT PRIMARY KEY,
	role        TEXT NOT NULL CHECK (role IN ('runtime', 'auditor', 'admin')),
	hash        TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the secret
	created     TEXT NOT NULL,              -- RFC 3339 UTC
	created_by  TEXT NOT NULL DEFAULT '',
	expires     INTEGER,                    -- unix seconds; NULL: never
	revoked     TEXT                        -- RFC 3339 UTC; NULL: active
);

-- Every version of the org policy (the settings file), whoever wrote it.
-- AUTOINCREMENT: a number withdrawn after a failed change is never reused, so
-- an audit row's policy_version always names one document.
CREATE TABLE policy_versions (
	version   INTEGER PRIMARY KEY AUTOINCREMENT,
	time      TEXT NOT NULL,
	actor     TEXT NOT NULL,                -- "file", "uid:0", "token:ci", ...
	comment   TEXT NOT NULL DEFAULT '',
	source    TEXT NOT NULL,                -- file | api | rollback
	doc_hash  TEXT NOT NULL,                -- hex SHA-256 of the canonical document
	document  TEXT NOT NULL                 -- the document as stored
);

-- Per-user policies ("specific users"), versioned like the org policy. A row
-- with a NULL document records a deletion.
CREATE TABLE user_policies (
	user      TEXT NOT NULL,
	version   INTEGER NOT NULL,
	time      TEXT NOT NULL,
	actor     TEXT NOT NULL,
	comment   TEXT NOT NULL DEFAULT '',
	document  TEXT,
	PRIMARY KEY (user, version)
);

-- A user's own preferences (unlocked keys only), as submitted by the runtime.
CREATE TABLE user_prefs (
	user      TEXT PRIMARY KEY,
	time      TEXT NOT NULL,
	actor     TEXT NOT NULL,
	prefs     TEXT NOT NULL
);

-- Inputs of decisions on inspected routes, kept for the impact preview.
-- Bodies are stored once each, by content; identical decisions of the same
-- minute are one row with a count. Pruned with the audit retention (by last,
-- and a row cap); bodies no row refers to any more go with them.
CREATE TABLE input_bodies (
	hash      BLOB PRIMARY KEY,             -- SHA-256 of the body (32 bytes)
	body      BLOB NOT NULL                 -- at most the writer's cap
);
CREATE TABLE decision_inputs (
	id        INTEGER PRIMARY KEY,
	bucket    TEXT NOT NULL,                -- the minute: "2026-11-28T12:34:00.000000Z"
	first     TEXT NOT NULL,                -- first and last decision counted here
	last      TEXT NOT NULL,
	count     INTEGER NOT NULL DEFAULT 1,   -- decisions counted here
	method    TEXT NOT NULL,
	uri       TEXT NOT NULL,
	user      TEXT NOT NULL DEFAULT '',
	body_hash BLOB NOT NULL DEFAULT X'',    -- input_bodies.hash; X'': no body kept
	body_truncated INTEGER NOT NULL DEFAULT 0, -- 1: a body over the cap was not kept
	allow     INTEGER NOT NULL,
	rules     TEXT NOT NULL DEFAULT '[]',
	policy_version INTEGER NOT NULL DEFAULT -1,
	UNIQUE (bucket, method, uri, user, body_hash, body_truncated, allow, rules,
	        policy_version)
);
