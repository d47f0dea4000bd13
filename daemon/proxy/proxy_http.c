/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 framing for the docker socket proxy: request and response heads,
 * and chunked bodies as they stream by. Only what the proxy needs to judge a
 * request and to find where it (and its response) ends; anything ambiguous
 * is refused rather than guessed, so that no request can mean one thing to
 * lockset and another to dockerd (request smuggling). */
#include "proxy_int.h"

#include "engine/engineapi.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Does the comma-separated list v (n bytes) hold token (any case)? */
static int
list_has(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);

	while (n > 0) {
		const char *comma = memchr(v, ',', n);
		size_t k = comma != NULL ? (size_t)(comma - v) : n, a = 0, b = k;

		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tl && strncasecmp(v + a, token, tl) == 0)
			return 1;
		if (comma == NULL)
			break;
		n -= k + 1;
		v = comma + 1;
	}
	return 0;
}

static int
name_is(const struct proxy_header *x, const char *name)
{
	return x->nlen == strlen(name) && strncasecmp(x->name, name, x->nlen) == 0;
}

/* One header line at p[0..n) (CRLF excluded) into x. 0, or -1. */
static int
parse_header(const char *p, size_t n, struct proxy_header *x, int strict)
{
	size_t i = 0, a, b;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ':')
		return -1; /* no name, or space before the colon, or a folded line */
	x->name = p;
	x->nlen = i;
	for (a = i + 1; a < n && (p[a] == ' ' || p[a] == '\t'); a++)
		;
	for (b = n; b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'); b--)
		;
	for (size_t k = a; strict && k < b; k++)
		if (((unsigned char)p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f)
			return -1;
	x->value = p + a;
	x->vlen = b - a;
	return 0;
}

/* Read what the proxy acts on from the headers. 0, or -1 (why). */
static int
read_fields(struct proxy_head *h, int request, const char **why)
{
	int te = 0, ctypes = 0;

	h->clen = -1;
	for (size_t i = 0; i < h->nh; i++) {
		const struct proxy_header *x = &h->h[i];

		if (name_is(x, "Content-Length")) {
			long long v = 0;

			if (x->vlen == 0 || x->vlen > 15)
				return *why = "bad Content-Length", -1;
			for (size_t k = 0; k < x->vlen; k++) {
				if (x->value[k] < '0' || x->value[k] > '9')
					return *why = "bad Content-Length", -1;
				v = v * 10 + (x->value[k] - '0');
			}
			if (h->clen >= 0 && h->clen != v)
				return *why = "conflicting Content-Length headers", -1;
			h->clen = v;
		} else if (name_is(x, "Transfer-Encoding")) {
			if (te++ > 0 || x->vlen != 7 || strncasecmp(x->value, "chunked", 7) != 0)
				return *why = "unsupported Transfer-Encoding", -1;
			h->chunked = 1;
		} else if (name_is(x, "Connection")) {
			h->conn_close |= list_has(x->value, x->vlen, "close");
			h->conn_keep_alive |= list_has(x->value, x->vlen, "keep-alive");
			h->conn_upgrade |= list_has(x->value, x->vlen, "upgrade");
		} else if (name_is(x, "Expect")) {
			h->expect_continue =
			    x->vlen == 12 && strncasecmp(x->value, "100-continue", 12) == 0;
			if (!h->expect_continue && request)
				return *why = "unsupported Expect", -1;
		} else if (name_is(x, "Content-Type")) {
			/* dockerd reads the first (a form body's values become
			 * parameters), a judgement would read one: refused. */
			if (request && ctypes++ > 0)
				return *why = "more than one Content-Type header", -1;
			/* The media type as dockerd's Go reads it. */
			engineapi_media_type(x->value, x->vlen, h->ctype, sizeof(h->ctype));
		}
	}
	if (h->chunked && h->clen >= 0) {
		if (request)
			return *why = "both Transfer-Encoding and Content-Length", -1;
		h->clen = -1;
	}
	if (request && h->chunked && h->minor == 0)
		return *why = "Transfer-Encoding in an HTTP/1.0 request", -1;
	return 0;
}

/* The header lines after the start line, up to the empty line at end. */
static int
parse_lines(const char *p, size_t start, size_t end, struct proxy_head *h, int strict,
            const char **why)
{
	size_t at = start;

	while (at < end) {
		const char *eol = memchr(p + at, '\r', end - at);
		size_t n;

		if (eol == NULL || eol[1] != '\n')
			return *why = "bad line ending", -1;
		n = (size_t)(eol - (p + at));
		if (memchr(p + at, '\n', n) != NULL || memchr(p + at, '\0', n) != NULL)
			return *why = "bad line ending", -1;
		if (h->nh == PROXY_MAX_HEADERS)
			return *why = "too many headers", -1;
		if (parse_header(p + at, n, &h->h[h->nh], strict) != 0)
			return *why = "malformed header line", -1;
		h->h[h->nh].start = at;
		h->h[h->nh].end = at + n + 2;
		h->nh++;
		at += n + 2;
	}
	return 0;
}

/* Find the end of the head. 1 (h->len set), 0 (more), -1 (too large). */
static int
find_end(const char *p, size_t n, struct proxy_head *h, const char **why)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	memset(h, 0, sizeof(*h));
	if (e == NULL) {
		if (n >= PROXY_MAX_HEAD)
			return *why = "head too large", -1;
		return 0;
	}
	h->len = (size_t)(e - p) + 4;
	if (h->len > PROXY_MAX_HEAD)
		return *why = "head too large", -1;
	return 1;
}

int
proxy_parse_request(const char *p, size_t n, struct proxy_head *h, const char **why)
{
	size_t i = 0, line_end;
	int rc = find_end(p, n, h, why);

	if (rc != 1)
		return rc;
	line_end = (size_t)((const char *)memchr(p, '\r', h->len) - p);
	while (i < line_end && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= line_end || p[i] != ' ')
		return *why = "malformed request line", -1;
	h->method = p;
	h->method_len = i;
	h->target = p + ++i;
	while (i < line_end && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	h->target_len = (size_t)(p + i - h->target);
	if (h->target_len == 0 || line_end - i != 9 || strncmp(p + i, " HTTP/1.", 8) != 0 ||
	    (p[i + 8] != '0' && p[i + 8] != '1') || p[line_end + 1] != '\n')
		return *why = "malformed request line", -1;
	h->minor = p[i + 8] - '0';
	if (parse_lines(p, line_end + 2, h->len - 2, h, 1, why) != 0)
		return -1;
	return read_fields(h, 1, why) == 0 ? 1 : -1;
}

int
proxy_parse_response(const char *p, size_t n, struct proxy_head *h, const char **why)
{
	size_t line_end;
	int rc = find_end(p, n, h, why);

	if (rc != 1)
		return rc;
	line_end = (size_t)((const char *)memchr(p, '\r', h->len) - p);
	if (line_end < 12 || strncmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
	    p[11] > '9' || (line_end > 12 && p[12] != ' ') || p[line_end + 1] != '\n')
		return *why = "malformed status line", -1;
	h->minor = p[7] - '0';
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (parse_lines(p, line_end + 2, h->len - 2, h, 0, why) != 0)
		return -1;
	return read_fields(h, 0, why) == 0 ? 1 : -1;
}

const char *
proxy_header_get(const struct proxy_head *h, const char *name, char *buf, size_t bufsz)
{
	for (size_t i = 0; i < h->nh; i++)
		if (name_is(&h->h[i], name)) {
			size_t n = h->h[i].vlen < bufsz - 1 ? h->h[i].vlen : bufsz - 1;

			memcpy(buf, h->h[i].value, n);
			buf[n] = '\0';
			return buf;
		}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Chunked bodies                                                           */

enum {
	CH_SIZE,
	CH_EXT,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	CH_TRAILER_LF,
	CH_DONE
};

#define CHUNK_LINE_MAX 4096

void
proxy_chunks_init(struct proxy_chunks *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One byte of framing (every state but CH_DATA). 0, or -1. */
static int
frame_byte(struct proxy_chunks *c, char ch)
{
	int v;

	if (++c->line > CHUNK_LINE_MAX)
		return -1;
	switch (c->state) {
	case CH_SIZE:
		if ((v = hexval(ch)) >= 0) {
			if (c->line > 16)
				return -1;
			c->left = c->left * 16 + (unsigned)v;
			return 0;
		}
		if (c->line == 1)
			return -1;
		if (ch == '\r')
			c->state = CH_SIZE_LF;
		else if (ch == ';' || ch == ' ' || ch == '\t')
			c->state = CH_EXT;
		else
			return -1;
		return 0;
	case CH_EXT:
		if (ch == '\r')
			c->state = CH_SIZE_LF;
		else if (ch == '\n')
			return -1;
		return 0;
	case CH_SIZE_LF:
		if (ch != '\n')
			return -1;
		c->line = 0;
		c->state = c->left > 0 ? CH_DATA : CH_TRAILER;
		return 0;
	case CH_DATA_CR:
		c->line = 0;
		if (ch != '\r')
			return -1;
		c->state = CH_DATA_LF;
		return 0;
	case CH_DATA_LF:
		if (ch != '\n')
			return -1;
		c->line = 0;
		c->state = CH_SIZE;
		return 0;
	case CH_TRAILER:
		if (ch == '\r')
			c->state = CH_TRAILER_LF;
		else if (ch == '\n')
			return -1;
		return 0;
	case CH_TRAILER_LF:
		if (ch != '\n')
			return -1;
		c->state = c->line == 2 ? CH_DONE : CH_TRAILER; /* an empty line ends it */
		c->line = 0;
		return 0;
	}
	return -1;
}

long
proxy_chunks_feed(struct proxy_chunks *c, const char *p, size_t n, char *out, size_t *outn,
                  int *done)
{
	size_t at = 0;

	*done = c->state == CH_DONE;
	while (at < n && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			size_t k = n - at < c->left ? n - at : (size_t)c->left;

			if (out != NULL)
				memcpy(out + *outn, p + at, k);
			if (outn != NULL)
				*outn += k;
			c->total += k;
			c->left -= k;
			at += k;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		if (frame_byte(c, p[at++]) != 0)
			return -1;
	}
	*done = c->state == CH_DONE;
	return (long)at;
}
