/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl's HTTP client: one libcurl request per call, over the daemon's
 * Unix socket (the caller is identified by its uid) or a URL with a bearer
 * token and optional CA bundle; replies are kept in memory up to a hard
 * maximum or streamed to a file. Maps outcomes to the shared exit codes. */
#include "ctl.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLY_MAX (256L * 1024 * 1024) /* the largest reply kept in memory */

struct sink {
	struct ctl_reply *r;
	FILE *out;
	int too_large;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	struct ctl_reply *r = s->r;
	size_t len = size * n;
	char *b;

	if (s->out != NULL && r->status >= 200 && r->status < 300)
		return fwrite(data, 1, len, s->out) == len ? len : 0;
	if (r->len + len > (size_t)REPLY_MAX) {
		s->too_large = 1;
		return 0;
	}
	if ((b = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;
	memcpy(b + r->len, data, len);
	r->body = b;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* Keep "Name: value" of the headers we use (the last one wins). */
static void
keep_header(char *dst, size_t dstsz, const char *line, size_t len, size_t namelen)
{
	size_t start = namelen, end = len;

	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
		end--;
	if (end - start >= dstsz)
		end = start + dstsz - 1;
	memcpy(dst, line + start, end - start);
	dst[end - start] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
		s->r->status = strtol(strchr(line, ' ') ? strchr(line, ' ') + 1 : line, NULL, 10);
	else if (len > 5 && strncasecmp(line, "ETag:", 5) == 0)
		keep_header(s->r->etag, sizeof(s->r->etag), line, len, 5);
	else if (len > 13 && strncasecmp(line, "Content-Type:", 13) == 0)
		keep_header(s->r->ctype, sizeof(s->r->ctype), line, len, 13);
	return len;
}

static struct curl_slist *
build_headers(const struct ctl *c, const struct ctl_req *rq)
{
	struct curl_slist *h = NULL;
	char line[4200];
	const char *token = c->token ? c->token : getenv("LOCKSET_TOKEN");

	h = curl_slist_append(h, "Accept: application/json");
	if (c->url != NULL && token != NULL && token[0] != '\0') {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
		memset(line, 0, sizeof(line));
	}
	if (rq != NULL && rq->body != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s",
		         rq->ctype ? rq->ctype : "application/json");
		h = curl_slist_append(h, line);
	}
	if (rq != NULL && rq->if_match != NULL) {
		snprintf(line, sizeof(line), "If-Match: %s", rq->if_match);
		h = curl_slist_append(h, line);
	}
	if (rq != NULL && rq->if_none_match != NULL) {
		snprintf(line, sizeof(line), "If-None-Match: %s", rq->if_none_match);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	return h;
}

int
ctl_http(const struct ctl *c, const char *method, const char *path, const struct ctl_req *rq,
         struct ctl_reply *r)
{
	struct sink s = {r, rq ? rq->out : NULL, 0};
	struct curl_slist *hdrs;
	char url[8192], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *h;

	memset(r, 0, sizeof(*r));
	if ((h = curl_easy_init()) == NULL) {
		fprintf(stderr, "locksetctl: cannot initialise libcurl\n");
		return CTL_SERVER;
	}
	if (c->url != NULL) {
		size_t n = strlen(c->url);
		while (n > 0 && c->url[n - 1] == '/')
			n--;
		snprintf(url, sizeof(url), "%.*s%s", (int)n, c->url, path);
	} else {
		snprintf(url, sizeof(url), "http://lockset%s", path);
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	}
	hdrs = build_headers(c, rq);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, rq && rq->timeout ? rq->timeout : 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* The token goes nowhere but the daemon: no proxy from the environment
	 * (an admin's http_proxy would get it, loopback URLs included). */
	curl_easy_setopt(h, CURLOPT_PROXY, c->url != NULL && c->proxy != NULL ? c->proxy : "");
	if (c->cacert != NULL) { /* the only CA trusted, not libcurl's directory besides */
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
		curl_easy_setopt(h, CURLOPT_CAPATH, (const char *)NULL);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (rq != NULL && rq->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (cc != CURLE_OK) {
		fprintf(stderr, "locksetctl: %s: %s\n", c->url ? c->url : c->socket,
		        s.too_large ? "reply too large"
		        : errbuf[0] ? errbuf
		                    : curl_easy_strerror(cc));
		ctl_reply_clear(r);
		return s.too_large ? CTL_SERVER : CTL_UNREACHABLE;
	}
	return CTL_OK;
}

void
ctl_reply_clear(struct ctl_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

json_t *
ctl_reply_json(const struct ctl_reply *r)
{
	json_error_t err;
	char text[4 * JSON_ERROR_TEXT_LENGTH];
	json_t *v;

	if (r->body == NULL) {
		fprintf(stderr, "locksetctl: the server sent no body (status %ld)\n", r->status);
		return NULL;
	}
	/* jansson's error quotes the text it stopped at, the server's bytes. */
	if ((v = json_loadb(r->body, r->len, JSON_DECODE_ANY, &err)) == NULL)
		fprintf(stderr, "locksetctl: the reply is not JSON (status %ld): %s\n", r->status,
		        ctl_safe(err.text, text, sizeof(text)));
	return v;
}

int
ctl_reply_fail(const struct ctl_reply *r)
{
	json_error_t jerr;
	json_t *v = r->body ? json_loadb(r->body, r->len, 0, &jerr) : NULL;
	json_t *e = json_object_get(v, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	char msg[4096], cbuf[256];

	if (code != NULL)
		fprintf(
		    stderr, "locksetctl: %s (%ld %s)\n",
		    ctl_safe(json_string_value(json_object_get(e, "message")), msg, sizeof(msg)),
		    r->status, ctl_safe(code, cbuf, sizeof(cbuf)));
	else
		fprintf(stderr, "locksetctl: the server answered %ld\n", r->status);
	ctl_print_problems(stderr, json_object_get(e, "details"));
	json_decref(v);
	if (r->status == 400)
		return CTL_USAGE;
	if (r->status >= 401 && r->status < 500)
		return CTL_NO;
	return CTL_SERVER;
}

static int
finish_json(struct ctl_reply *r, json_t **out)
{
	int rc = CTL_OK;

	*out = NULL;
	if (r->status < 200 || r->status >= 300)
		rc = ctl_reply_fail(r);
	else if (r->status != 204 && (*out = ctl_reply_json(r)) == NULL)
		rc = CTL_SERVER;
	ctl_reply_clear(r);
	return rc;
}

int
ctl_get_json(const struct ctl *c, const char *path, json_t **out)
{
	struct ctl_reply r;
	int rc = ctl_http(c, "GET", path, NULL, &r);

	*out = NULL;
	return rc != CTL_OK ? rc : finish_json(&r, out);
}

int
ctl_get_listing(const struct ctl *c, const char *path, json_t **out)
{
	int rc = ctl_get_json(c, path, out);

	if (rc == CTL_OK && c->json) {
		ctl_print_json(*out);
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
ctl_send_json(const struct ctl *c, const char *method, const char *path, const json_t *body,
              json_t **out)
{
	struct ctl_req rq = {0};
	struct ctl_reply r;
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	int rc;

	*out = NULL;
	rq.body = text;
	rq.len = text ? strlen(text) : 0;
	rc = ctl_http(c, method, path, &rq, &r);
	free(text);
	return rc != CTL_OK ? rc : finish_json(&r, out);
}

/* Append value to buf percent-encoded (RFC 3986 unreserved characters as is). */
static void
append_encoded(char *buf, size_t bufsz, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(buf);

	for (const unsigned char *p = (const unsigned char *)value; *p && o + 4 < bufsz; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf[o++] = (char)*p;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	if (o < bufsz)
		buf[o] = '\0';
}

void
ctl_query_add(char *buf, size_t bufsz, const char *name, const char *value)
{
	size_t o = strlen(buf);

	if (value == NULL || o + strlen(name) + 2 >= bufsz)
		return;
	snprintf(buf + o, bufsz - o, "%c%s=", strchr(buf, '?') ? '&' : '?', name);
	append_encoded(buf, bufsz, value);
}

void
ctl_path_add(char *buf, size_t bufsz, const char *segment)
{
	size_t o = strlen(buf);

	if (o + 2 >= bufsz)
		return;
	buf[o] = '/';
	buf[o + 1] = '\0';
	append_encoded(buf, bufsz, segment);
}
