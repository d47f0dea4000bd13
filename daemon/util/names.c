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
 * (C0, DEL, C1), bidirectional controls (U+061C, U+200E-F, U+202A-E,
 * U+2066-9), zero-width characters and line separators (U+200B-D,
 * U+2028-9, U+2060, U+FEFF). */
static int
codepoint_hidden(unsigned c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
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
