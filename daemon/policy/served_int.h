/* SPDX-License-Identifier: Apache-2.0 */
/* Between the served policy (served.c) and its long-poll waiters
 * (served_wait.c): the hub both halves keep their state in, and the swap of
 * a new policy, which happens under the waiters' lock so that no waiter
 * registers against an ETag that is already gone. */
#ifndef LOCKSET_SERVED_INT_H
#define LOCKSET_SERVED_INT_H

#include "served.h"

#include <poll.h>
#include <pthread.h>

#define SERVED_DIRTY_MAX 64 /* users re-checked by name; beyond, all of them */

struct served_hub {
	/* served.c: the current policy, and what new versions are built with.
	 * cur under cur_lock; the path variables and homes under env_lock (set
	 * from the main thread, copied by every build). */
	pthread_mutex_t cur_lock;
	struct served *cur;
	char *settings_path;
	time_t started;
	pthread_mutex_t env_lock;
	struct settings_env env;
	struct homes group_homes;
	unsigned long long builds;

	/* served_wait.c: the waiters, under wait_lock (taken before cur_lock). */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	struct served_waiter *waiters;
	size_t nwaiters, nuser_waiters;
	unsigned long long nbuilds; /* per-user replies built */
	struct userpolicy *up;      /* builds those replies (served_start) */
	pthread_t thread;
	int running, stop;
	unsigned long long generation; /* bumped under wait_lock by every change */
	int shutting_down;             /* waiters must answer now, not sleep again */
	struct timespec next_wake;     /* when the thread wakes next (valid while running) */
	/* Users whose waiters must be re-checked (malloc'd names), or all of them. */
	char *dirty[SERVED_DIRTY_MAX];
	size_t ndirty;
	int dirty_all;
	/* The thread's own: the sockets polled for gone clients. */
	struct pollfd *pfd;
	size_t cap;
};

void served_wait_lock(struct served_hub *h);
void served_wait_unlock(struct served_hub *h);
/* A new policy was installed (the lock held): org waiters whose ETag it
 * changed are woken; every per-user waiter is re-checked. */
void served_wait_policy_changed_locked(struct served_hub *h, int etag_changed);
/* The waiters' lock and condition of a new hub. 0, or -1. */
int served_wait_init(struct served_hub *h);
/* Free what served_wait_init and the thread made (the thread stopped). */
void served_wait_destroy(struct served_hub *h);
/* Stop the waiters' thread, waking every waiter. */
void served_wait_stop(struct served_hub *h);

#endif
