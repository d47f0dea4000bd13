/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl's output: tables (aligned columns with a header on a terminal,
 * tab-separated lines otherwise, so scripts can cut them), JSON, and the
 * problems of an error reply. Every string from the server is shown through
 * textsafe_escape or as ASCII-only JSON: whoever wrote it (a developer's
 * image name, a reported event) cannot act on the reader's terminal. */
#include "ctl.h"
#include "util/textsafe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct ctl_table {
	size_t ncols, nrows, cap;
	char **cells; /* (nrows + 1) * ncols; row 0 is the header */
};

static void
table_add(struct ctl_table *t, va_list ap)
{
	char **cells;

	if (t->nrows + 1 >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		cells = realloc(t->cells, t->cap * t->ncols * sizeof(*cells));
		if (cells == NULL) {
			fprintf(stderr, "locksetctl: out of memory\n");
			exit(CTL_SERVER);
		}
		t->cells = cells;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		/* One cell, one line, as text: a tab or newline would break the
		 * columns, an escape sequence rewrite the screen. */
		char *d = textsafe_dup(s ? s : "-");

		if (d == NULL) {
			fprintf(stderr, "locksetctl: out of memory\n");
			exit(CTL_SERVER);
		}
		t->cells[t->nrows * t->ncols + i] = d;
	}
	t->nrows++;
}

struct ctl_table *
ctl_table_new(size_t ncols, ...)
{
	struct ctl_table *t = calloc(1, sizeof(*t));
	va_list ap;

	if (t == NULL) {
		fprintf(stderr, "locksetctl: out of memory\n");
		exit(CTL_SERVER);
	}
	t->ncols = ncols;
	va_start(ap, ncols);
	table_add(t, ap);
	va_end(ap);
	return t;
}

void
ctl_table_row(struct ctl_table *t, ...)
{
	va_list ap;

	va_start(ap, t);
	table_add(t, ap);
	va_end(ap);
}

void
ctl_table_print(struct ctl_table *t, const struct ctl *c, FILE *out)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	for (size_t r = 0; w != NULL && r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			size_t len = strlen(t->cells[r * t->ncols + i]);
			if (len > w[i])
				w[i] = len;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			int last = i + 1 == t->ncols;

			if (c->tty && w != NULL)
				fprintf(out, "%-*s%s", last ? 0 : (int)w[i], s, last ? "\n" : "  ");
			else
				fprintf(out, "%s%s", s, last ? "\n" : "\t");
			free(t->cells[r * t->ncols + i]);
		}
	}
	free(w);
	free(t->cells);
	free(t);
}

/* jansson escapes C0 controls only: DEL, C1 controls, U+2028 and the
 * bidirectional controls go as \uXXXX too (the same JSON). */
static void
print_json(const json_t *v, size_t flags)
{
	char *text = json_dumps(v, flags | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	char *safe = text ? textsafe_json_dup(text) : NULL;

	printf("%s\n", safe ? safe : "null");
	free(safe);
	free(text);
}

void
ctl_print_json(const json_t *v)
{
	print_json(v, JSON_INDENT(2));
}

void
ctl_print_json_line(const json_t *v)
{
	print_json(v, JSON_COMPACT);
}

const char *
ctl_safe(const char *s, char *buf, size_t bufsz)
{
	textsafe_escape(s ? s : "", buf, bufsz);
	return buf;
}

const char *
ctl_cell(const json_t *v, char *buf, size_t bufsz)
{
	char *text;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, bufsz, "%s", text ? text : "?");
	free(text);
	return buf;
}

void
ctl_print_problems(FILE *out, const json_t *problems)
{
	char pbuf[1024], mbuf[4096];
	size_t i;
	json_t *p;

	json_array_foreach(problems, i, p)
	{
		const char *path = json_string_value(json_object_get(p, "path"));
		const char *msg =
		    ctl_safe(json_string_value(json_object_get(p, "message")), mbuf, sizeof(mbuf));
		json_int_t line = json_integer_value(json_object_get(p, "line"));

		if (line > 0)
			fprintf(out, "  line %lld, column %lld: %s\n", (long long)line,
			        (long long)json_integer_value(json_object_get(p, "column")), msg);
		else
			fprintf(out, "  %s%s%s\n", ctl_safe(path, pbuf, sizeof(pbuf)),
			        path && path[0] ? ": " : "", msg);
	}
}
