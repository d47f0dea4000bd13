/* SPDX-License-Identifier: Apache-2.0 */
/* The lock-order assertions of debug builds: the order of THREADS.md passes,
 * a lock taken out of order, twice, under a leaf, a leaf of item 13 taken
 * under any lock, or a lock released without being held aborts the process.
 * Each case runs in a child so that it may abort. Builds without the checks
 * skip (77). */
#include "check.h"
#include "util/lockorder.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child; its wait status. */
static int
in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		/* The abort message is expected: keep it out of the test log. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(98);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int
aborted(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static int
exited_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
wait_then_cur(void)
{
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_WAIT);
	/* Released in either order, then taken again. */
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_WAIT);
	lockorder_release(LOCK_SERVED_CUR);
	lockorder_acquire(LOCK_AUDIT);
	lockorder_release(LOCK_AUDIT);
}

/* An org change: the change lock held across the history, the audit row
 * and the swap; a user change: its write lock across its table's lock, the
 * audit row and the waiters' lock. */
static void
policy_changes(void)
{
	lockorder_acquire(LOCK_POLICYLIFE);
	lockorder_acquire(LOCK_AUDIT);
	lockorder_release(LOCK_AUDIT);
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_WAIT);
	lockorder_release(LOCK_POLICYLIFE);
	lockorder_acquire(LOCK_USERPOLICY_WRITE);
	lockorder_acquire(LOCK_USERPOLICY);
	lockorder_release(LOCK_USERPOLICY);
	lockorder_acquire(LOCK_AUDIT);
	lockorder_release(LOCK_AUDIT);
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_release(LOCK_SERVED_WAIT);
	lockorder_release(LOCK_USERPOLICY_WRITE);
}

/* The bundle built under its lock: the served policy, then the fleet store
 * (a write transaction, a reader from the pool); the engine check's lock
 * under the waiters' lock; a leaf of item 13 taken alone. */
static void
bundle_engine_and_leaves(void)
{
	lockorder_acquire(LOCK_BUNDLESERVE);
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_release(LOCK_SERVED_CUR);
	lockorder_acquire(LOCK_DB_WRITE);
	lockorder_acquire(LOCK_DB_POOL);
	lockorder_release(LOCK_DB_POOL);
	lockorder_release(LOCK_DB_WRITE);
	lockorder_release(LOCK_BUNDLESERVE);
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_ENGINEINFO);
	lockorder_release(LOCK_ENGINEINFO);
	lockorder_release(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_TOKENS);
	lockorder_release(LOCK_TOKENS);
}

static void
wait_then_bundle(void)
{
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_BUNDLESERVE);
}

static void
under_the_engine_check(void)
{
	lockorder_acquire(LOCK_ENGINEINFO);
	lockorder_acquire(LOCK_DB_POOL);
}

static void
pool_then_write(void)
{
	lockorder_acquire(LOCK_DB_POOL);
	lockorder_acquire(LOCK_DB_WRITE);
}

/* Item 13's leaves are never nested, not even under a lock that nests. */
static void
leaf_under_the_write_transaction(void)
{
	lockorder_acquire(LOCK_DB_WRITE);
	lockorder_acquire(LOCK_INPUTS_QUEUE);
}

static void
leaf_under_another_leaf(void)
{
	lockorder_acquire(LOCK_TOKENS);
	lockorder_acquire(LOCK_TOKENS_FAIL);
}

static void
wait_then_policylife(void)
{
	lockorder_acquire(LOCK_SERVED_WAIT);
	lockorder_acquire(LOCK_POLICYLIFE);
}

static void
user_write_then_policylife(void)
{
	lockorder_acquire(LOCK_USERPOLICY_WRITE);
	lockorder_acquire(LOCK_POLICYLIFE);
}

static void
audit_under_the_user_table(void)
{
	lockorder_acquire(LOCK_USERPOLICY);
	lockorder_acquire(LOCK_AUDIT);
}

static void
cur_then_wait(void)
{
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_acquire(LOCK_SERVED_WAIT);
}

static void
audit_twice(void)
{
	lockorder_acquire(LOCK_AUDIT);
	lockorder_acquire(LOCK_AUDIT);
}

static void
under_a_leaf(void)
{
	lockorder_acquire(LOCK_SERVED_CUR);
	lockorder_acquire(LOCK_AUDIT_SYSLOG);
}

static void
release_unheld(void)
{
	lockorder_release(LOCK_SERVED_ENV);
}

static void
test_documented_order_passes(void)
{
	CHECK(exited_ok(in_child(wait_then_cur)));
}

static void
test_policy_change_order_passes(void)
{
	CHECK(exited_ok(in_child(policy_changes)));
}

static void
test_policy_locks_out_of_order_abort(void)
{
	CHECK(aborted(in_child(wait_then_policylife)));
	CHECK(aborted(in_child(user_write_then_policylife)));
	CHECK(aborted(in_child(audit_under_the_user_table)));
}

static void
test_bundle_engine_and_store_order_passes(void)
{
	CHECK(exited_ok(in_child(bundle_engine_and_leaves)));
}

static void
test_bundle_engine_and_store_out_of_order_abort(void)
{
	CHECK(aborted(in_child(wait_then_bundle)));
	CHECK(aborted(in_child(under_the_engine_check)));
	CHECK(aborted(in_child(pool_then_write)));
}

static void
test_nested_leaf_of_item_13_aborts(void)
{
	CHECK(aborted(in_child(leaf_under_the_write_transaction)));
	CHECK(aborted(in_child(leaf_under_another_leaf)));
}

static void
test_cur_lock_before_wait_lock_aborts(void)
{
	CHECK(aborted(in_child(cur_then_wait)));
}

static void
test_same_rank_twice_aborts(void)
{
	CHECK(aborted(in_child(audit_twice)));
}

static void
test_lock_under_a_leaf_aborts(void)
{
	CHECK(aborted(in_child(under_a_leaf)));
}

static void
test_release_of_an_unheld_lock_aborts(void)
{
	CHECK(aborted(in_child(release_unheld)));
}

int
main(void)
{
	if (!lockorder_enabled()) {
		printf("SKIP: lock checks are off (configure --enable-lock-checks or "
		       "--enable-debug-triggers)\n");
		return 77;
	}
	RUN(test_documented_order_passes);
	RUN(test_policy_change_order_passes);
	RUN(test_policy_locks_out_of_order_abort);
	RUN(test_bundle_engine_and_store_order_passes);
	RUN(test_bundle_engine_and_store_out_of_order_abort);
	RUN(test_nested_leaf_of_item_13_aborts);
	RUN(test_cur_lock_before_wait_lock_aborts);
	RUN(test_same_rank_twice_aborts);
	RUN(test_lock_under_a_leaf_aborts);
	RUN(test_release_of_an_unheld_lock_aborts);
	return CHECK_DONE();
}
