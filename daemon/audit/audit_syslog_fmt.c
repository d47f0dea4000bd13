/* SPDX-License-Identifier: Apache-2.0 */
/* The pure half of syslog forwarding: --syslog targets and RFC 5424
 * messages (see audit_syslog.h for the layout). No sockets, no threads. */
#include "audit_syslog.h"
#include "util/names.h"
#include "util/textsafe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FACILITY_LOG_AUDIT 13
#define SEV_WARNING        4
#define SEV_NOTICE         5
#define PARAM_MAX          512 /* bytes of one SD parameter value, before escaping */

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return -1;
}

/* "HOST:PORT" or "[V6]:PORT" into t. */
static int
parse_host_port(const char *s, struct audit_syslog_target *t, char **err)
{
	const char *colon, *host = s;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return fail(err, "--syslog: expected [ADDRESS]:PORT after the scheme");
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return fail(err, "--syslog: expected HOST:PORT after the scheme");
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(t->host))
		return fail(err, "--syslog: missing or overlong host");
	memcpy(t->host, host, hlen);
	t->host[hlen] = '\0';
	colon++;
	if (strlen(colon) == 0 || strlen(colon) > 5 ||
	    strspn(colon, "0123456789") != strlen(colon) || atoi(colon) < 1 || atoi(colon) > 65535)
		return fail(err, "--syslog: expected a port from 1 to 65535, got \"%s\"", colon);
	snprintf(t->port, sizeof(t->port), "%s", colon);
	return 0;
}

int
audit_syslog_parse_target(const char *spec, struct audit_syslog_target *t, char **err)
{
	static const struct {
		const char *scheme;
		enum audit_syslog_proto proto;
	} schemes[] = {{"udp:", SYSLOG_UDP}, {"tcp:", SYSLOG_TCP}, {"tls:", SYSLOG_TLS}};

	memset(t, 0, sizeof(*t));
	if (strncmp(spec, "unix:", 5) == 0) {
		t->proto = SYSLOG_UNIX;
		if (spec[5] != '/' || strlen(spec + 5) >= sizeof(t->path))
			return fail(err, "--syslog: expected unix:/ABSOLUTE/PATH (under %zu bytes)",
			            sizeof(t->path));
		snprintf(t->path, sizeof(t->path), "%s", spec + 5);
		return 0;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(spec, schemes[i].scheme, 4) == 0) {
			t->proto = schemes[i].proto;
			return parse_host_port(spec + 4, t, err);
		}
	}
	return fail(err,
	            "--syslog: expected udp:HOST:PORT, tcp:HOST:PORT, tls:HOST:PORT or "
	            "unix:PATH, got \"%s\"",
	            spec);
}

/* ------------------------------------------------------------------------ */
/* Messages */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A header field: printable US-ASCII without spaces, at most max bytes;
 * "-" when empty (RFC 5424 NILVALUE). */
static void
put_field(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL || s[0] == '\0') {
		puts_(b, "-");
		return;
	}
	for (; s[n] != '\0' && n < max; n++) {
		char c = s[n] > 32 && s[n] < 127 ? s[n] : '_';
		put(b, &c, 1);
	}
}

/* The message body, the row's data as compact JSON, up to max bytes in all
 * (cut between characters). Its strings escape C0 controls already; DEL,
 * the C1 controls, U+2028, U+2029 (which some receivers take for line ends)
 * and the bidirectional controls, which jansson writes as they are, go as
 * \uXXXX (textsafe_json_char: still the same JSON). */
static void
put_body(struct buf *b, const char *data, size_t max)
{
	size_t n = 0, k;
	char esc[7];

	for (; data[n] != '\0'; n += k) {
		if (textsafe_json_char(data + n, &k, esc)) {
			if (b->len + 6 > max)
				break;
			puts_(b, esc);
			continue;
		}
		if (b->len + k > max)
			break;
		put(b, data + n, k);
	}
}

/* name="value", skipped when value is empty. RFC 5424 escapes '"', '\' and
 * ']'; a value also comes from callers (an event's actor, the image of a
 * denied create), so nothing in it may end the line or start another on
 * the receiver's side: the controls (C0, DEL, C1) and U+2028, U+2029 go as
 * \uXXXX, bytes that are not UTF-8 as \xHH (a literal backslash is always
 * doubled, so neither can be forged). At most PARAM_MAX bytes of the value,
 * cut between characters. */
static void
put_param(struct buf *b, const char *name, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0, k;
	unsigned cp;
	char esc[8];

	if (value == NULL || value[0] == '\0')
		return;
	puts_(b, " ");
	puts_(b, name);
	puts_(b, "=\"");
	for (; p[n] != '\0'; n += k) {
		if ((k = names_utf8_decode((const char *)p + n, &cp)) == 0) {
			if (n + 1 > PARAM_MAX)
				break;
			snprintf(esc, sizeof(esc), "\\x%02x", p[n]);
			puts_(b, esc);
			k = 1;
			continue;
		}
		if (n + k > PARAM_MAX)
			break;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			puts_(b, esc);
			continue;
		}
		if (cp == '"' || cp == '\\' || cp == ']')
			put(b, "\\", 1);
		put(b, (const char *)p + n, k);
	}
	puts_(b, "\"");
}

/* The rule ids of a JSON array text ("[\"a\",\"b\"]") as "a,b". Rule ids
 * are plain tokens, so the array's own characters are simply dropped. */
static void
rules_list(const char *json, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = json; p != NULL && *p != '\0' && n + 1 < outlen; p++) {
		if (*p == '[' || *p == ']' || *p == '"' || *p == ' ')
			continue;
		out[n++] = *p;
	}
	out[n] = '\0';
}

char *
audit_syslog_format(const struct audit_row *r, long pid, size_t *len)
{
	int sev =
	    r->decision != NULL && strcmp(r->decision, "deny") == 0 ? SEV_WARNING : SEV_NOTICE;
	char head[64], num[24], rules[512];
	struct buf b = {0};

	snprintf(head, sizeof(head), "<%d>1 ", FACILITY_LOG_AUDIT * 8 + sev);
	puts_(&b, head);
	put_field(&b, r->time, 64);
	puts_(&b, " ");
	put_field(&b, r->host, 255);
	snprintf(head, sizeof(head), " lockset %ld ", pid);
	puts_(&b, head);
	put_field(&b, r->action, 32);
	puts_(&b, " [" AUDIT_SYSLOG_SD_ID);
	snprintf(num, sizeof(num), "%lld", r->id);
	put_param(&b, "id", num);
	put_param(&b, "hash", r->hash);
	put_param(&b, "action", r->action);
	put_param(&b, "actor", r->actor);
	put_param(&b, "subject", r->subject);
	put_param(&b, "component", r->component);
	put_param(&b, "decision", r->decision);
	rules_list(r->rules, rules, sizeof(rules));
	put_param(&b, "rules", rules);
	if (r->policy_version >= 0) {
		snprintf(num, sizeof(num), "%lld", r->policy_version);
		put_param(&b, "policyVersion", num);
	}
	puts_(&b, "]");
	if (r->data != NULL && r->data[0] != '\0' && b.len + 1 < AUDIT_SYSLOG_MAX) {
		puts_(&b, " ");
		put_body(&b, r->data, AUDIT_SYSLOG_MAX);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
