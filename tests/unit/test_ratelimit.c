/* SPDX-License-Identifier: Apache-2.0 */
/* Per-caller token buckets with an injected clock: the burst is granted at
 * once, then the rate; Retry-After rounds up; callers do not share buckets;
 * a full table reuses refilled buckets before it forgets an active one. */
#include "check.h"
#include "util/ratelimit.h"

#include <stdio.h>

static long long fake_us = 1000000;

static long long
fake_clock(void)
{
	return fake_us;
}

/* How many of n takes for key are granted now. */
static int
granted(struct ratelimit *rl, const char *key, int n)
{
	unsigned retry;
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += ratelimit_take(rl, key, &retry) == 0;
	return ok;
}

static void
test_burst_then_rate(void)
{
	struct ratelimit *rl = ratelimit_new(10, 20, fake_clock);
	unsigned retry = 0;

	CHECK_INT_EQ(granted(rl, "uid:1000", 25), 20);
	CHECK_INT_EQ(ratelimit_refused(rl), 5);
	CHECK_INT_EQ(ratelimit_take(rl, "uid:1000", &retry), -1);
	CHECK_INT_EQ(retry, 1); /* 0.1 s to the next token, rounded up */
	fake_us += 500000;      /* half a second: 5 tokens */
	CHECK_INT_EQ(granted(rl, "uid:1000", 10), 5);
	fake_us += 60 * 1000000LL; /* refilled to the burst, never beyond */
	CHECK_INT_EQ(granted(rl, "uid:1000", 30), 20);
	ratelimit_free(rl);
}

static void
test_retry_after_counts_whole_seconds(void)
{
	struct ratelimit *rl = ratelimit_new(1, 1, fake_clock);
	unsigned retry = 0;

	CHECK_INT_EQ(ratelimit_take(rl, "token:ci", &retry), 0);
	CHECK_INT_EQ(ratelimit_take(rl, "token:ci", &retry), -1);
	CHECK_INT_EQ(retry, 1);
	ratelimit_free(rl);
	rl = ratelimit_new(1, 3, fake_clock);
	CHECK_INT_EQ(granted(rl, "a", 3), 3);
	fake_us += 250000;
	CHECK_INT_EQ(ratelimit_take(rl, "a", &retry), -1);
	CHECK_INT_EQ(retry, 1); /* 0.75 s */
	ratelimit_free(rl);
}

static void
test_callers_have_their_own_buckets(void)
{
	struct ratelimit *rl = ratelimit_new(1, 5, fake_clock);

	CHECK_INT_EQ(granted(rl, "uid:1000", 50), 5);
	CHECK_INT_EQ(granted(rl, "uid:1001", 5), 5);
	CHECK_INT_EQ(granted(rl, "token:desktop", 5), 5);
	CHECK_INT_EQ(granted(rl, "uid:1000", 1), 0);
	ratelimit_free(rl);
}

static void
test_full_table_keeps_active_buckets(void)
{
	struct ratelimit *rl = ratelimit_new(1, 2, fake_clock);
	char key[32];

	/* The table (256 slots) fills: a flooder with an empty bucket and 255
	 * callers that took one token each. */
	CHECK_INT_EQ(granted(rl, "flooder", 10), 2);
	for (int i = 0; i < 255; i++) {
		snprintf(key, sizeof(key), "old:%d", i);
		CHECK_INT_EQ(granted(rl, key, 1), 1);
	}
	/* A second later the others are full again, the flooder is not. */
	fake_us += 1000000;
	CHECK_INT_EQ(granted(rl, "flooder", 1), 1);
	for (int i = 0; i < 255; i++) {
		snprintf(key, sizeof(key), "new:%d", i);
		CHECK_INT_EQ(granted(rl, key, 1), 1);
	}
	/* New callers took the refilled slots: the flooder is still limited. */
	CHECK_INT_EQ(granted(rl, "flooder", 5), 0);
	ratelimit_free(rl);
}

static void
test_no_limiter_grants_everything(void)
{
	unsigned retry;

	CHECK(ratelimit_new(0, 10, fake_clock) == NULL);
	CHECK_INT_EQ(ratelimit_take(NULL, "x", &retry), 0);
	CHECK_INT_EQ(ratelimit_refused(NULL), 0);
	ratelimit_free(NULL);
}

int
main(void)
{
	RUN(test_burst_then_rate);
	RUN(test_retry_after_counts_whole_seconds);
	RUN(test_callers_have_their_own_buckets);
	RUN(test_full_table_keeps_active_buckets);
	RUN(test_no_limiter_grants_everything);
	return CHECK_DONE();
}
