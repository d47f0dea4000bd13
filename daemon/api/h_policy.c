/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/policy: the org policy document (GET, PUT, PATCH with If-Match and
 * ?dry_run), its history (/versions, /versions/{n}), rollback, and the
 * impact preview of a proposed document. Changes go through policylife.c,
 * which versions, audits, writes the file and installs, in that order. */
#include "server.h"
#include "util/etag.h"
#include "handlers.h"
#include "decisions/impact.h"
#include "util/jsonv.h"
#include "policy/policy.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "http/reply.h"
#include "policy/served.h"
#include "fleet/upstream.h"
#include "policy/userpolicy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMMENT_MAX      1000
#define VERSIONS_DEFAULT 100
#define VERSIONS_LIMIT   1000

/* ?name=true|false|1|0; -1 when malformed. Absent: 0. */
static int
query_bool(struct request *rq, const char *name)
{
	const char *v = http_query(rq, name);

	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0')
		return 1;
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* A positive whole number; -1 when s is not one. */
static long long
parse_count(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' || v < 1 ? -1 : v;
}

/* The comment of a change: ?comment= or X-Lockset-Comment. Adds a problem
 * when it is too long. */
const char *
h_policy_change_comment(struct request *rq, struct problems *errs)
{
	const char *c = http_query(rq, "comment");

	if (c == NULL)
		c = http_header(rq, "X-Lockset-Comment");
	if (c != NULL && strlen(c) > COMMENT_MAX)
		problems_add(errs, "comment", "longer than %d bytes", COMMENT_MAX);
	return c;
}

enum MHD_Result
h_policy_managed(struct request *rq)
{
	return reply_error(rq, ERR_MANAGED_UPSTREAM, NULL,
	                   "the policy of this host is managed by %s; change it there",
	                   upstream_url(rq->srv->upstream));
}

enum MHD_Result
h_policy_get(struct request *rq)
{
	const char *inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct served *s = served_acquire(rq->srv->served);
	enum MHD_Result ret;

	if (s == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
	if (inm != NULL && etag_listed(inm, s->doc_etag, 1))
		ret = reply_empty(rq, 304, s->doc_etag);
	else
		ret =
		    reply_json_hdr(rq, 200, json_incref(s->doc), MHD_HTTP_HEADER_ETAG, s->doc_etag);
	served_release(s);
	return ret;
}

/* The reply to a change (or dry run) that went through. */
static json_t *
change_reply(const struct policylife_change *c, struct policylife_result *res)
{
	json_t *body =
	    json_pack("{s:I, s:b, s:O, s:o}", "version", (json_int_t)res->version, "changed",
	              res->changed, "diff", res->diff, "warnings", problems_to_json(&res->warns));

	if (body != NULL && c->dry_run) {
		json_object_set_new(body, "dryRun", json_true());
		json_object_set_new(body, "valid", json_true());
		json_object_set(body, "effective", res->effective);
	}
	return body;
}

/* Run a change and reply, whatever the outcome. */
static enum MHD_Result
run_change(struct request *rq, const json_t *body, struct policylife_change *c)
{
	struct problems errs = PROBLEMS_INIT;
	struct policylife_result res;
	enum MHD_Result ret;

	switch (policylife_apply(rq->srv->policylife, body, c, &res, &errs)) {
	case PL_OK:
		ret = c->dry_run ? reply_json(rq, 200, change_reply(c, &res))
		                 : reply_json_hdr(rq, 200, change_reply(c, &res),
		                                  MHD_HTTP_HEADER_ETAG, res.etag);
		break;
	case PL_INVALID:
		ret = reply_error(rq, ERR_INVALID_POLICY, &errs, "invalid policy (%zu problem%s)",
		                  errs.n, errs.n == 1 ? "" : "s");
		break;
	case PL_PRECONDITION:
		ret = reply_error(rq, ERR_PRECONDITION, NULL,
		                  "If-Match does not match the current policy document");
		break;
	case PL_NO_POLICY:
		ret = reply_error(rq, ERR_UNAVAILABLE, NULL, "no policy loaded");
		break;
	case PL_AUDIT:
		ret = reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                  "the change could not be audited; nothing was applied");
		break;
	case PL_STORE:
		ret = reply_error(rq, ERR_INTERNAL, NULL,
		                  "the policy history could not be written; nothing was applied");
		break;
	case PL_WRITE:
		ret = reply_error(rq, ERR_INTERNAL, NULL,
		                  "the settings file could not be written; nothing was applied");
		break;
	default:
		ret = reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
		break;
	}
	policylife_result_clear(&res);
	problems_clear(&errs);
	return ret;
}

static enum MHD_Result
policy_change(struct request *rq, int patch)
{
	struct policylife_change c = {rq->peer->name, NULL, "api", NULL, patch, 0, NULL};
	struct problems errs = PROBLEMS_INIT;
	const char *ct = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	enum MHD_Result ret;

	if (upstream_enabled(rq->srv->upstream))
		return h_policy_managed(rq);
	if (patch && ct != NULL && strncasecmp(ct, "application/merge-patch+json", 28) != 0 &&
	    strncasecmp(ct, "application/json", 16) != 0)
		return reply_error(rq, ERR_UNSUPPORTED_MEDIA, NULL,
		                   "expected Content-Type application/merge-patch+json or "
		                   "application/json; found %s",
		                   ct);
	if ((c.dry_run = query_bool(rq, "dry_run")) < 0)
		problems_add(&errs, "dry_run", "expected true or false");
	c.comment = h_policy_change_comment(rq, &errs);
	c.if_match = http_header(rq, MHD_HTTP_HEADER_IF_MATCH);
	if (errs.n > 0)
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
	else
		ret = run_change(rq, rq->json, &c);
	problems_clear(&errs);
	return ret;
}

enum MHD_Result
h_policy_put(struct request *rq)
{
	return policy_change(rq, 0);
}

enum MHD_Result
h_policy_patch(struct request *rq)
{
	return policy_change(rq, 1);
}

enum MHD_Result
h_policy_versions_get(struct request *rq)
{
	const char *l = http_query(rq, "limit");
	long long limit = l ? parse_count(l) : VERSIONS_DEFAULT;
	json_t *list;

	if (limit < 1 || limit > VERSIONS_LIMIT)
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL, "limit: expected 1 to %d",
		                   VERSIONS_LIMIT);
	if ((list = policystore_list(rq->srv->policystore, (int)limit)) == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the policy history cannot be read");
	return reply_json(rq, 200, json_pack("{s:o}", "versions", list));
}

enum MHD_Result
h_user_policy_versions_get(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	const char *user = rq->params[0], *l = http_query(rq, "limit");
	long long limit = l ? parse_count(l) : VERSIONS_DEFAULT;
	enum MHD_Result ret;
	json_t *list;

	if (!userpolicy_name_valid(user, "user", &errs)) {
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid user name");
		problems_clear(&errs);
		return ret;
	}
	if (limit < 1 || limit > VERSIONS_LIMIT)
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL, "limit: expected 1 to %d",
		                   VERSIONS_LIMIT);
	if ((list = policystore_user_history(rq->srv->policystore, user, (int)limit)) == NULL)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the policy history cannot be read");
	return reply_json(rq, 200, json_pack("{s:s, s:o}", "user", user, "versions", list));
}

enum MHD_Result
h_policy_version_get(struct request *rq)
{
	long long n = parse_count(rq->params[0]);
	json_t *v;
	int found;

	if (n < 1)
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "version: expected a positive whole number");
	if ((v = policystore_get(rq->srv->policystore, n, &found)) == NULL)
		return found ? reply_error(rq, ERR_UNAVAILABLE, NULL,
		                           "the policy history cannot be read")
		             : reply_error(rq, ERR_NOT_FOUND, NULL, "no policy version %lld", n);
	return reply_json(rq, 200, v);
}

enum MHD_Result
h_policy_rollback_post(struct request *rq)
{
	static const struct jv_field fields[] = {
	    {"version", JV_INTEGER, 1}, {"comment", JV_STRING, 0}, {NULL, 0, 0}};
	struct policylife_change c = {rq->peer->name, NULL, "rollback", NULL, 0, 0, NULL};
	struct problems errs = PROBLEMS_INIT;
	json_t *row = NULL;
	enum MHD_Result ret;
	json_int_t n = 0;
	char comment[64];
	int found;

	if (upstream_enabled(rq->srv->upstream))
		return h_policy_managed(rq);
	if (jv_check_object(rq->json, "", fields, &errs) == 0 &&
	    (n = json_integer_value(json_object_get(rq->json, "version"))) < 1)
		problems_add(&errs, "/version", "expected a positive version number");
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid rollback request");
		goto out;
	}
	if ((row = policystore_get(rq->srv->policystore, n, &found)) == NULL) {
		ret = found ? reply_error(rq, ERR_UNAVAILABLE, NULL,
		                          "the policy history cannot be read")
		            : reply_error(rq, ERR_NOT_FOUND, NULL, "no policy version %lld",
		                          (long long)n);
		goto out;
	}
	snprintf(comment, sizeof(comment), "rollback to v%lld", (long long)n);
	c.comment = json_string_value(json_object_get(rq->json, "comment"));
	if (c.comment == NULL)
		c.comment = comment;
	c.if_match = http_header(rq, MHD_HTTP_HEADER_IF_MATCH);
	ret = run_change(rq, json_object_get(row, "document"), &c);
out:
	json_decref(row);
	problems_clear(&errs);
	return ret;
}

enum MHD_Result
h_policy_impact_post(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	const char *since_param = http_query(rq, "since");
	char since[32];
	json_t *report = NULL;
	enum MHD_Result ret;
	int unavailable;

	if (since_param == NULL)
		impact_time_ago((time_t)IMPACT_DEFAULT_DAYS * 86400, since);
	else if (impact_parse_time(since_param, since) != 0) {
		problems_add(&errs, "since",
		             "expected an RFC 3339 time, e.g. 2026-11-28T12:00:00Z");
		ret = reply_error(rq, ERR_INVALID_PARAMETER, &errs, "invalid parameter");
		goto out;
	}
	if (!json_is_object(rq->json))
		problems_add(&errs, "", "expected a JSON object (an admin-settings.json document)");
	else
		policy_validate(rq->json, &errs, NULL);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_POLICY, &errs, "invalid policy (%zu problem%s)",
		                  errs.n, errs.n == 1 ? "" : "s");
		goto out;
	}
	report = impact_preview(rq->srv->inputs, rq->srv->served, rq->srv->userpolicy, rq->json,
	                        since, &unavailable);
	if (report == NULL)
		ret = unavailable ? reply_error(rq, ERR_UNAVAILABLE, NULL,
		                                "the recorded decisions cannot be read")
		                  : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	else
		ret = reply_json(rq, 200, report);
out:
	problems_clear(&errs);
	return ret;
}
