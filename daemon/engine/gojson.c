/* SPDX-License-Identifier: Apache-2.0 */
/* The Go-compatible JSON reader (see gojson.h): the arena, and a parser
 * that keeps every object member in document order (and indexes large
 * objects by fold signature for gojson_view.c). Base64 is gojson_base64.c. */
#include "gojson_int.h"

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
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

/* gojson_arena_alloc's usual case, inlined for the parser's many small
 * allocations: room in the inline buffer or in the current block. */
static inline void *
arena_take(struct gojson_arena *a, size_t size)
{
	struct gojson_arena_block *b = a->blocks;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (GOJSON_ARENA_INLINE - a->inline_used >= size) {
		p = a->inline_buf + a->inline_used;
		a->inline_used += size;
		return p;
	}
	if (b != NULL && b->cap - b->used >= size) {
		p = b->data + b->used;
		b->used += size;
		return p;
	}
	return gojson_arena_alloc(a, size);
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

/* One escape sequence at *sp (on the backslash), decoded into buf at *o. */
static int
decode_escape(struct parser *ps, const unsigned char **sp, const unsigned char *q, char *buf,
              size_t *o)
{
	const unsigned char *s = *sp + 1;
	static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t r, r2;

	if (s >= q) {
		ps->err = "bad escape in string";
		return -1;
	}
	if (*s != 'u') {
		if ((e = memchr(simple, *s, sizeof(simple) - 1)) == NULL) {
			ps->err = "bad escape in string";
			return -1;
		}
		buf[(*o)++] = value[e - simple];
		*sp = s + 1;
		return 0;
	}
	if (q - s < 5 || hex4(s + 1, &r) == -1) {
		ps->err = "bad \\u escape in string";
		return -1;
	}
	s += 5;
	if (r >= 0xD800 && r < 0xDC00 && q - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
	    hex4(s + 2, &r2) == 0 && r2 >= 0xDC00 && r2 < 0xE000) {
		r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
		s += 6;
	} else if (r >= 0xD800 && r < 0xE000) {
		r = 0xFFFD;
	}
	*o += put_utf8(buf + *o, r);
	*sp = s;
	return 0;
}

/* One in each byte of a 64-bit word. */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The bytes of w that need a closer look inside a string: '"', '\\', control
 * characters and non-ASCII bytes have their high bit set in the result. */
static inline uint64_t
special_bytes(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w;
}

/* Sixteen bytes at a time with SSE2 (every x86-64 has it), else eight. */
static size_t
plain_run(const unsigned char *s, const unsigned char *end)
{
	const unsigned char *p = s;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              space = _mm_set1_epi8(0x20 - 128), flip = _mm_set1_epi8(-128);

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		/* Unsigned v < 0x20, or v >= 0x80: as signed, (v ^ 0x80) < (0x20 ^ 0x80)
		 * catches the first, and the sign bit of v the second. */
		__m128i bad =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
		                 _mm_cmplt_epi8(_mm_xor_si128(v, flip), space));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(bad, v));

		if (m != 0)
			return (size_t)(p - s) + (size_t)__builtin_ctz(m);
		p += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w, m;

	/* The lowest flagged byte is exact: a borrow only runs upwards. */
	while (end - p >= 8) {
		memcpy(&w, p, 8);
		if ((m = special_bytes(w) & HIGHS) != 0)
			return (size_t)(p - s) + (size_t)__builtin_ctzll(m) / 8;
		p += 8;
	}
#endif
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return (size_t)(p - s);
}

size_t
gojson_plain_run(const char *s, const char *end)
{
	return plain_run((const unsigned char *)s, (const unsigned char *)end);
}

/* Decode the string body s..q (escapes, invalid UTF-8) into buf; *o is the
 * length so far. 0, or -1 with ps->err set. */
static int
decode_string(struct parser *ps, const unsigned char *s, const unsigned char *q, char *buf,
              size_t *o)
{
	while (s < q) {
		size_t run = plain_run(s, q);

		memcpy(buf + *o, s, run);
		*o += run;
		if ((s += run) == q)
			break;
		if (*s < 0x20) {
			ps->err = "control character in string";
			return -1;
		}
		if (*s >= 0x80) {
			size_t l = utf8_len(s, q);

			if (l == 0) {
				*o += put_utf8(buf + *o, 0xFFFD);
				s++;
			} else {
				memcpy(buf + *o, s, l);
				*o += l;
				s += l;
			}
			continue;
		}
		if (decode_escape(ps, &s, q, buf, o) != 0)
			return -1;
	}
	return 0;
}

/* Parse a string at ps->p (on the opening quote) into arena memory. Plain
 * strings (the usual case: printable ASCII without escapes) are found and
 * copied whole; *plain (if not NULL) says whether it was one. */
static int
parse_string(struct parser *ps, const char **out, size_t *outlen, int *plain)
{
	const unsigned char *s = ps->p + 1, *q;
	size_t hi = 0, o = 0, run = plain_run(s, ps->end);
	char *buf;

	q = s + run;
	if (q < ps->end && *q == '"') {
		if ((buf = arena_take(ps->a, run + 1)) == NULL) {
			ps->nomem = 1;
			return -1;
		}
		memcpy(buf, s, run);
		buf[run] = '\0';
		*out = buf;
		*outlen = run;
		ps->p = q + 1;
		if (plain != NULL)
			*plain = 1;
		return 0;
	}
	if (plain != NULL)
		*plain = 0;
	for (; q < ps->end && *q != '"'; q++) {
		if (*q == '\\')
			q++;
		else if (*q >= 0x80)
			hi++;
	}
	if (q >= ps->end) {
		ps->err = "unterminated string";
		return -1;
	}
	buf = arena_take(ps->a, (size_t)(q - s) + 2 * hi + 1);
	if (buf == NULL) {
		ps->nomem = 1;
		return -1;
	}
	if (decode_string(ps, s, q, buf, &o) != 0)
		return -1;
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	ps->p = q + 1;
	return 0;
}

/* An ASCII digit, without the locale table isdigit() reads. */
static inline int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
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
parse_literal(struct parser *ps, const char *lit, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) {
		ps->err = "invalid character";
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct gojson_value *parse_value(struct parser *ps);

/* Index the members of object v by fold signature (gojson_int.h). */
static int
index_build(struct parser *ps, struct gojson_value *v)
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
		int plain = 0;
		struct gojson_value *c;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				ps->err = "expected object key";
				return -1;
			}
			if (parse_string(ps, &key, &klen, &plain) == -1)
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
parse_value(struct parser *ps)
{
	struct gojson_value *v;
	int rc = 0;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		ps->err = "unexpected end of input";
		return NULL;
	}
	v = arena_take(ps->a, sizeof(*v));
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
		rc = parse_string(ps, &v->s, &v->len, NULL);
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
