/* SPDX-License-Identifier: Apache-2.0 */
/* jsondiff: RFC 7396 merge patches (the RFC's own appendix A cases) and
 * change summaries as JSON pointers. */
#include "check.h"
#include "util/jsondiff.h"

static json_t *
J(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	if (v == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", text);
		exit(2);
	}
	return v;
}

static int
patch_gives(const char *target, const char *patch, const char *want)
{
	json_t *t = J(target), *p = J(patch), *w = J(want), *got = jsondiff_merge_patch(t, p);
	int ok = got != NULL && json_equal(got, w);

	if (!ok) {
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		fprintf(stderr, "patch %s onto %s: got %s, want %s\n", patch, target,
		        g ? g : "NULL", want);
		free(g);
	}
	json_decref(t);
	json_decref(p);
	json_decref(w);
	json_decref(got);
	return ok;
}

static void
test_merge_patch_follows_rfc7396_appendix_a(void)
{
	CHECK(patch_gives("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"));
	CHECK(patch_gives("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"));
	CHECK(patch_gives("{\"a\":\"b\"}", "{\"a\":null}", "{}"));
	CHECK(patch_gives("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"));
	CHECK(patch_gives("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"));
	CHECK(patch_gives("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"));
	CHECK(patch_gives("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	                  "{\"a\":{\"b\":\"d\"}}"));
	CHECK(patch_gives("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"));
	CHECK(patch_gives("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"));
	CHECK(patch_gives("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"));
	CHECK(patch_gives("{\"a\":\"foo\"}", "null", "null"));
	CHECK(patch_gives("{\"a\":\"foo\"}", "\"bar\"", "\"bar\""));
	CHECK(patch_gives("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"));
	CHECK(patch_gives("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"));
	CHECK(patch_gives("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"));
}

static void
test_merge_patch_leaves_target_untouched(void)
{
	json_t *t = J("{\"a\":{\"b\":1}}"), *p = J("{\"a\":{\"b\":2}}");
	json_t *got = jsondiff_merge_patch(t, p);

	CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(t, "a"), "b")), 1);
	CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(got, "a"), "b")), 2);
	json_decref(t);
	json_decref(p);
	json_decref(got);
}

static void
test_summary_lists_pointers_by_kind(void)
{
	json_t *a = J("{\"x\":{\"locked\":true,\"value\":1},\"gone\":1,\"list\":[1],"
	              "\"a/b\":{\"c\":1}}");
	json_t *b = J("{\"x\":{\"locked\":false,\"value\":1},\"new\":{\"k\":1},\"list\":[2],"
	              "\"a/b\":{\"c\":1}}");
	json_t *s = jsondiff_summary(a, b);

	CHECK(s != NULL);
	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(s, "changed"), 0)),
	             "/x/locked");
	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(s, "changed"), 1)), "/list");
	CHECK_INT_EQ(json_array_size(json_object_get(s, "changed")), 2);
	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(s, "removed"), 0)), "/gone");
	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(s, "added"), 0)), "/new");
	CHECK(json_object_get(s, "truncated") == NULL);
	json_decref(a);
	json_decref(b);
	json_decref(s);
}

static void
test_summary_escapes_pointer_tokens(void)
{
	json_t *a = J("{\"a/b\":{\"c~d\":1}}"), *b = J("{\"a/b\":{\"c~d\":2}}");
	json_t *s = jsondiff_summary(a, b);

	CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(s, "changed"), 0)),
	             "/a~1b/c~0d");
	json_decref(a);
	json_decref(b);
	json_decref(s);
}

static void
test_summary_from_nothing_adds_everything(void)
{
	json_t *b = J("{\"k\":1,\"l\":2}"), *s = jsondiff_summary(NULL, b);

	CHECK_INT_EQ(json_array_size(json_object_get(s, "added")), 2);
	CHECK_INT_EQ(json_array_size(json_object_get(s, "removed")), 0);
	json_decref(b);
	json_decref(s);
}

static void
test_summary_caps_long_lists(void)
{
	json_t *b = json_object(), *s;
	char key[16];

	for (int i = 0; i < JSONDIFF_MAX_LISTED + 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		json_object_set_new(b, key, json_integer(i));
	}
	s = jsondiff_summary(NULL, b);
	CHECK_INT_EQ(json_array_size(json_object_get(s, "added")), JSONDIFF_MAX_LISTED);
	CHECK(json_is_true(json_object_get(s, "truncated")));
	json_decref(b);
	json_decref(s);
}

int
main(void)
{
	RUN(test_merge_patch_follows_rfc7396_appendix_a);
	RUN(test_merge_patch_leaves_target_untouched);
	RUN(test_summary_lists_pointers_by_kind);
	RUN(test_summary_escapes_pointer_tokens);
	RUN(test_summary_from_nothing_adds_everything);
	RUN(test_summary_caps_long_lists);
	return CHECK_DONE();
}
