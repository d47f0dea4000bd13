/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the docker socket proxy, shared by its files: proxy.c (listener,
 * connections, stop), proxy_conn.c (one connection: requests in, responses
 * out, upgrades), proxy_http.c (HTTP/1.1 framing), proxy_judge.c (the
 * caller, the judgement, the container records), proxy_relay.c (bytes,
 * responses, byte pipes) and proxy_access.c (the caller's own access to
 * host paths). Other modules use proxy.h. */
#ifndef LOCKSET_PROXY_INT_H
#define LOCKSET_PROXY_INT_H

#include "decisions/judge.h"
#include "proxy.h"

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#define PROXY_MAX_HEAD        (256 * 1024)       /* request or response head */
#define PROXY_MAX_HEADERS     128                /* header lines in one head */
#define PROXY_MAX_JUDGED_BODY (16 * 1024 * 1024) /* a body read whole to be judged */
#define PROXY_MAX_GROUPS      256                /* the caller's groups, checked */
#define PROXY_IO_BUF          (64 * 1024)
#define PROXY_IDLE_MS         (10 * 60 * 1000) /* a connection between requests */
#define PROXY_REQUEST_MS      (60 * 1000)      /* the rest of a judged request */

/* ------------------------------------------------------------------------ */
/* HTTP/1.1 framing (proxy_http.c): strict, so that lockset and dockerd can  */
/* never disagree on where a request ends.                                   */

struct proxy_header {
	const char *name, *value; /* into the head; not NUL-terminated */
	size_t nlen, vlen;
	size_t start, end; /* the whole line, CRLF included: offsets in the head */
};

struct proxy_head {
	size_t len; /* bytes of the head, the empty line included */
	const char *method, *target;
	size_t method_len, target_len;
	int status; /* responses */
	int minor;  /* HTTP/1.minor */
	struct proxy_header h[PROXY_MAX_HEADERS];
	size_t nh;
	long long clen; /* Content-Length; -1: none */
	int chunked;    /* Transfer-Encoding: chunked */
	int conn_close, conn_keep_alive, conn_upgrade;
	int expect_continue; /* Expect: 100-continue */
	char ctype[128]; /* the Content-Type media type as Go reads it (engineapi_media_type); ""
	                    when none or not valid */
};

/* Parse the head at p[0..n). Returns 1 when complete (h filled), 0 when more
 * bytes are needed, -1 when malformed or too large (why: a static phrase).
 * Requests: CRLF line ends, token methods, no folded lines, at most one
 * Content-Length value, Transfer-Encoding only "chunked" and never with a
 * Content-Length, HTTP/1.0 or 1.1. */
int proxy_parse_request(const char *p, size_t n, struct proxy_head *h, const char **why);
/* The same for a response head (Transfer-Encoding wins over Content-Length,
 * as RFC 9112 says for responses). */
int proxy_parse_response(const char *p, size_t n, struct proxy_head *h, const char **why);
/* The value of header name (any case), NUL-terminated into buf; NULL when
 * absent. */
const char *proxy_header_get(const struct proxy_head *h, const char *name, char *buf, size_t bufsz);

/* A chunked body read as it streams by. */
struct proxy_chunks {
	int state;
	unsigned long long left; /* data bytes left in the current chunk */
	size_t line;             /* bytes of the current size or trailer line */
	size_t total;            /* data bytes so far */
};

void proxy_chunks_init(struct proxy_chunks *c);
/* Feed p[0..n). Returns the bytes that belong to the body (all of them, or
 * fewer when the body ends inside p: *done is then 1), or -1 when the
 * framing is malformed. Data bytes are appended to out (when not NULL,
 * which must have room for n bytes) and counted in *outn. */
long proxy_chunks_feed(struct proxy_chunks *c, const char *p, size_t n, char *out, size_t *outn,
                       int *done);

/* ------------------------------------------------------------------------ */
/* The caller (proxy_judge.c, proxy_access.c)                               */

struct proxy_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[PROXY_MAX_GROUPS]; /* supplementary, as the process had them */
	int ngroups;                    /* -1: not known yet */
	char user[256];                 /* login name, "" when uid has none */
	char actor[32];                 /* "uid:1000": the audit row's actor */
	struct proxy_access *access;    /* checks with these credentials (borrowed) */
};

/* Fill who from the connected socket fd (SO_PEERCRED, SO_PEERGROUPS, the
 * passwd entry). 0, or -1 when the peer cannot be identified. */
int proxy_caller_identify(int fd, struct proxy_caller *who);

struct proxy_access;

/* The thread that checks access with a caller's credentials, started
 * (proxy_access.c); NULL on failure (logged). */
struct proxy_access *proxy_access_new(void);
/* Stop it (waiting callers are answered: refused) and free. Accepts NULL. */
void proxy_access_free(struct proxy_access *a);
/* A decide_access_fn: arg is the struct proxy_caller, whose access thread
 * answers (root is answered at once: it may access every path). Blocks
 * until answered, at most a few seconds (then refused). */
int proxy_access_check(void *arg, const char *path, int write, char *why, size_t whysz);

/* ------------------------------------------------------------------------ */
/* One judged request (proxy_judge.c)                                       */

/* What the proxy's judgements use, given to proxy_start: the judge, and the
 * container records (NULL: none kept). */
struct proxy_deps {
	struct judge *judge;
	struct containers *containers;
};
const struct proxy_deps *proxy_deps_of(const struct proxy *p);

struct proxy_verdict {
	int allow;
	long long version; /* policy version that judged */
	char *message;     /* malloc'd deny message, or NULL */
	int create;        /* a container create: records follow its response */
	char *user;        /* a create's caller, who made the container (malloc'd), or NULL */
};

/* Judge the request whose head is h with its body (NULL when not read:
 * streamed or none), for the caller. Waits for the judgement on this
 * thread. Never fails open: out->allow is 0 on any error. */
void proxy_judge(struct proxy *p, const struct proxy_caller *who, const struct proxy_head *h,
                 const char *body, size_t body_len, int has_body, struct proxy_verdict *out);
void proxy_verdict_clear(struct proxy_verdict *v);
/* The response to a request proxy_judge allowed, for the container records
 * (a create's 201 and its id). status 0: no response came. plugin: the
 * plugin saw the request too (it redeemed its ticket), so its AuthZRes
 * records the container: only the create's bookkeeping ends here. */
void proxy_judge_response(struct proxy *p, const struct proxy_head *req, const char *req_body,
                          size_t req_len, const struct proxy_verdict *v, int status,
                          const char *resp_body, size_t resp_len, int plugin);

/* ------------------------------------------------------------------------ */
/* Connections (proxy.c, proxy_conn.c)                                      */

struct proxy_conn {
	struct proxy *p;
	int cfd, efd;    /* the client, the engine (-1: not connected) */
	uid_t uid;       /* the client's, as accepted ((uid_t)-1: not known) */
	size_t body_mem; /* held for a body being judged (proxy_body_reserve; the lock) */
	struct proxy_caller who;
	struct proxy_conn *prev, *next; /* proxy's list (its lock) */
};

/* Bytes (proxy_relay.c). A growable buffer: */
struct proxy_buf {
	char *p;
	size_t len, cap;
};

#define PROXY_CAPTURE_MAX (64 * 1024) /* of a create's response, for the records */

/* One connection's working state (proxy_conn.c, proxy_relay.c). */
struct proxy_cx {
	struct proxy_conn *c;
	struct proxy_buf in;   /* from the client, not handled yet */
	struct proxy_buf ein;  /* from the engine, not handled yet */
	struct proxy_buf head; /* the request head being handled (its proxy_head points here) */
	long long deadline;    /* monotonic ms by which the request must have come whole; 0:
	                          none yet (between requests) */
	char io[PROXY_IO_BUF];
};

/* Room for more bytes: 0, or -1 on ENOMEM. */
int proxy_buf_reserve(struct proxy_buf *b, size_t more);
/* Drop n bytes from the front. */
void proxy_buf_consume(struct proxy_buf *b, size_t n);
void proxy_buf_free(struct proxy_buf *b);
/* Read what is there (blocking) into b: n > 0, 0 at EOF, -1 on error. */
ssize_t proxy_fill(int fd, struct proxy_buf *b);
/* Write all of p: 0, or -1. */
int proxy_send_all(int fd, const char *p, size_t n);
/* Read more from the engine into x->ein, ending the wait when the client
 * goes away (closes both ways): n > 0, 0 at the engine's EOF, -1 on error
 * or a client gone. */
ssize_t proxy_fill_engine(struct proxy_cx *x);
/* Told the final status of a response, and its body when it is at most
 * PROXY_CAPTURE_MAX bytes framed by Content-Length (else NULL), before the
 * client sees any of it. */
typedef void (*proxy_early_fn)(void *arg, int status, const char *body, size_t len);
/* Relay the response to req to the client. 1 when done and the connection
 * goes on, 0 when done and it must close (an unframed body is relayed until
 * dockerd closes, and the client's connection closes after it), 2 when it
 * is now a byte pipe (a 101, or a hijacked stream: attach or exec start
 * without an upgrade, a 200 of a docker stream type), -1 on error. *status: the final status; early (may be NULL) is called with it
 * first. */
int proxy_relay_response(struct proxy_cx *x, const struct proxy_head *req, int *status,
                         proxy_early_fn early, void *arg);
/* Both ways, as bytes, until both sides are done; one side's EOF is passed
 * on as a half-close (docker's stdin EOF). */
void proxy_splice(struct proxy_cx *x);

/* Serve one connection until either side closes; closes the engine's fd
 * (the client's is closed by proxy.c once stop can no longer reach it). */
void proxy_conn_serve(struct proxy_conn *c);
/* The engine socket path, access thread and counters of a proxy. */
const char *proxy_engine_socket(const struct proxy *p);
struct proxy_access *proxy_access(struct proxy *p);
void proxy_count(struct proxy *p, int what);
/* Hold n bytes for the body c is about to read whole: 0, or -1 when its
 * uid's connections or all of them would hold more than they may (root's
 * are not counted). proxy_body_release lets go of what c holds. */
int proxy_body_reserve(struct proxy_conn *c, size_t n);
void proxy_body_release(struct proxy_conn *c);
/* The connection now talks to the engine on fd (-1: none): set under the
 * proxy's lock, so that stopping can shut it down. */
void proxy_conn_set_engine(struct proxy_conn *c, int fd);

enum { PROXY_FORWARDED, PROXY_DENIED, PROXY_REFUSED, PROXY_UPGRADED, PROXY_NCOUNTERS };

#endif
