/* SPDX-License-Identifier: Apache-2.0 */
/* Long-poll waiters (see served.h). One thread does everything that is not
 * a request's own work: it fires waiters at their deadline, watches the
 * clients' sockets so that a client that went away frees its connection at
 * once (not at the deadline), and after a change builds each affected
 * user's reply once, waking only the waiters whose ETag it changed.
 * Lock order: wait_lock, then served.c's cur_lock; reply building and fire
 * callbacks that resume requests run without wait_lock where they may block. */
#include "served.h"
#include "served_int.h"
#include "userpolicy.h"

#include "log.h"
#include "util/lockorder.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PEER_CHECK_MS 1000

void
served_wait_lock(struct served_hub *h)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_unlock(struct served_hub *h)
{
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

void
served_user_reply_release(struct served_user_reply *r)
{
	if (r != NULL && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(r->text);
		free(r);
	}
}

/* ------------------------------------------------------------------------ */
/* The list (wait_lock held) */

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void
link_locked(struct served_hub *h, struct served_waiter *w)
{
	w->fired = 0;
	w->gone = 0;
	w->prev = NULL;
	w->next = h->waiters;
	if (h->waiters != NULL)
		h->waiters->prev = w;
	h->waiters = w;
	h->nwaiters += !w->internal;
	h->nuser_waiters += w->user != NULL;
	/* Only a deadline sooner than the thread's next wake-up needs it now. */
	if (ts_before(&w->deadline, &h->next_wake))
		pthread_cond_signal(&h->wait_cond);
}

static void
unlink_locked(struct served_hub *h, struct served_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else if (h->waiters == w)
		h->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	h->nwaiters -= !w->internal;
	h->nuser_waiters -= w->user != NULL;
}

static void
fire_locked(struct served_hub *h, struct served_waiter *w)
{
	unlink_locked(h, w);
	w->fired = 1;
	w->fire(w);
}

static void
clear_dirty_locked(struct served_hub *h)
{
	for (size_t i = 0; i < h->ndirty; i++)
		free(h->dirty[i]);
	h->ndirty = 0;
	h->dirty_all = 0;
}

static int
is_dirty_locked(struct served_hub *h, const char *user)
{
	if (h->dirty_all)
		return 1;
	for (size_t i = 0; i < h->ndirty; i++)
		if (strcmp(h->dirty[i], user) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Registering and waking */

int
served_wait_add(struct served_hub *h, struct served_waiter *w)
{
	struct served *cur;
	int changed;

	w->user = NULL;
	w->any = 0;
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	cur = served_acquire(h);
	changed = cur == NULL || strcmp(cur->etag, w->etag) != 0;
	served_release(cur);
	if (!changed)
		link_locked(h, w);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
	return changed ? 1 : 0;
}

void
served_wait_add_user(struct served_hub *h, struct served_waiter *w)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	link_locked(h, w);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_add_internal(struct served_hub *h, struct served_waiter *w)
{
	w->internal = 1;
	served_wait_add_any(h, w);
}

void
served_wait_add_any(struct served_hub *h, struct served_waiter *w)
{
	w->user = NULL;
	w->any = 1;
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	link_locked(h, w);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

/* Fire every waiter that any change wakes. */
static void
fire_any_locked(struct served_hub *h)
{
	struct served_waiter *w = h->waiters, *next;

	for (; w != NULL; w = next) {
		next = w->next;
		if (w->any)
			fire_locked(h, w);
	}
}

unsigned long long
served_generation(struct served_hub *h)
{
	return __atomic_load_n(&h->generation, __ATOMIC_ACQUIRE);
}

void
served_wait_policy_changed_locked(struct served_hub *h, int etag_changed)
{
	struct served_waiter *w = h->waiters, *next;

	__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
	for (; w != NULL; w = next) {
		next = w->next;
		if (w->any || (w->user == NULL && etag_changed))
			fire_locked(h, w);
	}
	h->dirty_all = 1;
	pthread_cond_signal(&h->wait_cond);
}

void
served_notify_user(struct served_hub *h, const char *user)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
	fire_any_locked(h);
	if (!h->dirty_all && !is_dirty_locked(h, user)) {
		if (h->ndirty == SERVED_DIRTY_MAX || (h->dirty[h->ndirty] = strdup(user)) == NULL)
			h->dirty_all = 1;
		else
			h->ndirty++;
	}
	pthread_cond_signal(&h->wait_cond);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_remove(struct served_hub *h, struct served_waiter *w)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	if (!w->fired)
		unlink_locked(h, w);
	w->fired = 1;
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
	served_user_reply_release(w->reply);
	w->reply = NULL;
}

void
served_wait_count(struct served_hub *h, size_t *all, size_t *users, unsigned long long *builds)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	*all = h->nwaiters;
	*users = h->nuser_waiters;
	*builds = h->nbuilds;
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

int
served_shutting_down(struct served_hub *h)
{
	return __atomic_load_n(&h->shutting_down, __ATOMIC_ACQUIRE);
}

void
served_wake_all(struct served_hub *h)
{
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	__atomic_store_n(&h->shutting_down, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
	while (h->waiters != NULL)
		fire_locked(h, h->waiters);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
}

/* ------------------------------------------------------------------------ */
/* The thread's three jobs (wait_lock held unless said otherwise) */

/* Fire every waiter past its deadline; *next gets the soonest other one. */
static int
fire_deadlines(struct served_hub *h, const struct timespec *now, struct timespec *next)
{
	struct served_waiter *w = h->waiters, *n;
	int have = 0;

	for (; w != NULL; w = n) {
		n = w->next;
		if (!ts_before(now, &w->deadline))
			fire_locked(h, w);
		else if (!have || ts_before(&w->deadline, next)) {
			*next = w->deadline;
			have = 1;
		}
	}
	return have;
}

/* A client that closed its connection (or reset it) is answered now, which
 * frees the connection; the kernel says so at once with POLLRDHUP. The
 * list does not change while the lock is held, so the sockets polled are
 * matched to their waiters by walking it again in the same order (no array
 * of waiters: with 10,000 of them it would cost 80 KB). */
static void
fire_gone(struct served_hub *h)
{
	struct served_waiter *w, *next;
	size_t n = 0, i = 0;

	if (h->nwaiters > h->cap) {
		size_t want = h->nwaiters + 1024;
		struct pollfd *p = realloc(h->pfd, want * sizeof(*p));

		if (p == NULL)
			return;
		h->pfd = p;
		h->cap = want;
	}
	for (w = h->waiters; w != NULL && n < h->cap; w = w->next) {
		if (w->fd <= 0) /* 0 is stdin: never a client's socket */
			continue;
		h->pfd[n].fd = w->fd;
		h->pfd[n].events = POLLRDHUP;
		h->pfd[n].revents = 0;
		n++;
	}
	if (n == 0 || poll(h->pfd, n, 0) <= 0)
		return;
	for (w = h->waiters; w != NULL && i < n; w = next) {
		next = w->next; /* fire_locked unlinks w */
		if (w->fd <= 0)
			continue;
		if (h->pfd[i++].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
			w->gone = 1;
			fire_locked(h, w);
		}
	}
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct users of the waiters to re-check (copies, sorted), and clear
 * the dirty set. NULL with *n 0 when there are none. */
static char **
users_to_check(struct served_hub *h, size_t *n)
{
	char **v = NULL;
	size_t k = 0, m = 0;

	*n = 0;
	if ((h->dirty_all || h->ndirty > 0) && h->nuser_waiters > 0 &&
	    (v = calloc(h->nuser_waiters, sizeof(*v))) != NULL) {
		for (struct served_waiter *w = h->waiters; w != NULL && k < h->nuser_waiters;
		     w = w->next)
			if (w->user != NULL && is_dirty_locked(h, w->user) &&
			    (v[k] = strdup(w->user)) != NULL)
				k++;
		qsort(v, k, sizeof(*v), cmp_name);
		for (size_t i = 0; i < k; i++) {
			if (m > 0 && strcmp(v[m - 1], v[i]) == 0)
				free(v[i]);
			else
				v[m++] = v[i];
		}
	}
	clear_dirty_locked(h);
	*n = m;
	return v;
}

/* Build each user's reply once (without the lock), then wake the waiters
 * whose ETag it changes, handing each the reply. */
static void
recheck_users(struct served_hub *h)
{
	size_t n, i;
	char **users = users_to_check(h, &n);
	struct served_user_reply **built;
	struct served_waiter *w, *next;

	if (users == NULL || (built = calloc(n, sizeof(*built))) == NULL) {
		for (i = 0; users != NULL && i < n; i++)
			free(users[i]);
		free(users);
		return;
	}
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
	for (i = 0; i < n; i++) {
		int unavailable;

		built[i] = userpolicy_reply(h->up, users[i], &unavailable);
	}
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	h->nbuilds += n;
	for (w = h->waiters; w != NULL; w = next) {
		char **hit;
		struct served_user_reply *r;

		next = w->next;
		if (w->user == NULL ||
		    (hit = bsearch(&w->user, users, n, sizeof(*users), cmp_name)) == NULL)
			continue;
		r = built[hit - users];
		if (r == NULL || strcmp(r->etag, w->etag) == 0)
			continue;
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
		w->reply = r;
		fire_locked(h, w);
	}
	for (i = 0; i < n; i++) {
		served_user_reply_release(built[i]);
		free(users[i]);
	}
	free(built);
	free(users);
}

static void *
thread_main(void *arg)
{
	struct served_hub *h = arg;
	struct timespec last_peer = {0, 0};

	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	while (!h->stop) {
		struct timespec now, next, peer;
		int have;

		clock_gettime(CLOCK_MONOTONIC, &now);
		have = fire_deadlines(h, &now, &next);
		peer = last_peer;
		peer.tv_sec += PEER_CHECK_MS / 1000;
		if (!ts_before(&now, &peer)) {
			fire_gone(h);
			last_peer = now;
			peer = now;
			peer.tv_sec += PEER_CHECK_MS / 1000;
		}
		if (h->dirty_all || h->ndirty > 0)
			recheck_users(h);
		if (!have || ts_before(&peer, &next))
			next = peer;
		h->next_wake = next;
		if (h->dirty_all || h->ndirty > 0)
			continue; /* a change came in while the replies were built */
		pthread_cond_timedwait(&h->wait_cond, &h->wait_lock, &next);
	}
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
	return NULL;
}

int
served_wait_init(struct served_hub *h)
{
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&h->wait_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	pthread_mutex_init(&h->wait_lock, NULL);
	return 0;
}

void
served_wait_destroy(struct served_hub *h)
{
	clear_dirty_locked(h);
	free(h->pfd);
	pthread_cond_destroy(&h->wait_cond);
	pthread_mutex_destroy(&h->wait_lock);
}

int
served_start(struct served_hub *h, struct userpolicy *up)
{
	h->up = up;
	h->stop = 0;
	if (pthread_create(&h->thread, NULL, thread_main, h) != 0)
		return -1;
	h->running = 1;
	return 0;
}

void
served_wait_stop(struct served_hub *h)
{
	if (!h->running)
		return;
	lockorder_lock(&h->wait_lock, LOCK_SERVED_WAIT);
	h->stop = 1;
	while (h->waiters != NULL)
		fire_locked(h, h->waiters);
	clear_dirty_locked(h);
	pthread_cond_signal(&h->wait_cond);
	lockorder_unlock(&h->wait_lock, LOCK_SERVED_WAIT);
	pthread_join(h->thread, NULL);
	h->running = 0;
}
