/* SPDX-License-Identifier: Apache-2.0 */
/* Matching ETags against If-None-Match and If-Match header values (RFC 9110
 * section 13.1): comma-separated lists of quoted tags, optionally W/-prefixed,
 * or "*". */
#ifndef LOCKSET_ETAG_H
#define LOCKSET_ETAG_H

/* Is etag (quoted, strong) listed in header? "*" lists every tag. With weak
 * set (If-None-Match), W/"x" matches "x"; without it (If-Match) it never
 * matches. */
int etag_listed(const char *header, const char *etag, int weak);

#endif
