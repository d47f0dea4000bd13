/* SPDX-License-Identifier: Apache-2.0 */
/* One client connection of the docker socket proxy, on its own thread: read
 * a request head, read its body whole when the judgement needs it (bodies
 * the engine judges, forms), judge it as the caller, then forward it with a
 * ticket for the plugin and relay the response, body framed as dockerd
 * framed it; and again, as long as both sides keep the connection. A 101
 * (upgrade) or a body that lasts until dockerd closes (a hijacked attach or
 * exec stream) turns the connection into a byte pipe both ways. */
#include "proxy_int.h"

#include "engine/engineapi.h"
#include "log.h"
#include "proxy_ticket.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

/* An answer of lockset's own, in the engine's error shape ({"message"}),
 * which the docker CLI prints as "Error response from daemon: ...". */
static void
reply(struct proxy_cx *x, const struct proxy_head *req, int status, const char *message,
      int closing)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {{400, "Bad Request"},
	               {403, "Forbidden"},
	               {413, "Payload Too Large"},
	               {500, "Internal Server Error"},
	               {502, "Bad Gateway"}};
	const char *reason = "Error";
	json_t *o = json_pack("{s:s}", "message", message);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL, head[256];
	int head_only = req != NULL && req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
	int n;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			reason = reasons[i].reason;
	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
	             "%zu\r\n%s\r\n",
	             status, reason, text != NULL ? strlen(text) + 1 : 0,
	             closing ? "Connection: close\r\n" : "");
	if (proxy_send_all(x->c->cfd, head, (size_t)n) == 0 && text != NULL && !head_only &&
	    proxy_send_all(x->c->cfd, text, strlen(text)) == 0)
		proxy_send_all(x->c->cfd, "\n", 1);
	free(text);
	json_decref(o);
}

/* ------------------------------------------------------------------------ */
/* The request                                                              */

/* Read more from the client, waiting at most ms (-1: forever). n > 0, 0 at
 * EOF, -1 on error or time-out. */
static ssize_t
client_fill(struct proxy_cx *x, int ms)
{
	struct pollfd p = {x->c->cfd, POLLIN, 0};
	int rc;

	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return rc == 1 ? proxy_fill(x->c->cfd, &x->in) : -1;
}

/* What is left, in ms, of the time a request has to come whole from its
 * first bytes (PROXY_REQUEST_MS, however slowly they trickle in). */
static int
request_ms_left(struct proxy_cx *x)
{
	struct timespec ts;
	long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (x->deadline == 0)
		x->deadline = now + PROXY_REQUEST_MS;
	return x->deadline > now ? (int)(x->deadline - now) : 0;
}

/* Read a request head and keep it in x->head (h points there). 1, 0 when
 * the client closed between requests, -1 malformed (why), -2 on error. */
static int
read_head(struct proxy_cx *x, struct proxy_head *h, const char **why)
{
	int rc;

	*why = NULL;
	while ((rc = x->in.len > 0 ? proxy_parse_request(x->in.p, x->in.len, h, why) : 0) == 0) {
		/* Between requests a connection may idle (clients keep them);
		 * a request once begun must come whole. */
		ssize_t n = client_fill(x, x->in.len == 0 ? PROXY_IDLE_MS : request_ms_left(x));

		if (n <= 0)
			return n == 0 && x->in.len == 0 ? 0 : -2;
	}
	if (rc < 0)
		return -1;
	x->head.len = 0;
	if (proxy_buf_reserve(&x->head, h->len) != 0)
		return -2;
	memcpy(x->head.p, x->in.p, h->len);
	x->head.len = h->len;
	proxy_buf_consume(&x->in, h->len);
	return proxy_parse_request(x->head.p, x->head.len, h, why) == 1 ? 1 : -2;
}

/* Does the judgement need the body? The routes whose JSON body the engine
 * reads, and a form dockerd reads parameters from; other bodies (build
 * contexts, image tarballs, archives) stream through unread, as the plugin
 * never sees them either. */
static int
wants_body(const struct proxy_head *h)
{
	struct engineapi_target t;
	char method[16], *target;
	int want = 0;

	if ((h->clen <= 0 && !h->chunked) || h->method_len >= sizeof(method))
		return 0;
	memcpy(method, h->method, h->method_len);
	method[h->method_len] = '\0';
	if ((target = strndup(h->target, h->target_len)) == NULL ||
	    engineapi_classify(method, target, &t) != 0) {
		free(target);
		return 1; /* read it: judging without it would be weaker */
	}
	want = engineapi_reads_body(method, t.route) ||
	       (t.form && strcmp(h->ctype, "application/x-www-form-urlencoded") == 0);
	engineapi_target_clear(&t);
	free(target);
	return want;
}

/* Read the whole body: its bytes as framed stay at the front of x->in
 * (*raw of them, to forward as they came), its content goes to *body
 * (malloc'd, *len bytes). 0, -1 when malformed or too large (*status,
 * *why), -2 on error. */
static int
read_body(struct proxy_cx *x, const struct proxy_head *h, char **body, size_t *len, size_t *raw,
          int *status, const char **why)
{
	struct proxy_chunks ch;
	size_t fed = 0;
	int done = 0;

	*status = 413;
	*why = "the request body is too large to be judged";
	*len = 0;
	if (h->clen > PROXY_MAX_JUDGED_BODY)
		return -1;
	if (!h->chunked) {
		while (x->in.len < (size_t)h->clen)
			if (client_fill(x, request_ms_left(x)) <= 0)
				return -2;
		if ((*body = malloc((size_t)h->clen + 1)) == NULL)
			return -2;
		memcpy(*body, x->in.p, (size_t)h->clen);
		*len = *raw = (size_t)h->clen;
		return 0;
	}
	proxy_chunks_init(&ch);
	if ((*body = malloc(PROXY_MAX_JUDGED_BODY + PROXY_IO_BUF)) == NULL)
		return -2;
	while (!done) {
		size_t n;
		long k;

		if (fed == x->in.len && client_fill(x, request_ms_left(x)) <= 0)
			return -2;
		n = x->in.len - fed < PROXY_IO_BUF ? x->in.len - fed : PROXY_IO_BUF;
		k = proxy_chunks_feed(&ch, x->in.p + fed, n, *body, len, &done);
		if (k < 0) {
			*status = 400;
			*why = "malformed chunked request body";
			return -1;
		}
		fed += (size_t)k;
		if (*len > PROXY_MAX_JUDGED_BODY || fed > 2 * PROXY_MAX_JUDGED_BODY)
			return -1;
	}
	*raw = fed;
	return 0;
}

/* Copy the body from the client to the engine as it comes. 0 when all of it
 * went, 1 when the engine answered (or hung up) first: stop sending, relay
 * the answer, close; -1 when malformed, -2 on error. */
static int
stream_body(struct proxy_cx *x, const struct proxy_head *h)
{
	struct proxy_chunks ch;
	unsigned long long left = h->chunked ? 0 : (unsigned long long)h->clen;
	int done = 0;

	proxy_chunks_init(&ch);
	for (;;) {
		struct pollfd fds[2] = {{x->c->cfd, POLLIN, 0}, {x->c->efd, POLLIN, 0}};
		size_t k = x->in.len;

		if (h->chunked) {
			long r = proxy_chunks_feed(&ch, x->in.p, x->in.len, NULL, NULL, &done);

			if (r < 0)
				return -1;
			k = (size_t)r;
		} else if (k > left) {
			k = (size_t)left;
		}
		if (k > 0 && proxy_send_all(x->c->efd, x->in.p, k) != 0)
			return 1;
		proxy_buf_consume(&x->in, k);
		left -= h->chunked ? 0 : k;
		if (h->chunked ? done : left == 0)
			return 0;
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return -2;
		if (fds[1].revents != 0)
			return 1;
		if (fds[0].revents != 0 && proxy_fill(x->c->cfd, &x->in) <= 0)
			return -2;
	}
}

/* Forward the head: the client's bytes, without any ticket header it sent
 * (and without Expect, answered here), with lockset's ticket. 0 or -1. */
static int
forward_head(struct proxy_cx *x, const struct proxy_head *h, const char *ticket)
{
	size_t line = h->nh > 0 ? h->h[0].start : h->len - 2;
	struct proxy_buf out = {0};
	int rc = -1;

	if (h->len < 4 || line > h->len ||
	    proxy_buf_reserve(&out, h->len + PROXY_TICKET_LEN + 64) != 0)
		return -1;
	memcpy(out.p, x->head.p, line);
	out.len = line;
	for (size_t i = 0; i < h->nh; i++) {
		const struct proxy_header *e = &h->h[i];

		if ((e->nlen == strlen(PROXY_TICKET_HEADER) &&
		     strncasecmp(e->name, PROXY_TICKET_HEADER, e->nlen) == 0) ||
		    (e->nlen == 6 && strncasecmp(e->name, "Expect", 6) == 0))
			continue;
		memcpy(out.p + out.len, x->head.p + e->start, e->end - e->start);
		out.len += e->end - e->start;
	}
	if (ticket != NULL)
		out.len +=
		    (size_t)sprintf(out.p + out.len, "%s: %s\r\n", PROXY_TICKET_HEADER, ticket);
	memcpy(out.p + out.len, "\r\n", 2);
	out.len += 2;
	rc = proxy_send_all(x->c->efd, out.p, out.len);
	proxy_buf_free(&out);
	return rc;
}

/* The engine connection, (re)connected when there is none or dockerd
 * closed the idle one. 0, or -1 with the reason in why. */
static int
engine_ready(struct proxy_cx *x, char *why, size_t whysz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = proxy_engine_socket(x->c->p);
	int fd;

	if (x->c->efd >= 0) {
		struct pollfd p = {x->c->efd, POLLIN | POLLRDHUP, 0};

		if (poll(&p, 1, 0) == 0 && x->ein.len == 0)
			return 0;
		fd = x->c->efd;
		proxy_conn_set_engine(x->c, -1);
		close(fd);
		x->ein.len = 0;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(why, whysz, "lockset: cannot reach the Docker engine at %s: %s", path,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	proxy_conn_set_engine(x->c, fd);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* One request, end to end                                                  */

/* The request's answer: a create's before the client sees it (the container
 * records), any other's after it was relayed (the ticket). */
struct answer {
	struct proxy_cx *x;
	const struct proxy_head *h;
	const struct proxy_verdict *v;
	const char *body, *ticket; /* ticket: NULL when none was issued */
	size_t len;
	int told;
};

static void
answered(void *arg, int status, const char *rbody, size_t rlen)
{
	struct answer *a = arg;
	int plugin = a->ticket != NULL && proxy_ticket_close(proxy_tickets(a->x->c->p), a->ticket);

	a->told = 1;
	a->ticket = NULL;
	proxy_judge_response(a->x->c->p, a->h, a->body, a->len, a->v, status, rbody, rlen, plugin);
}

/* Forward an allowed request and relay its answer. 1 when the connection
 * goes on, else 0. */
static int
forward(struct proxy_cx *x, const struct proxy_head *h, const struct proxy_verdict *v,
        const char *body, size_t len, size_t raw, int buffered)
{
	struct proxy_caller *who = &x->c->who;
	char ticket[PROXY_TICKET_LEN + 1], why[512];
	struct answer a = {x, h, v, body, NULL, len, 0};
	int rc, issued, status = 0, early = 0, has_body = h->clen > 0 || h->chunked;

	if (engine_ready(x, why, sizeof(why)) != 0) {
		proxy_judge_response(x->c->p, h, body, len, v, 0, NULL, 0, 0);
		proxy_count(x->c->p, PROXY_REFUSED);
		reply(x, h, 502, why, 1);
		return 0;
	}
	issued =
	    proxy_ticket_issue(proxy_tickets(x->c->p), who->user, h->method, h->method_len,
	                       h->target, h->target_len, buffered ? body : NULL, len, ticket) == 0;
	a.ticket = issued ? ticket : NULL;
	rc = 0;
	if (forward_head(x, h, issued ? ticket : NULL) != 0)
		rc = -1;
	else if (buffered) {
		rc = proxy_send_all(x->c->efd, x->in.p, raw);
		proxy_buf_consume(&x->in, raw);
	} else if (has_body) {
		if (h->expect_continue)
			proxy_send_all(x->c->cfd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		rc = stream_body(x, h);
		early = rc == 1;
		rc = rc == 1 ? 0 : rc;
	}
	rc = rc == 0 ? proxy_relay_response(x, h, &status, v->create ? answered : NULL, &a) : -1;
	if (!a.told) /* not a create, or no answer came (a create ends here) */
		answered(&a, 0, NULL, 0);
	proxy_count(x->c->p, PROXY_FORWARDED);
	if (rc == 2) {
		proxy_count(x->c->p, PROXY_UPGRADED);
		proxy_splice(x);
	}
	return rc == 1 && !early;
}

/* The memory a body read whole takes: its bytes as framed in x->in and its
 * content copied out of them; a chunked one's content is given room for the
 * largest at once, and its framing may take twice that. */
static size_t
body_mem(const struct proxy_head *h)
{
	return h->chunked ? 3 * (size_t)PROXY_MAX_JUDGED_BODY + PROXY_IO_BUF
	                  : 2 * (size_t)(h->clen > 0 ? h->clen : 0);
}

/* Serve one request. 1 when the connection goes on, else 0. */
static int
serve_request(struct proxy_cx *x)
{
	struct proxy_head h;
	struct proxy_verdict v = {0};
	const char *why;
	char *body = NULL;
	size_t len = 0, raw = 0;
	int rc, status, buffered, keep = 0;

	if ((rc = read_head(x, &h, &why)) != 1) {
		if (rc == -1)
			reply(x, NULL, 400, why, 1);
		return 0;
	}
	buffered = wants_body(&h);
	if (buffered && h.expect_continue &&
	    proxy_send_all(x->c->cfd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
		return 0;
	if (buffered && h.clen <= PROXY_MAX_JUDGED_BODY &&
	    proxy_body_reserve(x->c, body_mem(&h)) != 0) {
		reply(x, &h, 429,
		      "too many large request bodies of yours are being read at once: try again",
		      1);
		return 0;
	}
	if (buffered && (rc = read_body(x, &h, &body, &len, &raw, &status, &why)) != 0) {
		if (rc == -1)
			reply(x, &h, status, why, 1);
		free(body);
		return 0;
	}
	proxy_judge(x->c->p, &x->c->who, &h, body, len, len > 0, &v);
	if (v.allow) {
		keep = forward(x, &h, &v, body, len, raw, buffered);
	} else {
		/* A body not read yet would be taken for the next request: close. */
		keep = !((h.clen > 0 || h.chunked) && !buffered) && !h.conn_close &&
		       (h.minor == 1 || h.conn_keep_alive);
		if (buffered)
			proxy_buf_consume(&x->in, raw);
		proxy_count(x->c->p, PROXY_DENIED);
		reply(x, &h, 403, v.message, !keep);
	}
	proxy_verdict_clear(&v);
	free(body);
	return keep;
}

/* One request, then let go of what it held: its body's memory, its
 * deadline, and a buffer grown for a large body. */
static int
serve_one(struct proxy_cx *x)
{
	int keep = serve_request(x);

	proxy_body_release(x->c);
	x->deadline = 0;
	if (x->in.len == 0 && x->in.cap > 4 * PROXY_IO_BUF)
		proxy_buf_free(&x->in);
	return keep;
}

void
proxy_conn_serve(struct proxy_conn *c)
{
	struct proxy_cx *x = calloc(1, sizeof(*x));

	if (x != NULL && proxy_caller_identify(c->cfd, &c->who) == 0) {
		x->c = c;
		c->who.access = proxy_access(c->p);
		while (serve_one(x))
			;
	} else if (x != NULL) {
		log_warnx("proxy: cannot identify a caller (SO_PEERCRED): closing");
	}
	if (c->efd >= 0) {
		int fd = c->efd;

		proxy_conn_set_engine(c, -1);
		close(fd);
	}
	if (x != NULL) {
		proxy_buf_free(&x->in);
		proxy_buf_free(&x->ein);
		proxy_buf_free(&x->head);
		free(x);
	}
}
