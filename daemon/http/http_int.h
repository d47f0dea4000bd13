/* SPDX-License-Identifier: Apache-2.0 */
/* What the HTTP front door's files share (http.c the dispatcher,
 * http_listen.c listeners and peers, http_start.c start and stop,
 * http_drain.c the stop's last accepts): the struct http they all work on,
 * and its listeners. */
#ifndef LOCKSET_HTTP_INT_H
#define LOCKSET_HTTP_INT_H

#include "http.h"
#include "util/metrics.h"

#include <microhttpd.h>
#include <stddef.h>
#include <sys/types.h>

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
/* Request latency is kept for this many routes; one more slot counts the
 * requests that matched none. */
#define HTTP_METRICS_ROUTES 128

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
	struct http *http;          /* the front door it belongs to */
	struct server *srv;         /* given to each request (http_start) */
	const struct auth *auth;    /* identifies its callers (http_opts) */
	unsigned workers;           /* libmicrohttpd's threads for it (http_start) */
	struct drain {              /* while it stops (http_drain.c) */
		ino_t *probes;      /* the probe connections' sockets, one per worker */
		unsigned expected;  /* probes handed over so far (atomic; 0: not stopping) */
		unsigned seen;      /* ... that their workers took up (atomic) */
		int failed;         /* a probe could not be made: the count alone tells */
	} drain;
};

/* The front door: what http_new makes and every libmicrohttpd callback
 * reaches through its listener (cls). */
struct http {
	struct listener listeners[HTTP_MAX_LISTENERS]; /* opened so far (http_listen.c) */
	size_t nlisteners;
	struct http_opts opts;            /* as given to http_start */
	char *tls_cert_pem, *tls_key_pem; /* read by http_start, or NULL */
	struct conn_registry *conns;      /* connections, caps, deadline (http_conn.c) */
	/* Request latency per route (index in http_routes); the last slot
	 * counts requests that matched none. */
	struct metrics_hist route_latency[HTTP_METRICS_ROUTES + 1];
};

/* libmicrohttpd callbacks, registered by http_start. */
void http_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);
enum MHD_Result http_dispatch(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls);
void http_request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe);
void *http_uri_seen(void *cls, const char *uri, struct MHD_Connection *conn);

/* Stopping without dropping a connection (http_drain.c). A worker of
 * libmicrohttpd may be inside accept() as the listener is quiesced: the
 * connection it gets is not in libmicrohttpd's count yet, and a stop that
 * saw none open would close it unanswered. http_drain_begin, after
 * MHD_quiesce_daemon, hands each worker a probe connection; a worker takes
 * one up only after finishing any accept it had begun, so once
 * http_drain_done, the count holds every connection there will be. */
void http_drain_begin(struct listener *l);
int http_drain_done(const struct listener *l);
/* From the connection notifier: 1 when fd is one of l's probes (counted as
 * taken up; the notifier leaves it alone), else 0. */
int http_drain_is_probe(struct listener *l, int fd);
void http_drain_free(struct listener *l);

#endif
