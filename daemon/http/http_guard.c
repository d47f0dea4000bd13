/* SPDX-License-Identifier: Apache-2.0 */
/* Request-target and framing checks (see http_guard.h). Request smuggling
 * lives in the gaps between how two parsers frame one byte stream, so the
 * rules here are RFC 9112's strict ones: one Content-Length value, never
 * together with Transfer-Encoding, and no transfer coding but "chunked". */
#include "http_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum http_uri_problem
http_guard_uri(char *uri)
{
	char *query = strchr(uri, '?');
	size_t args = 0;

	for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++) {
		if (p[1] == '0' && p[2] == '0')
			return HTTP_URI_NUL;
	}
	if (query == NULL || query[1] == '\0')
		return HTTP_URI_OK;
	args = 1;
	for (const char *p = query + 1; *p != '\0'; p++)
		args += *p == '&';
	if (args <= HTTP_MAX_QUERY_ARGS)
		return HTTP_URI_OK;
	query[1] = '\0';
	return HTTP_URI_TOO_MANY_ARGS;
}

struct framing {
	unsigned n_length, n_encoding;
	const char *length;
	int lengths_differ, chunked;
};

/* Leading and trailing blanks do not count when comparing values. */
static int
same_value(const char *a, const char *b)
{
	size_t la, lb;

	a += strspn(a, " \t");
	b += strspn(b, " \t");
	la = strlen(a);
	lb = strlen(b);
	while (la > 0 && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb > 0 && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

static enum MHD_Result
framing_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (value == NULL)
		value = "";
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->n_length++ > 0 && !same_value(f->length, value))
			f->lengths_differ = 1;
		f->length = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->n_encoding++;
		/* libmicrohttpd reads a chunked body only for exactly this value. */
		f->chunked = strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

const char *
http_guard_framing(struct MHD_Connection *conn)
{
	struct framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.lengths_differ)
		return "conflicting Content-Length headers";
	if (f.n_encoding > 0 && f.n_length > 0)
		return "Content-Length together with Transfer-Encoding";
	if (f.n_encoding > 1)
		return "more than one Transfer-Encoding header";
	if (f.n_encoding == 1 && !f.chunked)
		return "unsupported Transfer-Encoding (only chunked is accepted)";
	return NULL;
}

/* name (len bytes, not NUL-terminated) names this host's loopback. */
static int
loopback_name(const char *name, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	struct in_addr a4;
	struct in6_addr a6;

	if (len == strlen("localhost") && strncasecmp(name, "localhost", len) == 0)
		return 1;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int
http_guard_host(const char *host, char *const *allowed, size_t nallowed)
{
	const char *name = host, *end, *port;
	size_t len;

	if (host == NULL)
		return 1;
	if (host[0] == '[') { /* an IPv6 literal, the only form with colons in it */
		name = host + 1;
		if ((end = strchr(name, ']')) == NULL)
			return 0;
		port = end + 1;
	} else {
		end = name + strcspn(name, ":");
		port = end;
	}
	/* Nothing after the name, or ':' and one or more digits. */
	if (*port != '\0' &&
	    (*port != ':' || port[1] == '\0' || strspn(port + 1, "0123456789") != strlen(port + 1)))
		return 0;
	len = (size_t)(end - name);
	if (len == 0)
		return 0;
	if (loopback_name(name, len))
		return 1;
	for (size_t i = 0; i < nallowed; i++) {
		if (strlen(allowed[i]) == len && strncasecmp(allowed[i], name, len) == 0)
			return 1;
	}
	return 0;
}

int
http_guard_host_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 253 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
	           len;
}
