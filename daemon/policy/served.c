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

struct served_hub *
served_hub_new(const char *path, const struct settings_env *e)
{
	struct served_hub *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->settings_path = strdup(path)) == NULL || served_wait_init(h) != 0) {
		free(h->settings_path);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->cur_lock, NULL);
	pthread_mutex_init(&h->env_lock, NULL);
	h->env = *e;
	h->env.homes = NULL;
	h->env.nhomes = 0;
	h->started = time(NULL);
	return h;
}

void
served_hub_free(struct served_hub *h)
{
	if (h == NULL)
		return;
	served_stop(h);
	served_wait_destroy(h);
	homes_clear(&h->group_homes);
	pthread_mutex_destroy(&h->cur_lock);
	pthread_mutex_destroy(&h->env_lock);
	free(h->settings_path);
	free(h);
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
served_set_homes(struct served_hub *h, const struct homes *homes)
{
	int changed;

	lockorder_lock(&h->env_lock, LOCK_SERVED_ENV);
	changed = !homes_equal(&h->group_homes, homes);
	if (changed && homes_copy(&h->group_homes, homes) != 0)
		changed = -1;
	lockorder_unlock(&h->env_lock, LOCK_SERVED_ENV);
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
served_uptime(const struct served_hub *h)
{
	return (long)(time(NULL) - h->started);
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
served_acquire(struct served_hub *h)
{
	struct served *s;

	lockorder_lock(&h->cur_lock, LOCK_SERVED_CUR);
	s = h->cur;
	if (s != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	lockorder_unlock(&h->cur_lock, LOCK_SERVED_CUR);
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
served_build(struct served_hub *h, json_t *doc, long long version)
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
	s->build = __atomic_add_fetch(&h->builds, 1, __ATOMIC_RELAXED);
	s->loaded_at = time(NULL);
	lockorder_lock(&h->env_lock, LOCK_SERVED_ENV);
	s->env = h->env;
	if (homes_copy(&s->homes, &h->group_homes) != 0) {
		lockorder_unlock(&h->env_lock, LOCK_SERVED_ENV);
		goto fail;
	}
	lockorder_unlock(&h->env_lock, LOCK_SERVED_ENV);
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
served_install(struct served_hub *h, json_t *doc, long long version)
{
	struct served *s = served_build(h, doc, version), *old;

	if (s == NULL)
		return -1;
	/* Waiters registered against the old ETag learn of the change at once:
	 * the swap happens under the waiters' lock (served_wait.c). */
	served_wait_lock(h);
	lockorder_lock(&h->cur_lock, LOCK_SERVED_CUR);
	old = h->cur;
	h->cur = s;
	lockorder_unlock(&h->cur_lock, LOCK_SERVED_CUR);
	served_wait_policy_changed_locked(h, old == NULL || strcmp(old->etag, s->etag) != 0);
	served_wait_unlock(h);
	served_release(old);
	return 0;
}

json_t *
served_load(struct served_hub *h, struct problems *errs, struct problems *warns)
{
	return policy_load_file(h->settings_path, errs, warns);
}

const char *
served_settings_path(const struct served_hub *h)
{
	return h->settings_path;
}

int
served_rebuild(struct served_hub *h)
{
	struct served *s = served_acquire(h);
	int rc;

	if (s == NULL)
		return 0;
	rc = served_install(h, json_incref(s->doc), s->version);
	served_release(s);
	return rc;
}

void
served_stop(struct served_hub *h)
{
	struct served *s;

	served_wait_stop(h);
	lockorder_lock(&h->cur_lock, LOCK_SERVED_CUR);
	s = h->cur;
	h->cur = NULL;
	lockorder_unlock(&h->cur_lock, LOCK_SERVED_CUR);
	served_release(s);
}
