/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by upstream.c (the thread: fetch, install, back off) and
 * upstream_report.c (status reports to the central, health, metrics). Not
 * for other modules: they use upstream.h. */
#ifndef LOCKSET_UPSTREAM_INT_H
#define LOCKSET_UPSTREAM_INT_H

#include "bundle.h"
#include "upstream.h"
#include "upstream_apply.h"
#include "upstream_http.h"

#include <pthread.h>
#include <time.h>

struct upstream {
	/* Set at start, then read-only. */
	struct audit *audit;
	struct judge *judge;
	struct upstream_policy policy;
	char *base, *host, *saved_path;
	long wait, retry_max, report_interval;
	EVP_PKEY *key;
	struct upstream_http *http;
	pthread_t thread;
	int running;
	const struct curl_api *curl; /* once curl_global_init succeeded: cleaned up at the stop */
	/* The thread's own. */
	struct upstream_have have;
	char etag[80];
	char next[256]; /* query of the next poll, from the last reply's Link */
	unsigned failures;
	time_t next_report;
	unsigned long long reported_decisions, reported_denies;
	long long reported_checkpoint; /* id of the last audit checkpoint the central took */
	char refused_last[256];        /* the last refusal audited, not to repeat it */
	char expired_last[64];         /* "VERSION EXPIRES" of the newest expiry audited */
	/* Shared with HTTP threads, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	long long version;
	char issued[40];
	char expires[BUNDLE_TIME_LEN + 1]; /* of the installed bundle; "" never */
	time_t issued_at, expires_at, last_sync, last_attempt;
	char last_error[512];
	unsigned long long n_installed, n_refreshed, n_unchanged, n_not_modified, n_refused,
	    n_failed;
};

/* A fetch ended: ok (the upstream confirmed what is held; info, when not
 * NULL, is what is now held) or failed with why. Takes u->lock. */
void upstream_record(struct upstream *u, int ok, const struct bundle_info *info, const char *why);
/* Seconds since the epoch of an RFC 3339 UTC time; 0 when it is not one. */
time_t upstream_parse_time(const char *s);
/* The installed bundle expired (its expires_at passed): 1 or 0. Under
 * u->lock. */
int upstream_expired_locked(const struct upstream *u, time_t now);

/* An audit row about a bundle (upstream_audit.c). */
void upstream_audit_bundle(struct upstream *u, const char *action, const char *decision,
                           const struct bundle_info *info, const char *detail);
/* Read back, at start-up, what the audit log says this host held before
 * (u->have's floor and expiring_seen, u->expired_last). */
void upstream_read_audit_log(struct upstream *u);

/* POST /v1/hosts/{host}/status with the counts since the last report the
 * central took. Upstream thread only. */
void upstream_report(struct upstream *u);
/* upstream_health and upstream_metrics for u. */
json_t *upstream_health_of(struct upstream *u, int *degraded);
void upstream_metrics_of(struct upstream *u, FILE *out);

#endif
