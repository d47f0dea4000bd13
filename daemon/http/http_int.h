/* SPDX-License-Identifier: Apache-2.0 */
/* What the HTTP front door's files share (http.c the dispatcher,
 * http_listen.c listeners and peers, http_start.c start and stop). */
#ifndef LOCKSET_HTTP_INT_H
#define LOCKSET_HTTP_INT_H

#include "http.h"

#include <microhttpd.h>
#include <stddef.h>

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
	struct server *srv;         /* given to each request (http_start) */
	const struct auth *auth;    /* identifies its callers (http_opts) */
};

/* The listeners opened so far (http_listen.c), the options given to
 * http_start and the TLS key pair it read (http_start.c). */
extern struct listener http_listeners[HTTP_MAX_LISTENERS];
extern size_t http_nlisteners;
extern struct http_opts http_cur_opts;
extern char *http_tls_cert_pem, *http_tls_key_pem;

/* libmicrohttpd callbacks, registered by http_start. */
void http_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);
enum MHD_Result http_dispatch(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls);
void http_request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe);
void *http_uri_seen(void *cls, const char *uri, struct MHD_Connection *conn);

#endif
