/* SPDX-License-Identifier: Apache-2.0 */
/* The policy history in SQLite (schema/sql/0002-admin.sql): every version of
 * the org policy (policy_versions), every version of each per-user policy
 * (user_policies; a NULL document records a deletion) and each user's own
 * preferences (user_prefs). Storage only: no validation, no audit. */
#ifndef LOCKSET_POLICYSTORE_H
#define LOCKSET_POLICYSTORE_H

#include <jansson.h>

struct db;
struct policystore;

/* A store over db (borrowed, must outlive the store) for every call below;
 * NULL when out of memory. */
struct policystore *policystore_open(struct db *db);
void policystore_close(struct policystore *ps);

/* hex SHA-256 of the canonical text of doc (compact, sorted keys, ASCII).
 * out is 65 bytes. Returns 0, or -1 on ENOMEM. */
int policystore_hash(const json_t *doc, char out[65]);

/* ---- the org policy ---- */

struct policystore_version {
	const char *actor;   /* "file", "uid:0", "token:ci" */
	const char *comment; /* NULL: "" */
	const char *source;  /* "file" | "api" | "rollback" */
	const json_t *doc;   /* borrowed */
};

/* The newest version: 0 with *version and hash (65 bytes) set, 1 when there is
 * none yet, -1 on a read error. */
int policystore_latest(struct policystore *ps, long long *version, char hash[65]);
/* Record a new version; its number (never reused) goes to *version. 0 or -1. */
int policystore_add(struct policystore *ps, const struct policystore_version *v,
                    long long *version);
/* Withdraw a version recorded by policystore_add that could not be applied.
 * 0 or -1. */
int policystore_withdraw(struct policystore *ps, long long version);
/* Up to limit versions, newest first, without documents: [{"version","time",
 * "actor","comment","source","hash"}]. New reference, NULL on error. */
json_t *policystore_list(struct policystore *ps, int limit);
/* One version with its document ("document" parsed). New reference; NULL with
 * *found = 0 when there is no such version, NULL with *found = 1 on error. */
json_t *policystore_get(struct policystore *ps, long long version, int *found);

/* ---- per-user policies ---- */

/* Record version N+1 of user's policy (doc NULL: deleted). 0 or -1. */
int policystore_user_add(struct policystore *ps, const char *user, const json_t *doc,
                         const char *actor, const char *comment, long long *version);
/* Withdraw that version again (its change could not be audited). 0 or -1. */
int policystore_user_withdraw(struct policystore *ps, const char *user, long long version);
/* Every user whose newest version has a document: {"user": {"version",
 * "time", "actor", "document"}}. New reference, NULL on error. */
json_t *policystore_user_current(struct policystore *ps);
/* Up to limit versions of user's policy, newest first, each with its
 * document (null for a deletion): [{"version","time","actor","comment",
 * "deleted","document"}]; [] for a user never given one. New reference, NULL on
 * error. */
json_t *policystore_user_history(struct policystore *ps, const char *user, int limit);

/* ---- user preferences ---- */

/* Replace user's preferences (borrowed object). A user who has none yet is
 * added only while fewer than max_users have some (checked in the same
 * transaction). 0, -2 when that many users have preferences, or -1. */
int policystore_prefs_put(struct policystore *ps, const char *user, const json_t *prefs,
                          const char *actor, long max_users);
/* Users whose preferences were last changed before cutoff (RFC 3339 UTC, as
 * stored), at most limit of them, oldest first: a new array of names, NULL on
 * error. */
json_t *policystore_prefs_stale(struct policystore *ps, const char *cutoff, int limit);
/* Remove the preferences of users (an array of names) still unchanged since
 * before cutoff (NULL: whenever they changed). The number removed, or -1. */
long policystore_prefs_remove(struct policystore *ps, const json_t *users, const char *cutoff);
/* Users with preferences, or -1. */
long policystore_prefs_count(struct policystore *ps);
/* Users whose preferences actor wrote last (NULL: any), or -1. */
long policystore_prefs_count_by(struct policystore *ps, const char *actor);
/* user's preferences: 0 with *prefs a new reference (NULL when none were
 * stored), -1 on a read error. */
int policystore_prefs_get(struct policystore *ps, const char *user, json_t **prefs);

#endif
