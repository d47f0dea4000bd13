/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/events: a runtime component reports a violation it enforced
 * itself. Validated strictly (400); only under runtime.*, never in one of
 * lockset's own namespaces (422); at most --events-rate per caller (429 with
 * Retry-After); stored with the caller's identity as component; 201 only once
 * the event is committed. The connection is suspended while the
 * append waits for its group commit, so a few server threads can keep many
 * appends in flight and they share commits. */
#include "server.h"
#include "audit/audit.h"
#include "handlers.h"
#include "util/ratelimit.h"
#include "http/reply.h"

#include <stdio.h>
#include <stdlib.h>

struct pending_event {
	struct http_wait wait;
	long long id; /* set by the writer thread before it resumes the request */
};

static void
event_done(void *arg, long long id)
{
	struct pending_event *pe = arg;

	pe->id = id;
	http_wait_done(&pe->wait);
}

enum MHD_Result
h_events_post(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	struct pending_event *pe = rq->hstate;
	struct audit_event ev;
	enum MHD_Result ret;
	unsigned retry = 0;

	if (pe != NULL) {
		/* Resumed: the writer has answered. */
		if (pe->id < 0)
			return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
			                   "the event could not be recorded; retry later");
		return reply_json(rq, 201, json_pack("{s:I}", "id", (json_int_t)pe->id));
	}
	if (audit_event_from_json(rq->json, &ev, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid event");
		problems_clear(&errs);
		return ret;
	}
	if (audit_event_namespace_check(&ev, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_POLICY, &errs,
		                  "events are reported under " AUDIT_NAMESPACE_RUNTIME ".*");
		problems_clear(&errs);
		audit_event_clear(&ev);
		return ret;
	}
	if (ratelimit_take(rq->srv->events_limit, rq->peer->name, &retry) != 0) {
		audit_event_clear(&ev);
		return reply_rate_limited(rq, retry,
		                          "too many events from this caller; retry later");
	}
	ev.component = rq->peer->name;
	pe = calloc(1, sizeof(*pe));
	if (pe == NULL) {
		audit_event_clear(&ev);
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
	pe->id = -1;
	http_wait_init(&pe->wait, rq);
	rq->hstate = pe;
	rq->hstate_free = free;
	if (audit_append_async(rq->srv->audit, &ev, event_done, pe) != 0)
		http_wait_done(&pe->wait); /* refused at once: pe->id is -1, 503 on resume */
	http_wait_suspend(&pe->wait);
	audit_event_clear(&ev);
	return MHD_YES;
}
