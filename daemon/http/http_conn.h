/* SPDX-License-Identifier: Apache-2.0 */
/* Connections: who may hold one, and for how long. The descriptor budget
 * (RLIMIT_NOFILE, raised to the hard limit at start-up) is split so that no
 * flood on the REST listeners can take what the plugin socket, root on the
 * Unix socket, or the daemon itself (SQLite, logs, watches) need; each REST
 * listener caps its connections and each peer's (uid for Unix peers, address
 * for TCP); an excess connection gets a JSON 503 or 429 and is closed; and a
 * connection that does not deliver a whole request within the connection
 * timeout (a slowloris client, a TLS handshake that never ends) is cut.
 * Internal to the HTTP front door: each struct http owns one registry. */
#ifndef LOCKSET_HTTP_CONN_H
#define LOCKSET_HTTP_CONN_H

#include "auth.h"
#include "http.h"

#include <stdio.h>

/* Descriptors kept for the daemon itself: SQLite (the writer and up to 32
 * readers, each with its database, WAL and SHM), listeners, epoll and
 * signalling descriptors of every worker, logs, watches, engine lookups. */
#define HTTP_FD_RESERVE_INTERNAL 192
/* Connections of each plugin socket: dockerd asks over a few at a time. */
#define HTTP_AUTHZ_CONNECTIONS 128
/* Connections on each REST Unix socket that only root (uid 0) may use. */
#define HTTP_ADMIN_RESERVE 16

struct conn_limits;
/* Every open connection and every listener's accounting of one struct http,
 * under one lock; and its deadline janitor. */
struct conn_registry;

/* Why a connection is not served. */
enum conn_refusal {
	CONN_SERVED = 0,
	CONN_LISTENER_FULL, /* the listener serves its cap already: 503 */
	CONN_PEER_FULL,     /* this peer holds its cap already: 429 */
};

struct peer_count;

/* Per-connection state, made when the connection opens (http.c). Every
 * open connection carries one, each long-poll's too: the 4-byte fields sit
 * together between the peer and the 8-byte ones. */
struct conn_info {
	struct peer peer;
	int fd;
	enum conn_refusal refused;
	int root;                /* a uid 0 Unix peer: may use the admin reserve */
	int busy;                /* a request is being handled (atomic) */
	int cut;                 /* shut down for taking too long */
	int told;                /* refused: the canned reply was written at once */
	long long since;         /* monotonic seconds: opened, or last request done */
	struct auth_cache *auth; /* the last verified token (owned; NULL: none yet) */
	struct conn_limits *limits;
	struct peer_count *counted; /* its peer's count, when counted against the peer's cap */
	struct conn_info *prev, *next;
};

/* The caps of one listener. */
struct conn_caps {
	unsigned hard;     /* libmicrohttpd's limit: accepted at most */
	unsigned soft;     /* served at most (non-root); the rest are refused */
	unsigned per_peer; /* one peer's connections at most */
	unsigned admin;    /* more, for root only (Unix REST sockets) */
	int plain;         /* not TLS: a refusal can be written at accept */
	int authz;         /* a plugin socket */
};

/* Raise RLIMIT_NOFILE's soft limit to the hard one. Returns the new soft
 * limit (logged). Called once, first thing at start-up. */
long http_conn_raise_fd_limit(void);

/* Split the descriptor budget between n_api REST listeners (n_unix_api of
 * them Unix sockets) and n_authz plugin sockets: caps for each kind. max_conn
 * and per_peer are --max-connections and --max-connections-per-peer (0:
 * from the budget). Logs the plan; 0, or -1 when the limit is too small for
 * even a minimal plan. */
int http_conn_plan(size_t n_api, size_t n_unix_api, size_t n_authz, unsigned max_conn,
                   unsigned per_peer, struct conn_caps *api, struct conn_caps *authz);

/* An empty registry, its janitor not started; NULL when out of memory. */
struct conn_registry *http_conn_registry_new(void);
/* Stop its janitor and release it; its listeners' accounting must be freed
 * first. Accepts NULL. */
void http_conn_registry_free(struct conn_registry *r);

/* A listener's accounting, counted in r (spec is copied, for /metrics). */
struct conn_limits *http_conn_limits_new(struct conn_registry *r, const char *spec,
                                         const struct conn_caps *caps);
void http_conn_limits_free(struct conn_limits *l);
/* libmicrohttpd's connection limit for it. */
unsigned http_conn_mhd_limit(const struct conn_limits *l);

/* A connection opened: count it, decide whether it is served. When not,
 * ci->refused says why; on a plain listener the JSON error is written at
 * once and the write side shut (ci->told), on a TLS one the first request is
 * answered with it; either way the connection is closed, at the latest
 * after an idle second. ci->peer and ci->fd must be filled in. */
void http_conn_opened(struct conn_limits *l, struct conn_info *ci, struct MHD_Connection *conn);
/* It closed: forget it. */
void http_conn_closed(struct conn_info *ci);
/* Its request reached the handler (1), or finished (0). */
void http_conn_busy(struct conn_info *ci, int busy);

/* The thread that cuts connections whose request has not arrived whole
 * within timeout seconds of their opening (or of their previous request).
 * 0 or -1. */
int http_conn_start(struct conn_registry *r, unsigned timeout);
/* Stop it (and wait for it); does nothing when it does not run. Accepts NULL. */
void http_conn_stop(struct conn_registry *r);

/* The connections r's REST listeners serve at once (their caps, summed). */
unsigned http_conn_rest_capacity(struct conn_registry *r);
/* Prometheus text: connections, caps and refusals per listener of r. */
void http_conn_metrics(struct conn_registry *r, FILE *out);

#endif
