/* SPDX-License-Identifier: Apache-2.0 */
/* Per-caller token buckets: each key (a caller's identity) may take `rate`
 * tokens a second on average and up to `burst` at once. Used to cap what one
 * caller can append to the audit log through POST /v1/events, so a flood
 * cannot push real denies out through row-count retention. */
#ifndef LOCKSET_RATELIMIT_H
#define LOCKSET_RATELIMIT_H

#include <stddef.h>

struct ratelimit;

/* A limiter of rate tokens per second and burst tokens at most per key
 * (rate > 0, burst >= 1). now_us is the clock (microseconds, monotonic);
 * NULL: CLOCK_MONOTONIC. Returns NULL on ENOMEM. */
struct ratelimit *ratelimit_new(long rate, long burst, long long (*now_us)(void));
/* Release a limiter. Accepts NULL. */
void ratelimit_free(struct ratelimit *rl);

/* Take one token from key's bucket (key is copied, truncated to 127 bytes).
 * Returns 0 when granted; -1 when the bucket is empty, with *retry_after set
 * to the whole seconds (at least 1) until a token is back. A NULL limiter
 * grants everything. Thread-safe. */
int ratelimit_take(struct ratelimit *rl, const char *key, unsigned *retry_after);

/* Requests refused so far (0 for a NULL limiter). */
unsigned long long ratelimit_refused(struct ratelimit *rl);

#endif
