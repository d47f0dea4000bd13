/* SPDX-License-Identifier: Apache-2.0 */
/* Fleet compliance: POST /v1/hosts/{host}/status (runtime, on a central only:
 * a host in upstream mode reports what it runs and its decision counts since
 * its last report; at most --hosts-max hosts)
 * and GET /v1/hosts (auditor: which host runs which bundle version, who is
 * stale or behind, denies per host; filters and keyset paging as in the
 * audit API). */
#include "server.h"
#include "audit/audit.h"
#include "fleet/bundle.h"
#include "fleet/bundleserve.h"
#include "fleet/fleetstore.h"
#include "handlers.h"
#include "util/jsonv.h"
#include "util/names.h"
#include "util/ratelimit.h"
#include "http/reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOSTS_LIMIT_DEFAULT 100
#define HOSTS_LIMIT_MAX     1000
#define HOST_NAME_MAX_LEN   253
#define REPORT_TEXT_MAX     1000
#define REPORT_COUNT_MAX    1000000000000LL /* a count one report may carry */

/* Checks beyond the field table: ranges and lengths. */
static void
check_report(const json_t *b, struct problems *errs)
{
	/* JSON pointers to the members. */
	static const char *const counts[] = {"/bundleVersion", "/decisions", "/denies"};
	static const char *const texts[] = {"/locksetVersion", "/lastSync", "/mode", "/status",
	                                    "/lastError"};
	const char *st;
	time_t t;

	/* Counts of one report interval, summed over reports and hosts: any
	 * bound far above a real one keeps the sums from overflowing. */
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		const json_t *v = json_object_get(b, counts[i] + 1);
		if (v != NULL &&
		    (json_integer_value(v) < 0 || json_integer_value(v) > REPORT_COUNT_MAX))
			problems_add(errs, counts[i], "expected a number from 0 to %lld",
			             (long long)REPORT_COUNT_MAX);
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const json_t *v = json_object_get(b, texts[i] + 1);
		if (json_is_string(v) && json_string_length(v) > REPORT_TEXT_MAX)
			problems_add(errs, texts[i], "longer than %d bytes", REPORT_TEXT_MAX);
	}
	st = json_string_value(json_object_get(b, "status"));
	if (st != NULL && strcmp(st, "ok") != 0 && strcmp(st, "degraded") != 0)
		problems_add(errs, "/status", "expected ok or degraded");
	st = json_string_value(json_object_get(b, "bundleExpires"));
	if (st != NULL && bundle_time_parse(st, &t) != 0)
		problems_add(errs, "/bundleExpires", "expected a UTC time YYYY-MM-DDTHH:MM:SSZ");
}

/* A report's checkpoint must verify under its own key and be the host's: the
 * host it names is the one reporting. */
static void
check_checkpoint(struct request *rq, const json_t *cp, struct problems *errs)
{
	const char *host;

	if (cp == NULL)
		return;
	if (!audit_checkpoint_signed(cp)) {
		problems_add(errs, "/auditCheckpoint", "expected a signed audit checkpoint");
		return;
	}
	host = json_string_value(json_object_get(cp, "host"));
	if (host == NULL || strcmp(host, rq->params[0]) != 0)
		problems_add(errs, "/auditCheckpoint/host",
		             "the checkpoint is %s's, not the reporting host's (%s)",
		             host != NULL ? host : "nobody", rq->params[0]);
}

/* host.report.refused with data (stolen): 0, or -1 when not written. */
static int
audit_refused(struct request *rq, json_t *data)
{
	int rc = data != NULL ? audit_record(rq->srv->audit, "host.report.refused", rq->peer->name,
	                                     "api", rq->params[0], "deny", -1, data)
	                      : -1;

	json_decref(data);
	return rc;
}

/* A report for a host pinned to another caller or checkpoint key: refused,
 * and the attempt audited (a host's own reports never come this way). */
static enum MHD_Result
refuse_pinned(struct request *rq, enum fleet_report_result why, const struct fleet_pins *pins,
              const char *key)
{
	struct problems errs = PROBLEMS_INIT;
	int other_key = why == FLEET_REPORT_OTHER_KEY;
	enum MHD_Result ret;

	if (audit_refused(rq, json_pack("{s:s, s:s, s:s}", "reason",
	                                other_key ? "checkpoint key" : "reporter", "pinned",
	                                other_key ? pins->checkpoint_key : pins->reporter,
	                                "offered", other_key ? key : rq->peer->name)) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "report refused, and the refusal could not be audited");
	if (other_key)
		problems_add(&errs, "/auditCheckpoint/public_key",
		             "%s's checkpoints are signed by another key (%.16s...)", rq->params[0],
		             pins->checkpoint_key);
	else
		problems_add(&errs, "", "%s reports as %s", rq->params[0], pins->reporter);
	ret = reply_error(rq, ERR_CONFLICT, &errs,
	                  "host %s is pinned to its first reporter and checkpoint key; an admin "
	                  "may forget it (DELETE /v1/hosts/%s)",
	                  rq->params[0], rq->params[0]);
	problems_clear(&errs);
	return ret;
}

/* A report whose checkpoint does not continue the host's last one (an
 * earlier row, or another hash at that row): its log was wiped or rewritten
 * with the same key. Refused, and audited for an admin to look at. */
static enum MHD_Result
refuse_checkpoint(struct request *rq, const struct fleet_pins *pins, const struct fleet_report *r)
{
	if (audit_refused(rq, json_pack("{s:s, s:I, s:s, s:I, s:s?}", "reason",
	                                "checkpoint does not continue the log", "lastId",
	                                (json_int_t)pins->checkpoint_id, "lastHash",
	                                pins->checkpoint_hash, "offeredId",
	                                (json_int_t)r->checkpoint_id, "offeredHash",
	                                r->checkpoint_hash)) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "report refused, and the refusal could not be audited");
	return reply_error(rq, ERR_CONFLICT, NULL,
	                   "%s's audit checkpoint (row %lld) does not continue its last one (row "
	                   "%lld): its audit log was wiped or rewritten; an admin may forget the "
	                   "host (DELETE /v1/hosts/%s)",
	                   rq->params[0], r->checkpoint_id, pins->checkpoint_id, rq->params[0]);
}

/* A report for a new host when --hosts-max are known: refused, and audited
 * (an admin learns that the list is full, or being filled). */
static enum MHD_Result
refuse_full(struct request *rq)
{
	long max = rq->srv->cfg->hosts_max;

	if (audit_refused(rq, json_pack("{s:s, s:I}", "reason", "hosts limit", "limit",
	                                (json_int_t)max)) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "report refused, and the refusal could not be audited");
	return reply_error(rq, ERR_CONFLICT, NULL,
	                   "reports are kept for %ld hosts, the limit (--hosts-max): no new host "
	                   "can be added; an admin may forget hosts (DELETE /v1/hosts/{host})",
	                   max);
}

/* A host's audit checkpoint goes into this lockset's own audit log (and so
 * to its syslog forwarder): kept off the host, it shows later whether the
 * host's log still holds that hash at that id. 0, or -1 when not recorded. */
static int
record_checkpoint(struct request *rq, json_t *cp)
{
	json_t *data;
	int rc;

	if (cp == NULL)
		return 0;
	if ((data = json_pack("{s:O}", "checkpoint", cp)) == NULL)
		return -1;
	rc = audit_record(rq->srv->audit, "host.audit_checkpoint", rq->peer->name, "api",
	                  rq->params[0], "allow", -1, data);
	json_decref(data);
	return rc;
}

/* A host holds what this central issued: a version it never issued would
 * keep a host that stopped syncing out of the "behind" list, and an expiry
 * further ahead than any signature reaches (the longest --bundle-validity,
 * and a day for clocks) out of the "expired" one. Not the central's own
 * latest expiry: after a shorter --bundle-validity, or its clock stepping
 * back, honest hosts still hold longer signatures. */
static void
check_issued(struct request *rq, const json_t *b, struct problems *errs)
{
	long long have = json_integer_value(json_object_get(b, "bundleVersion"));
	long long issued = bundleserve_version(rq->srv->bundles);
	const char *expires = json_string_value(json_object_get(b, "bundleExpires"));
	char furthest[BUNDLE_TIME_LEN + 1];

	if (have > issued)
		problems_add(errs, "/bundleVersion",
		             "%lld is newer than this central's bundle (%lld): no host can hold it",
		             have, issued);
	bundle_time_format(time(NULL) + BUNDLE_VALIDITY_MAX + 86400, furthest);
	if (expires != NULL && strcmp(expires, furthest) > 0)
		problems_add(errs, "/bundleExpires",
		             "%s is further ahead than any bundle signature reaches", expires);
}

/* The report to store: the checked body's members, borrowed. */
static void
report_from(struct request *rq, const json_t *b, const json_t *cp, struct fleet_report *r)
{
	memset(r, 0, sizeof(*r));
	r->host = rq->params[0];
	r->lockset_version = json_string_value(json_object_get(b, "locksetVersion"));
	r->bundle_version = json_integer_value(json_object_get(b, "bundleVersion"));
	r->last_sync = json_string_value(json_object_get(b, "lastSync"));
	r->mode = json_string_value(json_object_get(b, "mode"));
	r->status = json_string_value(json_object_get(b, "status"));
	r->last_error = json_string_value(json_object_get(b, "lastError"));
	r->decisions = json_integer_value(json_object_get(b, "decisions"));
	r->denies = json_integer_value(json_object_get(b, "denies"));
	r->reporter = rq->peer->name;
	r->checkpoint_key = json_string_value(json_object_get(cp, "public_key"));
	r->checkpoint_id = json_integer_value(json_object_get(cp, "id"));
	r->checkpoint_hash = json_string_value(json_object_get(cp, "hash"));
	r->bundle_expires = json_string_value(json_object_get(b, "bundleExpires"));
	r->max_hosts = rq->srv->cfg->hosts_max;
}

enum MHD_Result
h_host_status_post(struct request *rq)
{
	static const struct jv_field fields[] = {{"locksetVersion", JV_STRING, 0},
	                                         {"bundleVersion", JV_INTEGER, 1},
	                                         {"lastSync", JV_STRING | JV_NULL, 0},
	                                         {"mode", JV_STRING, 0},
	                                         {"status", JV_STRING, 0},
	                                         {"lastError", JV_STRING | JV_NULL, 0},
	                                         {"decisions", JV_INTEGER, 0},
	                                         {"denies", JV_INTEGER, 0},
	                                         {"auditCheckpoint", JV_OBJECT, 0},
	                                         {"bundleExpires", JV_STRING | JV_NULL, 0},
	                                         {NULL, 0, 0}};
	struct problems errs = PROBLEMS_INIT;
	const json_t *b = rq->json, *cp = json_object_get(b, "auditCheckpoint");
	struct fleet_report r;
	struct fleet_pins pins;
	enum fleet_report_result stored;
	enum MHD_Result ret;
	unsigned retry;

	/* Only a central has hosts: elsewhere a report would only fill a table
	 * nobody reads (any runtime caller of any daemon could). */
	if (!bundleserve_enabled(rq->srv->bundles))
		return reply_error(rq, ERR_NOT_FOUND, NULL,
		                   "this lockset is not a fleet central (no --bundle-signing-key): "
		                   "hosts report to the central they take bundles from");
	if (!names_plain_valid(rq->params[0], HOST_NAME_MAX_LEN))
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "host: expected 1-%d letters, digits, '.', '-' or '_'",
		                   HOST_NAME_MAX_LEN);
	if (jv_check_object(b, "", fields, &errs) == 0) {
		check_report(b, &errs);
		check_checkpoint(rq, cp, &errs);
	}
	if (errs.n == 0)
		check_issued(rq, b, &errs);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid status report");
		problems_clear(&errs);
		return ret;
	}
	/* Every report writes an audit row (its checkpoint, or its refusal):
	 * one caller's are bounded as its reported events are. */
	if (ratelimit_take(rq->srv->reports_limit, rq->peer->name, &retry) != 0)
		return reply_rate_limited(rq, retry,
		                          "too many status reports from this caller; retry later");
	report_from(rq, b, cp, &r);
	stored = fleetstore_report(rq->srv->fleetstore, &r, &pins);
	if (stored == FLEET_REPORT_ERROR)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the report cannot be stored");
	if (stored == FLEET_REPORT_FULL)
		return refuse_full(rq);
	if (stored == FLEET_REPORT_CHECKPOINT_BACK)
		return refuse_checkpoint(rq, &pins, &r);
	if (stored != FLEET_REPORT_STORED)
		return refuse_pinned(rq, stored, &pins, r.checkpoint_key ? r.checkpoint_key : "");
	if (record_checkpoint(rq, (json_t *)cp) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "the report is stored, but its audit checkpoint could not be "
		                   "recorded: send it again");
	return reply_json(rq, 200,
	                  json_pack("{s:s, s:I, s:I}", "host", r.host, "bundleVersion",
	                            (json_int_t)r.bundle_version, "currentBundleVersion",
	                            (json_int_t)bundleserve_version(rq->srv->bundles)));
}

/* DELETE /v1/hosts/{host} (admin): forget a host, its row and what it is
 * pinned to, so that its next report (from a new token, or with a new key
 * after a reinstall) is taken as a first one. */
enum MHD_Result
h_host_delete(struct request *rq)
{
	const char *host = rq->params[0];
	int rc;

	if (!names_plain_valid(host, HOST_NAME_MAX_LEN))
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "host: expected 1-%d letters, digits, '.', '-' or '_'",
		                   HOST_NAME_MAX_LEN);
	rc = fleetstore_forget(rq->srv->fleetstore, host);
	if (rc < 0)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the host cannot be forgotten now");
	if (rc == 0)
		return reply_error(rq, ERR_NOT_FOUND, NULL, "no host named \"%s\" has reported",
		                   host);
	if (audit_record(rq->srv->audit, "host.forgotten", rq->peer->name, "api", host, "allow", -1,
	                 NULL) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "host forgotten, but the change could not be audited");
	return reply_empty(rq, 204, NULL);
}

/* ------------------------------------------------------------------------ */
/* GET /v1/hosts */

/* ?name=true|false; -1 absent, -2 malformed. */
static int
query_tristate(struct request *rq, const char *name)
{
	const char *v = http_query(rq, name);

	if (v == NULL)
		return -1;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -2;
}

/* ?name=N, a whole number in [min, max]; def when absent, -2 when bad. */
static long long
query_number(struct request *rq, const char *name, long long def, long long min, long long max)
{
	const char *v = http_query(rq, name);
	char *end;
	long long n;

	if (v == NULL)
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -2;
	return n;
}

static void
parse_hosts_query(struct request *rq, struct fleet_query *q, long long *stale_after,
                  struct problems *errs)
{
	memset(q, 0, sizeof(*q));
	q->host = http_query(rq, "host");
	q->mode = http_query(rq, "mode");
	q->status = http_query(rq, "status");
	q->after = http_query(rq, "cursor");
	if (q->after == NULL)
		q->after = http_query(rq, "next");
	if ((q->bundle_version = query_number(rq, "version", -1, 0, INT64_MAX)) == -2)
		problems_add(errs, "version", "expected a bundle version");
	if ((q->limit = (int)query_number(rq, "limit", HOSTS_LIMIT_DEFAULT, 1, HOSTS_LIMIT_MAX)) ==
	    -2)
		problems_add(errs, "limit", "expected 1 to %d", HOSTS_LIMIT_MAX);
	*stale_after =
	    query_number(rq, "stale_after", rq->srv->cfg->hosts_stale_after, 1, 10L * 366 * 86400);
	if (*stale_after == -2)
		problems_add(errs, "stale_after", "expected a number of seconds");
	if ((q->stale = query_tristate(rq, "stale")) == -2)
		problems_add(errs, "stale", "expected true or false");
	if ((q->behind = query_tristate(rq, "behind")) == -2)
		problems_add(errs, "behind", "expected true or false");
	if ((q->expired = query_tristate(rq, "expired")) == -2)
		problems_add(errs, "expired", "expected true or false");
}

enum MHD_Result
h_hosts_get(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	char stale_before[FLEET_TIME_LEN + 1], now[BUNDLE_TIME_LEN + 1];
	struct fleet_query q;
	long long stale_after;
	json_t *hosts = NULL, *sum = NULL, *last;
	enum MHD_Result ret;
	int more = 0;

	parse_hosts_query(rq, &q, &stale_after, &errs);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		problems_clear(&errs);
		return ret;
	}
	fleetstore_time((long)stale_after, stale_before);
	bundle_time_format(time(NULL), now);
	q.stale_before = stale_before;
	q.now = now;
	q.signs_expiring = bundleserve_expiring(rq->srv->bundles);
	q.current = bundleserve_version(rq->srv->bundles);
	if ((hosts = fleetstore_hosts(rq->srv->fleetstore, &q, &more)) == NULL ||
	    (sum = fleetstore_summary(rq->srv->fleetstore, &q)) == NULL) {
		json_decref(hosts);
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the host reports cannot be read");
	}
	last = more ? json_array_get(hosts, json_array_size(hosts) - 1) : NULL;
	return reply_json(rq, 200,
	                  json_pack("{s:o, s:I, s:o, s:o, s:O}", "bundleVersion",
	                            q.current > 0 ? json_integer(q.current) : json_null(),
	                            "staleAfter", (json_int_t)stale_after, "summary", sum, "hosts",
	                            hosts, "next",
	                            last ? json_object_get(last, "host") : json_null()));
}
