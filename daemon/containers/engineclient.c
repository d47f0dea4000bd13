/* SPDX-License-Identifier: Apache-2.0 */
/* A GET over the engine's Unix socket: connect, send, read the reply whole
 * under a size cap and one deadline, and decode its body (Content-Length,
 * chunked or close-delimited). */
#include "engineclient.h"

#include "engineclient_int.h"
#include "engine/gojson.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void
engineclient_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

void
engineclient_reply_clear(struct engineclient_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------ */
/* Transport                                                                */

long long
engineclient_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for ev, or the deadline. 0 when ready, else -1. */
static int
wait_for(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - engineclient_now_ms();
		struct pollfd p = {fd, ev, 0};
		int n;

		if (left <= 0)
			return -1;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
connect_unix(const char *path, char *err, size_t errsz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof(sa.sun_path)) {
		engineclient_seterr(err, errsz, "engine socket path \"%s\" is not usable", path);
		return -1;
	}
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* A full backlog gives EAGAIN on a non-blocking Unix connect. */
		engineclient_seterr(err, errsz, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_for(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* The status line and the headers lockset reads. */
struct head {
	size_t end; /* offset of the body */
	int status;
	long long clen; /* -1: no Content-Length */
	int chunked;
};

/* Parse the head in p[0..len). 1 when complete, 0 when more is needed, -1
 * when malformed. */
static int
parse_head(const char *p, size_t len, struct head *h)
{
	const char *end = memmem(p, len, "\r\n\r\n", 4), *line, *next;

	if (end == NULL)
		return len > ENGINECLIENT_MAX_HEADER ? -1 : 0;
	h->end = (size_t)(end - p) + 4;
	h->clen = -1;
	h->chunked = 0;
	if (h->end < 16 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[9] < '1' ||
	    p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (p[12] != ' ' && p[12] != '\r'))
		return -1;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (line = (const char *)memchr(p, '\n', h->end) + 1; line < end; line = next) {
		const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2), *v;
		size_t nl;

		next = eol + 2;
		v = memchr(line, ':', (size_t)(eol - line));
		if (v == NULL)
			return -1;
		nl = (size_t)(v - line);
		for (v++; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		if (nl == 14 && strncasecmp(line, "Content-Length", nl) == 0) {
			long long n = 0;

			if (v == eol || h->clen >= 0)
				return -1; /* empty, or two of them */
			for (; v < eol && *v >= '0' && *v <= '9' && n <= ENGINECLIENT_MAX_BODY; v++)
				n = n * 10 + (*v - '0');
			if (v != eol)
				return -1;
			h->clen = n;
		} else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", nl) == 0) {
			h->chunked =
			    (size_t)(eol - v) >= 7 && strncasecmp(eol - 7, "chunked", 7) == 0;
		}
	}
	return 1;
}

/* Walk a chunked body in p[0..len), copying the data to out when it is not
 * NULL (at least len bytes). 1 when the last chunk and the trailers are in,
 * 0 when more is needed, -1 when malformed or over max. *outlen: bytes. */
static int
dechunk(const char *p, size_t len, size_t max, char *out, size_t *outlen)
{
	size_t at = 0, total = 0;

	for (;;) {
		size_t size = 0, digits = 0;
		const char *eol;

		while (at < len && gojson_hexval((unsigned char)p[at]) >= 0 && digits < 9) {
			size = size * 16 + (size_t)gojson_hexval((unsigned char)p[at++]);
			digits++;
		}
		if (at == len)
			return 0;
		if (digits == 0 || digits == 9)
			return -1;
		if ((eol = memmem(p + at, len - at, "\r\n", 2)) == NULL)
			return len - at > 1024 ? -1 : 0; /* a chunk extension */
		at = (size_t)(eol - p) + 2;
		if (size == 0)
			break;
		if (size > max - total)
			return -1;
		if (len - at < size + 2)
			return 0;
		if (p[at + size] != '\r' || p[at + size + 1] != '\n')
			return -1;
		if (out != NULL)
			memcpy(out + total, p + at, size);
		total += size;
		at += size + 2;
	}
	/* Trailer lines, then an empty line. */
	for (;;) {
		const char *eol = memmem(p + at, len - at, "\r\n", 2);

		if (eol == NULL)
			return 0;
		if (eol == p + at)
			break;
		at = (size_t)(eol - p) + 2;
	}
	*outlen = total;
	return 1;
}

/* Is the reply in p[0..len) complete? 1, 0 (read on), -1 (malformed). */
static int
reply_complete(const char *p, size_t len, size_t max, int eof)
{
	struct head h;
	size_t n;
	int rc = parse_head(p, len, &h);

	if (rc != 1)
		return rc == 0 && eof ? -1 : rc;
	if (h.status == 204 || h.status == 304 || h.status / 100 == 1)
		return 1;
	if (h.chunked) {
		rc = dechunk(p + h.end, len - h.end, max, NULL, &n);
		return rc == 0 && eof ? -1 : rc;
	}
	if (h.clen >= 0) {
		if ((size_t)h.clen > max)
			return -1;
		if (len - h.end >= (size_t)h.clen)
			return 1;
		return eof ? -1 : 0;
	}
	return eof ? 1 : (len - h.end > max ? -1 : 0);
}

/* Read the whole reply into *buf (malloc'd). 0, or -1 with err set. */
static int
read_reply(int fd, size_t max, long long deadline, char **buf, size_t *len, char *err, size_t errsz)
{
	size_t cap = 0, limit = max + ENGINECLIENT_MAX_HEADER + 4096;
	int rc = 0, eof = 0;

	*buf = NULL;
	*len = 0;
	while (rc == 0) {
		ssize_t n;

		if (cap - *len < 4096) {
			char *nb = cap >= limit ? NULL : realloc(*buf, cap + 16384 + 1);
			if (nb == NULL) {
				engineclient_seterr(
				    err, errsz, cap >= limit ? "reply too large" : "out of memory");
				return -1;
			}
			*buf = nb;
			cap += 16384;
		}
		n = recv(fd, *buf + *len, cap - *len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_for(fd, POLLIN, deadline) != 0) {
				engineclient_seterr(err, errsz,
				                    "no complete reply within the time-out");
				return -1;
			}
			continue;
		}
		if (n < 0) {
			engineclient_seterr(err, errsz, "read: %s", strerror(errno));
			return -1;
		}
		eof = n == 0;
		*len += (size_t)n;
		rc = reply_complete(*buf, *len, max, eof);
	}
	if (rc < 0)
		engineclient_seterr(err, errsz, "malformed or oversized reply");
	return rc < 0 ? -1 : 0;
}

/* Turn the raw reply into out. 0, or -1 (ENOMEM). */
static int
reply_body(const char *raw, size_t len, size_t max, struct engineclient_reply *out)
{
	struct head h;
	size_t n = 0;

	parse_head(raw, len, &h);
	out->status = h.status;
	if ((out->body = malloc(len - h.end + 1)) == NULL)
		return -1;
	if (h.status == 204 || h.status == 304 || h.status / 100 == 1)
		n = 0;
	else if (h.chunked)
		dechunk(raw + h.end, len - h.end, max, out->body, &n);
	else
		n = h.clen >= 0 ? (size_t)h.clen : len - h.end;
	if (!h.chunked)
		memcpy(out->body, raw + h.end, n);
	out->body[n] = '\0';
	out->len = n;
	return 0;
}

int
engineclient_get(const char *socket, const char *path, int timeout_ms, size_t max_body,
                 struct engineclient_reply *out, char *err, size_t errsz)
{
	long long deadline = engineclient_now_ms() + timeout_ms;
	char *req = NULL, *raw = NULL;
	size_t rawlen;
	int fd, n, result = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = connect_unix(socket, err, errsz)) < 0)
		return -1;
	n = asprintf(&req,
	             "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: locksetd\r\n"
	             "Accept: application/json\r\nConnection: close\r\n\r\n",
	             path);
	if (n < 0) {
		req = NULL;
		engineclient_seterr(err, errsz, "out of memory");
		goto out;
	}
	if (send_all(fd, req, (size_t)n, deadline) != 0) {
		engineclient_seterr(err, errsz, "cannot send the request: %s", strerror(errno));
		goto out;
	}
	if (read_reply(fd, max_body, deadline, &raw, &rawlen, err, errsz) != 0)
		goto out;
	if (reply_body(raw, rawlen, max_body, out) != 0) {
		engineclient_seterr(err, errsz, "out of memory");
		goto out;
	}
	result = 0;
out:
	close(fd);
	free(req);
	free(raw);
	return result;
}
