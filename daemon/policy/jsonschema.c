/* SPDX-License-Identifier: Apache-2.0 */
/* Validation by schema: walks an instance and its schema together and records
 * every mismatch as a problem (JSON pointer + "expected ...; found ..."). Only
 * the keywords lockset's own schema uses are implemented; see jsonschema.h. */
#include "build-config.h"

#include "jsonschema.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCHEMA_DEPTH 64 /* bounds $ref chains and nesting */
#define FOUND_MAX        64 /* longest quoted value in a message */

struct vctx {
	const json_t *root;
	struct problems *errs;
	struct problems *warns;
	int failed;
	int nomem; /* a check could not be made: the verdict is unknown */
};

static void validate(struct vctx *c, const json_t *s, const json_t *inst, const char *path,
                     int depth);

/* ---------------------------------------------------------------------------
 * Pointers and references */

static int
token_next(const char **p, char *tok, size_t cap)
{
	size_t n = 0;
	const char *s = *p;

	if (*s != '/')
		return -1;
	s++;
	while (*s != '\0' && *s != '/') {
		char ch = *s++;
		if (ch == '~') {
			if (*s == '0')
				ch = '~';
			else if (*s == '1')
				ch = '/';
			else
				return -1;
			s++;
		}
		if (n + 1 >= cap)
			return -1;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	*p = s;
	return 0;
}

const json_t *
jsonschema_pointer_get(const json_t *doc, const char *ptr)
{
	char tok[256];
	const json_t *cur = doc;

	if (doc == NULL || ptr == NULL)
		return NULL;
	while (*ptr != '\0' && cur != NULL) {
		if (token_next(&ptr, tok, sizeof(tok)) < 0)
			return NULL;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long i;

			if (!isdigit((unsigned char)tok[0]) || (tok[0] == '0' && tok[1] != '\0'))
				return NULL;
			i = strtoul(tok, &end, 10);
			cur = *end == '\0' ? json_array_get(cur, i) : NULL;
		} else {
			return NULL;
		}
	}
	return cur;
}

const json_t *
jsonschema_resolve(const json_t *root, const json_t *schema)
{
	for (int i = 0; schema != NULL && i < MAX_SCHEMA_DEPTH; i++) {
		const char *ref = json_string_value(json_object_get(schema, "$ref"));
		if (ref == NULL)
			return schema;
		if (ref[0] != '#')
			return NULL;
		schema = jsonschema_pointer_get(root, ref + 1);
	}
	return NULL;
}

const json_t *
jsonschema_keyword(const json_t *root, const json_t *schema, const char *keyword)
{
	for (int i = 0; schema != NULL && i < MAX_SCHEMA_DEPTH; i++) {
		const json_t *v = json_object_get(schema, keyword);
		const char *ref;

		if (v != NULL)
			return v;
		ref = json_string_value(json_object_get(schema, "$ref"));
		if (ref == NULL || ref[0] != '#')
			return NULL;
		schema = jsonschema_pointer_get(root, ref + 1);
	}
	return NULL;
}

/* ---------------------------------------------------------------------------
 * Messages */

static void error(struct vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
error(struct vctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	c->failed = 1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg != NULL)
		problems_add(c->errs, path, "%s", msg);
	free(msg);
}

/* A short description of a value for "found ...": JSON text for scalars (long
 * strings cut), "an object" or "an array" for containers. */
static void
describe(const json_t *v, char *buf, size_t cap)
{
	char *text;

	if (json_is_object(v)) {
		snprintf(buf, cap, "an object");
		return;
	}
	if (json_is_array(v)) {
		snprintf(buf, cap, "an array");
		return;
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (text == NULL) {
		snprintf(buf, cap, "a value");
		return;
	}
	if (strlen(text) > FOUND_MAX)
		snprintf(buf, cap, "%.*s...\"", FOUND_MAX - 4, text);
	else
		snprintf(buf, cap, "%s", text);
	free(text);
}

/* ---------------------------------------------------------------------------
 * Keywords */

static int
type_matches(const char *type, const json_t *v)
{
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(type, "null") == 0)
		return json_is_null(v);
	return 0;
}

/* Returns 0 when inst has one of the types, -1 (after recording the error) otherwise. */
static int
check_type(struct vctx *c, const json_t *type, const json_t *inst, const char *path)
{
	char want[128] = "", found[FOUND_MAX + 16];
	size_t i;
	const json_t *t;

	if (json_is_string(type)) {
		if (type_matches(json_string_value(type), inst))
			return 0;
		snprintf(want, sizeof(want), "%s", json_string_value(type));
	} else if (json_is_array(type)) {
		json_array_foreach(type, i, t)
		{
			if (json_is_string(t) && type_matches(json_string_value(t), inst))
				return 0;
		}
		json_array_foreach(type, i, t)
		{
			size_t len = strlen(want);
			snprintf(want + len, sizeof(want) - len, "%s%s", i == 0 ? "" : " or ",
			         json_string_value(t) ? json_string_value(t) : "?");
		}
	} else {
		return 0;
	}
	describe(inst, found, sizeof(found));
	error(c, path, "expected %s; found %s", want, found);
	return -1;
}

/* Lower-case s, turn the first " " into "=", drop "cap_" right after "=". */
static void
normalise_enum(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	int seen_eq = 0;

	for (; *s != '\0' && n + 1 < cap; s++) {
		char ch = (char)tolower((unsigned char)*s);
		if (ch == ' ' && !seen_eq)
			ch = '=';
		out[n++] = ch;
		if (ch == '=' && !seen_eq) {
			seen_eq = 1;
			if (strncasecmp(s + 1, "cap_", 4) == 0)
				s += 4;
		}
	}
	out[n] = '\0';
}

static void
check_enum(struct vctx *c, const json_t *s, const json_t *en, const json_t *inst, const char *path)
{
	const char *noun = json_string_value(json_object_get(s, "x-lockset-enum-noun"));
	char found[FOUND_MAX + 16], want[1024] = "", a[256], b[256];
	const json_t *e, *suggest = NULL;
	size_t i;

	json_array_foreach(en, i, e)
	{
		if (json_equal((json_t *)e, (json_t *)inst))
			return;
	}
	describe(inst, found, sizeof(found));
	if (noun != NULL && json_is_string(inst)) {
		normalise_enum(json_string_value(inst), a, sizeof(a));
		json_array_foreach(en, i, e)
		{
			if (!json_is_string(e))
				continue;
			normalise_enum(json_string_value(e), b, sizeof(b));
			if (strcmp(a, b) == 0) {
				suggest = e;
				break;
			}
		}
		c->failed = 1;
		if (suggest != NULL)
			problems_add(c->errs, path, "unknown %s %s; did you mean \"%s\"?", noun,
			             found, json_string_value(suggest));
		else
			problems_add(c->errs, path, "unknown %s %s", noun, found);
		return;
	}
	json_array_foreach(en, i, e)
	{
		size_t len = strlen(want);
		char *t = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(want + len, sizeof(want) - len, "%s%s", i == 0 ? "" : ", ", t ? t : "?");
		free(t);
	}
	error(c, path, "expected one of %s; found %s", want, found);
}

static void
check_number(struct vctx *c, const json_t *s, const json_t *inst, const char *path)
{
	const json_t *min = json_object_get(s, "minimum"), *max = json_object_get(s, "maximum");
	double v = json_number_value(inst);
	char found[FOUND_MAX + 16], lim[64];

	describe(inst, found, sizeof(found));
	if (json_is_number(min) && v < json_number_value(min)) {
		snprintf(lim, sizeof(lim), "%g", json_number_value(min));
		error(c, path, "expected a number >= %s; found %s", lim, found);
	}
	if (json_is_number(max) && v > json_number_value(max)) {
		snprintf(lim, sizeof(lim), "%g", json_number_value(max));
		error(c, path, "expected a number <= %s; found %s", lim, found);
	}
}

static size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void
check_string(struct vctx *c, const json_t *s, const json_t *inst, const char *path)
{
	const char *str = json_string_value(inst);
	const char *expected = json_string_value(json_object_get(s, "x-lockset-expected"));
	const char *pattern = json_string_value(json_object_get(s, "pattern"));
	const char *format = json_string_value(json_object_get(s, "x-lockset-format"));
	const json_t *minlen = json_object_get(s, "minLength");
	char found[FOUND_MAX + 16], want[256];

	describe(inst, found, sizeof(found));
	if (json_is_integer(minlen) && (json_int_t)utf8_length(str) < json_integer_value(minlen)) {
		if (json_integer_value(minlen) == 1)
			error(c, path, "expected a non-empty string; found %s", found);
		else
			error(c, path, "expected a string of at least %lld characters; found %s",
			      (long long)json_integer_value(minlen), found);
	}
	if (pattern != NULL) {
		regex_t re;
		int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);

		if (rc == REG_ESPACE) {
			c->failed = c->nomem = 1;
			return;
		}
		if (rc != 0) {
			error(c, path, "schema error: bad pattern %s", pattern);
			return;
		}
		rc = regexec(&re, str, 0, NULL, 0);
		regfree(&re);
		if (rc == REG_ESPACE) {
			c->failed = c->nomem = 1;
			return;
		}
		if (rc != 0) {
			if (expected == NULL)
				snprintf(want, sizeof(want), "a string matching %s", pattern);
			error(c, path, "expected %s; found %s", expected ? expected : want, found);
		}
	}
	if (format != NULL && strcmp(format, "json-object") == 0) {
		json_error_t jerr;
		json_t *j = json_loads(str, JSON_REJECT_DUPLICATES, &jerr);

		if (j == NULL && json_error_code(&jerr) == json_error_out_of_memory) {
			c->failed = c->nomem = 1;
			return;
		}
		if (!json_is_object(j))
			error(c, path, "expected %s; found %s",
			      expected ? expected : "a string holding a JSON object", found);
		json_decref(j);
	}
}

static void
check_object(struct vctx *c, const json_t *s, const json_t *inst, const char *path, int depth)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *addl = json_object_get(s, "additionalProperties");
	const json_t *req = json_object_get(s, "required"), *r, *v;
	const char *unknown = json_string_value(json_object_get(s, "x-lockset-unknown"));
	const char *key;
	size_t i;

	json_object_foreach((json_t *)inst, key, v)
	{
		const json_t *ps = json_object_get(props, key);
		char *sub = problems_pointer_join(path, key);

		if (sub == NULL) {
			c->failed = c->nomem = 1;
			return;
		}
		if (ps != NULL) {
			validate(c, ps, v, sub, depth + 1);
		} else if (json_is_false(addl)) {
			error(c, sub, "unknown key \"%s\"", key);
		} else if (json_is_object(addl)) {
			validate(c, addl, v, sub, depth + 1);
		} else if (unknown != NULL && strcmp(unknown, "warn") == 0 && c->warns != NULL) {
			problems_add(
			    c->warns, sub,
			    "unknown key \"%s\": kept, but not interpreted by this version", key);
		}
		free(sub);
	}
	json_array_foreach(req, i, r)
	{
		char *sub;

		if (!json_is_string(r) || json_object_get(inst, json_string_value(r)) != NULL)
			continue;
		sub = problems_pointer_join(path, json_string_value(r));
		error(c, sub ? sub : path, "missing required key \"%s\"", json_string_value(r));
		free(sub);
	}
}

static void
validate(struct vctx *c, const json_t *s, const json_t *inst, const char *path, int depth)
{
	const json_t *t;

	if (json_is_true(s))
		return;
	if (json_is_false(s)) {
		error(c, path, "no value is allowed here");
		return;
	}
	if (!json_is_object(s) || depth > MAX_SCHEMA_DEPTH) {
		error(c, path, "schema error: cannot validate here");
		return;
	}
	if ((t = json_object_get(s, "$ref")) != NULL) {
		const json_t *target = jsonschema_resolve(c->root, s);
		if (target == NULL) {
			error(c, path, "schema error: unresolvable $ref %s", json_string_value(t));
			return;
		}
		validate(c, target, inst, path, depth + 1);
	}
	if ((t = json_object_get(s, "type")) != NULL && check_type(c, t, inst, path) < 0)
		return;
	/* A setting lockset keeps and serves but cannot enforce: said, every time
	 * it is set, so no admin reads it back as in force. */
	if ((t = json_object_get(s, "x-lockset-not-enforced")) != NULL && json_is_string(t) &&
	    c->warns != NULL && !json_is_null(inst))
		problems_add(c->warns, path, "%s", json_string_value(t));
	if ((t = json_object_get(s, "const")) != NULL && !json_equal((json_t *)t, (json_t *)inst)) {
		char want[FOUND_MAX + 16], found[FOUND_MAX + 16];
		describe(t, want, sizeof(want));
		describe(inst, found, sizeof(found));
		error(c, path, "expected %s; found %s", want, found);
	}
	if ((t = json_object_get(s, "enum")) != NULL && json_is_array(t))
		check_enum(c, s, t, inst, path);
	if (json_is_number(inst))
		check_number(c, s, inst, path);
	else if (json_is_string(inst))
		check_string(c, s, inst, path);
	else if (json_is_object(inst))
		check_object(c, s, inst, path, depth);
	else if (json_is_array(inst) && (t = json_object_get(s, "items")) != NULL) {
		size_t i;
		const json_t *v;

		json_array_foreach(inst, i, v)
		{
			char *sub = problems_pointer_index(path, i);
			if (sub == NULL) {
				c->failed = c->nomem = 1;
				return;
			}
			validate(c, t, v, sub, depth + 1);
			free(sub);
		}
	}
}

int
jsonschema_validate(const json_t *root, const json_t *schema, const json_t *inst, const char *path,
                    struct problems *errs, struct problems *warns)
{
	struct vctx c = {root, errs, warns, 0, 0};

	if (inst == NULL) {
		problems_add(errs, path, "no value");
		return -1;
	}
	validate(&c, schema, inst, path ? path : "", 0);
	if (c.nomem) {
		problems_add(errs, path, "out of memory while validating");
		return -2;
	}
	return c.failed ? -1 : 0;
}
