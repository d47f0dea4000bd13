/* SPDX-License-Identifier: Apache-2.0 */
/* Name validation, one rule per kind of name. */
#ifndef LOCKSET_NAMES_H
#define LOCKSET_NAMES_H

#include <stddef.h>

#define NAMES_USER_MAX 256

/* Decode the UTF-8 character at s, a NUL-terminated string (shortest form,
 * no surrogates, at most U+10FFFF): its length (1 to 4) with *cp set, or 0
 * when s does not start a valid one. */
size_t names_utf8_decode(const char *s, unsigned *cp);

/* A user name: 1-256 bytes of valid UTF-8 without '/', controls, white
 * space other than U+0020, or characters that show as nothing (Unicode's
 * default-ignorable code points: bidirectional controls, zero-width
 * characters, fillers, variation selectors, ...). 1 or 0. */
int names_user_valid(const char *name);

/* A plain name (tokens, host names): 1..max of letters, digits, '.', '_'
 * and '-'. 1 or 0. */
int names_plain_valid(const char *name, size_t max);

#endif
