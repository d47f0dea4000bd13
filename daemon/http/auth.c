/* SPDX-License-Identifier: Apache-2.0 */
/* Caller identification: SO_PEERCRED for Unix peers (captured by http.c when
 * the connection opens), role mappings from the daemon config, and bearer
 * tokens for TCP callers through the token store's verifier. */
#include "auth.h"
#include "tokens.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AUTH_MAX_MAPS 64

struct role_map {
	enum { MAP_UID, MAP_GID } kind;
	unsigned long id;
	enum role role;
};

struct auth {
	struct role_map maps[AUTH_MAX_MAPS];
	size_t nmaps;
	struct role_map any_user[AUTH_MAX_MAPS]; /* --prefs-any-user (role unused) */
	size_t nany;
	gid_t home_gid;
	int home_gid_valid;
	struct tokens *tokens; /* borrowed; NULL: no token authenticates */
};

static const char *const role_names[] = {"none", "runtime", "auditor", "admin"};

struct auth *
auth_new(void)
{
	return calloc(1, sizeof(struct auth));
}

void
auth_free(struct auth *a)
{
	free(a);
}

void
auth_set_tokens(struct auth *a, struct tokens *t)
{
	a->tokens = t;
}

const char *
auth_role_name(enum role role)
{
	return role_names[role];
}

int
auth_role_parse(const char *name, enum role *out)
{
	for (int r = ROLE_RUNTIME; r <= ROLE_ADMIN; r++) {
		if (strcmp(name, role_names[r]) == 0) {
			*out = (enum role)r;
			return 0;
		}
	}
	return -1;
}

static int
map_fail(char **err, const char *what, const char *spec, const char *why)
{
	if (err != NULL && asprintf(err, "%s \"%s\": %s", what, spec, why) < 0)
		*err = NULL;
	return -1;
}

/* "uid:N", "user:NAME" or "group:NAME" (len bytes of spec) into m's kind and
 * id. 0, or -1 with *err set. */
static int
peer_spec_parse(const char *what, const char *spec, size_t len, struct role_map *m, char **err)
{
	const char *colon = memchr(spec, ':', len);
	char name[256];
	size_t nlen;

	if (colon == NULL)
		return map_fail(err, what, spec, "expected uid:N, user:NAME or group:NAME");
	nlen = len - (size_t)(colon + 1 - spec);
	if (nlen == 0 || nlen >= sizeof(name))
		return map_fail(err, what, spec, "empty or overlong name");
	memcpy(name, colon + 1, nlen);
	name[nlen] = '\0';
	if (strncmp(spec, "uid:", 4) == 0) {
		char *end;
		m->kind = MAP_UID;
		m->id = strtoul(name, &end, 10);
		if (*end != '\0')
			return map_fail(err, what, spec, "uid must be a number");
	} else if (strncmp(spec, "user:", 5) == 0) {
		struct passwd *pw = getpwnam(name);
		if (pw == NULL)
			return map_fail(err, what, spec, "no such user");
		m->kind = MAP_UID;
		m->id = pw->pw_uid;
	} else if (strncmp(spec, "group:", 6) == 0) {
		struct group *gr = getgrnam(name);
		if (gr == NULL)
			return map_fail(err, what, spec, "no such group");
		m->kind = MAP_GID;
		m->id = gr->gr_gid;
	} else {
		return map_fail(err, what, spec, "expected uid:, user: or group:");
	}
	return 0;
}

int
auth_role_map_add(struct auth *a, const char *spec, char **err)
{
	const char *eq = strrchr(spec, '=');
	struct role_map m;

	if (eq == NULL || memchr(spec, ':', (size_t)(eq - spec)) == NULL)
		return map_fail(err, "role-map", spec,
		                "expected uid:N=ROLE, user:NAME=ROLE or group:NAME=ROLE");
	if (auth_role_parse(eq + 1, &m.role) != 0)
		return map_fail(err, "role-map", spec, "role must be runtime, auditor or admin");
	if (peer_spec_parse("role-map", spec, (size_t)(eq - spec), &m, err) != 0)
		return -1;
	if (a->nmaps == AUTH_MAX_MAPS)
		return map_fail(err, "role-map", spec, "too many role mappings");
	a->maps[a->nmaps++] = m;
	return 0;
}

int
auth_prefs_any_user_add(struct auth *a, const char *spec, char **err)
{
	struct role_map m = {.role = ROLE_NONE};

	if (peer_spec_parse("prefs-any-user", spec, strlen(spec), &m, err) != 0)
		return -1;
	if (a->nany == AUTH_MAX_MAPS)
		return map_fail(err, "prefs-any-user", spec, "too many entries");
	a->any_user[a->nany++] = m;
	return 0;
}

void
auth_role_map_clear(struct auth *a)
{
	a->nmaps = 0;
	a->nany = 0;
}

/* Is the user with this uid a member of gid (primary or supplementary)? */
static int
uid_in_group(uid_t uid, gid_t primary, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[64];
	int ngroups = 64;

	if (primary == gid)
		return 1;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) < 0)
		return 0;
	for (int i = 0; i < ngroups; i++) {
		if (groups[i] == gid)
			return 1;
	}
	return 0;
}

/* Does a uid:/group: entry cover the peer? */
static int
map_covers(const struct role_map *m, uid_t uid, gid_t gid)
{
	return m->kind == MAP_UID ? m->id == (unsigned long)uid
	                          : uid_in_group(uid, gid, (gid_t)m->id);
}

enum role
auth_unix_role(const struct auth *a, uid_t uid, gid_t gid)
{
	enum role best = ROLE_NONE;

	if (uid == 0)
		return ROLE_ADMIN;
	for (size_t i = 0; i < a->nmaps; i++) {
		if (a->maps[i].role > best && map_covers(&a->maps[i], uid, gid))
			best = a->maps[i].role;
	}
	return best;
}

void
auth_set_home_group(struct auth *a, gid_t gid, int valid)
{
	a->home_gid = gid;
	a->home_gid_valid = valid;
}

int
auth_peer_in_home_group(const struct auth *a, const struct peer *p)
{
	return p->is_unix && a->home_gid_valid && uid_in_group(p->uid, p->gid, a->home_gid);
}

int
auth_user_name(uid_t uid, char *out, size_t outsz)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
	    strlen(pw.pw_name) >= outsz)
		return -1;
	strcpy(out, pw.pw_name);
	return 0;
}

int
auth_peer_acts_for_user(const struct auth *a, const struct peer *p, const char *user)
{
	char name[256];

	if (!p->is_unix || p->role >= ROLE_ADMIN)
		return 1; /* tokens are services; admins act for everyone */
	for (size_t i = 0; i < a->nany; i++) {
		if (map_covers(&a->any_user[i], p->uid, p->gid))
			return 1;
	}
	return auth_user_name(p->uid, name, sizeof(name)) == 0 && strcmp(name, user) == 0;
}

void
auth_peer_key(const struct peer *p, char *out, size_t n)
{
	if (p->is_unix || (p->loopback && p->owner_known)) {
		snprintf(out, n, "uid:%ld", (long)(int)(p->is_unix ? p->uid : p->owner));
		return;
	}
	if (p->loopback) {
		snprintf(out, n, "loopback");
		return;
	}
	snprintf(out, n, "%s", p->addr);
	if (out[0] == '[') {
		char *end = strchr(out, ']');
		if (end != NULL)
			end[1] = '\0';
	} else if (strchr(out, ':') != NULL) {
		*strrchr(out, ':') = '\0';
	}
}

/* The names auth_identify writes fit whole (auth.h). */
_Static_assert(PEER_NAME_SIZE >= sizeof("anonymous@") - 1 + PEER_ADDR_SIZE,
               "an anonymous peer's name holds its address");
_Static_assert(PEER_NAME_SIZE >= sizeof("token:") - 1 + sizeof(((struct auth_cache *)0)->name),
               "a token peer's name holds the token's");

int
auth_identify(const struct auth *a, struct peer *p, const char *authz, struct auth_cache **cachep)
{
	struct auth_cache *cache = cachep != NULL ? *cachep : NULL;
	long long expires = 0;
	char name[AUTH_TOKEN_NAME_MAX + 1] = "";

	/* A Unix peer's role and name were set when its connection opened
	 * (http_listen.c): the connection's credentials never change. */
	if (p->is_unix)
		return 0;
	p->role = ROLE_NONE;
	p->rate_limited = 0;
	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0 || a->tokens == NULL) {
		snprintf(p->name, sizeof(p->name), "anonymous@%s", p->addr);
		return 0;
	}
	if (cache != NULL && cache->valid && cache->gen == tokens_generation(a->tokens) &&
	    (cache->expires == 0 || cache->expires > (long long)time(NULL)) &&
	    strcmp(cache->authz, authz) == 0) {
		p->role = cache->role;
		snprintf(p->name, sizeof(p->name), "token:%s", cache->name);
		return 0;
	}
	p->role =
	    tokens_verify(a->tokens, authz + 7, p, name, sizeof(name), &expires, &p->rate_limited);
	if (p->role == ROLE_NONE) {
		snprintf(p->name, sizeof(p->name), "anonymous@%s", p->addr);
		if (cache != NULL)
			cache->valid = 0;
		return 0;
	}
	snprintf(p->name, sizeof(p->name), "token:%s", name);
	if (cachep != NULL && cache == NULL)
		cache = *cachep = calloc(1, sizeof(*cache)); /* none: no short cut */
	if (cache != NULL && strlen(authz) < sizeof(cache->authz)) {
		strcpy(cache->authz, authz);
		snprintf(cache->name, sizeof(cache->name), "%s", name);
		cache->gen = tokens_generation(a->tokens);
		cache->expires = expires;
		cache->role = p->role;
		cache->valid = 1;
	}
	return 0;
}
