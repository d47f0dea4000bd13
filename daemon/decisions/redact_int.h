/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by redact.c (key, token, buffer, query strings) and
 * redact_json.c (the JSON walker). Not for other modules: they use
 * redact.h. */
#ifndef LOCKSET_REDACT_INT_H
#define LOCKSET_REDACT_INT_H

#include "redact.h"

#include <stddef.h>

/* A growing output buffer, always NUL-terminated once written to; nomem is
 * set (and nothing more written) when it cannot grow. */
struct buf {
	char *p;
	size_t n, cap;
	int nomem;
};

/* Append n bytes of s. */
void redact_buf_put(struct buf *b, const void *s, size_t n);

/* Walk text (len bytes) as one JSON value, hiding what must be hidden; map:
 * the value is a buildargs map (every string in it is hidden). 0 when it is
 * JSON, with *changed set and, when a value was hidden, *out holding the
 * result (free out->p in every case); 1 when it is not JSON; -1 on ENOMEM. */
int redact_json_walk(const struct redact *r, const char *text, size_t len, int map, struct buf *out,
                     int *changed);

#endif
