/* SPDX-License-Identifier: Apache-2.0 */
/* A small JSON Schema (draft 2020-12) validator for exactly the subset that
 * schema/admin-settings.schema.json uses, plus lockset's x-lockset-* keywords.
 * It reports every error it finds, each with a JSON pointer. */
#ifndef LOCKSET_JSONSCHEMA_H
#define LOCKSET_JSONSCHEMA_H

#include <jansson.h>

#include "util/problems.h"

/*
 * Validate inst (found at JSON pointer path; "" for a whole document) against
 * schema, a schema object inside root (root is the whole schema document; "$ref"
 * values of the form "#/json/pointer" resolve in it). Every error is appended
 * to errs, every warning to warns (warns may be NULL: warnings are dropped).
 * Nothing is borrowed beyond the call.
 *
 * Supported keywords: $ref (to "#/..."), type (a name or an array of names;
 * "integer" means a JSON number written without fraction or exponent), const,
 * enum, minimum, maximum, minLength, pattern (POSIX extended regex, so keep
 * patterns in the ERE/ECMA-262 common subset), items, properties, required,
 * additionalProperties (true, false or a schema), and these annotations:
 *   x-lockset-unknown: "warn"    keys not in properties (when additionalProperties
 *                                is true or absent) are warnings, not silently kept
 *   x-lockset-expected: "text"   how a pattern/format mismatch describes what was expected
 *   x-lockset-enum-noun: "flag"  enum mismatches read 'unknown flag "x"; did you mean "y"?',
 *                                with a suggestion when the value matches an entry
 *                                ignoring case, "CAP_" after "=", or " " for "="
 *   x-lockset-format: "json-object"  the string must hold a JSON object
 * Other keywords (description, default, x-lockset-shape, ...) are ignored.
 *
 * Returns 0 when no error was found, -1 when there is one, -2 when a check
 * could not be made for lack of memory (the verdict is unknown: never take it
 * for "invalid, use a default").
 */
int jsonschema_validate(const json_t *root, const json_t *schema, const json_t *inst,
                        const char *path, struct problems *errs, struct problems *warns);

/* Follow schema's "$ref" chain inside root. Returns the final schema (borrowed),
 * schema itself when it has no $ref, or NULL when a $ref does not resolve. */
const json_t *jsonschema_resolve(const json_t *root, const json_t *schema);

/* The value of keyword in schema or, when absent there, in the schemas its $ref
 * chain leads to (e.g. "default", "type", "properties"). Borrowed, or NULL. */
const json_t *jsonschema_keyword(const json_t *root, const json_t *schema, const char *keyword);

/* RFC 6901: the value at pointer ptr in doc ("" is doc itself; "~0" and "~1"
 * escapes are honoured; array tokens are decimal indexes). Borrowed, or NULL. */
const json_t *jsonschema_pointer_get(const json_t *doc, const char *ptr);

#endif
