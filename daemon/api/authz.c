/* SPDX-License-Identifier: Apache-2.0 */
/* The Docker authorization plugin protocol on its own Unix socket:
 * /Plugin.Activate, /AuthZPlugin.AuthZReq (judged), /AuthZPlugin.AuthZRes
 * (always allowed; it keeps the container records, containers.h). A
 * malformed AuthZReq envelope gets "Err", which makes dockerd fail the call:
 * the plugin fails closed. */
#include "server.h"
#include "authz_envelope.h"
#include "containers/engineinfo.h"
#include "containers/containers.h"
#include "engine/engineapi.h"
#include "handlers.h"
#include "engine/gojson.h"
#include "decisions/judge.h"
#include "log.h"
#include "proxy/proxy.h"
#include "proxy/proxy_ticket.h"
#include "http/reply.h"
#include "policy/served.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1.1+json"

static enum MHD_Result
plugin_reply(struct request *rq, unsigned status, json_t *body)
{
	return reply_json_hdr(rq, status, body, MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
}

/* {"Allow": true, "Msg": "", "Err": ""}: the same bytes for every allowed
 * request, built once and kept for the life of the process. */
static struct MHD_Response *allow_response;
static pthread_once_t allow_once = PTHREAD_ONCE_INIT;

static void
allow_build(void)
{
	allow_response =
	    reply_json_response(json_pack("{s:b, s:s, s:s}", "Allow", 1, "Msg", "", "Err", ""),
	                        MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
}

static enum MHD_Result
plugin_allow(struct request *rq)
{
	pthread_once(&allow_once, allow_build);
	if (allow_response == NULL) /* out of memory once: build it per reply */
		return plugin_reply(rq, 200,
		                    json_pack("{s:b, s:s, s:s}", "Allow", 1, "Msg", "", "Err", ""));
	return reply_response(rq, 200, allow_response);
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

/* dockerd activates its plugins when it starts (at its first request):
 * the engine may have changed, so ask it again about user namespaces. */
enum MHD_Result
h_plugin_activate(struct request *rq)
{
	engineinfo_trigger(rq->srv->engineinfo);
	return plugin_reply(rq, 200, json_pack("{s:[s]}", "Implements", "authz"));
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
		containers_watch_refused(rq->srv->containers); /* no AuthZRes will come */
	if (j->d.allow)
		return plugin_allow(rq);
	return plugin_reply(rq, 200,
	                    json_pack("{s:b, s:s, s:s}", "Allow", 0, "Msg",
	                              j->message ? j->message : "lockset: denied", "Err", ""));
}

/* Did lockset's docker proxy forward this request (its ticket header)? 1
 * when the proxy judged this very request (and allowed it: it forwards
 * nothing else), 0 when it forwarded it but the body dockerd shows cannot be
 * matched (judge it, as the proxy's caller: user), -1 when not. */
static int
proxied(struct proxy *proxy, const struct gojson_value *headers, const struct decide_request *req,
        char *user, size_t usersz)
{
	const char *ticket = authz_envelope_header(headers, PROXY_TICKET_HEADER);

	if (ticket == NULL || proxy == NULL)
		return -1;
	return proxy_ticket_redeem(proxy_tickets(proxy), ticket, req->method, req->uri,
	                           req->has_body ? req->body : NULL, req->body_len, user, usersz);
}

/* A deny waits for its audit record with the connection suspended, so the
 * server threads keep judging other requests and the records share commits. */
enum MHD_Result
h_authz_req(struct request *rq)
{
	struct gojson_arena arena;
	struct decide_request req;
	const struct gojson_value *headers = NULL;
	struct authz_pending *p = rq->hstate;
	enum MHD_Result ret;
	char msg[512], user[256];

	if (p != NULL) {
		/* Resumed: the audit record is settled. */
		judge_finish(&p->j);
		return answer(rq, p);
	}
	if (rq->body == NULL || rq->body_len == 0)
		return reply_error(rq, ERR_INVALID_JSON, NULL, "a JSON request body is required");
	gojson_arena_init(&arena);
	switch (
	    authz_envelope_read(&arena, rq->body, rq->body_len, &req, &headers, msg, sizeof(msg))) {
	case AUTHZ_ENVELOPE_OK:
		break;
	case AUTHZ_ENVELOPE_NOT_JSON:
		ret = reply_error(rq, ERR_INVALID_JSON, NULL, "request body is not valid JSON: %s",
		                  msg);
		goto out;
	case AUTHZ_ENVELOPE_MALFORMED:
		ret = plugin_error(rq, msg);
		goto out;
	default:
		ret = plugin_error(rq, "lockset: out of memory");
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ret = plugin_error(rq, "lockset: out of memory");
		goto out;
	}
	http_wait_init(&p->wait, rq);
	rq->hstate = p;
	rq->hstate_free = pending_free;
	p->create = containers_watch_request(rq->srv->containers, req.method, req.uri);
	req.engine_userns = DECIDE_USERNS_UNKNOWN; /* for the engine: judged by its answer */
	/* Forwarded by lockset's docker proxy, which judged it as its caller. */
	switch (proxied(rq->srv->proxy, headers, &req, user, sizeof(user))) {
	case 1:
		p->j.d.allow = 1;
		ret = answer(rq, p);
		goto out;
	case 0:
		req.user = user; /* the proxy's caller, whose policy applies */
		break;
	}
	if (judge_start(rq->srv->judge, &req, "authz", "dockerd", &p->j, pending_resume, p) == 1) {
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
record_response(struct request *rq, const char *text, size_t len, const char *method,
                const char *uri)
{
	json_t *env = json_loadb(text, len, 0, NULL);
	struct containers_response r = {
	    .method = method, .uri = uri, .cgroupns = judge_engine_cgroupns(rq->srv->judge)};
	unsigned char *reqb = NULL, *respb = NULL;
	struct served *s;

	if (!json_is_object(env))
		goto out;
	r.status = (int)json_integer_value(json_object_get(env, "ResponseStatusCode"));
	reqb = member_bytes(env, "RequestBody", &r.req_len);
	respb = member_bytes(env, "ResponseBody", &r.resp_len);
	r.req_body = (const char *)reqb;
	r.resp_body = (const char *)respb;
	/* Who made it: dockerd's AuthZ User (a TLS client's name). A create
	 * forwarded by lockset's proxy comes over dockerd's Unix socket, with no
	 * User: the proxy names its caller itself (proxy_judge_response). A
	 * ticket header in the envelope says nothing here: any client can send
	 * one. */
	r.user = json_string_value(json_object_get(env, "User"));
	s = served_acquire(rq->srv->served);
	containers_watch_response(rq->srv->containers, &r, s != NULL ? s->version : -1);
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
	if (rq->srv->containers != NULL && rq->body != NULL &&
	    gojson_parse(&arena, rq->body, rq->body_len, &root, &why, &at) == 0 &&
	    root->type == GOJSON_OBJECT) {
		for (c = root->child; c != NULL; c = c->next) {
			if (strcmp(c->key, "RequestMethod") == 0 && c->type == GOJSON_STRING)
				method = c;
			else if (strcmp(c->key, "RequestUri") == 0 && c->type == GOJSON_STRING)
				uri = c;
		}
		if (method != NULL && uri != NULL && is_create(method->s, uri->s))
			record_response(rq, rq->body, rq->body_len, method->s, uri->s);
	}
	gojson_arena_clear(&arena);
	return plugin_allow(rq);
}
