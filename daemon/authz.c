/* SPDX-License-Identifier: Apache-2.0 */
/* The Docker authorization plugin protocol on its own Unix socket:
 * /Plugin.Activate, /AuthZPlugin.AuthZReq (judged), /AuthZPlugin.AuthZRes
 * (always allowed; it keeps the container records, containers.h). A
 * malformed AuthZReq envelope gets "Err", which makes dockerd fail the call:
 * the plugin fails closed. */
#include "app.h"
#include "containers.h"
#include "engineapi.h"
#include "handlers.h"
#include "gojson.h"
#include "judge.h"
#include "log.h"
#include "reply.h"
#include "served.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1.1+json"

static enum MHD_Result
plugin_reply(struct request *rq, unsigned status, json_t *body)
{
	return reply_json_hdr(rq, status, body, MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
}

/* {"Allow": false, "Msg": "", "Err": msg} with 500, as the Docker plugin
 * helpers answer an error. */
static enum MHD_Result
plugin_error(struct request *rq, const char *msg)
{
	log_warnx("authz: %s", msg);
	return plugin_reply(rq, 500,
	                    json_pack("{s:b, s:s, s:s}", "Allow", 0, "Msg", "", "Err", msg));
}

enum MHD_Result
h_plugin_activate(struct request *rq)
{
	return plugin_reply(rq, 200, json_pack("{s:[s]}", "Implements", "authz"));
}

/* The AuthZReq envelope's members, as dockerd's Go encoder writes them. */
static const struct {
	const char *name;
	unsigned types; /* 1 << enum gojson_type */
	int required;
} envelope_fields[] = {
    {"User", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    {"UserAuthNMethod", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    {"RequestMethod", 1u << GOJSON_STRING, 1},
    {"RequestUri", 1u << GOJSON_STRING, 1},
    {"RequestBody", 1u << GOJSON_STRING | 1u << GOJSON_NULL, 0},
    {"RequestHeaders", 1u << GOJSON_OBJECT | 1u << GOJSON_NULL, 0},
    {"RequestPeerCertificates", 1u << GOJSON_ARRAY | 1u << GOJSON_NULL, 0},
};
#define NFIELDS (sizeof(envelope_fields) / sizeof(envelope_fields[0]))

static const char *
value_type_name(enum gojson_type t)
{
	static const char *const names[] = {"null",   "boolean", "boolean", "number",
	                                    "string", "array",   "object"};
	return names[t];
}

/* Check the envelope (the same rules jv_check_object applies: exact names,
 * types, required members, nothing unknown) and point got[i] at the member
 * for envelope_fields[i]. 0, 1 for a duplicate member (not valid JSON to
 * jansson, so answered as such), or -1 with a message in msg. */
static int
check_envelope(const struct gojson_value *root, const struct gojson_value *got[NFIELDS], char *msg,
               size_t msgsz)
{
	const struct gojson_value *c;
	size_t i;

	memset(got, 0, NFIELDS * sizeof(got[0]));
	if (root->type != GOJSON_OBJECT) {
		snprintf(msg, msgsz, "lockset: malformed AuthZReq: /: expected an object; found %s",
		         value_type_name(root->type));
		return -1;
	}
	for (c = root->child; c != NULL; c = c->next) {
		for (i = 0; i < NFIELDS && strcmp(envelope_fields[i].name, c->key) != 0; i++)
			;
		if (i == NFIELDS) {
			snprintf(msg, msgsz, "lockset: malformed AuthZReq: /%s: unknown field",
			         c->key);
			return -1;
		}
		if (got[i] != NULL) {
			snprintf(msg, msgsz, "duplicate object key: %s", c->key);
			return 1;
		}
		if (!(envelope_fields[i].types & (1u << c->type))) {
			snprintf(
			    msg, msgsz, "lockset: malformed AuthZReq: /%s: expected %s; found %s",
			    c->key,
			    (envelope_fields[i].types & (1u << GOJSON_OBJECT))  ? "object or null"
			    : (envelope_fields[i].types & (1u << GOJSON_ARRAY)) ? "array or null"
			    : (envelope_fields[i].types & (1u << GOJSON_NULL))  ? "string or null"
			                                                        : "string",
			    value_type_name(c->type));
			return -1;
		}
		got[i] = c;
	}
	for (i = 0; i < NFIELDS; i++)
		if (envelope_fields[i].required && got[i] == NULL) {
			snprintf(msg, msgsz,
			         "lockset: malformed AuthZReq: /%s: required field is missing",
			         envelope_fields[i].name);
			return -1;
		}
	return 0;
}

/* The value of header name (any case; the first member that matches) in
 * the envelope's RequestHeaders (map[string]string), or NULL. */
static const char *
header_value(const struct gojson_value *headers, const char *name)
{
	const struct gojson_value *c;

	for (c = headers != NULL ? headers->child : NULL; c != NULL; c = c->next)
		if (c->type == GOJSON_STRING && strcasecmp(c->key, name) == 0)
			return c->s;
	return NULL;
}

/* A judgement in progress, owned by the request (rq->hstate). */
struct authz_pending {
	struct judgement j;
	struct http_wait wait;
	int create; /* a container create, in flight for the records */
};

static void
pending_resume(void *arg)
{
	http_wait_done(&((struct authz_pending *)arg)->wait);
}

static void
pending_free(void *arg)
{
	struct authz_pending *p = arg;

	judge_clear(&p->j);
	free(p);
}

static enum MHD_Result
answer(struct request *rq, const struct authz_pending *p)
{
	const struct judgement *j = &p->j;

	if (p->create && !j->d.allow)
		containers_watch_refused(app.containers); /* no AuthZRes will come */
	return plugin_reply(
	    rq, 200,
	    json_pack("{s:b, s:s, s:s}", "Allow", j->d.allow, "Msg",
	              j->d.allow ? "" : (j->message ? j->message : "lockset: denied"), "Err", ""));
}

/* The envelope is read from the raw body with gojson, in one pass and into
 * an arena on the stack: the base64 request body is most of its bytes, and
 * a general JSON tree would copy it a byte at a time. A deny waits for its
 * audit record with the connection suspended, so the server threads keep
 * judging other requests and the records share commits. */
enum MHD_Result
h_authz_req(struct request *rq)
{
	struct gojson_arena arena;
	const struct gojson_value *root, *got[NFIELDS];
	struct decide_request req = {0};
	struct authz_pending *p = rq->hstate;
	const char *why = NULL;
	size_t at = 0;
	unsigned char *body = NULL;
	enum MHD_Result ret;
	char msg[512];
	int rc;

	if (p != NULL) {
		/* Resumed: the audit record is settled. */
		judge_finish(&p->j);
		return answer(rq, p);
	}
	gojson_arena_init(&arena);
	if (rq->body == NULL || rq->body_len == 0) {
		ret = reply_error(rq, ERR_INVALID_JSON, NULL, "a JSON request body is required");
		goto out;
	}
	rc = gojson_parse(&arena, rq->body, rq->body_len, &root, &why, &at);
	if (rc == -1) {
		ret = plugin_error(rq, "lockset: out of memory");
		goto out;
	}
	if (rc == 0)
		rc = check_envelope(root, got, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s at byte %zu", why, at);
	if (rc == 1) {
		ret = reply_error(rq, ERR_INVALID_JSON, NULL, "request body is not valid JSON: %s",
		                  msg);
		goto out;
	}
	if (rc == -1) {
		ret = plugin_error(rq, msg);
		goto out;
	}
	req.method = got[2]->s;
	req.uri = got[3]->s;
	req.user = got[0] != NULL ? got[0]->s : NULL;
	req.content_type = header_value(got[5], "Content-Type");
	if (got[4] != NULL && got[4]->type == GOJSON_STRING && got[4]->len > 0) {
		long n;

		body = gojson_arena_alloc(&arena, got[4]->len / 4 * 3 + 3);
		if (body == NULL) {
			ret = plugin_error(rq, "lockset: out of memory");
			goto out;
		}
		n = gojson_base64_decode(got[4]->s, got[4]->len, body);
		if (n < 0) {
			ret = plugin_error(rq, "lockset: malformed AuthZReq: /RequestBody: "
			                       "not base64");
			goto out;
		}
		req.body = (const char *)body;
		req.body_len = (size_t)n;
		req.has_body = n > 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ret = plugin_error(rq, "lockset: out of memory");
		goto out;
	}
	http_wait_init(&p->wait, rq);
	rq->hstate = p;
	rq->hstate_free = pending_free;
	p->create = containers_watch_request(app.containers, req.method, req.uri);
	if (judge_start(&req, "authz", "dockerd", &p->j, pending_resume, p) == 1) {
		http_wait_suspend(&p->wait);
		ret = MHD_YES;
	} else {
		ret = answer(rq, p);
	}
out:
	gojson_arena_clear(&arena);
	return ret;
}

/* A base64 member of the AuthZRes envelope, decoded into a new buffer
 * (malloc'd, *len bytes); NULL when absent, empty or not base64. */
static unsigned char *
member_bytes(const json_t *env, const char *name, size_t *len)
{
	const json_t *v = json_object_get(env, name);
	unsigned char *out;
	long n;

	*len = 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    (out = malloc(json_string_length(v) / 4 * 3 + 3)) == NULL)
		return NULL;
	if ((n = gojson_base64_decode(json_string_value(v), json_string_length(v), out)) <= 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

/* A create's response: record its container (containers.h). The envelope is
 * read again, with jansson, only for creates. */
static void
record_response(const char *text, size_t len, const char *method, const char *uri)
{
	json_t *env = json_loadb(text, len, 0, NULL);
	struct containers_response r = {.method = method, .uri = uri};
	unsigned char *reqb = NULL, *respb = NULL;
	struct served *s;

	if (!json_is_object(env))
		goto out;
	r.status = (int)json_integer_value(json_object_get(env, "ResponseStatusCode"));
	reqb = member_bytes(env, "RequestBody", &r.req_len);
	respb = member_bytes(env, "ResponseBody", &r.resp_len);
	r.req_body = (const char *)reqb;
	r.resp_body = (const char *)respb;
	s = served_acquire();
	containers_watch_response(app.containers, &r, s != NULL ? s->version : -1);
	served_release(s);
out:
	free(reqb);
	free(respb);
	json_decref(env);
}

static int
is_create(const char *method, const char *uri)
{
	struct engineapi_target t;
	int create =
	    engineapi_classify(method, uri, &t) == 0 && t.route == ENGINEAPI_CONTAINER_CREATE;

	engineapi_target_clear(&t);
	return create;
}

/* Responses are not filtered: dockerd hands plugins at most 64 KiB of a
 * response, so a policy there could not be enforced reliably; and a
 * malformed envelope is allowed too: blocking a response helps nobody. What
 * a response tells (a container created) goes to the records. */
enum MHD_Result
h_authz_res(struct request *rq)
{
	struct gojson_arena arena;
	const struct gojson_value *root, *c, *method = NULL, *uri = NULL;
	const char *why;
	size_t at;

	gojson_arena_init(&arena);
	if (app.containers != NULL && rq->body != NULL &&
	    gojson_parse(&arena, rq->body, rq->body_len, &root, &why, &at) == 0 &&
	    root->type == GOJSON_OBJECT) {
		for (c = root->child; c != NULL; c = c->next) {
			if (strcmp(c->key, "RequestMethod") == 0 && c->type == GOJSON_STRING)
				method = c;
			else if (strcmp(c->key, "RequestUri") == 0 && c->type == GOJSON_STRING)
				uri = c;
		}
		if (method != NULL && uri != NULL && is_create(method->s, uri->s))
			record_response(rq->body, rq->body_len, method->s, uri->s);
	}
	gojson_arena_clear(&arena);
	return plugin_reply(rq, 200,
	                    json_pack("{s:b, s:s, s:s}", "Allow", 1, "Msg", "", "Err", ""));
}
