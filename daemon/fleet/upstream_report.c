/* SPDX-License-Identifier: Apache-2.0 */
/* What a host in upstream mode tells others: its status reports to the
 * central (POST /v1/hosts/{host}/status: bundle version, mode, decision and
 * deny counts since the last report the central took), the "upstream" member
 * of /v1/health, and the upstream metrics. */
#include "build-config.h"

#include "upstream_int.h"

#include "audit/audit.h"
#include "decisions/judge.h"
#include "log.h"
#include "policy/served.h"
#include "util/lockorder.h"

#include <stdlib.h>
#include <string.h>

/* containerPolicy.mode of the policy in force ("enforce" or "audit"). */
static char *
current_mode(struct served_hub *served)
{
	struct served *s = served_acquire(served);
	const char *m = s ? json_string_value(json_object_get(
	                        json_object_get(s->effective, "containerPolicy"), "mode"))
	                  : NULL;
	char *copy = strdup(m ? m : "");

	served_release(s);
	return copy;
}

void
upstream_report(struct upstream *u)
{
	unsigned long long dec, den;
	struct upstream_http_reply r;
	char url[600], sync[32] = "", *text = NULL, *mode = current_mode(u->policy.served),
	               err[512], expires[BUNDLE_TIME_LEN + 1];
	json_t *body, *cp;
	long long cp_id;
	struct tm tm;
	time_t last;

	judge_totals(u->judge, &dec, &den);
	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	last = u->last_sync;
	snprintf(err, sizeof(err), "%s", u->last_error);
	snprintf(expires, sizeof(expires), "%s", u->expires);
	if (err[0] == '\0' && upstream_expired_locked(u, time(NULL)))
		snprintf(err, sizeof(err), "bundle v%lld expired at %s", u->version, u->expires);
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
	if (last != 0 && gmtime_r(&last, &tm) != NULL)
		strftime(sync, sizeof(sync), "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = json_pack("{s:s, s:I, s:s?, s:s, s:s, s:s?, s:I, s:I}", "locksetVersion",
	                 PACKAGE_VERSION, "bundleVersion", (json_int_t)u->have.version, "lastSync",
	                 sync[0] ? sync : NULL, "mode", mode ? mode : "", "status",
	                 err[0] ? "degraded" : "ok", "lastError", err[0] ? err : NULL, "decisions",
	                 (json_int_t)(dec - u->reported_decisions), "denies",
	                 (json_int_t)(den - u->reported_denies));
	/* Only from a bundle that expires, which only a central that takes it
	 * signs. */
	if (body != NULL && expires[0] != '\0')
		json_object_set_new(body, "bundleExpires", json_string(expires));
	/* The newest audit checkpoint the central has not taken yet: kept there,
	 * it shows later whether this host's log was rewritten. */
	cp = audit_checkpoint_latest(u->audit);
	cp_id = json_integer_value(json_object_get(cp, "id"));
	if (body != NULL && cp != NULL && cp_id > u->reported_checkpoint)
		json_object_set(body, "auditCheckpoint", cp);
	u->next_report = time(NULL) + u->report_interval;
	snprintf(url, sizeof(url), "%s/v1/hosts/%s/status", u->base, u->host);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) != NULL &&
	    upstream_http_post_json(u->http, url, text, 30, &r) == 0) {
		if (r.status == 200) {
			/* Only counts the central has taken are not sent again. */
			u->reported_decisions = dec;
			u->reported_denies = den;
			if (json_object_get(body, "auditCheckpoint") != NULL)
				u->reported_checkpoint = cp_id;
		} else {
			log_warnx("upstream: status report: HTTP %ld", r.status);
		}
	}
	upstream_http_reply_clear(&r);
	json_decref(body);
	json_decref(cp);
	free(text);
	free(mode);
}

/* ------------------------------------------------------------------------ */
/* Health and metrics */

static json_t *
time_or_null(time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *
upstream_health_of(struct upstream *u, int *degraded)
{
	time_t now = time(NULL);
	const char *status;
	json_t *h;
	int expired;

	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	expired = upstream_expired_locked(u, now);
	status = u->last_error[0] ? "degraded"
	         : expired        ? "expired"
	                          : (u->last_attempt == 0 ? "starting" : "ok");
	*degraded = u->last_error[0] != '\0' || expired;
	h = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "url", u->base,
	              "status", status, "bundleVersion",
	              u->version ? json_integer(u->version) : json_null(), "bundleIssued",
	              u->version ? json_string(u->issued) : json_null(), "bundleAgeSeconds",
	              u->issued_at ? json_integer((json_int_t)(now - u->issued_at)) : json_null(),
	              "bundleExpires", u->expires[0] ? json_string(u->expires) : json_null(),
	              "bundleExpired", json_boolean(expired), "lastSync",
	              time_or_null(u->last_sync), "lastAttempt", time_or_null(u->last_attempt),
	              "lastError", u->last_error[0] ? json_string(u->last_error) : json_null());
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
	return h;
}

void
upstream_metrics_of(struct upstream *u, FILE *out)
{
	time_t now = time(NULL);

	lockorder_lock(&u->lock, LOCK_UPSTREAM);
	fprintf(
	    out,
	    "# HELP lockset_upstream_up 1 when the last fetch from the upstream succeeded.\n"
	    "# TYPE lockset_upstream_up gauge\nlockset_upstream_up %d\n"
	    "# HELP lockset_upstream_bundle_version Version of the installed bundle.\n"
	    "# TYPE lockset_upstream_bundle_version gauge\nlockset_upstream_bundle_version %lld\n"
	    "# HELP lockset_upstream_bundle_age_seconds Seconds since the installed bundle was "
	    "issued.\n"
	    "# TYPE lockset_upstream_bundle_age_seconds gauge\n"
	    "lockset_upstream_bundle_age_seconds %lld\n"
	    "# HELP lockset_upstream_bundle_expires_timestamp_seconds When the installed "
	    "bundle's signature stops vouching for it (0: never).\n"
	    "# TYPE lockset_upstream_bundle_expires_timestamp_seconds gauge\n"
	    "lockset_upstream_bundle_expires_timestamp_seconds %lld\n"
	    "# HELP lockset_upstream_bundle_expired 1 when the installed bundle expired and no "
	    "later signature came.\n"
	    "# TYPE lockset_upstream_bundle_expired gauge\nlockset_upstream_bundle_expired %d\n"
	    "# HELP lockset_upstream_last_sync_timestamp_seconds When the upstream last "
	    "confirmed the bundle.\n"
	    "# TYPE lockset_upstream_last_sync_timestamp_seconds gauge\n"
	    "lockset_upstream_last_sync_timestamp_seconds %lld\n"
	    "# HELP lockset_upstream_fetches_total Bundle fetches by result.\n"
	    "# TYPE lockset_upstream_fetches_total counter\n"
	    "lockset_upstream_fetches_total{result=\"installed\"} %llu\n"
	    "lockset_upstream_fetches_total{result=\"refreshed\"} %llu\n"
	    "lockset_upstream_fetches_total{result=\"unchanged\"} %llu\n"
	    "lockset_upstream_fetches_total{result=\"not_modified\"} %llu\n"
	    "lockset_upstream_fetches_total{result=\"refused\"} %llu\n"
	    "lockset_upstream_fetches_total{result=\"failed\"} %llu\n",
	    u->last_attempt != 0 && u->last_error[0] == '\0', u->version,
	    u->issued_at ? (long long)(now - u->issued_at) : -1LL, (long long)u->expires_at,
	    upstream_expired_locked(u, now), (long long)u->last_sync, u->n_installed,
	    u->n_refreshed, u->n_unchanged, u->n_not_modified, u->n_refused, u->n_failed);
	lockorder_unlock(&u->lock, LOCK_UPSTREAM);
}
