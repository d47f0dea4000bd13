/* SPDX-License-Identifier: Apache-2.0 */
/* Who is calling and with which role. Unix-socket peers are identified by
 * SO_PEERCRED (uid 0 is admin; other uids, users and groups map to roles through
 * the daemon config); TCP callers present a bearer token. The mappings, the
 * home group and the token table to check against belong to a struct auth:
 * main.c makes the daemon's one and gives it to http_start. */
#ifndef LOCKSET_AUTH_H
#define LOCKSET_AUTH_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

struct tokens;
struct auth;

/* Roles, weakest first. ROLE_NONE means "no credentials". */
enum role { ROLE_NONE = 0, ROLE_RUNTIME, ROLE_AUDITOR, ROLE_ADMIN };

/* A token's name is 1 to this many bytes (tokens_create). */
#define AUTH_TOKEN_NAME_MAX 64

/* A peer's address and name are sized for the longest each can be, so that
 * neither is ever cut short (the name is who the audit log and the caps
 * count): the address "[" IPv6 "]:" port (INET6_ADDRSTRLEN counts the NUL);
 * the name "token:" and a token's name, or "anonymous@" and the address
 * (auth.c checks that this fits). Every connection carries one. */
#define PEER_ADDR_SIZE (INET6_ADDRSTRLEN + sizeof("[]:65535") - 1)
#define PEER_NAME_SIZE (sizeof("token:") + AUTH_TOKEN_NAME_MAX)

/* Who is calling. For Unix peers uid/gid/pid come from SO_PEERCRED. A TCP
 * peer on a loopback address is a local process; the uid that owns its
 * socket is asked of the kernel when it connects (tcp_owner.h), since any
 * local user may connect from any address of 127.0.0.0/8. It is never a
 * role: TCP callers have the role of their token. */
struct peer {
	int is_unix;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int loopback;    /* TCP from a loopback address */
	int owner_known; /* ... and owner is the uid of the client's socket */
	uid_t owner;
	char addr[PEER_ADDR_SIZE]; /* "unix:uid=0", "127.0.0.1:5555" or "[::1]:5555" */
	char name[PEER_NAME_SIZE]; /* identity for audit: "uid:0", "token:ci-bot",
	                              "anonymous@127.0.0.1:5555" */
	enum role role;
	int rate_limited; /* too many failed token attempts from this caller (auth_peer_key) */
};

/* Who p is, for the caps and limits kept per caller: "uid:N" for a Unix
 * peer and for a loopback TCP peer whose socket's owner is known,
 * "loopback" for one whose owner is not (all such share), otherwise its
 * address without the port. Written into out (n bytes). */
void auth_peer_key(const struct peer *p, char *out, size_t n);

/* What a connection remembers of its last successful token check, so a
 * keep-alive client does not pay for a hash per request. Valid while the token
 * store's generation is unchanged (any create or revoke bumps it) and the token
 * has not expired. */
struct auth_cache {
	char authz[160]; /* the Authorization header value that was verified */
	unsigned gen;
	long long expires; /* 0: never */
	enum role role;
	char name[AUTH_TOKEN_NAME_MAX + 1];
	int valid;
};

/* Set a TCP peer's role and name from the Authorization header value (may be
 * NULL), checked against a's token table; a Unix peer's were set from its
 * credentials when its connection opened, and are left as they are. *cache
 * (the connection's slot; cache may be NULL) short-cuts repeated token
 * checks: it is allocated at the first token that verifies, so that a
 * connection that never shows one (every Unix peer, every long-poll without a
 * token) does not carry it; the connection frees it. Returns 0 (role may be
 * ROLE_NONE), -1 on an internal error. */
int auth_identify(const struct auth *a, struct peer *p, const char *authorization,
                  struct auth_cache **cache);

/* No mappings, no home group, no token table: only uid 0 has a role. NULL
 * when out of memory. */
struct auth *auth_new(void);
/* Release a; accepts NULL. */
void auth_free(struct auth *a);
/* The token table bearer tokens are checked against (borrowed, must outlive
 * a; NULL: no token authenticates). Set at start-up, before any request. */
void auth_set_tokens(struct auth *a, struct tokens *t);

/* "runtime", "auditor", "admin" ("none" for ROLE_NONE). */
const char *auth_role_name(enum role role);
/* Parse a role name (not "none"); -1 when unknown. */
int auth_role_parse(const char *name, enum role *out);

/* Add a Unix-peer mapping "uid:N=ROLE", "user:NAME=ROLE" or "group:NAME=ROLE".
 * Returns 0, or -1 with *err set (malloc'd). */
int auth_role_map_add(struct auth *a, const char *spec, char **err);
/* Add a Unix peer that may read and write any user's preferences:
 * "uid:N", "user:NAME" or "group:NAME" (--prefs-any-user). Returns 0, or -1
 * with *err set (malloc'd). */
int auth_prefs_any_user_add(struct auth *a, const char *spec, char **err);
/* Forget every mapping and --prefs-any-user entry (used on reload and in tests). */
void auth_role_map_clear(struct auth *a);

/* The user name of uid into out (getpwuid_r). 0, or -1 when uid has no
 * passwd entry or the name does not fit. */
int auth_user_name(uid_t uid, char *out, size_t outsz);

/* The group of docker users (--home-group): its Unix peers may call the
 * routes flagged ROUTE_HOME_GROUP without a role. valid 0: no such group. */
void auth_set_home_group(struct auth *a, gid_t gid, int valid);
/* Is peer a Unix peer whose uid is in that group (primary or supplementary)? */
int auth_peer_in_home_group(const struct auth *a, const struct peer *p);

/* May peer act on user's own resources (their preferences)? A TCP caller's
 * token is a service (e.g. the Desktop backend) and may act for every user,
 * as may a Unix peer with role admin or one named by --prefs-any-user; any
 * other Unix peer only for the user its uid resolves to. 1 or 0. */
int auth_peer_acts_for_user(const struct auth *a, const struct peer *p, const char *user);
/* The role a Unix peer gets: admin for uid 0, else the strongest mapping. */
enum role auth_unix_role(const struct auth *a, uid_t uid, gid_t gid);

#endif
