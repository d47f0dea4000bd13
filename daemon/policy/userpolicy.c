/* SPDX-License-Identifier: Apache-2.0 */
/* Per-user policies in memory, their changes, and their compiled decision
 * policies. A small array under a rwlock: readers (decisions) take the read
 * lock only when at least one user has a policy. A user named by a request
 * is judged with their own $HOME: users with a policy in their compiled
 * entry, others (when the org policy names $HOME) through a small cache. */
#include "userpolicy.h"
#include "util/etag.h"
#include "util/names.h"

#include "audit/audit.h"
#include "engine/decide.h"
#include "util/jsondiff.h"
#include "log.h"
#include "policy.h"
#include "policystore.h"
#include "util/problems.h"
#include "served.h"
#include "settings.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A compiled policy, shared by decisions in flight. */
struct compiled {
	int refs;
	unsigned long long org_build; /* the served build it was compiled under */
	long long user_version;
	struct decide_policy *dp;
};

struct entry {
	char *user;
	long long version;
	json_t *doc;
	struct compiled *comp; /* NULL until the first decision for this user */
};

static pthread_rwlock_t up_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *entries;
static size_t nentries;
static int nusers;             /* atomic copy of nentries for the lock-free fast path */
static struct audit *up_audit; /* records every change (userpolicy_open) */

static void home_cache_clear(void);

static void
compiled_release(struct compiled *c)
{
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		decide_policy_free(c->dp);
		free(c);
	}
}

static void
entry_clear(struct entry *e)
{
	free(e->user);
	json_decref(e->doc);
	compiled_release(e->comp);
	memset(e, 0, sizeof(*e));
}

/* Index of user, or -1. Caller holds up_lock. */
static long
find(const char *user)
{
	for (size_t i = 0; i < nentries; i++) {
		if (strcmp(entries[i].user, user) == 0)
			return (long)i;
	}
	return -1;
}

/* Replace or add (doc stolen), or remove (doc NULL). Caller holds up_lock for
 * writing. */
static int
entry_put(const char *user, long long version, json_t *doc)
{
	long i = find(user);
	struct entry *v;

	if (doc == NULL) {
		if (i >= 0) {
			entry_clear(&entries[i]);
			entries[i] = entries[--nentries];
		}
		goto done;
	}
	if (i < 0) {
		if ((v = realloc(entries, (nentries + 1) * sizeof(*v))) == NULL)
			goto fail;
		entries = v;
		memset(&entries[nentries], 0, sizeof(entries[0]));
		if ((entries[nentries].user = strdup(user)) == NULL)
			goto fail;
		i = (long)nentries++;
	}
	json_decref(entries[i].doc);
	compiled_release(entries[i].comp);
	entries[i].comp = NULL;
	entries[i].doc = doc;
	entries[i].version = version;
done:
	__atomic_store_n(&nusers, (int)nentries, __ATOMIC_RELEASE);
	return 0;
fail:
	json_decref(doc);
	return -1;
}

int
userpolicy_open(struct audit *audit, char **err)
{
	json_t *cur = policystore_user_current(), *v;
	const char *user;
	int rc = 0;

	up_audit = audit;
	if (cur == NULL) {
		if (err != NULL)
			*err = strdup("cannot read the per-user policies");
		return -1;
	}
	pthread_rwlock_wrlock(&up_lock);
	json_object_foreach(cur, user, v)
	{
		long long version = json_integer_value(json_object_get(v, "version"));

		if (entry_put(user, version, json_incref(json_object_get(v, "document"))) != 0)
			rc = -1;
	}
	pthread_rwlock_unlock(&up_lock);
	json_decref(cur);
	if (rc != 0 && err != NULL)
		*err = strdup("out of memory loading the per-user policies");
	return rc;
}

void
userpolicy_close(void)
{
	pthread_rwlock_wrlock(&up_lock);
	for (size_t i = 0; i < nentries; i++)
		entry_clear(&entries[i]);
	free(entries);
	entries = NULL;
	nentries = 0;
	__atomic_store_n(&nusers, 0, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&up_lock);
	home_cache_clear();
}

int
userpolicy_name_valid(const char *name, const char *path, struct problems *errs)
{
	int ok = names_user_valid(name);

	if (!ok && errs != NULL)
		problems_add(errs, path,
		             "expected a user name of 1-256 bytes of UTF-8 without '/', control, "
		             "bidirectional or zero-width characters");
	return ok;
}

json_t *
userpolicy_get(const char *user, long long *version)
{
	json_t *doc = NULL;
	long i;

	if (__atomic_load_n(&nusers, __ATOMIC_ACQUIRE) == 0)
		return NULL;
	pthread_rwlock_rdlock(&up_lock);
	if ((i = find(user)) >= 0) {
		doc = json_incref(entries[i].doc);
		if (version != NULL)
			*version = entries[i].version;
	}
	pthread_rwlock_unlock(&up_lock);
	return doc;
}

static int
cmp_user(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "user")),
	              json_string_value(json_object_get(*(json_t *const *)b, "user")));
}

json_t *
userpolicy_list(void)
{
	json_t **v = NULL, *list = json_array();
	size_t n = 0;
	int ok = list != NULL;

	pthread_rwlock_rdlock(&up_lock);
	if (ok && nentries > 0 && (v = calloc(nentries, sizeof(*v))) == NULL)
		ok = 0;
	for (; ok && n < nentries; n++) {
		v[n] = json_pack("{s:s, s:I}", "user", entries[n].user, "version",
		                 (json_int_t)entries[n].version);
		ok = v[n] != NULL;
	}
	pthread_rwlock_unlock(&up_lock);
	if (ok && n > 0)
		qsort(v, n, sizeof(*v), cmp_user);
	for (size_t i = 0; i < n; i++) {
		if (ok && json_array_append(list, v[i]) != 0)
			ok = 0;
		json_decref(v[i]);
	}
	free(v);
	if (!ok) {
		json_decref(list);
		return NULL;
	}
	return list;
}

static int
audit_user_change(const char *action, const char *user, const char *actor, long long version,
                  const char *comment, const json_t *diff)
{
	json_t *data = json_pack("{s:s, s:I, s:s?, s:O?}", "user", user, "userPolicyVersion",
	                         (json_int_t)version, "comment", comment, "diff", diff);
	int rc = data ? audit_record(up_audit, action, actor, "api", user, "allow", -1, data) : -1;

	json_decref(data);
	return rc;
}

enum userpolicy_status
userpolicy_set(const char *user, const json_t *doc, const char *actor, const char *comment,
               long long *version, struct problems *errs, struct problems *warns)
{
	enum userpolicy_status st = UP_INTERNAL;
	json_t *old, *diff = NULL, *copy = NULL;
	struct problems own = PROBLEMS_INIT, *e = errs != NULL ? errs : &own;
	size_t len, before = e->n;
	char *text;

	if (doc != NULL) {
		/* The org policy's validator and limits, nothing less. */
		text = policy_accept(doc, &len, e, warns);
		st = e->n > before ? UP_INVALID : UP_INTERNAL;
		problems_clear(&own);
		if (text == NULL)
			return st;
		free(text);
		st = UP_INTERNAL;
	}
	pthread_mutex_lock(&write_lock);
	old = userpolicy_get(user, NULL);
	if (doc == NULL && old == NULL) {
		st = UP_NOT_FOUND;
		goto out;
	}
	if ((diff = jsondiff_summary(old, doc)) == NULL ||
	    (doc != NULL && (copy = json_deep_copy(doc)) == NULL))
		goto out;
	if (policystore_user_add(user, doc, actor, comment, version) != 0) {
		st = UP_STORE;
		goto out;
	}
	if (audit_user_change(doc ? "policy.user.updated" : "policy.user.deleted", user, actor,
	                      *version, comment, diff) != 0) {
		policystore_user_withdraw(user, *version);
		st = UP_AUDIT;
		goto out;
	}
	pthread_rwlock_wrlock(&up_lock);
	if (entry_put(user, *version, copy) != 0)
		log_warnx("user policy: out of memory updating %s", user);
	copy = NULL;
	pthread_rwlock_unlock(&up_lock);
	served_notify_user(user); /* the user's long-polls re-check */
	st = UP_OK;
out:
	pthread_mutex_unlock(&write_lock);
	json_decref(old);
	json_decref(diff);
	json_decref(copy);
	return st;
}

/* Compile doc (may be NULL) on top of s for decisions about user, $HOME
 * being that user's home. New compiled (refs 1) or NULL. */
static struct compiled *
compile(const struct served *s, const json_t *doc, long long user_version, const char *user)
{
	struct homes home = {0};
	struct settings_env env;
	json_t *eff = NULL;
	struct compiled *c = NULL;

	if (served_user_env(s, user, &env, &home) == 0)
		eff = settings_effective(s->doc, doc, NULL, &env);
	homes_clear(&home);
	if (eff == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) != NULL) {
		c->refs = 1;
		c->org_build = s->build;
		c->user_version = user_version;
		if ((c->dp = decide_policy_new(eff)) == NULL) {
			free(c);
			c = NULL;
		}
	}
	json_decref(eff);
	return c;
}

/* Users without a policy of their own under an org policy that names $HOME:
 * each is judged with their own home, compiled once per org version and kept
 * in a small round-robin cache. */
#define HOME_CACHE 64

static pthread_mutex_t home_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *user;
	struct compiled *comp;
} home_cache[HOME_CACHE];
static size_t home_next;

static struct compiled *
home_compiled(const struct served *s, const char *user)
{
	struct compiled *c = NULL, *old = NULL;
	char *name = NULL;
	size_t i;

	pthread_mutex_lock(&home_lock);
	for (i = 0; i < HOME_CACHE; i++) {
		c = home_cache[i].comp;
		if (c != NULL && c->org_build == s->build && strcmp(home_cache[i].user, user) == 0)
			break;
	}
	if (i < HOME_CACHE)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&home_lock);
	if (i < HOME_CACHE)
		return c;
	if ((c = compile(s, NULL, 0, user)) == NULL || (name = strdup(user)) == NULL)
		return c; /* uncached when out of memory for the name */
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL); /* the cache's */
	pthread_mutex_lock(&home_lock);
	i = home_next++ % HOME_CACHE;
	old = home_cache[i].comp;
	free(home_cache[i].user);
	home_cache[i].user = name;
	home_cache[i].comp = c;
	pthread_mutex_unlock(&home_lock);
	compiled_release(old);
	return c;
}

static void
home_cache_clear(void)
{
	pthread_mutex_lock(&home_lock);
	for (size_t i = 0; i < HOME_CACHE; i++) {
		compiled_release(home_cache[i].comp);
		free(home_cache[i].user);
		home_cache[i].comp = NULL;
		home_cache[i].user = NULL;
	}
	pthread_mutex_unlock(&home_lock);
}

const struct decide_policy *
userpolicy_decide(const struct served *s, const char *user, void **hold)
{
	struct compiled *c = NULL, *fresh;
	json_t *doc = NULL;
	long long uv = 0;
	long i = -1;

	*hold = NULL;
	if (user == NULL || user[0] == '\0')
		return s->dp;
	if (__atomic_load_n(&nusers, __ATOMIC_ACQUIRE) > 0) {
		pthread_rwlock_rdlock(&up_lock);
		if ((i = find(user)) >= 0) {
			c = entries[i].comp;
			if (c != NULL && c->org_build == s->build) {
				__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
			} else {
				c = NULL;
				doc = json_incref(entries[i].doc);
				uv = entries[i].version;
			}
		}
		pthread_rwlock_unlock(&up_lock);
	}
	if (i < 0) {
		if (!s->uses_home)
			return s->dp;
		if ((c = home_compiled(s, user)) == NULL)
			return NULL;
		*hold = c;
		return c->dp;
	}
	if (c == NULL) {
		/* First decision for this user under this org version. */
		fresh = compile(s, doc, uv, user);
		json_decref(doc);
		if (fresh == NULL)
			return NULL;
		pthread_rwlock_wrlock(&up_lock);
		if ((i = find(user)) >= 0 && entries[i].version == uv) {
			compiled_release(entries[i].comp);
			entries[i].comp = fresh;
			__atomic_add_fetch(&fresh->refs, 1, __ATOMIC_ACQ_REL);
		}
		pthread_rwlock_unlock(&up_lock);
		c = fresh;
	}
	*hold = c;
	return c->dp;
}

void
userpolicy_release(void *hold)
{
	compiled_release(hold);
}

json_t *
userpolicy_effective(const struct served *s, const char *user, int *unavailable)
{
	long long uv = 0;
	json_t *up = userpolicy_get(user, &uv), *prefs = NULL, *eff = NULL;
	struct homes home = {0};
	struct settings_env env;

	*unavailable = 0;
	if (policystore_prefs_get(user, &prefs) != 0) {
		*unavailable = 1;
		goto out;
	}
	if (served_user_env(s, user, &env, &home) != 0)
		goto out;
	eff = settings_effective(s->doc, up, prefs, &env);
	if (eff != NULL) {
		json_object_set_new(eff, "policyVersion", json_integer(s->version));
		json_object_set_new(eff, "user", json_string(user));
		json_object_set_new(eff, "userPolicyVersion", up ? json_integer(uv) : json_null());
	}
out:
	homes_clear(&home);
	json_decref(up);
	json_decref(prefs);
	return eff;
}

struct served_user_reply *
userpolicy_reply(const char *user, int *unavailable)
{
	struct served_user_reply *r = NULL;
	struct served *s = served_acquire();
	json_t *eff = NULL;

	*unavailable = 0;
	if (s == NULL) {
		*unavailable = 1;
		return NULL;
	}
	eff = userpolicy_effective(s, user, unavailable);
	served_release(s);
	if (eff == NULL || (r = calloc(1, sizeof(*r))) == NULL ||
	    (r->text = json_dumps(eff, JSON_INDENT(2) | JSON_ENSURE_ASCII)) == NULL) {
		json_decref(eff);
		free(r);
		return NULL;
	}
	json_decref(eff);
	r->refs = 1;
	r->len = strlen(r->text);
	etag_of(r->text, r->len, r->etag);
	return r;
}
