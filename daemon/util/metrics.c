/* SPDX-License-Identifier: Apache-2.0 */
/* Latency histograms (metrics.h): bucket counters are kept per bucket and
 * summed when printed, so _count always equals the +Inf bucket. */
#include "metrics.h"

#include <time.h>

/* Upper bounds in seconds, as printed in the le label. */
static const char *const bound_text[METRICS_NBUCKETS] = {
    "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",
};
static const unsigned long long bound_ns[METRICS_NBUCKETS] = {
    50000ULL,     100000ULL,     250000ULL,     500000ULL,     1000000ULL,   2500000ULL,
    5000000ULL,   10000000ULL,   25000000ULL,   50000000ULL,   100000000ULL, 250000000ULL,
    500000000ULL, 1000000000ULL, 2500000000ULL, 5000000000ULL,
};

unsigned long long
metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

void
metrics_observe(struct metrics_hist *h, unsigned long long ns)
{
	size_t i = 0;

	while (i < METRICS_NBUCKETS && ns > bound_ns[i])
		i++;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum_ns, ns, __ATOMIC_RELAXED);
}

void
metrics_observe_since(struct metrics_hist *h, unsigned long long start_ns)
{
	unsigned long long now = metrics_now_ns();

	metrics_observe(h, now > start_ns ? now - start_ns : 0);
}

void
metrics_hist_header(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
}

void
metrics_hist_print(FILE *out, const char *name, const char *labels, const struct metrics_hist *h)
{
	unsigned long long total = 0;
	const char *sep = labels[0] != '\0' ? "," : "";

	for (size_t i = 0; i <= METRICS_NBUCKETS; i++) {
		total += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		fprintf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep,
		        i < METRICS_NBUCKETS ? bound_text[i] : "+Inf", total);
	}
	fprintf(out, "%s_sum%s%s%s %.9f\n", name, labels[0] ? "{" : "", labels,
	        labels[0] ? "}" : "", (double)__atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED) / 1e9);
	fprintf(out, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
	        labels[0] ? "}" : "", total);
}
