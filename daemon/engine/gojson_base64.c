/* SPDX-License-Identifier: Apache-2.0 */
/* Digits (gojson.h): hex, and base64 as Go's encoding/json writes []byte
 * (standard alphabet, padded), decoded sixteen digits at a time with SSSE3
 * where the processor has it, else a quad at a time. */
#include "gojson.h"

#include <stdint.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>
#define B64_SSSE3 1
#endif

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
/* Base64: how Go's encoding/json writes []byte                              */

/* Standard base64 digit values plus one (65 marks '='); 0: not a digit. */
static const unsigned char b64_value[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
    ['='] = 65,
};

/* Is c a base64 digit (or '=', then *d is 64)? */
static int
b64_digit(unsigned char c, unsigned *d)
{
	*d = b64_value[c] - 1u;
	return b64_value[c] != 0;
}

/* The same digits, shifted to their place in a quad's 24 bits; B64_BAD for
 * anything else ('=' included). Built by the preprocessor, 256 entries each. */
#define B64_BAD (1u << 24)
#define B64_DIGIT(c)                                 \
	((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'      \
	 : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 \
	 : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 \
	 : (c) == '+'               ? 62             \
	 : (c) == '/'               ? 63             \
	                            : -1)
#define B64_AT(c, shift) (B64_DIGIT(c) < 0 ? B64_BAD : (uint32_t)B64_DIGIT(c) << (shift))
#define B64_4(c, s)      B64_AT(c, s), B64_AT((c) + 1, s), B64_AT((c) + 2, s), B64_AT((c) + 3, s)
#define B64_16(c, s)     B64_4(c, s), B64_4((c) + 4, s), B64_4((c) + 8, s), B64_4((c) + 12, s)
#define B64_64(c, s)     B64_16(c, s), B64_16((c) + 16, s), B64_16((c) + 32, s), B64_16((c) + 48, s)
#define B64_256(s)                                                          \
	{                                                                   \
		B64_64(0, s), B64_64(64, s), B64_64(128, s), B64_64(192, s) \
	}
static const uint32_t b64_quad[4][256] = {B64_256(18), B64_256(12), B64_256(6), B64_256(0)};

#ifdef B64_SSSE3
/* Sixteen digits into twelve bytes per step, by nibble lookups (a byte is a
 * digit when the bit sets of its low and high nibble share none), an offset
 * per high nibble ('/' apart) and two multiply-adds that pack 4 x 6 bits.
 * Stops before the first block holding anything but a digit ('=' included)
 * and while fewer than 32 digits are left, so the last quad and every odd
 * case stay with the careful loops and each 16-byte store lands inside the
 * len / 4 * 3 bytes of out. Returns the digits consumed. */
__attribute__((target("ssse3"))) static size_t
decode_ssse3(const unsigned char *p, size_t len, unsigned char *out)
{
	const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	                                     0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
	const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10,
	                                     0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m128i lut_roll =
	    _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m128i nib = _mm_set1_epi8(0x0F), slash = _mm_set1_epi8('/');
	size_t i = 0;

	for (; len - i >= 32; i += 16, out += 12) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nib);
		__m128i lo = _mm_and_si128(v, nib);
		__m128i bad =
		    _mm_and_si128(_mm_shuffle_epi8(lut_lo, lo), _mm_shuffle_epi8(lut_hi, hi));

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xFFFF)
			break;
		v = _mm_add_epi8(
		    v, _mm_shuffle_epi8(lut_roll, _mm_add_epi8(_mm_cmpeq_epi8(v, slash), hi)));
		v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
		v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));
		_mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(v, order));
	}
	return i;
}
#endif

long
gojson_base64_decode(const char *in, size_t len, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	long n = 0;
	size_t i = 0;

	if (len % 4 != 0)
		return -1;
#ifdef B64_SSSE3
	if (__builtin_cpu_supports("ssse3")) {
		i = decode_ssse3(p, len, out);
		n = (long)(i / 4 * 3);
	}
#endif
	/* Every quad but the last holds four digits: decoded with one lookup a
	 * digit, already in place; a '=' or a non-digit anywhere sets the flag
	 * bit and sends the quad to the careful loop. */
	for (; i + 4 < len; i += 4) {
		uint32_t w = b64_quad[0][p[i]] | b64_quad[1][p[i + 1]] | b64_quad[2][p[i + 2]] |
		             b64_quad[3][p[i + 3]];

		if (w & B64_BAD)
			break;
		out[n++] = (unsigned char)(w >> 16);
		out[n++] = (unsigned char)(w >> 8);
		out[n++] = (unsigned char)w;
	}
	for (; i < len; i += 4) {
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
