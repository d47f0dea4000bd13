/* SPDX-License-Identifier: Apache-2.0 */
/* The Go-compatible JSON reader (see gojson.h): the arena, and a parser
 * that keeps every object member in document order (and indexes large
 * objects by fold signature for gojson_view.c). Strings are decoded by
 * gojson_string.c, base64 by gojson_base64.c. */
#include "gojson_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Arena: the parsed body and everything derived from it; one free at the   */
/* end.                                                                     */

/* A decision's arenas outgrow their inline buffers into a block or two that
 * are freed when it ends. Freed, a block costs the next decision a malloc,
 * and where it lay at the top of the heap glibc may give its pages back to
 * the kernel, to be faulted in again. So each thread keeps a few
 * standard-size blocks for its next arena (no lock: they are its own),
 * freed when the thread exits. */
#define ARENA_BLOCK      65536
#define ARENA_SPARES_MAX 4

static _Thread_local struct gojson_arena_block *spares;
static _Thread_local int nspares;
static pthread_key_t spares_key;
static pthread_once_t spares_once = PTHREAD_ONCE_INIT;
static int spares_key_ok;

static void
spares_free(struct gojson_arena_block **list)
{
	struct gojson_arena_block *b, *next;

	for (b = *list; b != NULL; b = next) {
		next = b->next;
		GOJSON_UNPOISON(b->data, b->cap);
		free(b);
	}
	*list = NULL;
}

/* At thread exit, with the thread's own list (its _Thread_local storage is
 * still there while key destructors run). */
static void
spares_at_exit(void *list)
{
	spares_free(list);
}

static void
spares_key_create(void)
{
	spares_key_ok = pthread_key_create(&spares_key, spares_at_exit) == 0;
}

/* Keep b for a later arena of this thread; 0 when it is not kept. */
static int
spares_put(struct gojson_arena_block *b)
{
	if (b->cap != ARENA_BLOCK || nspares >= ARENA_SPARES_MAX)
		return 0;
	if (spares == NULL) {
		pthread_once(&spares_once, spares_key_create);
		if (!spares_key_ok || pthread_setspecific(spares_key, &spares) != 0)
			return 0;
	}
	GOJSON_POISON(b->data, b->cap);
	b->next = spares;
	spares = b;
	nspares++;
	return 1;
}

void
gojson_arena_spares_free(void)
{
	spares_free(&spares);
	nspares = 0;
}

void
gojson_arena_init(struct gojson_arena *a)
{
	a->blocks = NULL;
	a->inline_used = 0;
	a->nul = 0;
	GOJSON_POISON(a->inline_buf, GOJSON_ARENA_INLINE);
}

void *
gojson_arena_grow(struct gojson_arena *a, size_t size)
{
	size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
	struct gojson_arena_block *b = spares;

	if (cap == ARENA_BLOCK && b != NULL) {
		spares = b->next;
		nspares--;
	} else if ((b = malloc(sizeof(*b) + cap)) == NULL) {
		return NULL;
	}
	GOJSON_POISON(b->data, cap);
	b->cap = cap;
	b->used = size;
	b->next = a->blocks;
	a->blocks = b;
	return b->data;
}

void *
gojson_arena_alloc(struct gojson_arena *a, size_t size)
{
	return gojson_arena_take(a, size);
}

void
gojson_arena_clear(struct gojson_arena *a)
{
	struct gojson_arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		if (spares_put(b))
			continue;
		GOJSON_UNPOISON(b->data, b->cap);
		free(b);
	}
	a->blocks = NULL;
	a->inline_used = 0;
	a->nul = 0;
	GOJSON_UNPOISON(a->inline_buf, GOJSON_ARENA_INLINE);
}

/* ------------------------------------------------------------------------ */
/* A JSON reader that keeps every object member, duplicates included, in    */
/* document order, with strings decoded as Go decodes them (invalid UTF-8   */
/* and lone surrogates become U+FFFD).                                      */

#define JSON_MAX_DEPTH 1000

/* Bodies from the docker CLI hold no white space: one comparison passes
 * over the usual byte. */
static inline void
skip_ws(struct gojson_parser *ps)
{
	while (ps->p < ps->end && *ps->p <= ' ' &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* An ASCII digit, without the locale table isdigit() reads. */
static inline int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
parse_number(struct gojson_parser *ps)
{
	const unsigned char *p = ps->p;

	if (p < ps->end && *p == '-')
		p++;
	if (p < ps->end && *p == '0') {
		p++;
	} else if (p < ps->end && *p >= '1' && *p <= '9') {
		while (p < ps->end && is_digit(*p))
			p++;
	} else {
		goto bad;
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (p >= ps->end || !is_digit(*p))
			goto bad;
		while (p < ps->end && is_digit(*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !is_digit(*p))
			goto bad;
		while (p < ps->end && is_digit(*p))
			p++;
	}
	ps->p = p;
	return 0;
bad:
	ps->err = "bad number";
	return -1;
}

static int
parse_literal(struct gojson_parser *ps, const char *lit, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) {
		ps->err = "invalid character";
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct gojson_value *parse_value(struct gojson_parser *ps);

/* Index the members of object v by fold signature (gojson_int.h). */
static int
index_build(struct gojson_parser *ps, struct gojson_value *v)
{
	struct gojson_index *ix = gojson_arena_alloc(ps->a, sizeof(*ix));
	unsigned bits = 1;
	const struct gojson_value *c;
	int i = 0;

	while ((1u << bits) < 2 * v->n)
		bits++;
	if (ix == NULL || (ix->head = gojson_arena_alloc(ps->a, sizeof(int) << bits)) == NULL ||
	    (ix->prev = gojson_arena_alloc(ps->a, v->n * sizeof(int))) == NULL ||
	    (ix->member = gojson_arena_alloc(ps->a, v->n * sizeof(*ix->member))) == NULL) {
		ps->nomem = 1;
		return -1;
	}
	ix->shift = 32 - bits;
	memset(ix->head, 0xff, sizeof(int) << bits); /* -1 */
	for (c = v->child; c != NULL; c = c->next, i++) {
		unsigned b = gojson_index_bucket(ix, c->kfold);

		ix->member[i] = c;
		ix->prev[i] = ix->head[b];
		ix->head[b] = i;
	}
	v->index = ix;
	return 0;
}

/* Parse the members of an array or object; ps->p is past the bracket. */
static int
parse_children(struct gojson_parser *ps, struct gojson_value *v, int object)
{
	struct gojson_value **tail = &v->child;
	char close = object ? '}' : ']';

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0;
		int plain = 0;
		struct gojson_value *c;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				ps->err = "expected object key";
				return -1;
			}
			if (gojson_parse_string(ps, &key, &klen, &plain) == -1)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				ps->err = "expected ':' after object key";
				return -1;
			}
			ps->p++;
		}
		c = parse_value(ps);
		if (c == NULL)
			return -1;
		c->key = key;
		c->klen = klen;
		if (object)
			c->kfold =
			    plain ? gojson_fold_sig_ascii(key, klen) : gojson_fold_hash(key, klen);
		*tail = c;
		tail = &c->next;
		v->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return object && v->n >= GOJSON_INDEX_MIN ? index_build(ps, v) : 0;
		}
		ps->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static struct gojson_value *
parse_value(struct gojson_parser *ps)
{
	struct gojson_value *v;
	int rc = 0;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		ps->err = "unexpected end of input";
		return NULL;
	}
	v = gojson_arena_take(ps->a, sizeof(*v));
	if (v == NULL) {
		ps->nomem = 1;
		return NULL;
	}
	*v = (struct gojson_value){0};
	switch (*ps->p) {
	case '{':
	case '[':
		v->type = *ps->p == '{' ? GOJSON_OBJECT : GOJSON_ARRAY;
		if (++ps->depth > JSON_MAX_DEPTH) {
			ps->err = "nesting too deep";
			return NULL;
		}
		ps->p++;
		rc = parse_children(ps, v, v->type == GOJSON_OBJECT);
		ps->depth--;
		break;
	case '"':
		v->type = GOJSON_STRING;
		rc = gojson_parse_string(ps, &v->s, &v->len, NULL);
		break;
	case 't':
		v->type = GOJSON_TRUE;
		rc = parse_literal(ps, "true", 4);
		break;
	case 'f':
		v->type = GOJSON_FALSE;
		rc = parse_literal(ps, "false", 5);
		break;
	case 'n':
		v->type = GOJSON_NULL;
		rc = parse_literal(ps, "null", 4);
		break;
	default:
		v->type = GOJSON_NUMBER;
		rc = parse_number(ps);
		break;
	}
	return rc == -1 ? NULL : v;
}

int
gojson_parse(struct gojson_arena *a, const char *text, size_t len, const struct gojson_value **out,
             const char **why, size_t *at)
{
	struct gojson_parser ps;
	struct gojson_value *root;

	memset(&ps, 0, sizeof(ps));
	ps.a = a;
	ps.p = (const unsigned char *)text;
	ps.end = ps.p + len;
	*out = NULL;
	root = parse_value(&ps);
	if (root == NULL) {
		if (ps.nomem)
			return -1;
		*why = ps.err != NULL ? ps.err : "syntax error";
		*at = (size_t)(ps.p - (const unsigned char *)text);
		return 1;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		*why = "unexpected data after the value";
		*at = (size_t)(ps.p - (const unsigned char *)text);
		return 1;
	}
	*out = root;
	return 0;
}
