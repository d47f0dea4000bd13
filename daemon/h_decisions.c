/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/decisions: the native entry to the decision engine, the same
 * judgement the authz plugin gives. Body {"method","uri","user","body"} where
 * body is the Engine API request body as JSON, as a string of raw bytes, or
 * absent/null when none was sent. */
#include "handlers.h"
#include "judge.h"
#include "jsonv.h"
#include "reply.h"

#include <stdlib.h>
#include <string.h>

/* A judgement in progress, owned by the request (rq->hstate). */
struct decision_pending {
	struct judgement j;
	struct http_wait wait;
};

static void
pending_resume(void *arg)
{
	http_wait_done(&((struct decision_pending *)arg)->wait);
}

static void
pending_free(void *arg)
{
	struct decision_pending *p = arg;

	judge_clear(&p->j);
	free(p);
}

static enum MHD_Result
answer(struct request *rq, const struct judgement *j)
{
	json_t *reply;

	reply = json_pack("{s:s, s:b, s:s, s:s, s:I, s:o}", "id", j->id, "allow", j->d.allow,
	                  "mode", j->d.mode ? j->d.mode : "enforce", "route",
	                  j->d.route ? j->d.route : "other", "policyVersion",
	                  (json_int_t)j->version, "violations", decision_violations_json(&j->d));
	if (!j->d.allow && j->message != NULL)
		json_object_set_new(reply, "message", json_string(j->message));
	if (j->audit_failed)
		json_object_set_new(reply, "auditFailed", json_true());
	return reply_json(rq, 200, reply);
}

enum MHD_Result
h_decisions_post(struct request *rq)
{
	static const struct jv_field fields[] = {{"method", JV_STRING, 1},
	                                         {"uri", JV_STRING, 1},
	                                         {"user", JV_STRING | JV_NULL, 0},
	                                         {"body", JV_ANY, 0},
	                                         {NULL, 0, 0}};
	struct problems errs = PROBLEMS_INIT;
	struct decide_request req = {0};
	struct decision_pending *p = rq->hstate;
	char *text = NULL;
	json_t *body;
	enum MHD_Result ret;

	if (p != NULL) {
		/* Resumed: the audit record is settled. */
		judge_finish(&p->j);
		return answer(rq, &p->j);
	}
	if (jv_check_object(rq->json, "", fields, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid decision request");
		problems_clear(&errs);
		return ret;
	}
	req.method = json_string_value(json_object_get(rq->json, "method"));
	req.uri = json_string_value(json_object_get(rq->json, "uri"));
	req.user = json_string_value(json_object_get(rq->json, "user"));
	if (req.method[0] == '\0')
		problems_add(&errs, "/method", "expected an HTTP method");
	if (req.uri[0] != '/')
		problems_add(&errs, "/uri", "expected a request URI starting with /");
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid decision request");
		problems_clear(&errs);
		return ret;
	}
	body = json_object_get(rq->json, "body");
	if (json_is_string(body)) {
		req.body = json_string_value(body);
		req.body_len = json_string_length(body);
		req.has_body = req.body_len > 0;
	} else if (body != NULL && !json_is_null(body)) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL)
			return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
		req.body = text;
		req.body_len = strlen(text);
		req.has_body = 1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(text);
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
	http_wait_init(&p->wait, rq);
	rq->hstate = p;
	rq->hstate_free = pending_free;
	if (judge_start(&req, "api", rq->peer.name, &p->j, pending_resume, p) == 1) {
		http_wait_suspend(&p->wait);
		ret = MHD_YES;
	} else {
		ret = answer(rq, &p->j);
	}
	free(text);
	return ret;
}
