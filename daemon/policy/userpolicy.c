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
#include "util/lockorder.h"
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

/* Users without a policy of their own under an org policy that names $HOME:
 * each is judged with their own home, compiled once per org version and kept
 * in a small round-robin cache. */
#define HOME_CACHE 64

struct userpolicy {
	/* The entries under up_lock (read: decisions; write: changes); changes
	 * one at a time under write_lock, which is taken first. */
	pthread_rwlock_t up_lock;
	pthread_mutex_t write_lock;
	struct entry *entries;
	size_t nentries;
	int nusers;                /* atomic copy of nentries for the lock-free fast path */
	struct served_hub *served; /* the org policy; told of every change */
	struct policystore *store; /* the history every change goes to */
	struct audit *audit;       /* records every change */
	pthread_mutex_t home_lock; /* the cache below */
	struct {
		char *user;
		struct compiled *comp;
	} home_cache[HOME_CACHE];
	size_t home_next;
};

static void home_cache_clear(struct userpolicy *up);

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
find(struct userpolicy *up, const char *user)
{
	for (size_t i = 0; i < up->nentries; i++) {
		if (strcmp(up->entries[i].user, user) == 0)
			return (long)i;
	}
	return -1;
}

/* Replace or add (doc stolen), or remove (doc NULL). Caller holds up_lock for
 * writing. */
static int
entry_put(struct userpolicy *up, const char *user, long long version, json_t *doc)
{
	long i = find(up, user);
	struct entry *v;

	if (doc == NULL) {
		if (i >= 0) {
			entry_clear(&up->entries[i]);
			up->entries[i] = up->entries[--up->nentries];
		}
		goto done;
	}
	if (i < 0) {
		if ((v = realloc(up->entries, (up->nentries + 1) * sizeof(*v))) == NULL)
			goto fail;
		up->entries = v;
		memset(&up->entries[up->nentries], 0, sizeof(up->entries[0]));
		if ((up->entries[up->nentries].user = strdup(user)) == NULL)
			goto fail;
		i = (long)up->nentries++;
	}
	json_decref(up->entries[i].doc);
	compiled_release(up->entries[i].comp);
	up->entries[i].comp = NULL;
	up->entries[i].doc = doc;
	up->entries[i].version = version;
done:
	__atomic_store_n(&up->nusers, (int)up->nentries, __ATOMIC_RELEASE);
	return 0;
fail:
	json_decref(doc);
	return -1;
}

/* The entries of the policy history's current per-user policies. 0, or -1
 * with *err (malloc'd). */
static int
load(struct userpolicy *up, char **err)
{
	json_t *cur = policystore_user_current(up->store), *v;
	const char *user;
	int rc = 0;

	if (cur == NULL) {
		if (err != NULL)
			*err = strdup("cannot read the per-user policies");
		return -1;
	}
	lockorder_wrlock(&up->up_lock, LOCK_USERPOLICY);
	json_object_foreach(cur, user, v)
	{
		long long version = json_integer_value(json_object_get(v, "version"));

		if (entry_put(up, user, version, json_incref(json_object_get(v, "document"))) != 0)
			rc = -1;
	}
	lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
	json_decref(cur);
	if (rc != 0 && err != NULL)
		*err = strdup("out of memory loading the per-user policies");
	return rc;
}

struct userpolicy *
userpolicy_open(struct served_hub *served, struct policystore *store, struct audit *audit,
                char **err)
{
	struct userpolicy *up = calloc(1, sizeof(*up));

	if (up == NULL) {
		if (err != NULL)
			*err = strdup("out of memory loading the per-user policies");
		return NULL;
	}
	pthread_rwlock_init(&up->up_lock, NULL);
	pthread_mutex_init(&up->write_lock, NULL);
	pthread_mutex_init(&up->home_lock, NULL);
	up->served = served;
	up->store = store;
	up->audit = audit;
	if (load(up, err) != 0) {
		userpolicy_close(up);
		return NULL;
	}
	return up;
}

void
userpolicy_close(struct userpolicy *up)
{
	if (up == NULL)
		return;
	for (size_t i = 0; i < up->nentries; i++)
		entry_clear(&up->entries[i]);
	free(up->entries);
	home_cache_clear(up);
	pthread_rwlock_destroy(&up->up_lock);
	pthread_mutex_destroy(&up->write_lock);
	pthread_mutex_destroy(&up->home_lock);
	free(up);
}

int
userpolicy_name_valid(const char *name, const char *path, struct problems *errs)
{
	int ok = names_user_valid(name);

	if (!ok && errs != NULL)
		problems_add(errs, path,
		             "expected a user name of 1-256 bytes of UTF-8 without '/', control, "
		             "invisible (bidirectional, zero-width, ...) or white space characters "
		             "other than U+0020");
	return ok;
}

json_t *
userpolicy_get(struct userpolicy *up, const char *user, long long *version)
{
	json_t *doc = NULL;
	long i;

	if (__atomic_load_n(&up->nusers, __ATOMIC_ACQUIRE) == 0)
		return NULL;
	lockorder_rdlock(&up->up_lock, LOCK_USERPOLICY);
	if ((i = find(up, user)) >= 0) {
		doc = json_incref(up->entries[i].doc);
		if (version != NULL)
			*version = up->entries[i].version;
	}
	lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
	return doc;
}

static int
cmp_user(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "user")),
	              json_string_value(json_object_get(*(json_t *const *)b, "user")));
}

json_t *
userpolicy_list(struct userpolicy *up)
{
	json_t **v = NULL, *list = json_array();
	size_t n = 0;
	int ok = list != NULL;

	lockorder_rdlock(&up->up_lock, LOCK_USERPOLICY);
	if (ok && up->nentries > 0 && (v = calloc(up->nentries, sizeof(*v))) == NULL)
		ok = 0;
	for (; ok && n < up->nentries; n++) {
		v[n] = json_pack("{s:s, s:I}", "user", up->entries[n].user, "version",
		                 (json_int_t)up->entries[n].version);
		ok = v[n] != NULL;
	}
	lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
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
audit_user_change(struct userpolicy *up, const char *action, const char *user, const char *actor,
                  long long version, const char *comment, const json_t *diff)
{
	json_t *data = json_pack("{s:s, s:I, s:s?, s:O?}", "user", user, "userPolicyVersion",
	                         (json_int_t)version, "comment", comment, "diff", diff);
	int rc = data ? audit_record(up->audit, action, actor, "api", user, "allow", -1, data) : -1;

	json_decref(data);
	return rc;
}

enum userpolicy_status
userpolicy_set(struct userpolicy *up, const char *user, const json_t *doc, const char *actor,
               const char *comment, long long *version, struct problems *errs,
               struct problems *warns)
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
	lockorder_lock(&up->write_lock, LOCK_USERPOLICY_WRITE);
	old = userpolicy_get(up, user, NULL);
	if (doc == NULL && old == NULL) {
		st = UP_NOT_FOUND;
		goto out;
	}
	if ((diff = jsondiff_summary(old, doc)) == NULL ||
	    (doc != NULL && (copy = json_deep_copy(doc)) == NULL))
		goto out;
	if (policystore_user_add(up->store, user, doc, actor, comment, version) != 0) {
		st = UP_STORE;
		goto out;
	}
	if (audit_user_change(up, doc ? "policy.user.updated" : "policy.user.deleted", user, actor,
	                      *version, comment, diff) != 0) {
		policystore_user_withdraw(up->store, user, *version);
		st = UP_AUDIT;
		goto out;
	}
	lockorder_wrlock(&up->up_lock, LOCK_USERPOLICY);
	if (entry_put(up, user, *version, copy) != 0)
		log_warnx("user policy: out of memory updating %s", user);
	copy = NULL;
	lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
	served_notify_user(up->served, user); /* the user's long-polls re-check */
	st = UP_OK;
out:
	lockorder_unlock(&up->write_lock, LOCK_USERPOLICY_WRITE);
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

static struct compiled *
home_compiled(struct userpolicy *up, const struct served *s, const char *user)
{
	struct compiled *c = NULL, *old = NULL;
	char *name = NULL;
	size_t i;

	lockorder_lock(&up->home_lock, LOCK_USERPOLICY_HOME);
	for (i = 0; i < HOME_CACHE; i++) {
		c = up->home_cache[i].comp;
		if (c != NULL && c->org_build == s->build &&
		    strcmp(up->home_cache[i].user, user) == 0)
			break;
	}
	if (i < HOME_CACHE)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	lockorder_unlock(&up->home_lock, LOCK_USERPOLICY_HOME);
	if (i < HOME_CACHE)
		return c;
	if ((c = compile(s, NULL, 0, user)) == NULL || (name = strdup(user)) == NULL)
		return c; /* uncached when out of memory for the name */
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL); /* the cache's */
	lockorder_lock(&up->home_lock, LOCK_USERPOLICY_HOME);
	i = up->home_next++ % HOME_CACHE;
	old = up->home_cache[i].comp;
	free(up->home_cache[i].user);
	up->home_cache[i].user = name;
	up->home_cache[i].comp = c;
	lockorder_unlock(&up->home_lock, LOCK_USERPOLICY_HOME);
	compiled_release(old);
	return c;
}

static void
home_cache_clear(struct userpolicy *up)
{
	lockorder_lock(&up->home_lock, LOCK_USERPOLICY_HOME);
	for (size_t i = 0; i < HOME_CACHE; i++) {
		compiled_release(up->home_cache[i].comp);
		free(up->home_cache[i].user);
		up->home_cache[i].comp = NULL;
		up->home_cache[i].user = NULL;
	}
	lockorder_unlock(&up->home_lock, LOCK_USERPOLICY_HOME);
}

const struct decide_policy *
userpolicy_decide(struct userpolicy *up, const struct served *s, const char *user, void **hold)
{
	struct compiled *c = NULL, *fresh;
	json_t *doc = NULL;
	long long uv = 0;
	long i = -1;

	*hold = NULL;
	if (user == NULL || user[0] == '\0')
		return s->dp;
	if (__atomic_load_n(&up->nusers, __ATOMIC_ACQUIRE) > 0) {
		lockorder_rdlock(&up->up_lock, LOCK_USERPOLICY);
		if ((i = find(up, user)) >= 0) {
			c = up->entries[i].comp;
			if (c != NULL && c->org_build == s->build) {
				__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
			} else {
				c = NULL;
				doc = json_incref(up->entries[i].doc);
				uv = up->entries[i].version;
			}
		}
		lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
	}
	if (i < 0) {
		if (!s->uses_home)
			return s->dp;
		if ((c = home_compiled(up, s, user)) == NULL)
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
		lockorder_wrlock(&up->up_lock, LOCK_USERPOLICY);
		if ((i = find(up, user)) >= 0 && up->entries[i].version == uv) {
			compiled_release(up->entries[i].comp);
			up->entries[i].comp = fresh;
			__atomic_add_fetch(&fresh->refs, 1, __ATOMIC_ACQ_REL);
		}
		lockorder_rwunlock(&up->up_lock, LOCK_USERPOLICY);
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
userpolicy_effective(struct userpolicy *up, const struct served *s, const char *user,
                     int *unavailable)
{
	long long uv = 0;
	json_t *mine = userpolicy_get(up, user, &uv), *prefs = NULL, *eff = NULL;
	struct homes home = {0};
	struct settings_env env;

	*unavailable = 0;
	if (policystore_prefs_get(up->store, user, &prefs) != 0) {
		*unavailable = 1;
		goto out;
	}
	if (served_user_env(s, user, &env, &home) != 0)
		goto out;
	eff = settings_effective(s->doc, mine, prefs, &env);
	if (eff != NULL) {
		json_object_set_new(eff, "policyVersion", json_integer(s->version));
		json_object_set_new(eff, "user", json_string(user));
		json_object_set_new(eff, "userPolicyVersion",
		                    mine ? json_integer(uv) : json_null());
	}
out:
	homes_clear(&home);
	json_decref(mine);
	json_decref(prefs);
	return eff;
}

struct served_user_reply *
userpolicy_reply(struct userpolicy *up, const char *user, int *unavailable)
{
	struct served_user_reply *r = NULL;
	struct served *s = served_acquire(up->served);
	json_t *eff = NULL;

	*unavailable = 0;
	if (s == NULL) {
		*unavailable = 1;
		return NULL;
	}
	eff = userpolicy_effective(up, s, user, unavailable);
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
