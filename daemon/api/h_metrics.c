/* SPDX-License-Identifier: Apache-2.0 */
/* GET /metrics: Prometheus text format. */
#include "server.h"
#include "audit/audit.h"
#include "audit/audit_syslog.h"
#include "containers/engineinfo.h"
#include "handlers.h"
#include "decisions/inputs.h"
#include "decisions/judge.h"
#include "util/ratelimit.h"
#include "decisions/lookup.h"
#include "proxy/proxy.h"
#include "policy/policystore.h"
#include "http/reply.h"
#include "policy/served.h"
#include "fleet/upstream.h"

#include <stdio.h>
#include <stdlib.h>

/* Users' preferences: how many are stored, and the limits. */
static void
prefs_metrics(struct server *srv, FILE *out)
{
	const struct config *c = srv->cfg;

	fprintf(out,
	        "# HELP lockset_preferences_users Users with stored preferences.\n"
	        "# TYPE lockset_preferences_users gauge\nlockset_preferences_users %ld\n"
	        "# HELP lockset_preferences_limit The limits on stored preferences.\n"
	        "# TYPE lockset_preferences_limit gauge\n"
	        "lockset_preferences_limit{what=\"bytes\"} %ld\n"
	        "lockset_preferences_limit{what=\"users\"} %ld\n"
	        "lockset_preferences_limit{what=\"days\"} %ld\n",
	        policystore_prefs_count(srv->policystore), c->prefs_max_bytes, c->prefs_max_users,
	        c->prefs_max_days);
}

enum MHD_Result
h_metrics_get(struct request *rq)
{
	struct MHD_Response *resp;
	struct served *s = served_acquire(rq->srv->served);
	enum MHD_Result ret;
	const char *reason = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL) {
		served_release(s);
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
	fprintf(out,
	        "# HELP lockset_policy_version Version of the policy being served.\n"
	        "# TYPE lockset_policy_version gauge\nlockset_policy_version %lld\n"
	        "# HELP lockset_uptime_seconds Seconds since start-up.\n"
	        "# TYPE lockset_uptime_seconds gauge\nlockset_uptime_seconds %ld\n"
	        "# HELP lockset_audit_healthy 1 when the last audit write succeeded.\n"
	        "# TYPE lockset_audit_healthy gauge\nlockset_audit_healthy %d\n",
	        s ? s->version : 0, served_uptime(rq->srv->served),
	        rq->srv->audit ? audit_healthy(rq->srv->audit, &reason) : 0);
	served_release(s);
	fprintf(out,
	        "# HELP lockset_events_dropped_total Reported events (POST /v1/events) not "
	        "recorded, by reason.\n"
	        "# TYPE lockset_events_dropped_total counter\n"
	        "lockset_events_dropped_total{reason=\"rate_limited\"} %llu\n"
	        "# HELP lockset_host_reports_dropped_total Host status reports (POST "
	        "/v1/hosts/{host}/status) not recorded, by reason.\n"
	        "# TYPE lockset_host_reports_dropped_total counter\n"
	        "lockset_host_reports_dropped_total{reason=\"rate_limited\"} %llu\n"
	        "# HELP lockset_decision_requests_refused_total Decisions asked for (POST "
	        "/v1/decisions) and not judged, by reason.\n"
	        "# TYPE lockset_decision_requests_refused_total counter\n"
	        "lockset_decision_requests_refused_total{reason=\"rate_limited\"} %llu\n",
	        ratelimit_refused(rq->srv->events_limit), ratelimit_refused(rq->srv->reports_limit),
	        ratelimit_refused(rq->srv->decisions_limit));
	audit_metrics(rq->srv->audit, out);
	judge_metrics(rq->srv->judge, out);
	inputs_metrics(rq->srv->inputs, out);
	prefs_metrics(rq->srv, out);
	h_settings_metrics(rq->srv, out);
	fprintf(out,
	        "# HELP lockset_audit_checkpoints_total Signed audit checkpoints recorded.\n"
	        "# TYPE lockset_audit_checkpoints_total counter\n"
	        "lockset_audit_checkpoints_total %llu\n",
	        audit_checkpoint_count(rq->srv->audit));
	lookup_metrics(rq->srv->lookup, out);
	upstream_metrics(rq->srv->upstream, out);
	audit_syslog_metrics(rq->srv->audit, out);
	http_metrics(rq->srv->http, out);
	engineinfo_metrics(rq->srv->engineinfo, out);
	proxy_metrics(rq->srv->proxy, out);
	fclose(out);
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
