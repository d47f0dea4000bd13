/* SPDX-License-Identifier: Apache-2.0 */
/* Who is calling and with which role. Unix-socket peers are identified by
 * SO_PEERCRED (uid 0 is admin; other uids, users and groups map to roles through
 * the daemon config); TCP callers present a bearer token. */
#ifndef LOCKSET_AUTH_H
#define LOCKSET_AUTH_H

#include "http.h"

/* Set rq->peer.role and rq->peer.name from the peer credentials and headers.
 * Returns 0 (role may be ROLE_NONE), -1 on an internal error. */
int auth_identify(struct request *rq);

/* "runtime", "auditor", "admin" ("none" for ROLE_NONE). */
const char *auth_role_name(enum role role);
/* Parse a role name (not "none"); -1 when unknown. */
int auth_role_parse(const char *name, enum role *out);

/* Add a Unix-peer mapping "uid:N=ROLE", "user:NAME=ROLE" or "group:NAME=ROLE".
 * Returns 0, or -1 with *err set (malloc'd). */
int auth_role_map_add(const char *spec, char **err);
/* Forget every mapping (used on reload and in tests). */
void auth_role_map_clear(void);
/* The role a Unix peer gets: admin for uid 0, else the strongest mapping. */
enum role auth_unix_role(uid_t uid, gid_t gid);

/* Token verification for TCP callers: set by the token store once it is open.
 * Returns the role (ROLE_NONE when the token is unknown, revoked or expired),
 * copies the token name into name, and sets *limited when the peer has failed
 * too often and must wait. */
typedef enum role (*auth_token_verify_fn)(const char *secret, const char *peer_addr, char *name,
                                          size_t namesz, int *limited);
void auth_set_token_verifier(auth_token_verify_fn fn);

#endif
