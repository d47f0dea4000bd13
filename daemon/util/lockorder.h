/* SPDX-License-Identifier: Apache-2.0 */
/* The lock order of daemon/THREADS.md, asserted in debug builds
 * (--enable-debug-triggers or --enable-lock-checks): each checked lock has a
 * rank, each thread a stack of the ranks it holds, and taking a lock whose
 * rank is not above every held one, any lock under a leaf, or a lock meant
 * to be taken alone while another is held aborts with a message. Other
 * builds compile the checks away. */
#ifndef LOCKSET_LOCKORDER_H
#define LOCKSET_LOCKORDER_H

#include "build-config.h"

#include <pthread.h>

/* Outermost first (THREADS.md, "Locks, outermost first"; the numbers there in
 * the comments). */
enum lockorder_rank {
	LOCK_POLICYLIFE = 1,   /* 1 policy/policylife.c pl->lock: every org change */
	LOCK_USERPOLICY_WRITE, /* 2 policy/userpolicy.c up->write_lock: every user change */
	LOCK_BUNDLESERVE,      /* 3 fleet/bundleserve.c bs->lock: building the bundle */
	LOCK_SERVED_WAIT,      /* 4 policy/served_wait.c wait_lock: before cur_lock */
	LOCK_SERVED_CUR,       /* 5 policy/served.c cur_lock (leaf) */
	LOCK_SERVED_ENV,       /* 6 policy/served.c env_lock (leaf) */
	LOCK_USERPOLICY,       /* 7 policy/userpolicy.c up->up_lock, a rwlock (leaf) */
	LOCK_USERPOLICY_HOME,  /* 8 policy/userpolicy.c up->home_lock (leaf) */
	LOCK_ENGINEINFO,       /* 9 containers/engineinfo.c e->lock (leaf) */
	LOCK_AUDIT,            /* 10 audit/audit_int.h a->lock (leaf) */
	LOCK_AUDIT_CHECKPOINT, /* 11 audit/audit_checkpoint.c a->cp.lock (leaf) */
	LOCK_AUDIT_SYSLOG,     /* 11 audit/audit_syslog.c f->lock (leaf) */
	LOCK_DB_WRITE,         /* 12 store/db.c write_lock: one write transaction */
	LOCK_DB_POOL,          /* 12 store/db.c pool_lock: the reader pool (leaf) */
	/* 13: leaves taken with no other checked lock held. */
	LOCK_TOKENS,           /* http/tokens.c t->lock, a rwlock */
	LOCK_TOKENS_FAIL,      /* http/tokens.c t->fail_lock */
	LOCK_SETTINGS_CAPS,    /* api/h_settings.c sa->caps_lock */
	LOCK_SETTINGS_REPLIES, /* api/h_settings.c sa->replies_lock, a rwlock */
	LOCK_HTTP_CONNS,       /* http/http_conn.c r->lock: the connection registry */
	LOCK_INPUTS_QUEUE,     /* decisions/inputs.c r->q_lock */
	LOCK_LOOKUP,           /* decisions/lookup.c l->lock */
	LOCK_CONTAINERS,       /* containers/containers.c c->lock */
	LOCK_RATELIMIT,        /* util/ratelimit.c rl->lock */
	LOCK_PROXY,            /* proxy/proxy.c p->lock */
	LOCK_PROXY_ACCESS,     /* proxy/proxy_access.c acc->lock */
	LOCK_PROXY_TICKET,     /* proxy/proxy_ticket.c t->lock */
	LOCK_PROXY_JUDGE,      /* proxy/proxy_judge.c w->lock */
	LOCK_UPSTREAM,         /* fleet/upstream*.c u->lock */
	LOCK_RANKS
};

#if defined(LOCKSET_DEBUG_TRIGGERS) || defined(LOCKSET_LOCK_CHECKS)
#define LOCKORDER_CHECKS 1
/* About to take a lock of this rank: abort unless the order allows it. */
void lockorder_acquire(enum lockorder_rank rank);
/* Released a lock of this rank: abort if this thread does not hold one. */
void lockorder_release(enum lockorder_rank rank);
#else
static inline void
lockorder_acquire(enum lockorder_rank rank)
{
	(void)rank;
}
static inline void
lockorder_release(enum lockorder_rank rank)
{
	(void)rank;
}
#endif

/* 1 when this build checks the order, else 0. */
int lockorder_enabled(void);

/* pthread_mutex_lock after the check, and pthread_mutex_unlock before the
 * release: the thin wrappers the checked modules use. */
static inline void
lockorder_lock(pthread_mutex_t *m, enum lockorder_rank rank)
{
	lockorder_acquire(rank);
	pthread_mutex_lock(m);
}

static inline void
lockorder_unlock(pthread_mutex_t *m, enum lockorder_rank rank)
{
	pthread_mutex_unlock(m);
	lockorder_release(rank);
}

/* The same for a rwlock, read or write. */
static inline void
lockorder_rdlock(pthread_rwlock_t *l, enum lockorder_rank rank)
{
	lockorder_acquire(rank);
	pthread_rwlock_rdlock(l);
}

static inline void
lockorder_wrlock(pthread_rwlock_t *l, enum lockorder_rank rank)
{
	lockorder_acquire(rank);
	pthread_rwlock_wrlock(l);
}

static inline void
lockorder_rwunlock(pthread_rwlock_t *l, enum lockorder_rank rank)
{
	pthread_rwlock_unlock(l);
	lockorder_release(rank);
}

#endif
