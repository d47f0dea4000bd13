/* SPDX-License-Identifier: Apache-2.0 */
/* A growable list of problems found in some input: each has a JSON pointer (or
 * "" for the whole document), optional line/column, and a message. Used for
 * validation errors, warnings and the "details" of an error reply. */
#ifndef LOCKSET_PROBLEMS_H
#define LOCKSET_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

struct problem {
	char *path;    /* JSON pointer, e.g. "/proxy/mode"; "" = whole document */
	int line;      /* 1-based, 0 when not known */
	int column;    /* 1-based, 0 when not known */
	char *message; /* e.g. "expected one of system, manual; found \"auto\"" */
};

struct problems {
	struct problem *v;
	size_t n;
	size_t cap;
};

#define PROBLEMS_INIT      \
	{                  \
		NULL, 0, 0 \
	}

/* Append a problem; path may be NULL (treated as ""). Returns 0, or -1 on ENOMEM. */
int problems_add(struct problems *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with a source position. */
int problems_add_at(struct problems *p, const char *path, int line, int column, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
/* Release every problem; p itself may be reused afterwards. Accepts NULL. */
void problems_clear(struct problems *p);
/* [{"path": ..., "message": ..., "line"?: n, "column"?: n}, ...]; new reference. */
json_t *problems_to_json(const struct problems *p);
/* Escape one reference token for a JSON pointer ("~" -> "~0", "/" -> "~1") and
 * append "/token" to base. Returns a malloc'd string (caller frees) or NULL. */
char *problems_pointer_join(const char *base, const char *token);
/* Same for an array index. */
char *problems_pointer_index(const char *base, size_t index);

#endif
