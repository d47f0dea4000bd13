/* SPDX-License-Identifier: Apache-2.0 */
/* The small HTTP client of upstream mode, on libcurl: one request at a time
 * on one thread, keep-alive across requests, a bounded reply body, the ETag
 * and Link headers captured, TLS verified (against --upstream-cacert or the
 * system's store), and a cancel that another thread may call to end a
 * long-poll at once (shutdown). */
#ifndef LOCKSET_UPSTREAM_HTTP_H
#define LOCKSET_UPSTREAM_HTTP_H

#include <stddef.h>

#define UPSTREAM_HTTP_MAX_BODY (16L * 1024 * 1024)

struct upstream_http;
struct curl_api;

struct upstream_http_reply {
	long status; /* HTTP status; 0 when no reply came */
	char *body;  /* NUL-terminated, malloc'd; NULL when empty */
	size_t len;
	char etag[80];
	char link[512];
	char error[256]; /* why no reply came */
};

/* A client on libcurl c (curl_load.h) sending "Authorization: Bearer token"
 * when token is not NULL and trusting cacert (NULL: the system's store). NULL
 * on failure. */
struct upstream_http *upstream_http_new(const struct curl_api *c, const char *cacert,
                                        const char *token);
void upstream_http_free(struct upstream_http *h);

/* GET url (with If-None-Match: inm when not NULL), or POST a JSON body.
 * Returns 0 when a reply came, whatever its status, and -1 (r->error set) on
 * a transport failure, a timeout after timeout_s seconds, an oversized body,
 * or a cancel. Release r with upstream_http_reply_clear. */
int upstream_http_get(struct upstream_http *h, const char *url, const char *inm, long timeout_s,
                      struct upstream_http_reply *r);
int upstream_http_post_json(struct upstream_http *h, const char *url, const char *json,
                            long timeout_s, struct upstream_http_reply *r);
void upstream_http_reply_clear(struct upstream_http_reply *r);

/* From any thread: end the request in progress, and fail every later one. */
void upstream_http_cancel(struct upstream_http *h);

#endif
