/* SPDX-License-Identifier: Apache-2.0 */
/* Field-table validation of small JSON bodies (tokens, decisions, rollback). */
#include "jsonv.h"

#include <stdlib.h>
#include <string.h>

const char *
jv_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

static unsigned
type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return JV_STRING;
	case JSON_INTEGER:
		return JV_INTEGER;
	case JSON_TRUE:
	case JSON_FALSE:
		return JV_BOOL;
	case JSON_OBJECT:
		return JV_OBJECT;
	case JSON_ARRAY:
		return JV_ARRAY;
	case JSON_NULL:
		return JV_NULL;
	default:
		return 0;
	}
}

static void
types_text(unsigned types, char *out, size_t n)
{
	static const char *const names[] = {"string", "integer", "boolean",
	                                    "object", "array",   "null"};
	out[0] = '\0';
	for (unsigned i = 0; i < 6; i++) {
		if (types & (1u << i)) {
			if (out[0] != '\0')
				strncat(out, " or ", n - strlen(out) - 1);
			strncat(out, names[i], n - strlen(out) - 1);
		}
	}
}

int
jv_check_object(const json_t *obj, const char *base, const struct jv_field *fields,
                struct problems *errs)
{
	size_t before = errs->n;
	const char *key;
	json_t *val;

	if (!json_is_object(obj)) {
		problems_add(errs, base, "expected an object; found %s",
		             obj ? jv_type_name(obj) : "nothing");
		return -1;
	}
	json_object_foreach((json_t *)obj, key, val)
	{
		const struct jv_field *f = fields;
		char *path = problems_pointer_join(base, key);

		while (f->name != NULL && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL) {
			problems_add(errs, path, "unknown field");
		} else if (!(type_bit(val) & f->types)) {
			char want[64];
			types_text(f->types, want, sizeof(want));
			problems_add(errs, path, "expected %s; found %s", want, jv_type_name(val));
		}
		free(path);
	}
	for (const struct jv_field *f = fields; f->name != NULL; f++) {
		if (f->required && json_object_get(obj, f->name) == NULL) {
			char *path = problems_pointer_join(base, f->name);
			problems_add(errs, path, "required field is missing");
			free(path);
		}
	}
	return errs->n == before ? 0 : -1;
}
