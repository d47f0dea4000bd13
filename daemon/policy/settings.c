/* SPDX-License-Identifier: Apache-2.0 */
/* The lock merge. Every key is merged according to its x-lockset-shape in the
 * schema, layer by layer (default, org, user-policy, user); see settings.h for
 * the rules and the exact output contract the decision engine compiles from. */
#include "build-config.h"

#include "settings.h"

#include "jsonschema.h"
#include "policy.h"
#include "util/problems.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum layer { LAYER_DEFAULT, LAYER_ORG, LAYER_USER_POLICY, LAYER_USER, LAYER_COUNT };

static const char *const layer_names[LAYER_COUNT] = {"default", "org", "user-policy", "user"};

struct merge {
	const json_t *root; /* the schema document */
	const struct settings_env *env;
};

/* ---------------------------------------------------------------------------
 * Layers */

static const json_t *
child(const json_t *obj, const char *key)
{
	return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* sub[i] = at[i][key] for every layer. */
static void
children(const json_t *const at[], const char *key, const json_t *sub[])
{
	for (int i = 0; i < LAYER_COUNT; i++)
		sub[i] = child(at[i], key);
}

/* The highest policy layer whose object at this key says "locked": true, or 0. */
static int
lock_layer(const json_t *const at[])
{
	for (int i = LAYER_USER_POLICY; i >= LAYER_ORG; i--) {
		if (json_is_true(child(at[i], "locked")))
			return i;
	}
	return 0;
}

/* 1 when v is valid for schema, 0 when not, -1 when out of memory (then a
 * layer must not be skipped as if it were invalid: that would quietly drop a
 * lock or a list). */
static int
is_valid(const struct merge *m, const json_t *schema, const json_t *v)
{
	struct problems errs = PROBLEMS_INIT;
	int rc = jsonschema_validate(m->root, schema, v, "", &errs, NULL);

	problems_clear(&errs);
	return rc == 0 ? 1 : rc == -2 ? -1 : 0;
}

/* The highest layer in 1..top that sets key (with a value valid for schema),
 * 0 when none does, -1 when out of memory. */
static int
pick(const struct merge *m, const json_t *const at[], const char *key, const json_t *schema,
     int top)
{
	for (int i = top; i >= LAYER_ORG; i--) {
		const json_t *v = child(at[i], key);
		int ok = v != NULL ? is_valid(m, schema, v) : 0;

		if (ok != 0)
			return ok < 0 ? -1 : i;
	}
	return 0;
}

static json_t *
default_of(const struct merge *m, const json_t *schema)
{
	const json_t *d = jsonschema_keyword(m->root, schema, "default");

	return d ? json_deep_copy(d) : json_null();
}

static const char *
shape_of(const struct merge *m, const json_t *schema)
{
	return json_string_value(jsonschema_keyword(m->root, schema, "x-lockset-shape"));
}

/* An object schema with properties of its own (a nested part of a group). */
static int
is_nested(const struct merge *m, const json_t *schema)
{
	const char *type = json_string_value(jsonschema_keyword(m->root, schema, "type"));

	return type != NULL && strcmp(type, "object") == 0 &&
	       json_is_object(jsonschema_keyword(m->root, schema, "properties"));
}

/* ---------------------------------------------------------------------------
 * Shapes */

/* Every expansion of every path of raw, flattened (an entry with none adds
 * nothing); null when raw is not a list. */
static json_t *
expand_list(const struct merge *m, const json_t *raw)
{
	json_t *out, *v, *all;
	size_t i;

	if (!json_is_array(raw))
		return json_null();
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(raw, i, v)
	{
		all = settings_expand_all(json_string_value(v), m->env);
		if (all == NULL || json_array_extend(out, all) != 0) {
			json_decref(all);
			json_decref(out);
			return NULL;
		}
		json_decref(all);
	}
	return out;
}

static json_t *
merge_scalar(const struct merge *m, const json_t *schema, const json_t *const at[])
{
	const json_t *vs = child(jsonschema_keyword(m->root, schema, "properties"), "value");
	int lock = lock_layer(at);
	int from = pick(m, at, "value", vs, lock ? lock : LAYER_USER);
	json_t *value;

	if (from < 0)
		return NULL;
	value = from ? json_deep_copy(child(at[from], "value")) : default_of(m, vs);

	return json_pack("{s:b, s:o, s:s}", "locked", lock != 0, "value", value, "source",
	                 layer_names[lock ? lock : from]);
}

/* Merge every field but "locked" of an object schema into out. Returns the
 * highest layer that set any field (0: none), or -1 when out of memory. */
static int
merge_fields(const struct merge *m, const json_t *schema, const json_t *const at[], int top,
             json_t *out)
{
	const json_t *props = jsonschema_keyword(m->root, schema, "properties"), *ps;
	const char *name;
	int highest = 0;

	json_object_foreach((json_t *)props, name, ps)
	{
		const json_t *rs = jsonschema_resolve(m->root, ps), *expand;
		json_t *v;
		int from;

		if (strcmp(name, "locked") == 0)
			continue;
		if (is_nested(m, rs)) {
			const json_t *sub[LAYER_COUNT];

			children(at, name, sub);
			if ((v = json_object()) == NULL || json_object_set_new(out, name, v) < 0)
				return -1;
			if ((from = merge_fields(m, rs, sub, top, v)) < 0)
				return -1;
		} else {
			if ((from = pick(m, at, name, ps, top)) < 0)
				return -1;
			v = from ? json_deep_copy(child(at[from], name)) : default_of(m, ps);
			if (json_object_set_new(out, name, v) < 0)
				return -1;
			expand = jsonschema_keyword(m->root, ps, "x-lockset-expand");
			if (json_is_string(expand) &&
			    json_object_set_new(out, json_string_value(expand), expand_list(m, v)) <
			        0)
				return -1;
		}
		highest = from > highest ? from : highest;
	}
	return highest;
}

/* Flat group or group with value: locked, [value], source, then the fields. */
static json_t *
merge_group(const struct merge *m, const json_t *schema, const json_t *const at[])
{
	json_t *fields = json_object(), *out = json_object(), *v;
	int lock = lock_layer(at), set;
	const char *name;

	if (fields == NULL || out == NULL)
		goto fail;
	if ((set = merge_fields(m, schema, at, lock ? lock : LAYER_USER, fields)) < 0)
		goto fail;
	if (json_object_set_new(out, "locked", json_boolean(lock != 0)) < 0)
		goto fail;
	if ((v = json_object_get(fields, "value")) != NULL && json_object_set(out, "value", v) < 0)
		goto fail;
	if (json_object_set_new(out, "source", json_string(layer_names[lock ? lock : set])) < 0)
		goto fail;
	json_object_foreach(fields, name, v)
	{
		if (strcmp(name, "value") != 0 && json_object_set(out, name, v) < 0)
			goto fail;
	}
	json_decref(fields);
	return out;
fail:
	json_decref(fields);
	json_decref(out);
	return NULL;
}

static json_t *
merge_namespace(const struct merge *m, const json_t *schema, const json_t *const at[])
{
	const json_t *props = jsonschema_keyword(m->root, schema, "properties"), *ps;
	json_t *out = json_object();
	const char *name;

	json_object_foreach((json_t *)props, name, ps)
	{
		const json_t *sub[LAYER_COUNT];

		children(at, name, sub);
		if (out == NULL ||
		    json_object_set_new(
		        out, name, merge_scalar(m, jsonschema_resolve(m->root, ps), sub)) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *
merge_share_list(const struct merge *m, const json_t *schema, const json_t *const at[])
{
	const json_t *items = jsonschema_resolve(m->root, json_object_get(schema, "items"));
	const json_t *sbd =
	    child(jsonschema_keyword(m->root, items, "properties"), "sharedByDefault");
	const json_t *e;
	json_t *out;
	size_t i;
	int from = 0;

	/* A list a policy layer sets is locked, so prefs count only when none does. */
	for (int l = LAYER_USER_POLICY; l >= LAYER_ORG && from == 0; l--) {
		int ok = at[l] != NULL && !json_is_null(at[l]) ? is_valid(m, schema, at[l]) : 0;

		if (ok < 0)
			return NULL;
		from = ok ? l : 0;
	}
	if (from == 0 && at[LAYER_USER] != NULL) {
		int ok = is_valid(m, schema, at[LAYER_USER]);

		if (ok < 0)
			return NULL;
		from = ok ? LAYER_USER : 0;
	}
	if (from == 0)
		return json_null();
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(at[from], i, e)
	{
		const char *raw = json_string_value(json_object_get(e, "path"));
		const json_t *shared = json_object_get(e, "sharedByDefault");
		json_t *all = settings_expand_all(raw, m->env), *entry = NULL;

		if (all != NULL)
			entry = json_pack(
			    "{s:s, s:o, s:O, s:o, s:b, s:s}", "path", raw, "sharedByDefault",
			    shared ? json_deep_copy(shared) : default_of(m, sbd), "expandedPath",
			    json_array_size(all) ? json_array_get(all, 0) : json_null(),
			    "expandedPaths", all, "locked", 1, "source", layer_names[from]);
		if (json_array_append_new(out, entry) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* ---------------------------------------------------------------------------
 * Public */

json_t *
settings_effective(const json_t *org, const json_t *user_policy, const json_t *user_prefs,
                   const struct settings_env *env)
{
	const json_t *root = policy_schema(), *props, *ps, *v;
	const json_t *layers[LAYER_COUNT] = {NULL, org, user_policy, user_prefs};
	struct settings_env denv;
	struct merge m;
	json_t *out = NULL;
	const char *name;

	if (root == NULL)
		goto fail;
	if (env == NULL) {
		settings_env_default(&denv);
		env = &denv;
	}
	m.root = root;
	m.env = env;
	props = json_object_get(root, "properties");
	if ((out = json_object()) == NULL)
		goto fail;
	json_object_foreach((json_t *)props, name, ps)
	{
		const json_t *rs = jsonschema_resolve(root, ps), *at[LAYER_COUNT];
		const char *shape = shape_of(&m, rs);
		json_t *r;

		children(layers, name, at);
		if (shape == NULL)
			continue;
		if (strcmp(shape, "version") == 0)
			r = default_of(&m, rs);
		else if (strcmp(shape, "scalar") == 0)
			r = merge_scalar(&m, rs, at);
		else if (strcmp(shape, "group") == 0 || strcmp(shape, "group-value") == 0)
			r = merge_group(&m, rs, at);
		else if (strcmp(shape, "namespace") == 0)
			r = merge_namespace(&m, rs, at);
		else if (strcmp(shape, "share-list") == 0)
			r = merge_share_list(&m, rs, at);
		else
			continue;
		if (json_object_set_new(out, name, r) < 0)
			goto fail;
	}
	if (json_is_object(org)) {
		json_object_foreach((json_t *)org, name, v)
		{
			if (json_object_get(props, name) == NULL &&
			    json_object_set_new(out, name, json_deep_copy(v)) < 0)
				goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static int
append_pointer(json_t *out, const char *base, const char *key)
{
	char *p = problems_pointer_join(base, key);
	int rc = p ? json_array_append_new(out, json_string(p)) : -1;

	free(p);
	return rc;
}

/* Append the pointer of every schema-known field present in obj, down to leaves. */
static int
push_present(const struct merge *m, json_t *out, const char *base, const json_t *obj,
             const json_t *schema)
{
	const json_t *props = jsonschema_keyword(m->root, schema, "properties"), *v;
	const char *key;

	json_object_foreach((json_t *)obj, key, v)
	{
		const json_t *ps = json_object_get(props, key), *rs;
		char *p;
		int rc;

		if (ps == NULL || strcmp(key, "locked") == 0)
			continue;
		rs = jsonschema_resolve(m->root, ps);
		if (!is_nested(m, rs) || !json_is_object(v)) {
			if (append_pointer(out, base, key) < 0)
				return -1;
			continue;
		}
		if ((p = problems_pointer_join(base, key)) == NULL)
			return -1;
		rc = push_present(m, out, p, v, rs);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

json_t *
settings_locked_keys(const json_t *org, const json_t *user_policy, const json_t *prefs)
{
	const json_t *root = policy_schema(), *props, *pv;
	const json_t *layers[LAYER_COUNT] = {NULL, org, user_policy, NULL};
	struct merge m = {root, NULL};
	json_t *out = json_array();
	const char *key;

	if (root == NULL || out == NULL)
		goto fail;
	if (!json_is_object(prefs))
		return out;
	props = json_object_get(root, "properties");
	json_object_foreach((json_t *)prefs, key, pv)
	{
		const json_t *ps = json_object_get(props, key), *rs, *at[LAYER_COUNT];
		const char *shape;
		char *ptr;
		int rc = 0;

		if (ps == NULL || (shape = shape_of(&m, rs = jsonschema_resolve(root, ps))) == NULL)
			continue;
		children(layers, key, at);
		if ((ptr = problems_pointer_join("", key)) == NULL)
			goto fail;
		if (strcmp(shape, "scalar") == 0) {
			if (lock_layer(at))
				rc = json_array_append_new(out, json_string(ptr));
		} else if (strcmp(shape, "group") == 0 || strcmp(shape, "group-value") == 0) {
			if (lock_layer(at) && json_is_object(pv))
				rc = push_present(&m, out, ptr, pv, rs);
		} else if (strcmp(shape, "namespace") == 0 && json_is_object(pv)) {
			const json_t *cprops = jsonschema_keyword(root, rs, "properties"), *cv;
			const char *ckey;

			json_object_foreach((json_t *)pv, ckey, cv)
			{
				const json_t *sub[LAYER_COUNT];

				children(at, ckey, sub);
				if (json_object_get(cprops, ckey) != NULL && lock_layer(sub) &&
				    append_pointer(out, ptr, ckey) < 0)
					rc = -1;
			}
		} else if (strcmp(shape, "share-list") == 0) {
			if ((at[LAYER_ORG] && !json_is_null(at[LAYER_ORG])) ||
			    (at[LAYER_USER_POLICY] && !json_is_null(at[LAYER_USER_POLICY])))
				rc = json_array_append_new(out, json_string(ptr));
		}
		free(ptr);
		if (rc < 0)
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}
