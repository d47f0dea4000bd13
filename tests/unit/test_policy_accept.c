/* SPDX-License-Identifier: Apache-2.0 */
/* Everything the API accepts, the file loader accepts: documents generated
 * from a fixed seed (unknown keys holding values of every kind, nested up to
 * past POLICY_MAX_DEPTH, and sizes whose rendering lands on both sides of
 * POLICY_MAX_FILE) go through policy_accept, the check PUT, PATCH and
 * rollback run; each accepted rendering is written to a file and must load
 * with policy_load_file into the same document. */
#include "check.h"
#include "policy/policy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NDOCS 400

static char tmpdir[64];
static uint64_t rng = 0x6c6f636b736574ULL; /* "lockset" */

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A leaf: every JSON kind, strings with escapes and multi-byte UTF-8. */
static json_t *
leaf(void)
{
	static const char *const strs[] = {"",
	                                   "plain",
	                                   "quote \" and \\ backslash",
	                                   "tab\tnew\nline",
	                                   "J\xc3\xbcrgen \xe5\xb1\xb1",
	                                   "\xf0\x9f\x90\xb3",
	                                   "$HOME/../..",
	                                   "/"};

	switch (rnd(7)) {
	case 0:
		return json_string(strs[rnd(sizeof(strs) / sizeof(strs[0]))]);
	case 1:
		return json_integer((json_int_t)rnd(1000000) - 500000);
	case 2:
		return json_integer(rnd(2) ? INT64_MAX : INT64_MIN);
	case 3:
		return json_real((double)rnd(1000000) / 7.0);
	case 4:
		return json_boolean(rnd(2));
	case 5:
		return json_null();
	default:
		return json_real(1e300 * (rnd(2) ? 1 : -1));
	}
}

/* A value nested depth levels deep (1: an object or array of leaves). */
static json_t *
nested(int depth, unsigned width)
{
	json_t *v = rnd(2) ? json_object() : json_array();
	char key[32];

	for (unsigned i = 0; i < width; i++) {
		json_t *child = depth > 1 && i == 0 ? nested(depth - 1, 1 + rnd(3)) : leaf();
		if (json_is_object(v)) {
			snprintf(key, sizeof(key), "k%u", i);
			json_object_set_new(v, key, child);
		} else {
			json_array_append_new(v, child);
		}
	}
	return v;
}

/* An array of n small integers nested depth levels deep: compact it is a
 * few bytes per element, rendered each element is a line indented twice the
 * depth. */
static json_t *
wide(int depth, size_t n)
{
	json_t *v = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(v, json_integer((json_int_t)(i % 10)));
	while (--depth > 0) {
		json_t *outer = json_array();
		json_array_append_new(outer, v);
		v = outer;
	}
	return v;
}

static json_t *
generate(unsigned i)
{
	json_t *doc = json_pack("{s:i, s:{s:b, s:b}}", "configurationFileVersion", 2,
	                        "analyticsEnabled", "locked", 1, "value", 0);
	char key[32];

	for (unsigned k = 0, n = 1 + rnd(3); k < n; k++) {
		snprintf(key, sizeof(key), "futureSetting%u", k);
		/* Depths around the limit (the document itself is one level). */
		json_object_set_new(doc, key,
		                    nested(1 + (int)rnd(POLICY_MAX_DEPTH + 3), 1 + rnd(4)));
	}
	if (i % 10 == 0) /* renderings from about 0.5 to 1.6 MiB */
		json_object_set_new(doc, "futureList",
		                    wide(2 + (int)rnd(28), 8000 + 2000 * (size_t)rnd(10)));
	return doc;
}

static json_t *
load_rendering(const char *text, size_t len, struct problems *errs)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/admin-settings.json", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fwrite(text, 1, len, f);
	fclose(f);
	chmod(path, 0644);
	return policy_load_file(path, errs, NULL);
}

static void
test_everything_accepted_loads_from_the_file(void)
{
	unsigned accepted = 0, too_deep = 0, too_big = 0, big_accepted = 0;

	for (unsigned i = 0; i < NDOCS; i++) {
		struct problems errs = PROBLEMS_INIT, lerrs = PROBLEMS_INIT;
		json_t *doc = generate(i), *loaded;
		size_t len = 0;
		char *text = policy_accept(doc, &len, &errs, NULL);

		if (text == NULL) {
			CHECK(errs.n > 0);
			too_deep += errs.n > 0 && strstr(errs.v[0].message, "nesting") != NULL;
			too_big += errs.n > 0 && strstr(errs.v[0].message, "1 MiB") != NULL;
		} else {
			accepted++;
			big_accepted += len > POLICY_MAX_FILE / 2;
			loaded = load_rendering(text, len, &lerrs);
			CHECK(loaded != NULL && json_equal(loaded, doc));
			if (loaded == NULL)
				fprintf(stderr,
				        "# document %u (%zu bytes) accepted but not loaded: %s\n",
				        i, len, lerrs.n ? lerrs.v[0].message : "?");
			json_decref(loaded);
		}
		free(text);
		json_decref(doc);
		problems_clear(&errs);
		problems_clear(&lerrs);
	}
	printf("# %u of %d accepted (%u over half the size limit); refused: %u too deep, %u too "
	       "big\n",
	       accepted, NDOCS, big_accepted, too_deep, too_big);
	/* Both sides of both limits were exercised. */
	CHECK(accepted > NDOCS / 4);
	CHECK(big_accepted > 0);
	CHECK(too_deep > 0);
	CHECK(too_big > 0);
}

static void
test_limits_are_the_loaders(void)
{
	struct problems errs = PROBLEMS_INIT;
	json_t *doc = json_pack("{s:i}", "configurationFileVersion", 2);
	size_t len = 0;
	char *text;

	/* 32 levels in all is the loader's limit; 33 is refused, with a reason. */
	json_object_set_new(doc, "future", wide(POLICY_MAX_DEPTH - 1, 1));
	text = policy_accept(doc, &len, &errs, NULL);
	CHECK(text != NULL);
	free(text);
	json_object_set_new(doc, "future", wide(POLICY_MAX_DEPTH, 1));
	CHECK(policy_accept(doc, &len, &errs, NULL) == NULL);
	CHECK(errs.n == 1 && strstr(errs.v[0].message, "nesting deeper than 32") != NULL);
	problems_clear(&errs);
	/* 40 KB compact, over a megabyte once indented. */
	json_object_set_new(doc, "future", wide(30, 20000));
	text = json_dumps(doc, JSON_COMPACT);
	CHECK(strlen(text) < 64 * 1024);
	free(text);
	CHECK(policy_accept(doc, &len, &errs, NULL) == NULL);
	CHECK(errs.n == 1 && strstr(errs.v[0].message, "1 MiB") != NULL);
	problems_clear(&errs);
	json_decref(doc);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lockset-accept-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_limits_are_the_loaders);
	RUN(test_everything_accepted_loads_from_the_file);
	{
		char path[128];
		snprintf(path, sizeof(path), "%s/admin-settings.json", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	return CHECK_DONE();
}
