/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/decisions: the native entry to the decision engine, the same
 * judgement the authz plugin gives. Body {"method","uri","user","body",
 * "headers","containers"} where body is the Engine API request body as JSON,
 * as a string of raw bytes, or absent/null when none was sent; headers are
 * the client's request headers (Content-Type is read); containers describes
 * the containers the request names ({"<ref>": ["/src", ...]}, or {"<ref>":
 * {"sources": [...], "volumeDrivers": [...]}}), for runtimes that are not
 * dockerd. GET /v1/decisions/{id}: a recorded
 * decision (a deny, or violations in audit mode) read back from its audit
 * row; the unguessable id is what lets a developer read it. */
#include "server.h"
#include "audit/audit.h"
#include "containers/engineclient.h"
#include "handlers.h"
#include "decisions/judge.h"
#include "util/jsonv.h"
#include "util/ratelimit.h"
#include "http/reply.h"
#include "policy/userpolicy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CONTAINERS 64   /* containers one request may describe */
#define MAX_SOURCES    256  /* host paths per container */
#define MAX_PATH_LEN   4096 /* bytes of one host path */
#define MAX_REF_LEN    255  /* bytes of one container reference or volume driver */
#define MAX_DRIVERS    64   /* volume drivers per container */

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

/* "headers": {"Name": "value", ...}, values strings. */
static void
check_headers(const json_t *headers, struct problems *errs)
{
	const char *name;
	const json_t *v;

	json_object_foreach((json_t *)headers, name, v)
	{
		if (!json_is_string(v)) {
			char *ptr = problems_pointer_join("/headers", name);
			problems_add(errs, ptr ? ptr : "/headers", "expected a string; found %s",
			             jv_type_name(v));
			free(ptr);
		}
	}
}

/* The first header named name (any case), or NULL. */
static const char *
header_value(const json_t *headers, const char *name)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)headers, key, v)
	{
		if (strcasecmp(key, name) == 0)
			return json_string_value(v);
	}
	return NULL;
}

/* One host path of "containers": absolute, no NUL, not too long. */
static void
check_source(const json_t *v, const char *ptr, struct problems *errs)
{
	if (!json_is_string(v))
		problems_add(errs, ptr, "expected a string; found %s", jv_type_name(v));
	else if (json_string_value(v)[0] != '/' ||
	         strlen(json_string_value(v)) != json_string_length(v) ||
	         json_string_length(v) > MAX_PATH_LEN)
		problems_add(errs, ptr, "expected an absolute host path of at most %d bytes",
		             MAX_PATH_LEN);
}

/* One volume driver's name: 1 to 255 bytes, no NUL. */
static void
check_driver(const json_t *v, const char *ptr, struct problems *errs)
{
	if (!json_is_string(v))
		problems_add(errs, ptr, "expected a string; found %s", jv_type_name(v));
	else if (json_string_length(v) == 0 || json_string_length(v) > MAX_REF_LEN ||
	         strlen(json_string_value(v)) != json_string_length(v))
		problems_add(errs, ptr, "expected a volume driver's name of 1 to %d bytes",
		             MAX_REF_LEN);
}

/* The namespaces a container may be said to share with the host, and their
 * DECIDE_NS_* bits. */
static const struct {
	const char *name;
	unsigned ns;
} host_namespaces[] = {{"pid", DECIDE_NS_PID},
                       {"network", DECIDE_NS_NET},
                       {"ipc", DECIDE_NS_IPC},
                       {"user", DECIDE_NS_USER}};

/* The bit of a hostNamespaces entry, 0 when it is none. */
static unsigned
host_namespace_bit(const json_t *v)
{
	for (size_t i = 0; i < sizeof(host_namespaces) / sizeof(host_namespaces[0]); i++)
		if (json_is_string(v) && strcmp(json_string_value(v), host_namespaces[i].name) == 0)
			return host_namespaces[i].ns;
	return 0;
}

static void
check_host_namespace(const json_t *v, const char *ptr, struct problems *errs)
{
	if (host_namespace_bit(v) == 0)
		problems_add(errs, ptr, "expected \"pid\", \"network\", \"ipc\" or \"user\"");
}

/* An array at ptr of at most max items, each checked by check. */
static void
check_strings(const json_t *arr, const char *ptr, size_t max, const char *what,
              void (*check)(const json_t *, const char *, struct problems *), struct problems *errs)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(arr)) {
		problems_add(errs, ptr, "expected an array of %s; found %s", what,
		             jv_type_name(arr));
		return;
	}
	if (json_array_size(arr) > max)
		problems_add(errs, ptr, "at most %zu %s", max, what);
	json_array_foreach(arr, i, v)
	{
		char *ip = problems_pointer_index(ptr, i);

		check(v, ip ? ip : ptr, errs);
		free(ip);
	}
}

/* A container's HostConfig, as the engine describes it: an object whose
 * flags text fits (decide_container_flags). */
static void
check_host_config(const json_t *v, const char *ptr, struct problems *errs)
{
	char *body = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL, *flags = NULL;

	if (!json_is_object(v))
		problems_add(errs, ptr, "expected the container's HostConfig, an object; found %s",
		             jv_type_name(v));
	else if (body == NULL || strlen(body) > DECIDE_FLAGS_MAX ||
	         decide_container_flags(body, strlen(body), DECIDE_CGROUPNS_HOST, &flags) != 0)
		problems_add(errs, ptr, "a HostConfig of at most %d bytes whose flags fit as many",
		             DECIDE_FLAGS_MAX);
	free(body);
	free(flags);
}

/* One container: its host paths, or {"sources": [...], "volumeDrivers": [...],
 * "hostNamespaces": [...], "hostConfig": {...}}. */
static void
check_container(const json_t *c, const char *ptr, struct problems *errs)
{
	const char *key;
	const json_t *v;
	char *sub;

	if (!json_is_object(c)) {
		check_strings(c, ptr, MAX_SOURCES, "host paths", check_source, errs);
		return;
	}
	json_object_foreach((json_t *)c, key, v)
	{
		sub = problems_pointer_join(ptr, key);
		if (strcmp(key, "sources") == 0)
			check_strings(v, sub ? sub : ptr, MAX_SOURCES, "host paths", check_source,
			              errs);
		else if (strcmp(key, "volumeDrivers") == 0)
			check_strings(v, sub ? sub : ptr, MAX_DRIVERS, "volume drivers",
			              check_driver, errs);
		else if (strcmp(key, "hostNamespaces") == 0)
			check_strings(v, sub ? sub : ptr, 4, "namespaces", check_host_namespace,
			              errs);
		else if (strcmp(key, "hostConfig") == 0)
			check_host_config(v, sub ? sub : ptr, errs);
		else
			problems_add(errs, sub ? sub : ptr,
			             "unknown member: expected sources, volumeDrivers, "
			             "hostNamespaces or hostConfig");
		free(sub);
	}
	if (json_object_get(c, "sources") == NULL)
		problems_add(errs, ptr, "missing member sources");
}

/* "containers": {"<ref>": CONTAINER, ...}. */
static void
check_containers(const json_t *containers, struct problems *errs)
{
	const char *ref;
	const json_t *c;

	if (json_object_size(containers) > MAX_CONTAINERS)
		problems_add(errs, "/containers", "at most %d containers", MAX_CONTAINERS);
	json_object_foreach((json_t *)containers, ref, c)
	{
		char *ptr = problems_pointer_join("/containers", ref);

		if (ref[0] == '\0' || strlen(ref) > MAX_REF_LEN)
			problems_add(errs, ptr ? ptr : "/containers",
			             "expected a container id or name of 1 to %d bytes",
			             MAX_REF_LEN);
		check_container(c, ptr ? ptr : "/containers", errs);
		free(ptr);
	}
}

/* decide_container_fn over "containers" (arg): a ref as given, or with its
 * leading '/' added or removed (names are the same either way). Its volume
 * drivers are known when it is described as an object, its namespaces when
 * that object lists those it shares with the host (maybe none), what it
 * runs with when it gives its hostConfig (read as the engine's: an empty
 * CgroupnsMode is the host's, system paths an engine masks by default are
 * no choice). */
static int
given_container(void *arg, const char *ref, struct decide_mounts *out)
{
	const json_t *c = json_object_get(arg, ref), *paths, *v;
	size_t i;

	if (c == NULL && ref[0] == '/')
		c = json_object_get(arg, ref + 1);
	if (c == NULL && ref[0] != '/') {
		char slashed[MAX_REF_LEN + 2];

		if (strlen(ref) <= MAX_REF_LEN) {
			slashed[0] = '/';
			strcpy(slashed + 1, ref);
			c = json_object_get(arg, slashed);
		}
	}
	if (c == NULL)
		return 0;
	paths = json_is_object(c) ? json_object_get(c, "sources") : c;
	json_array_foreach(paths, i, v)
	{
		if (decide_mounts_add(out, json_string_value(v)) != 0)
			return -1;
	}
	out->drivers_known = json_is_object(c);
	json_array_foreach(json_object_get(c, "volumeDrivers"), i, v)
	{
		if (decide_mounts_add_driver(out, json_string_value(v)) != 0)
			return -1;
	}
	if ((v = json_object_get(c, "hostNamespaces")) != NULL) {
		out->ns_known = DECIDE_NS_ALL;
		for (i = 0; i < json_array_size(v); i++)
			out->ns_host |= host_namespace_bit(json_array_get(v, i));
	}
	if ((v = json_object_get(c, "hostConfig")) != NULL) {
		json_t *hc = json_deep_copy(v), *body;
		char *text;
		int rc;

		/* As the engine shows it: its default system paths are none of
		 * the container's choosing, as in a lookup's (the caller's word,
		 * as the rest of the description is: any engine's since 20.10). */
		engineclient_drop_default_paths(hc, NULL);
		body = hc != NULL ? json_pack("{s:o}", "HostConfig", hc) : NULL;
		text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
		rc = text != NULL ? decide_container_flags(text, strlen(text), DECIDE_CGROUPNS_HOST,
		                                           &out->flags)
		                  : -1;

		json_decref(body);
		free(text);
		if (rc != 0)
			return -1;
	}
	return 1;
}

/* The request's body: a string as given, any other JSON as compact text
 * (*text, malloc'd); whole when the caller gave one (it says what the body
 * is, all of it), else as its Content-Length says. 0, or -1 on ENOMEM. */
static int
request_body(struct decide_request *req, const json_t *body, const char *content_length,
             char **text)
{
	req->body_whole = body != NULL || decide_body_whole(0, content_length);
	req->body_unseen = decide_body_unseen(body != NULL, req->content_type, content_length);
	if (json_is_string(body)) {
		req->body = json_string_value(body);
		req->body_len = json_string_length(body);
		req->has_body = req->body_len > 0;
	} else if (body != NULL && !json_is_null(body)) {
		if ((*text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			return -1;
		req->body = *text;
		req->body_len = strlen(*text);
		req->has_body = 1;
	}
	return 0;
}

enum MHD_Result
h_decisions_post(struct request *rq)
{
	static const struct jv_field fields[] = {{"method", JV_STRING, 1},
	                                         {"uri", JV_STRING, 1},
	                                         {"user", JV_STRING | JV_NULL, 0},
	                                         {"body", JV_ANY, 0},
	                                         {"headers", JV_OBJECT, 0},
	                                         {"containers", JV_OBJECT, 0},
	                                         {NULL, 0, 0}};
	const json_t *headers, *containers;
	struct problems errs = PROBLEMS_INIT;
	struct decide_request req = {0};
	struct decision_pending *p = rq->hstate;
	char *text = NULL;
	enum MHD_Result ret;
	unsigned retry;

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
	else if (strlen(req.uri) > (size_t)rq->srv->cfg->inputs_max_uri)
		problems_add(&errs, "/uri", "longer than %ld bytes (--inputs-max-uri)",
		             rq->srv->cfg->inputs_max_uri);
	if (req.user != NULL && req.user[0] != '\0')
		userpolicy_name_valid(req.user, "/user", &errs);
	if ((headers = json_object_get(rq->json, "headers")) != NULL)
		check_headers(headers, &errs);
	if ((containers = json_object_get(rq->json, "containers")) != NULL)
		check_containers(containers, &errs);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid decision request");
		problems_clear(&errs);
		return ret;
	}
	/* Each deny is an audit row: one caller's flood must not fill the disk. */
	if (ratelimit_take(rq->srv->decisions_limit, rq->peer->name, &retry) != 0)
		return reply_rate_limited(
		    rq, retry, "too many decisions asked for by this caller; retry later");
	req.content_type = header_value(headers, "Content-Type");
	if (containers != NULL) {
		req.container = given_container;
		req.container_arg = (void *)containers;
	}
	if (request_body(&req, json_object_get(rq->json, "body"),
	                 header_value(headers, "Content-Length"), &text) != 0)
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(text);
		return reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
	}
	http_wait_init(&p->wait, rq);
	rq->hstate = p;
	rq->hstate_free = pending_free;
	if (judge_start(rq->srv->judge, &req, "api", rq->peer->name, &p->j, pending_resume, p) ==
	    1) {
		http_wait_suspend(&p->wait);
		ret = MHD_YES;
	} else {
		ret = answer(rq, &p->j);
	}
	free(text);
	return ret;
}

/* A decision id as judge.c makes them: 32 lowercase hex digits. */
static int
id_valid(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n == 32 && id[n] == '\0';
}

/* The route of a row written before data.route was recorded: its action
 * without the verdict ("container.create.denied" -> "container.create"). */
static json_t *
route_of(const json_t *row, const json_t *data)
{
	const char *route = json_string_value(json_object_get(data, "route"));
	const char *action = json_string_value(json_object_get(row, "action"));
	const char *dot = action ? strrchr(action, '.') : NULL;

	if (route != NULL)
		return json_string(route);
	if (dot == NULL)
		return json_string("other");
	if (strncmp(action, "exec.", 5) == 0)
		return json_string("exec.create");
	return json_stringn(action, (size_t)(dot - action));
}

enum MHD_Result
h_decision_get(struct request *rq)
{
	const char *id = rq->params[0];
	json_t *row = NULL, *data, *reply, *viol;
	const json_t *pv, *msg;
	int rc, deny;

	if (!id_valid(id))
		return reply_error(rq, ERR_INVALID_PARAMETER, NULL,
		                   "id: expected a decision id of 32 hex digits");
	rc = rq->srv->audit ? audit_decision_find(rq->srv->audit, id, &row) : -1;
	if (rc < 0)
		return reply_error(rq, ERR_UNAVAILABLE, NULL, "the audit log cannot be read");
	if (rc == 0)
		return reply_error(rq, ERR_NOT_FOUND, NULL,
		                   "no recorded decision %s (allowed requests are not recorded)",
		                   id);
	data = json_object_get(row, "data");
	pv = json_object_get(row, "policy_version");
	msg = json_object_get(data, "message");
	viol = json_object_get(data, "violations");
	deny = strcmp(json_string_value(json_object_get(row, "decision")) ?: "", "deny") == 0;
	reply = json_pack("{s:s, s:b, s:s, s:o, s:O, s:o, s:O}", "id", id, "allow", !deny, "mode",
	                  json_string_value(json_object_get(data, "mode")) ?: "enforce", "route",
	                  route_of(row, data), "policyVersion", pv ? pv : json_null(), "violations",
	                  json_is_array(viol) ? json_incref(viol) : json_array(), "message",
	                  msg ? msg : json_null());
	json_decref(row);
	return reply ? reply_json(rq, 200, reply)
	             : reply_error(rq, ERR_INTERNAL, NULL, "out of memory");
}
