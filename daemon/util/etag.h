/* SPDX-License-Identifier: Apache-2.0 */
/* Making strong ETags, and matching them against If-None-Match and If-Match header values (RFC 9110
 * section 13.1): comma-separated lists of quoted tags, optionally W/-prefixed,
 * or "*". */
#ifndef LOCKSET_ETAG_H
#define LOCKSET_ETAG_H

#include <stddef.h>

/* Is etag (quoted, strong) listed in header? "*" lists every tag. With weak
 * set (If-None-Match), W/"x" matches "x"; without it (If-Match) it never
 * matches. */
int etag_listed(const char *header, const char *etag, int weak);

/* Bytes of an ETag made by etag_of, quotes and NUL included. */
#define ETAG_SIZE 35

/* The strong ETag of len bytes into out (ETAG_SIZE bytes): the first 128 bits
 * of their SHA-256 in hex, quoted. */
void etag_of(const void *bytes, size_t len, char *out);

#endif
