/* SPDX-License-Identifier: Apache-2.0 */
/* Declarative checks for small JSON request bodies: which fields exist, their
 * types, which are required; unknown fields are errors. Every problem is
 * reported with its JSON pointer. */
#ifndef LOCKSET_JSONV_H
#define LOCKSET_JSONV_H

#include "problems.h"

#include <jansson.h>

/* Type masks. */
#define JV_STRING  0x01
#define JV_INTEGER 0x02
#define JV_BOOL    0x04
#define JV_OBJECT  0x08
#define JV_ARRAY   0x10
#define JV_NULL    0x20
#define JV_ANY     0x3f

struct jv_field {
	const char *name;
	unsigned types;
	int required;
};

/* Check that obj (at pointer base, "" for the root) is an object whose members
 * are all listed in fields (terminated by a NULL name), of the listed types,
 * with every required one present. Returns 0 when no problem was added. */
int jv_check_object(const json_t *obj, const char *base, const struct jv_field *fields,
                    struct problems *errs);
/* "string", "integer", ... for messages. */
const char *jv_type_name(const json_t *v);

#endif
