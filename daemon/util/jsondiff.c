/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7396 merge patches and change summaries (see jsondiff.h). Both walk
 * objects recursively; documents are bounded by the policy size and depth
 * limits, so recursion depth is too. */
#include "jsondiff.h"

#include "problems.h"

#include <stdlib.h>

json_t *
jsondiff_merge_patch(const json_t *target, const json_t *patch)
{
	json_t *out, *v;
	const char *key;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	if (out == NULL)
		return NULL;
	json_object_foreach((json_t *)patch, key, v)
	{
		json_t *merged;

		if (json_is_null(v)) {
			json_object_del(out, key);
			continue;
		}
		merged = jsondiff_merge_patch(json_object_get(out, key), v);
		if (merged == NULL || json_object_set_new(out, key, merged) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

struct summary {
	json_t *added, *removed, *changed;
	int truncated;
};

static int
note(struct summary *s, json_t *list, const char *base, const char *key)
{
	char *ptr;

	if (json_array_size(list) >= JSONDIFF_MAX_LISTED) {
		s->truncated = 1;
		return 0;
	}
	if ((ptr = problems_pointer_join(base, key)) == NULL)
		return -1;
	json_array_append_new(list, json_string(ptr));
	free(ptr);
	return 0;
}

static int
walk(struct summary *s, const json_t *a, const json_t *b, const char *base)
{
	const char *key;
	json_t *va, *vb;

	json_object_foreach((json_t *)a, key, va)
	{
		vb = json_object_get(b, key);
		if (vb == NULL) {
			if (note(s, s->removed, base, key) < 0)
				return -1;
		} else if (json_is_object(va) && json_is_object(vb)) {
			char *ptr = problems_pointer_join(base, key);
			int rc = ptr ? walk(s, va, vb, ptr) : -1;

			free(ptr);
			if (rc < 0)
				return -1;
		} else if (!json_equal(va, vb) && note(s, s->changed, base, key) < 0) {
			return -1;
		}
	}
	json_object_foreach((json_t *)b, key, vb)
	{
		if (json_object_get(a, key) == NULL && note(s, s->added, base, key) < 0)
			return -1;
	}
	return 0;
}

json_t *
jsondiff_summary(const json_t *old, const json_t *new_doc)
{
	struct summary s = {json_array(), json_array(), json_array(), 0};
	json_t *empty = json_object(), *out = NULL;

	if (s.added == NULL || s.removed == NULL || s.changed == NULL || empty == NULL)
		goto out;
	if (walk(&s, json_is_object(old) ? old : empty, json_is_object(new_doc) ? new_doc : empty,
	         "") < 0)
		goto out;
	out = json_pack("{s:O, s:O, s:O}", "added", s.added, "removed", s.removed, "changed",
	                s.changed);
	if (out != NULL && s.truncated)
		json_object_set_new(out, "truncated", json_true());
out:
	json_decref(s.added);
	json_decref(s.removed);
	json_decref(s.changed);
	json_decref(empty);
	return out;
}
