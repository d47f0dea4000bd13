/* SPDX-License-Identifier: Apache-2.0 */
/* A Content-Type's media type as dockerd's Go reads it (mime.ParseMediaType):
 * whether a body is a form dockerd takes parameters from, or JSON, must be
 * decided exactly as it decides, or a form lockset took for something else
 * would carry parameters no rule saw. */
#include <string.h>

#include "engineapi.h"

/* Decode one rune of s (n bytes left) as Go's utf8.DecodeRune does: a
 * malformed or overlong sequence, or a surrogate, is U+FFFD of one byte. */
static unsigned
decode_rune(const unsigned char *s, size_t n, size_t *used)
{
	unsigned c = s[0], r, lo = 0x80, hi = 0xbf;
	size_t k, need;

	*used = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, r = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, r = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, r = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0xfffd;
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0xfffd;
	for (k = 1; k <= need; k++) {
		if (k > 1 && (s[k] < 0x80 || s[k] > 0xbf))
			return 0xfffd;
		r = (r << 6) | (s[k] & 0x3f);
	}
	*used = need + 1;
	return r;
}

/* unicode.IsSpace. */
static int
is_space(unsigned r)
{
	return (r >= 0x09 && r <= 0x0d) || r == 0x20 || r == 0x85 || r == 0xa0 || r == 0x1680 ||
	       (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f ||
	       r == 0x205f || r == 0x3000;
}

/* unicode.ToLower, as far as the result can be ASCII: the two runes outside
 * ASCII whose lower case is ASCII, İ and the Kelvin sign. */
static unsigned
to_lower(unsigned r)
{
	if (r >= 'A' && r <= 'Z')
		return r + 32;
	if (r == 0x130)
		return 'i';
	if (r == 0x212a)
		return 'k';
	return r;
}

/* An RFC 2045 token character (mime's isTokenChar). */
static int
is_token(unsigned r)
{
	return r > 0x20 && r < 0x7f && strchr("()<>@,;:\\\"/[]?=", (int)r) == NULL;
}

void
engineapi_media_type(const char *v, size_t len, char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)v;
	const char *semi = v != NULL ? memchr(v, ';', len) : NULL;
	size_t end = semi != NULL ? (size_t)(semi - v) : len, i = 0, used, k = 0, last = 0;
	int slash = 0, token = 0;
	unsigned r;

	out[0] = '\0';
	if (v == NULL || outsz == 0)
		return;
	/* Leading space (after lower-casing, which makes none). */
	while (i < end && is_space(decode_rune(s + i, end - i, &used)))
		i += used;
	for (; i < end; i += used) {
		r = to_lower(decode_rune(s + i, end - i, &used));
		if (is_space(r)) {
			/* Only trailing space may follow: the type ends here. */
			size_t j = i;

			while (j < end && is_space(decode_rune(s + j, end - j, &used)))
				j += used;
			if (j < end)
				goto invalid;
			break;
		}
		if (r == '/' && token && !slash)
			slash = 1, token = 0;
		else if (is_token(r))
			token = 1;
		else
			goto invalid;
		if (k + 1 >= outsz)
			goto invalid; /* longer than any type compared */
		out[k++] = (char)r;
		last = k;
	}
	if (!slash || !token)
		goto invalid;
	out[last] = '\0';
	return;
invalid:
	out[0] = '\0';
}
