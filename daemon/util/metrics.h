/* SPDX-License-Identifier: Apache-2.0 */
/* Latency histograms for /metrics: fixed buckets from 50 us to 5 s, updated
 * with relaxed atomics from any thread (no lock on the hot path), printed in
 * the Prometheus text format with cumulative buckets. */
#ifndef LOCKSET_METRICS_H
#define LOCKSET_METRICS_H

#include <stdio.h>

#define METRICS_NBUCKETS 16

struct metrics_hist {
	unsigned long long bucket[METRICS_NBUCKETS + 1]; /* the last one is +Inf */
	unsigned long long sum_ns;
};

/* Nanoseconds on the monotonic clock. */
unsigned long long metrics_now_ns(void);
/* Record one observation of ns nanoseconds. */
void metrics_observe(struct metrics_hist *h, unsigned long long ns);
/* Record the time since start_ns (from metrics_now_ns). */
void metrics_observe_since(struct metrics_hist *h, unsigned long long start_ns);
/* "# HELP" and "# TYPE name histogram" lines. */
void metrics_hist_header(FILE *out, const char *name, const char *help);
/* The _bucket, _sum and _count lines of h; labels is "" or "a=\"x\",b=\"y\"". */
void metrics_hist_print(FILE *out, const char *name, const char *labels,
                        const struct metrics_hist *h);

#endif
