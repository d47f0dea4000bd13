/* SPDX-License-Identifier: Apache-2.0 */
/* Between the served policy (served.c) and its long-poll waiters
 * (served_wait.c): the swap of a new policy happens under the waiters' lock,
 * so that no waiter registers against an ETag that is already gone. */
#ifndef LOCKSET_SERVED_INT_H
#define LOCKSET_SERVED_INT_H

void served_wait_lock(void);
void served_wait_unlock(void);
/* A new policy was installed (the lock held): org waiters whose ETag it
 * changed are woken; every per-user waiter is re-checked. */
void served_wait_policy_changed_locked(int etag_changed);
/* Stop the waiters' thread, waking every waiter. */
void served_wait_stop(void);

#endif
