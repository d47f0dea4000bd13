/* SPDX-License-Identifier: Apache-2.0 */
/* Go's view of a struct (gojson.h): every object that was decoded into it,
 * in order, and its fields found by case-folded key as encoding/json finds
 * them. A lookup first gathers the members that select the field, in
 * document order (through the index of a large object, else by passing over
 * the members with one comparison of fold signatures each); the rules of
 * each view then run over those alone. */
#include "gojson_int.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* Folding                                                                  */

/* The folded character at k[*i] (U+212A as k, U+017F as s, ASCII case
 * folded, any other byte as itself); *i moves past it. */
static unsigned
fold_next(const unsigned char *k, size_t klen, size_t *i)
{
	unsigned c = k[*i];

	if (c == 0xE2 && klen - *i >= 3 && k[*i + 1] == 0x84 && k[*i + 2] == 0xAA) {
		*i += 3;
		return 'k';
	}
	if (c == 0xC5 && klen - *i >= 2 && k[*i + 1] == 0xBF) {
		*i += 2;
		return 's';
	}
	(*i)++;
	return (unsigned)gojson_ascii_fold((int)c);
}

unsigned
gojson_fold_hash(const char *key, size_t klen)
{
	const unsigned char *k = (const unsigned char *)key;
	unsigned first = 0, mid = 0, last = 0;
	size_t i = 0, n = 0;

	while (i < klen) {
		last = fold_next(k, klen, &i);
		if (n++ == 0)
			first = last;
	}
	for (size_t j = 0, at = 0; at <= n / 2 && j < klen; at++)
		mid = fold_next(k, klen, &j);
	return gojson_sig_pack(n, first, mid, last);
}

int
gojson_key_matches(const char *key, size_t klen, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = 0;

	for (; *name != '\0'; name++) {
		int c = gojson_ascii_fold((unsigned char)*name);

		if (i >= klen)
			return 0;
		if (k[i] < 0x80) {
			if (gojson_ascii_fold(k[i]) != c)
				return 0;
			i++;
		} else if (c == 'k' && klen - i >= 3 && k[i] == 0xE2 && k[i + 1] == 0x84 &&
		           k[i + 2] == 0xAA) {
			i += 3; /* U+212A KELVIN SIGN */
		} else if (c == 's' && klen - i >= 2 && k[i] == 0xC5 && k[i + 1] == 0xBF) {
			i += 2; /* U+017F LATIN SMALL LETTER LONG S */
		} else {
			return 0;
		}
	}
	return i == klen;
}

/* ------------------------------------------------------------------------ */
/* The members that select a field                                          */

#define MATCH_MAX 32 /* gathered at most; more (duplicates) are walked instead */

/* A field's name, its length and its fold signature. */
struct field {
	const char *name;
	size_t nlen;
	unsigned sig;
};

static inline void
field_init(struct field *f, const char *name)
{
	f->name = name;
	f->nlen = strlen(name);
	f->sig = gojson_fold_sig_ascii(name, f->nlen);
}

/* The members of a view's objects that select one field, in document order:
 * gathered into m, or (more than MATCH_MAX of them) walked in place. */
struct matches {
	const struct gojson_view *v;
	struct field f;
	int n;  /* gathered members, or -1: walk */
	int at; /* the next gathered one */
	size_t obj;
	const struct gojson_value *cur; /* walking: the next member to look at */
	const struct gojson_value *m[MATCH_MAX];
};

/* Keys spelt exactly as the field, the usual case, are confirmed by one
 * comparison; gojson_key_matches folds the others. */
static inline int
member_is(const struct gojson_value *c, const struct field *f)
{
	return c->kfold == f->sig &&
	       ((c->klen == f->nlen && memcmp(c->key, f->name, f->nlen) == 0) ||
	        gojson_key_matches(c->key, c->klen, f->name));
}

/* Gather the members of o that select the field, through its index. */
static int
gather_indexed(struct matches *it, const struct gojson_value *o)
{
	const struct gojson_index *ix = o->index;
	const struct gojson_value *rev[MATCH_MAX];
	int k = 0;

	for (int p = ix->head[gojson_index_bucket(ix, it->f.sig)]; p >= 0; p = ix->prev[p]) {
		if (!member_is(ix->member[p], &it->f))
			continue;
		if (k == MATCH_MAX)
			return -1;
		rev[k++] = ix->member[p];
	}
	if (it->n + k > MATCH_MAX)
		return -1;
	while (k > 0) /* the chain runs backwards */
		it->m[it->n++] = rev[--k];
	return 0;
}

static int
gather(struct matches *it, const struct gojson_value *o)
{
	const struct gojson_value *c;

	if (o->index != NULL)
		return gather_indexed(it, o);
	for (c = o->child; c != NULL; c = c->next) {
		if (!member_is(c, &it->f))
			continue;
		if (it->n == MATCH_MAX)
			return -1;
		it->m[it->n++] = c;
	}
	return 0;
}

static void
matches_init(struct matches *it, const struct gojson_view *v, const char *name)
{
	it->v = v;
	field_init(&it->f, name);
	it->n = 0;
	for (size_t i = 0; i < v->n; i++)
		if (gather(it, v->obj[i]) != 0) {
			it->n = -1;
			break;
		}
}

/* Start again from the first member. */
static void
matches_rewind(struct matches *it)
{
	it->at = 0;
	it->obj = 0;
	it->cur = it->v->n > 0 ? it->v->obj[0]->child : NULL;
}

/* The next member that selects the field, or NULL. */
static const struct gojson_value *
matches_next(struct matches *it)
{
	if (it->n >= 0)
		return it->at < it->n ? it->m[it->at++] : NULL;
	for (;;) {
		const struct gojson_value *c;

		while (it->cur == NULL) {
			if (++it->obj >= it->v->n)
				return NULL;
			it->cur = it->v->obj[it->obj]->child;
		}
		c = it->cur;
		it->cur = c->next;
		if (member_is(c, &it->f))
			return c;
	}
}

/* ------------------------------------------------------------------------ */
/* Views                                                                    */

/* The objects for the field: after the last null when null resets the field
 * (a pointer or a map: nil), every one of them when it does not (a struct
 * held by value, which Go leaves as it was). Go decodes each into the same
 * value, so they merge in document order. */
static int
view_objects(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
             int null_resets, struct gojson_view *out)
{
	struct matches it;
	const struct gojson_value *c;
	size_t count = 0, seen = 0, start = 0, i = 0;

	out->obj = NULL;
	out->n = 0;
	matches_init(&it, parent, name);
	/* Only the objects after the last resetting null count, and only they
	 * are kept (an earlier run may be longer than the last one). */
	for (matches_rewind(&it); (c = matches_next(&it)) != NULL;) {
		seen++;
		if (c->type == GOJSON_NULL && null_resets) {
			count = 0;
			start = seen;
		} else if (c->type == GOJSON_OBJECT) {
			count++;
		}
	}
	if (count == 0)
		return 0;
	out->obj = gojson_arena_alloc(a, count * sizeof(*out->obj));
	if (out->obj == NULL)
		return -1;
	for (matches_rewind(&it); (c = matches_next(&it)) != NULL;)
		if (i++ >= start && c->type == GOJSON_OBJECT)
			out->obj[out->n++] = c;
	return 0;
}

int
gojson_view_struct(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                   struct gojson_view *out)
{
	return view_objects(a, parent, name, 1, out);
}

int
gojson_view_struct_value(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                         struct gojson_view *out)
{
	return view_objects(a, parent, name, 0, out);
}

/* A member of type want for view_last: null leaves a string or a bool
 * unchanged; other types are type errors dockerd rejects. */
static inline int
fits(const struct gojson_value *c, enum gojson_type want)
{
	return c->type == want || (want == GOJSON_TRUE && c->type == GOJSON_FALSE);
}

/* The last member for name of type want, in document order over the view's
 * objects: found from the end, without gathering the matches first (the
 * usual lookup). An index chain runs backwards, so its first fit is the
 * object's last; a small object is walked forwards. */
static const struct gojson_value *
view_last(const struct gojson_view *v, const char *name, enum gojson_type want)
{
	struct field f;

	field_init(&f, name);
	for (size_t i = v->n; i-- > 0;) {
		const struct gojson_value *o = v->obj[i], *c, *last = NULL;
		const struct gojson_index *ix = o->index;

		if (ix != NULL) {
			for (int p = ix->head[gojson_index_bucket(ix, f.sig)]; p >= 0;
			     p = ix->prev[p])
				if (fits(ix->member[p], want) && member_is(ix->member[p], &f))
					return ix->member[p];
			continue;
		}
		for (c = o->child; c != NULL; c = c->next)
			if (fits(c, want) && member_is(c, &f))
				last = c;
		if (last != NULL)
			return last;
	}
	return NULL;
}

const char *
gojson_view_string(const struct gojson_view *v, const char *name)
{
	const struct gojson_value *c = view_last(v, name, GOJSON_STRING);

	return c != NULL ? c->s : NULL;
}

int
gojson_view_bool(const struct gojson_view *v, const char *name)
{
	const struct gojson_value *c = view_last(v, name, GOJSON_TRUE);

	return c != NULL && c->type == GOJSON_TRUE;
}

/* Go decodes an array into the slice already there: element i of the new
 * array is decoded into element i of the old backing array, so a null element
 * (a no-op for a string) keeps what an earlier array put at i. An empty array
 * or null starts afresh. *out is a copy of last (in the arena) with each null
 * element replaced by the last string at its index since the last fresh
 * start. */
static int
slice_keep_nulls(struct gojson_arena *a, struct matches *it, const struct gojson_value *last,
                 const struct gojson_value **out)
{
	const struct gojson_value *c, *e, **kept;
	struct gojson_value *copy, **tail;
	size_t j;

	kept = gojson_arena_alloc(a, last->n * sizeof(*kept));
	copy = gojson_arena_alloc(a, (1 + last->n) * sizeof(*copy));
	if (kept == NULL || copy == NULL)
		return -1;
	memset(kept, 0, last->n * sizeof(*kept));
	for (matches_rewind(it); (c = matches_next(it)) != NULL && c != last;) {
		if (c->type == GOJSON_NULL || (c->type == GOJSON_ARRAY && c->n == 0))
			memset(kept, 0, last->n * sizeof(*kept));
		else if (c->type == GOJSON_ARRAY)
			for (j = 0, e = c->child; e != NULL && j < last->n; j++, e = e->next)
				if (e->type == GOJSON_STRING)
					kept[j] = e;
	}
	copy[0] = *last;
	tail = &copy[0].child;
	for (j = 0, e = last->child; e != NULL; j++, e = e->next) {
		struct gojson_value *el = &copy[1 + j];

		*el = e->type == GOJSON_NULL && kept[j] != NULL ? *kept[j] : *e;
		el->key = NULL;
		el->klen = 0;
		*tail = el;
		tail = &el->next;
	}
	*tail = NULL;
	*out = copy;
	return 0;
}

int
gojson_view_slice(struct gojson_arena *a, const struct gojson_view *v, const char *name,
                  int strslice, const struct gojson_value **out)
{
	const struct gojson_value *c, *last = NULL;
	size_t earlier = 0, nulls = 0;
	struct matches it;

	matches_init(&it, v, name);
	for (matches_rewind(&it); (c = matches_next(&it)) != NULL;) {
		if (c->type == GOJSON_NULL) {
			last = NULL;
			earlier = 0;
		} else if (c->type == GOJSON_ARRAY || (strslice && c->type == GOJSON_STRING)) {
			earlier += last != NULL;
			last = c;
		}
	}
	*out = last;
	/* Docker's StrSlice decodes into a fresh slice every time. */
	if (strslice || last == NULL || last->type != GOJSON_ARRAY || earlier == 0)
		return 0;
	for (c = last->child; c != NULL; c = c->next)
		nulls += c->type == GOJSON_NULL;
	return nulls > 0 ? slice_keep_nulls(a, &it, last, out) : 0;
}

int
gojson_view_map(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                struct gojson_view *out)
{
	return gojson_view_struct(a, parent, name, out);
}

const char *
gojson_map_get(const struct gojson_view *m, const char *key)
{
	const struct gojson_value *c;
	const char *last = NULL;
	size_t i, klen = strlen(key);

	/* Go decodes each value into a fresh element: null stores "". */
	for (i = 0; i < m->n; i++)
		for (c = m->obj[i]->child; c != NULL; c = c->next)
			if (c->klen == klen && memcmp(c->key, key, klen) == 0 &&
			    (c->type == GOJSON_STRING || c->type == GOJSON_NULL))
				last = c->type == GOJSON_STRING ? c->s : "";
	return last;
}

/* Count (pass 0) or gather (pass 1) the objects at each index of the arrays
 * for the field after the first start members (the last null or empty array
 * and everything before it: Go starts afresh there). */
static int
slice_pass(struct gojson_arena *a, struct matches *it, int pass, size_t start, size_t max,
           size_t *counts, struct gojson_view *views)
{
	const struct gojson_value *c, *e;
	size_t i = 0, j;

	for (j = 0; j < max && pass == 1; j++) {
		views[j].obj = gojson_arena_alloc(a, (counts[j] ? counts[j] : 1) * sizeof(void *));
		if (views[j].obj == NULL)
			return -1;
		views[j].n = 0;
	}
	for (matches_rewind(it); (c = matches_next(it)) != NULL;) {
		if (i++ < start || c->type != GOJSON_ARRAY)
			continue;
		for (j = 0, e = c->child; e != NULL && j < max; j++, e = e->next)
			if (e->type == GOJSON_OBJECT) {
				if (pass == 0)
					counts[j]++;
				else
					views[j].obj[views[j].n++] = e;
			}
	}
	return 0;
}

int
gojson_view_struct_slice(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                         struct gojson_view **out, size_t *nout)
{
	const struct gojson_value *c, *last = NULL;
	size_t max = 0, seen = 0, start = 0, *counts;
	struct gojson_view *views;
	struct matches it;

	*out = NULL;
	*nout = 0;
	matches_init(&it, parent, name);
	/* null and [] both start afresh (Go makes a new, empty slice); a
	 * shorter array keeps the elements past its end for a later one. */
	for (matches_rewind(&it); (c = matches_next(&it)) != NULL;) {
		seen++;
		if (c->type == GOJSON_NULL || (c->type == GOJSON_ARRAY && c->n == 0)) {
			last = NULL;
			start = seen;
			max = 0;
		} else if (c->type == GOJSON_ARRAY) {
			last = c;
			max = c->n > max ? c->n : max;
		}
	}
	if (last == NULL || last->n == 0)
		return 0;
	views = gojson_arena_alloc(a, max * sizeof(*views));
	counts = gojson_arena_alloc(a, max * sizeof(*counts));
	if (views == NULL || counts == NULL)
		return -1;
	memset(counts, 0, max * sizeof(*counts));
	/* Two passes over the arrays since the last null: count, then fill.
	 * max covers each of them, so every index stays in bounds. */
	if (slice_pass(a, &it, 0, start, max, counts, views) != 0 ||
	    slice_pass(a, &it, 1, start, max, counts, views) != 0)
		return -1;
	*out = views;
	*nout = last->n;
	return 0;
}
