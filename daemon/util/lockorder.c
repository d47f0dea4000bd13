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

static const struct {
	const char *name;
	int leaf; /* nothing checked may be taken while it is held */
} ranks[LOCK_RANKS] = {
    [LOCK_POLICYLIFE] = {"policylife lock", 0},
    [LOCK_USERPOLICY_WRITE] = {"userpolicy write_lock", 0},
    [LOCK_USERPOLICY] = {"userpolicy up_lock", 1},
    [LOCK_USERPOLICY_HOME] = {"userpolicy home_lock", 1},
    [LOCK_SERVED_WAIT] = {"served wait_lock", 0},
    [LOCK_SERVED_CUR] = {"served cur_lock", 1},
    [LOCK_SERVED_ENV] = {"served env_lock", 1},
    [LOCK_AUDIT] = {"audit lock", 1},
    [LOCK_AUDIT_CHECKPOINT] = {"audit cp_lock", 1},
    [LOCK_AUDIT_SYSLOG] = {"audit syslog lock", 1},
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
		if (held[i] >= (int)rank || ranks[held[i]].leaf)
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
