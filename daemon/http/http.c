/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd listeners and the dispatcher. Every generic check happens here,
 * in one place and one order: URL and header limits (414/431), route lookup
 * (404, 405 with Allow), authentication and role (401/403), body limit (413),
 * JSON parsing (400), and only then the handler. */
#include "build-config.h"

#include "http.h"

#include "auth.h"
#include "http_conn.h"
#include "http_guard.h"
#include "http_int.h"
#include "log.h"
#include "util/metrics.h"
#include "reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Routing */

int
http_route_match(const char *pattern, const char *url, char *buf, size_t bufsz, const char **params,
                 size_t *nparams)
{
	const char *p = pattern, *u = url;
	size_t n = 0, used = 0;

	while (*p != '\0' && *u != '\0') {
		if (*p != '/' || *u != '/')
			return 0;
		p++;
		u++;
		const char *pe = strchrnul(p, '/'), *ue = strchrnul(u, '/');
		size_t plen = (size_t)(pe - p), ulen = (size_t)(ue - u);
		if (plen > 1 && p[0] == '{') {
			if (ulen == 0 || n == HTTP_MAX_PARAMS || used + ulen + 1 > bufsz)
				return 0;
			memcpy(buf + used, u, ulen);
			buf[used + ulen] = '\0';
			params[n++] = buf + used;
			used += ulen + 1;
		} else if (plen != ulen || memcmp(p, u, plen) != 0) {
			return 0;
		}
		p = pe;
		u = ue;
	}
	if (*p != '\0' || *u != '\0')
		return 0;
	*nparams = n;
	return 1;
}

/* Is method allowed by a route's method (HEAD is served by GET routes)? */
static int
method_matches(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* ------------------------------------------------------------------------ */
/* The dispatcher */

struct size_count {
	size_t bytes;
};

static enum MHD_Result
count_kv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct size_count *sc = cls;

	sc->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void
request_free(struct request *rq)
{
	if (rq == NULL)
		return;
	if (rq->hstate_free != NULL)
		rq->hstate_free(rq->hstate);
	json_decref(rq->json);
	free(rq->body);
	free(rq->param_buf);
	free(rq);
}

/* The connection's state (http_conn.h), or NULL. */
static struct conn_info *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
http_request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                       enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct request *rq = *req_cls;
	struct conn_info *ci;

	if (rq != NULL) {
		size_t i = rq->route ? (size_t)(rq->route - http_routes) : HTTP_METRICS_ROUTES;
		metrics_observe_since(
		    &l->http->route_latency[i < HTTP_METRICS_ROUTES ? i : HTTP_METRICS_ROUTES],
		    rq->started_ns);
	}
	/* The next request must arrive whole within the deadline again. */
	if (rq != NULL && rq->dispatched && (ci = conn_of(conn)) != NULL)
		http_conn_busy(ci, 0);
	request_free(rq);
	*req_cls = NULL;
}

static size_t
body_limit(const struct http *h, const struct request *rq)
{
	if (rq->route != NULL && rq->route->listener == LISTEN_AUTHZ &&
	    h->opts.max_body < HTTP_AUTHZ_MAX_BODY)
		return HTTP_AUTHZ_MAX_BODY;
	return h->opts.max_body;
}

/* The connection may be served, and the request line and framing are sound. */
static int
check_connection(struct request *rq, struct conn_info *conn, const char *version,
                 enum MHD_Result *ret)
{
	const char *framing;

	/* Over a connection cap: told so (at accept, on plain listeners), closed. */
	if (conn != NULL && conn->refused != CONN_SERVED) {
		*ret = conn->told ? MHD_NO
		       : conn->refused == CONN_PEER_FULL
		           ? reply_error_close(rq, ERR_RATE_LIMITED, 1,
		                               "too many connections from this peer")
		           : reply_error_close(rq, ERR_UNAVAILABLE, 1,
		                               "too many connections: try again later");
		return 0;
	}
	/* libmicrohttpd ends the raw target with a NUL written over the space
	 * before the HTTP version: a NUL byte sent inside the target ends it
	 * earlier, and everything past it would silently vanish. */
	if (rq->target_end != NULL && rq->target_end + 1 != version)
		rq->uri_problem = HTTP_URI_NUL;
	if (rq->uri_problem == HTTP_URI_NUL) {
		*ret = reply_error(rq, ERR_BAD_REQUEST, NULL, "the request URI holds a NUL (%%00)");
		return 0;
	}
	if (rq->uri_problem == HTTP_URI_TOO_MANY_ARGS) {
		*ret = reply_error(rq, ERR_URI_TOO_LONG, NULL, "more than %d query arguments",
		                   HTTP_MAX_QUERY_ARGS);
		return 0;
	}
	/* The body's end would be ambiguous: answer, then close the connection
	 * so that no byte of it is read as a next request. */
	if ((framing = http_guard_framing(rq->conn)) != NULL) {
		*ret = reply_error_close(rq, ERR_BAD_REQUEST, 0, framing);
		return 0;
	}
	return 1;
}

/* The URI (with its query) and the headers are within their limits. */
static int
check_sizes(const struct http_opts *o, struct request *rq, const char *url, enum MHD_Result *ret)
{
	struct size_count sc = {0};

	sc.bytes = strlen(url);
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, count_kv, &sc);
	if (sc.bytes > o->max_url) {
		*ret = reply_error(rq, ERR_URI_TOO_LONG, NULL, "request URI longer than %zu bytes",
		                   o->max_url);
		return 0;
	}
	sc.bytes = 0;
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, count_kv, &sc);
	if (sc.bytes > o->max_headers) {
		*ret = reply_error(rq, ERR_HEADERS_TOO_LARGE, NULL,
		                   "request headers larger than %zu bytes", o->max_headers);
		return 0;
	}
	return 1;
}

/* The route of url on l for the method: rq->route and its parameters set, or
 * 404, or 405 with the methods the path has. */
static int
find_route(struct listener *l, struct request *rq, const char *url, enum MHD_Result *ret)
{
	const struct route *match = NULL;
	char allow[128] = "";
	int path_found = 0;
	size_t bufsz = strlen(url) + 1 + HTTP_MAX_PARAMS;

	rq->param_buf = malloc(bufsz);
	if (rq->param_buf == NULL) {
		*ret = MHD_NO;
		return 0;
	}
	/* The first route that matches path and method wins, and the scan ends
	 * there: a later pattern would write its own parameters over the
	 * winner's in param_buf. Allow is complete only when nothing matched,
	 * the one case it is sent. */
	for (size_t i = 0; i < http_nroutes && match == NULL; i++) {
		const struct route *r = &http_routes[i];
		size_t np = 0;
		const char *params[HTTP_MAX_PARAMS];

		if (!(r->listener & l->kind) ||
		    !http_route_match(r->path, url, rq->param_buf, bufsz, params, &np))
			continue;
		path_found = 1;
		if (method_matches(r->method, rq->method)) {
			match = r;
			memcpy(rq->params, params, sizeof(params));
			rq->nparams = (unsigned char)np;
		} else if (strstr(allow, r->method) == NULL) {
			if (allow[0] != '\0')
				strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
			strncat(allow, r->method, sizeof(allow) - strlen(allow) - 1);
			if (strcmp(r->method, "GET") == 0)
				strncat(allow, ", HEAD", sizeof(allow) - strlen(allow) - 1);
		}
	}
	if (!path_found) {
		*ret = reply_error(rq, ERR_NOT_FOUND, NULL, "no such resource: %s", url);
		return 0;
	}
	if (match == NULL) {
		*ret = reply_json_hdr(rq, 405,
		                      reply_error_body(rq, ERR_METHOD_NOT_ALLOWED, NULL,
		                                       "method not allowed on this resource"),
		                      MHD_HTTP_HEADER_ALLOW, allow);
		return 0;
	}
	rq->route = match;
	/* Nothing points into the buffer when the route has no parameters: a
	 * long-poll would otherwise keep it for as long as it waits. */
	if (rq->nparams == 0) {
		free(rq->param_buf);
		rq->param_buf = NULL;
	}
	return 1;
}

/* Who is calling, and whether their role may call rq->route. */
static int
check_caller(const struct auth *auth, struct request *rq, struct conn_info *conn,
             enum MHD_Result *ret)
{
	const struct route *match = rq->route;

	if (auth_identify(auth, rq->peer, http_header(rq, "Authorization"), &conn->auth) != 0) {
		*ret = reply_error(rq, ERR_INTERNAL, NULL, "could not identify the caller");
		return 0;
	}
	if (rq->peer->rate_limited) {
		*ret = reply_json_hdr(rq, 429,
		                      reply_error_body(rq, ERR_RATE_LIMITED, NULL,
		                                       "too many failed authentication attempts"),
		                      "Retry-After", "60");
		return 0;
	}
	if (rq->peer->role < match->min_role &&
	    !((match->flags & ROUTE_HOME_GROUP) && auth_peer_in_home_group(auth, rq->peer))) {
		if (rq->peer->role == ROLE_NONE)
			*ret = reply_json_hdr(
			    rq, 401,
			    reply_error_body(rq, ERR_UNAUTHORIZED, NULL, "credentials required"),
			    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lockset\"");
		else
			*ret = reply_error(
			    rq, ERR_FORBIDDEN, NULL, "role %s required; caller has role %s",
			    auth_role_name(match->min_role), auth_role_name(rq->peer->role));
		return 0;
	}
	return 1;
}

/* A TCP listener answers only for its own names (http_guard_host): a loopback
 * one always, another once --allowed-host names some. A browser's page that
 * has rebound its DNS name to this host still sends that name. */
static int
check_host(const struct listener *l, struct request *rq, enum MHD_Result *ret)
{
	const struct http_opts *o = &l->http->opts;
	const char *host;

	if (l->is_unix || (!l->is_loopback && o->n_allowed_hosts == 0))
		return 1;
	host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (http_guard_host(host, o->allowed_hosts, o->n_allowed_hosts))
		return 1;
	*ret = reply_error(rq, ERR_MISDIRECTED, NULL,
	                   "Host \"%s\" is not a name this listener answers for (localhost, a "
	                   "loopback address, or a name given with --allowed-host)",
	                   host);
	return 0;
}

/* First call for a request: every check that needs no body. Returns 1 when the
 * request may proceed, 0 when a reply has been queued (ret set). */
static int
precheck(struct listener *l, struct request *rq, const char *url, const char *version,
         enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_info *conn = ci != NULL ? ci->socket_context : NULL;
	const char *cl;

	/* Without its connection's state (out of memory when it opened) the
	 * caller is unknown: refused, never served as nobody in particular. */
	if (conn == NULL) {
		*ret = reply_error_close(rq, ERR_UNAVAILABLE, 1, "out of memory: try again later");
		return 0;
	}
	rq->peer = &conn->peer;
	if (!check_connection(rq, conn, version, ret) || !check_host(l, rq, ret) ||
	    !check_sizes(&l->http->opts, rq, url, ret) || !find_route(l, rq, url, ret) ||
	    !check_caller(l->auth, rq, conn, ret))
		return 0;
	cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > body_limit(l->http, rq)) {
		*ret = reply_error(rq, ERR_PAYLOAD_TOO_LARGE, NULL,
		                   "request body larger than %zu bytes", body_limit(l->http, rq));
		return 0;
	}
	return 1;
}

/* A long-poll woken: may its caller still have what it waited for? 1 when
 * so; 0 with the refusal queued (the handler's state is released with the
 * request). */
static int
recheck_caller(struct listener *l, struct request *rq, enum MHD_Result *ret)
{
	struct conn_info *ci = conn_of(rq->conn);

	return ci == NULL || check_caller(l->auth, rq, ci, ret);
}

/* Append a chunk of the body, enforcing the limit. */
static int
body_append(const struct http *h, struct request *rq, const char *data, size_t len)
{
	if (rq->body_len + len > body_limit(h, rq)) {
		rq->body_too_large = 1;
		return 0;
	}
	if (rq->body_len + len + 1 > rq->body_cap) {
		size_t cap = rq->body_cap ? rq->body_cap : 1024;
		char *b;
		while (cap < rq->body_len + len + 1)
			cap *= 2;
		b = realloc(rq->body, cap);
		if (b == NULL)
			return -1;
		rq->body = b;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, data, len);
	rq->body_len += len;
	rq->body[rq->body_len] = '\0';
	return 0;
}

static enum MHD_Result
run_handler(struct request *rq)
{
	if ((rq->route->flags & ROUTE_JSON_BODY) && rq->json == NULL) {
		json_error_t jerr;
		struct problems p = PROBLEMS_INIT;
		enum MHD_Result ret;

		if (!rq->has_body || rq->body_len == 0)
			return reply_error(rq, ERR_INVALID_JSON, NULL,
			                   "a JSON request body is required");
		rq->json = json_loadb(rq->body, rq->body_len,
		                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (rq->json == NULL) {
			problems_add_at(&p, "", jerr.line, jerr.column, "%s", jerr.text);
			ret = reply_error(rq, ERR_INVALID_JSON, &p,
			                  "request body is not valid JSON: line %d, column %d: %s",
			                  jerr.line, jerr.column, jerr.text);
			problems_clear(&p);
			return ret;
		}
	}
	return rq->route->handler(rq);
}

/* libmicrohttpd's URI logger: called with the raw request target before the
 * query is split off and decoded, the one point where %00 and the number of
 * arguments can still be seen. The request state starts here. */
void *
http_uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq = calloc(1, sizeof(*rq));

	(void)cls;
	(void)conn;
	/* uri points into libmicrohttpd's own line buffer, which it writes to
	 * itself right after this call; http_guard_uri may cut the query off. */
	if (rq != NULL) {
		rq->target_end = uri + strlen(uri);
		rq->uri_problem = (unsigned char)http_guard_uri((char *)(uintptr_t)uri);
	}
	return rq;
}

/* The plugin socket serves one request per connection: every reply says
 * "Connection: close" and the connection ends with it. dockerd's plugin
 * client, when a connection fails under a request it has written (a kept
 * connection that a stopping daemon, or the idle timeout, closes just as
 * dockerd reuses it), sends the request again with its body already spent:
 * a body-less AuthZReq, which must be and is refused, failing the docker
 * call. A connection that only ever carries one request cannot be closed
 * under a second one: it is served whole (http_stop waits for it), and any
 * other waits in the socket's backlog for the next daemon. libmicrohttpd
 * closes after the reply when the request asked so: say it did. */
static void
close_after_reply(struct MHD_Connection *conn)
{
	MHD_set_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION, "close");
}

enum MHD_Result
http_dispatch(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **req_cls)
{
	struct listener *l = cls;
	struct request *rq = *req_cls;
	enum MHD_Result ret = MHD_YES;

	if (rq == NULL || rq->conn == NULL) {
		if (rq == NULL && (rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*req_cls = rq;
		rq->started_ns = metrics_now_ns();
		rq->srv = l->srv;
		rq->conn = conn;
		rq->method = method;
		rq->url = url;
		if (!precheck(l, rq, url, version, &ret))
			rq->refused = 1;
		/* After precheck, which counts the headers the client sent. */
		if (l->kind == LISTEN_AUTHZ)
			close_after_reply(conn);
		return ret;
	}
	if (rq->refused)
		return MHD_YES; /* reply already queued; discard any body */
	if (*upload_data_size > 0) {
		rq->has_body = 1;
		if (!(rq->route->flags & (ROUTE_JSON_BODY | ROUTE_RAW_BODY))) {
			*upload_data_size = 0; /* routes without a body ignore it */
			return MHD_YES;
		}
		if (body_append(l->http, rq, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		if (rq->body_too_large) {
			rq->refused = 1;
			return reply_error(rq, ERR_PAYLOAD_TOO_LARGE, NULL,
			                   "request body larger than %zu bytes",
			                   body_limit(l->http, rq));
		}
		return MHD_YES;
	}
	if (!rq->dispatched) {
		struct conn_info *ci = conn_of(conn);

		rq->dispatched = 1;
		if (ci != NULL)
			http_conn_busy(ci, 1); /* arrived whole: no deadline while handled */
		if (rq->body == NULL && rq->has_body)
			body_append(l->http, rq, "", 0);
	} else if (rq->hstate != NULL && (rq->route->flags & ROUTE_WAITS) &&
	           !recheck_caller(l, rq, &ret)) {
		return ret; /* woken: its token was revoked or expired meanwhile */
	}
	return run_handler(rq);
}

void
http_wait_init(struct http_wait *w, struct request *rq)
{
	w->rq = rq;
	w->state = 0;
}

void
http_wait_suspend(struct http_wait *w)
{
	int expected = 0;

	MHD_suspend_connection(w->rq->conn);
	/* Done already? Then nothing else will resume us: do it now. */
	if (!__atomic_compare_exchange_n(&w->state, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		MHD_resume_connection(w->rq->conn);
}

void
http_wait_done(struct http_wait *w)
{
	if (__atomic_exchange_n(&w->state, 2, __ATOMIC_ACQ_REL) == 1)
		MHD_resume_connection(w->rq->conn);
}

const char *
http_query(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void
http_metrics(const struct http *h, FILE *out)
{
	char labels[256];

	metrics_hist_header(out, "lockset_http_request_duration_seconds",
	                    "Time from the request line to the end of the reply, by route "
	                    "(long-polls included).");
	for (size_t i = 0; i < http_nroutes && i < HTTP_METRICS_ROUTES; i++) {
		snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"",
		         http_routes[i].method, http_routes[i].path);
		metrics_hist_print(out, "lockset_http_request_duration_seconds", labels,
		                   &h->route_latency[i]);
	}
	metrics_hist_print(out, "lockset_http_request_duration_seconds",
	                   "method=\"\",route=\"unmatched\"",
	                   &h->route_latency[HTTP_METRICS_ROUTES]);
	http_conn_metrics(h->conns, out);
}
