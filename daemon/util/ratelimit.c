/* SPDX-License-Identifier: Apache-2.0 */
/* Token buckets per key in a small fixed table. A bucket that has refilled to
 * its burst is the same as no bucket at all, so when the table is full such a
 * bucket is reused first (nothing is forgotten); only when every slot is
 * active is the longest-idle one reused. */
#include "ratelimit.h"
#include "lockorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATELIMIT_SLOTS 256
#define RATELIMIT_KEY   128
#define MICRO           1000000.0

struct bucket {
	char key[RATELIMIT_KEY];
	double tokens;
	long long last_us; /* when tokens was last brought up to date; 0: free slot */
};

struct ratelimit {
	double rate, burst;
	long long (*now_us)(void);
	pthread_mutex_t lock;
	unsigned long long refused;
	struct bucket slots[RATELIMIT_SLOTS];
};

static long long
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

struct ratelimit *
ratelimit_new(long rate, long burst, long long (*now_us)(void))
{
	struct ratelimit *rl;

	if (rate <= 0 || burst < 1 || (rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->rate = (double)rate;
	rl->burst = (double)burst;
	rl->now_us = now_us ? now_us : monotonic_us;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* Bring b's tokens up to now. */
static void
refill(const struct ratelimit *rl, struct bucket *b, long long now)
{
	if (now > b->last_us) {
		b->tokens += (double)(now - b->last_us) / MICRO * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_us = now;
	}
}

/* key's bucket, or a fresh one in a free, full or longest-idle slot. Caller
 * holds rl->lock. */
static struct bucket *
find(struct ratelimit *rl, const char *key, long long now)
{
	struct bucket *reuse = NULL, *idle = &rl->slots[0];

	for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
		struct bucket *b = &rl->slots[i];

		if (b->last_us != 0 && strcmp(b->key, key) == 0)
			return b;
		if (reuse == NULL && b->last_us != 0)
			refill(rl, b, now);
		if (reuse == NULL && (b->last_us == 0 || b->tokens >= rl->burst))
			reuse = b;
		if (b->last_us < idle->last_us)
			idle = b;
	}
	if (reuse == NULL)
		reuse = idle;
	memset(reuse, 0, sizeof(*reuse));
	strncpy(reuse->key, key, sizeof(reuse->key) - 1);
	reuse->tokens = rl->burst;
	reuse->last_us = now;
	return reuse;
}

int
ratelimit_take(struct ratelimit *rl, const char *key, unsigned *retry_after)
{
	long long now;
	struct bucket *b;
	double wait;
	int rc = 0;

	if (rl == NULL)
		return 0;
	lockorder_lock(&rl->lock, LOCK_RATELIMIT);
	now = rl->now_us();
	if (now <= 0)
		now = 1; /* 0 marks a free slot */
	b = find(rl, key, now);
	refill(rl, b, now);
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
	} else {
		wait = (1.0 - b->tokens) / rl->rate;
		*retry_after = (unsigned)wait + ((double)(unsigned)wait < wait ? 1 : 0);
		if (*retry_after == 0)
			*retry_after = 1;
		rl->refused++;
		rc = -1;
	}
	lockorder_unlock(&rl->lock, LOCK_RATELIMIT);
	return rc;
}

unsigned long long
ratelimit_refused(struct ratelimit *rl)
{
	unsigned long long n;

	if (rl == NULL)
		return 0;
	lockorder_lock(&rl->lock, LOCK_RATELIMIT);
	n = rl->refused;
	lockorder_unlock(&rl->lock, LOCK_RATELIMIT);
	return n;
}
