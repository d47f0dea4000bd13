/* SPDX-License-Identifier: Apache-2.0 */
/* JSON strings decoded as Go decodes them: escapes, surrogate pairs, and
 * invalid UTF-8 or lone surrogates as U+FFFD; plain runs are found a word
 * (or, with SSE2, sixteen bytes) at a time and copied whole. */
#include "gojson_int.h"

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

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
decode_escape(struct gojson_parser *ps, const unsigned char **sp, const unsigned char *q, char *buf,
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
	if (r == 0)
		ps->a->nul = 1;
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

#ifdef __SSE2__
/* The special bytes (as special_bytes) of the sixteen bytes v, one bit
 * each. */
static inline unsigned
special16(__m128i v)
{
	/* Unsigned v < 0x20, or v >= 0x80: as signed, (v ^ 0x80) < (0x20 ^ 0x80)
	 * catches the first, and the sign bit of v the second. */
	__m128i bad = _mm_or_si128(
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_cmplt_epi8(_mm_xor_si128(v, _mm_set1_epi8(-128)), _mm_set1_epi8(0x20 - 128)));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(bad, v));
}
#endif

/* Sixteen bytes at a time with SSE2 (every x86-64 has it), else eight. */
static size_t
plain_run(const unsigned char *s, const unsigned char *end)
{
	const unsigned char *p = s;
#ifdef __SSE2__
	while (end - p >= 16) {
		unsigned m = special16(_mm_loadu_si128((const __m128i *)p));

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
decode_string(struct gojson_parser *ps, const unsigned char *s, const unsigned char *q, char *buf,
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
int
gojson_parse_string(struct gojson_parser *ps, const char **out, size_t *outlen, int *plain)
{
	const unsigned char *s = ps->p + 1, *q;
	size_t hi = 0, o = 0, run;
	char *buf;

#ifdef __SSE2__
	/* Most keys and values are plain and shorter than sixteen bytes: one
	 * load finds the closing quote, and one store copies them (the arena
	 * gives at least sixteen bytes). */
	if (ps->end - s >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)s);
		unsigned m = special16(v);

		if (m != 0 && s[run = (size_t)__builtin_ctz(m)] == '"') {
			if ((buf = gojson_arena_take(ps->a, 16)) == NULL) {
				ps->nomem = 1;
				return -1;
			}
			_mm_storeu_si128((__m128i *)buf, v);
			buf[run] = '\0';
			*out = buf;
			*outlen = run;
			ps->p = s + run + 1;
			if (plain != NULL)
				*plain = 1;
			return 0;
		}
	}
#endif
	run = plain_run(s, ps->end);
	q = s + run;
	if (q < ps->end && *q == '"') {
		if ((buf = gojson_arena_take(ps->a, run + 1)) == NULL) {
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
	buf = gojson_arena_take(ps->a, (size_t)(q - s) + 2 * hi + 1);
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
