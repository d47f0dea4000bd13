/* SPDX-License-Identifier: Apache-2.0 */
/* Text from callers made safe to show (textsafe.h). Decoding is names.c's:
 * one UTF-8 decoder for the daemon and locksetctl. */
#include "textsafe.h"
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
textsafe_is_unsafe(unsigned c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t
textsafe_escape(const char *s, char *out, size_t outsz)
{
	size_t i = 0, o = 0, n, k;
	unsigned cp;
	char esc[8];

	while (s[i] != '\0') {
		const char *piece = s + i;

		if ((n = names_utf8_decode(s + i, &cp)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i]);
			n = 1;
			piece = esc;
			k = 4;
		} else if (textsafe_is_unsafe(cp)) {
			snprintf(esc, sizeof(esc), cp < 0x80 ? "\\x%02x" : "\\u%04x", cp);
			piece = esc;
			k = strlen(esc);
		} else {
			k = n;
		}
		if (o + k >= outsz)
			break;
		memcpy(out + o, piece, k);
		o += k;
		i += n;
	}
	out[o] = '\0';
	return o;
}

char *
textsafe_dup(const char *s)
{
	size_t sz = TEXTSAFE_GROWTH * strlen(s) + 1;
	char *out = malloc(sz);

	if (out != NULL)
		textsafe_escape(s, out, sz);
	return out;
}

int
textsafe_json_char(const char *s, size_t *len, char esc[7])
{
	unsigned cp;

	if ((*len = names_utf8_decode(s, &cp)) == 0) {
		*len = 1;
		return 0;
	}
	if (cp < 0x20 || !textsafe_is_unsafe(cp))
		return 0;
	snprintf(esc, 7, "\\u%04x", cp & 0xffffu); /* all in the BMP */
	return 1;
}

char *
textsafe_json_dup(const char *json)
{
	size_t i = 0, o = 0, n;
	char *out = malloc(6 * strlen(json) + 1), esc[7];

	if (out == NULL)
		return NULL;
	for (; json[i] != '\0'; i += n) {
		if (textsafe_json_char(json + i, &n, esc)) {
			memcpy(out + o, esc, 6);
			o += 6;
		} else {
			memcpy(out + o, json + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

void
textsafe_replace(char *s)
{
	size_t i = 0, o = 0, n;
	unsigned cp;

	while (s[i] != '\0') {
		if ((n = names_utf8_decode(s + i, &cp)) == 0 || textsafe_is_unsafe(cp)) {
			s[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		memmove(s + o, s + i, n);
		o += n;
		i += n;
	}
	s[o] = '\0';
}
