/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/events: a runtime component reports a violation it enforced
 * itself. Validated strictly; stored with the caller's identity as component;
 * 201 only once the event is committed. */
#include "app.h"
#include "audit.h"
#include "handlers.h"
#include "reply.h"

enum MHD_Result
h_events_post(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	struct audit_event ev;
	enum MHD_Result ret;
	long long id;

	if (audit_event_from_json(rq->json, &ev, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid event");
		problems_clear(&errs);
		return ret;
	}
	ev.component = rq->peer.name;
	id = audit_append(app.audit, &ev);
	audit_event_clear(&ev);
	if (id < 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "the event could not be recorded; retry later");
	return reply_json(rq, 201, json_pack("{s:I}", "id", (json_int_t)id));
}
