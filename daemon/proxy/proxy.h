/* SPDX-License-Identifier: Apache-2.0 */
/* The docker socket proxy (--docker-proxy unix:PATH): developers' docker
 * clients connect here instead of to dockerd, whose own socket
 * (--engine-socket) only root reaches. Every request is judged before it
 * is forwarded, knowing what the plugin cannot: the caller (SO_PEERCRED),
 * the whole request (every header, form bodies) and the caller's own
 * access to each host path a mount names. Then the bytes go through,
 * upgrades and hijacks (attach, exec, BuildKit's /session and /grpc) and
 * streams included.
 *
 * Design: a raw socket proxy, not an HTTP server. Each request is parsed
 * just enough to judge it and to find where it ends (request line, headers,
 * Content-Length or chunked framing; proxy_http.c) and its response just
 * enough to find where that ends; everything else is spliced as bytes. A
 * hijacked or upgraded connection becomes a byte pipe both ways. This keeps
 * dockerd's own framing (a 101 UPGRADED, a raw stream after a 200) exactly
 * as dockerd wrote it, which an HTTP server library re-framing replies
 * could not, and costs one read and one write per chunk of bytes.
 *
 * Threads: an accept thread, and one thread per client connection (blocking
 * I/O on the client and its own engine connection; the judgement waits on
 * that thread, never on a server thread, so the plugin socket and the REST
 * API are never held up); one access thread checks paths with a caller's
 * credentials (proxy_access.c). Lock order: the proxy's connection list
 * lock is never held while any other lock is taken. */
#ifndef LOCKSET_PROXY_H
#define LOCKSET_PROXY_H

#include <stdio.h>

struct proxy;
struct proxy_tickets;
struct judge;
struct containers;

#define PROXY_MAX_CONNS          1024 /* connections at once; more get 503 */
#define PROXY_MAX_CONNS_PER_USER 256  /* one uid's (root's aside); more get 503 */
/* Memory held at once for request bodies read whole to be judged, by one
 * uid's connections and by all (root's aside); a request past it gets 429. */
#define PROXY_BODY_MEM_PER_USER (64u * 1024 * 1024)
#define PROXY_BODY_MEM          (512u * 1024 * 1024)

struct proxy_opts {
	const char *listen;        /* "unix:PATH" */
	const char *group;         /* the socket's group (0660 root:group); "" or NULL: 0600 */
	const char *engine_socket; /* where dockerd listens */
};

/* Bind the socket (a stale one is replaced, anything else refused), while
 * the daemon may still chown it to the group. No thread starts. Returns NULL
 * with a message in *err (malloc'd) on failure. */
struct proxy *proxy_open(const struct proxy_opts *o, char **err);
/* Start the thread that checks callers' access with their credentials. Call
 * it while the calling thread still holds CAP_SETUID and CAP_SETGID
 * (confine_capabilities(1)); the new thread keeps those two alone. 0, or -1
 * with *err (malloc'd). */
int proxy_start_access(struct proxy *p, char **err);
/* Start accepting (connections are served by threads that inherit the
 * caller's capabilities: call it after confine_drop_setid). 0, or -1 with
 * *err (malloc'd). */
int proxy_start(struct proxy *p, struct judge *judge, struct containers *containers, char **err);
/* Stop accepting and end every connection (judgements in flight finish
 * first). The tickets stay readable until proxy_free: call it after the
 * plugin socket is closed (http_stop). Accepts NULL. */
void proxy_stop(struct proxy *p);
/* Stop (if need be) and free. Accepts NULL. */
void proxy_free(struct proxy *p);
/* The tickets the proxy gives the requests it forwards, for the plugin
 * (proxy_ticket.h). NULL when p is NULL. */
struct proxy_tickets *proxy_tickets(struct proxy *p);
/* Prometheus text of the proxy's counters. Accepts NULL (writes nothing). */
void proxy_metrics(struct proxy *p, FILE *out);

#endif
