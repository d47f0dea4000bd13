/* SPDX-License-Identifier: Apache-2.0 */
/* The currently served policy and the long-poll waiters. Everything a reader
 * needs (settings bytes, ETag, compiled decision policy) is built once per
 * policy version here, never per request. */
#include "served.h"
#include "util/etag.h"
#include "served_int.h"

#include "engine/decide.h"
#include "log.h"
#include "util/lockorder.h"
#include "policy.h"
#include "settings.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct served *cur;
static char *settings_path;
static time_t started;
/* The path variables new versions are built with; the homes under env_lock
 * (set from the main thread, copied by every build). */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static struct settings_env env;
static struct homes group_homes;
static unsigned long long builds;

void
served_configure(const char *path, const struct settings_env *e)
{
	free(settings_path);
	settings_path = strdup(path);
	lockorder_lock(&env_lock, LOCK_SERVED_ENV);
	env = *e;
	env.homes = NULL;
	env.nhomes = 0;
	lockorder_unlock(&env_lock, LOCK_SERVED_ENV);
	if (started == 0)
		started = time(NULL);
}

/* A deep copy of from into to (emptied first). 0, or -1 on ENOMEM. */
static int
homes_copy(struct homes *to, const struct homes *from)
{
	homes_clear(to);
	if (from->n == 0)
		return 0;
	if ((to->v = calloc(from->n, sizeof(*to->v))) == NULL)
		return -1;
	for (; to->n < from->n; to->n++) {
		if ((to->v[to->n] = strdup(from->v[to->n])) == NULL) {
			homes_clear(to);
			return -1;
		}
	}
	return 0;
}

int
served_set_homes(const struct homes *homes)
{
	int changed;

	lockorder_lock(&env_lock, LOCK_SERVED_ENV);
	changed = !homes_equal(&group_homes, homes);
	if (changed && homes_copy(&group_homes, homes) != 0)
		changed = -1;
	lockorder_unlock(&env_lock, LOCK_SERVED_ENV);
	return changed;
}

int
served_user_env(const struct served *s, const char *user, struct settings_env *e,
                struct homes *hold)
{
	*e = s->env;
	e->homes = NULL;
	e->nhomes = 0;
	if (homes_of_user(&homes_nss_system, user, hold) < 0)
		return -1;
	e->homes = (const char *const *)hold->v;
	e->nhomes = hold->n;
	return 0;
}

long
served_uptime(void)
{
	return (long)(time(NULL) - started);
}

static void
served_free(struct served *s)
{
	if (s == NULL)
		return;
	json_decref(s->doc);
	json_decref(s->effective);
	decide_policy_free(s->dp);
	homes_clear(&s->homes);
	free(s->text);
	free(s);
}

struct served *
served_acquire(void)
{
	struct served *s;

	lockorder_lock(&cur_lock, LOCK_SERVED_CUR);
	s = cur;
	if (s != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	lockorder_unlock(&cur_lock, LOCK_SERVED_CUR);
	return s;
}

struct served *
served_ref(struct served *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void
served_release(struct served *s)
{
	if (s != NULL && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		served_free(s);
}

/* Build everything a reader needs for doc; steals doc. */
static struct served *
served_build(json_t *doc, long long version)
{
	struct served *s = calloc(1, sizeof(*s));
	char *text = NULL, *doctext = NULL;
	size_t len;

	if (s == NULL) {
		json_decref(doc);
		return NULL;
	}
	s->refs = 1;
	s->doc = doc;
	s->version = version;
	s->build = __atomic_add_fetch(&builds, 1, __ATOMIC_RELAXED);
	s->loaded_at = time(NULL);
	lockorder_lock(&env_lock, LOCK_SERVED_ENV);
	s->env = env;
	if (homes_copy(&s->homes, &group_homes) != 0) {
		lockorder_unlock(&env_lock, LOCK_SERVED_ENV);
		goto fail;
	}
	lockorder_unlock(&env_lock, LOCK_SERVED_ENV);
	s->env.homes = (const char *const *)s->homes.v;
	s->env.nhomes = s->homes.n;
	s->uses_home = settings_uses_home(doc);
	s->effective = settings_effective(doc, NULL, NULL, &s->env);
	if (s->effective == NULL)
		goto fail;
	json_object_set_new(s->effective, "policyVersion", json_integer(version));
	s->dp = decide_policy_new(s->effective);
	if (s->dp == NULL)
		goto fail;
	text = json_dumps(s->effective, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	doctext = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (text == NULL || doctext == NULL)
		goto fail;
	etag_of(doctext, strlen(doctext), s->doc_etag);
	free(doctext);
	doctext = NULL;
	len = strlen(text);
	etag_of(text, len, s->etag);
	s->text = text;
	s->text_len = len;
	return s;
fail:
	free(text);
	free(doctext);
	served_free(s);
	return NULL;
}

int
served_install(json_t *doc, long long version)
{
	struct served *s = served_build(doc, version), *old;

	if (s == NULL)
		return -1;
	/* Waiters registered against the old ETag learn of the change at once:
	 * the swap happens under the waiters' lock (served_wait.c). */
	served_wait_lock();
	lockorder_lock(&cur_lock, LOCK_SERVED_CUR);
	old = cur;
	cur = s;
	lockorder_unlock(&cur_lock, LOCK_SERVED_CUR);
	served_wait_policy_changed_locked(old == NULL || strcmp(old->etag, s->etag) != 0);
	served_wait_unlock();
	served_release(old);
	return 0;
}

json_t *
served_load(struct problems *errs, struct problems *warns)
{
	return policy_load_file(settings_path, errs, warns);
}

const char *
served_settings_path(void)
{
	return settings_path;
}

int
served_rebuild(void)
{
	struct served *s = served_acquire();
	int rc;

	if (s == NULL)
		return 0;
	rc = served_install(json_incref(s->doc), s->version);
	served_release(s);
	return rc;
}

void
served_stop(void)
{
	struct served *s;

	served_wait_stop();
	lockorder_lock(&cur_lock, LOCK_SERVED_CUR);
	s = cur;
	cur = NULL;
	lockorder_unlock(&cur_lock, LOCK_SERVED_CUR);
	served_release(s);
	free(settings_path);
	settings_path = NULL;
}
