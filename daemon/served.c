/* SPDX-License-Identifier: Apache-2.0 */
/* The currently served policy and the long-poll waiters. Everything a reader
 * needs (settings bytes, ETag, compiled decision policy) is built once per
 * policy version here, never per request. */
#include "served.h"

#include "decide.h"
#include "log.h"
#include "policy.h"
#include "settings.h"

#include <errno.h>
#include <openssl/evp.h>
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

/* Waiters: a list protected by wait_lock; the deadline thread sleeps on wait_cond. */
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond;
static struct served_waiter *waiters;
static pthread_t deadline_thread;
static int deadline_running, deadline_stop;
static unsigned long long generation; /* bumped under wait_lock by every wake-up */
static int shutting_down;             /* waiters must answer now, not sleep again */

void
served_configure(const char *path, const struct settings_env *e)
{
	free(settings_path);
	settings_path = strdup(path);
	pthread_mutex_lock(&env_lock);
	env = *e;
	env.homes = NULL;
	env.nhomes = 0;
	pthread_mutex_unlock(&env_lock);
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

	pthread_mutex_lock(&env_lock);
	changed = !homes_equal(&group_homes, homes);
	if (changed && homes_copy(&group_homes, homes) != 0)
		changed = -1;
	pthread_mutex_unlock(&env_lock);
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

void
served_etag(const char *bytes, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL);
	out[0] = '"';
	/* 128 bits of the digest are plenty for an ETag. */
	for (unsigned i = 0; i < 16; i++) {
		out[1 + 2 * i] = hex[md[i] >> 4];
		out[2 + 2 * i] = hex[md[i] & 15];
	}
	out[33] = '"';
	out[34] = '\0';
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
	if (s->r200 != NULL)
		MHD_destroy_response(s->r200);
	if (s->r304 != NULL)
		MHD_destroy_response(s->r304);
	free(s);
}

struct served *
served_acquire(void)
{
	struct served *s;

	pthread_mutex_lock(&cur_lock);
	s = cur;
	if (s != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&cur_lock);
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
	pthread_mutex_lock(&env_lock);
	s->env = env;
	if (homes_copy(&s->homes, &group_homes) != 0) {
		pthread_mutex_unlock(&env_lock);
		goto fail;
	}
	pthread_mutex_unlock(&env_lock);
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
	served_etag(doctext, strlen(doctext), s->doc_etag);
	free(doctext);
	doctext = NULL;
	len = strlen(text);
	served_etag(text, len, s->etag);
	s->r200 = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (s->r200 == NULL)
		goto fail;
	text = NULL; /* owned by the response now */
	MHD_add_response_header(s->r200, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(s->r200, MHD_HTTP_HEADER_ETAG, s->etag);
	MHD_add_response_header(s->r200, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	s->r304 = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (s->r304 == NULL)
		goto fail;
	MHD_add_response_header(s->r304, MHD_HTTP_HEADER_ETAG, s->etag);
	MHD_add_response_header(s->r304, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return s;
fail:
	free(text);
	free(doctext);
	served_free(s);
	return NULL;
}

static void
wake_all_locked(void)
{
	struct served_waiter *w = waiters;

	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);

	waiters = NULL;
	while (w != NULL) {
		struct served_waiter *next = w->next;
		w->prev = w->next = NULL;
		w->fired = 1;
		w->fire(w);
		w = next;
	}
}

int
served_install(json_t *doc, long long version)
{
	struct served *s = served_build(doc, version), *old;

	if (s == NULL)
		return -1;
	pthread_mutex_lock(&wait_lock);
	pthread_mutex_lock(&cur_lock);
	old = cur;
	cur = s;
	pthread_mutex_unlock(&cur_lock);
	/* Waiters registered against the old ETag learn of the change at once. */
	if (old == NULL || strcmp(old->etag, s->etag) != 0)
		wake_all_locked();
	pthread_mutex_unlock(&wait_lock);
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

/* ------------------------------------------------------------------------ */
/* Long-poll waiters */

int
served_wait_add(struct served_waiter *w)
{
	int changed;

	pthread_mutex_lock(&wait_lock);
	pthread_mutex_lock(&cur_lock);
	changed = cur == NULL || strcmp(cur->etag, w->etag) != 0;
	pthread_mutex_unlock(&cur_lock);
	if (!changed) {
		w->fired = 0;
		w->prev = NULL;
		w->next = waiters;
		if (waiters != NULL)
			waiters->prev = w;
		waiters = w;
		pthread_cond_signal(&wait_cond);
	}
	pthread_mutex_unlock(&wait_lock);
	return changed ? 1 : 0;
}

void
served_wait_add_any(struct served_waiter *w)
{
	pthread_mutex_lock(&wait_lock);
	w->fired = 0;
	w->prev = NULL;
	w->next = waiters;
	if (waiters != NULL)
		waiters->prev = w;
	waiters = w;
	pthread_cond_signal(&wait_cond);
	pthread_mutex_unlock(&wait_lock);
}

unsigned long long
served_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void
served_notify(void)
{
	pthread_mutex_lock(&wait_lock);
	wake_all_locked();
	pthread_mutex_unlock(&wait_lock);
}

int
served_shutting_down(void)
{
	return __atomic_load_n(&shutting_down, __ATOMIC_ACQUIRE);
}

static void
unlink_locked(struct served_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else if (waiters == w)
		waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

void
served_wait_remove(struct served_waiter *w)
{
	pthread_mutex_lock(&wait_lock);
	if (!w->fired)
		unlink_locked(w);
	w->fired = 1;
	pthread_mutex_unlock(&wait_lock);
}

void
served_wake_all(void)
{
	pthread_mutex_lock(&wait_lock);
	__atomic_store_n(&shutting_down, 1, __ATOMIC_RELEASE);
	wake_all_locked();
	pthread_mutex_unlock(&wait_lock);
}

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *
deadline_main(void *arg)
{
	pthread_mutex_lock(&wait_lock);
	while (!deadline_stop) {
		struct timespec now, next = {0, 0};
		struct served_waiter *w = waiters;
		int have_next = 0;

		clock_gettime(CLOCK_MONOTONIC, &now);
		while (w != NULL) {
			struct served_waiter *n = w->next;
			if (!ts_before(&now, &w->deadline)) {
				unlink_locked(w);
				w->fired = 1;
				w->fire(w);
			} else if (!have_next || ts_before(&w->deadline, &next)) {
				next = w->deadline;
				have_next = 1;
			}
			w = n;
		}
		if (have_next)
			pthread_cond_timedwait(&wait_cond, &wait_lock, &next);
		else
			pthread_cond_wait(&wait_cond, &wait_lock);
	}
	pthread_mutex_unlock(&wait_lock);
	return NULL;
}

int
served_start(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wait_cond, &attr);
	pthread_condattr_destroy(&attr);
	deadline_stop = 0;
	if (pthread_create(&deadline_thread, NULL, deadline_main, NULL) != 0)
		return -1;
	deadline_running = 1;
	return 0;
}

void
served_stop(void)
{
	struct served *s;

	if (deadline_running) {
		pthread_mutex_lock(&wait_lock);
		deadline_stop = 1;
		wake_all_locked();
		pthread_cond_signal(&wait_cond);
		pthread_mutex_unlock(&wait_lock);
		pthread_join(deadline_thread, NULL);
		deadline_running = 0;
	}
	pthread_mutex_lock(&cur_lock);
	s = cur;
	cur = NULL;
	pthread_mutex_unlock(&cur_lock);
	served_release(s);
	free(settings_path);
	settings_path = NULL;
}
