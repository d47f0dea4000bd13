/* SPDX-License-Identifier: Apache-2.0 */
/* A Content-Type's media type as dockerd's Go reads it (mime.ParseMediaType):
 * whether a body is a form dockerd takes parameters from, or JSON, must be
 * decided exactly as it decides, or a form lockset took for something else
 * would carry parameters no rule saw. */
#include <string.h>

#include "engineapi.h"
#include "gojson.h"

/* Decode one rune of s (n bytes left, n > 0) as Go's utf8.DecodeRune does
 * (gojson_utf8_len): a malformed or overlong sequence, or a surrogate, is
 * U+FFFD of one byte. */
static unsigned
decode_rune(const unsigned char *s, size_t n, size_t *used)
{
	static const unsigned char lead_bits[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	size_t k = gojson_utf8_len((const char *)s, n);
	unsigned r;

	if (k == 0) {
		*used = 1;
		return 0xfffd;
	}
	r = s[0] & lead_bits[k];
	for (size_t i = 1; i < k; i++)
		r = (r << 6) | (s[i] & 0x3f);
	*used = k;
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
