/* SPDX-License-Identifier: Apache-2.0 */
/* Text from callers shown to people: on a terminal (locksetctl), in a log
 * line, in a CSV cell. One rule for the characters that would act instead of
 * showing, and two ways to neutralise them: a visible escape, or '?'. */
#ifndef LOCKSET_TEXTSAFE_H
#define LOCKSET_TEXTSAFE_H

#include <stddef.h>

/* The most bytes textsafe_escape writes for one byte of its input. */
#define TEXTSAFE_GROWTH 4

/* 1 when the character cp must not reach a terminal or a line as it is:
 * the controls (C0, DEL, C1), the line and paragraph separators (U+2028,
 * U+2029) and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069), which reorder what follows them. */
int textsafe_is_unsafe(unsigned cp);

/* s with each unsafe character as a visible escape, C0 and DEL as \xHH
 * ("\x1b"), the others as \uXXXX ("\u009b", "\u202e"), and each byte that
 * does not start a valid UTF-8 character as \xHH ("\xff"); everything else
 * as it is. Into out (outsz > 0 bytes, always terminated), cut between
 * characters when it does not fit (TEXTSAFE_GROWTH * strlen(s) + 1 always
 * does). Returns the bytes written, without the NUL. */
size_t textsafe_escape(const char *s, char *out, size_t outsz);

/* The same escape into a new string (malloc'd), or NULL without memory. */
char *textsafe_dup(const char *s);

/* JSON text as jansson writes it, with each unsafe character that is not a
 * C0 control (those it escapes itself; the others it writes as they are:
 * DEL, C1, U+2028, U+2029, the bidirectional controls) as \uXXXX: the same
 * JSON, safe to show. For the character at s (its bytes in *len, 1 for one
 * that is not UTF-8): 1 with esc set to its escape, or 0 when it goes as it
 * is. */
int textsafe_json_char(const char *s, size_t *len, char esc[7]);

/* The same over all of json, into a new string (malloc'd), or NULL without
 * memory. */
char *textsafe_json_dup(const char *json);

/* s in place with each unsafe character, and each byte that does not start
 * a valid UTF-8 character, replaced by one '?' (log lines). */
void textsafe_replace(char *s);

#endif
