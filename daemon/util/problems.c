/* SPDX-License-Identifier: Apache-2.0 */
/* The problem list shared by validators and error replies. */
#include "problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int problems_vadd(struct problems *p, const char *path, int line, int column,
                         const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int
problems_vadd(struct problems *p, const char *path, int line, int column, const char *fmt,
              va_list ap)
{
	struct problem *slot;
	char *msg = NULL;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct problem *v = realloc(p->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		return -1;
	slot = &p->v[p->n];
	slot->path = strdup(path ? path : "");
	if (slot->path == NULL) {
		free(msg);
		return -1;
	}
	slot->line = line;
	slot->column = column;
	slot->message = msg;
	p->n++;
	return 0;
}

int
problems_add(struct problems *p, const char *path, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problems_vadd(p, path, 0, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int
problems_add_at(struct problems *p, const char *path, int line, int column, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problems_vadd(p, path, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

void
problems_clear(struct problems *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].message);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

json_t *
problems_to_json(const struct problems *p)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; p != NULL && i < p->n; i++) {
		json_t *o =
		    json_pack("{s:s, s:s}", "path", p->v[i].path, "message", p->v[i].message);
		if (o == NULL)
			continue;
		if (p->v[i].line > 0) {
			json_object_set_new(o, "line", json_integer(p->v[i].line));
			json_object_set_new(o, "column", json_integer(p->v[i].column));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

char *
problems_pointer_join(const char *base, const char *token)
{
	size_t blen = strlen(base), extra = 0;
	char *out, *w;

	for (const char *c = token; *c; c++)
		extra += (*c == '~' || *c == '/') ? 2 : 1;
	out = malloc(blen + 1 + extra + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, base, blen);
	w = out + blen;
	*w++ = '/';
	for (const char *c = token; *c; c++) {
		if (*c == '~') {
			*w++ = '~';
			*w++ = '0';
		} else if (*c == '/') {
			*w++ = '~';
			*w++ = '1';
		} else {
			*w++ = *c;
		}
	}
	*w = '\0';
	return out;
}

char *
problems_pointer_index(const char *base, size_t index)
{
	char *out = NULL;

	if (asprintf(&out, "%s/%zu", base, index) < 0)
		return NULL;
	return out;
}
