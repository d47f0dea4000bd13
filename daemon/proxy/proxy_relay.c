/* SPDX-License-Identifier: Apache-2.0 */
/* The docker socket proxy's byte handling: buffers, reads and writes, and
 * the engine's side of a connection: a response relayed as dockerd framed
 * it (Content-Length, chunked, none), and the byte pipe both ways that a
 * hijack or an upgrade turns the connection into. */
#include "proxy_int.h"

#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
proxy_buf_reserve(struct proxy_buf *b, size_t more)
{
	char *p;
	size_t cap;

	if (b->cap - b->len >= more)
		return 0;
	cap = b->cap ? b->cap : 16384;
	while (cap - b->len < more)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

void
proxy_buf_consume(struct proxy_buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void
proxy_buf_free(struct proxy_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Read what is there (blocking) into b. n > 0, 0 at EOF, -1 on error. */
ssize_t
proxy_fill(int fd, struct proxy_buf *b)
{
	ssize_t n;

	if (proxy_buf_reserve(b, PROXY_IO_BUF) != 0)
		return -1;
	do
		n = read(fd, b->p + b->len, PROXY_IO_BUF);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

int
proxy_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more from the engine while watching the client: a client that goes
 * away ends the wait (dockerd then sees its stream closed). n > 0, 0 at the
 * engine's EOF, -1 on error or when the client left. */
ssize_t
proxy_fill_engine(struct proxy_cx *x)
{
	/* Only a client that closed both ways is gone (POLLHUP, always
	 * reported): one that only shut its side down still reads answers. */
	struct pollfd fds[2] = {{x->c->efd, POLLIN, 0}, {x->c->cfd, 0, 0}};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fds[0].revents != 0)
			return proxy_fill(x->c->efd, &x->ein);
		if (fds[1].revents != 0)
			return -1;
	}
}

/* ------------------------------------------------------------------------ */
/* The response                                                             */

/* Relay n bytes at the front of x->ein to the client. */
static int
pass(struct proxy_cx *x, size_t n)
{
	if (proxy_send_all(x->c->cfd, x->ein.p, n) != 0)
		return -1;
	proxy_buf_consume(&x->ein, n);
	return 0;
}

static int
relay_length(struct proxy_cx *x, unsigned long long left)
{
	while (left > 0) {
		size_t k = x->ein.len < left ? x->ein.len : (size_t)left;

		if (k > 0 && pass(x, k) != 0)
			return -1;
		left -= k;
		if (left > 0 && proxy_fill_engine(x) <= 0)
			return -1;
	}
	return 0;
}

/* A body that ends when the engine closes: relayed to its end. */
static int
relay_to_close(struct proxy_cx *x)
{
	int n;

	for (;;) {
		if (x->ein.len > 0 && pass(x, x->ein.len) != 0)
			return -1;
		if ((n = proxy_fill_engine(x)) <= 0)
			return n;
	}
}

/* A hijacked stream: dockerd's attach and exec start answer a client that
 * asked for no upgrade with a 200 of a stream type and no framing, then
 * read the container's stdin from the same connection. */
static int
hijacked(const struct proxy_head *h)
{
	return strcmp(h->ctype, "application/vnd.docker.raw-stream") == 0 ||
	       strcmp(h->ctype, "application/vnd.docker.multiplexed-stream") == 0;
}

static int
relay_chunked(struct proxy_cx *x)
{
	struct proxy_chunks ch;
	int done = 0;

	proxy_chunks_init(&ch);
	for (;;) {
		long k = proxy_chunks_feed(&ch, x->ein.p, x->ein.len, NULL, NULL, &done);

		if (k < 0 || (k > 0 && pass(x, (size_t)k) != 0))
			return -1;
		if (done)
			return 0;
		if (proxy_fill_engine(x) <= 0)
			return -1;
	}
}

/* The final response's status, and its body when it is small and framed
 * by Content-Length, before the client sees any of it (the container
 * records are written before a create's answer goes out, as the plugin's
 * AuthZRes writes them). 0, or -1. */
static int
tell_early(struct proxy_cx *x, const struct proxy_head *h, proxy_early_fn early, void *arg)
{
	size_t body =
	    !h->chunked && h->clen > 0 && h->clen <= PROXY_CAPTURE_MAX ? (size_t)h->clen : 0;

	while (x->ein.len < h->len + body)
		if (proxy_fill_engine(x) <= 0)
			return -1;
	early(arg, h->status, body > 0 ? x->ein.p + h->len : NULL, body);
	return 0;
}

/* Relay the response to req. 1 when done and the connection goes on, 0
 * when done and it must close, 2 when it is now a byte pipe (101, or a
 * hijacked stream), -1 on error. *status: the final status. */
int
proxy_relay_response(struct proxy_cx *x, const struct proxy_head *req, int *status,
                     proxy_early_fn early, void *arg)
{
	struct proxy_head h;
	const char *why;
	int rc, head_req = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;

	for (;;) {
		while ((rc = x->ein.len > 0 ? proxy_parse_response(x->ein.p, x->ein.len, &h, &why)
		                            : 0) == 0)
			if (proxy_fill_engine(x) <= 0)
				return -1;
		if (rc < 0) {
			log_warnx("proxy: the engine's response: %s", why);
			return -1;
		}
		*status = h.status;
		if (h.status >= 200 || h.status == 101)
			break; /* 100 and other interim responses: the final one follows */
		if (pass(x, h.len) != 0)
			return -1;
	}
	if (early != NULL && tell_early(x, &h, early, arg) != 0)
		return -1;
	if (pass(x, h.len) != 0)
		return -1;
	if (h.status == 101)
		return 2;
	if (head_req || h.status == 204 || h.status == 304)
		rc = 0;
	else if (h.chunked)
		rc = relay_chunked(x);
	else if (h.clen >= 0)
		rc = relay_length(x, (unsigned long long)h.clen);
	else if (hijacked(&h))
		return 2;
	else /* Go closes what it could not frame: so does the client's side,
	        and nothing more the client sent goes on unjudged. */
		return relay_to_close(x) == 0 ? 0 : -1;
	if (rc != 0)
		return -1;
	return !(req->conn_close || h.conn_close || (req->minor == 0 && !req->conn_keep_alive) ||
	         (h.minor == 0 && !h.conn_keep_alive));
}

/* Both ways, as bytes, until both sides are done. One side's EOF is passed
 * on as a half-close (docker's stdin EOF). */
void
proxy_splice(struct proxy_cx *x)
{
	int cfd = x->c->cfd, efd = x->c->efd;
	int up = x->in.len == 0 || proxy_send_all(efd, x->in.p, x->in.len) == 0;
	int down = x->ein.len == 0 || proxy_send_all(cfd, x->ein.p, x->ein.len) == 0;

	x->in.len = x->ein.len = 0;
	while (up || down) {
		struct pollfd fds[2] = {{up ? cfd : -1, POLLIN, 0}, {down ? efd : -1, POLLIN, 0}};
		ssize_t n;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (up && fds[0].revents != 0) {
			if ((n = read(cfd, x->io, sizeof(x->io))) > 0) {
				if (proxy_send_all(efd, x->io, (size_t)n) != 0)
					return;
			} else if (n == 0 || errno != EINTR) {
				up = 0;
				shutdown(efd, SHUT_WR);
			}
		}
		if (down && fds[1].revents != 0) {
			if ((n = read(efd, x->io, sizeof(x->io))) > 0) {
				if (proxy_send_all(cfd, x->io, (size_t)n) != 0)
					return;
			} else if (n == 0 || errno != EINTR) {
				down = 0;
				shutdown(cfd, SHUT_WR);
			}
		}
	}
}
