/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl (opened by curl_load.h) behind upstream_http.h. A multi handle
 * drives one easy handle so that the wait can be broken by curl_multi_wakeup
 * (cancel); the multi handle keeps the connection for the next request. */
#include "build-config.h"

#include "upstream_http.h"

#include "curl_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct upstream_http {
	const struct curl_api *c; /* libcurl (curl_load.h) */
	CURLM *multi;
	CURL *easy;
	char *cacert;
	char *auth; /* "Authorization: Bearer ..." or NULL */
	int cancelled;
};

struct upstream_http *
upstream_http_new(const struct curl_api *c, const char *cacert, const char *token)
{
	struct upstream_http *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->c = c;
	h->multi = h->c->multi_init();
	h->easy = h->c->easy_init();
	if (h->multi == NULL || h->easy == NULL ||
	    (cacert != NULL && (h->cacert = strdup(cacert)) == NULL) ||
	    (token != NULL && asprintf(&h->auth, "Authorization: Bearer %s", token) < 0)) {
		h->auth = NULL;
		upstream_http_free(h);
		return NULL;
	}
	return h;
}

void
upstream_http_free(struct upstream_http *h)
{
	if (h == NULL)
		return;
	if (h->easy != NULL)
		h->c->easy_cleanup(h->easy);
	if (h->multi != NULL)
		h->c->multi_cleanup(h->multi);
	if (h->auth != NULL) {
		memset(h->auth, 0, strlen(h->auth));
		free(h->auth);
	}
	free(h->cacert);
	free(h);
}

void
upstream_http_cancel(struct upstream_http *h)
{
	__atomic_store_n(&h->cancelled, 1, __ATOMIC_RELEASE);
	h->c->multi_wakeup(h->multi);
}

void
upstream_http_reply_clear(struct upstream_http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct upstream_http_reply *r = arg;
	size_t add = size * n;
	char *b;

	if (r->len + add > (size_t)UPSTREAM_HTTP_MAX_BODY) {
		snprintf(r->error, sizeof(r->error), "reply larger than %ld bytes",
		         UPSTREAM_HTTP_MAX_BODY);
		return 0; /* aborts the transfer */
	}
	if ((b = realloc(r->body, r->len + add + 1)) == NULL)
		return 0;
	memcpy(b + r->len, p, add);
	r->body = b;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* Copy the value of header line p (n bytes) into out when it is name. */
static void
take_header(const char *p, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), vl;

	if (n <= nl + 1 || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return;
	p += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	vl = n < outlen - 1 ? n : outlen - 1;
	memcpy(out, p, vl);
	out[vl] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct upstream_http_reply *r = arg;

	take_header(p, size * n, "ETag", r->etag, sizeof(r->etag));
	take_header(p, size * n, "Link", r->link, sizeof(r->link));
	return size * n;
}

static void
set_common(struct upstream_http *h, const char *url, long timeout_s, struct curl_slist *hdrs,
           struct upstream_http_reply *r)
{
	CURL *e = h->easy;

	h->c->easy_reset(e);
	h->c->easy_setopt(e, CURLOPT_URL, url);
	h->c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	h->c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	h->c->easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	h->c->easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	h->c->easy_setopt(e, CURLOPT_USERAGENT, "locksetd/" PACKAGE_VERSION);
	h->c->easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	h->c->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	h->c->easy_setopt(e, CURLOPT_WRITEDATA, r);
	h->c->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	h->c->easy_setopt(e, CURLOPT_HEADERDATA, r);
	h->c->easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)UPSTREAM_HTTP_MAX_BODY);
	/* The CA given is the only one trusted: not the directory libcurl was
	 * built to read besides (Debian's: /etc/ssl/certs). */
	if (h->cacert != NULL) {
		h->c->easy_setopt(e, CURLOPT_CAINFO, h->cacert);
		h->c->easy_setopt(e, CURLOPT_CAPATH, (const char *)NULL);
	}
}

/* Run the prepared easy handle to completion, a failure or a cancel. */
static int
perform(struct upstream_http *h, struct upstream_http_reply *r)
{
	CURLcode result = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left, done = 0;

	if (__atomic_load_n(&h->cancelled, __ATOMIC_ACQUIRE) ||
	    h->c->multi_add_handle(h->multi, h->easy) != CURLM_OK) {
		snprintf(r->error, sizeof(r->error), "cancelled");
		return -1;
	}
	while (!done) {
		if (h->c->multi_perform(h->multi, &running) != CURLM_OK)
			break;
		while ((msg = h->c->multi_info_read(h->multi, &left)) != NULL) {
			if (msg->msg == CURLMSG_DONE) {
				result = msg->data.result;
				done = 1;
			}
		}
		if (done || __atomic_load_n(&h->cancelled, __ATOMIC_ACQUIRE))
			break;
		h->c->multi_poll(h->multi, NULL, 0, 1000, NULL);
	}
	h->c->multi_remove_handle(h->multi, h->easy);
	if (!done) {
		snprintf(r->error, sizeof(r->error), "cancelled");
		return -1;
	}
	if (result != CURLE_OK) {
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "%s", h->c->easy_strerror(result));
		return -1;
	}
	h->c->easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int
upstream_http_get(struct upstream_http *h, const char *url, const char *inm, long timeout_s,
                  struct upstream_http_reply *r)
{
	struct curl_slist *hdrs = h->c->slist_append(NULL, "Accept: application/json");
	char line[128];
	int rc;

	memset(r, 0, sizeof(*r));
	if (h->auth != NULL)
		hdrs = h->c->slist_append(hdrs, h->auth);
	if (inm != NULL &&
	    snprintf(line, sizeof(line), "If-None-Match: %s", inm) < (int)sizeof(line))
		hdrs = h->c->slist_append(hdrs, line);
	set_common(h, url, timeout_s, hdrs, r);
	rc = perform(h, r);
	h->c->slist_free_all(hdrs);
	return rc;
}

int
upstream_http_post_json(struct upstream_http *h, const char *url, const char *json, long timeout_s,
                        struct upstream_http_reply *r)
{
	struct curl_slist *hdrs = h->c->slist_append(NULL, "Content-Type: application/json");
	int rc;

	memset(r, 0, sizeof(*r));
	if (h->auth != NULL)
		hdrs = h->c->slist_append(hdrs, h->auth);
	set_common(h, url, timeout_s, hdrs, r);
	h->c->easy_setopt(h->easy, CURLOPT_POSTFIELDS, json);
	rc = perform(h, r);
	h->c->slist_free_all(hdrs);
	return rc;
}
