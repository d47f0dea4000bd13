/* SPDX-License-Identifier: Apache-2.0 */
/* API bearer tokens for TCP callers. A token has a name, a role and an
 * optional expiry; its secret is shown once at creation and only its SHA-256
 * is stored. Active tokens are cached in memory; verification compares hashes
 * in constant time, and failed attempts (never a valid secret) are
 * rate-limited per caller and audited within a budget. A token table is an object: main.c opens
 * the daemon's one, each test its own. */
#ifndef LOCKSET_TOKENS_H
#define LOCKSET_TOKENS_H

#include "auth.h"
#include "util/problems.h"

#include <jansson.h>
#include <time.h>

struct audit;
struct db;
struct tokens;

/* A token table over db (borrowed, must outlive it), loaded now; failed
 * attempts are recorded in audit (borrowed; NULL: not recorded). Returns
 * the table, or NULL with *err (malloc'd). */
struct tokens *tokens_open(struct db *db, struct audit *audit, char **err);
/* Release t; accepts NULL. */
void tokens_close(struct tokens *t);

/* Create a token. name: 1-64 of [A-Za-z0-9._-]; ttl 0 = no expiry. On success
 * *secret is a malloc'd secret (caller prints it once and frees it). Returns 0,
 * -1 with errs filled (invalid name/role; path "/name"), or -2 when the name
 * is taken. */
int tokens_create(struct tokens *t, const char *name, enum role role, long ttl,
                  const char *created_by, char **secret, struct problems *errs);
/* Every token, never a secret or hash: [{"name","role","created","createdBy",
 * "expires","revoked","active"}]. New reference. */
json_t *tokens_list(struct tokens *t);
/* Revoke by name, effective at once. 0 revoked, 1 no such active token, -1 error. */
int tokens_revoke(struct tokens *t, const char *name);

/* The verifier auth.c calls for who: role of the secret (ROLE_NONE when
 * unknown, revoked or expired). A valid secret always authenticates; a
 * failure sets *limited when who (auth_peer_key: a local uid, not an
 * address of 127.0.0.0/8) already failed too often in the window (429),
 * and is then not audited again; and past TOKEN_AUDIT_MAX audited failures
 * in a window from everyone together, failures are no longer audited one
 * by one either. */
enum role tokens_verify(struct tokens *t, const char *secret, const struct peer *who, char *name,
                        size_t namesz, long long *expires, int *limited);
/* tokens_verify as of the time now (expiry and the failure window), for
 * tests with their own clock. */
enum role tokens_verify_at(struct tokens *t, const char *secret, const struct peer *who, time_t now,
                           char *name, size_t namesz, long long *expires, int *limited);
/* Changes whenever a token is created or revoked (for per-connection caches). */
unsigned tokens_generation(struct tokens *t);

#endif
