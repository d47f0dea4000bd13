/* SPDX-License-Identifier: Apache-2.0 */
/* The front door's life: made empty, its listeners' libmicrohttpd daemons
 * started (TLS, thread pools, per-connection memory, the connection caps
 * from the descriptor budget), stopped gracefully, and freed. */
#include "build-config.h"

#include "http.h"

#include "auth.h"
#include "http_conn.h"
#include "http_int.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct http *
http_new(void)
{
	struct http *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->conns = http_conn_registry_new()) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_stop(h, 0);
	http_conn_registry_free(h->conns);
	free(h);
}

/* ------------------------------------------------------------------------ */
/* Start and stop */

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

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

/* Per-connection memory. libmicrohttpd zeroes the whole pool after every
 * request, so an idle keep-alive connection holds all of it, and every
 * request pays for zeroing it (and for the cache lines it evicts). A REST
 * listener's pool holds the longest request URI or the largest request
 * headers we accept (whichever is larger) plus 4 KiB for the header list and
 * our reply, so that a request just past either limit still gets our own
 * JSON 414/431; a request with both near their limits at once is refused by
 * libmicrohttpd itself (431). The plugin socket's requests are dockerd's: a
 * short request line, a few headers and a body, which streams through the
 * read buffer (half the pool) in chunks; 8 KiB holds a usual AuthZReq whole. */
#define HTTP_AUTHZ_POOL 8192

static size_t
pool_size(const struct http_opts *o, enum listener_kind kind)
{
	size_t n = (o->max_url > o->max_headers ? o->max_url : o->max_headers) + 4096;

	if (kind == LISTEN_AUTHZ)
		return HTTP_AUTHZ_POOL;
	return (n + 4095) & ~(size_t)4095;
}

/* Every listener's connection caps, from the descriptor budget. */
static int
plan_limits(struct http *h)
{
	struct conn_caps api, authz, caps;
	size_t n_api = 0, n_unix = 0, n_authz = 0;

	for (size_t i = 0; i < h->nlisteners; i++) {
		n_authz += h->listeners[i].kind == LISTEN_AUTHZ;
		n_api += h->listeners[i].kind != LISTEN_AUTHZ;
		n_unix += h->listeners[i].kind != LISTEN_AUTHZ && h->listeners[i].is_unix;
	}
	if (http_conn_plan(n_api, n_unix, n_authz, h->opts.max_connections, h->opts.max_per_peer,
	                   &api, &authz) != 0)
		return -1;
	for (size_t i = 0; i < h->nlisteners; i++) {
		struct listener *l = &h->listeners[i];

		caps = l->kind == LISTEN_AUTHZ ? authz : api;
		if (!l->is_unix)
			caps.admin = 0; /* root is known by SO_PEERCRED only */
		caps.plain = l->is_unix || h->tls_cert_pem == NULL;
		if ((l->limits = http_conn_limits_new(h->conns, l->spec, &caps)) == NULL)
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
http_rest_capacity(const struct http *h)
{
	return http_conn_rest_capacity(h->conns);
}

int
http_request_fd(struct request *rq)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return info != NULL ? info->connect_fd : -1;
}

/* Start l's libmicrohttpd daemon with threads workers. 0, or -1 (logged). */
static int
start_listener(struct http *h, struct listener *l, unsigned threads)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	int tls = !l->is_unix && h->tls_cert_pem != NULL;
	struct MHD_OptionItem mo[16];
	int n = 0;

	if (!l->is_unix && !l->is_loopback && !tls && !h->opts.allow_insecure_tcp) {
		log_warnx("listen %s: refusing a non-loopback TCP listener without TLS "
		          "(give --tls-cert and --tls-key, or --allow-insecure-tcp)",
		          l->spec);
		return -1;
	}
	/* TURBO leaves a TLS handshake that never completes spinning a worker
	 * and its descriptor unreleased (libmicrohttpd 0.9.75): TLS listeners
	 * go without it. */
	if (tls)
		flags = (flags & ~(unsigned)MHD_USE_TURBO) | MHD_USE_TLS;
	/* The logger first, so that MHD reports nothing past it. */
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, l->fd, NULL};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
	mo[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, h->opts.conn_timeout, NULL};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	                                  pool_size(&h->opts, l->kind), NULL};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
	                                  http_conn_mhd_limit(l->limits), NULL};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
	                                  (intptr_t)http_notify_connection, l};
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
	                                  (intptr_t)http_request_completed, l};
	mo[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)http_uri_seen, NULL};
	if (tls) {
		mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key_pem};
		mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert_pem};
		mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
		                                  (void *)HTTP_TLS_PRIORITIES};
	}
	mo[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	l->workers = threads;
	l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_dispatch, l, MHD_OPTION_ARRAY, mo,
	                             MHD_OPTION_END);
	if (l->daemon == NULL) {
		log_warnx("listen %s: cannot start the HTTP server", l->spec);
		return -1;
	}
	log_info("listening on %s%s", l->spec, tls ? " (TLS)" : "");
	return 0;
}

int
http_start(struct http *h, const struct http_opts *o, struct server *srv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads;

	if (o->auth == NULL) {
		log_warnx("http_start: no caller identification (http_opts.auth)");
		return -1;
	}
	h->opts = *o;
	threads = h->opts.threads ? h->opts.threads : (ncpu > 0 ? (unsigned)ncpu : 2);
	if (h->opts.tls_cert != NULL && h->opts.tls_key != NULL) {
		h->tls_cert_pem = read_pem(h->opts.tls_cert);
		h->tls_key_pem = read_pem(h->opts.tls_key);
		if (h->tls_cert_pem == NULL || h->tls_key_pem == NULL) {
			log_warn("cannot read TLS certificate %s or key %s", h->opts.tls_cert,
			         h->opts.tls_key);
			return -1;
		}
	}
	if (plan_limits(h) != 0 || http_conn_start(h->conns, h->opts.conn_timeout) != 0)
		return -1;
	for (size_t i = 0; i < h->nlisteners; i++) {
		struct listener *l = &h->listeners[i];

		l->srv = srv;
		l->auth = o->auth;
		if (start_listener(h, l, threads) != 0)
			return -1;
	}
	return 0;
}

/* Connections h's daemons still hold. */
static unsigned
active_connections(const struct http *h)
{
	unsigned active = 0;

	for (size_t i = 0; i < h->nlisteners; i++) {
		const union MHD_DaemonInfo *info;

		if (h->listeners[i].daemon == NULL)
			continue;
		info = MHD_get_daemon_info(h->listeners[i].daemon,
		                           MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (info != NULL)
			active += info->num_connections;
	}
	return active;
}

/* Whether every listener's workers have finished the accepts begun before
 * it was quiesced. */
static int
drained(const struct http *h)
{
	for (size_t i = 0; i < h->nlisteners; i++) {
		if (!http_drain_done(&h->listeners[i]))
			return 0;
	}
	return 1;
}

void
http_stop(struct http *h, unsigned grace_ms)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	unsigned waited = 0;

	for (size_t i = 0; i < h->nlisteners; i++) {
		struct listener *l = &h->listeners[i];

		/* The worker threads take the socket out of their epoll sets on
		 * their own time: it is closed only after MHD_stop_daemon (closing
		 * it now makes a worker's removal fail, which libmicrohttpd treats
		 * as fatal, and its number could be reused meanwhile). */
		if (l->daemon != NULL) {
			int fd = (int)MHD_quiesce_daemon(l->daemon);
			l->fd = fd >= 0 ? fd : -1;
		}
		if (l->unix_path != NULL && !l->inherited)
			unlink(l->unix_path);
	}
	/* Let in-flight requests finish: those accepted as the listeners were
	 * quiesced too (http_drain.c). */
	for (size_t i = 0; i < h->nlisteners && grace_ms > 0; i++) {
		if (h->listeners[i].daemon != NULL)
			http_drain_begin(&h->listeners[i]);
	}
	while ((!drained(h) || active_connections(h) > 0) && waited < grace_ms) {
		nanosleep(&ts, NULL);
		waited += 20;
	}
	http_conn_stop(h->conns);
	for (size_t i = 0; i < h->nlisteners; i++) {
		struct listener *l = &h->listeners[i];

		if (l->daemon != NULL)
			MHD_stop_daemon(l->daemon);
		http_conn_limits_free(l->limits);
		http_drain_free(l);
		if (l->fd >= 0)
			close(l->fd);
		free(l->spec);
		free(l->unix_path);
		memset(l, 0, sizeof(*l));
	}
	h->nlisteners = 0;
	free(h->tls_cert_pem);
	free(h->tls_key_pem);
	h->tls_cert_pem = h->tls_key_pem = NULL;
}
