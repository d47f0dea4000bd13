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
	struct judgement j;
	char *text = NULL;
	json_t *body, *reply;
	enum MHD_Result ret;

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
	judge_request(&req, "api", rq->peer.name, &j);
	reply = json_pack("{s:s, s:b, s:s, s:s, s:I, s:o}", "id", j.id, "allow", j.d.allow, "mode",
	                  j.d.mode ? j.d.mode : "enforce", "route", j.d.route ? j.d.route : "other",
	                  "policyVersion", (json_int_t)j.version, "violations",
	                  decision_violations_json(&j.d));
	if (!j.d.allow && j.message != NULL)
		json_object_set_new(reply, "message", json_string(j.message));
	if (j.audit_failed)
		json_object_set_new(reply, "auditFailed", json_true());
	ret = reply_json(rq, 200, reply);
	judge_clear(&j);
	free(text);
	return ret;
}
