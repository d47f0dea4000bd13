/* SPDX-License-Identifier: Apache-2.0 */
/* The Go-compatible JSON reader (see gojson.h): a parser that keeps every
 * object member in document order, and views that resolve struct fields,
 * maps and slices as Go's encoding/json would decode into them. */
#include "gojson.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Arena: the parsed body and everything derived from it; one free at the   */
/* end.                                                                     */

struct gojson_arena_block {
	struct gojson_arena_block *next;
	size_t cap, used;
	_Alignas(16) char data[];
};

void
gojson_arena_init(struct gojson_arena *a)
{
	a->blocks = NULL;
	a->inline_used = 0;
}

void *
gojson_arena_alloc(struct gojson_arena *a, size_t size)
{
	struct gojson_arena_block *b;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (GOJSON_ARENA_INLINE - a->inline_used >= size) {
		p = a->inline_buf + a->inline_used;
		a->inline_used += size;
		return p;
	}
	b = a->blocks;
	if (b == NULL || b->cap - b->used < size) {
		size_t cap = size > 65536 ? size : 65536;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
	}
	p = b->data + b->used;
	b->used += size;
	return p;
}

void
gojson_arena_clear(struct gojson_arena *a)
{
	struct gojson_arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	gojson_arena_init(a);
}

int
gojson_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* A JSON reader that keeps every object member, duplicates included, in    */
/* document order, with strings decoded as Go decodes them (invalid UTF-8   */
/* and lone surrogates become U+FFFD).                                      */

#define JSON_MAX_DEPTH 1000

struct parser {
	struct gojson_arena *a;
	const unsigned char *p, *end;
	int depth;
	int nomem;
	const char *err;
};

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Length of a valid UTF-8 sequence at s (as Go's utf8.DecodeRune accepts
 * it), or 0 when the byte starts no valid sequence. */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n = (size_t)(end - s);
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

size_t
gojson_utf8_len(const char *s, size_t n)
{
	return n > 0 ? utf8_len((const unsigned char *)s, (const unsigned char *)s + n) : 0;
}

static size_t
put_utf8(char *o, uint32_t r)
{
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

static int
hex4(const unsigned char *s, uint32_t *out)
{
	int i;

	*out = 0;
	for (i = 0; i < 4; i++) {
		int h = gojson_hexval(s[i]);

		if (h < 0)
			return -1;
		*out = *out * 16 + (uint32_t)h;
	}
	return 0;
}

/* Parse a string at ps->p (on the opening quote) into arena memory. */
static int
parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const unsigned char *s = ps->p + 1, *q;
	size_t hi = 0, o = 0;
	char *buf;

	for (q = s; q < ps->end && *q != '"'; q++) {
		if (*q == '\\')
			q++;
		else if (*q >= 0x80)
			hi++;
	}
	if (q >= ps->end) {
		ps->err = "unterminated string";
		return -1;
	}
	buf = gojson_arena_alloc(ps->a, (size_t)(q - s) + 2 * hi + 1);
	if (buf == NULL) {
		ps->nomem = 1;
		return -1;
	}
	while (s < q) {
		if (*s < 0x20) {
			ps->err = "control character in string";
			return -1;
		}
		if (*s >= 0x80) {
			size_t l = utf8_len(s, q);

			if (l == 0) {
				o += put_utf8(buf + o, 0xFFFD);
				s++;
			} else {
				memcpy(buf + o, s, l);
				o += l;
				s += l;
			}
			continue;
		}
		if (*s != '\\') {
			buf[o++] = (char)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"':
		case '\\':
		case '/':
			buf[o++] = (char)*s++;
			break;
		case 'b':
			buf[o++] = '\b', s++;
			break;
		case 'f':
			buf[o++] = '\f', s++;
			break;
		case 'n':
			buf[o++] = '\n', s++;
			break;
		case 'r':
			buf[o++] = '\r', s++;
			break;
		case 't':
			buf[o++] = '\t', s++;
			break;
		case 'u': {
			uint32_t r, r2;

			if (q - s < 5 || hex4(s + 1, &r) == -1) {
				ps->err = "bad \\u escape in string";
				return -1;
			}
			s += 5;
			if (r >= 0xD800 && r < 0xDC00 && q - s >= 6 && s[0] == '\\' &&
			    s[1] == 'u' && hex4(s + 2, &r2) == 0 && r2 >= 0xDC00 && r2 < 0xE000) {
				r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
				s += 6;
			} else if (r >= 0xD800 && r < 0xE000) {
				r = 0xFFFD;
			}
			o += put_utf8(buf + o, r);
			break;
		}
		default:
			ps->err = "bad escape in string";
			return -1;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	ps->p = q + 1;
	return 0;
}

static int
parse_number(struct parser *ps)
{
	const unsigned char *p = ps->p;

	if (p < ps->end && *p == '-')
		p++;
	if (p < ps->end && *p == '0') {
		p++;
	} else if (p < ps->end && *p >= '1' && *p <= '9') {
		while (p < ps->end && isdigit(*p))
			p++;
	} else {
		goto bad;
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (p >= ps->end || !isdigit(*p))
			goto bad;
		while (p < ps->end && isdigit(*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !isdigit(*p))
			goto bad;
		while (p < ps->end && isdigit(*p))
			p++;
	}
	ps->p = p;
	return 0;
bad:
	ps->err = "bad number";
	return -1;
}

static int
parse_literal(struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) {
		ps->err = "invalid character";
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct gojson_value *parse_value(struct parser *ps);

/* Parse the members of an array or object; ps->p is past the bracket. */
static int
parse_children(struct parser *ps, struct gojson_value *v, int object)
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
		struct gojson_value *c;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				ps->err = "expected object key";
				return -1;
			}
			if (parse_string(ps, &key, &klen) == -1)
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
			return 0;
		}
		ps->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static struct gojson_value *
parse_value(struct parser *ps)
{
	struct gojson_value *v;
	int rc = 0;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		ps->err = "unexpected end of input";
		return NULL;
	}
	v = gojson_arena_alloc(ps->a, sizeof(*v));
	if (v == NULL) {
		ps->nomem = 1;
		return NULL;
	}
	memset(v, 0, sizeof(*v));
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
		rc = parse_string(ps, &v->s, &v->len);
		break;
	case 't':
		v->type = GOJSON_TRUE;
		rc = parse_literal(ps, "true");
		break;
	case 'f':
		v->type = GOJSON_FALSE;
		rc = parse_literal(ps, "false");
		break;
	case 'n':
		v->type = GOJSON_NULL;
		rc = parse_literal(ps, "null");
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
	struct parser ps;
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

/* ------------------------------------------------------------------------ */
/* Go's view of a struct: every object that was decoded into it, in order.  */

/* ASCII case folding without the locale lookup tolower() does: this runs
 * thousands of times per create body. */
static inline int
ascii_fold(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
gojson_key_matches(const char *key, size_t klen, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = 0;

	for (; *name != '\0'; name++) {
		int c = ascii_fold((unsigned char)*name);

		if (i >= klen)
			return 0;
		if (k[i] < 0x80) {
			if (ascii_fold(k[i]) != c)
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

int
gojson_view_struct(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                   struct gojson_view *out)
{
	size_t i, count = 0;
	const struct gojson_value *c;

	out->obj = NULL;
	out->n = 0;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (gojson_key_matches(c->key, c->klen, name)) {
				if (c->type == GOJSON_NULL)
					count = 0;
				else if (c->type == GOJSON_OBJECT)
					count++;
			}
	if (count == 0)
		return 0;
	out->obj = gojson_arena_alloc(a, count * sizeof(*out->obj));
	if (out->obj == NULL)
		return -1;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (gojson_key_matches(c->key, c->klen, name)) {
				if (c->type == GOJSON_NULL)
					out->n = 0;
				else if (c->type == GOJSON_OBJECT)
					out->obj[out->n++] = c;
			}
	return 0;
}

/* The last member for name of type want (null leaves a value unchanged, as
 * for Go strings and bools; other types are type errors dockerd rejects). */
static const struct gojson_value *
view_last(const struct gojson_view *v, const char *name, enum gojson_type want)
{
	const struct gojson_value *c, *last = NULL;
	size_t i;

	for (i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL; c = c->next)
			if (gojson_key_matches(c->key, c->klen, name) &&
			    (c->type == want || (want == GOJSON_TRUE && c->type == GOJSON_FALSE)))
				last = c;
	return last;
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
 * or null starts afresh. Returns a copy of last (in the arena) with each null
 * element replaced by the last string at its index since the last fresh
 * start, or last itself when nothing is kept. */
static int
slice_keep_nulls(struct gojson_arena *a, const struct gojson_view *v, const char *name,
                 const struct gojson_value *last, const struct gojson_value **out)
{
	const struct gojson_value *c, *e, **kept;
	struct gojson_value *copy, **tail;
	size_t i, j;

	kept = gojson_arena_alloc(a, last->n * sizeof(*kept));
	copy = gojson_arena_alloc(a, sizeof(*copy) + last->n * sizeof(*copy));
	if (kept == NULL || copy == NULL)
		return -1;
	memset(kept, 0, last->n * sizeof(*kept));
	for (i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL && c != last; c = c->next) {
			if (!gojson_key_matches(c->key, c->klen, name))
				continue;
			if (c->type == GOJSON_NULL || (c->type == GOJSON_ARRAY && c->n == 0))
				memset(kept, 0, last->n * sizeof(*kept));
			else if (c->type == GOJSON_ARRAY)
				for (j = 0, e = c->child; e != NULL && j < last->n;
				     j++, e = e->next)
					if (e->type == GOJSON_STRING)
						kept[j] = e;
		}
	*copy = *last;
	tail = &copy->child;
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
	size_t i, earlier = 0, nulls = 0;

	for (i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL; c = c->next) {
			if (!gojson_key_matches(c->key, c->klen, name))
				continue;
			if (c->type == GOJSON_NULL) {
				last = NULL;
				earlier = 0;
			} else if (c->type == GOJSON_ARRAY ||
			           (strslice && c->type == GOJSON_STRING)) {
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
	return nulls > 0 ? slice_keep_nulls(a, v, name, last, out) : 0;
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
	size_t i;

	for (i = 0; i < m->n; i++)
		for (c = m->obj[i]->child; c != NULL; c = c->next)
			if (c->klen == strlen(key) && memcmp(c->key, key, c->klen) == 0 &&
			    c->type == GOJSON_STRING)
				last = c->s;
	return last;
}

int
gojson_view_struct_slice(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                         struct gojson_view **out, size_t *nout)
{
	const struct gojson_value *c, *e, *last = NULL;
	size_t i, j, max = 0, *counts;
	struct gojson_view *views;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (gojson_key_matches(c->key, c->klen, name)) {
				if (c->type == GOJSON_NULL) {
					last = NULL;
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
	 * max covers every array, so indexes before a null stay in bounds. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < max && pass == 1; i++) {
			views[i].obj =
			    gojson_arena_alloc(a, (counts[i] ? counts[i] : 1) * sizeof(void *));
			if (views[i].obj == NULL)
				return -1;
			views[i].n = 0;
		}
		for (i = 0; i < parent->n; i++)
			for (c = parent->obj[i]->child; c != NULL; c = c->next) {
				if (!gojson_key_matches(c->key, c->klen, name))
					continue;
				if (c->type == GOJSON_NULL) {
					for (j = 0; j < max; j++)
						pass == 0 ? (counts[j] = 0) : (views[j].n = 0);
					continue;
				}
				if (c->type != GOJSON_ARRAY)
					continue;
				for (j = 0, e = c->child; e != NULL; j++, e = e->next)
					if (e->type == GOJSON_OBJECT) {
						if (pass == 0)
							counts[j]++;
						else
							views[j].obj[views[j].n++] = e;
					}
			}
	}
	*out = views;
	*nout = last->n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Base64: how Go's encoding/json writes []byte                              */

/* Standard base64 digit values; 64 marks '=', 255 anything else. */
static const unsigned char b64_value[256] = {
    ['A'] = 0,  ['B'] = 1,  ['C'] = 2,  ['D'] = 3,  ['E'] = 4,  ['F'] = 5,  ['G'] = 6,  ['H'] = 7,
    ['I'] = 8,  ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15,
    ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
    ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
    ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39,
    ['o'] = 40, ['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
    ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
    ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62, ['/'] = 63,
    ['='] = 64};

/* Is c a base64 digit? The table's zero entries are 'A' or not a digit. */
static int
b64_digit(unsigned char c, unsigned *d)
{
	*d = b64_value[c];
	return *d != 0 || c == 'A';
}

long
gojson_base64_decode(const char *in, size_t len, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	long n = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		unsigned a, b, c, d;
		int last = i + 4 == len;

		if (!b64_digit(p[i], &a) || !b64_digit(p[i + 1], &b) || a == 64 || b == 64 ||
		    !b64_digit(p[i + 2], &c) || !b64_digit(p[i + 3], &d))
			return -1;
		if (c == 64 || d == 64) {
			/* Padding only at the very end: "xx==" or "xxx=". */
			if (!last || (c == 64 && d != 64))
				return -1;
			out[n++] = (unsigned char)(a << 2 | b >> 4);
			if (c != 64)
				out[n++] = (unsigned char)(b << 4 | c >> 2);
			break;
		}
		out[n++] = (unsigned char)(a << 2 | b >> 4);
		out[n++] = (unsigned char)(b << 4 | c >> 2);
		out[n++] = (unsigned char)(c << 6 | d);
	}
	return n;
}
