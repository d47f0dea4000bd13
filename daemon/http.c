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
#include "log.h"
#include "metrics.h"
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

#define HTTP_MAX_LISTENERS 16
/* TLS 1.2 and 1.3 only; in TLS 1.2 only forward-secret key exchanges
 * (ECDHE) with AEAD ciphers: no static RSA, no CBC, no SHA-1 MACs. TLS 1.3
 * suites are all both. */
#define HTTP_TLS_PRIORITIES                                                           \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"
/* dockerd forwards Engine bodies below 1 MiB, base64-encoded inside the AuthZReq
 * envelope: the plugin socket must take a third more than that. */
#define HTTP_AUTHZ_MAX_BODY (2 * 1024 * 1024)

struct listener {
	char *spec;
	enum listener_kind kind;
	int fd;
	int is_unix;
	int is_loopback;
	int inherited; /* passed by the service manager: its socket file stays */
	char *unix_path;
	struct MHD_Daemon *daemon;
	struct conn_limits *limits; /* its connection caps (http_conn.c) */
};

/* Request latency per route; the last slot counts requests that matched none. */
#define HTTP_METRICS_ROUTES 128
static struct metrics_hist route_latency[HTTP_METRICS_ROUTES + 1];

static struct listener listeners[HTTP_MAX_LISTENERS];
static size_t nlisteners;
static struct http_opts opts;
static char *tls_cert_pem, *tls_key_pem;

/* ------------------------------------------------------------------------ */
/* Listen specs */

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != NULL && vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return -1;
}

/* Split "HOST:PORT" or "[V6]:PORT" into host and port (malloc'd host). */
static int
split_host_port(const char *spec, char **host, char **port, char **err)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (end == NULL || end[1] != ':')
			return fail(err, "listen \"%s\": expected [IPV6]:PORT", spec);
		*host = strndup(spec + 1, (size_t)(end - spec - 1));
		*port = strdup(end + 2);
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon)
			return fail(err, "listen \"%s\": expected HOST:PORT or unix:PATH", spec);
		*host = strndup(spec, (size_t)(colon - spec));
		*port = strdup(colon + 1);
	}
	if (*host == NULL || *port == NULL) {
		free(*host);
		free(*port);
		return fail(err, "listen \"%s\": out of memory", spec);
	}
	return 0;
}

static int
port_valid(const char *port)
{
	char *end;
	long v;

	if (*port == '\0')
		return 0;
	errno = 0;
	v = strtol(port, &end, 10);
	return errno == 0 && *end == '\0' && v >= 0 && v <= 65535;
}

int
http_listen_spec_valid(const char *spec, char **err)
{
	char *host = NULL, *port = NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	int ok;

	if (strncmp(spec, "unix:", 5) == 0) {
		size_t len = strlen(spec + 5);
		if (len == 0 || spec[5] != '/')
			return fail(err, "listen \"%s\": unix socket path must be absolute", spec);
		if (len >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return fail(err, "listen \"%s\": unix socket path too long", spec);
		return 0;
	}
	if (split_host_port(spec, &host, &port, err) != 0)
		return -1;
	ok = port_valid(port) &&
	     (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1 ||
	      strcmp(host, "localhost") == 0);
	free(host);
	free(port);
	if (!ok)
		return fail(err,
		            "listen \"%s\": expected an IPv4 or IPv6 address (or localhost) and a "
		            "port 0-65535",
		            spec);
	return 0;
}

static int
open_unix(struct listener *l, const char *path, char **err)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	/* A stale socket from a previous run is replaced; anything else is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(err, "%s: exists and is not a socket", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, "%s: socket: %s", path, strerror(errno));
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		umask(old);
		close(fd);
		return fail(err, "%s: bind: %s", path, strerror(e));
	}
	umask(old);
	if (chmod(path, 0660) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return fail(err, "%s: %s", path, strerror(e));
	}
	l->fd = fd;
	l->is_unix = 1;
	l->unix_path = strdup(path);
	return 0;
}

static int
open_tcp(struct listener *l, const char *spec, char **err)
{
	struct addrinfo hints, *res = NULL;
	char *host = NULL, *port = NULL;
	int fd = -1, one = 1, rc = -1, gai;

	if (split_host_port(spec, &host, &port, err) != 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (strcmp(host, "localhost") != 0)
		hints.ai_flags |= AI_NUMERICHOST;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		fail(err, "listen \"%s\": %s", spec, gai_strerror(gai));
		goto out;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(err, "listen \"%s\": socket: %s", spec, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		fail(err, "listen \"%s\": %s", spec, strerror(errno));
		close(fd);
		fd = -1;
		goto out;
	}
	if (res->ai_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
		l->is_loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)res->ai_addr;
		l->is_loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	l->fd = fd;
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

int
http_listen(const char *spec, enum listener_kind kind, char **err)
{
	struct listener *l;
	int rc;

	if (nlisteners == HTTP_MAX_LISTENERS)
		return fail(err, "listen \"%s\": too many listeners", spec);
	if (http_listen_spec_valid(spec, err) != 0)
		return -1;
	l = &listeners[nlisteners];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->kind = kind;
	if (strncmp(spec, "unix:", 5) == 0)
		rc = open_unix(l, spec + 5, err);
	else
		rc = open_tcp(l, spec, err);
	if (rc != 0)
		return -1;
	l->spec = strdup(spec);
	nlisteners++;
	return 0;
}

int
http_listen_fd(const char *spec, enum listener_kind kind, int fd, char **err)
{
	struct listener *l;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (nlisteners == HTTP_MAX_LISTENERS) {
		close(fd);
		return fail(err, "listen \"%s\": too many listeners", spec);
	}
	l = &listeners[nlisteners];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->kind = kind;
	l->inherited = 1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		l->is_unix = ss.ss_family == AF_UNIX;
		if (ss.ss_family == AF_INET)
			l->is_loopback =
			    (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
		else if (ss.ss_family == AF_INET6)
			l->is_loopback =
			    IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	}
	l->spec = strdup(spec);
	nlisteners++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Peers */

static void
notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct conn_info *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_context != NULL)
			http_conn_closed(*socket_context);
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	ci = calloc(1, sizeof(*ci));
	if (ci == NULL)
		return;
	ci->peer.uid = (uid_t)-1;
	ci->peer.gid = (gid_t)-1;
	{
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		ci->fd = info != NULL ? info->connect_fd : -1;
	}
	if (l->is_unix) {
		struct ucred cred;
		socklen_t len = sizeof(cred);

		ci->peer.is_unix = 1;
		if (ci->fd >= 0 && getsockopt(ci->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			ci->peer.uid = cred.uid;
			ci->peer.gid = cred.gid;
			ci->peer.pid = cred.pid;
		}
		snprintf(ci->peer.addr, sizeof(ci->peer.addr), "unix:uid=%ld",
		         (long)(int)ci->peer.uid);
		/* Resolved once per connection: group lookups are not free. */
		ci->peer.role = auth_unix_role(ci->peer.uid, ci->peer.gid);
	} else {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		if (info != NULL && info->client_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)info->client_addr;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
			snprintf(ci->peer.addr, sizeof(ci->peer.addr), "%s:%u", host, port);
		} else if (info != NULL && info->client_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)info->client_addr;
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
			snprintf(ci->peer.addr, sizeof(ci->peer.addr), "[%s]:%u", host, port);
		}
	}
	*socket_context = ci;
	if (l->limits != NULL)
		http_conn_opened(l->limits, ci, conn);
}

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

static void
request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                  enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;
	struct conn_info *ci;

	if (rq != NULL) {
		size_t i = rq->route ? (size_t)(rq->route - http_routes) : HTTP_METRICS_ROUTES;
		metrics_observe_since(
		    &route_latency[i < HTTP_METRICS_ROUTES ? i : HTTP_METRICS_ROUTES],
		    rq->started_ns);
	}
	/* The next request must arrive whole within the deadline again. */
	if (rq != NULL && rq->dispatched && (ci = conn_of(conn)) != NULL)
		http_conn_busy(ci, 0);
	request_free(rq);
	*req_cls = NULL;
}

static size_t
body_limit(const struct request *rq)
{
	if (rq->route != NULL && rq->route->listener == LISTEN_AUTHZ &&
	    opts.max_body < HTTP_AUTHZ_MAX_BODY)
		return HTTP_AUTHZ_MAX_BODY;
	return opts.max_body;
}

/* The prechecks below share one convention: 1 when the request may go on,
 * 0 when a reply has been queued (*ret set). */

/* Over a connection cap: told so (at accept, on plain listeners), closed. */
static int
check_conn(struct request *rq, const struct conn_info *conn, enum MHD_Result *ret)
{
	if (conn == NULL || conn->refused == CONN_SERVED)
		return 1;
	*ret =
	    conn->told ? MHD_NO
	    : conn->refused == CONN_PEER_FULL
	        ? reply_error_close(rq, ERR_RATE_LIMITED, 1, "too many connections from this peer")
	        : reply_error_close(rq, ERR_UNAVAILABLE, 1,
	                            "too many connections: try again later");
	return 0;
}

/* The request line and headers: a NUL in the target, too many arguments,
 * ambiguous framing, an over-long URI, over-large headers. */
static int
check_target(struct request *rq, const char *url, const char *version, enum MHD_Result *ret)
{
	struct size_count sc = {0};
	const char *framing;

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
	sc.bytes = strlen(url);
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, count_kv, &sc);
	if (sc.bytes > opts.max_url) {
		*ret = reply_error(rq, ERR_URI_TOO_LONG, NULL, "request URI longer than %zu bytes",
		                   opts.max_url);
		return 0;
	}
	sc.bytes = 0;
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, count_kv, &sc);
	if (sc.bytes > opts.max_headers) {
		*ret = reply_error(rq, ERR_HEADERS_TOO_LARGE, NULL,
		                   "request headers larger than %zu bytes", opts.max_headers);
		return 0;
	}
	return 1;
}

/* Add method (and HEAD with GET) to the Allow list being built in allow. */
static void
allow_add(char *allow, size_t size, const char *method)
{
	if (strstr(allow, method) != NULL)
		return;
	if (allow[0] != '\0')
		strncat(allow, ", ", size - strlen(allow) - 1);
	strncat(allow, method, size - strlen(allow) - 1);
	if (strcmp(method, "GET") == 0)
		strncat(allow, ", HEAD", size - strlen(allow) - 1);
}

/* The route for this listener, path and method, with its path parameters:
 * 404 when no route has the path, 405 with Allow when none has the method. */
static int
find_route(const struct listener *l, struct request *rq, const char *url, enum MHD_Result *ret)
{
	const struct route *match = NULL;
	char allow[128] = "";
	int path_found = 0;

	rq->param_buf = malloc(strlen(url) + 1 + HTTP_MAX_PARAMS);
	if (rq->param_buf == NULL) {
		*ret = MHD_NO;
		return 0;
	}
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct route *r = &http_routes[i];
		size_t np = 0;
		const char *params[HTTP_MAX_PARAMS];

		if (!(r->listener & l->kind) ||
		    !http_route_match(r->path, url, rq->param_buf,
		                      strlen(url) + 1 + HTTP_MAX_PARAMS, params, &np))
			continue;
		path_found = 1;
		allow_add(allow, sizeof(allow), r->method);
		if (match == NULL && method_matches(r->method, rq->method)) {
			match = r;
			memcpy(rq->params, params, sizeof(params));
			rq->nparams = np;
		}
	}
	if (!path_found) {
		*ret = reply_error(rq, ERR_NOT_FOUND, NULL, "no such resource: %s", url);
		return 0;
	}
	if (match == NULL) {
		*ret = reply_json_hdr(rq, 405,
		                      reply_error_body(ERR_METHOD_NOT_ALLOWED, NULL,
		                                       "method not allowed on this resource"),
		                      MHD_HTTP_HEADER_ALLOW, allow);
		return 0;
	}
	rq->route = match;
	return 1;
}

/* Who is calling, and whether that caller may use rq->route. */
static int
check_caller(struct request *rq, struct conn_info *conn, enum MHD_Result *ret)
{
	const struct route *match = rq->route;

	if (auth_identify(rq, conn != NULL ? &conn->auth : NULL) != 0) {
		*ret = reply_error(rq, ERR_INTERNAL, NULL, "could not identify the caller");
		return 0;
	}
	if (rq->peer.rate_limited) {
		*ret = reply_json_hdr(rq, 429,
		                      reply_error_body(ERR_RATE_LIMITED, NULL,
		                                       "too many failed authentication attempts"),
		                      "Retry-After", "60");
		return 0;
	}
	if (rq->peer.role >= match->min_role ||
	    ((match->flags & ROUTE_HOME_GROUP) && auth_peer_in_home_group(&rq->peer)))
		return 1;
	if (rq->peer.role == ROLE_NONE)
		*ret = reply_json_hdr(
		    rq, 401, reply_error_body(ERR_UNAUTHORIZED, NULL, "credentials required"),
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lockset\"");
	else
		*ret = reply_error(rq, ERR_FORBIDDEN, NULL, "role %s required; caller has role %s",
		                   auth_role_name(match->min_role), auth_role_name(rq->peer.role));
	return 0;
}

/* A declared body larger than the route allows is refused before it is read. */
static int
check_length(struct request *rq, enum MHD_Result *ret)
{
	const char *cl =
	    MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (cl != NULL && strtoull(cl, NULL, 10) > body_limit(rq)) {
		*ret = reply_error(rq, ERR_PAYLOAD_TOO_LARGE, NULL,
		                   "request body larger than %zu bytes", body_limit(rq));
		return 0;
	}
	return 1;
}

/* First call for a request: every check that needs no body, in order. Returns
 * 1 when the request may proceed, 0 when a reply has been queued (ret set). */
static int
precheck(struct listener *l, struct request *rq, const char *url, const char *version,
         enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_info *conn = ci != NULL ? ci->socket_context : NULL;

	if (conn != NULL)
		rq->peer = conn->peer;
	return check_conn(rq, conn, ret) && check_target(rq, url, version, ret) &&
	       find_route(l, rq, url, ret) && check_caller(rq, conn, ret) && check_length(rq, ret);
}

/* Append a chunk of the body, enforcing the limit. */
static int
body_append(struct request *rq, const char *data, size_t len)
{
	if (rq->body_len + len > body_limit(rq)) {
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
static void *
uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq = calloc(1, sizeof(*rq));

	(void)cls;
	(void)conn;
	/* uri points into libmicrohttpd's own line buffer, which it writes to
	 * itself right after this call; http_guard_uri may cut the query off. */
	if (rq != NULL) {
		rq->target_end = uri + strlen(uri);
		rq->uri_problem = (int)http_guard_uri((char *)(uintptr_t)uri);
	}
	return rq;
}

static enum MHD_Result
dispatch(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
         const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct listener *l = cls;
	struct request *rq = *req_cls;
	enum MHD_Result ret = MHD_YES;

	if (rq == NULL || rq->conn == NULL) {
		if (rq == NULL && (rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*req_cls = rq;
		rq->started_ns = metrics_now_ns();
		rq->conn = conn;
		rq->method = method;
		rq->url = url;
		if (!precheck(l, rq, url, version, &ret))
			rq->refused = 1;
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
		if (body_append(rq, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		if (rq->body_too_large) {
			rq->refused = 1;
			return reply_error(rq, ERR_PAYLOAD_TOO_LARGE, NULL,
			                   "request body larger than %zu bytes", body_limit(rq));
		}
		return MHD_YES;
	}
	if (!rq->dispatched) {
		struct conn_info *ci = conn_of(conn);

		rq->dispatched = 1;
		if (ci != NULL)
			http_conn_busy(ci, 1); /* arrived whole: no deadline while handled */
		if (rq->body == NULL && rq->has_body)
			body_append(rq, "", 0);
	}
	return run_handler(rq);
}

void
http_suspend(struct request *rq)
{
	MHD_suspend_connection(rq->conn);
}

void
http_resume(struct request *rq)
{
	MHD_resume_connection(rq->conn);
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
http_metrics(FILE *out)
{
	char labels[256];

	metrics_hist_header(out, "lockset_http_request_duration_seconds",
	                    "Time from the request line to the end of the reply, by route "
	                    "(long-polls included).");
	for (size_t i = 0; i < http_nroutes && i < HTTP_METRICS_ROUTES; i++) {
		snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"",
		         http_routes[i].method, http_routes[i].path);
		metrics_hist_print(out, "lockset_http_request_duration_seconds", labels,
		                   &route_latency[i]);
	}
	metrics_hist_print(out, "lockset_http_request_duration_seconds",
	                   "method=\"\",route=\"unmatched\"", &route_latency[HTTP_METRICS_ROUTES]);
	http_conn_metrics(out);
}

/* ------------------------------------------------------------------------ */
/* Start and stop */

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

static char *
read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap + 8192);
			if (b == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
			cap += 8192;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0 && len < 1024 * 1024);
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

/* Per-connection memory: room for the largest request line and headers we
 * accept (so our own 414/431 replies, in the JSON error shape, can be sent)
 * plus working space. MHD clears the pool after every request, so it is kept
 * no larger than that: it is paid for on the hottest path. */
static size_t
pool_size(void)
{
	size_t n = opts.max_url + opts.max_headers + 4096;

	return (n + 4095) & ~(size_t)4095;
}

/* Every listener's connection caps, from the descriptor budget. */
static int
plan_limits(void)
{
	struct conn_caps api, authz, caps;
	size_t n_api = 0, n_unix = 0, n_authz = 0;

	for (size_t i = 0; i < nlisteners; i++) {
		n_authz += listeners[i].kind == LISTEN_AUTHZ;
		n_api += listeners[i].kind != LISTEN_AUTHZ;
		n_unix += listeners[i].kind != LISTEN_AUTHZ && listeners[i].is_unix;
	}
	if (http_conn_plan(n_api, n_unix, n_authz, opts.max_connections, opts.max_per_peer, &api,
	                   &authz) != 0)
		return -1;
	for (size_t i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];

		caps = l->kind == LISTEN_AUTHZ ? authz : api;
		if (!l->is_unix)
			caps.admin = 0; /* root is known by SO_PEERCRED only */
		caps.plain = l->is_unix || tls_cert_pem == NULL;
		if ((l->limits = http_conn_limits_new(l->spec, &caps)) == NULL)
			return -1;
	}
	return 0;
}

long
http_raise_fd_limit(void)
{
	return http_conn_raise_fd_limit();
}

unsigned
http_rest_capacity(void)
{
	return http_conn_rest_capacity();
}

int
http_request_fd(struct request *rq)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return info != NULL ? info->connect_fd : -1;
}

int
http_start(const struct http_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads;

	opts = *o;
	threads = opts.threads ? opts.threads : (ncpu > 0 ? (unsigned)ncpu : 2);
	if (opts.tls_cert != NULL && opts.tls_key != NULL) {
		tls_cert_pem = read_pem(opts.tls_cert);
		tls_key_pem = read_pem(opts.tls_key);
		if (tls_cert_pem == NULL || tls_key_pem == NULL) {
			log_warn("cannot read TLS certificate %s or key %s", opts.tls_cert,
			         opts.tls_key);
			return -1;
		}
	}
	if (plan_limits() != 0 || http_conn_start(opts.conn_timeout) != 0)
		return -1;
	for (size_t i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
		int tls = !l->is_unix && tls_cert_pem != NULL;

		if (!l->is_unix && !l->is_loopback && !tls && !opts.allow_insecure_tcp) {
			log_warnx("listen %s: refusing a non-loopback TCP listener without TLS "
			          "(give --tls-cert and --tls-key, or --allow-insecure-tcp)",
			          l->spec);
			return -1;
		}
		/* TURBO leaves a TLS handshake that never completes spinning a
		 * worker and its descriptor unreleased (libmicrohttpd 0.9.75):
		 * TLS listeners go without it. */
		if (tls)
			flags = (flags & ~(unsigned)MHD_USE_TURBO) | MHD_USE_TLS;
		{
			struct MHD_OptionItem mo[16];
			int n = 0;
			/* The logger first, so that MHD reports nothing past it. */
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
			                                  (intptr_t)mhd_log, NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, l->fd, NULL};
			mo[n++] =
			    (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
			                                  opts.conn_timeout, NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			                                  pool_size(), NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
			                                  http_conn_mhd_limit(l->limits), NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
			                                  (intptr_t)notify_connection, l};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
			                                  (intptr_t)request_completed, NULL};
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
			                                  (intptr_t)uri_seen, NULL};
			if (tls) {
				mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
				                                  tls_key_pem};
				mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
				                                  tls_cert_pem};
				mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
				                                  (void *)HTTP_TLS_PRIORITIES};
			}
			mo[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
			l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, dispatch, l,
			                             MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
		}
		if (l->daemon == NULL) {
			log_warnx("listen %s: cannot start the HTTP server", l->spec);
			return -1;
		}
		log_info("listening on %s%s", l->spec, tls ? " (TLS)" : "");
	}
	return 0;
}

void
http_stop(unsigned grace_ms)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	unsigned waited = 0;

	for (size_t i = 0; i < nlisteners; i++) {
		if (listeners[i].daemon != NULL) {
			int fd = (int)MHD_quiesce_daemon(listeners[i].daemon);
			if (fd >= 0)
				close(fd);
			listeners[i].fd = -1;
		}
		if (listeners[i].unix_path != NULL && !listeners[i].inherited)
			unlink(listeners[i].unix_path);
	}
	/* Let in-flight requests finish. */
	for (;;) {
		unsigned active = 0;
		for (size_t i = 0; i < nlisteners; i++) {
			const union MHD_DaemonInfo *info;
			if (listeners[i].daemon == NULL)
				continue;
			info = MHD_get_daemon_info(listeners[i].daemon,
			                           MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
			if (info != NULL)
				active += info->num_connections;
		}
		if (active == 0 || waited >= grace_ms)
			break;
		nanosleep(&ts, NULL);
		waited += 20;
	}
	http_conn_stop();
	for (size_t i = 0; i < nlisteners; i++) {
		if (listeners[i].daemon != NULL)
			MHD_stop_daemon(listeners[i].daemon);
		http_conn_limits_free(listeners[i].limits);
		if (listeners[i].fd >= 0)
			close(listeners[i].fd);
		free(listeners[i].spec);
		free(listeners[i].unix_path);
		memset(&listeners[i], 0, sizeof(listeners[i]));
	}
	nlisteners = 0;
	free(tls_cert_pem);
	free(tls_key_pem);
	tls_cert_pem = tls_key_pem = NULL;
}
