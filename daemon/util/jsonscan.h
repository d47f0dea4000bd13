/* SPDX-License-Identifier: Apache-2.0 */
/* Bounds on a JSON text, checked before any parser sees it: how deep it
 * nests, how many objects and values it holds. Counts what can be, without
 * parsing: each '{' and '[' outside strings opens a level, each '{' is an
 * object, and each '{', '[' and ',' outside strings starts a value. A
 * malformed text is the parser's to refuse afterwards. */
#ifndef LOCKSET_JSONSCAN_H
#define LOCKSET_JSONSCAN_H

#include <stddef.h>

struct jsonscan_limits {
	int depth;      /* levels of nesting, at most */
	size_t objects; /* objects, at most */
	size_t values;  /* values, at most */
};

/* The offset of the byte of s (len bytes) at which one of the limits is
 * passed, or len when none is. */
size_t jsonscan_check(const char *s, size_t len, const struct jsonscan_limits *lim);

#endif
