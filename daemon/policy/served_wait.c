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

#define DIRTY_MAX     64 /* users re-checked by name; beyond, all of them */
#define PEER_CHECK_MS 1000

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond;
static struct served_waiter *waiters;
static size_t nwaiters, nuser_waiters;
static unsigned long long nbuilds; /* per-user replies built */
static pthread_t thread;
static int running, stop;
static unsigned long long generation; /* bumped under wait_lock by every change */
static int shutting_down;             /* waiters must answer now, not sleep again */
static struct timespec next_wake;     /* when the thread wakes next (valid while running) */
/* Users whose waiters must be re-checked (malloc'd names), or all of them. */
static char *dirty[DIRTY_MAX];
static size_t ndirty;
static int dirty_all;

void
served_wait_lock(void)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_unlock(void)
{
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
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
link_locked(struct served_waiter *w)
{
	w->fired = 0;
	w->gone = 0;
	w->prev = NULL;
	w->next = waiters;
	if (waiters != NULL)
		waiters->prev = w;
	waiters = w;
	nwaiters += !w->internal;
	nuser_waiters += w->user != NULL;
	/* Only a deadline sooner than the thread's next wake-up needs it now. */
	if (ts_before(&w->deadline, &next_wake))
		pthread_cond_signal(&wait_cond);
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
	nwaiters -= !w->internal;
	nuser_waiters -= w->user != NULL;
}

static void
fire_locked(struct served_waiter *w)
{
	unlink_locked(w);
	w->fired = 1;
	w->fire(w);
}

static void
clear_dirty_locked(void)
{
	for (size_t i = 0; i < ndirty; i++)
		free(dirty[i]);
	ndirty = 0;
	dirty_all = 0;
}

static int
is_dirty_locked(const char *user)
{
	if (dirty_all)
		return 1;
	for (size_t i = 0; i < ndirty; i++)
		if (strcmp(dirty[i], user) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Registering and waking */

int
served_wait_add(struct served_waiter *w)
{
	struct served *cur;
	int changed;

	w->user = NULL;
	w->any = 0;
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	cur = served_acquire();
	changed = cur == NULL || strcmp(cur->etag, w->etag) != 0;
	served_release(cur);
	if (!changed)
		link_locked(w);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
	return changed ? 1 : 0;
}

void
served_wait_add_user(struct served_waiter *w)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	link_locked(w);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_add_internal(struct served_waiter *w)
{
	w->internal = 1;
	served_wait_add_any(w);
}

void
served_wait_add_any(struct served_waiter *w)
{
	w->user = NULL;
	w->any = 1;
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	link_locked(w);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
}

/* Fire every waiter that any change wakes. */
static void
fire_any_locked(void)
{
	struct served_waiter *w = waiters, *next;

	for (; w != NULL; w = next) {
		next = w->next;
		if (w->any)
			fire_locked(w);
	}
}

unsigned long long
served_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void
served_wait_policy_changed_locked(int etag_changed)
{
	struct served_waiter *w = waiters, *next;

	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	for (; w != NULL; w = next) {
		next = w->next;
		if (w->any || (w->user == NULL && etag_changed))
			fire_locked(w);
	}
	dirty_all = 1;
	pthread_cond_signal(&wait_cond);
}

void
served_notify_user(const char *user)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	fire_any_locked();
	if (!dirty_all && !is_dirty_locked(user)) {
		if (ndirty == DIRTY_MAX || (dirty[ndirty] = strdup(user)) == NULL)
			dirty_all = 1;
		else
			ndirty++;
	}
	pthread_cond_signal(&wait_cond);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
}

void
served_wait_remove(struct served_waiter *w)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	if (!w->fired)
		unlink_locked(w);
	w->fired = 1;
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
	served_user_reply_release(w->reply);
	w->reply = NULL;
}

void
served_wait_count(size_t *all, size_t *users, unsigned long long *builds)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	*all = nwaiters;
	*users = nuser_waiters;
	*builds = nbuilds;
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
}

int
served_shutting_down(void)
{
	return __atomic_load_n(&shutting_down, __ATOMIC_ACQUIRE);
}

void
served_wake_all(void)
{
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	__atomic_store_n(&shutting_down, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	while (waiters != NULL)
		fire_locked(waiters);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
}

/* ------------------------------------------------------------------------ */
/* The thread's three jobs (wait_lock held unless said otherwise) */

/* Fire every waiter past its deadline; *next gets the soonest other one. */
static int
fire_deadlines(const struct timespec *now, struct timespec *next)
{
	struct served_waiter *w = waiters, *n;
	int have = 0;

	for (; w != NULL; w = n) {
		n = w->next;
		if (!ts_before(now, &w->deadline))
			fire_locked(w);
		else if (!have || ts_before(&w->deadline, next)) {
			*next = w->deadline;
			have = 1;
		}
	}
	return have;
}

/* A client that closed its connection (or reset it) is answered now, which
 * frees the connection; the kernel says so at once with POLLRDHUP. */
static void
fire_gone(void)
{
	static struct pollfd *pfd;
	static struct served_waiter **who;
	static size_t cap;
	struct served_waiter *w;
	size_t n = 0;

	if (nwaiters > cap) {
		size_t want = nwaiters + 1024;
		struct pollfd *p = realloc(pfd, want * sizeof(*p));
		struct served_waiter **q = p ? realloc(who, want * sizeof(*q)) : NULL;

		if (p != NULL)
			pfd = p;
		if (q == NULL)
			return;
		who = q;
		cap = want;
	}
	for (w = waiters; w != NULL && n < cap; w = w->next) {
		if (w->fd <= 0) /* 0 is stdin: never a client's socket */
			continue;
		pfd[n].fd = w->fd;
		pfd[n].events = POLLRDHUP;
		pfd[n].revents = 0;
		who[n++] = w;
	}
	if (n == 0 || poll(pfd, n, 0) <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
			who[i]->gone = 1;
			fire_locked(who[i]);
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
users_to_check(size_t *n)
{
	char **v = NULL;
	size_t k = 0, m = 0;

	*n = 0;
	if ((dirty_all || ndirty > 0) && nuser_waiters > 0 &&
	    (v = calloc(nuser_waiters, sizeof(*v))) != NULL) {
		for (struct served_waiter *w = waiters; w != NULL && k < nuser_waiters; w = w->next)
			if (w->user != NULL && is_dirty_locked(w->user) &&
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
	clear_dirty_locked();
	*n = m;
	return v;
}

/* Build each user's reply once (without the lock), then wake the waiters
 * whose ETag it changes, handing each the reply. */
static void
recheck_users(void)
{
	size_t n, i;
	char **users = users_to_check(&n);
	struct served_user_reply **built;
	struct served_waiter *w, *next;

	if (users == NULL || (built = calloc(n, sizeof(*built))) == NULL) {
		for (i = 0; users != NULL && i < n; i++)
			free(users[i]);
		free(users);
		return;
	}
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
	for (i = 0; i < n; i++) {
		int unavailable;

		built[i] = userpolicy_reply(users[i], &unavailable);
	}
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	nbuilds += n;
	for (w = waiters; w != NULL; w = next) {
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
		fire_locked(w);
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
	struct timespec last_peer = {0, 0};

	(void)arg;
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	while (!stop) {
		struct timespec now, next, peer;
		int have;

		clock_gettime(CLOCK_MONOTONIC, &now);
		have = fire_deadlines(&now, &next);
		peer = last_peer;
		peer.tv_sec += PEER_CHECK_MS / 1000;
		if (!ts_before(&now, &peer)) {
			fire_gone();
			last_peer = now;
			peer = now;
			peer.tv_sec += PEER_CHECK_MS / 1000;
		}
		if (dirty_all || ndirty > 0)
			recheck_users();
		if (!have || ts_before(&peer, &next))
			next = peer;
		next_wake = next;
		if (dirty_all || ndirty > 0)
			continue; /* a change came in while the replies were built */
		pthread_cond_timedwait(&wait_cond, &wait_lock, &next);
	}
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
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
	stop = 0;
	if (pthread_create(&thread, NULL, thread_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

void
served_wait_stop(void)
{
	if (!running)
		return;
	lockorder_lock(&wait_lock, LOCK_SERVED_WAIT);
	stop = 1;
	while (waiters != NULL)
		fire_locked(waiters);
	clear_dirty_locked();
	pthread_cond_signal(&wait_cond);
	lockorder_unlock(&wait_lock, LOCK_SERVED_WAIT);
	pthread_join(thread, NULL);
	running = 0;
}
