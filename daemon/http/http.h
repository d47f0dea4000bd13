/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP front door: libmicrohttpd listeners (Unix and TCP), request limits,
 * peer identification, and the one dispatcher that runs every generic check
 * (size limits, route lookup, 404/405, authentication and role, JSON body
 * parsing) before a handler sees the request. */
#ifndef LOCKSET_HTTP_H
#define LOCKSET_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "auth.h"

/* Which listener class a route is served on. */
enum listener_kind { LISTEN_API = 1, LISTEN_AUTHZ = 2 };

struct request;
struct server; /* the daemon's state (server.h): opaque here, passed to handlers */
/* The front door: its listeners, the options it serves with, its connection
 * registry and its request metrics. struct server owns the daemon's one. */
struct http;
typedef enum MHD_Result (*handler_fn)(struct request *rq);

/* Route flags. */
#define ROUTE_JSON_BODY 0x1 /* the body must be a JSON value; parsed into rq->json */
#define ROUTE_RAW_BODY  0x2 /* the body is read but not parsed */
/* A Unix peer in --home-group may call the route whatever its role (reading
 * a decision by id: developers read the refusals of their own requests). */
#define ROUTE_HOME_GROUP 0x4
/* A long-poll: when it wakes, its caller is identified again, so a token
 * revoked or expired while it waited gets 401, not what it waited for. */
#define ROUTE_WAITS 0x8

struct route {
	const char *method;
	const char *path; /* segments; "{name}" matches one segment */
	handler_fn handler;
	enum role min_role;
	unsigned flags;
	enum listener_kind listener;
	const char *summary;
};

#define HTTP_MAX_PARAMS 3

/* One per request, and every long-poll holds its own while it waits (10,000
 * waiters are 10,000 of these): the pointers come first and the flags last,
 * in bytes, so that the struct has no padding to carry. */
struct request {
	struct server *srv; /* the daemon's state, as given to http_start */
	struct MHD_Connection *conn;
	const struct route *route;
	const char *method;
	const char *url;   /* path, without the query string */
	struct peer *peer; /* the caller: its connection's, identified again for every
	                      request (check_caller); set before any handler runs */
	char *body;        /* NUL-terminated copy of the body (NULL when none) */
	size_t body_len;
	json_t *json;                        /* parsed body for ROUTE_JSON_BODY routes (owned) */
	const char *params[HTTP_MAX_PARAMS]; /* path parameters, decoded */

	/* Handler-owned state across suspend/resume (long-poll). */
	void *hstate;
	void (*hstate_free)(void *hstate);

	/* Dispatcher bookkeeping. */
	unsigned long long started_ns; /* when the request line arrived (metrics) */
	size_t body_cap;
	char *param_buf;        /* what params point into; NULL when the route has none */
	const char *target_end; /* where the raw target's first NUL was, in MHD's buffer */
	unsigned char nparams;  /* at most HTTP_MAX_PARAMS */
	unsigned char has_body; /* a body (possibly empty) was sent */
	unsigned char dispatched;
	unsigned char refused; /* a reply was already queued by the dispatcher */
	unsigned char body_too_large;
	unsigned char uri_problem; /* enum http_uri_problem, found before MHD parsed the target */
};

/* Limits and listener settings, filled from the daemon config. */
struct http_opts {
	size_t max_body;       /* bytes; larger bodies get 413 */
	size_t max_url;        /* bytes of path + query; longer gets 414 */
	size_t max_headers;    /* bytes of all request headers; more gets 431 */
	unsigned conn_timeout; /* seconds of inactivity before a connection is closed */
	unsigned threads;      /* worker threads per listener; 0 = one per core */
	const char *tls_cert;  /* PEM file paths, both or neither */
	const char *tls_key;
	int allow_insecure_tcp;   /* permit a non-loopback TCP listener without TLS */
	unsigned max_connections; /* served per REST listener; 0: from the descriptor limit */
	unsigned max_per_peer;    /* ... per peer (uid, TCP address); 0: the listener's cap */
	/* Host names TCP listeners answer to besides localhost and loopback
	 * addresses (borrowed); with none, a listener on another address answers
	 * any Host, a loopback one only those. */
	char *const *allowed_hosts;
	size_t n_allowed_hosts;
	const struct auth *auth; /* who callers are (borrowed, must outlive http_stop) */
};

/* A front door with no listener; NULL when out of memory. */
struct http *http_new(void);
/* Stop it (http_stop(h, 0) if it still has listeners) and release it.
 * Accepts NULL. */
void http_free(struct http *h);

/* Open a listener of h. spec is "unix:PATH" or "HOST:PORT" ("[::1]:8080" for
 * IPv6). Unix sockets are created with mode 0660. Returns 0, or -1 with *err
 * set (malloc'd). Call before http_start(). */
int http_listen(struct http *h, const char *spec, enum listener_kind kind, char **err);
/* The same with a socket already bound and listening (socket activation);
 * takes fd. Its Unix socket file is left in place at http_stop: it belongs
 * to whoever passed it. */
int http_listen_fd(struct http *h, const char *spec, enum listener_kind kind, int fd, char **err);
/* Start serving every listener h has opened; every request carries srv to
 * its handler (rq->srv), and callers are identified by opts->auth (opts is
 * copied). Returns 0 or -1 (logged). */
int http_start(struct http *h, const struct http_opts *opts, struct server *srv);
/* Stop accepting, let in-flight requests finish (up to grace_ms), those a
 * worker was still accepting included, stop, and remove Unix socket files
 * (not inherited ones). h keeps no listener afterwards. */
void http_stop(struct http *h, unsigned grace_ms);
/* Raise RLIMIT_NOFILE to its hard limit (first thing at start-up); the
 * connection caps are then planned from it. Returns the limit. */
long http_raise_fd_limit(void);
/* Connections h's REST listeners serve at once, in all. */
unsigned http_rest_capacity(const struct http *h);
/* The request's socket (to watch for the client going while it waits), or -1. */
int http_request_fd(struct request *rq);
/* Check that a listen spec is well formed without opening it. */
int http_listen_spec_valid(const char *spec, char **err);

/* h's request latency histograms, one per route, and its connections per
 * listener (Prometheus text). */
void http_metrics(const struct http *h, FILE *out);

/* Request accessors. */
const char *http_query(struct request *rq, const char *name);
const char *http_header(struct request *rq, const char *name);

/* Does the route pattern ("/v1/x/{name}") match url? Path parameters are
 * copied into buf (bufsz bytes) and pointed to by params. 1 on a match. */
int http_route_match(const char *pattern, const char *url, char *buf, size_t bufsz,
                     const char **params, size_t *nparams);

/* The route table (routes.c) and its size. */
extern const struct route http_routes[];
extern const size_t http_nroutes;

/* The one way a handler suspends its request: to wait for work finished by
 * another thread (an audit commit, a decision's lookups, a policy change for
 * a long-poll), which may be done before the handler gets to suspend. The
 * handler calls http_wait_init(), starts the work (or registers the waiter),
 * then calls http_wait_suspend(); the other thread calls http_wait_done().
 * Whichever comes second resumes the request, which is then dispatched to
 * the handler again. A resumed handler may wait again: http_wait_init()
 * starts a new round. Extra http_wait_done() calls in a round do nothing. */
struct http_wait {
	struct request *rq;
	int state; /* 0 started, 1 suspended, 2 done */
};
void http_wait_init(struct http_wait *w, struct request *rq);
void http_wait_suspend(struct http_wait *w);
void http_wait_done(struct http_wait *w);

#endif
