/* SPDX-License-Identifier: Apache-2.0 */
/* Lock-order assertions (see lockorder.h): a small per-thread stack of held
 * ranks, checked on every acquire and release of a checked lock. A broken
 * order is a bug in the daemon, so it aborts at once, naming both locks. */
#include "lockorder.h"

#include <stdio.h>
#include <stdlib.h>

int
lockorder_enabled(void)
{
#ifdef LOCKORDER_CHECKS
	return 1;
#else
	return 0;
#endif
}

#ifdef LOCKORDER_CHECKS

#define LOCKORDER_DEPTH 8 /* locks one thread may hold at once */

/* What may be held around a lock of a rank, beyond the order itself. */
enum lockorder_kind {
	NESTS = 0, /* locks of later ranks may be taken under it */
	LEAF,      /* nothing checked may be taken while it is held */
	ALONE,     /* a leaf taken only while no checked lock is held */
};

static const struct {
	const char *name;
	enum lockorder_kind kind;
} ranks[LOCK_RANKS] = {
    [LOCK_POLICYLIFE] = {"policylife lock", NESTS},
    [LOCK_USERPOLICY_WRITE] = {"userpolicy write_lock", NESTS},
    [LOCK_BUNDLESERVE] = {"bundleserve lock", NESTS},
    [LOCK_SERVED_WAIT] = {"served wait_lock", NESTS},
    [LOCK_SERVED_CUR] = {"served cur_lock", LEAF},
    [LOCK_SERVED_ENV] = {"served env_lock", LEAF},
    [LOCK_USERPOLICY] = {"userpolicy up_lock", LEAF},
    [LOCK_USERPOLICY_HOME] = {"userpolicy home_lock", LEAF},
    [LOCK_ENGINEINFO] = {"engineinfo lock", LEAF},
    [LOCK_AUDIT] = {"audit lock", LEAF},
    [LOCK_AUDIT_CHECKPOINT] = {"audit cp_lock", LEAF},
    [LOCK_AUDIT_SYSLOG] = {"audit syslog lock", LEAF},
    [LOCK_DB_WRITE] = {"db write_lock", NESTS},
    [LOCK_DB_POOL] = {"db pool_lock", LEAF},
    [LOCK_TOKENS] = {"tokens lock", ALONE},
    [LOCK_TOKENS_FAIL] = {"tokens fail_lock", ALONE},
    [LOCK_SETTINGS_CAPS] = {"settings caps_lock", ALONE},
    [LOCK_SETTINGS_REPLIES] = {"settings replies_lock", ALONE},
    [LOCK_HTTP_CONNS] = {"http connections lock", ALONE},
    [LOCK_INPUTS_QUEUE] = {"inputs q_lock", ALONE},
    [LOCK_LOOKUP] = {"lookup lock", ALONE},
    [LOCK_CONTAINERS] = {"containers lock", ALONE},
    [LOCK_RATELIMIT] = {"ratelimit lock", ALONE},
    [LOCK_PROXY] = {"proxy lock", ALONE},
    [LOCK_PROXY_ACCESS] = {"proxy access lock", ALONE},
    [LOCK_PROXY_TICKET] = {"proxy ticket lock", ALONE},
    [LOCK_PROXY_JUDGE] = {"proxy judge lock", ALONE},
    [LOCK_UPSTREAM] = {"upstream lock", ALONE},
};

static _Thread_local int held[LOCKORDER_DEPTH];
static _Thread_local int nheld;

static const char *
rank_name(int rank)
{
	return rank > 0 && rank < LOCK_RANKS ? ranks[rank].name : "an unknown lock";
}

static void
violated(const char *what, int rank, int other)
{
	fprintf(stderr, "lockset: lock order violated: %s %s (rank %d)", what, rank_name(rank),
	        rank);
	if (other > 0)
		fprintf(stderr, " while holding %s (rank %d)", rank_name(other), other);
	fprintf(stderr, "; see daemon/THREADS.md\n");
	abort();
}

void
lockorder_acquire(enum lockorder_rank rank)
{
	if ((int)rank <= 0 || rank >= LOCK_RANKS)
		violated("taking", (int)rank, 0);
	for (int i = 0; i < nheld; i++) {
		if (held[i] >= (int)rank || ranks[held[i]].kind != NESTS ||
		    ranks[rank].kind == ALONE)
			violated("taking", (int)rank, held[i]);
	}
	if (nheld == LOCKORDER_DEPTH)
		violated("taking (too many held)", (int)rank, held[nheld - 1]);
	held[nheld++] = (int)rank;
}

void
lockorder_release(enum lockorder_rank rank)
{
	int i = nheld - 1;

	while (i >= 0 && held[i] != (int)rank)
		i--;
	if (i < 0)
		violated("releasing (not held)", (int)rank, 0);
	for (; i < nheld - 1; i++)
		held[i] = held[i + 1];
	nheld--;
}

#endif
