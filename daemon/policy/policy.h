/* SPDX-License-Identifier: Apache-2.0 */
/* The org policy document (Docker Desktop's admin-settings.json, version 2,
 * plus lockset's containerPolicy): parsing with precise syntax errors,
 * validation by the compiled-in schema, and safe loading from disk. */
#ifndef LOCKSET_POLICY_H
#define LOCKSET_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "util/problems.h"

#define POLICY_MAX_FILE  (1024 * 1024) /* bytes; a bigger settings file is refused */
#define POLICY_MAX_DEPTH 32            /* nesting levels; real documents use 5 */

/* The compiled-in schema (schema/admin-settings.schema.json), parsed once and
 * kept for the life of the process. Borrowed; NULL if it is missing or
 * unparsable (a build error). Safe to call from several threads. */
const json_t *policy_schema(void);

/*
 * Parse and validate a policy document held in memory (len bytes, need not be
 * NUL-terminated). A leading UTF-8 BOM is skipped; line and column then count
 * from the first byte after it, columns in characters, both 1-based.
 * Syntax errors (path "", with line and column): empty or whitespace-only
 * document, trailing comma, duplicate key (rejected; the message names it),
 * integers outside 64 bits, nesting deeper than POLICY_MAX_DEPTH, invalid
 * UTF-8, a top level that is not an object, trailing text, and any other
 * JSON error. Then every validation error and warning as policy_validate.
 * Returns a new reference, or NULL with at least one entry in errs.
 * warns may be NULL.
 */
json_t *policy_parse(const char *buf, size_t len, struct problems *errs, struct problems *warns);

/*
 * Validate an already parsed document (borrowed) against the schema. Every
 * error goes to errs, every warning to warns (may be NULL). Unknown keys at
 * the top level and inside Docker's own objects are warnings and are kept
 * (newer Docker Desktop keys must not break an older daemon); unknown keys
 * inside containerPolicy are errors. configurationFileVersion must be the
 * integer 2. Nesting deeper than POLICY_MAX_DEPTH is an error, as it is in
 * policy_parse. Returns 0 when valid, -1 otherwise.
 */
int policy_validate(const json_t *doc, struct problems *errs, struct problems *warns);

/* The document as the daemon writes it to the settings file: two-space
 * indentation, keys in their order, a final newline. malloc'd; *len is its
 * length. NULL when out of memory. */
char *policy_render(const json_t *doc, size_t *len);

/*
 * Everything the file loader checks on the bytes it read, on bytes in memory:
 * at most POLICY_MAX_FILE of them, then policy_parse. Every other way a
 * document reaches the settings file (PUT, PATCH, rollback) passes it its
 * rendering first, so that nothing the API accepts fails the next start.
 * Returns a new reference, or NULL with errs filled.
 */
json_t *policy_load_buffer(const char *buf, size_t len, struct problems *errs,
                           struct problems *warns);

/*
 * Everything a document must pass before the daemon writes it to the settings
 * file (PUT, PATCH, rollback): policy_validate, then policy_load_buffer on
 * its rendering, the very checks the next start applies. Returns the
 * rendering (malloc'd, *len its length), or NULL with errs filled (errs left
 * empty: out of memory).
 */
char *policy_accept(const json_t *doc, size_t *len, struct problems *errs, struct problems *warns);

/*
 * Check that path is safe to trust: a regular file (not a symlink, checked
 * with lstat) owned by root, or by the daemon's euid when that is not root,
 * and writable by neither group nor others; its directory must be a real
 * directory with the same owner rule and not writable by group or others
 * (a sticky bit does not make a world-writable directory acceptable).
 * On refusal appends one error (path "") naming the file, its owner (uid and
 * name) and its mode in octal, and returns -1; returns 0 when acceptable.
 */
int policy_check_file(const char *path, struct problems *errs);

/*
 * policy_check_file, then read the file (at most POLICY_MAX_FILE bytes; a
 * bigger file is an error; the opened file is re-checked with fstat so a swap
 * after the check is caught), then policy_parse. Returns a new reference, or
 * NULL with errs filled.
 */
json_t *policy_load_file(const char *path, struct problems *errs, struct problems *warns);

#endif
