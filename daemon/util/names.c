/* SPDX-License-Identifier: Apache-2.0 */
/* The one place names are validated (names.h): user names, which are UTF-8
 * and must read as what they are, and the plain names of tokens and hosts. */
#include "names.h"

#include <string.h>

size_t
names_utf8_decode(const char *str, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = s[0] < 0x80                   ? 1
	           : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
	           : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
	           : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
	                                         : 0;
	unsigned v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};

	if (n == 0)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Characters that change how a name reads without being seen: controls
 * (C0, DEL, C1), Unicode white space other than U+0020 (U+00A0, U+1680,
 * U+2000-A, U+2028-9, U+202F, U+205F, U+3000: "dockerd\u00a0"), and the
 * default-ignorable code points, which show as nothing: U+00AD, U+034F, the
 * bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9), the
 * zero-width ones (U+200B-D, U+2060, U+FEFF), the Hangul fillers (U+115F,
 * U+1160, U+3164, U+FFA0), variation selectors (U+180B-F, U+FE00-F,
 * U+E0100-EF), and the rest of Unicode's list; and U+2800, the blank
 * braille pattern. Letters of every script stay valid. */
static int
codepoint_hidden(unsigned c)
{
	static const struct {
		unsigned lo, hi;
	} hidden[] = {
	    {0x0000, 0x001f},   {0x007f, 0x00a0},   {0x00ad, 0x00ad}, {0x034f, 0x034f},
	    {0x061c, 0x061c},   {0x115f, 0x1160},   {0x1680, 0x1680}, {0x17b4, 0x17b5},
	    {0x180b, 0x180f},   {0x2000, 0x200f},   {0x2028, 0x202f}, {0x205f, 0x206f},
	    {0x2800, 0x2800},   {0x3000, 0x3000},   {0x3164, 0x3164}, {0xfe00, 0xfe0f},
	    {0xfeff, 0xfeff},   {0xffa0, 0xffa0},   {0xfff0, 0xfff8}, {0x1bca0, 0x1bca3},
	    {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
	};

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (c >= hidden[i].lo && c <= hidden[i].hi)
			return 1;
	return 0;
}

int
names_user_valid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), len;
	unsigned cp;

	if (n == 0 || n > NAMES_USER_MAX)
		return 0;
	for (size_t i = 0; i < n; i += len) {
		len = names_utf8_decode((const char *)s + i, &cp);
		if (len == 0 || codepoint_hidden(cp) || cp == '/')
			return 0;
	}
	return 1;
}

int
names_plain_valid(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
